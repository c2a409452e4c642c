from __future__ import annotations

from pathlib import Path

import pytest

from benchling_webhook.aws.session import (
    RegionSource,
    ResolvedRegion,
    aws_config_region,
    create_session,
    resolve_region,
)
from benchling_webhook.errors import AwsCredentialsError, ConfigError

ENV = {"AWS_REGION": "eu-west-2", "AWS_DEFAULT_REGION": "ap-south-1"}


@pytest.mark.parametrize(("flag", "profile", "environ", "config", "expected"), [
    ("us-west-2", "eu-central-1", ENV, "sa-east-1", ResolvedRegion("us-west-2", RegionSource.FLAG)),
    (None, "eu-central-1", ENV, "sa-east-1", ResolvedRegion("eu-central-1", RegionSource.PROFILE)),
    (None, None, ENV, "sa-east-1", ResolvedRegion("eu-west-2", RegionSource.AWS_REGION)),
    (None, None, {"AWS_DEFAULT_REGION": "ap-south-1"}, "sa-east-1",
     ResolvedRegion("ap-south-1", RegionSource.AWS_DEFAULT_REGION)),
    (None, None, {}, "sa-east-1", ResolvedRegion("sa-east-1", RegionSource.AWS_CONFIG)),
    (None, "", {"AWS_REGION": ""}, None, ResolvedRegion(None, None)),
])
def test_the_region_chain_records_which_link_answered(flag: str | None, profile: str | None,
                                                      environ: dict[str, str], config: str | None,
                                                      expected: ResolvedRegion) -> None:
    assert resolve_region(flag, profile, environ=environ, aws_config=lambda: config) == expected


def test_the_aws_config_file_is_read_only_when_nothing_else_answers() -> None:
    def unreachable() -> str:
        raise AssertionError("the AWS config file was read")

    assert resolve_region(None, "eu-central-1", aws_config=unreachable).source is RegionSource.PROFILE


def test_a_resolved_region_says_where_it_came_from() -> None:
    assert resolve_region("us-west-2").describe() == "AWS region us-west-2 (from --region)"
    assert resolve_region(None, None, environ={"AWS_REGION": "eu-west-1"}).describe() == (
        "AWS region eu-west-1 (from AWS_REGION)")
    missing = resolve_region()
    assert missing.describe() == "no AWS region configured"
    with pytest.raises(ConfigError, match="no AWS region configured") as info:
        missing.require()
    assert info.value.hint == "pass --region or set AWS_REGION"


def test_the_aws_config_file_region_of_the_aws_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = ca-central-1\n\n[profile team]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert aws_config_region(None) == "ca-central-1"
    assert aws_config_region("team") == "eu-north-1"
    assert aws_config_region("nope") is None


def test_the_session_gets_the_resolved_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert create_session(region="ap-south-1").region_name == "ap-south-1"


def test_unknown_aws_profile_is_a_hinted_error() -> None:
    with pytest.raises(AwsCredentialsError, match="AWS profile 'nope' is not configured") as info:
        create_session("nope")
    assert "--profile names a benchling-webhook profile" in (info.value.hint or "")
