"""Backfill events through the real consumer: moto SQS (inbox, backfill queue, DLQ), the sandbox, moto S3."""

from __future__ import annotations

from typing import Any

import pytest

from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.tenant import RateLimit, generate_tenant
from benchling_webhook.server.backfill import Outcome, backfill_message, deduplication_id, iter_outcomes, read_reason
from benchling_webhook.server.settings import ServerSettings
from tests.functional.worker.backfill_support import Deployed
from tests.functional.worker.conftest import BUCKET, ENTRY_ID, consume_until, entry_event, revisions, send
from tests.helpers import queue_depth

RUN = "run-1"


@pytest.fixture
def queues(deployed: Deployed) -> tuple[Any, ServerSettings]:
    """moto's inbox, backfill queue and dead-letter queue, and the worker's settings for them."""
    return deployed.sqs, deployed.settings


def queue_backfill(sqs: Any, settings: ServerSettings, sandbox: SandboxServer, *entry_ids: str) -> None:
    """What ``benchling-webhook backfill`` sends: one message per entry on the backfill queue."""
    for entry_id in entry_ids:
        body = backfill_message(run_id=RUN, entry_id=entry_id, base_url=sandbox.url, app_id="app_Zf3kQ8wLm2Xv",
                                app_definition_id=sandbox.state.app_definition_id).to_body()
        sqs.send_message(QueueUrl=settings.backfill_queue_url, MessageBody=body, MessageGroupId=entry_id,
                         MessageDeduplicationId=deduplication_id(RUN, entry_id))


def outcomes(s3: Any) -> dict[str, Outcome]:
    return dict(iter_outcomes(s3, BUCKET, RUN))


def test_a_backfilled_entry_is_packaged_then_unchanged_on_a_second_run(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    queue_backfill(sqs, settings, sandbox, ENTRY_ID)
    consume_until(settings, lambda c: len(outcomes(s3)) == 1)
    assert outcomes(s3) == {ENTRY_ID: Outcome.PACKAGED}
    assert len(revisions(s3)) == 1

    sqs.purge_queue(QueueUrl=settings.backfill_queue_url)
    body = backfill_message(run_id=RUN, entry_id=ENTRY_ID, base_url=sandbox.url, app_id=None,
                            app_definition_id=sandbox.state.app_definition_id).to_body()
    sqs.send_message(QueueUrl=settings.backfill_queue_url, MessageBody=body, MessageGroupId=ENTRY_ID,
                     MessageDeduplicationId="second-run")
    consume_until(settings, lambda c: c.backfill is not None and c.backfill.stats["succeeded"] == 1)
    assert len(revisions(s3)) == 1  # the same content makes no new revision
    assert s3.head_object(Bucket=BUCKET, Key=f".benchling-webhook/backfill/{RUN}/{ENTRY_ID}/unchanged")


def test_archived_and_unreadable_entries_are_reported_and_skipped_never_dead_lettered(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    tenant = generate_tenant(sandbox.state.api, 6, archived_every=3)
    sandbox.state.api.entry_status[tenant.entry_ids[0]] = 403
    queue_backfill(sqs, settings, sandbox, *tenant.entry_ids, "etr_missing")
    consumer = consume_until(settings, lambda c: len(outcomes(s3)) == 7)
    found = outcomes(s3)
    assert found == {tenant.entry_ids[0]: Outcome.SKIPPED, tenant.entry_ids[1]: Outcome.PACKAGED,
                     tenant.entry_ids[2]: Outcome.SKIPPED, tenant.entry_ids[3]: Outcome.PACKAGED,
                     tenant.entry_ids[4]: Outcome.PACKAGED, tenant.entry_ids[5]: Outcome.SKIPPED,
                     "etr_missing": Outcome.SKIPPED}
    assert read_reason(s3, BUCKET, RUN, tenant.entry_ids[2], Outcome.SKIPPED) == "the entry is archived"
    assert "HTTP 403" in read_reason(s3, BUCKET, RUN, tenant.entry_ids[0], Outcome.SKIPPED)
    assert "HTTP 404" in read_reason(s3, BUCKET, RUN, "etr_missing", Outcome.SKIPPED)
    assert queue_depth(sqs, settings.inbox_dlq_url) == 0 and queue_depth(sqs, settings.backfill_queue_url) == 0
    assert consumer.backfill is not None and consumer.backfill.stats["dead_lettered"] == 0
    assert sandbox.state.api.export_count(tenant.entry_ids[2]) == 0  # archived: nothing exported


def test_live_events_go_first_and_backfill_waits_for_an_idle_inbox(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    tenant = generate_tenant(sandbox.state.api, 12)
    queue_backfill(sqs, settings, sandbox, *tenant.entry_ids)
    send(sqs, settings, entry_event(sandbox))  # a live webhook waiting beside a dozen backfill entries
    consume_until(settings, lambda c: len(outcomes(s3)) == 12)
    with sandbox.state.api.lock:
        exports = list(sandbox.state.api.exports)
    assert exports[0] == ENTRY_ID  # the live entry was exported before any backfilled one
    assert len(exports) == 13 and queue_depth(sqs, settings.inbox_queue_url) == 0


def test_a_rate_limited_tenant_gives_no_failures(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    settings = settings.model_copy(update={"benchling_api_rate": 40.0})  # eight times what the tenant allows
    tenant = generate_tenant(sandbox.state.api, 20)
    limit = RateLimit(limit=5, window_seconds=1.0)
    sandbox.state.api.rate_limit = limit
    sandbox.state.api.inject_rate_limit(5, reset_seconds=0.5)  # and another app took the window at first
    queue_backfill(sqs, settings, sandbox, *tenant.entry_ids)
    consumer = consume_until(settings, lambda c: len(outcomes(s3)) == 20, timeout=90)
    assert set(outcomes(s3).values()) == {Outcome.PACKAGED}
    assert consumer.backfill is not None and consumer.backfill.stats["dead_lettered"] == 0
    assert queue_depth(sqs, settings.inbox_dlq_url) == 0
    assert sandbox.state.api.rate_limited == 0  # the five 429s were met, and retried
    assert limit.refused == 0  # after them the worker kept to the tenant's window (its headers)
    assert limit.served >= 20 * 3  # entry, export, task poll per entry


def test_an_entry_handled_twice_counts_once_as_its_best_outcome(s3: Any) -> None:
    for entry_id, outcome in (("etr_1", "failed"), ("etr_1", "packaged"), ("etr_2", "unchanged"),
                              ("etr_2", "skipped"), ("etr_3", "skipped")):
        s3.put_object(Bucket=BUCKET, Key=f".benchling-webhook/backfill/{RUN}/{entry_id}/{outcome}", Body=b"")
    assert outcomes(s3) == {"etr_1": Outcome.PACKAGED, "etr_2": Outcome.UNCHANGED, "etr_3": Outcome.SKIPPED}
