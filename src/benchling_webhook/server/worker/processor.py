"""``EntryEventProcessor``: what the worker does with each inbox message (``EventProcessor``).

Dispatch on the event kind:

* ENTRY (``v2.entry.*``): package the entry. Calls for the same entry coalesce (``coalesce.py``):
  one run covers every event that arrived before it started. After the run, if the entry has a canvas
  (an ``app_canvas`` note part of our app, or one recorded in the package metadata), the canvas hooks'
  ``finish`` renders the result — once per run, not once per event.
* CANVAS_*: ``canvas_hooks.begin`` does the immediate canvas work and returns a ``CanvasPlan``; when it
  needs a package, the entry is packaged (joining any pending run); ``finish`` always follows, with the
  result or the error, so the canvas is re-enabled on every path.
* LIFECYCLE / UNKNOWN: logged, nothing else.

Failures: ``PermanentFailure`` (entry deleted or not shared) dead-letters the message at once; any
other exception makes the consumer retry it (and dead-letter after ``INBOX_MAX_ATTEMPTS``).

The consumer must let a whole burst be in flight at once (it calls ``handle`` concurrently, one call
per message): coalescing only sees events that are in flight together. Bounded concurrency applies to
*runs* here (``WORKER_CONCURRENCY``), not to messages.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import ConfigError, PermanentFailure
from benchling_webhook.server.events import EventKind, InboxMessage
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.coalesce import Coalescer
from benchling_webhook.server.worker.pipeline import EntryPipeline, PackageOutcome
from benchling_webhook.server.worker.protocol import CanvasHooks, CanvasPlan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Event:
    """What one coalesced ``handle`` call contributes to a run."""

    kind: EventKind
    webhook_id: str
    app_id: str
    canvas_id: str | None = None


class EntryEventProcessor:
    """Coalescing entry packager plus canvas hand-off (see module doc)."""

    def __init__(self, pipeline: EntryPipeline, *, canvas_hooks: CanvasHooks | None, quiet: float,
                 max_wait: float, concurrency: int, executor: ThreadPoolExecutor | None = None,
                 on_close: list[Any] | None = None) -> None:
        self.pipeline = pipeline
        self.canvas_hooks = canvas_hooks
        self._executor = executor or ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="package")
        self.coalescer: Coalescer[_Event, PackageOutcome] = Coalescer(
            self._package, quiet=quiet, max_wait=max_wait, concurrency=concurrency)
        self._on_close = on_close or []

    async def handle(self, message: InboxMessage) -> None:
        m = message.envelope.message
        fields = message.log_fields()
        if m.kind is EventKind.ENTRY:
            if not m.resource_id:
                raise PermanentFailure(f"{m.type} event without resourceId")
            outcome = await self.coalescer.submit(m.resource_id, _Event(m.kind, message.webhook_id,
                                                                        message.envelope.app.id))
            log.info("entry event done", extra={**fields, "package": outcome.result.package_name,
                                                "revision_created": outcome.result.revision_created})
            return
        if m.kind in (EventKind.LIFECYCLE, EventKind.UNKNOWN):
            log.info("event needs no work", extra=fields)
            return
        await self._canvas_event(message)

    async def _canvas_event(self, message: InboxMessage) -> None:
        m = message.envelope.message
        event = partial(_Event, m.kind, message.webhook_id, message.envelope.app.id)
        if self.canvas_hooks is None:
            if m.resource_id:  # no canvas support configured: still keep the package current
                await self.coalescer.submit(m.resource_id, event(None))
            return
        plan = await self.canvas_hooks.begin(message)
        if not plan.needs_package or not plan.entry_id:
            await self.canvas_hooks.finish(plan, None, None)
            return
        try:
            outcome = await self.coalescer.submit(plan.entry_id, event(plan.canvas_id))
        except BaseException as exc:
            try:
                await self.canvas_hooks.finish(plan, None, exc)
            except Exception:
                log.exception("canvas could not show the failure", extra=message.log_fields())
            raise
        await self.canvas_hooks.finish(plan, outcome.result, None)

    async def _package(self, entry_id: str, events: list[_Event]) -> PackageOutcome:
        """One coalesced run (in the thread pool), then the canvas update owed to entry events."""
        canvas_hint = next((e.canvas_id for e in reversed(events) if e.canvas_id), None)
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._executor, partial(
            self.pipeline.run, entry_id, canvas_id=canvas_hint, app_id=events[-1].app_id))
        covered = {e.canvas_id for e in events if e.kind is not EventKind.ENTRY}
        if self.canvas_hooks is not None and outcome.canvas_id and outcome.canvas_id not in covered and any(
                e.kind is EventKind.ENTRY for e in events):
            plan = CanvasPlan(entry_id=entry_id, canvas_id=outcome.canvas_id, needs_package=True)
            try:
                await self.canvas_hooks.finish(plan, outcome.result, None)
            except PermanentFailure as exc:  # the canvas is gone; the package is still fine
                log.warning("canvas update skipped", extra={"entry_id": entry_id, "reason": str(exc)})
        return outcome

    async def aclose(self) -> None:
        self.pipeline.stop.set()
        await self.coalescer.aclose()
        self._executor.shutdown(wait=False, cancel_futures=True)
        for close in self._on_close:
            try:
                close()
            except Exception:  # closing is best effort
                log.debug("close failed", exc_info=True)


_DEFAULT: Any = object()
_M_MMAP_THRESHOLD = -3


def bound_heap_growth(threshold: int = 1024 * 1024) -> bool:
    """Serve allocations of ``threshold`` bytes and more from mmap (glibc), returned to the OS when freed.

    Uploads move 8 MiB parts through several threads. glibc raises its mmap threshold after such
    blocks are freed, so later ones land in per-thread heap arenas that fragment and never shrink:
    peak RSS then grows with the size of the files (measured: +56 MB from a 64 MiB to a 256 MiB
    object). A fixed threshold keeps the peak flat (bench/large_objects.py). No-op off glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):
        return False


def create_processor(settings: ServerSettings, canvas_hooks: CanvasHooks | None = _DEFAULT, *,
                     s3: Any = None, sqs: Any = None, client_provider: Any = None) -> EntryEventProcessor:
    """The worker's processor from the container settings (``serve --role worker|all`` calls this).

    Args:
        canvas_hooks: the canvas side; by default ``server.canvas.hooks.create_canvas_hooks`` over the
            same Benchling client; ``None`` disables canvas rendering.
        s3, sqs: boto3 clients (default: from the settings' region and endpoint).
        client_provider: callable returning the current ``BenchlingClient`` (default: from the secret).
    """
    from benchling_webhook.aws.session import client_config, create_session
    from benchling_webhook.server.benchling.client import BenchlingClientProvider
    from benchling_webhook.server.worker.package import DirectPackager, Packager, QueuePackager

    if not settings.package_bucket:
        raise ConfigError(f"{EnvVars.PACKAGE_BUCKET} is not set: the worker has nowhere to write packages",
                          hint=f"set {EnvVars.PACKAGE_BUCKET} (and {EnvVars.PACKAGE_PREFIX}) in the container "
                               "environment")
    bound_heap_growth()

    def aws(service: str) -> Any:
        return create_session(region=settings.aws_region).client(
            service, endpoint_url=settings.aws_endpoint_url, config=client_config())

    s3 = s3 if s3 is not None else aws("s3")
    packager: Packager
    if settings.packager_sqs_url:
        packager = QueuePackager(sqs if sqs is not None else aws("sqs"), settings.packager_sqs_url,
                                 workflow=settings.quilt_workflow)
    else:
        packager = DirectPackager(settings.aws_endpoint_url, workflow=settings.quilt_workflow)
    on_close: list[Any] = []
    if client_provider is None:
        from benchling_webhook.server.secrets import create_secret_store

        client_provider = BenchlingClientProvider(settings, create_secret_store(settings))
        on_close.append(client_provider.close)
    pipeline = EntryPipeline(client=client_provider, s3=s3, bucket=settings.package_bucket,
                             prefix=settings.package_prefix, metadata_key=settings.metadata_key,
                             packager=packager, export_timeout=settings.export_timeout_seconds)
    if canvas_hooks is _DEFAULT:
        canvas_hooks = _default_canvas_hooks(settings, client_provider, s3)
    return EntryEventProcessor(pipeline, canvas_hooks=canvas_hooks, quiet=settings.coalesce_quiet_seconds,
                               max_wait=settings.coalesce_max_seconds, concurrency=settings.worker_concurrency,
                               on_close=on_close)


def _default_canvas_hooks(settings: ServerSettings, client_provider: Any, s3: Any) -> CanvasHooks | None:
    from benchling_webhook.server.benchling.client import CurrentClient
    from benchling_webhook.server.canvas.hooks import create_canvas_hooks

    hooks: CanvasHooks | None = create_canvas_hooks(settings, CurrentClient(client_provider), s3=s3)
    return hooks
