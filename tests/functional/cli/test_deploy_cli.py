"""``deploy`` end to end through the CLI against moto's CloudFormation (server mode on loopback).

moto cannot create the full stack (no ApiGatewayV2 / ServiceDiscovery / AppAutoScaling), so these tests
replace only the synth step with a small template carrying the real stack's outputs; change sets,
execution, events, outputs and ``deployments.json`` are real. The full template is covered by
``tests/functional/stack/test_template.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from benchling_webhook import __version__
from benchling_webhook.stack.inputs import StackInputs
from tests.functional.stack.moto_cfn import (
    ENDPOINT,
    emulate_failed_create,
    fix_change_set_outputs,
    set_stack_status,
    small_template,
)
from tests.helpers import minimal_profile, write_profile

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/benchling-webhook:9.9.9"


@pytest.fixture
def synth_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Swap the CDK synth for the small template; ``calls[-1]`` holds the inputs of the last synth."""
    calls: list[dict[str, Any]] = []
    fix_change_set_outputs(monkeypatch)

    def fake(inputs: StackInputs) -> Any:
        options = calls[-1]["next"] if calls else {}
        calls.append({"inputs": inputs, "next": options})
        return small_template(inputs.stack_name, **options)

    monkeypatch.setattr("benchling_webhook.stack.synth.synthesize_inputs", fake)
    return calls


@pytest.fixture
def profile(isolation: Path) -> Path:
    data = minimal_profile()
    data["deployment"]["imageUri"] = IMAGE
    write_profile(isolation, "default", data)
    return isolation / "config" / "benchling-webhook" / "default"


def _deployments(profile: Path) -> list[dict[str, Any]]:
    path = profile / "deployments.json"
    return json.loads(path.read_text())["deployments"] if path.exists() else []


def test_deploy_creates_the_stack_shows_plan_events_and_records_it(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    result = cli("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ENDPOINT
    err = result.stderr
    assert "create BenchlingWebhookStack in us-east-1: 4 to add, 0 to modify, 0 to remove" in err
    assert "QueuesInbox" in err and "AWS::Logs::LogGroup" in err
    assert "CREATE_COMPLETE" in err
    assert '"Suffixed" routing' in err
    assert "estimated fixed monthly cost: ~$" in err and "option: natGateways: 1 saves $32.85/month" in err
    assert "deployed BenchlingWebhookStack" in err
    assert synth_calls[-1]["inputs"].image_uri == IMAGE
    status = aws.client("cloudformation").describe_stacks(StackName="BenchlingWebhookStack")["Stacks"][0]
    assert status["StackStatus"] == "CREATE_COMPLETE"
    (record,) = _deployments(profile)
    assert record["endpoint"] == ENDPOINT and record["stackName"] == "BenchlingWebhookStack"
    assert record["region"] == "us-east-1" and record["image"] == IMAGE and record["status"] == "CREATE_COMPLETE"
    assert record["who"].startswith("arn:aws:") and record["account"] == "123456789012"
    assert oct((profile / "deployments.json").stat().st_mode & 0o777) == "0o600"
    tags = {t["Key"]: t["Value"] for t in status["Tags"]}
    assert tags["benchling-webhook:deployed-by"] == record["who"] == "arn:aws:sts::123456789012:user/moto"
    assert tags["benchling-webhook:version"] == __version__ and tags["benchling-webhook:profile"] == "default"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", tags["benchling-webhook:deployed-at"])


def test_redeploy_shows_modify_add_remove_and_unchanged_is_a_no_op(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    assert cli("deploy", "--yes").exit_code == 0
    synth_calls[-1]["next"] = {"extra": True, "retention": 14}
    result = cli("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert "update BenchlingWebhookStack in us-east-1: 1 to add, 1 to modify, 1 to remove" in result.stderr
    assert "UPDATE_COMPLETE" in result.stderr
    tagged = aws.client("cloudformation").describe_stacks(StackName="BenchlingWebhookStack")["Stacks"][0]["Tags"]
    result = cli("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert "BenchlingWebhookStack is up to date: no changes to deploy" in result.stderr
    assert result.stdout.strip() == ENDPOINT
    # nothing changed, so the stack keeps who deployed it last and when
    assert aws.client("cloudformation").describe_stacks(StackName="BenchlingWebhookStack")["Stacks"][0]["Tags"] == \
        tagged
    assert [d["status"] for d in _deployments(profile)] == ["CREATE_COMPLETE", "UPDATE_COMPLETE"]


def test_deploy_asks_and_no_discards_the_change_set(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    result = cli("deploy", input="n\n")
    assert result.exit_code == 1, result.output
    assert "Deploy these changes? [y/N]" in result.stderr
    assert "error: deploy cancelled; nothing was changed" in result.stderr
    assert "hint: re-run with --yes" in result.stderr
    stacks = aws.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks)
    assert _deployments(profile) == []
    result = cli("deploy", input="y\n")
    assert result.exit_code == 0, result.output
    assert len(_deployments(profile)) == 1


def test_dry_run_shows_the_plan_and_changes_nothing(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    result = cli("deploy", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "4 to add" in result.stderr
    assert "dry run: BenchlingWebhookStack not changed" in result.stderr
    assert result.stdout == ""
    cfn = aws.client("cloudformation")
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in cfn.list_stacks()["StackSummaries"])
    assert _deployments(profile) == []


def test_failed_execution_reports_the_reason_and_exits_non_zero(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    synth_calls.append({"inputs": None, "next": {"bad_fifo": True}})
    result = cli("deploy", "--yes")
    assert result.exit_code == 1, result.output
    first = result.stderr.strip().splitlines()[-2]
    assert first == ("error: deploy of BenchlingWebhookStack failed: Queue name must end in .fifo for FIFO queues")
    assert _deployments(profile) == []


def test_rolled_back_create_names_the_first_failed_resource(cli, aws, profile, synth_calls, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    emulate_failed_create(monkeypatch, "Resource handler returned message: \"Access denied for logs:CreateLogGroup\"")
    result = cli("deploy", "--yes")
    assert result.exit_code == 1, result.output
    assert "CREATE_FAILED" in result.stderr and "ROLLBACK_COMPLETE" in result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
    assert error == ('error: deploy of BenchlingWebhookStack failed: ROLLBACK_COMPLETE: WebhookLogs '
                     '(AWS::Logs::LogGroup) Resource handler returned message: "Access denied for logs:CreateLogGroup"')
    assert _deployments(profile) == []


def _stack_in(aws: Any, status: str) -> None:
    template = small_template("BenchlingWebhookStack")
    aws.client("cloudformation").create_stack(StackName="BenchlingWebhookStack", TemplateBody=template.body)
    set_stack_status("BenchlingWebhookStack", status)


def test_rollback_complete_is_refused_without_yes(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    _stack_in(aws, "ROLLBACK_COMPLETE")
    result = cli("deploy")
    assert result.exit_code == 1, result.output
    assert "Delete it and create it again? [y/N]" in result.stderr
    assert "error: stack BenchlingWebhookStack: is in state ROLLBACK_COMPLETE" in result.stderr
    assert "hint: re-run with --yes to delete and recreate it" in result.stderr


def test_rollback_complete_with_yes_is_deleted_and_recreated(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    _stack_in(aws, "ROLLBACK_COMPLETE")
    result = cli("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert "its first deployment failed" in result.stderr and "DELETE_COMPLETE" in result.stderr
    stack = aws.client("cloudformation").describe_stacks(StackName="BenchlingWebhookStack")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"


def test_review_in_progress_stack_is_cleared_then_created(cli, aws, profile, synth_calls) -> None:  # type: ignore[no-untyped-def]
    template = small_template("BenchlingWebhookStack")
    aws.client("cloudformation").create_change_set(StackName="BenchlingWebhookStack", ChangeSetName="left-over",
                                                   ChangeSetType="CREATE", TemplateBody=template.body)
    result = cli("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert "REVIEW_IN_PROGRESS: a change set was created but never executed" in result.stderr
    stack = aws.client("cloudformation").describe_stacks(StackName="BenchlingWebhookStack")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"


@pytest.mark.parametrize(("status", "sentence", "hint"), [
    ("UPDATE_IN_PROGRESS", "is in state UPDATE_IN_PROGRESS", "re-run with --wait"),
    ("UPDATE_ROLLBACK_FAILED", "is in state UPDATE_ROLLBACK_FAILED", "continue-update-rollback"),
    ("DELETE_FAILED", "is in state DELETE_FAILED", "benchling-webhook destroy"),
])
def test_stack_states_that_need_a_human_stop_with_a_hint(cli, aws, profile, synth_calls, status, sentence, hint,  # type: ignore[no-untyped-def]
                                                         ) -> None:
    _stack_in(aws, status)
    result = cli("deploy", "--yes")
    assert result.exit_code == 1, result.output
    assert f"error: stack BenchlingWebhookStack: {sentence}" in result.stderr
    assert hint in result.stderr.splitlines()[-1]


def test_oversized_template_is_uploaded_to_s3_first(cli, aws, profile, synth_calls, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("benchling_webhook.stack.synth.INLINE_TEMPLATE_LIMIT", 100)
    result = cli("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert "template to S3 (over the inline limit)" in result.stderr
    keys = aws.client("s3").list_objects_v2(Bucket="benchling-webhook-templates-123456789012-us-east-1")
    assert [o["Key"].split("/")[0] for o in keys["Contents"]] == ["BenchlingWebhookStack"]


def test_deploy_without_docker_builds_remotely_then_deploys(cli, aws, isolation, synth_calls, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # No Docker here: the image is built by CodeBuild in moto (which records the build and reports it
    # SUCCEEDED without running it); the build itself is covered in tests/functional/image.
    write_profile(isolation, "default", minimal_profile())
    monkeypatch.setenv("PATH", str(isolation))  # no docker binary anywhere
    result = cli("deploy", "--yes")
    assert result.exit_code == 0, result.output
    assert "image: the docker command is not installed: building remotely in AWS CodeBuild in your account" \
        in result.stderr
    image = synth_calls[-1]["inputs"].image_uri
    assert image.startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/benchling-webhook:")
    assert image.endswith("-x86_64")
    assert f"pushed {image}" in result.stderr
    assert aws.client("codebuild").list_builds()["ids"]


def test_deploy_with_builds_off_and_no_image_touches_nothing(cli, aws, isolation, synth_calls) -> None:  # type: ignore[no-untyped-def]
    write_profile(isolation, "default", minimal_profile())
    result = cli("deploy", "--yes", "--image-build", "none")
    assert result.exit_code == 1, result.output
    assert "error: no image to deploy and image builds are off (--image-build none)" in result.stderr
    assert "hint: pass --image-uri URI or set deployment.imageUri in the profile" in result.stderr
    assert synth_calls == []
    assert aws.client("cloudformation").list_stacks()["StackSummaries"] == []


def test_deploy_without_credentials_is_one_sentence(cli, profile, synth_calls, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = cli("deploy", "--yes")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == "error: no AWS credentials found"
    assert "Traceback" not in result.output


def test_a_failed_remote_build_exits_1_and_leaves_the_stack(cli, aws, isolation, synth_calls, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # moto reports every CodeBuild build SUCCEEDED; this test makes the poll see FAILED instead.
    from benchling_webhook.image import remote

    def failed(self: remote.CodeBuildBuilder, build_id: str, log: remote.BuildLog) -> dict[str, str]:
        return {"id": build_id, "buildStatus": "FAILED", "currentPhase": "BUILD"}

    monkeypatch.setattr(remote.CodeBuildBuilder, "_follow", failed)
    write_profile(isolation, "default", minimal_profile())
    monkeypatch.setenv("PATH", str(isolation))  # no docker binary anywhere
    result = cli("deploy", "--yes")
    assert result.exit_code == 1, result.output
    assert "error: the remote image build ended FAILED in phase BUILD; the stack was not touched" in result.stderr
    assert synth_calls == []
    assert aws.client("cloudformation").list_stacks()["StackSummaries"] == []


def test_verification_off_needs_an_explicit_flag_even_with_yes(cli, aws, isolation, synth_calls) -> None:  # type: ignore[no-untyped-def]
    data = minimal_profile()
    data["deployment"]["imageUri"] = IMAGE
    data["security"] = {"enableVerification": False}
    write_profile(isolation, "default", data)
    refused = cli("deploy", "--yes")
    assert refused.exit_code == 2, refused.output
    assert "WARNING: security.enableVerification is false" in refused.stderr
    assert "error: webhook signature verification is off in this profile" in refused.stderr
    assert "--allow-unverified-webhooks" in refused.stderr
    assert synth_calls == [] and aws.client("cloudformation").list_stacks()["StackSummaries"] == []
    allowed = cli("deploy", "--yes", "--allow-unverified-webhooks")
    assert allowed.exit_code == 0, allowed.output
    assert synth_calls[-1]["inputs"].env["ENABLE_WEBHOOK_VERIFICATION"] == "false"
