"""Backfill events and their outcomes: what ``benchling-webhook backfill`` queues and what workers record.

Benchling sends webhooks only for entries created or edited after the app is installed; ``backfill`` lists
the older ones and queues one *backfill event* per entry on the stack's backfill queue
(``BACKFILL_QUEUE_URL``), which workers drain only while the inbox is empty (``worker/runner.py``).

* **Shape.** A backfill event is an ``InboxMessage`` like a webhook's, so the consumer's retries,
  heartbeats and dead-lettering apply unchanged. Its ``message.type`` is ``BACKFILL_EVENT_TYPE``, a type of
  our own that no Benchling webhook carries (the web role would ignore it as unknown); ``resourceId`` is the
  entry, ``backfillRun`` the run, and the envelope's ``app.id`` the installation whose App Configuration
  applies (empty: the deployment's defaults).
* **De-duplication.** On the FIFO backfill queue the deduplication id is ``<run>:<entry>`` hashed, so a
  batch the CLI re-sends after an interruption collapses in SQS's five-minute window; the CLI's checkpoint
  covers longer gaps.
* **Outcomes.** For every backfill event it finishes, a worker writes an empty marker object
  ``<BACKFILL_OUTCOMES_PREFIX><run>/<entry>/<outcome>`` in the package bucket, its reason (if any) as the
  body. The CLI counts them with ``ListObjectsV2`` — one call per 1,000 entries, no state of its own — and
  reads bodies only for the entries it reports as skipped or failed. Markers of one entry sort together,
  so an entry handled twice (SQS delivers at least once) counts once, as its best outcome.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from benchling_webhook.constants import BACKFILL_OUTCOMES_PREFIX
from benchling_webhook.server.events import InboxMessage

log = logging.getLogger(__name__)

BACKFILL_EVENT_TYPE = "benchling-webhook.backfill.entry"
RUN_FIELD = "backfillRun"


class Outcome(StrEnum):
    """What became of one backfilled entry."""

    PACKAGED = "packaged"  # a new package revision
    UNCHANGED = "unchanged"  # the package already holds this state of the entry: no new revision
    SKIPPED = "skipped"  # archived, deleted, not shared with the app, or outside the configured scope
    FAILED = "failed"  # given up on after the inbox's attempts (the event is in the dead-letter queue)


_RANK = {Outcome.FAILED: 0, Outcome.SKIPPED: 1, Outcome.UNCHANGED: 2, Outcome.PACKAGED: 3}


def backfill_message(*, run_id: str, entry_id: str, base_url: str, app_id: str | None,
                     app_definition_id: str, queued_at: datetime | None = None) -> InboxMessage:
    """The backfill event for one entry of run ``run_id``."""
    return InboxMessage.model_validate({
        "webhookId": f"backfill-{run_id}-{entry_id}",
        "receivedAt": (queued_at or datetime.now(UTC)).isoformat(),
        "envelope": {"baseURL": base_url, "app": {"id": app_id or ""},
                     "appDefinition": {"id": app_definition_id}, "channel": "backfill",
                     "message": {"type": BACKFILL_EVENT_TYPE, "resourceId": entry_id, RUN_FIELD: run_id}}})


def backfill_run(message: InboxMessage) -> str | None:
    """The run a backfill event belongs to, or ``None`` for every other event."""
    m = message.envelope.message
    if m.type != BACKFILL_EVENT_TYPE:
        return None
    run = (m.model_extra or {}).get(RUN_FIELD)
    return run if isinstance(run, str) and run else "unknown"


def deduplication_id(run_id: str, entry_id: str) -> str:
    """SQS FIFO deduplication id of one entry in one run (a hash: ids are at most 128 characters)."""
    return hashlib.sha256(f"{run_id}:{entry_id}".encode()).hexdigest()


def outcome_key(run_id: str, entry_id: str, outcome: Outcome) -> str:
    return f"{BACKFILL_OUTCOMES_PREFIX}{run_id}/{entry_id}/{outcome.value}"


class OutcomeRecorder:
    """Writes outcome markers (worker side). Failing to write one is logged, never raised: the entry's
    package is what matters, and the CLI then shows the entry as still pending."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def record(self, run_id: str, entry_id: str, outcome: Outcome, reason: str | None = None) -> None:
        try:
            self._s3.put_object(Bucket=self.bucket, Key=outcome_key(run_id, entry_id, outcome),
                                Body=(reason or "").encode()[:2048], ContentType="text/plain")
        except Exception as exc:  # botocore's errors and connection failures alike
            log.warning("backfill outcome not recorded", extra={
                "run_id": run_id, "entry_id": entry_id, "outcome": outcome.value, "reason": str(exc)})


def iter_outcomes(s3: Any, bucket: str, run_id: str) -> Iterator[tuple[str, Outcome]]:
    """``(entry id, best outcome)`` of every entry of the run with a marker, in key order (streamed)."""
    prefix = f"{BACKFILL_OUTCOMES_PREFIX}{run_id}/"
    current: tuple[str, Outcome] | None = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            entry_id, _, name = item["Key"][len(prefix):].rpartition("/")
            try:
                outcome = Outcome(name)
            except ValueError:
                continue
            if current is not None and current[0] == entry_id:
                if _RANK[outcome] > _RANK[current[1]]:
                    current = (entry_id, outcome)
                continue
            if current is not None:
                yield current
            current = (entry_id, outcome)
    if current is not None:
        yield current


def read_reason(s3: Any, bucket: str, run_id: str, entry_id: str, outcome: Outcome) -> str:
    """The reason a worker gave for a skipped or failed entry ("" when it gave none)."""
    body = s3.get_object(Bucket=bucket, Key=outcome_key(run_id, entry_id, outcome))["Body"].read()
    return bytes(body).decode("utf-8", "replace")
