"""The processor as the consumer drives it: coalescing, failures, packager mode, canvas hand-off."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import quilt3

from benchling_webhook.errors import ExportError, PermanentFailure
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.protocol import CanvasPlan, PackageResult
from tests.functional.worker.conftest import (
    BUCKET,
    DISPLAY_ID,
    ENTRY_ID,
    PACKAGE,
    PREFIX,
    create,
    entry_event,
    handle,
    inbox_message,
    keys,
    read_json,
    revisions,
)
from tests.helpers import load_fixture, until


def _burst(sandbox: SandboxServer, settings: ServerSettings, count: int, gap: float) -> list[Any]:
    """``count`` field edits, each followed by its webhook, ``gap`` seconds apart; handled concurrently."""

    async def scenario() -> list[Any]:
        processor = create(settings)
        calls = []
        try:
            for i in range(count):
                sandbox.state.api.update_field(ENTRY_ID, "Temperature (C)", 30.0 + i)
                calls.append(asyncio.create_task(processor.handle(entry_event(sandbox))))
                await asyncio.sleep(gap)
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await processor.aclose()

    return asyncio.run(scenario())


def test_a_burst_of_50_field_updates_coalesces_into_at_most_two_exports(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    settings = settings.model_copy(update={"coalesce_quiet_seconds": 0.3, "coalesce_max_seconds": 3.0})
    assert _burst(sandbox, settings, 50, 0.02) == [None] * 50
    assert sandbox.state.api.export_count(ENTRY_ID) <= 2
    assert len(revisions(s3)) <= 2
    assert read_json(s3, PREFIX + "entry.json")["fields"]["Temperature (C)"]["value"] == 79.0


def test_events_during_a_run_cause_exactly_one_rerun_with_the_last_state(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    sandbox.state.api.export_delay_seconds = 1.0  # the first run is still exporting while edits go on

    async def scenario() -> list[Any]:
        processor = create(settings)
        try:
            calls = [asyncio.create_task(_edit_and_handle(sandbox, processor, i)) for i in range(10)]
            await until(lambda: sandbox.state.api.export_count() == 1, "the first export")
            calls += [asyncio.create_task(_edit_and_handle(sandbox, processor, i)) for i in range(10, 30)]
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await processor.aclose()

    assert asyncio.run(scenario()) == [None] * 30
    assert sandbox.state.api.export_count(ENTRY_ID) == 2
    assert len(revisions(s3)) == 2
    latest = quilt3.Package.browse(PACKAGE, registry=f"s3://{BUCKET}")
    assert latest.meta["fields"]["Temperature (C)"]["value"] == 59.0


async def _edit_and_handle(sandbox: SandboxServer, processor: Any, i: int) -> None:
    sandbox.state.api.update_field(ENTRY_ID, "Temperature (C)", 30.0 + i)
    await processor.handle(entry_event(sandbox))


def test_different_entries_are_packaged_in_parallel(sandbox: SandboxServer, settings: ServerSettings,
                                                    s3: Any) -> None:
    second = json.loads(json.dumps(sandbox.state.api.entries[ENTRY_ID]))
    second.update(id="etr_Zz99Yy88", displayId="EXP26000043", name="Second entry", days=[])
    sandbox.state.api.add_entry(second)
    sandbox.state.api.export_delay_seconds = 0.5
    assert handle(settings, entry_event(sandbox), entry_event(sandbox, "etr_Zz99Yy88")) == [None, None]
    assert {k for k in keys(s3, "benchling/") if k.endswith("/entry.json")} == {
        f"{DISPLAY_ID}/entry.json", "EXP26000043/entry.json"}
    first, second = (task.created for task in sandbox.state.api.tasks.values())
    assert abs(first - second) < 0.5  # the second export started while the first was still running


def test_rate_limits_are_waited_out(sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    sandbox.state.api.inject_rate_limit(3, reset_seconds=0)
    assert handle(settings, entry_event(sandbox)) == [None]
    assert "entry.json" in keys(s3)


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_deleted_or_unshared_entry_is_a_permanent_failure(sandbox: SandboxServer, settings: ServerSettings,
                                                          s3: Any, status: int) -> None:
    sandbox.state.api.entry_status[ENTRY_ID] = status
    (outcome,) = handle(settings, entry_event(sandbox))
    assert isinstance(outcome, PermanentFailure)
    assert f"HTTP {status} for entry {ENTRY_ID}" in str(outcome)
    assert keys(s3) == set()


def test_failed_export_is_retried_then_succeeds(sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    sandbox.state.api.fail_next_exports(2)
    assert handle(settings, entry_event(sandbox)) == [None]
    assert sandbox.state.api.export_count() == 3


def test_export_failing_every_time_goes_back_to_the_inbox(sandbox: SandboxServer, settings: ServerSettings,
                                                         s3: Any) -> None:
    sandbox.state.api.fail_next_exports(10)
    (outcome,) = handle(settings, entry_event(sandbox))
    assert isinstance(outcome, ExportError) and not isinstance(outcome, PermanentFailure)
    assert "being edited" in str(outcome)
    assert sandbox.state.api.export_count() == 3


def test_lifecycle_and_unknown_events_need_no_work(sandbox: SandboxServer, settings: ServerSettings) -> None:
    messages = [inbox_message(sandbox, load_fixture(f"benchling/webhooks/{name}")["message"]) for name in
                ("app-installed.json", "unsubscribed-assay-run-created.json")]
    assert handle(settings, *messages) == [None, None]
    assert sandbox.state.api.export_count() == 0


def _simulate_quilt_packager(s3: Any, body: dict[str, Any]) -> None:
    """What the Quilt stack's packager does with our message (it runs in the Quilt stack, not here):
    package everything under the prefix, with the metadata read from ``metadata_uri``."""
    prefix = body["source_prefix"].removeprefix("s3://").partition("/")[2]
    package = quilt3.Package().set_dir(".", body["source_prefix"])
    package.set_meta(read_json(s3, prefix + body["metadata_uri"]))
    package.push(body["package_name"], registry=f"s3://{body['registry']}", message=body["commit_message"],
                 force=True)


def test_packager_mode_sends_the_exact_message_once_per_change(
        aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="quilt-packager")["QueueUrl"]
    settings = settings.model_copy(update={"packager_sqs_url": queue})

    assert handle(settings, entry_event(sandbox)) == [None]
    (sent,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(sent["Body"])
    assert body == {"source_prefix": f"s3://{BUCKET}/{PREFIX}", "registry": BUCKET, "package_name": PACKAGE,
                    "metadata_uri": "entry.json",
                    "commit_message": f"Benchling {DISPLAY_ID}: CRISPR knock-out screen, plate 3 "
                                      "(modified 2026-11-20T14:07:44.512000+00:00)"}
    assert not keys(s3, ".quilt/")  # the packager, not us, writes the manifest

    _simulate_quilt_packager(s3, body)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=sent["ReceiptHandle"])
    assert handle(settings, entry_event(sandbox)) == [None]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)
    assert sandbox.state.api.export_count() == 1


def test_the_workflow_goes_into_the_packager_message(aws: MotoServer, sandbox: SandboxServer,
                                                     settings: ServerSettings) -> None:
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="quilt-packager")["QueueUrl"]
    settings = settings.model_copy(update={"packager_sqs_url": queue, "quilt_workflow": "alpha"})
    assert handle(settings, entry_event(sandbox)) == [None]
    (sent,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(sent["Body"])["workflow"] == "alpha"


def test_direct_mode_pushes_through_the_workflow(sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=".quilt/workflows/config.yml", Body=(
        b"version: '1'\nis_workflow_required: false\nworkflows:\n  alpha:\n    name: Alpha\n"
        b"    is_message_required: true\n"))
    settings = settings.model_copy(update={"quilt_workflow": "alpha"})
    assert handle(settings, entry_event(sandbox)) == [None]
    top_hash = s3.get_object(Bucket=BUCKET, Key=f".quilt/named_packages/{PACKAGE}/latest")["Body"].read().decode()
    header = json.loads(s3.get_object(Bucket=BUCKET, Key=f".quilt/packages/{top_hash}")["Body"].readline())
    assert header["workflow"]["id"] == "alpha"
    assert header["workflow"]["config"].startswith(f"s3://{BUCKET}/.quilt/workflows/config.yml")

    sandbox.state.api.update_field(ENTRY_ID, "Hypothesis", "x")
    (outcome,) = handle(settings.model_copy(update={"quilt_workflow": "gamma"}), entry_event(sandbox))
    assert outcome is not None and "gamma" in str(outcome)  # quilt3 refuses a workflow the bucket lacks


class RecordingHooks:
    """A stand-in for the canvas side that records the calls the processor makes (the contract)."""

    def __init__(self, plan: CanvasPlan) -> None:
        self.plan = plan
        self.calls: list[tuple[str, Any]] = []

    async def begin(self, message: InboxMessage) -> CanvasPlan:
        self.calls.append(("begin", message.envelope.message.type))
        return self.plan

    async def finish(self, plan: CanvasPlan, result: PackageResult | None, error: BaseException | None) -> None:
        self.calls.append(("finish", (plan.canvas_id, result.package_name if result else None,
                                      type(error).__name__ if error else None)))


def test_canvas_event_packages_between_begin_and_finish(sandbox: SandboxServer, settings: ServerSettings,
                                                        s3: Any) -> None:
    hooks = RecordingHooks(CanvasPlan(entry_id=ENTRY_ID, canvas_id="cnvs_new", needs_package=True))
    message = inbox_message(sandbox, load_fixture("benchling/webhooks/canvas-created.json")["message"])
    assert handle(settings, message, canvas_hooks=hooks) == [None]
    assert hooks.calls == [("begin", "v2.canvas.created"), ("finish", ("cnvs_new", PACKAGE, None))]
    assert read_json(s3, PREFIX + "entry.json")["canvas_id"] == "cnvs_new"


def test_canvas_navigation_needs_no_package_but_still_finishes(sandbox: SandboxServer,
                                                               settings: ServerSettings) -> None:
    hooks = RecordingHooks(CanvasPlan(entry_id=ENTRY_ID, canvas_id="cnvs_Hq7Tz3Lp", needs_package=False))
    message = inbox_message(sandbox, load_fixture("benchling/webhooks/canvas-user-interacted.json")["message"])
    assert handle(settings, message, canvas_hooks=hooks) == [None]
    assert hooks.calls == [("begin", "v2.canvas.userInteracted"), ("finish", ("cnvs_Hq7Tz3Lp", None, None))]
    assert sandbox.state.api.export_count() == 0


def test_canvas_sees_the_failure_and_the_event_dead_letters(sandbox: SandboxServer,
                                                           settings: ServerSettings) -> None:
    sandbox.state.api.entry_status[ENTRY_ID] = 404
    hooks = RecordingHooks(CanvasPlan(entry_id=ENTRY_ID, canvas_id="cnvs_Hq7Tz3Lp", needs_package=True))
    message = inbox_message(sandbox, load_fixture("benchling/webhooks/canvas-created.json")["message"])
    (outcome,) = handle(settings, message, canvas_hooks=hooks)
    assert isinstance(outcome, PermanentFailure)
    assert hooks.calls[-1] == ("finish", ("cnvs_Hq7Tz3Lp", None, "PermanentFailure"))


def test_entry_events_update_the_entrys_canvas_once_per_run(sandbox: SandboxServer, settings: ServerSettings,
                                                            s3: Any) -> None:
    hooks = RecordingHooks(CanvasPlan(entry_id=None, canvas_id=None, needs_package=False))
    assert handle(settings, *(entry_event(sandbox) for _ in range(5)), canvas_hooks=hooks) == [None] * 5
    assert hooks.calls == [("finish", ("cnvs_Hq7Tz3Lp", PACKAGE, None))]
