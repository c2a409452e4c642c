"""``benchling-webhook synth``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, ProfileOpt, RegionOpt

ImageUriOpt = Annotated[str | None, typer.Option(
    "--image-uri", help="Container image to run (default: deployment.imageUri, else the account's ECR image).")]


def synth(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the template into.")] = Path(
        "cdk.out"),
    image_uri: ImageUriOpt = None,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Write the CloudFormation template for a profile (for review or other IaC pipelines).

    Needs no AWS credentials for the auto-created VPC or when the profile names its VPC's subnets.
    """
    from benchling_webhook.cli.render import render_synth, warn_if_unverified
    from benchling_webhook.stack.inputs import build_stack_inputs
    from benchling_webhook.stack.synth import complete_vpc, synthesize_inputs, write_template

    cli = get_context(ctx)
    config = cli.store.load(profile)
    warn_if_unverified(cli.console, config)
    target = cli.resolve_region(region, aws_profile, config.deployment.region).name
    config = complete_vpc(config, lambda: cli.aws_client("ec2", aws_profile, target))
    inputs = build_stack_inputs(config, profile, image_uri)
    with cli.console.status(f"synthesizing {profile} (node, a few seconds)"):
        template = synthesize_inputs(inputs)
    path = write_template(template, output)
    render_synth(cli.console, template, path)
