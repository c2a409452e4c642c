"""Package-revision events: the Quilt stack's word that a revision exists, turned into a canvas refresh.

In Quilt Platform mode the worker only asks the Quilt packager for a revision (``package.py``); the
packager writes it later and then publishes a ``package-revision`` event on the default EventBridge bus
(docs/quilt.md; its shape: ``tests/fixtures/quilt/package-revision.json``). The stack routes the events of
the package bucket under the package prefix to a queue (``REVISION_EVENTS_QUEUE_URL``), and the worker
drains it here, beside the inbox:

1. parse the EventBridge envelope (``source`` com.quiltdata, ``detail-type`` package-revision, ``detail``
   ``{bucket, handle, topHash}``); anything else is dropped with a log line;
2. ignore another bucket and a package outside ``<prefix>/`` (the stack's rule filters them already; the
   check costs nothing and keeps a wider rule harmless);
3. ignore a stale event: its ``topHash`` is no longer the package's ``latest`` (a newer revision exists, or
   the events arrived out of order) — the newer revision has an event of its own;
4. read the revision's metadata (``entry.json`` is the package metadata): ``canvas_id`` and ``entry_id``
   name the canvas to refresh; a package without a canvas needs nothing;
5. re-render that canvas (``PackageCanvasHooks.refresh``), which PATCHes the new revision into it; a
   canvas that no longer exists needs nothing either.

A handled message is deleted, an ignored one too. A failure (Benchling down, S3 unreachable) leaves the
message to SQS, which delivers it again after the visibility timeout and, after the queue's
``maxReceiveCount`` deliveries, moves it to the dead-letter queue (``stack/constructs/revisions.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from benchling_webhook.constants import PACKAGE_REVISION_EVENT, QUILT_EVENT_SOURCE
from benchling_webhook.errors import PackageNotFoundError, PermanentFailure, SqsError
from benchling_webhook.server.quilt.manifest import ManifestReader
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.sqs import AsyncSqsClient
from benchling_webhook.server.worker.runner import InboxConsumer, receive_messages

log = logging.getLogger(__name__)

_TOP_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class RevisionEvent:
    """One ``package-revision`` event: package ``handle`` in ``bucket`` now has revision ``top_hash``."""

    bucket: str
    handle: str
    top_hash: str
    kind: str = "created"


def parse_revision_event(body: str) -> RevisionEvent | None:
    """The event in an SQS message body (EventBridge delivers the event itself as JSON), or None."""
    try:
        event = json.loads(body)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("source") != QUILT_EVENT_SOURCE \
            or event.get("detail-type") != PACKAGE_REVISION_EVENT:
        return None
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return None
    bucket, handle, top_hash = detail.get("bucket"), detail.get("handle"), detail.get("topHash")
    if not (isinstance(bucket, str) and isinstance(handle, str) and isinstance(top_hash, str)
            and _TOP_HASH.fullmatch(top_hash)):
        return None
    return RevisionEvent(bucket, handle, top_hash, str(detail.get("type") or "created"))


class CanvasRefresher(Protocol):
    async def refresh(self, canvas_id: str, entry_id: str, display_id: str | None) -> bool: ...


class RevisionEventHandler:
    """Decides what one event means for the canvases (steps 2 to 5 of the module docstring).

    Args:
        reader: latest-manifest reader of the package bucket.
        canvas: the canvas side (``PackageCanvasHooks``).
        bucket, prefix: whose packages' events count.
    """

    def __init__(self, reader: ManifestReader, canvas: CanvasRefresher, *, bucket: str, prefix: str) -> None:
        self._reader = reader
        self._canvas = canvas
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/"

    async def handle(self, event: RevisionEvent) -> str:
        """What was done: ``refreshed``, or why nothing was (``ignored: …``)."""
        if event.bucket != self.bucket:
            return f"ignored: bucket {event.bucket} is not the package bucket"
        if not event.handle.startswith(self.prefix):
            return f"ignored: {event.handle} is not under {self.prefix}"
        try:
            latest, _ = await asyncio.to_thread(self._reader.latest, event.handle)
        except PackageNotFoundError:
            return f"ignored: {event.handle} has no latest revision"
        if latest != event.top_hash:
            return f"ignored: stale revision (the latest is {latest[:12]})"
        revision = await asyncio.to_thread(self._reader.revision, event.handle)
        meta = revision.user_meta
        canvas_id, entry_id, display_id = meta.get("canvas_id"), meta.get("entry_id"), meta.get("display_id")
        if not isinstance(canvas_id, str) or not canvas_id or not isinstance(entry_id, str) or not entry_id:
            return "ignored: the entry has no canvas"
        try:
            refreshed = await self._canvas.refresh(canvas_id, entry_id,
                                                   display_id if isinstance(display_id, str) else None)
        except PermanentFailure as exc:  # the canvas was deleted: nothing to refresh, ever
            return f"ignored: {exc.message}"
        return "refreshed" if refreshed else f"ignored: canvas {canvas_id} shows another entry"


class RevisionEventConsumer:
    """Drains the revision-events queue into ``handler`` (see the module docstring); ``stats`` counts
    messages ``received``, ``refreshed``, ``ignored`` and ``failed``."""

    def __init__(self, handler: RevisionEventHandler, queue_url: str, settings: ServerSettings, *,
                 sqs: AsyncSqsClient | None = None, wait_time_seconds: int = 20, visibility_timeout: int = 60) -> None:
        self.handler = handler
        self.queue_url = queue_url
        self.sqs = sqs or AsyncSqsClient.for_queue(queue_url, region=settings.aws_region,
                                                   endpoint_url=settings.sqs_endpoint_url,
                                                   timeout=wait_time_seconds + 10)
        self.wait_time_seconds = wait_time_seconds
        self.visibility_timeout = visibility_timeout
        self._stopping = asyncio.Event()
        self.stats = {"received": 0, "refreshed": 0, "ignored": 0, "failed": 0}

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        log.info("revision-event consumer started", extra={"queue_url": self.queue_url})
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    messages = await receive_messages(self.sqs, self.queue_url, 10, stopping=self._stopping,
                                                      wait_time_seconds=self.wait_time_seconds,
                                                      visibility_timeout=self.visibility_timeout)
                    failures = 0
                except (SqsError, TimeoutError, OSError) as exc:
                    failures += 1
                    delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                    log.error("revision-event receive failed", extra={"reason": str(exc), "retry_in_s": delay})
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), delay)
                    continue
                await asyncio.gather(*(self._process(message) for message in messages))
        finally:
            await self.sqs.aclose()
            log.info("revision-event consumer stopped", extra=dict(self.stats))

    async def _process(self, raw: dict[str, Any]) -> None:
        self.stats["received"] += 1
        event = parse_revision_event(raw.get("Body", ""))
        fields: dict[str, Any] = {"sqs_message_id": raw.get("MessageId", "")}
        if event is None:
            outcome = "ignored: not a package-revision event"
        else:
            fields.update(package=event.handle, top_hash=event.top_hash[:12])
            try:
                outcome = await self.handler.handle(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # SQS delivers it again; its redrive policy dead-letters it in the end
                self.stats["failed"] += 1
                log.warning("revision event failed; SQS will deliver it again",
                            extra={**fields, "reason": f"{type(exc).__name__}: {exc}"}, exc_info=exc)
                return
        self.stats["refreshed" if outcome == "refreshed" else "ignored"] += 1
        log.info("revision event " + outcome, extra=fields)
        try:
            await self.sqs.call("DeleteMessage", {"QueueUrl": self.queue_url, "ReceiptHandle": raw["ReceiptHandle"]})
        except (SqsError, TimeoutError, OSError) as exc:  # delivered again: handling it twice is harmless
            log.error("revision event not deleted", extra={**fields, "reason": str(exc)})


class WorkerLoops:
    """The worker role's loops run as one (``run``/``stop``): the inbox and, in Quilt Platform mode, the
    revision events."""

    def __init__(self, inbox: InboxConsumer, revisions: RevisionEventConsumer) -> None:
        self.inbox = inbox
        self.revisions = revisions

    def stop(self) -> None:
        self.inbox.stop()
        self.revisions.stop()

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.inbox.run()), asyncio.create_task(self.revisions.run())]
        try:
            await asyncio.gather(*tasks)
        finally:
            self.stop()
            await asyncio.gather(*tasks, return_exceptions=True)


def with_revision_events(inbox: InboxConsumer, processor: Any, settings: ServerSettings,
                         s3: Any = None) -> InboxConsumer | WorkerLoops:
    """The inbox consumer, plus a revision-event consumer when ``REVISION_EVENTS_QUEUE_URL`` is set and the
    processor renders canvases (``serve --role worker|all`` calls this)."""
    hooks = getattr(processor, "canvas_hooks", None)
    if not settings.revision_events_queue_url or hooks is None or not settings.package_bucket:
        return inbox
    if s3 is None:
        from benchling_webhook.aws.session import client_config, create_session

        s3 = create_session(region=settings.aws_region).client("s3", endpoint_url=settings.aws_endpoint_url,
                                                               config=client_config())
    handler = RevisionEventHandler(ManifestReader(s3, settings.package_bucket), hooks,
                                   bucket=settings.package_bucket, prefix=settings.package_prefix)
    return WorkerLoops(inbox, RevisionEventConsumer(handler, settings.revision_events_queue_url, settings))
