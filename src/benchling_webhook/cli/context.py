"""``CliContext``: resolved global options plus lazy factories, stored on ``ctx.obj``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer

from benchling_webhook.cli.console import Console

if TYPE_CHECKING:
    from benchling_webhook.aws.session import ResolvedRegion
    from benchling_webhook.config.store import ProfileStore


@dataclass
class CliContext:
    """What every command needs; factories are lazy so ``--help`` imports nothing heavy."""

    verbose: bool = False
    quiet: bool = False
    debug: bool = False
    console: Console = field(default_factory=Console)

    @cached_property
    def store(self) -> ProfileStore:
        from benchling_webhook.config.store import ProfileStore

        return ProfileStore()

    def aws_session(self, aws_profile: str | None = None, region: str | None = None) -> Any:
        from benchling_webhook.aws.session import create_session

        return create_session(aws_profile, region)

    def resolve_region(self, flag: str | None, aws_profile: str | None,
                       profile_region: str | None = None) -> ResolvedRegion:
        """The command's region from the one chain (``aws.session.resolve_region``) over this process's
        environment; ``--verbose`` says which link set it."""
        import os

        from benchling_webhook.aws.session import aws_config_region, resolve_region

        region = resolve_region(flag, profile_region, environ=os.environ,
                                aws_config=lambda: aws_config_region(aws_profile))
        self.console.detail(region.describe())
        return region

    def profile_region(self, profile: str) -> str | None:
        """The profile's ``deployment.region``, or ``None`` when there is no such profile (commands that
        only read a stack also work without one)."""
        return self.store.load(profile).deployment.region if self.store.exists(profile) else None

    def aws_client(self, service: str, aws_profile: str | None = None, region: str | None = None) -> Any:
        """A boto3 client with the project's retry/timeout config (honours ``AWS_ENDPOINT_URL``)."""
        from benchling_webhook.aws.session import client_config

        return self.aws_session(aws_profile, region).client(service, config=client_config())


def get_context(ctx: typer.Context) -> CliContext:
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj
