"""``benchling-webhook deploy``."""

from __future__ import annotations

from typing import Annotated

import typer

from benchling_webhook.cli.commands.synth import ImageUriOpt
from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, ImageBuildOpt, ProfileOpt, RegionOpt, YesOpt


def deploy(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    yes: YesOpt = False,
    image_uri: ImageUriOpt = None,
    image_build: ImageBuildOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes, then discard them.")] = False,
    allow_unverified: Annotated[bool, typer.Option(
        "--allow-unverified-webhooks",
        help="Deploy even though the profile turns signature verification off.")] = False,
    wait: Annotated[bool, typer.Option(
        "--wait", help="If another operation is running on the stack, wait for it instead of stopping.")] = False,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Deploy the stack: synthesize, show what changes, confirm, follow progress, print the webhook URL."""
    from benchling_webhook.cli.render import RichDeployObserver, render_deploy_report
    from benchling_webhook.stack.deploy import DeployRequest, create_deployer

    cli = get_context(ctx)
    config = cli.store.load(profile)
    target = cli.resolve_region(region, aws_profile, config.deployment.region).require()
    deployer = create_deployer(cli.aws_session(aws_profile, target), cli.store, profile, region=target,
                               dry_run=dry_run)
    with RichDeployObserver(cli.console, yes=yes) as observer:
        request = DeployRequest(profile, config, image_uri, yes, dry_run, wait, image_build, allow_unverified)
        report = deployer.deploy(request, observer)
    render_deploy_report(cli.console, report)
