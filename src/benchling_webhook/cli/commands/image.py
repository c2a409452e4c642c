"""``benchling-webhook image context|build``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import (
    DEFAULT,
    ArchitectureOpt,
    AwsProfileOpt,
    ImageBuildOpt,
    ProfileOpt,
    RegionOpt,
)

app = typer.Typer(help="The server's container image: write its build context, or build and push it.",
                  no_args_is_help=True, rich_markup_mode=None)


@app.command("context")
def context(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to write the build context into (created).")],
) -> None:
    """Write the exact build context: Dockerfile, pylock.toml (the tested versions) and this version's wheel.

    Build it with: docker build --platform linux/amd64 DIR
    """
    from benchling_webhook.image.context import write_context

    cli = get_context(ctx)
    written = write_context(directory)
    for path in written.files:
        cli.console.info(f"wrote {path}")
    cli.console.info(f"next: docker build --platform linux/amd64 -t benchling-webhook:{written.tag} {directory}")
    cli.console.data(str(directory))


@app.command("build")
def build(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    image_build: ImageBuildOpt = None,
    architecture: ArchitectureOpt = None,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Build the image and push it to the account's ECR repository; prints its URI (what deploy would run)."""
    from benchling_webhook.aws.session import client_config
    from benchling_webhook.constants import ImageBuildMode
    from benchling_webhook.image.build import DockerCli, ImageRequest, ImageResolver
    from benchling_webhook.image.remote import CodeBuildBuilder

    cli = get_context(ctx)
    config = cli.store.load(profile)
    target = region or config.deployment.region
    session = cli.aws_session(aws_profile, target)

    def client(service: str) -> Any:
        return session.client(service, region_name=target, config=client_config())

    account = client("sts").get_caller_identity()["Account"]
    mode = ImageBuildMode(image_build or config.deployment.image_build)
    if mode is ImageBuildMode.AUTO and image_build is None and config.deployment.image_uri:
        cli.console.info(f"note: the profile deploys {config.deployment.image_uri}; building a new image anyway")
    resolver = ImageResolver(ecr=lambda: client("ecr"), docker=DockerCli(), remote=CodeBuildBuilder(client))
    request = ImageRequest(mode=mode, architecture=architecture or config.deployment.architecture)
    uri = resolver.resolve(request, account=account, region=target, observer=_Narrator(cli.console))
    cli.console.success(f"image ready: {uri}")
    cli.console.data(uri)


class _Narrator:
    def __init__(self, console: Any) -> None:
        self.console = console

    def stage(self, text: str) -> None:
        self.console.info(f"· {text}")

    def log(self, line: str) -> None:
        self.console.info(f"  │ {line}")
