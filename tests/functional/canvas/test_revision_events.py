"""Quilt Platform mode, end to end: a package-revision event on the queue → the canvas shows the new revision.

The worker's revision consumer drains a real (moto) queue, reads the real manifest in moto's S3 and PATCHes
the canvas in the Benchling sandbox over HTTP. The event is the one Quilt documents
(``tests/fixtures/quilt/package-revision.json``) with our bucket, package and top hash.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.canvases import DEFAULT_APP_ID, render_text
from benchling_webhook.sandbox.environment import seed_revision_events
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.sandbox.packager import SandboxPackager
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.canvas.hooks import PackageCanvasHooks
from benchling_webhook.server.canvas.state import CanvasState, View
from benchling_webhook.server.quilt.manifest import ManifestReader
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.package import QueuePackager
from benchling_webhook.server.worker.pipeline import EntryPipeline
from benchling_webhook.server.worker.processor import EntryEventProcessor, create_processor
from benchling_webhook.server.worker.protocol import CanvasPlan, PackageResult
from benchling_webhook.server.worker.revisions import RevisionEventConsumer, RevisionEventHandler
from tests.functional.canvas.conftest import BUCKET, DISPLAY_ID, ENTRY_ID, PACKAGE, inbox, seed_canvas, shown
from tests.functional.canvas.registry import write_package
from tests.helpers import load_fixture, queue_depth, run_consumer_until

META = {"entry_id": ENTRY_ID, "display_id": DISPLAY_ID, "canvas_id": "cnvs_Hq7Tz3Lp", "experiment_id": DISPLAY_ID}


def event(top_hash: str, *, bucket: str = BUCKET, handle: str = PACKAGE) -> str:
    body = load_fixture("quilt/package-revision.json")
    body["detail"].update(bucket=bucket, handle=handle, topHash=top_hash)
    return json.dumps(body)


@pytest.fixture
def queue(aws: MotoServer) -> str:
    return str(aws.client("sqs").create_queue(QueueName="revision-events")["QueueUrl"])


@pytest.fixture
def settings(settings: ServerSettings, queue: str) -> ServerSettings:
    """The worker in Quilt Platform mode: its canvases know that revision events refresh them."""
    return settings.model_copy(update={"revision_events_queue_url": queue})


def consumer(settings: ServerSettings, hooks: PackageCanvasHooks, s3: Any, queue: str) -> RevisionEventConsumer:
    handler = RevisionEventHandler(ManifestReader(s3, BUCKET), hooks, bucket=BUCKET, prefix="benchling")
    return RevisionEventConsumer(handler, queue, settings, wait_time_seconds=1)


def drain(target: RevisionEventConsumer, count: int) -> None:
    asyncio.run(run_consumer_until(target, lambda: target.stats["received"] >= count))


def test_an_event_on_the_queue_patches_the_canvas_with_the_new_revision(
        aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, hooks: PackageCanvasHooks, s3: Any,
        queue: str) -> None:
    write_package(s3, BUCKET, PACKAGE, 2, meta=META)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.UPDATING).to_data())
    new = write_package(s3, BUCKET, PACKAGE, 3, meta=META, message="the packager's revision")
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=event(new))

    target = consumer(settings, hooks, s3, queue)
    drain(target, 1)

    (patch,) = sandbox.state.canvases.history(canvas)
    text = render_text(patch["blocks"])
    assert f"revision `{new[:12]}`" in text and "3 files" in text and "updating" not in text
    assert patch["enabled"] is True
    assert CanvasState.from_data(patch["data"], ENTRY_ID).view is View.MAIN
    assert target.stats == {"received": 1, "refreshed": 1, "ignored": 0, "failed": 0}
    assert queue_depth(aws.client("sqs"), queue) == 0


def test_a_stale_event_changes_nothing(aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings,
                                       hooks: PackageCanvasHooks, s3: Any, queue: str) -> None:
    old = write_package(s3, BUCKET, PACKAGE, 2, meta=META)
    write_package(s3, BUCKET, PACKAGE, 3, meta=META)  # a newer revision is the latest already
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    before = sandbox.state.canvases.get(canvas)
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=event(old))

    target = consumer(settings, hooks, s3, queue)
    drain(target, 1)

    assert sandbox.state.canvases.history(canvas) == []
    assert sandbox.state.canvases.get(canvas) == before
    assert not [p for _, p in sandbox.state.requests if p.startswith("/api/v2/app-canvases")]
    assert target.stats["ignored"] == 1 and queue_depth(aws.client("sqs"), queue) == 0


def test_the_view_the_user_is_on_is_kept(aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings,
                                         hooks: PackageCanvasHooks, s3: Any, queue: str) -> None:
    new = write_package(s3, BUCKET, PACKAGE, 40, meta=META)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.BROWSE, page=2).to_data())
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=event(new))
    drain(consumer(settings, hooks, s3, queue), 1)
    assert "Files 31-40 of 40 (page 3 of 3)" in shown(sandbox, canvas)


def test_only_the_package_buckets_events_under_the_prefix_reach_the_worker(
        aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, hooks: PackageCanvasHooks,
        s3: Any) -> None:
    _, queue = seed_revision_events(aws, BUCKET, "benchling")
    new = write_package(s3, BUCKET, PACKAGE, 1, meta=META)
    other = write_package(s3, BUCKET, "analysis/screen", 1, meta=META)
    seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.UPDATING).to_data())
    bus = aws.client("events")
    for body in (event(new, bucket="another-bucket"), event(other, handle="analysis/screen"), event(new)):
        detail = json.loads(body)
        bus.put_events(Entries=[{"Source": detail["source"], "DetailType": detail["detail-type"],
                                 "Detail": json.dumps(detail["detail"])}])
    assert queue_depth(aws.client("sqs"), queue) == 1  # the rule let only ours through

    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=event(new, bucket="another-bucket"))
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=event(other, handle="analysis/screen"))
    target = consumer(settings, hooks, s3, queue)
    drain(target, 3)
    assert (target.stats["refreshed"], target.stats["ignored"]) == (1, 2)  # and the worker checks again


def test_a_failed_refresh_is_left_to_sqs_and_a_deleted_canvas_is_not(
        aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, hooks: PackageCanvasHooks, s3: Any,
        queue: str) -> None:
    new = write_package(s3, BUCKET, PACKAGE, 1, meta=META)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    sandbox.state.canvases.fail_next_patches = 100
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody=event(new))
    target = consumer(settings, hooks, s3, queue)
    drain(target, 1)
    assert target.stats["failed"] == 1 and queue_depth(sqs, queue) == 1  # delivered again after the timeout

    sqs.purge_queue(QueueUrl=queue)
    with sandbox.state.canvases.lock:
        del sandbox.state.canvases.canvases[canvas]  # the user removed the canvas
    sqs.send_message(QueueUrl=queue, MessageBody=event(new))
    gone = consumer(settings, hooks, s3, queue)
    drain(gone, 1)
    assert gone.stats["ignored"] == 1 and queue_depth(sqs, queue) == 0


def test_packager_mode_the_canvas_follows_the_packager_without_a_click(
        aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, hooks: PackageCanvasHooks,
        client: BenchlingClient, s3: Any) -> None:
    packager_url, queue = seed_revision_events(aws, BUCKET, "benchling")
    packager = SandboxPackager(aws, packager_url).start()
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    sandbox.state.api.place_canvas(ENTRY_ID, canvas, "app_Zf3kQ8wLm2Xv", "quilt_entry")
    pipeline = EntryPipeline(client=lambda: client, s3=s3, bucket=BUCKET, prefix="benchling",
                             metadata_key="experiment_id", packager=QueuePackager(aws.client("sqs"), packager_url),
                             export_timeout=20)
    pipeline.export_first_poll = 0.05
    processor = EntryEventProcessor(pipeline, canvas_hooks=hooks, quiet=0.05, max_wait=1, concurrency=1)
    target = consumer(settings, hooks, s3, queue)

    entry_event = inbox(sandbox.state.envelope(load_fixture("benchling/webhooks/entry-updated-fields.json")[
        "message"]))

    async def scenario() -> None:
        await processor.handle(entry_event)
        await run_consumer_until(target, lambda: target.stats["refreshed"] >= 1, timeout=30)
        await processor.aclose()

    try:
        asyncio.run(scenario())
    finally:
        packager.stop()
    texts = [render_text(p["blocks"]) for p in sandbox.state.canvases.history(canvas)]
    top_hash = packager.emitted[-1]["topHash"]
    assert "The Quilt packager is creating the new revision; this canvas shows it as soon as it exists." in texts[0]
    assert f"revision `{top_hash[:12]}`" in texts[-1] and "updating" not in texts[-1]


def test_a_refresh_renders_for_the_canvas_installation(
        aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, client: BenchlingClient, s3: Any,
        queue: str) -> None:
    sandbox.state.apps.configure(DEFAULT_APP_ID, {"Canvas note": "Questions? Ask the data team."})
    new = write_package(s3, BUCKET, PACKAGE, 2, meta=META)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.UPDATING).to_data())
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=event(new))
    processor = create_processor(settings, s3=s3, client_provider=lambda: client)
    assert isinstance(processor.canvas_hooks, PackageCanvasHooks)
    target = consumer(settings, processor.canvas_hooks, s3, queue)

    async def scenario() -> None:
        await run_consumer_until(target, lambda: target.stats["refreshed"] >= 1)
        await processor.aclose()

    asyncio.run(scenario())
    text = shown(sandbox, canvas)
    assert f"revision `{new[:12]}`" in text and "📌 Questions? Ask the data team." in text


def test_an_installation_with_its_own_prefix_is_told_to_press_update(
        sandbox: SandboxServer, settings: ServerSettings, client: BenchlingClient, s3: Any) -> None:
    """The stack routes the events of the deployment's prefix only: another prefix's canvas is not promised one."""
    sandbox.state.apps.configure(DEFAULT_APP_ID, {"Package name prefix": "screens"})
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.UPDATING).to_data())
    processor = create_processor(settings, s3=s3, client_provider=lambda: client)
    hooks = processor.canvas_hooks
    assert isinstance(hooks, PackageCanvasHooks)
    plan = CanvasPlan(entry_id=ENTRY_ID, canvas_id=canvas, needs_package=True, app_id=DEFAULT_APP_ID)
    result = PackageResult(entry_id=ENTRY_ID, display_id=DISPLAY_ID, package_name=f"screens/{DISPLAY_ID}",
                           s3_prefix=f"s3://{BUCKET}/screens/{DISPLAY_ID}/", files=(), top_hash=None,
                           revision_created=True, mode="packager")

    async def scenario() -> None:
        await hooks.finish(plan, result, None)
        await processor.aclose()

    asyncio.run(scenario())
    text = shown(sandbox, canvas)
    assert f"screens/{DISPLAY_ID}" in text
    assert "The Quilt packager is creating the new revision; press Update package to refresh." in text
