"""The real wizard in a pseudo-terminal (questionary + prompt_toolkit), answered like a user would."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.functional.setup.support import APP_DEFINITION_ID, CLIENT_ID, CLIENT_SECRET, StandIn, create_quilt_stack
from tests.functional.stack.vpc_builder import build_vpc
from tests.helpers import CLI, minimal_profile, write_profile

PROMPT_TIMEOUT = 60  # generous: two cores shared with the rest of the suite
DOWN = "\x1b[B"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn().start()
    yield server
    server.stop()


def _spawn(args: list[str], cwd: Path) -> pexpect.spawn:
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", COLUMNS="120", LINES="40")
    child = pexpect.spawn(CLI[0], [*CLI[1:], *args], env=env, cwd=str(cwd), encoding="utf-8",
                          timeout=PROMPT_TIMEOUT, dimensions=(40, 120))
    return child


def _answer(child: pexpect.spawn, prompt: str, keys: str) -> None:
    child.expect_exact(prompt)
    child.send(keys)


def test_first_run_with_manifest_retry_and_vpc_pick(aws, standin: StandIn, isolation: Path, tmp_path: Path) -> None:
    stack = create_quilt_stack(aws.client("cloudformation"), standin.host, bucket="quilt-data")
    aws.client("s3").create_bucket(Bucket="quilt-data")
    aws.client("s3").put_bucket_versioning(Bucket="quilt-data",  # a Quilt bucket is versioned
                                           VersioningConfiguration={"Status": "Enabled"})
    built = build_vpc(aws.client("ec2"))
    vpc_ids = sorted(v["VpcId"] for v in aws.client("ec2").describe_vpcs()["Vpcs"])
    child = _spawn(["setup", "--profile", "dev", "--benchling-base-url", standin.url], tmp_path)
    try:
        _answer(child, "Quilt catalog URL", standin.url + "\r")
        _answer(child, "Athena workgroup for linked-package queries", "\r")
        child.expect_exact("the Quilt stack has no Athena workgroup of its own, so the stack creates an Athena "
                           "workgroup of its own with AWS-managed query results")
        _answer(child, "Do you already have a Benchling app", "n")
        _answer(child, "Write the app manifest to", "\r")
        _answer(child, "Continue once the app exists?", "y")
        _answer(child, "Benchling tenant", "https://acme.benchling.com/\r")
        _answer(child, "App definition id", APP_DEFINITION_ID + "\r")
        _answer(child, "Client id", CLIENT_ID + "\r")
        _answer(child, "Client secret", "wrong-secret\r")
        child.expect_exact("Benchling refused the client id and secret for tenant 'acme' (HTTP 401)")
        _answer(child, "Re-enter the Benchling values?", "y")
        _answer(child, "Benchling tenant", "\r")
        _answer(child, "App definition id", "\r")
        _answer(child, "Client id", "\r")
        _answer(child, "Client secret", CLIENT_SECRET + "\r")
        child.expect_exact("Benchling accepted the client credentials for tenant acme")
        _answer(child, "S3 bucket for packages", "\r")
        _answer(child, "Package name prefix", "\r")
        _answer(child, "Metadata key linking packages to entries", "\r")
        _answer(child, "AWS region to deploy to", "\r")
        _answer(child, "Container image URI", "\r")
        _answer(child, "VPC", DOWN * (vpc_ids.index(built["vpc_id"]) + 1) + "\r")
        child.expect_exact(f"VPC {built['vpc_id']}: private subnets")
        _answer(child, "Task CPU", "\r")  # an existing VPC: no NAT question
        _answer(child, "Task memory (MiB)", "\r")
        _answer(child, "Minimum running tasks", "\r")
        _answer(child, "Maximum tasks", "\r")
        _answer(child, "Fargate Spot", DOWN + "\r")
        _answer(child, "Alarm email", "ops@example.com\r")
        child.expect_exact("estimated fixed monthly cost")
        _answer(child, "Save profile 'dev'?", "y")
        child.expect_exact("saved profile 'dev'")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    saved = json.loads((isolation / "config" / "benchling-webhook" / "dev" / "config.json").read_text())
    assert saved["quilt"]["stackArn"] == stack["arn"]
    assert saved["benchling"]["tenant"] == "acme"
    assert saved["packages"]["bucket"] == "quilt-data"
    assert saved["deployment"]["vpc"]["vpcId"] == built["vpc_id"]
    assert (saved["deployment"]["fargateSpot"], saved["deployment"]["alarmEmail"]) == (True, "ops@example.com")
    assert saved["quilt"]["createAthenaWorkgroup"] is True and "athenaWorkgroup" not in saved["quilt"]
    manifest = (tmp_path / "benchling-app-manifest.yaml").read_text()
    assert "v2.canvas.initialized" in manifest
    secret = aws.client("secretsmanager").get_secret_value(SecretId=saved["benchling"]["secretArn"])
    assert json.loads(secret["SecretString"])["client_secret"] == CLIENT_SECRET


def test_ctrl_c_leaves_the_existing_profile_untouched(aws, isolation: Path, tmp_path: Path) -> None:
    path = write_profile(isolation, "dev", minimal_profile())
    before = path.read_text()
    child = _spawn(["setup", "--profile", "dev"], tmp_path)
    try:
        _answer(child, "Quilt catalog URL", "\r")
        _answer(child, "Quilt packager queue URL", "\r")
        _answer(child, "Athena database", "\r")
        child.expect_exact("Benchling tenant")
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130
    assert path.read_text() == before
    assert not path.with_name("config.json.bak").exists()
