"""``BackfillRun``: list → queue → checkpoint → poll outcomes, as a generator of progress snapshots.

The run lists the entries (``listing.py``), sends them ten at a time to the backfill queue
(``sender.py``) and records its position after every batch (``checkpoint.py``). Packaging happens in the
deployed workers, at the stack's API budget and only while no live event waits; the run follows it by
counting the workers' outcome markers (``server/backfill.py``) until every queued entry has one.

* **Window.** At most ``window`` (300) entries are queued ahead of what the workers finished: a tenant of
  a hundred thousand entries never sits in SQS for days (the queue keeps messages 14 days), stopping the
  CLI stops the backfill within one window, and the queue stays shallow. At the default budget 300 entries
  are many minutes of work, and still seconds at fifty times it, more than the time between two polls.
* **``rate``** (entries per second) paces the queueing below what the budget would allow.
* **Interrupts.** Ctrl-C is held back while a batch is being sent and its checkpoint written, so an
  interrupted run never leaves a sent batch out of its checkpoint: the next run queues nothing twice.
* **Stall.** When nothing finishes for ``stall_timeout`` seconds the run stops with a hint (are the
  workers running?); running the command again resumes.

``iter_progress()`` never prints; the CLI renders each ``BackfillProgress`` it yields.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from benchling_webhook.backfill.checkpoint import Checkpoint, CheckpointStore
from benchling_webhook.backfill.listing import Cursor, EntryLister, ListedEntry
from benchling_webhook.backfill.sender import BATCH, DryRunSender, EntrySender
from benchling_webhook.errors import BackfillError
from benchling_webhook.server.backfill import Outcome, iter_outcomes, read_reason

MAX_PROBLEMS = 20


@dataclass
class BackfillProgress:
    """One snapshot of a run (counts since the run first started, resumes included)."""

    run_id: str
    dry_run: bool = False
    resumed: bool = False
    listed: int = 0
    queued: int = 0
    packaged: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    listing_done: bool = False
    done: bool = False
    sample: list[dict[str, str]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.packaged + self.unchanged + self.skipped + self.failed

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "finished": self.finished}


class OutcomeCounter:
    """Counts the workers' outcome markers of a run (``ListObjectsV2``, streamed)."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def count(self, run_id: str, progress: BackfillProgress) -> list[tuple[str, Outcome]]:
        """Update ``progress``'s outcome counts; returns the first skipped or failed entries."""
        counts = dict.fromkeys(Outcome, 0)
        problems: list[tuple[str, Outcome]] = []
        for entry_id, outcome in iter_outcomes(self._s3, self.bucket, run_id):
            counts[outcome] += 1
            if outcome in (Outcome.SKIPPED, Outcome.FAILED) and len(problems) < MAX_PROBLEMS:
                problems.append((entry_id, outcome))
        progress.packaged, progress.unchanged = counts[Outcome.PACKAGED], counts[Outcome.UNCHANGED]
        progress.skipped, progress.failed = counts[Outcome.SKIPPED], counts[Outcome.FAILED]
        return problems

    def reasons(self, run_id: str, problems: list[tuple[str, Outcome]]) -> list[dict[str, str]]:
        return [{"entry_id": entry_id, "outcome": outcome.value,
                 "reason": read_reason(self._s3, self.bucket, run_id, entry_id, outcome)}
                for entry_id, outcome in problems]


@dataclass(kw_only=True)
class BackfillRun:
    """One backfill (see the module docstring).

    Args:
        lister: builds the ``EntryLister`` for the run's upper bound of ``modifiedAt``.
        sender: builds the sender for a run id (``DryRunSender`` for a dry run).
        fingerprint: names the checkpoint (``EntryFilter.fingerprint``).
        checkpoints: where checkpoints live (``None``: nothing is saved, as in a dry run).
        outcomes: counts outcomes (``None`` in a dry run).
        until: the filter's ``until``; default: when the run first started.
    """

    lister: Callable[[datetime], EntryLister] = field(kw_only=False)
    sender: Callable[[str], EntrySender] = field(kw_only=False)
    fingerprint: str
    checkpoints: CheckpointStore | None
    outcomes: OutcomeCounter | None
    until: datetime | None = None
    rate: float | None = None
    window: int = 300
    wait: bool = True
    restart: bool = False
    poll_interval: float = 2.0
    stall_timeout: float = 900.0
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], object] = time.sleep
    _next_send: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.window = max(BATCH, self.window)

    def iter_progress(self) -> Iterator[BackfillProgress]:
        checkpoint, resumed = self._start()
        sender = self.sender(checkpoint.run_id)
        progress = BackfillProgress(checkpoint.run_id, dry_run=sender.dry_run, resumed=resumed,
                                    listed=checkpoint.listed, queued=checkpoint.queued,
                                    listing_done=checkpoint.listing_done)
        if not checkpoint.listing_done:
            yield from self._queue(checkpoint, sender, progress)
        progress.listing_done = True
        if isinstance(sender, DryRunSender):
            progress.sample = [_describe(e) for e in sender.sample]
            progress.done = True
            yield progress
            return
        yield from self._follow(progress)

    def _start(self) -> tuple[Checkpoint, bool]:
        saved = None
        if self.checkpoints is not None and not self.restart:
            saved = self.checkpoints.load(self.fingerprint)
        if saved is not None:
            return saved, True
        started = self.now()
        run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        return Checkpoint(run_id=run_id, fingerprint=self.fingerprint, started_at=started,
                          until=self.until or started), False

    def _queue(self, checkpoint: Checkpoint, sender: EntrySender,
               progress: BackfillProgress) -> Iterator[BackfillProgress]:
        lister = self.lister(checkpoint.until)
        lister.listed = checkpoint.listed
        cursor = checkpoint.cursor()
        batch: list[ListedEntry] = []
        shown = self.clock()
        for entry, wanted in lister.iter_entries(cursor):
            progress.listed = lister.listed
            if wanted:
                batch.append(entry)
            if len(batch) == BATCH:
                yield from self._flush(batch, cursor, lister, checkpoint, sender, progress)
                batch, shown = [], self.clock()
            elif self.clock() - shown > 0.5:  # entries filtered out by folder: still show the listing move
                shown = self.clock()
                yield progress
        checkpoint.listing_done = True
        yield from self._flush(batch, cursor, lister, checkpoint, sender, progress)

    def _flush(self, batch: list[ListedEntry], cursor: Cursor, lister: EntryLister, checkpoint: Checkpoint,
               sender: EntrySender, progress: BackfillProgress) -> Iterator[BackfillProgress]:
        if batch and not sender.dry_run:
            yield from self._room_for(len(batch), progress)
            self._pace(len(batch))
        with _interrupts_held():
            if batch:
                sender.send(batch)
            progress.queued += len(batch)
            checkpoint.keep(cursor, lister.listed, progress.queued)
            if self.checkpoints is not None:
                self.checkpoints.save(checkpoint)
        yield progress

    def _room_for(self, count: int, progress: BackfillProgress) -> Iterator[BackfillProgress]:
        """Wait until the workers are less than ``window`` entries behind."""
        if progress.queued + count - progress.finished <= self.window:
            return
        yield from self._poll_until(progress, lambda: progress.queued + count - progress.finished <= self.window)

    def _pace(self, count: int) -> None:
        if not self.rate:
            return
        now = self.clock()
        if self._next_send > now:
            self.sleep(self._next_send - now)
        self._next_send = max(now, self._next_send) + count / self.rate

    def _follow(self, progress: BackfillProgress) -> Iterator[BackfillProgress]:
        assert self.outcomes is not None
        problems = self.outcomes.count(progress.run_id, progress)
        if self.wait and progress.finished < progress.queued:
            yield progress
            yield from self._poll_until(progress, lambda: progress.finished >= progress.queued)
            problems = self.outcomes.count(progress.run_id, progress)
        progress.problems = self.outcomes.reasons(progress.run_id, problems)
        progress.done = progress.finished >= progress.queued
        yield progress

    def _poll_until(self, progress: BackfillProgress, done: Callable[[], bool]) -> Iterator[BackfillProgress]:
        assert self.outcomes is not None
        last_change, last_finished = self.clock(), progress.finished
        while True:
            self.outcomes.count(progress.run_id, progress)
            if progress.finished != last_finished:
                last_change, last_finished = self.clock(), progress.finished
            yield progress
            if done():
                return
            if self.clock() - last_change > self.stall_timeout:
                raise BackfillError(
                    f"no backfilled entry finished in {self.stall_timeout / 60:.0f} minutes "
                    f"({progress.finished} of {progress.queued} done)",
                    hint="check that the stack's workers run (benchling-webhook status, benchling-webhook logs); "
                         "re-run the same command to keep following it: nothing is queued twice")
            # Counting lists every marker of the run: poll less often as there are more of them (at most
            # every 10 s, a small part of what a window holds even at a large budget).
            self.sleep(min(max(self.poll_interval, progress.finished / 2000), max(self.poll_interval, 10.0)))


def _describe(entry: ListedEntry) -> dict[str, str]:
    return {"entry_id": entry.id, "display_id": entry.display_id, "name": entry.name,
            "modified_at": entry.modified_at.isoformat()}


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back until the block is done, then raise it (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        if received:
            raise KeyboardInterrupt
