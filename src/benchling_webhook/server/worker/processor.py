"""``EntryEventProcessor``: what the worker does with each inbox message (``EventProcessor``).

Dispatch on the event kind:

* ENTRY (``v2.entry.*``): package the entry. Calls for the same entry coalesce (``coalesce.py``):
  one run covers every event that arrived before it started. After the run, if the entry has a canvas
  (an ``app_canvas`` note part of our app, or one recorded in the package metadata), the canvas hooks'
  ``finish`` renders the result — once per run, not once per event.
* CANVAS_*: ``canvas_hooks.begin`` does the immediate canvas work and returns a ``CanvasPlan``; when it
  needs a package, the entry is packaged (joining any pending run); ``finish`` always follows, with the
  result or the error, so the canvas is re-enabled on every path.
* CONFIGURATION (``v2-beta.app.configuration.updated``): the installation's App Configuration is read
  again at once (``server/appconfig.py``).
* LIFECYCLE / UNKNOWN: logged, nothing else.
* Backfill events (``server/backfill.py``, from the backfill queue): the entry is packaged like an entry
  event, but its Benchling calls rank below every live call and the run steps aside between its steps
  while a live run is going on (``benchling/budget.py``: ``ApiBudget``, ``LiveWork``), an archived entry
  is left alone, no canvas is updated, and the outcome is recorded for the CLI. An entry that cannot be read
  (deleted, not shared) is reported as skipped and the event succeeds: it is never dead-lettered.

Many tasks (``state.py``, with ``STATE_TABLE``): a run holds the entry's lease from reading the entry to
publishing; an entry leased by another task makes the events ``EntryBusy`` (deferred by the consumer).
A webhook id already processed by any task is skipped, and each processed one is recorded.

An entry the installation's configuration leaves out is not packaged; its canvas says why — for entry
events once per canvas and reason, so a burst of edits to such an entry costs no canvas update after the
first.

Failures: ``PermanentFailure`` (entry deleted or not shared) dead-letters the message at once; any
other exception makes the consumer retry it (and dead-letter it once it is ``INBOX_MAX_AGE_SECONDS`` old). When the
consumer gives up on an entry event, ``abandon`` has the canvas hooks tell the user in Benchling.

The consumer must let a whole burst be in flight at once (it calls ``handle`` concurrently, one call
per message): coalescing only sees events that are in flight together. Bounded concurrency applies to
*runs* here (``WORKER_CONCURRENCY``), not to messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import BenchlingWebhookError, ConfigError, EntryBusy, PermanentFailure
from benchling_webhook.server.backfill import Outcome, OutcomeRecorder, backfill_run
from benchling_webhook.server.benchling.budget import Priority, call_with_priority
from benchling_webhook.server.events import EventKind, InboxMessage
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.coalesce import Coalescer
from benchling_webhook.server.worker.pipeline import EntryPipeline, PackageOutcome
from benchling_webhook.server.worker.protocol import CanvasHooks, CanvasPlan
from benchling_webhook.server.worker.state import EntryLeases, StateTable

log = logging.getLogger(__name__)

_REMEMBERED_TOLD = 4096


@dataclass(frozen=True)
class _Event:
    """What one coalesced ``handle`` call contributes to a run."""

    kind: EventKind
    webhook_id: str
    app_id: str
    canvas_id: str | None = None
    backfill: bool = False


class EntryEventProcessor:
    """Coalescing entry packager plus canvas hand-off (see module doc)."""

    def __init__(self, pipeline: EntryPipeline, *, canvas_hooks: CanvasHooks | None, quiet: float,
                 max_wait: float, concurrency: int, executor: ThreadPoolExecutor | None = None,
                 on_close: list[Any] | None = None, outcomes: OutcomeRecorder | None = None,
                 state: StateTable | None = None, leases: EntryLeases | None = None) -> None:
        self.pipeline = pipeline
        self.canvas_hooks = canvas_hooks
        self.outcomes = outcomes
        self.state = state
        self.leases = leases
        self._executor = executor or ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="package")
        self.coalescer: Coalescer[_Event, PackageOutcome] = Coalescer(
            self._package, quiet=quiet, max_wait=max_wait, concurrency=concurrency)
        self._on_close = on_close or []
        # canvas id -> the out-of-scope reason it already shows (entry events do not repeat it)
        self._told: OrderedDict[str, str] = OrderedDict()

    async def handle(self, message: InboxMessage) -> None:
        state = self.state
        if state is not None and await asyncio.to_thread(state.done, message.webhook_id):
            log.info("webhook already processed; duplicate delivery skipped", extra=message.log_fields())
            return
        await self._dispatch(message)
        if state is not None:
            try:
                await asyncio.to_thread(state.mark_done, message.webhook_id)
            except Exception:  # the event is done; a redelivery would only repeat idempotent work
                log.warning("could not record the processed webhook", extra=message.log_fields(), exc_info=True)

    async def _dispatch(self, message: InboxMessage) -> None:
        m = message.envelope.message
        fields = message.log_fields()
        if (run_id := backfill_run(message)) is not None:
            await self._backfill(message, run_id, fields)
            return
        if m.kind is EventKind.ENTRY:
            if not m.resource_id:
                raise PermanentFailure(f"{m.type} event without resourceId")
            outcome = await self.coalescer.submit(m.resource_id, _Event(m.kind, message.webhook_id,
                                                                        message.envelope.app.id))
            if outcome.result is not None:
                log.info("entry event done", extra={**fields, "package": outcome.result.package_name,
                                                    "revision_created": outcome.result.revision_created})
            return
        if m.kind is EventKind.CONFIGURATION:
            await self._configuration_changed(message.envelope.app.id, fields)
            return
        if m.kind in (EventKind.LIFECYCLE, EventKind.UNKNOWN):
            log.info("event needs no work", extra=fields)
            return
        await self._canvas_event(message)

    async def _backfill(self, message: InboxMessage, run_id: str, fields: dict[str, Any]) -> None:
        """Package an entry of a backfill run and record what became of it (see the module docstring)."""
        entry_id = message.envelope.message.resource_id
        if not entry_id:
            log.warning("backfill event without an entry id", extra=fields)
            return
        try:
            outcome = await self.coalescer.submit(entry_id, _Event(EventKind.ENTRY, message.webhook_id,
                                                                   message.envelope.app.id, backfill=True))
        except PermanentFailure as exc:
            log.warning("backfill: entry skipped", extra={**fields, "run_id": run_id, "reason": exc.message})
            await self._record(run_id, entry_id, Outcome.SKIPPED, exc.message)
            return
        if outcome.out_of_scope is not None:
            await self._record(run_id, entry_id, Outcome.SKIPPED, outcome.out_of_scope.reason)
        elif outcome.result is not None:
            await self._record(run_id, entry_id,
                               Outcome.PACKAGED if outcome.result.revision_created else Outcome.UNCHANGED)

    async def _record(self, run_id: str, entry_id: str, outcome: Outcome, reason: str | None = None) -> None:
        if self.outcomes is not None:
            await asyncio.to_thread(self.outcomes.record, run_id, entry_id, outcome, reason)

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
        except EntryBusy:
            raise  # deferred: the canvas keeps saying it is updating until the retry finishes it
        except BaseException as exc:
            try:
                await self.canvas_hooks.finish(plan, None, exc)
            except Exception:
                log.exception("canvas could not show the failure", extra=message.log_fields())
            raise
        if outcome.out_of_scope is not None and plan.canvas_id:
            self._remember_told(plan.canvas_id, outcome.out_of_scope.reason)
        elif plan.canvas_id:
            self._told.pop(plan.canvas_id, None)
        await self.canvas_hooks.finish(plan, outcome.result, outcome.out_of_scope)

    async def _configuration_changed(self, app_id: str, fields: dict[str, Any]) -> None:
        """Re-read the installation's configuration now; the next run uses it even if this read fails."""
        store = self.pipeline.app_config
        self._told.clear()  # the scope may have changed: canvases are told again
        if store is None:
            return
        store.invalidate(app_id)
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, store.refresh, app_id)
        except BenchlingWebhookError as exc:
            log.warning("app configuration could not be re-read; the next event reads it",
                        extra={**fields, "app_id": app_id, "reason": exc.message})
            return
        log.info("app configuration re-read", extra={**fields, "app_id": app_id})

    async def abandon(self, message: InboxMessage, error: BaseException | None) -> None:
        """The consumer gave up on ``message``: for an entry event, tell the user in Benchling (never raises).

        Canvas events need nothing more: their canvas and session already show the last failure.
        """
        m = message.envelope.message
        if (run_id := backfill_run(message)) is not None and m.resource_id:
            await self._record(run_id, m.resource_id, Outcome.FAILED,
                               f"{type(error).__name__}: {error}" if error is not None else "gave up")
            return
        if m.kind is not EventKind.ENTRY or not m.resource_id or self.canvas_hooks is None:
            return
        plan = CanvasPlan(entry_id=m.resource_id, canvas_id=self.pipeline.known_canvas(m.resource_id),
                          needs_package=False, app_id=message.envelope.app.id)
        try:
            await self.canvas_hooks.gave_up(plan, error)
        except Exception:
            log.warning("could not tell the user about a failed entry", extra=message.log_fields(), exc_info=True)

    def _remember_told(self, canvas_id: str, reason: str) -> None:
        self._told[canvas_id] = reason
        self._told.move_to_end(canvas_id)
        while len(self._told) > _REMEMBERED_TOLD:
            self._told.popitem(last=False)

    async def _package(self, entry_id: str, events: list[_Event]) -> PackageOutcome:
        """One coalesced run (in the thread pool), then the canvas update owed to entry events."""
        canvas_hint = next((e.canvas_id for e in reversed(events) if e.canvas_id), None)
        app_id = next((e.app_id for e in reversed(events) if e.app_id), events[-1].app_id)
        backfill_only = all(e.backfill for e in events)  # a live event joining the run makes it live
        loop = asyncio.get_running_loop()
        with contextlib.nullcontext() if backfill_only else self.pipeline.live.running():
            outcome = await loop.run_in_executor(self._executor, partial(
                self._run_leased, Priority.BACKFILL if backfill_only else Priority.LIVE, entry_id,
                canvas_id=canvas_hint, app_id=app_id, skip_archived=backfill_only))
        covered = {e.canvas_id for e in events if e.kind is not EventKind.ENTRY}
        if self.canvas_hooks is not None and outcome.canvas_id and outcome.canvas_id not in covered and any(
                e.kind is EventKind.ENTRY and not e.backfill for e in events):
            scope = outcome.out_of_scope
            if scope is not None and self._told.get(outcome.canvas_id) == scope.reason:
                return outcome  # the canvas already says why
            plan = CanvasPlan(entry_id=entry_id, canvas_id=outcome.canvas_id, needs_package=True,
                              app_id=events[-1].app_id)
            try:
                await self.canvas_hooks.finish(plan, outcome.result, scope)
            except PermanentFailure as exc:  # the canvas is gone; the package is still fine
                log.warning("canvas update skipped", extra={"entry_id": entry_id, "reason": str(exc)})
                return outcome
            if scope is not None:
                self._remember_told(outcome.canvas_id, scope.reason)
            else:
                self._told.pop(outcome.canvas_id, None)
        return outcome

    def _run_leased(self, priority: Priority, entry_id: str, **options: Any) -> PackageOutcome:
        """One pipeline run (in the thread pool) under the entry's lease when tasks share a state table."""
        if self.leases is None:
            return call_with_priority(priority, self.pipeline.run, entry_id, **options)
        with self.leases.hold(entry_id) as still_ours:
            return call_with_priority(priority, self.pipeline.run, entry_id, still_ours=still_ours, **options)

    async def aclose(self) -> None:
        if self.leases is not None:
            self.leases.close()
        self.pipeline.stop.set()
        await self.coalescer.aclose()
        self._executor.shutdown(wait=False, cancel_futures=True)
        for close in self._on_close:
            try:
                close()
            except Exception:  # closing is best effort
                log.debug("close failed", exc_info=True)


_DEFAULT: Any = object()


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
    from benchling_webhook.server.appconfig import AppConfigStore, AppSettings
    from benchling_webhook.server.benchling.budget import ApiBudget, LiveWork
    from benchling_webhook.server.benchling.client import BenchlingClientProvider, create_benchling_client
    from benchling_webhook.server.worker.package import DirectPackager, Packager, QueuePackager

    if not settings.package_bucket:
        raise ConfigError(f"{EnvVars.PACKAGE_BUCKET} is not set: the worker has nowhere to write packages",
                          hint=f"set {EnvVars.PACKAGE_BUCKET} (and {EnvVars.PACKAGE_PREFIX}) in the container "
                               "environment")

    def aws(service: str) -> Any:
        return create_session(region=settings.aws_region).client(
            service, endpoint_url=settings.aws_endpoint_url, config=client_config())

    s3 = s3 if s3 is not None else aws("s3")
    live = LiveWork()  # live runs in progress: backfill runs and their API calls step aside
    packager: Packager
    if settings.packager_sqs_url:
        packager = QueuePackager(sqs if sqs is not None else aws("sqs"), settings.packager_sqs_url,
                                 workflow=settings.quilt_workflow)
    else:
        packager = DirectPackager(settings.aws_endpoint_url, workflow=settings.quilt_workflow)
    on_close: list[Any] = []
    if client_provider is None:
        from benchling_webhook.server.secrets import create_secret_store

        budget = ApiBudget(settings.benchling_api_rate, live=live)  # one per process: every call of every client
        client_provider = BenchlingClientProvider(settings, create_secret_store(settings),
                                                  factory=partial(create_benchling_client, budget=budget))
        on_close.append(client_provider.close)
    provider = client_provider
    app_config = AppConfigStore(lambda app_id: provider().list_app_configuration_items(app_id),
                                AppSettings.defaults(settings.package_prefix, settings.metadata_key),
                                ttl=settings.app_config_ttl_seconds)
    state = leases = None
    if settings.state_table:
        state = StateTable(aws("dynamodb"), settings.state_table)
        leases = EntryLeases(state, settings.lease_seconds)
    pipeline = EntryPipeline(client=client_provider, s3=s3, bucket=settings.package_bucket,
                             prefix=settings.package_prefix, metadata_key=settings.metadata_key,
                             packager=packager, export_timeout=settings.export_timeout_seconds,
                             app_config=app_config, live=live)
    if canvas_hooks is _DEFAULT:
        canvas_hooks = _default_canvas_hooks(settings, client_provider, s3, pipeline, state)
    return EntryEventProcessor(pipeline, canvas_hooks=canvas_hooks, quiet=settings.coalesce_quiet_seconds,
                               max_wait=settings.coalesce_max_seconds, concurrency=settings.worker_concurrency,
                               on_close=on_close, outcomes=OutcomeRecorder(s3, settings.package_bucket),
                               state=state, leases=leases)


def _default_canvas_hooks(settings: ServerSettings, client_provider: Any, s3: Any,
                          pipeline: EntryPipeline, state: StateTable | None) -> CanvasHooks | None:
    from benchling_webhook.server.benchling.client import CurrentClient
    from benchling_webhook.server.canvas.hooks import create_canvas_hooks

    hooks: CanvasHooks | None = create_canvas_hooks(settings, CurrentClient(client_provider), s3=s3,
                                                    app_settings=pipeline.settings_for, state=state)
    return hooks
