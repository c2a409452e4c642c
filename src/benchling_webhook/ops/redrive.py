"""``redrive``: send the inbox's dead letters back to the queue they came from, their reasons grouped.

A run is a loop over the FIFO dead-letter queue (``ops/dlq.py`` says where its messages come from):

* **receive** up to 10 messages (a short long poll, ``WaitTimeSeconds`` 1), hidden for ``VISIBILITY``
  seconds while the run handles them, until the queue answers empty or ``max_messages`` have moved;
* **decide** each message's destination from its body (``decode_inbox_body``: one event or a pack): a
  backfill event (``backfill_run``) goes back to the backfill queue when the stack has one, everything else
  to the inbox. A body that is not an event cannot be processed anywhere: it stays in the DLQ, counted under
  its own reason and reported;
* **move** (``QueueMover``): ``SendMessageBatch`` to the destination with the body unchanged, as a FIFO
  message whose group and deduplication id are ``redrive-<DLQ MessageId>`` (through ``sqs_message_id``),
  then ``DeleteMessageBatch`` of what was sent — only what was sent: an entry SQS refused stays in the DLQ
  and is reported. A message sent but not deleted is reported too; a redrive within SQS's five-minute
  deduplication window does not queue it twice.
* **release**: whatever the run saw but did not move is made visible again (``VisibilityTimeout`` 0), at
  the end or when interrupted.

No message attribute is copied: a redriven event starts over as a new inbox message, with a fresh age and
receive count — the worker decides when to give up on an event by them — and without the old ``reason``.

``--dry-run`` is a different mover (``DryRunMover``), not a different loop: it writes nothing, and the
release makes every message it saw visible again. It reports the same reasons and destinations.

A run whose scan outlasts ``VISIBILITY`` may see a message again; the run ends when a receive brings only
messages it has seen (a second run picks up anything left).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from benchling_webhook.aws.errors import service_error
from benchling_webhook.errors import RedriveError
from benchling_webhook.ops.dlq import group_reason

BATCH = 10  # ReceiveMessage's, SendMessageBatch's and DeleteMessageBatch's limit
VISIBILITY = 60
MAX_PROBLEMS = 20
_MISSING_QUEUE = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


class Destination(StrEnum):
    INBOX = "inbox"
    BACKFILL = "backfill"


@dataclass(frozen=True)
class RedriveTargets:
    """The dead-letter queue and where its messages go back to (no backfill queue: everything to the inbox)."""

    dlq_url: str
    inbox_url: str
    backfill_url: str | None = None

    def url(self, destination: Destination) -> str:
        return self.backfill_url if destination is Destination.BACKFILL and self.backfill_url else self.inbox_url


def read_targets(cloudformation: Any, profile: str) -> RedriveTargets:
    """The queues of the profile's deployed stack (``StackNotFoundError`` or a missing output: a deploy hint)."""
    from benchling_webhook.constants import StackOutputs, stack_name_for
    from benchling_webhook.ops.outputs import read_deployed_stack

    stack = read_deployed_stack(cloudformation, stack_name_for(profile), profile)
    return RedriveTargets(dlq_url=stack.output(StackOutputs.INBOX_DLQ_URL, "dead-letter queue", profile),
                          inbox_url=stack.output(StackOutputs.INBOX_QUEUE_URL, "inbox queue", profile),
                          backfill_url=stack.outputs.get(StackOutputs.BACKFILL_QUEUE_URL) or None)


@dataclass(frozen=True)
class DeadLetter:
    """One received DLQ message: its grouped reason and where it goes (``None``: it stays)."""

    message_id: str
    receipt: str
    body: str
    reason: str
    destination: Destination | None


@dataclass
class RedriveReport:
    """What a run did so far (the progress callback gets it after every batch; ``done`` once at the end)."""

    dry_run: bool
    total: int  # the queue's ApproximateNumberOfMessages when the run began (bounded by max_messages)
    moved: int = 0  # sent back (a dry run: would be)
    left: int = 0  # seen and not moved: not an event, or refused
    failed: int = 0  # SQS refused to send it back, or to delete it once sent (it stays in the DLQ)
    by_reason: Counter[str] = field(default_factory=Counter)
    to: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Destination, 0))
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS, one sentence each
    problem_count: int = 0
    done: bool = False

    def note(self, problem: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def reasons(self) -> list[tuple[str, int]]:
        """Reasons with their counts, most frequent first."""
        return sorted(self.by_reason.items(), key=lambda item: (-item[1], item[0]))

    def to_dict(self) -> dict[str, Any]:
        return {"moved": self.moved, "left": self.left, "failed": self.failed, "dry_run": self.dry_run,
                "total": self.total,
                "by_reason": [{"reason": r, "count": c} for r, c in self.reasons()],
                "to": {str(k): v for k, v in self.to.items()}, "problems": self.problems}

    def check(self) -> None:
        """Raise ``RedriveError`` when SQS refused to move some of what the run was asked to move (a message
        that is not an event cannot be moved: it is reported, not an error)."""
        if self.failed:
            raise RedriveError(f"SQS refused to move {self.failed} of the dead letters; they stay in the queue",
                               hint="the reasons are listed above; fix the cause and run redrive again")


class Mover(Protocol):
    dry_run: bool

    def move(self, letters: list[DeadLetter], report: RedriveReport) -> set[str]:
        """Send ``letters`` (≤ ``BATCH``) back; the message ids that stay in the DLQ (noted in ``report``)."""
        ...


class QueueMover:
    """Sends to the destination queue, then deletes from the DLQ what was sent (see the module docstring)."""

    dry_run = False

    def __init__(self, sqs: Any, targets: RedriveTargets) -> None:
        self._sqs = sqs
        self.targets = targets

    def move(self, letters: list[DeadLetter], report: RedriveReport) -> set[str]:
        from benchling_webhook.server.inbox import sqs_message_id

        stays: set[str] = set()
        sent: list[DeadLetter] = []
        for destination in Destination:
            group = [letter for letter in letters if letter.destination is destination]
            if not group:
                continue
            url = self.targets.url(destination)
            entries = []
            for index, letter in enumerate(group):
                entry = {"Id": str(index), "MessageBody": letter.body}
                if url.rstrip("/").endswith(".fifo"):
                    entry["MessageGroupId"] = entry["MessageDeduplicationId"] = \
                        sqs_message_id(f"redrive-{letter.message_id}")
                entries.append(entry)
            failed = self._call("send_message_batch", QueueUrl=url, Entries=entries)
            for index, letter in enumerate(group):
                if (why := failed.get(str(index))) is None:
                    sent.append(letter)
                else:
                    stays.add(letter.message_id)
                    report.failed += 1
                    report.note(f"{letter.message_id}: not sent to the {destination} queue ({why}); it stays")
        for start in range(0, len(sent), BATCH):
            chunk = sent[start:start + BATCH]
            failed = self._call("delete_message_batch", QueueUrl=self.targets.dlq_url, Entries=[
                {"Id": str(index), "ReceiptHandle": letter.receipt} for index, letter in enumerate(chunk)])
            for index, letter in enumerate(chunk):
                if (why := failed.get(str(index))) is not None:
                    report.failed += 1
                    report.note(f"{letter.message_id}: sent back, but not deleted from the DLQ ({why})")
        return stays

    def _call(self, action: str, **params: Any) -> dict[str, str]:
        """A batch call; ``{entry id: why}`` for every entry that failed (all of them when the call failed)."""
        try:
            answer = getattr(self._sqs, action)(**params)
        except Exception as exc:
            if (refused := service_error(exc)) is None:
                raise
            return {entry["Id"]: f"{refused.code}: {refused.message}".rstrip(": ") for entry in params["Entries"]}
        return {str(f.get("Id")): f"{f.get('Code', '')}: {f.get('Message', '')}".rstrip(": ")
                for f in answer.get("Failed") or []}


class DryRunMover:
    """Moves nothing: every letter stays (the run makes them visible again)."""

    dry_run = True

    def move(self, letters: list[DeadLetter], report: RedriveReport) -> set[str]:
        return set()


class DeadLetterRedriver:
    """The receive → decide → move → release loop of the module docstring.

    Args:
        sqs: a boto3 SQS client.
        mover: ``QueueMover`` or ``DryRunMover``.
        max_messages: move at most this many (``None``: all).
    """

    def __init__(self, sqs: Any, targets: RedriveTargets, mover: Mover, *, max_messages: int | None = None,
                 visibility_timeout: int = VISIBILITY, wait_time_seconds: int = 1) -> None:
        self._sqs = sqs
        self.targets = targets
        self.mover = mover
        self.max_messages = max_messages
        self.visibility_timeout = visibility_timeout
        self.wait_time_seconds = wait_time_seconds

    def run(self, on_progress: Callable[[RedriveReport], None] | None = None) -> RedriveReport:
        report = RedriveReport(dry_run=self.mover.dry_run, total=self._depth())
        if self.max_messages is not None:
            report.total = min(report.total, self.max_messages)
        held: list[str] = []  # receipts of what the run saw and did not move
        seen: set[str] = set()
        try:
            while self.max_messages is None or report.moved < self.max_messages:
                want = BATCH if self.max_messages is None else min(BATCH, self.max_messages - report.moved)
                fresh = [m for m in self._receive(want) if m["MessageId"] not in seen]
                if not fresh:
                    break
                letters = []
                for raw in fresh:
                    seen.add(raw["MessageId"])
                    letter = self._decide(raw)
                    report.by_reason[letter.reason] += 1
                    if letter.destination is None:
                        report.left += 1
                        held.append(letter.receipt)
                        report.note(f"{letter.message_id}: not an event; it stays")
                    else:
                        letters.append(letter)
                stays = self.mover.move(letters, report)
                for letter in letters:
                    if letter.message_id in stays:
                        report.left += 1
                    else:
                        report.moved += 1
                        report.to[letter.destination or Destination.INBOX] += 1
                    if letter.message_id in stays or self.mover.dry_run:
                        held.append(letter.receipt)
                if on_progress is not None:
                    on_progress(report)
        finally:
            self._release(held)
        report.done = True
        if on_progress is not None:
            on_progress(report)
        return report

    def _depth(self) -> int:
        try:
            attrs = self._sqs.get_queue_attributes(QueueUrl=self.targets.dlq_url,
                                                   AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        except Exception as exc:
            refused = service_error(exc)
            if refused is None or refused.code not in _MISSING_QUEUE:
                raise
            raise RedriveError(f"the dead-letter queue {self.targets.dlq_url} does not exist",
                               hint="deploy the stack again (benchling-webhook deploy), or check --region") from None
        return int(attrs.get("ApproximateNumberOfMessages", 0))

    def _receive(self, want: int) -> list[dict[str, Any]]:
        answer = self._sqs.receive_message(QueueUrl=self.targets.dlq_url, MaxNumberOfMessages=want,
                                           WaitTimeSeconds=self.wait_time_seconds,
                                           VisibilityTimeout=self.visibility_timeout, MessageAttributeNames=["All"])
        messages: list[dict[str, Any]] = answer.get("Messages") or []
        return messages

    def _decide(self, raw: dict[str, Any]) -> DeadLetter:
        from pydantic import ValidationError

        from benchling_webhook.server.backfill import backfill_run
        from benchling_webhook.server.events import decode_inbox_body

        reason = ((raw.get("MessageAttributes") or {}).get("reason") or {}).get("StringValue")
        body = raw.get("Body") or ""
        try:
            events = decode_inbox_body(body)
        except ValidationError as exc:
            errors = exc.errors()
            what = str(errors[0]["msg"]) if errors else "not an event"
            return DeadLetter(raw["MessageId"], raw["ReceiptHandle"], body,
                              group_reason(f"not an event, left in the queue: {what}"), None)
        backfill = self.targets.backfill_url and all(backfill_run(event) is not None for event in events)
        return DeadLetter(raw["MessageId"], raw["ReceiptHandle"], body, group_reason(reason),
                          Destination.BACKFILL if backfill else Destination.INBOX)

    def _release(self, receipts: list[str]) -> None:
        """Make what the run did not move visible again (best effort: it reappears after the timeout anyway)."""
        for start in range(0, len(receipts), BATCH):
            entries = [{"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": 0}
                       for i, r in enumerate(receipts[start:start + BATCH])]
            try:
                self._sqs.change_message_visibility_batch(QueueUrl=self.targets.dlq_url, Entries=entries)
            except Exception as exc:
                if service_error(exc) is None:
                    raise


def create_redriver(sqs: Any, targets: RedriveTargets, *, dry_run: bool = False,
                    max_messages: int | None = None, **tuning: Any) -> DeadLetterRedriver:
    """A redriver that moves (or, with ``dry_run``, only counts) the dead letters of ``targets``."""
    mover: Mover = DryRunMover() if dry_run else QueueMover(sqs, targets)
    return DeadLetterRedriver(sqs, targets, mover, max_messages=max_messages, **tuning)
