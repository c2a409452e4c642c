"""``PackageCanvasHooks``: the canvas side of the worker (``CanvasHooks`` in ``server/worker/protocol.py``).

The webhook request only enqueues (Benchling waits at most 3 s); everything here runs in the worker:

* ``begin(message)`` does the immediate canvas work and says whether the entry must be packaged:

  - ``v2.canvas.initialized`` (no canvas id): create the canvas (``POST /app-canvases`` with the
    installation's ``appId`` = envelope ``app.id``, ``featureId``, ``resourceId``) showing "updating…";
    package.
  - ``v2.canvas.created`` / ``v2-beta.canvas.created``: ``GET /app-canvases/{id}`` gives the entry;
    show "updating…"; package.
  - ``v2.canvas.userInteracted``: read the canvas (entry + app state from ``data``), handle the button —
    *Update package* shows "updating…" at once and packages; *Browse files*, *Linked packages*, *Next*,
    *Previous*, *View metadata*, *Back* render from the package's latest manifest (and Athena, for linked
    packages: ``linked.py``); unknown buttons show the main view.

* ``finish(plan, result, error)`` renders the outcome once packaging is done (main view, the error view,
  or the "not packaged" view when the installation's configuration leaves the entry out) — after ``begin``
  said ``needs_package`` or for an entry event on an entry with a known canvas. In Quilt Platform mode the
  revision does not exist yet when packaging returns: the canvas says the packager is creating it (unless
  it already landed, which the ``latest`` pointer shows).
* ``refresh(canvas_id, entry_id, display_id)`` re-renders the view the user is on once a new revision
  exists: the Quilt stack's ``package-revision`` event (``server/worker/revisions.py``) calls it.
* ``gave_up(plan, error)``: packaging an entry failed for good; a FAILED app session says so, attached to
  the entry's canvas (which shows the error view) when there is one.

Work started from the canvas (Update package, a new canvas) opens an app session (``status.py``) whose
id the "updating…" PATCH attaches to the canvas; ``finish`` closes it with the outcome. Every view is
rendered for the canvas's installation: its package prefix, metadata key and canvas note
(``server/appconfig.py``).

``finish`` and ``refresh`` of one canvas run one at a time (a lock per canvas), so a refresh cannot be
overwritten by a "the packager is creating it" rendered before the revision landed. The stack routes the
revision events of the deployment's package prefix only: a canvas of an installation configured with
another prefix says to press Update package instead of waiting for its event.

Invariant: every path ends with a PATCH that carries ``enabled: true`` — a pressed canvas stays disabled
until the app re-enables it. Failures while *rendering* (S3, a corrupt manifest) become the error view;
Athena failures become a warning line in the main view. Only a failing PATCH itself (Benchling down)
propagates, so the inbox retries the event; a canvas that no longer exists is a ``PermanentFailure``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from benchling_webhook.constants import DEFAULT_METADATA_KEY
from benchling_webhook.errors import (
    BenchlingWebhookError,
    EntryBusy,
    EntryOutOfScope,
    PackageNotFoundError,
    PermanentFailure,
)
from benchling_webhook.server.appconfig import AppSettings
from benchling_webhook.server.canvas.api import KEEP, CanvasApi
from benchling_webhook.server.canvas.blocks import Block
from benchling_webhook.server.canvas.linked import LinkedPackage, LinkedPage, linked_packages, page_of
from benchling_webhook.server.canvas.state import Button, CanvasState, View
from benchling_webhook.server.canvas.status import (
    AppSessions,
    MessageStyle,
    SessionStatus,
    failure_sentence,
    session_message,
)
from benchling_webhook.server.canvas.views import (
    PackageLinks,
    render_browse,
    render_error,
    render_linked,
    render_main,
    render_metadata,
    render_out_of_scope,
    render_updating,
    with_note,
)
from benchling_webhook.server.events import EventKind, InboxMessage
from benchling_webhook.server.quilt.athena import LinkedPackageFinder, LinkedPackages
from benchling_webhook.server.quilt.manifest import DEFAULT_PAGE_SIZE, ManifestReader
from benchling_webhook.server.worker.protocol import CanvasPlan, PackageResult

log = logging.getLogger(__name__)

DisplayIdLookup = Callable[[str], Awaitable[str]]
"""entry id -> display id (one ``GET /entries/{id}``), used when the canvas state does not know it yet."""
AppSettingsLookup = Callable[[str | None], AppSettings]
"""installation (app id) -> its settings; blocking (it may read the configuration), run in a thread."""
SESSION_NAME = "Quilt package"


class CanvasClaims(Protocol):
    """The tasks' shared record of each entry's canvas (``server/worker/state.py: StateTable``); blocking."""

    def canvas_for(self, entry_id: str, feature_id: str) -> str | None: ...

    def claim_canvas(self, entry_id: str, feature_id: str, *, replace: str | None = None) -> Any: ...

    def record_canvas(self, entry_id: str, feature_id: str, canvas_id: str) -> None: ...


_REMEMBERED_CREATIONS = 1024
_NAVIGATION = {Button.BROWSE, Button.NEXT, Button.PREVIOUS, Button.METADATA, Button.LINKED, Button.BACK}
_PAGED_VIEWS = {View.BROWSE, View.LINKED}
# a refresh keeps these; every other view becomes the main one
_NAVIGATION_VIEWS = {View.BROWSE, View.METADATA, View.LINKED}


class PackageCanvasHooks:
    """Renders the entry's package on its canvas (see the module docstring for the flows).

    Args:
        api: canvas calls (``CanvasApi`` over the worker's Benchling client).
        display_id_of: looks an entry's display id up when the canvas state lacks it.
        reader: latest-manifest reader of the package bucket.
        finder: linked-package finder (Athena), or None when no Athena database is configured.
        links: catalog / QuiltSync link builder.
        package_prefix, metadata_key: the deployment's; an installation's configuration may set its own.
        app_settings: the installation's settings (default: the deployment's for every installation).
        sessions: app sessions for messages to the user (None: the canvas alone tells).
        revision_events: the worker receives the package-revision events of the deployment's prefix, so a
            canvas waiting for the Quilt packager refreshes itself (and says so).
        claims: the tasks' shared record of each entry's canvas (``server/worker/state.py``): however many
            times ``canvas.initialized`` arrives, on whichever task, an entry and feature get one canvas.
    """

    def __init__(self, api: CanvasApi, display_id_of: DisplayIdLookup, reader: ManifestReader,
                 finder: LinkedPackageFinder | None, links: PackageLinks, package_prefix: str,
                 page_size: int = DEFAULT_PAGE_SIZE, app_settings: AppSettingsLookup | None = None,
                 sessions: AppSessions | None = None, metadata_key: str = DEFAULT_METADATA_KEY,
                 revision_events: bool = False, claims: CanvasClaims | None = None) -> None:
        self._api = api
        self._claims = claims
        self._display_id_of = display_id_of
        self._reader = reader
        self._finder = finder
        self._links = links
        self._defaults = AppSettings.defaults(package_prefix, metadata_key)
        self._app_settings = app_settings
        self._sessions = sessions
        self._page_size = page_size
        # webhook id -> canvas created for it: a retried ``canvas.initialized`` (packaging failed after the
        # canvas was created) re-renders that canvas instead of creating a second one.
        self._created_for: OrderedDict[str, str] = OrderedDict()
        self._revision_events = revision_events
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- CanvasHooks ------------------------------------------------------------------------------
    async def begin(self, message: InboxMessage) -> CanvasPlan:
        m = message.envelope.message
        app_id = message.envelope.app.id
        if m.kind is EventKind.CANVAS_INITIALIZED:
            return await self._initialized(message)
        if m.kind is EventKind.CANVAS_CREATED:
            return await self._created(_required(m.canvas_id, "canvasId", m.type), app_id)
        if m.kind is EventKind.CANVAS_INTERACTION:
            return await self._interacted(_required(m.canvas_id, "canvasId", m.type), m.button_id or "", app_id)
        return CanvasPlan(entry_id=m.resource_id, canvas_id=m.canvas_id, needs_package=False, app_id=app_id)

    async def finish(self, plan: CanvasPlan, result: PackageResult | None, error: BaseException | None) -> None:
        if plan.canvas_id is None or (result is None and error is None):
            return  # no canvas, or begin() already rendered the final view (navigation)
        app = await self._app(plan.app_id)
        if isinstance(error, EntryOutOfScope):
            state = CanvasState(entry_id=error.entry_id, display_id=error.display_id, view=View.OUT_OF_SCOPE)
            await self._patch(plan.canvas_id, render_out_of_scope(error.package_name, error.reason), state, app,
                              session_id=plan.session_id)
            await self._close(plan, SessionStatus.COMPLETED_WITH_WARNINGS,
                              session_message(f"Not packaged: {error.reason}.", MessageStyle.WARNING, plan.entry_id))
            return
        if error is not None:
            state = CanvasState(entry_id=plan.entry_id, display_id=result.display_id if result else None,
                                view=View.ERROR)
            name = self._name(app, state.display_id) if state.display_id else None
            await self._patch(plan.canvas_id, render_error(failure_sentence(error), name), state, app,
                              session_id=plan.session_id)
            await self._close(plan, SessionStatus.FAILED,
                              session_message(failure_sentence(error), MessageStyle.ERROR, plan.entry_id))
            return
        assert result is not None
        state = CanvasState(entry_id=result.entry_id, display_id=result.display_id, view=View.MAIN)
        async with self._lock(plan.canvas_id):
            # Quilt Platform mode: the packager builds the revision later; say so instead of a stale "done".
            pending = result.top_hash is None and result.revision_created and not await self._landed(result)
            note = None
            if pending:
                note = "The Quilt packager is creating the new revision; " + (
                    "this canvas shows it as soon as it exists." if self._follows_revisions(app)
                    else "press Update package to refresh.")
            state, blocks = await self._render(state, app, lambda: self._main_view(state, app, updating=pending,
                                                                                    note=note))
            await self._patch(plan.canvas_id, blocks, state, app, session_id=plan.session_id)
        done = "is being created by the Quilt packager" if pending else \
            "has a new revision" if result.revision_created else "is up to date"
        await self._close(plan, SessionStatus.SUCCEEDED,
                          session_message(f"Package {result.package_name} {done}.", MessageStyle.SUCCESS,
                                          plan.entry_id))

    async def gave_up(self, plan: CanvasPlan, error: BaseException | None) -> None:
        sentence = failure_sentence(error, "package this entry") if error is not None else \
            "Could not package this entry after several attempts (details are in the server logs)."
        session_id = None
        if self._sessions is not None and plan.app_id:
            session_id = await self._sessions.report(plan.app_id, SESSION_NAME, SessionStatus.FAILED,
                                                     session_message(sentence, MessageStyle.ERROR, plan.entry_id))
        if plan.canvas_id is not None:
            app = await self._app(plan.app_id)
            state = CanvasState(entry_id=plan.entry_id, view=View.ERROR)
            await self._patch(plan.canvas_id, render_error(sentence), state, app,
                              session_id=session_id if session_id else KEEP)

    async def refresh(self, canvas_id: str, entry_id: str, display_id: str | None) -> bool:
        """Show the package's newest revision in the view the user is on (a package-revision event).

        Returns False, changing nothing, when the canvas no longer shows ``entry_id``.
        """
        async with self._lock(canvas_id):
            record = await self._api.get(canvas_id)
            state = CanvasState.from_data(record.data, record.resource_id)
            if state.entry_id != entry_id:
                return False
            app = await self._app(record.app_id)
            state = state.but(display_id=state.display_id or display_id)
            if state.view not in _NAVIGATION_VIEWS:
                state = state.but(view=View.MAIN, page=0)
            target = state
            state, blocks = await self._render(target, app, lambda: self._view(target, app))
            await self._patch(canvas_id, blocks, state, app)
        log.info("canvas refreshed", extra={"canvas_id": canvas_id, "entry_id": entry_id, "view": state.view.value})
        return True

    # -- flows ------------------------------------------------------------------------------------
    async def _initialized(self, message: InboxMessage) -> CanvasPlan:
        m = message.envelope.message
        app_id = message.envelope.app.id
        entry_id = _required(m.resource_id, "resourceId", m.type)
        app = await self._app(app_id)
        state = CanvasState(entry_id=entry_id, view=View.UPDATING)
        feature = m.feature_id or ""
        # One creation at a time per entry and feature in this process; the claim covers the other tasks.
        async with self._lock(f"create:{entry_id}#{feature}"):
            existing = self._created_for.get(message.webhook_id)
            if existing is None and self._claims is not None:
                existing = await asyncio.to_thread(self._claims.canvas_for, entry_id, feature)
            if existing is None:
                await self._claim(entry_id, feature)
            session_id = await self._start(app_id, entry_id)
            if existing is not None:
                try:
                    await self._patch(existing, render_updating(), state, app, session_id=session_id or KEEP)
                    return CanvasPlan(entry_id=entry_id, canvas_id=existing, needs_package=True, app_id=app_id,
                                      session_id=session_id)
                except PermanentFailure:  # the recorded canvas was deleted: this one replaces it
                    if self._claims is None:
                        raise
                    await self._claim(entry_id, feature, replace=existing)
            record = await self._api.create(app_id=app_id, feature_id=m.feature_id, resource_id=entry_id,
                                            blocks=with_note(render_updating(), app.canvas_note),
                                            data=state.to_data(), session_id=session_id)
            if self._claims is not None:
                await asyncio.to_thread(self._claims.record_canvas, entry_id, feature, record.id)
            self._created_for[message.webhook_id] = record.id
            while len(self._created_for) > _REMEMBERED_CREATIONS:
                self._created_for.popitem(last=False)
        log.info("canvas created", extra={"canvas_id": record.id, "entry_id": entry_id})
        return CanvasPlan(entry_id=entry_id, canvas_id=record.id, needs_package=True, app_id=app_id,
                          session_id=session_id)

    async def _claim(self, entry_id: str, feature: str, replace: str | None = None) -> None:
        """Claim the creation of the entry's canvas across tasks; ``EntryBusy`` while another task creates it
        (its retry then finds the canvas recorded and renders it)."""
        if self._claims is None:
            return
        holder = await asyncio.to_thread(self._claims.claim_canvas, entry_id, feature, replace=replace)
        if holder is not None:
            raise EntryBusy(entry_id, retry_after=max(0.5, holder.until - time.time()))

    async def _created(self, canvas_id: str, app_id: str) -> CanvasPlan:
        record = await self._api.get(canvas_id)
        app = await self._app(app_id)
        state = CanvasState.from_data(record.data, record.resource_id)
        if not state.entry_id:
            return await self._detached(canvas_id, state, app)
        session_id = await self._start(app_id, state.entry_id)
        state, blocks = await self._render(state, app, lambda: self._updating_view(state, app))
        await self._patch(canvas_id, blocks, state, app, session_id=session_id or KEEP)
        return CanvasPlan(entry_id=state.entry_id, canvas_id=canvas_id, needs_package=True, app_id=app_id,
                          session_id=session_id)

    async def _interacted(self, canvas_id: str, button_id: str, app_id: str) -> CanvasPlan:
        record = await self._api.get(canvas_id)
        app = await self._app(app_id)
        state = CanvasState.from_data(record.data, record.resource_id)
        if not state.entry_id:
            return await self._detached(canvas_id, state, app)
        if button_id == Button.UPDATE:
            # No Athena and no entry lookup here: this PATCH must land at once.
            session_id = await self._start(app_id, state.entry_id)
            state, blocks = await self._render(state, app, lambda: self._updating_view(state, app))
            await self._patch(canvas_id, blocks, state, app, session_id=session_id or KEEP)
            return CanvasPlan(entry_id=state.entry_id, canvas_id=canvas_id, needs_package=True, app_id=app_id,
                              session_id=session_id)
        if button_id not in _NAVIGATION:
            log.info("unknown canvas button", extra={"canvas_id": canvas_id, "button_id": button_id[:100]})
        target = _next_state(state, button_id)
        state, blocks = await self._render(target, app, lambda: self._view(target, app))
        await self._patch(canvas_id, blocks, state, app)
        return CanvasPlan(entry_id=state.entry_id, canvas_id=canvas_id, needs_package=False, app_id=app_id)

    async def _detached(self, canvas_id: str, state: CanvasState, app: AppSettings) -> CanvasPlan:
        await self._patch(canvas_id, render_error("This canvas is not attached to a notebook entry."),
                          state.but(view=View.ERROR), app)
        return CanvasPlan(entry_id=None, canvas_id=canvas_id, needs_package=False)

    # -- rendering: each returns (the state that matches what is shown, blocks) -----------------------
    async def _view(self, state: CanvasState, app: AppSettings) -> tuple[CanvasState, list[Block]]:
        if not state.display_id:
            state = state.but(display_id=await self._lookup(state))
        name = self._name(app, state.display_id)
        try:
            if state.view is View.BROWSE:
                page = await asyncio.to_thread(self._reader.page, name, state.page, self._page_size)
                return state.but(page=page.page), render_browse(self._links, page)
            if state.view is View.METADATA:
                revision = await asyncio.to_thread(self._reader.revision, name)
                return state, render_metadata(self._links, revision)
            if state.view is View.LINKED:
                return await self._linked_view(state, name, app)
        except PackageNotFoundError:
            return state.but(view=View.MISSING, page=0), render_main(self._links, name, None)
        return await self._main_view(state, app)

    async def _main_view(self, state: CanvasState, app: AppSettings, updating: bool = False,
                         note: str | None = None) -> tuple[CanvasState, list[Block]]:
        name = self._name(app, state.display_id)
        try:
            # While updating only the previous revision's time is shown: the pointer suffices, no manifest scan.
            revision = await asyncio.to_thread(self._reader.pointer if updating else self._reader.revision, name)
        except PackageNotFoundError:
            missing = View.UPDATING if updating else View.MISSING
            return state.but(view=missing, page=0), render_main(self._links, name, None, updating=updating,
                                                                 note=note)
        linked = None if updating else await self._linked(state.display_id or "", name, app)
        view = View.UPDATING if updating else View.MAIN
        return state.but(view=view, page=0), render_main(self._links, name, revision, updating=updating,
                                                          linked=linked, note=note)

    async def _linked_view(self, state: CanvasState, name: str, app: AppSettings) -> tuple[CanvasState, list[Block]]:
        revision = await asyncio.to_thread(self._reader.revision, name)
        found = await self._linked(state.display_id or "", name, app)
        rows = linked_packages(revision.user_meta, own=name, package_name=lambda d: self._name(app, d),
                               found=found, metadata_key=app.metadata_key, display_id=state.display_id or "")
        page, shown = page_of(rows, state.page, self._page_size)
        shown = await asyncio.to_thread(self._with_existence, shown)
        linked = LinkedPage(tuple(shown), page, self._page_size, len(rows), found.warning if found else None)
        return state.but(page=page), render_linked(self._links, name, linked)

    def _with_existence(self, rows: list[LinkedPackage]) -> list[LinkedPackage]:
        """Whether each linked entry's package exists yet (a small read of its ``latest`` pointer)."""
        checked = []
        for row in rows:
            if row.exists is None:
                try:
                    self._reader.latest(row.name)
                    row = LinkedPackage(row.name, row.via, True)
                except PackageNotFoundError:
                    row = LinkedPackage(row.name, row.via, False)
            checked.append(row)
        return checked

    async def _updating_view(self, state: CanvasState, app: AppSettings) -> tuple[CanvasState, list[Block]]:
        if not state.display_id:
            return state.but(view=View.UPDATING, page=0), render_updating()
        return await self._main_view(state, app, updating=True)

    async def _linked(self, display_id: str, name: str, app: AppSettings) -> LinkedPackages | None:
        if self._finder is None:
            return None
        finder = self._finder
        return await asyncio.to_thread(lambda: finder.find(display_id, name, metadata_key=app.metadata_key))

    async def _render(self, state: CanvasState, app: AppSettings,
                      render: Callable[[], Awaitable[tuple[CanvasState, list[Block]]]]
                      ) -> tuple[CanvasState, list[Block]]:
        """Render, turning any failure (S3, a corrupt manifest, the entry lookup) into the error view."""
        try:
            return await render()
        except Exception as exc:
            log.warning("canvas render failed", extra={"entry_id": state.entry_id, "view": state.view.value,
                                                       "error": repr(exc)})
            name = self._name(app, state.display_id) if state.display_id else None
            return state.but(view=View.ERROR), render_error(failure_sentence(exc, "show the package"), name)

    async def _landed(self, result: PackageResult) -> bool:
        """The package's latest revision is no longer the one before this run: the packager is done."""
        try:
            top_hash, _ = await asyncio.to_thread(self._reader.latest, result.package_name)
        except PackageNotFoundError:
            return False
        return top_hash != result.previous_top_hash

    def _follows_revisions(self, app: AppSettings) -> bool:
        """A new revision of this installation's packages reaches ``refresh`` (the stack's rule matches it)."""
        return self._revision_events and app.package_prefix == self._defaults.package_prefix

    def _lock(self, canvas_id: str) -> asyncio.Lock:
        lock = self._locks.get(canvas_id)
        if lock is None:
            lock = self._locks[canvas_id] = asyncio.Lock()
        return lock

    async def _lookup(self, state: CanvasState) -> str:
        assert state.entry_id is not None
        return await self._display_id_of(state.entry_id)

    async def _patch(self, canvas_id: str, blocks: list[Block], state: CanvasState, app: AppSettings, *,
                     session_id: object = KEEP) -> None:
        await self._api.update(canvas_id, with_note(blocks, app.canvas_note), state.to_data(), enabled=True,
                               session_id=session_id)

    # -- the installation and its sessions ---------------------------------------------------------------
    async def _app(self, app_id: str | None) -> AppSettings:
        """The installation's settings; when they cannot be read, the deployment's (the canvas must render)."""
        lookup = self._app_settings
        if lookup is None:
            return self._defaults
        try:
            return await asyncio.to_thread(lookup, app_id)
        except BenchlingWebhookError as exc:
            log.warning("app configuration unavailable for the canvas; defaults apply",
                        extra={"app_id": app_id, "reason": exc.message})
            return self._defaults

    async def _start(self, app_id: str, entry_id: str) -> str | None:
        if self._sessions is None:
            return None
        return await self._sessions.start(app_id, SESSION_NAME, session_message(
            "Packaging this entry as a Quilt package…", MessageStyle.INFO, entry_id))

    async def _close(self, plan: CanvasPlan, status: SessionStatus, message: dict[str, str]) -> None:
        if self._sessions is not None and plan.session_id:
            await self._sessions.close(plan.session_id, status, message)

    def _name(self, app: AppSettings, display_id: str | None) -> str:
        """``<prefix>/<display id>`` made safe exactly as the worker's pipeline names packages."""
        from benchling_webhook.server.worker.metadata import package_segment

        return f"{package_segment(app.package_prefix)}/{package_segment(display_id or '')}"


def _next_state(state: CanvasState, button_id: str) -> CanvasState:
    """Where a navigation button leads (pages are clamped when rendered)."""
    if button_id == Button.BROWSE:
        return state.but(view=View.BROWSE, page=0)
    if button_id == Button.LINKED:
        return state.but(view=View.LINKED, page=0)
    if button_id in (Button.NEXT, Button.PREVIOUS):  # pages of the view shown; from elsewhere, of the files
        view = state.view if state.view in _PAGED_VIEWS else View.BROWSE
        page = state.page if state.view in _PAGED_VIEWS else 0
        return state.but(view=view, page=page + 1 if button_id == Button.NEXT else max(0, page - 1))
    if button_id == Button.METADATA:
        return state.but(view=View.METADATA, page=0)
    return state.but(view=View.MAIN, page=0)  # Back, and any button we do not know


def _required(value: str | None, field_name: str, event_type: str) -> str:
    if not value:
        raise PermanentFailure(f"{event_type} without {field_name}")
    return value


def create_canvas_hooks(settings: Any, client: Any, *, s3: Any = None, athena: Any = None,
                        page_size: int = DEFAULT_PAGE_SIZE, athena_timeout: float = 10.0,
                        app_settings: AppSettingsLookup | None = None, sessions: bool = True,
                        state: CanvasClaims | None = None) -> PackageCanvasHooks | None:
    """Hooks for the worker from ``ServerSettings`` and the worker's ``BenchlingClient``.

    Returns None when no package bucket is configured (nothing to render). Athena is optional: without
    ``ATHENA_USER_DATABASE`` the main view has no linked-packages line. ``app_settings`` gives each
    installation's configuration (the worker passes its pipeline's); ``sessions=False`` keeps the user's
    messages on the canvas alone.
    """
    if not settings.package_bucket:
        return None
    from benchling_webhook.aws.session import client_config, create_session

    session = None
    if s3 is None or (athena is None and settings.athena_user_database):
        session = create_session(region=settings.aws_region)
    if s3 is None:
        assert session is not None
        s3 = session.client("s3", endpoint_url=settings.aws_endpoint_url, config=client_config())
    finder = None
    if settings.athena_user_database:
        if athena is None:
            assert session is not None
            athena = session.client("athena", endpoint_url=settings.aws_endpoint_url, config=client_config())
        finder = LinkedPackageFinder(athena, settings.athena_user_database, settings.package_bucket,
                                     settings.metadata_key, workgroup=settings.athena_workgroup,
                                     output_location=settings.athena_output_location, timeout=athena_timeout)

    async def display_id_of(entry_id: str) -> str:
        # Attribute access may resolve the current client (and read the secret): keep it off the loop too.
        entry = await asyncio.to_thread(lambda: client.get_entry(entry_id))
        display_id = entry.get("displayId")
        if not isinstance(display_id, str) or not display_id:
            raise PermanentFailure(f"entry {entry_id} has no display id")
        return display_id

    return PackageCanvasHooks(CanvasApi(client), display_id_of, ManifestReader(s3, settings.package_bucket),
                              finder, PackageLinks(settings.package_bucket, settings.quilt_web_host),
                              settings.package_prefix, page_size=page_size, app_settings=app_settings,
                              sessions=AppSessions(client) if sessions else None, metadata_key=settings.metadata_key,
                              revision_events=bool(settings.revision_events_queue_url), claims=state)
