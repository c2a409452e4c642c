"""``InboxConsumer``: the worker role's loop over the inbox queue (SQS owns durability, we own retries).

For each received message the consumer starts ``processor.handle(msg)`` as its own task — many may be
pending at once, including several of one entry, because the processor coalesces them — and:

* keeps it invisible while ``handle`` runs: one heartbeat task extends the visibility of every in-flight
  message (``ChangeMessageVisibilityBatch``) every ``heartbeat_interval`` seconds;
* deletes it when ``handle`` returns;
* when ``handle`` raises, makes it visible again after an exponential backoff with jitter
  (``ChangeMessageVisibility``: ``RETRY_BASE_SECONDS`` doubling per receive up to ``RETRY_MAX_SECONDS``,
  each delay drawn from its upper half), so SQS redelivers it;
* when ``handle`` raises ``EntryBusy`` (another task holds the entry's lease, ``state.py``), defers it:
  visible again when that lease runs out, no backoff, not a failure;
* dead-letters it — ``SendMessage`` to the DLQ with the body and a ``reason`` attribute, then delete — on
  ``PermanentFailure``, when it still fails once it is ``INBOX_MAX_AGE_SECONDS`` old, or when the body
  cannot be decoded. Every dead-lettering is logged with its reason, and an event the processor failed
  on for good is handed to ``processor.abandon`` so the user hears of it in Benchling.

Give-up is set by age, not by the number of receives: an outage of Benchling (5xx, a long 429), of S3 or
a secret rotation is ridden out however many tries it takes within the hour, and deferrals cost nothing.
The age counts from when the event first entered the inbox (SQS's ``SentTimestamp``, carried over as the
``firstSentAt`` message attribute when a pack's failed events are sent back one by one). The queue's own
redrive policy (1,000 receives) is only a backstop for a message that kills the worker every time.

Crash safety: nothing is deleted before ``handle`` returned, so a worker killed mid-flight loses nothing —
its messages reappear after the visibility timeout and are processed again (the processor is
idempotent). ``stop()`` (SIGTERM) stops receiving, gives in-flight work ``shutdown_grace`` seconds, then
abandons the rest to SQS the same way.

A message may be a *pack* of several events (the web role packs events that arrive together, see
server/inbox.py). Each event of a pack is handled like a message of its own; ``_settle_pack`` says how
a pack with some failed events is settled without redoing the others. ``stats`` counts messages
received and events succeeded, retried and dead-lettered.

Receives are long polls of up to 10 messages, issued only while fewer than ``max_in_flight`` messages
are being handled.

Live first: with ``BACKFILL_QUEUE_URL`` set, the inbox consumer runs a second consumer of the same kind
over the backfill queue (``benchling-webhook backfill`` fills it) and shares the processor with it. That
one receives only while the inbox is *idle* — the inbox consumer has been waiting on a receive for
``IDLE_AFTER`` seconds with nothing in flight (a long poll answers at once when a message is there, so the
inbox is empty) — and keeps at most ``WORKER_CONCURRENCY - 1`` entries in flight, so a live event always finds a
free run slot and, through the API budget, the first Benchling call (``benchling/budget.py``). A live
event that arrives mid-backfill stops new backfill receives at once; backfill runs already started finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from benchling_webhook.constants import CONSUMER_STARTED, EnvVars
from benchling_webhook.errors import EntryBusy, PermanentFailure, SqsError
from benchling_webhook.server.events import InboxMessage, decode_inbox_body
from benchling_webhook.server.inbox import sqs_message_id
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.sqs import AsyncSqsClient, is_fifo
from benchling_webhook.server.worker.protocol import EventProcessor

logger = logging.getLogger(__name__)

MAX_VISIBILITY = 12 * 3600
FIRST_SENT_ATTRIBUTE = "firstSentAt"
IDLE_AFTER = 0.5


@dataclass
class _InFlight:
    message_id: str
    receipt: str
    fields: dict[str, Any]


class InboxConsumer:
    """Consumes the inbox queue and drives ``processor`` (see the module docstring).

    Args:
        processor: handles one ``InboxMessage``; raises to retry, ``PermanentFailure`` to dead-letter.
        settings: the queue URLs, the give-up age, the retry delays and the visibility timeout are read from
            it unless given here.
        sqs: the SQS client (default: ``AsyncSqsClient`` for the queue at ``settings.sqs_endpoint_url``).
    """

    def __init__(self, processor: EventProcessor, settings: ServerSettings, *, sqs: AsyncSqsClient | None = None,
                 queue_url: str | None = None, dlq_url: str | None = None, max_age: float | None = None,
                 max_in_flight: int = 100, visibility_timeout: int | None = None,
                 heartbeat_interval: float | None = None, wait_time_seconds: int = 20,
                 backoff_base: float | None = None, backoff_max: float | None = None,
                 shutdown_grace: float = 25.0, gate: asyncio.Event | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        url = queue_url or settings.inbox_queue_url
        if not url:
            from benchling_webhook.errors import ConfigError

            raise ConfigError(f"{EnvVars.INBOX_QUEUE_URL} is not set", hint="the worker role needs the inbox queue URL")
        self.queue_url = url
        self.dlq_url = dlq_url or settings.inbox_dlq_url
        self.processor = processor
        self.sqs = sqs or AsyncSqsClient.for_queue(url, region=settings.aws_region,
                                                   endpoint_url=settings.sqs_endpoint_url,
                                                   timeout=wait_time_seconds + 10)
        self.max_age = max_age if max_age is not None else settings.inbox_max_age_seconds
        self.max_in_flight = max_in_flight
        self.visibility_timeout = visibility_timeout or settings.inbox_visibility_seconds
        self.heartbeat_interval = heartbeat_interval or max(1.0, self.visibility_timeout / 3)
        self.wait_time_seconds = wait_time_seconds
        self.backoff_base = backoff_base if backoff_base is not None else settings.retry_base_seconds
        self.backoff_max = backoff_max if backoff_max is not None else settings.retry_max_seconds
        self._clock = clock
        self.shutdown_grace = shutdown_grace
        self._in_flight: dict[str, _InFlight] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._slot_free = asyncio.Event()
        self.stats = {"received": 0, "succeeded": 0, "retried": 0, "deferred": 0, "dead_lettered": 0}
        # Set while this consumer waits on a receive with nothing in flight: its queue is empty.
        self.idle = asyncio.Event()
        self._polling = False
        self._idle_timer: asyncio.TimerHandle | None = None
        self._gate = gate  # receive only while this is set (the backfill consumer: the inbox's ``idle``)
        self.backfill: InboxConsumer | None = None
        if queue_url is None and settings.backfill_queue_url:
            self.backfill = InboxConsumer(
                processor, settings, queue_url=settings.backfill_queue_url, dlq_url=dlq_url,
                max_age=max_age, max_in_flight=max(1, settings.worker_concurrency - 1),
                visibility_timeout=visibility_timeout, heartbeat_interval=heartbeat_interval,
                wait_time_seconds=wait_time_seconds, backoff_base=backoff_base, backoff_max=backoff_max,
                shutdown_grace=shutdown_grace, gate=self.idle, clock=clock)

    def stop(self) -> None:
        """Stop receiving; ``run()`` returns after in-flight work finished or the grace period ran out."""
        self._stopping.set()
        self._slot_free.set()
        if self.backfill is not None:
            self.backfill.stop()

    async def run(self) -> None:
        logger.info(CONSUMER_STARTED, extra={"queue_url": self.queue_url, "max_in_flight": self.max_in_flight})
        heartbeat = asyncio.create_task(self._heartbeat())
        low = self.backfill
        backfill = [asyncio.create_task(low._run_loop())] if low is not None else []
        try:
            await self._run_loop()
        finally:
            if low is not None:
                low.stop()
            # Both drain at once: the shutdown grace period applies once, not once per queue.
            await asyncio.gather(self._drain(), *backfill, return_exceptions=True)
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            await self.processor.aclose()
            await self.sqs.aclose()
            logger.info("inbox consumer stopped", extra=dict(self.stats))

    async def _run_loop(self) -> None:
        """Receive and start handling until ``stop()``; a gated consumer (backfill) also drains and closes its
        own heartbeat and client here, while the processor stays with the inbox consumer."""
        gated = self._gate is not None
        heartbeat = asyncio.create_task(self._heartbeat()) if gated else None
        failures = 0
        try:
            while not self._stopping.is_set():
                capacity = self.max_in_flight - len(self._tasks)
                if capacity <= 0:
                    self._slot_free.clear()
                    await self._slot_free.wait()
                    continue
                if self._gate is not None and not self._gate.is_set():
                    await self._wait_for_gate()
                    continue
                try:
                    self._set_polling(True)
                    try:
                        messages = await self._receive(min(10, capacity))
                    except BaseException:
                        self._set_polling(False)
                        raise
                    if messages:  # an empty answer leaves the queue idle through the next poll
                        self._set_polling(False)
                    failures = 0
                except (SqsError, TimeoutError, OSError) as exc:
                    failures += 1
                    delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                    logger.error("inbox receive failed", extra={"reason": str(exc), "retry_in_s": delay})
                    await self._sleep(delay)
                    continue
                for message in messages or ():
                    self.stats["received"] += 1
                    task = asyncio.create_task(self._process(message))
                    self._tasks.add(task)
                    task.add_done_callback(self._done)
        finally:
            if heartbeat is not None:
                await self._drain()
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
                await self.sqs.aclose()
                logger.info("backfill consumer stopped", extra=dict(self.stats))

    async def _wait_for_gate(self) -> None:
        assert self._gate is not None
        waiters = {asyncio.create_task(self._gate.wait()), asyncio.create_task(self._stopping.wait())}
        _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _set_polling(self, polling: bool) -> None:
        self._polling = polling
        self._update_idle()

    def _update_idle(self) -> None:
        if self._polling and not self._tasks:
            if self._idle_timer is None and not self.idle.is_set():
                self._idle_timer = asyncio.get_running_loop().call_later(IDLE_AFTER, self._become_idle)
            return
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self.idle.clear()

    def _become_idle(self) -> None:
        self._idle_timer = None
        if self._polling and not self._tasks:
            self.idle.set()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slot_free.set()
        self._update_idle()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _receive(self, count: int) -> list[dict[str, Any]]:
        return await receive_messages(self.sqs, self.queue_url, count, stopping=self._stopping,
                                      wait_time_seconds=self.wait_time_seconds,
                                      visibility_timeout=self.visibility_timeout)

    async def _drain(self) -> None:
        if not self._tasks:
            return
        logger.info("waiting for in-flight events", extra={"in_flight": len(self._tasks)})
        _, pending = await asyncio.wait(set(self._tasks), timeout=self.shutdown_grace)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("abandoned in-flight events to SQS (they reappear after the visibility timeout)",
                           extra={"abandoned": len(pending)})
            await asyncio.gather(*pending, return_exceptions=True)

    async def _process(self, raw: dict[str, Any]) -> None:
        receipt = raw["ReceiptHandle"]
        message_id = raw.get("MessageId", "")
        attempts = int((raw.get("Attributes") or {}).get("ApproximateReceiveCount", "1"))
        try:
            events = decode_inbox_body(raw.get("Body", ""))
        except ValidationError as exc:
            await self._dead_letter(raw, f"undecodable inbox message: {_first_error(exc)}", attempts, {})
            return
        fields = {**events[0].log_fields(), "attempt": attempts} if len(events) == 1 else \
            {"sqs_message_id": message_id, "events": len(events), "attempt": attempts}
        first_sent = first_sent_at(raw, self._clock)
        self._in_flight[message_id] = _InFlight(message_id, receipt, fields)
        try:
            if len(events) == 1:
                await self._settle_one(raw, events[0], attempts, first_sent, fields)
            else:
                await self._settle_pack(raw, events, attempts, first_sent, fields)
        finally:
            self._in_flight.pop(message_id, None)

    def _too_old(self, first_sent: float) -> bool:
        return self._clock() - first_sent >= self.max_age

    def _gave_up(self, first_sent: float, attempts: int, reason: str) -> str:
        tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
        return f"gave up after {self._clock() - first_sent:.0f} s and {tries}; last error: {reason}"

    async def _settle_one(self, raw: dict[str, Any], message: InboxMessage, attempts: int, first_sent: float,
                          fields: dict[str, Any]) -> None:
        error = await self._handle(message)
        if error is None:
            self.stats["succeeded"] += 1
            if await self._delete(raw["ReceiptHandle"], fields):
                logger.info("event done", extra=fields)
        elif isinstance(error, EntryBusy):
            await self._defer(raw["ReceiptHandle"], error, fields)
        elif isinstance(error, PermanentFailure):
            await self._dead_letter(raw, f"permanent failure: {error.message}", attempts, fields)
            await self._abandon(message, error)
        elif self._too_old(first_sent):
            await self._dead_letter(raw, self._gave_up(first_sent, attempts, _reason(error)), attempts, fields)
            await self._abandon(message, error)
        else:
            await self._retry_later(raw["ReceiptHandle"], attempts, _reason(error), fields, error)

    async def _settle_pack(self, raw: dict[str, Any], events: list[InboxMessage], attempts: int,
                           first_sent: float, fields: dict[str, Any]) -> None:
        """Several events in one message (see server/inbox.py): each is handled like a message of its own.

        The pack is deleted once every event is settled: done, dead-lettered (on its own, with its reason),
        or — when some events of the pack succeeded and others need another try — sent back to the inbox as
        single-event messages (keeping their age), which then retry, back off and dead-letter like any other.
        When every event failed and may retry, the whole pack backs off (or is deferred, when every entry was
        busy) instead: nothing was done that a retry would redo.
        """
        receipt = raw["ReceiptHandle"]
        message_id = raw.get("MessageId", "")
        outcomes = await asyncio.gather(*(self._handle(message) for message in events))
        retry: list[tuple[InboxMessage, str, dict[str, Any]]] = []
        errors = {id(message): error for message, error in zip(events, outcomes, strict=True)}
        for message, error in zip(events, outcomes, strict=True):
            event_fields = {**message.log_fields(), "attempt": attempts, "sqs_message_id": message_id}
            if error is None:
                self.stats["succeeded"] += 1
                logger.info("event done", extra=event_fields)
            elif isinstance(error, PermanentFailure) and self.dlq_url:
                if await self._to_dlq(message.to_body(), f"permanent failure: {error.message}", message_id,
                                      attempts, event_fields):
                    await self._abandon(message, error)
                else:
                    retry.append((message, _reason(error), event_fields))
            elif isinstance(error, EntryBusy):
                retry.append((message, _reason(error), event_fields))
            else:
                logger.warning("event failed", extra={**event_fields, "reason": _reason(error)}, exc_info=error)
                retry.append((message, _reason(error), event_fields))
        busy = [error for error in outcomes if isinstance(error, EntryBusy)]
        too_old = self._too_old(first_sent) and self.dlq_url
        dead = [r for r in retry if too_old and not isinstance(errors.get(id(r[0])), EntryBusy)]
        again = [r for r in retry if r not in dead]
        if not retry:
            await self._delete(receipt, fields)
            return
        if len(retry) == len(events) and not dead:  # nothing was done that a retry would redo
            if len(busy) == len(events):
                await self._defer(receipt, max(busy, key=lambda b: b.retry_after), fields)
            else:
                await self._retry_later(receipt, attempts, retry[0][1], fields, None)
            self.stats["retried"] += len(events) - 1
            return
        if again and not await self._requeue([message for message, _, _ in again], attempts, first_sent, fields):
            # could not requeue: the whole pack comes back (events are idempotent)
            await self._retry_later(receipt, attempts, retry[0][1], fields, None)
            return
        if again:
            self.stats["retried"] += len(again)
            logger.warning("events of a pack failed; sent back to the inbox one by one",
                           extra={**fields, "retrying": [m.webhook_id for m, _, _ in again][:10],
                                  "reason": again[0][1]})
        stored = True
        for message, reason, event_fields in dead:
            if await self._to_dlq(message.to_body(), self._gave_up(first_sent, attempts, reason), message_id,
                                  attempts, event_fields):
                await self._abandon(message, errors.get(id(message)))
            else:
                stored = False
        if stored:
            await self._delete(receipt, fields)
        else:  # comes back and is settled again (what succeeded is idempotent)
            await self._retry_later(receipt, attempts, dead[0][1], fields, None)

    async def _handle(self, message: InboxMessage) -> Exception | None:
        """``processor.handle`` with its failure as the result (the caller decides: retry or dead-letter)."""
        try:
            await self.processor.handle(message)
        except asyncio.CancelledError:
            raise  # shutdown: leave the message to SQS
        except Exception as exc:
            return exc
        return None

    async def _abandon(self, message: InboxMessage, error: Exception | None) -> None:
        """Hand an event the inbox gave up on to the processor, to tell the user (best effort)."""
        try:
            await self.processor.abandon(message, error)
        except Exception:
            logger.warning("could not report an abandoned event", extra=message.log_fields(), exc_info=True)

    async def _retry_later(self, receipt: str, attempts: int, reason: str, fields: dict[str, Any],
                           exc: Exception | None) -> None:
        delay = self._backoff(attempts)
        wait = getattr(exc, "retry_after", None)  # a 429 names its window: no try before it ends
        if isinstance(wait, int | float) and wait > delay:
            delay = int(min(MAX_VISIBILITY, math.ceil(wait + random.uniform(0, 1))))
        self.stats["retried"] += 1
        logger.warning("event failed; will retry", extra={**fields, "reason": reason, "retry_in_s": delay},
                       exc_info=exc)
        await self._call_quietly("ChangeMessageVisibility", {
            "QueueUrl": self.queue_url, "ReceiptHandle": receipt, "VisibilityTimeout": delay}, fields)

    async def _requeue(self, events: list[InboxMessage], attempts: int, first_sent: float,
                       fields: dict[str, Any]) -> bool:
        """Send ``events`` back to the inbox as single-event messages that keep their age; ``False`` if any
        send failed."""
        fifo = is_fifo(self.queue_url)
        age = {FIRST_SENT_ATTRIBUTE: {"DataType": "Number", "StringValue": str(int(first_sent * 1000))}}
        for start in range(0, len(events), 10):
            entries = []
            for index, message in enumerate(events[start:start + 10]):
                entry: dict[str, Any] = {"Id": str(index), "MessageBody": message.to_body(), "MessageAttributes": age}
                if fifo:
                    entry["MessageGroupId"] = entry["MessageDeduplicationId"] = \
                        sqs_message_id(f"{message.webhook_id}#retry{attempts}")
                entries.append(entry)
            try:
                answer = await self.sqs.call("SendMessageBatch", {"QueueUrl": self.queue_url, "Entries": entries})
            except (SqsError, TimeoutError, OSError) as exc:
                logger.error("inbox SendMessageBatch failed", extra={**fields, "reason": str(exc)})
                return False
            if answer.get("Failed"):
                logger.error("inbox refused requeued events", extra={**fields, "reason": answer["Failed"][0]})
                return False
        return True

    async def _delete(self, receipt: str, fields: dict[str, Any]) -> bool:
        return await self._call_quietly("DeleteMessage", {"QueueUrl": self.queue_url, "ReceiptHandle": receipt},
                                        fields)

    async def _defer(self, receipt: str, busy: EntryBusy, fields: dict[str, Any]) -> None:
        """Back to the inbox when the holder's lease runs out (plus jitter, so deferred events spread)."""
        delay = int(min(MAX_VISIBILITY, math.ceil(busy.retry_after + random.uniform(0, 1))))
        self.stats["deferred"] += 1
        logger.info("entry busy on another task; event deferred", extra={**fields, "retry_in_s": delay})
        await self._call_quietly("ChangeMessageVisibility", {
            "QueueUrl": self.queue_url, "ReceiptHandle": receipt, "VisibilityTimeout": delay}, fields)

    def _backoff(self, attempts: int) -> int:
        """Exponential and capped, drawn from the upper half ("equal jitter"): retries of events that
        failed together spread out, and none comes back sooner than half its step."""
        delay = min(self.backoff_max, self.backoff_base * 2 ** max(0, attempts - 1))
        return int(min(MAX_VISIBILITY, math.ceil(random.uniform(delay / 2, delay))))

    async def _dead_letter(self, raw: dict[str, Any], reason: str, attempts: int, fields: dict[str, Any]) -> None:
        """Move the whole SQS message to the DLQ (or, without one, leave it to the queue's redrive policy)."""
        receipt = raw["ReceiptHandle"]
        if not self.dlq_url:
            logger.error(f"cannot dead-letter ({EnvVars.INBOX_DLQ_URL} not set); the queue's redrive policy will",
                         extra={**fields, "reason": reason})
            await self._call_quietly("ChangeMessageVisibility", {
                "QueueUrl": self.queue_url, "ReceiptHandle": receipt, "VisibilityTimeout": int(self.backoff_max)},
                fields)
            return
        if await self._to_dlq(raw.get("Body") or "(empty)", reason, raw.get("MessageId") or str(time.time_ns()),
                              attempts, fields):
            await self._delete(receipt, fields)
        # else not deleted: it comes back and is dead-lettered again

    async def _to_dlq(self, body: str, reason: str, source_id: str, attempts: int, fields: dict[str, Any]) -> bool:
        """``SendMessage`` to the DLQ with the reason as a message attribute (the caller deletes the source)."""
        assert self.dlq_url
        params: dict[str, Any] = {
            "QueueUrl": self.dlq_url, "MessageBody": body,
            "MessageAttributes": {
                "reason": {"DataType": "String", "StringValue": reason[:1024]},
                "sourceMessageId": {"DataType": "String", "StringValue": source_id},
                "receiveCount": {"DataType": "Number", "StringValue": str(attempts)}}}
        if is_fifo(self.dlq_url):
            # per source message *and* body: the events of one pack dead-letter one by one
            digest = hashlib.sha256(body.encode()).hexdigest()[:16]
            params["MessageGroupId"] = params["MessageDeduplicationId"] = sqs_message_id(f"{source_id}:{digest}")
        if not await self._call_quietly("SendMessage", params, fields):
            return False
        self.stats["dead_lettered"] += 1
        logger.error("event dead-lettered", extra={**fields, "reason": reason})
        return True

    async def _call_quietly(self, action: str, params: dict[str, Any], fields: dict[str, Any]) -> bool:
        """An SQS call whose failure is logged, not raised (SQS redelivers whatever we could not settle)."""
        try:
            await self.sqs.call(action, params)
            return True
        except (SqsError, TimeoutError, OSError) as exc:
            logger.error(f"inbox {action} failed", extra={**fields, "reason": str(exc)})
            return False

    async def _heartbeat(self) -> None:
        """Keep every in-flight message invisible while it is being handled."""
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            current = list(self._in_flight.values())
            for start in range(0, len(current), 10):
                chunk = current[start:start + 10]
                entries = [{"Id": str(i), "ReceiptHandle": m.receipt, "VisibilityTimeout": self.visibility_timeout}
                           for i, m in enumerate(chunk)]
                try:
                    answer = await self.sqs.call("ChangeMessageVisibilityBatch",
                                                 {"QueueUrl": self.queue_url, "Entries": entries})
                except (SqsError, TimeoutError, OSError) as exc:
                    logger.error("inbox heartbeat failed", extra={"reason": str(exc), "in_flight": len(chunk)})
                    continue
                for failure in answer.get("Failed") or []:
                    m = chunk[int(failure.get("Id", 0))]
                    logger.warning("could not extend visibility", extra={**m.fields, "reason": failure.get("Code")})


async def receive_messages(sqs: AsyncSqsClient, queue_url: str, count: int, *, stopping: asyncio.Event,
                           wait_time_seconds: int, visibility_timeout: int) -> list[dict[str, Any]]:
    """One long poll of up to ``count`` messages (with their receive count); returns early, empty, once
    ``stopping`` is set."""
    call = asyncio.create_task(sqs.call("ReceiveMessage", {
        "QueueUrl": queue_url, "MaxNumberOfMessages": count, "WaitTimeSeconds": wait_time_seconds,
        "VisibilityTimeout": visibility_timeout,
        "MessageSystemAttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
        "AttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
        "MessageAttributeNames": [FIRST_SENT_ATTRIBUTE]}))
    stopped = asyncio.create_task(stopping.wait())
    done, _ = await asyncio.wait({call, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if call not in done:
        # Anything this poll would still have returned becomes visible again after the timeout.
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        return []
    answer = call.result()
    messages: list[dict[str, Any]] = answer.get("Messages") or []
    return messages


def first_sent_at(raw: dict[str, Any], clock: Callable[[], float] = time.time) -> float:
    """When the event first entered the inbox (epoch seconds): ``firstSentAt`` when a pack's event was sent
    back, else SQS's ``SentTimestamp``, else now."""
    carried = ((raw.get("MessageAttributes") or {}).get(FIRST_SENT_ATTRIBUTE) or {}).get("StringValue")
    sent = carried or (raw.get("Attributes") or {}).get("SentTimestamp")
    try:
        return int(sent) / 1000 if sent else clock()
    except ValueError:
        return clock()


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {err['msg']}" if loc else str(err["msg"])
