from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import CLI, minimal_profile, write_profile

pytestmark = pytest.mark.slow


def test_synth_writes_the_template_without_credentials_or_a_node_banner(isolation: Path, tmp_path: Path) -> None:
    write_profile(isolation, "default", minimal_profile())
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "JSII_"))}  # no credentials, no banner silencer from the test env
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # any AWS call would fail loudly
    out = subprocess.run([*CLI, "synth", "--output", str(tmp_path / "out")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    path = tmp_path / "out" / "BenchlingWebhookStack.template.json"
    assert out.stdout.strip() == str(path)
    assert "WebhookEndpoint" in json.loads(path.read_text())["Outputs"]
    assert "end-of-life" not in out.stderr and "node" not in out.stderr.replace("(node, a few seconds)", "")
    assert "✓ wrote" in out.stderr and "resources" in out.stderr


def test_synth_of_a_profile_without_secret_names_the_field(cli, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    data = minimal_profile()
    del data["benchling"]["secretArn"]
    write_profile(isolation, "dev", data)
    result = cli("synth", "--profile", "dev")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0].startswith("error: benchling.secretArn is not set")
    assert "hint: run: benchling-webhook setup --profile dev" in result.stderr


def test_synth_discovers_an_existing_vpcs_subnets(cli, isolation: Path, aws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.functional.stack.vpc_builder import build_vpc

    built = build_vpc(aws.client("ec2"))
    data = minimal_profile()
    data["deployment"]["vpc"] = {"vpcId": built["vpc_id"]}
    data["deployment"]["imageUri"] = "ghcr.io/example/benchling-webhook:1"
    write_profile(isolation, "dev", data)
    result = cli("synth", "--profile", "dev", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    template = json.loads((tmp_path / "BenchlingWebhookStack-dev.template.json").read_text())
    link = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::VpcLink")
    assert sorted(link["Properties"]["SubnetIds"]) == sorted(built["private"])


def test_synth_warns_when_the_profile_turns_verification_off(cli, isolation: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                             monkeypatch) -> None:
    from tests.functional.stack.moto_cfn import small_template

    monkeypatch.setattr("benchling_webhook.stack.synth.synthesize_inputs",
                        lambda inputs: small_template(inputs.stack_name))
    write_profile(isolation, "default", minimal_profile(security={"enableVerification": False}))
    result = cli("synth", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "webhook signature verification is OFF in this profile" in result.stderr
