from __future__ import annotations

import pytest

from benchling_webhook.aws.session import create_session
from benchling_webhook.errors import AwsCredentialsError


def test_aws_region_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    assert create_session().region_name == "eu-west-2"
    assert create_session(region="ap-south-1").region_name == "ap-south-1"


def test_unknown_aws_profile_is_a_hinted_error() -> None:
    with pytest.raises(AwsCredentialsError, match="AWS profile 'nope' is not configured") as info:
        create_session("nope")
    assert "--profile names a benchling-webhook profile" in (info.value.hint or "")
