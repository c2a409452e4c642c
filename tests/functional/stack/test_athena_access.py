"""Linked-package queries in a real deployment: the container learns the workgroup and the results location,
and the task role may write exactly that results prefix (and use exactly that workgroup).

Reuses the session's synthesized templates (``conftest.py``): the default profile (default location in the
package bucket, workgroup ``primary``) and the one-NAT profile (the Quilt stack's own workgroup, results in
another bucket). Both are synthesized with cdk-nag's AwsSolutions pack, so an unacknowledged finding fails.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functional.stack.conftest import ATHENA_ELSEWHERE

pytestmark = pytest.mark.slow

PARTITION = {"Ref": "AWS::Partition"}


def _task(template: dict[str, Any]) -> dict[str, Any]:
    (task,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition")
    return dict(task)


def _env(template: dict[str, Any]) -> dict[str, Any]:
    (container,) = _task(template)["Properties"]["ContainerDefinitions"]
    return {e["Name"]: e["Value"] for e in container["Environment"]}


def _task_role_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    role = _task(template)["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    (policy,) = (r["Properties"]["PolicyDocument"] for r in template["Resources"].values()
                 if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": role}])
    return list(policy["Statement"])


def _task_role_statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in _task_role_policy(template) if "Sid" in s}


def _s3(resource: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", PARTITION, f":s3:::{resource}"]]}


def _workgroup(name: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", PARTITION, ":athena:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, f":workgroup/{name}"]]}


def test_default_results_go_to_a_prefix_of_the_package_bucket_outside_the_packages(seed_template) -> None:  # type: ignore[no-untyped-def]
    env = _env(seed_template)
    assert env["ATHENA_WORKGROUP"] == "primary"
    assert env["ATHENA_OUTPUT_LOCATION"] == "s3://quilt-packages/.benchling-webhook/athena-results/"
    assert not env["ATHENA_OUTPUT_LOCATION"].startswith(f"s3://quilt-packages/{env['PACKAGE_PREFIX']}/")
    statements = _task_role_statements(seed_template)
    assert statements["AthenaResults"] == {
        "Sid": "AthenaResults", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": _s3("quilt-packages/.benchling-webhook/athena-results/*")}
    assert "AthenaResultsBucket" not in statements  # the package bucket's location is granted already
    assert statements["Athena"]["Resource"] == _workgroup("primary")
    assert "athena:GetWorkGroup" in statements["Athena"]["Action"]


def test_configured_workgroup_and_results_bucket_are_granted_exactly(single_nat_template) -> None:  # type: ignore[no-untyped-def]
    env = _env(single_nat_template)
    assert env["ATHENA_WORKGROUP"] == ATHENA_ELSEWHERE["athenaWorkgroup"]
    assert env["ATHENA_OUTPUT_LOCATION"] == ATHENA_ELSEWHERE["athenaResultsLocation"]
    statements = _task_role_statements(single_nat_template)
    assert statements["Athena"]["Resource"] == _workgroup("QuiltUserAthena-wg")
    assert statements["AthenaResults"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert statements["AthenaResults"]["Resource"] == _s3("quilt-athena-results/benchling-webhook/athena-results/*")
    assert statements["AthenaResultsBucket"] == {
        "Sid": "AthenaResultsBucket", "Effect": "Allow", "Action": "s3:GetBucketLocation",
        "Resource": _s3("quilt-athena-results")}
    # no other statement reaches the results bucket
    others = [s for s in _task_role_policy(single_nat_template) if not s.get("Sid", "").startswith("AthenaResults")]
    assert "quilt-athena-results" not in str(others)


def test_without_a_database_there_is_no_athena_access(vpc_template) -> None:  # type: ignore[no-untyped-def]
    statements = _task_role_statements(vpc_template)
    assert not {"Athena", "AthenaResults", "AthenaResultsBucket", "Glue"} & set(statements)


def test_without_a_usable_workgroup_the_stack_creates_one_with_managed_results(managed_athena_template) -> None:  # type: ignore[no-untyped-def]
    from cfnlint.api import ManualArgs, lint

    (logical_id, workgroup), = ((k, r) for k, r in managed_athena_template["Resources"].items()
                                if r["Type"] == "AWS::Athena::WorkGroup")
    props = workgroup["Properties"]
    assert props["Name"] == "BenchlingWebhookStack-dev-linked-packages"
    assert props["WorkGroupConfiguration"]["ManagedQueryResultsConfiguration"] == {"Enabled": True}
    assert props["WorkGroupConfiguration"]["EnforceWorkGroupConfiguration"] is True
    assert props["RecursiveDeleteOption"] is True
    env = _env(managed_athena_template)
    assert env["ATHENA_WORKGROUP"] == {"Ref": logical_id} and "ATHENA_OUTPUT_LOCATION" not in env
    statements = _task_role_statements(managed_athena_template)
    assert statements["Athena"]["Resource"] == {"Fn::Join": ["", [
        "arn:", PARTITION, ":athena:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":workgroup/",
        {"Ref": logical_id}]]}
    assert not {"AthenaResults", "AthenaResultsBucket"} & set(statements)  # no results bucket to reach
    assert [str(m) for m in lint(json.dumps(managed_athena_template), config=ManualArgs(regions=["us-east-1"]))] == []
