"""The inbox: where a verified webhook goes before it is acknowledged (docs/architecture.md).

Acknowledgement path: read body → verify → parse → ``await inbox.enqueue(msg)`` → 2xx. The 2xx is sent
only after SQS has stored the message, so a 2xx never loses an event; if the send fails the request
gets a 503 and Benchling retries.

SQS message layout (the worker reads it back with ``decode_inbox_body``):

* body: one event, ``InboxMessage(...).to_body()`` — or, when several events are sent together, a *pack*
  ``{"events":[<event>, ...]}`` (``pack_body``) of up to ``MAX_PACK_EVENTS`` events and ``MAX_PACK_BYTES``;
* ``MessageDeduplicationId`` = the ``webhook-id`` header for a single event: Benchling re-delivers a
  message with the same id, so duplicates within SQS's 5-minute window end as one inbox message; a pack
  gets ``pack-<sha256 of its webhook ids>``. A delivery whose webhook id is already waiting or being
  sent joins that send and gets its answer, so concurrent re-deliveries store one message; one that
  arrives after its first copy was stored inside a pack becomes a second message, which the worker
  skips by its record of finished webhook ids;
* ``MessageGroupId`` = the deduplication id — one group per message, **not** the entry id. FIFO
  withholds later messages of a group until earlier ones are deleted; grouping by entry would hand the
  worker one event of an entry at a time and defeat its in-flight coalescing (a burst of 50 updates of
  one entry must give at most 2 exports). Ordering buys nothing: the worker always re-fetches the
  entry's current state, so events are processed in any order.

Ids Benchling would never send (too long, characters SQS refuses) are replaced by their SHA-256, so a
strange header cannot turn into a permanent 503. A standard (non-FIFO) queue also works: the group and
deduplication ids are left out and duplicates are left to the worker, which is idempotent.

Throughput: sends are batched, and the batch size adapts to how fast SQS answers. Concurrent
``enqueue()`` calls are gathered into one call — ``SendMessage`` for one message, else
``SendMessageBatch`` (≤ 10 messages, ≤ 256 KiB):

* a full batch goes out at once (up to ``max_in_flight`` calls at a time);
* a partial batch goes out ``linger`` seconds (default 0: the next event-loop turn) after its first entry
  arrived, but only while fewer than ``max_partial_in_flight`` (1) partial batches are in flight or at
  least ``eager_events`` (16) events wait; otherwise it keeps filling until one returns.

Like Nagle's algorithm: a lone request costs one round trip and is sent as a single-event message;
while SQS is busy, the events that arrive meanwhile share the next call — and the same message. Packing
makes the number of SQS messages, not events, what a burst costs. That matters for FIFO queues (300 API
calls/s per action without high-throughput mode; a 64 KiB pack is billed as one request) and for an SQS
stand-in that spends milliseconds of CPU per call and per message (moto): at 2,000 webhooks/s the
inbox sees a few dozen messages/s, not 2,000.

A pack is stored or refused as a whole: every request in it gets the same answer (2xx or 503).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from benchling_webhook.errors import EnqueueError, MessageTooLargeError, SqsError
from benchling_webhook.server.events import AcceptedEvent, InboxMessage, pack_body
from benchling_webhook.server.sqs import AsyncSqsClient, is_fifo

logger = logging.getLogger(__name__)

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
MAX_MESSAGE_BYTES = 1024 * 1024  # SQS's limit for one message
MAX_PACK_EVENTS = 50
MAX_PACK_BYTES = 64 * 1024  # SQS bills each 64 KiB of a request as one request
_SQS_ID = re.compile(r"^[A-Za-z0-9!-/:-@\[-`{-~]{1,128}$")


def sqs_message_id(webhook_id: str) -> str:
    """``webhook_id`` if SQS accepts it as a deduplication/group id, else ``sha256:<hex>`` of it."""
    if _SQS_ID.match(webhook_id):
        return webhook_id
    return "sha256:" + hashlib.sha256(webhook_id.encode("utf-8", "surrogatepass")).hexdigest()


class Inbox(Protocol):
    """Durable storage for accepted events."""

    async def enqueue(self, message: InboxMessage | AcceptedEvent) -> None:
        """Return once the message is stored; raise ``EnqueueError`` if it could not be."""
        ...

    async def aclose(self) -> None:
        """Flush pending sends and release connections."""
        ...


@dataclass
class _Pending:
    body: str
    size: int  # UTF-8 bytes: what SQS's size limits count
    message_id: str
    future: asyncio.Future[None]
    joined: list[asyncio.Future[None]] = field(default_factory=list)  # re-deliveries waiting for this send


@dataclass
class SqsInbox:
    """The inbox on an SQS queue, with batched non-blocking sends (see the module docstring)."""

    queue_url: str
    sqs: AsyncSqsClient
    linger: float = 0.0
    max_in_flight: int = 16
    max_partial_in_flight: int = 1
    eager_events: int = 16
    send_timeout: float = 2.5
    _pending: deque[_Pending] = field(default_factory=deque, init=False)
    _pending_bytes: int = field(default=0, init=False)
    _timer: asyncio.TimerHandle | None = field(default=None, init=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _partial: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _unsettled: dict[str, _Pending] = field(default_factory=dict, init=False)  # by message id: waiting or in flight

    def __post_init__(self) -> None:
        self.fifo = is_fifo(self.queue_url)

    async def enqueue(self, message: InboxMessage | AcceptedEvent) -> None:
        loop = asyncio.get_running_loop()
        body = message.to_body()
        size = len(body.encode())
        if size > MAX_MESSAGE_BYTES:
            raise MessageTooLargeError(f"the event is larger than an SQS message ({MAX_MESSAGE_BYTES} bytes)")
        message_id = sqs_message_id(message.webhook_id)
        earlier = self._unsettled.get(message_id)
        if earlier is not None:  # the same webhook delivered again while its first copy is on its way
            joined: asyncio.Future[None] = loop.create_future()
            earlier.joined.append(joined)
            await joined
            return
        item = _Pending(body, size, message_id, loop.create_future())
        self._unsettled[message_id] = item
        self._pending.append(item)
        self._pending_bytes += size
        if self._full():
            self._flush(everything=False)
        if self._pending and self._timer is None:
            self._timer = loop.call_later(self.linger, self._flush)
        await item.future

    def _full(self) -> bool:
        return len(self._pending) >= MAX_BATCH_ENTRIES * MAX_PACK_EVENTS or self._pending_bytes >= MAX_BATCH_BYTES

    def _flush(self, everything: bool = True) -> None:
        """Start sends: every full batch (up to ``max_in_flight`` calls), plus — when the linger timer fired
        (``everything``) — a partial batch if fewer than ``max_partial_in_flight`` partial ones are out."""
        if everything and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = asyncio.get_running_loop()
        while self._pending and len(self._tasks) < self.max_in_flight:
            full = self._full()
            if not full and (not everything or (len(self._partial) >= self.max_partial_in_flight
                                                and len(self._pending) < self.eager_events)):
                break
            task = loop.create_task(self._send(self._take_batch()))
            self._tasks.add(task)
            if not full:
                self._partial.add(task)
            task.add_done_callback(self._sent)

    def _take_batch(self) -> list[list[_Pending]]:
        """Pending events for one call: up to 10 packs (messages) of up to ``MAX_PACK_EVENTS`` events and
        ``MAX_PACK_BYTES`` each, ≤ ``MAX_BATCH_BYTES`` in all. An event too big for that travels alone."""
        packs: list[list[_Pending]] = []
        pack: list[_Pending] = []
        size = pack_size = 0
        while self._pending:
            nxt = self._pending[0].size + 1  # + the comma between events of a pack
            if size and size + nxt > MAX_BATCH_BYTES:
                break
            if pack and (len(pack) >= MAX_PACK_EVENTS or pack_size + nxt > MAX_PACK_BYTES):
                packs.append(pack)
                pack, pack_size = [], 0
                if len(packs) >= MAX_BATCH_ENTRIES:
                    break
            item = self._pending.popleft()
            self._pending_bytes -= nxt - 1
            size += nxt
            pack_size += nxt
            pack.append(item)
        if pack:
            packs.append(pack)
        return packs

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._partial.discard(task)
        if self._pending:
            self._flush()

    def _entry(self, index: int, pack: list[_Pending]) -> dict[str, str]:
        if len(pack) == 1:
            body, message_id = pack[0].body, pack[0].message_id
        else:  # no webhook id twice: a re-delivery joins the pending copy (enqueue)
            body = pack_body([item.body for item in pack])
            message_id = "pack-" + hashlib.sha256("\n".join(i.message_id for i in pack).encode()).hexdigest()
        entry = {"Id": str(index), "MessageBody": body}
        if self.fifo:
            entry["MessageGroupId"] = entry["MessageDeduplicationId"] = message_id
        return entry

    async def _send(self, packs: list[list[_Pending]]) -> None:
        entries = [self._entry(index, pack) for index, pack in enumerate(packs)]
        try:
            if len(entries) == 1:  # the usual case: SendMessage is the cheaper call for SQS stand-ins
                single = {k: v for k, v in entries[0].items() if k != "Id"}
                await self.sqs.call("SendMessage", {"QueueUrl": self.queue_url, **single}, timeout=self.send_timeout)
                answer: dict[str, Any] = {}
            else:
                answer = await self.sqs.call("SendMessageBatch", {"QueueUrl": self.queue_url, "Entries": entries},
                                             timeout=self.send_timeout)
        except Exception as exc:  # whatever went wrong, every waiting request must get its answer (503)
            reason = exc.code if isinstance(exc, SqsError) else type(exc).__name__
            logger.error("inbox send failed", extra={"reason": str(exc), "events": sum(map(len, packs))},
                         exc_info=None if isinstance(exc, (SqsError, TimeoutError, OSError)) else exc)
            for pack in packs:
                for item in pack:
                    self._answer(item, EnqueueError(f"the inbox queue refused the event ({reason})"))
            return
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("inbox batch sent", extra={"messages": len(packs), "events": sum(map(len, packs)),
                                                    "in_flight": len(self._tasks), "pending": len(self._pending)})
        failed = {str(f.get("Id")): f for f in answer.get("Failed") or []}
        for index, pack in enumerate(packs):
            failure = failed.get(str(index))
            if failure is not None:
                logger.error("inbox refused a message", extra={
                    "reason": failure.get("Code"), "webhook_ids": [item.message_id for item in pack][:MAX_PACK_EVENTS]})
            for item in pack:
                self._answer(item, None if failure is None else
                             EnqueueError(f"the inbox queue refused the event ({failure.get('Code')})"))

    def _answer(self, item: _Pending, error: Exception | None) -> None:
        """Settle the request that sent ``item`` and every re-delivery that joined it."""
        if self._unsettled.get(item.message_id) is item:
            del self._unsettled[item.message_id]
        _settle(item.future, error)
        for joined in item.joined:
            _settle(joined, error)

    async def aclose(self) -> None:
        if self._pending:
            self._flush()
        while self._tasks or self._pending:
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            elif self._pending:  # pragma: no cover - defensive
                self._flush()
        await self.sqs.aclose()


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


@dataclass
class MemoryInbox:
    """An in-process inbox for unit tests: keeps messages, de-duplicates by webhook id like FIFO SQS.

    Set ``fail_with`` to make ``enqueue`` raise (an inbox that is down).
    """

    messages: list[InboxMessage] = field(default_factory=list)
    fail_with: Exception | None = None

    async def enqueue(self, message: InboxMessage | AcceptedEvent) -> None:
        if self.fail_with is not None:
            raise EnqueueError(f"the inbox queue refused the event ({self.fail_with})")
        if isinstance(message, AcceptedEvent):
            message = message.to_message()  # through the body, as the worker would read it
        if all(m.webhook_id != message.webhook_id for m in self.messages):
            self.messages.append(message)

    async def aclose(self) -> None:
        return None


def create_inbox(queue_url: str, region: str | None = None, endpoint_url: str | None = None) -> SqsInbox:
    """The production inbox for ``queue_url`` (at ``endpoint_url`` when set, else the queue URL's host)."""
    return SqsInbox(queue_url, AsyncSqsClient.for_queue(queue_url, region=region, endpoint_url=endpoint_url))
