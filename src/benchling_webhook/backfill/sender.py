"""Where listed entries go: the stack's backfill queue, or — for ``--dry-run`` — nowhere.

A dry run is a different sender, not a different code path: the same listing, filters and counts run,
and ``DryRunSender`` keeps a sample instead of writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from benchling_webhook.aws.errors import service_error
from benchling_webhook.backfill.listing import ListedEntry
from benchling_webhook.errors import BackfillError
from benchling_webhook.server.backfill import backfill_message, deduplication_id

BATCH = 10  # SendMessageBatch's limit
SAMPLE = 10


class EntrySender(Protocol):
    dry_run: bool

    def send(self, entries: list[ListedEntry]) -> None:
        """Queue ``entries`` (at most ``BATCH``); raise ``BackfillError`` if they could not all be queued."""
        ...


@dataclass(frozen=True)
class Installation:
    """What every backfill event's envelope says: the tenant, the app and the installation."""

    base_url: str
    app_definition_id: str
    app_id: str | None


class QueueSender:
    """``SendMessageBatch`` to the FIFO backfill queue: one message per entry, grouped by entry (the
    workers take entries in parallel) and de-duplicated per run and entry."""

    dry_run = False

    def __init__(self, sqs: Any, queue_url: str, run_id: str, installation: Installation) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.run_id = run_id
        self.installation = installation

    def send(self, entries: list[ListedEntry]) -> None:
        batch = []
        for index, entry in enumerate(entries):
            message = backfill_message(run_id=self.run_id, entry_id=entry.id, base_url=self.installation.base_url,
                                       app_id=self.installation.app_id,
                                       app_definition_id=self.installation.app_definition_id)
            batch.append({"Id": str(index), "MessageBody": message.to_body(), "MessageGroupId": entry.id,
                          "MessageDeduplicationId": deduplication_id(self.run_id, entry.id)})
        for _ in range(3):  # entries SQS refused one by one are sent again (dedup makes it safe)
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self.queue_url, Entries=batch)
            except Exception as exc:
                if (refused := service_error(exc)) is None:
                    raise
                raise BackfillError(f"SQS refused the backfill batch: {refused.code}: {refused.message}",
                                    hint=refused.hint or "re-run the same command to resume") from None
            failed = {f["Id"] for f in answer.get("Failed") or []}
            if not failed:
                return
            batch = [b for b in batch if b["Id"] in failed]
            reason = (answer["Failed"][0].get("Message") or answer["Failed"][0].get("Code") or "")
        raise BackfillError(f"SQS refused {len(batch)} backfill messages: {reason}",
                            hint="re-run the same command to resume")


@dataclass
class DryRunSender:
    """Counts what would be queued and keeps the first ``SAMPLE`` entries; writes nothing."""

    dry_run = True
    count: int = 0
    sample: list[ListedEntry] = field(default_factory=list)

    def send(self, entries: list[ListedEntry]) -> None:
        self.count += len(entries)
        self.sample.extend(entries[:max(0, SAMPLE - len(self.sample))])
