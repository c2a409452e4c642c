"""``benchling-webhook status``."""

from __future__ import annotations

from typing import Annotated

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, JsonOpt, ProfileOpt, RegionOpt


def status(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Refresh until the stack and service settle.")] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between refreshes with --watch.")] = 10.0,
    json_: JsonOpt = False,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Stack status and outputs, ECS desired/running counts and rollout state, the endpoint's health, and the
    dead-letter queue's depth and oldest message."""
    from benchling_webhook.aws.cloudformation import CloudFormation
    from benchling_webhook.cli.render import render_status, status_json
    from benchling_webhook.constants import stack_name_for
    from benchling_webhook.ops.status import StackStatus, get_status, iter_status

    cli = get_context(ctx)
    region = cli.resolve_region(region, aws_profile, cli.profile_region(profile)).name
    history = cli.store.deployments(profile) if cli.store.exists(profile) else []
    cfn = CloudFormation(cli.aws_client("cloudformation", aws_profile, region))

    def get() -> StackStatus:
        return get_status(cfn, lambda: cli.aws_client("ecs", aws_profile, cfn.region), stack_name_for(profile),
                          cloudwatch=lambda: cli.aws_client("cloudwatch", aws_profile, cfn.region),
                          sqs=lambda: cli.aws_client("sqs", aws_profile, cfn.region),
                          last_deployment=history[-1] if history else None)

    for snapshot in iter_status(get, interval=interval) if watch else iter([get()]):
        if json_:
            cli.console.json(status_json(snapshot))
        else:
            render_status(cli.console, snapshot, profile)
