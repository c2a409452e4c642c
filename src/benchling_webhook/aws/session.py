"""boto3 sessions with our retry policy, user agent and translated credential errors, and the one region
chain every command uses.

The region chain is ``--region`` > the profile's ``deployment.region`` > ``AWS_REGION`` >
``AWS_DEFAULT_REGION`` > the AWS config file (``region`` of the AWS profile in use). boto3 knows only the
last two, so ``resolve_region`` walks the whole chain and records which link answered; the CLI passes
the environment in, and the session is created with the region it found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from benchling_webhook import __version__
from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import AwsCredentialsError, ConfigError


class RegionSource(StrEnum):
    """Where a region came from, in the order the chain asks."""

    FLAG = "--region"
    PROFILE = "the profile's deployment.region"
    AWS_REGION = EnvVars.AWS_REGION
    AWS_DEFAULT_REGION = EnvVars.AWS_DEFAULT_REGION
    AWS_CONFIG = "the AWS config file"


@dataclass(frozen=True)
class ResolvedRegion:
    """A region and the link of the chain that set it (both ``None`` when no link did)."""

    name: str | None
    source: RegionSource | None

    def describe(self) -> str:
        return f"AWS region {self.name} (from {self.source})" if self.name else "no AWS region configured"

    def require(self) -> str:
        """The region, or a ``ConfigError`` saying how to set one."""
        if not self.name:
            raise ConfigError("no AWS region configured",
                              hint=f"pass --region or set {EnvVars.AWS_REGION}")
        return self.name


def resolve_region(flag: str | None = None, profile_region: str | None = None, *,
                   environ: Mapping[str, str] | None = None,
                   aws_config: Callable[[], str | None] | None = None) -> ResolvedRegion:
    """Walk the region chain (see the module docstring); ``aws_config`` is asked only when all else is unset.

    Args:
        flag: ``--region``.
        profile_region: the benchling-webhook profile's ``deployment.region``, if there is a profile.
        environ: the process environment (the CLI passes ``os.environ``).
        aws_config: reads the AWS config file's region (``aws_config_region`` bound to an AWS profile).
    """
    environ = environ or {}
    links: tuple[tuple[RegionSource, Callable[[], str | None]], ...] = (
        (RegionSource.FLAG, lambda: flag),
        (RegionSource.PROFILE, lambda: profile_region),
        (RegionSource.AWS_REGION, lambda: environ.get(EnvVars.AWS_REGION)),
        (RegionSource.AWS_DEFAULT_REGION, lambda: environ.get(EnvVars.AWS_DEFAULT_REGION)),
        (RegionSource.AWS_CONFIG, aws_config or (lambda: None)),
    )
    for source, lookup in links:
        value = lookup()
        if value:
            return ResolvedRegion(value, source)
    return ResolvedRegion(None, None)


def aws_config_region(aws_profile: str | None) -> str | None:
    """The ``region`` the AWS config file sets for ``aws_profile`` (boto's default profile when ``None``)."""
    import botocore.exceptions
    import botocore.session

    try:
        region = botocore.session.Session(profile=aws_profile).get_scoped_config().get("region")
    except botocore.exceptions.ProfileNotFound:  # create_session reports it with a hint
        return None
    return str(region) if region else None


def create_session(aws_profile: str | None = None, region: str | None = None) -> Any:
    """A ``boto3.Session``; a missing AWS profile becomes an ``AwsCredentialsError`` with a hint."""
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=aws_profile, region_name=region or None)
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
