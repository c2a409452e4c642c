"""``benchling-webhook redrive``."""

from __future__ import annotations

from typing import Annotated

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, JsonOpt, ProfileOpt, RegionOpt


def redrive(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count the dead letters by reason and destination; "
                                                            "move nothing.")] = False,
    max_: Annotated[int | None, typer.Option("--max", min=1, help="Move at most this many messages.")] = None,
    json_: JsonOpt = False,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Send the dead-letter queue's messages back for another try: live events to the inbox, backfill
    events to the backfill queue, each as a new message. Their reasons are shown grouped, with counts.

    A message that is not an event, or that SQS refuses, stays in the dead-letter queue.
    """
    from benchling_webhook.cli.render_redrive import RedriveProgressView, render_redrive_summary
    from benchling_webhook.ops.redrive import create_redriver, read_targets

    cli = get_context(ctx)
    region = cli.resolve_region(region, aws_profile, cli.profile_region(profile)).name
    targets = read_targets(cli.aws_client("cloudformation", aws_profile, region), profile)
    redriver = create_redriver(cli.aws_client("sqs", aws_profile, region), targets, dry_run=dry_run,
                               max_messages=max_)
    with RedriveProgressView(cli.console) as view:
        report = redriver.run(view.update)
    if json_:
        cli.console.json(report.to_dict())
    else:
        cli.console.render(render_redrive_summary(report, profile))
    report.check()
