"""``benchling-webhook demo``."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import JsonOpt


def demo(
    ctx: typer.Context,
    keep_running: Annotated[bool, typer.Option(
        "--keep-running", help="Leave everything up and print the URLs.")] = False,
    json_: JsonOpt = False,
    burst: Annotated[int, typer.Option("--burst", min=1, max=200, help="Field updates in the burst step.")] = 20,
    port: Annotated[int | None, typer.Option("--port", help="Webhook server port (default: a free one).")] = None,
    packager: Annotated[bool, typer.Option(
        "--packager", help="Quilt Platform mode: a stand-in Quilt packager makes the revisions and announces "
                           "each with a package-revision event, which refreshes the canvas.")] = False,
    backfill: Annotated[int, typer.Option(
        "--backfill", min=0, max=5000, help="End with a backfill of this many generated older entries, at the "
                                            "sandbox's API budget, with a live webhook sent halfway.")] = 0,
) -> None:
    """Run the whole pipeline on this machine: AWS emulator, Benchling sandbox, server and worker.

    Plays a story of real signed webhooks (canvas initialized, entry created, a burst of field updates,
    "Update package" pressed, an admin narrowing the app's configuration) and shows what happened at each
    step. No AWS account or Benchling tenant.
    """
    from benchling_webhook.cli.render import render_demo_step, render_demo_summary
    from benchling_webhook.cli.render_backfill import BackfillProgressView
    from benchling_webhook.sandbox.demo import iter_demo, summarize
    from benchling_webhook.sandbox.demo_backfill import BACKFILL_SERVER_ENV
    from benchling_webhook.sandbox.environment import LocalEnvironment, describe

    cli = get_context(ctx)
    console = cli.console
    with tempfile.TemporaryDirectory(prefix="benchling-webhook-demo-") as tmp, \
            LocalEnvironment(log_dir=Path(tmp), inherited_env=os.environ, packager_mode=packager,
                             extra_env=dict(BACKFILL_SERVER_ENV) if backfill else {}) as env, \
            BackfillProgressView(console) as view:
        started = time.monotonic()
        with console.status("starting the AWS emulator, the Benchling sandbox and the webhook server…"):
            env.start(port=port)
        console.success(f"environment up in {time.monotonic() - started:.1f} s: {env.server.url if env.server else ''}")
        steps = []
        for number, step in enumerate(iter_demo(env, burst=burst, backfill=backfill, on_progress=view.update),
                                      start=1):
            steps.append(step)
            console.render(render_demo_step(number, step))
        summary = summarize(env, steps, time.monotonic() - started)
        if json_:
            console.json(summary.to_dict())
        else:
            console.render(render_demo_summary(summary))
        if keep_running:
            _wait_for_interrupt(console, describe(env))
    if not summary.ok:
        from benchling_webhook.errors import BenchlingWebhookError

        failed = [step.title for step in steps if not step.ok] or ["the package or the canvas is missing"]
        raise BenchlingWebhookError(f"the demo finished with problems: {', '.join(failed)}",
                                    hint="re-run with --keep-running to look at the servers it starts")


def _wait_for_interrupt(console: object, urls: dict[str, object]) -> None:
    from benchling_webhook.cli.console import Console

    assert isinstance(console, Console)
    for key, value in urls.items():
        console.info(f"{key:>18}: {value}")
    console.info("everything is still running; press Ctrl-C to stop and clean up")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.info("stopping…")
