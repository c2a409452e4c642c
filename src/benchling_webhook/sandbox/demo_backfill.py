"""The demo's backfill chapter (``demo --backfill N``): N older entries packaged at the sandbox's API budget
while a live webhook keeps its speed.

The sandbox gets N generated entries (``sandbox/tenant.py``) and a budget of ``DEMO_API_RATE`` requests a
second (429 past it); the server runs with the same ``BENCHLING_API_RATE``. The chapter runs the same
``BackfillRun`` as ``benchling-webhook backfill`` against the local queue and bucket, and halfway through
edits the demo entry and sends its webhook: the step reports how long that took from acknowledgement to
package revision, the share of the budget the backfill used and how many 429s it met.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from benchling_webhook.backfill.checkpoint import CheckpointStore
from benchling_webhook.backfill.factory import BackfillOptions, create_run
from benchling_webhook.backfill.listing import EntryFilter
from benchling_webhook.backfill.sender import Installation
from benchling_webhook.constants import EnvVars
from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from benchling_webhook.sandbox.apps import CONFIGURATION_UPDATED
from benchling_webhook.sandbox.canvases import DEFAULT_APP_ID
from benchling_webhook.sandbox.tenant import RateLimit, generate_tenant
from benchling_webhook.server.benchling.client import BenchlingClient

if TYPE_CHECKING:
    from benchling_webhook.backfill.run import BackfillProgress
    from benchling_webhook.sandbox.demo import DemoDriver, DemoStep

DEMO_API_RATE = 20
# What the server process needs for the chapter: the budget, and enough run slots to use it.
BACKFILL_SERVER_ENV = {EnvVars.BENCHLING_API_RATE: str(DEMO_API_RATE), EnvVars.WORKER_CONCURRENCY: "8"}


def backfill_chapter(d: DemoDriver, count: int,
                     on_progress: Callable[[BackfillProgress], None] | None = None) -> DemoStep:
    """Run the chapter; ``on_progress`` sees every snapshot of the backfill (the CLI's progress bar)."""
    from benchling_webhook.sandbox.demo import DISPLAY_ID, ENTRY_ID, DemoStep, package_field

    assert d.env.sandbox is not None and d.aws.backfill_url is not None
    api = d.sandbox.api
    step = DemoStep(f"Backfill of {count} older entries", f"The tenant holds {count} entries from before the app "
                    "was installed. `benchling-webhook backfill` lists them and queues each one; the worker packages "
                    f"them at the tenant's budget ({DEMO_API_RATE} requests/s here) and only while no webhook waits. "
                    f"Halfway, a scientist edits {DISPLAY_ID}: its webhook goes first.")
    # The admin clears the previous chapter's skip list, so the demo entry is packaged again when edited.
    d.sandbox.apps.configure(DEFAULT_APP_ID, {"Entry schemas to skip": None})
    step.deliveries.append(d.send(dict(CONFIGURATION_UPDATED), path="/lifecycle"))
    generate_tenant(api, count)
    limit = RateLimit(limit=DEMO_API_RATE * 5, window_seconds=5.0)
    api.rate_limit = limit
    started, before = time.monotonic(), d.exports()
    sent_at: float | None = None
    live_seconds: float | None = None
    value = "41.5"
    with tempfile.TemporaryDirectory(prefix="benchling-webhook-backfill-") as tmp, \
            BenchlingClient(d.env.sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET) as client:
        older = EntryFilter(until=datetime(2026, 1, 1, tzinfo=UTC))  # the generated entries, not the demo's own
        run = create_run(client, BackfillOptions(older, app_id=DEFAULT_APP_ID),
                         installation=Installation(d.env.sandbox.url, d.sandbox.app_definition_id, DEFAULT_APP_ID),
                         sqs=d.sqs, queue_url=d.aws.backfill_url, s3=d.s3, bucket=d.aws.bucket,
                         checkpoints=CheckpointStore(Path(tmp)), poll_interval=0.5)
        for progress in run.iter_progress():
            if on_progress is not None:
                on_progress(progress)
            if sent_at is None and progress.finished >= count // 2:
                api.update_field(ENTRY_ID, "Temperature (C)", value)
                step.deliveries.append(d.send({"type": "v2.entry.updated.fields", "resourceId": ENTRY_ID,
                                               "updates": ["fields.Temperature (C)"]}))
                sent_at = time.monotonic()
            if sent_at is not None and live_seconds is None and package_field(d, "Temperature (C)") == value:
                live_seconds = time.monotonic() - sent_at
    seconds = time.monotonic() - started
    if sent_at is not None and live_seconds is None:
        d.wait("the live edit to reach its package", lambda: package_field(d, "Temperature (C)") == value)
        live_seconds = time.monotonic() - sent_at
    api.rate_limit = None
    used = limit.served / (limit.rate * seconds) if seconds else 0.0
    step.notes += [
        f"{progress.packaged} packaged, {progress.unchanged} unchanged, {progress.skipped} skipped, "
        f"{progress.failed} failed in {seconds:.1f} s",
        f"Benchling API: {limit.served} calls in {seconds:.1f} s = {used:.0%} of the budget; "
        f"{limit.refused} answered 429, none of them a failure" if not progress.failed else
        f"Benchling API: {limit.served} calls, {limit.refused} answered 429",
        f"the live edit of {DISPLAY_ID} was packaged {live_seconds:.1f} s after its webhook was acknowledged"
        if live_seconds is not None else "no live edit was sent"]
    step.ok = progress.done and progress.failed == 0 and progress.packaged == count
    return d.snapshot(step, before, started)
