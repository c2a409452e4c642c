"""``benchling-webhook backfill``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, JsonOpt, ProfileOpt, RegionOpt


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    from benchling_webhook.backfill.listing import parse_time

    try:
        return parse_time(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date or time (2024-01-01, 2024-01-01T12:00:00Z)") from None


def backfill(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    project: Annotated[list[str] | None, typer.Option(
        "--project", help="Only entries in this project (src_…); repeatable.", show_default=False)] = None,
    folder: Annotated[list[str] | None, typer.Option(
        "--folder", help="Only entries in this folder or its sub-folders (lib_…); repeatable.",
        show_default=False)] = None,
    schema: Annotated[list[str] | None, typer.Option(
        "--schema", help="Only entries of this schema (ts_…); repeatable.", show_default=False)] = None,
    since: Annotated[str | None, typer.Option(help="Entries modified at or after this date or time (UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        help="Entries modified before this date or time (default: when the backfill first started).")] = None,
    entry: Annotated[list[str] | None, typer.Option("--entry", help="Only these entry ids (etr_…); repeatable.",
                                                    show_default=False)] = None,
    app_id: Annotated[str | None, typer.Option(
        "--app-id", help="The installation (app_…) whose App Configuration applies: scope, package prefix, "
                         "metadata key. Without it the deployment's defaults apply.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List and count only: queue nothing, write nothing; "
                                                            "show a sample of what would be queued.")] = False,
    rate: Annotated[float | None, typer.Option(
        "--rate", min=0.01, help="Queue at most this many entries per second (default: as fast as the "
                                 "workers' API budget takes them).")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return once everything is queued.")] = False,
    restart: Annotated[bool, typer.Option("--restart", help="Ignore the checkpoint and start a new run.")] = False,
    json_: JsonOpt = False,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Package the entries that existed before the app: list them in Benchling and queue each one for the
    deployed workers, which package it at the stack's API budget and only while no webhook waits.

    Filters (--project, --folder, --schema: repeatable ids) combine. Stop it any time: the same command
    resumes from its checkpoint and queues nothing twice.
    """
    from benchling_webhook.backfill.factory import BackfillOptions, create_backfill
    from benchling_webhook.backfill.listing import EntryFilter
    from benchling_webhook.cli.render_backfill import BackfillProgressView, render_backfill_summary
    from benchling_webhook.errors import BackfillError

    cli = get_context(ctx)
    config = cli.store.load(profile)
    region = cli.resolve_region(region, aws_profile, config.deployment.region).name
    entry_filter = EntryFilter(tuple(project or ()), tuple(folder or ()), tuple(schema or ()), _when(since),
                               _when(until), tuple(entry or ()))
    options = BackfillOptions(entry_filter, app_id, dry_run, rate, wait=not no_wait, restart=restart)
    if app_id is None:
        cli.console.warning("no --app-id: the deployment's default scope and package prefix apply, not the "
                            "installation's App Configuration")
    directory = cli.store.profile_dir(profile) / "backfill"
    run, client = create_backfill(profile, config, options, aws_client=lambda s: cli.aws_client(s, aws_profile, region),
                                  checkpoint_dir=directory)
    with client, BackfillProgressView(cli.console) as view:
        try:
            for progress in run.iter_progress():
                view.update(progress)
        except KeyboardInterrupt:
            raise BackfillError("interrupted", exit_code=130, hint="run the same command again to resume: "
                                "nothing is queued twice") from None
    checkpoint = None if dry_run else str(directory / f"{run.fingerprint}.json")
    if json_:
        cli.console.json({**progress.to_dict(), "checkpoint": checkpoint})
    else:
        cli.console.render(render_backfill_summary(progress, checkpoint))
    if progress.failed:
        raise BackfillError(f"{progress.failed} entries could not be packaged",
                            hint="their events are in the inbox's dead-letter queue; the reasons are listed above")
