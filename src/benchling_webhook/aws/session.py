"""boto3 sessions with our retry policy, user agent and translated credential errors."""

from __future__ import annotations

from typing import Any

from benchling_webhook import __version__
from benchling_webhook.errors import AwsCredentialsError


def create_session(aws_profile: str | None = None, region: str | None = None) -> Any:
    """A ``boto3.Session``; a missing AWS profile becomes an ``AwsCredentialsError`` with a hint."""
    import os

    import boto3
    import botocore.exceptions

    # boto3 reads AWS_DEFAULT_REGION only; the spec promises the standard AWS_REGION is honoured too.
    region = region or os.environ.get("AWS_REGION") or None
    try:
        return boto3.Session(profile_name=aws_profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise AwsCredentialsError(
            f"AWS profile '{aws_profile}' is not configured",
            hint="list profiles with: aws configure list-profiles (--profile names a benchling-webhook profile)",
        ) from None


def client_config() -> Any:
    """Adaptive retries and bounded timeouts for every client we create."""
    from botocore.config import Config

    return Config(
        retries={"max_attempts": 8, "mode": "adaptive"},
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra=f"benchling-webhook/{__version__}",
    )
