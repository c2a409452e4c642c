"""``benchling-webhook logs``."""

from __future__ import annotations

import contextlib
from typing import Annotated, Literal

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, JsonOpt, ProfileOpt, RegionOpt


def logs(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
    since: Annotated[str, typer.Option("--since", "-s", help="How far back: 30s, 10m, 2h, 1d.")] = "10m",
    filter_: Annotated[str | None, typer.Option(
        "--filter", help="Only lines containing TEXT (or a CloudWatch pattern, e.g. '{ $.level = \"ERROR\" }').",
    )] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")] = False,
    type_: Annotated[Literal["service", "api", "all"], typer.Option(
        "--type", help="Which logs: the service's, API Gateway's access log, or both.")] = "all",
    include_health: Annotated[bool, typer.Option("--include-health", help="Also show health-check requests.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Show the deployed service's and API Gateway's CloudWatch logs, merged in time order."""
    from benchling_webhook.cli.render_logs import print_log_event
    from benchling_webhook.constants import stack_name_for
    from benchling_webhook.ops.logs import LogQuery, iter_log_events, log_sources, parse_since
    from benchling_webhook.ops.outputs import read_deployed_stack

    cli = get_context(ctx)
    parse_since(since)
    region = cli.resolve_region(region, aws_profile, cli.profile_region(profile)).name
    stack = read_deployed_stack(cli.aws_client("cloudformation", aws_profile, region), stack_name_for(profile), profile)
    query = LogQuery.create(log_sources(stack.outputs, type_), since, filter_, include_health)
    labels = " + ".join(s.label for s in query.sources)
    cli.console.info(f"{stack.name} ({region}): {labels} logs of the last {since}"
                     + (", then following (Ctrl-C to stop)" if follow else ""))
    count = 0
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how --follow ends
        for event in iter_log_events(cli.aws_client("logs", aws_profile, region), query, follow=follow):
            print_log_event(cli.console, event, json_)
            count += 1
    if count == 0 and not follow:
        matching = f" matching {filter_!r}" if filter_ else ""
        hidden = "" if include_health else " (health checks are hidden: --include-health shows them)"
        cli.console.info(f"no log events in the last {since}{matching}{hidden}")
        cli.console.info("hint: widen the window, e.g. --since 2h or --since 1d")
