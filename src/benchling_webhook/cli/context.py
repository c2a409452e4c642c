"""``CliContext``: resolved global options plus lazy factories, stored on ``ctx.obj``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer

from benchling_webhook.cli.console import Console

if TYPE_CHECKING:
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

    def stack_region(self, profile: str, region: str | None) -> str | None:
        """``--region``, else the profile's deployment region (if the profile exists), else boto's chain."""
        if region is None and self.store.exists(profile):
            return self.store.load(profile).deployment.region
        return region

    def aws_client(self, service: str, aws_profile: str | None = None, region: str | None = None) -> Any:
        """A boto3 client with the project's retry/timeout config (honours ``AWS_ENDPOINT_URL``)."""
        from benchling_webhook.aws.session import client_config

        return self.aws_session(aws_profile, region).client(service, config=client_config())


def get_context(ctx: typer.Context) -> CliContext:
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj
