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

* ``finish(plan, result, error)`` renders the outcome once packaging is done (main view, or the error
  view) — after ``begin`` said ``needs_package`` or for an entry event on an entry with a known canvas.
  In Quilt Platform mode the revision does not exist yet when packaging returns: the canvas says the
  packager is creating it (unless it already landed, which the ``latest`` pointer shows).
* ``refresh(canvas_id, entry_id, display_id)`` re-renders the view the user is on once a new revision
  exists: the Quilt stack's ``package-revision`` event (``server/worker/revisions.py``) calls it.

``finish`` and ``refresh`` of one canvas run one at a time (a lock per canvas), so a refresh cannot be
overwritten by a "the packager is creating it" rendered before the revision landed.

Invariant: every path ends with a PATCH that carries ``enabled: true`` — a pressed canvas stays disabled
until the app re-enables it. Failures while *rendering* (S3, a corrupt manifest) become the error view;
Athena failures become a warning line in the main view. Only a failing PATCH itself (Benchling down)
propagates, so the inbox retries the event; a canvas that no longer exists is a ``PermanentFailure``.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from benchling_webhook.constants import DEFAULT_METADATA_KEY
from benchling_webhook.errors import BenchlingWebhookError, PackageNotFoundError, PermanentFailure
from benchling_webhook.server.canvas.api import CanvasApi
from benchling_webhook.server.canvas.blocks import Block
from benchling_webhook.server.canvas.linked import LinkedPackage, LinkedPage, linked_packages, page_of
from benchling_webhook.server.canvas.state import Button, CanvasState, View
from benchling_webhook.server.canvas.views import (
    PackageLinks,
    render_browse,
    render_error,
    render_linked,
    render_main,
    render_metadata,
    render_updating,
)
from benchling_webhook.server.events import EventKind, InboxMessage
from benchling_webhook.server.quilt.athena import LinkedPackageFinder, LinkedPackages
from benchling_webhook.server.quilt.manifest import DEFAULT_PAGE_SIZE, ManifestReader
from benchling_webhook.server.worker.protocol import CanvasPlan, PackageResult

log = logging.getLogger(__name__)

DisplayIdLookup = Callable[[str], Awaitable[str]]
"""entry id -> display id (one ``GET /entries/{id}``), used when the canvas state does not know it yet."""

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
        package_prefix: package names are ``<prefix>/<display id>``.
        revision_events: the worker receives package-revision events, so a canvas waiting for the Quilt
            packager refreshes itself (and says so).
        metadata_key: the metadata key that links a package to an entry (for the linked-packages view).
    """

    def __init__(self, api: CanvasApi, display_id_of: DisplayIdLookup, reader: ManifestReader,
                 finder: LinkedPackageFinder | None, links: PackageLinks, package_prefix: str,
                 page_size: int = DEFAULT_PAGE_SIZE, revision_events: bool = False,
                 metadata_key: str = DEFAULT_METADATA_KEY) -> None:
        self._api = api
        self._display_id_of = display_id_of
        self._reader = reader
        self._finder = finder
        self._links = links
        self._prefix = package_prefix.strip("/")
        self._page_size = page_size
        # webhook id -> canvas created for it: a retried ``canvas.initialized`` (packaging failed after the
        # canvas was created) re-renders that canvas instead of creating a second one.
        self._created_for: OrderedDict[str, str] = OrderedDict()
        self._revision_events = revision_events
        self._metadata_key = metadata_key
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- CanvasHooks ------------------------------------------------------------------------------
    async def begin(self, message: InboxMessage) -> CanvasPlan:
        m = message.envelope.message
        if m.kind is EventKind.CANVAS_INITIALIZED:
            return await self._initialized(message)
        if m.kind is EventKind.CANVAS_CREATED:
            return await self._created(_required(m.canvas_id, "canvasId", m.type))
        if m.kind is EventKind.CANVAS_INTERACTION:
            return await self._interacted(_required(m.canvas_id, "canvasId", m.type), m.button_id or "")
        return CanvasPlan(entry_id=m.resource_id, canvas_id=m.canvas_id, needs_package=False)

    async def finish(self, plan: CanvasPlan, result: PackageResult | None, error: BaseException | None) -> None:
        if plan.canvas_id is None:
            return
        if error is not None:
            state = CanvasState(entry_id=plan.entry_id, display_id=result.display_id if result else None,
                                view=View.ERROR)
            name = self._name(state.display_id) if state.display_id else None
            await self._patch(plan.canvas_id, render_error(_failure_sentence(error), name), state)
            return
        if result is None:
            return  # begin() already rendered the final view (navigation)
        state = CanvasState(entry_id=result.entry_id, display_id=result.display_id, view=View.MAIN)
        async with self._lock(plan.canvas_id):
            # Quilt Platform mode: the packager builds the revision later; say so instead of a stale "done".
            pending = result.top_hash is None and result.revision_created and not await self._landed(result)
            note = None
            if pending:
                note = "The Quilt packager is creating the new revision; " + (
                    "this canvas shows it as soon as it exists." if self._revision_events
                    else "press Update package to refresh.")
            state, blocks = await self._render(state, lambda: self._main_view(state, updating=pending, note=note))
            await self._patch(plan.canvas_id, blocks, state)

    async def refresh(self, canvas_id: str, entry_id: str, display_id: str | None) -> bool:
        """Show the package's newest revision in the view the user is on (a package-revision event).

        Returns False, changing nothing, when the canvas no longer shows ``entry_id``.
        """
        async with self._lock(canvas_id):
            record = await self._api.get(canvas_id)
            state = CanvasState.from_data(record.data, record.resource_id)
            if state.entry_id != entry_id:
                return False
            state = state.but(display_id=state.display_id or display_id)
            if state.view not in _NAVIGATION_VIEWS:
                state = state.but(view=View.MAIN, page=0)
            target = state
            state, blocks = await self._render(target, lambda: self._view(target))
            await self._patch(canvas_id, blocks, state)
        log.info("canvas refreshed", extra={"canvas_id": canvas_id, "entry_id": entry_id, "view": state.view.value})
        return True

    # -- flows ------------------------------------------------------------------------------------
    async def _initialized(self, message: InboxMessage) -> CanvasPlan:
        m = message.envelope.message
        entry_id = _required(m.resource_id, "resourceId", m.type)
        state = CanvasState(entry_id=entry_id, view=View.UPDATING)
        existing = self._created_for.get(message.webhook_id)
        if existing is not None:
            await self._patch(existing, render_updating(), state)
            return CanvasPlan(entry_id=entry_id, canvas_id=existing, needs_package=True)
        record = await self._api.create(app_id=message.envelope.app.id, feature_id=m.feature_id,
                                        resource_id=entry_id, blocks=render_updating(), data=state.to_data())
        self._created_for[message.webhook_id] = record.id
        while len(self._created_for) > _REMEMBERED_CREATIONS:
            self._created_for.popitem(last=False)
        log.info("canvas created", extra={"canvas_id": record.id, "entry_id": entry_id})
        return CanvasPlan(entry_id=entry_id, canvas_id=record.id, needs_package=True)

    async def _created(self, canvas_id: str) -> CanvasPlan:
        record = await self._api.get(canvas_id)
        state = CanvasState.from_data(record.data, record.resource_id)
        if not state.entry_id:
            return await self._detached(canvas_id, state)
        state, blocks = await self._render(state, lambda: self._updating_view(state))
        await self._patch(canvas_id, blocks, state)
        return CanvasPlan(entry_id=state.entry_id, canvas_id=canvas_id, needs_package=True)

    async def _interacted(self, canvas_id: str, button_id: str) -> CanvasPlan:
        record = await self._api.get(canvas_id)
        state = CanvasState.from_data(record.data, record.resource_id)
        if not state.entry_id:
            return await self._detached(canvas_id, state)
        if button_id == Button.UPDATE:
            # No Athena and no entry lookup here: this PATCH must land at once.
            state, blocks = await self._render(state, lambda: self._updating_view(state))
            await self._patch(canvas_id, blocks, state)
            return CanvasPlan(entry_id=state.entry_id, canvas_id=canvas_id, needs_package=True)
        if button_id not in _NAVIGATION:
            log.info("unknown canvas button", extra={"canvas_id": canvas_id, "button_id": button_id[:100]})
        target = _next_state(state, button_id)
        state, blocks = await self._render(target, lambda: self._view(target))
        await self._patch(canvas_id, blocks, state)
        return CanvasPlan(entry_id=state.entry_id, canvas_id=canvas_id, needs_package=False)

    async def _detached(self, canvas_id: str, state: CanvasState) -> CanvasPlan:
        await self._patch(canvas_id, render_error("This canvas is not attached to a notebook entry."),
                          state.but(view=View.ERROR))
        return CanvasPlan(entry_id=None, canvas_id=canvas_id, needs_package=False)

    # -- rendering: each returns (the state that matches what is shown, blocks) -----------------------
    async def _view(self, state: CanvasState) -> tuple[CanvasState, list[Block]]:
        if not state.display_id:
            state = state.but(display_id=await self._lookup(state))
        name = self._name(state.display_id)
        try:
            if state.view is View.BROWSE:
                page = await asyncio.to_thread(self._reader.page, name, state.page, self._page_size)
                return state.but(page=page.page), render_browse(self._links, page)
            if state.view is View.METADATA:
                revision = await asyncio.to_thread(self._reader.revision, name)
                return state, render_metadata(self._links, revision)
            if state.view is View.LINKED:
                return await self._linked_view(state, name)
        except PackageNotFoundError:
            return state.but(view=View.MISSING, page=0), render_main(self._links, name, None)
        return await self._main_view(state)

    async def _main_view(self, state: CanvasState, updating: bool = False,
                         note: str | None = None) -> tuple[CanvasState, list[Block]]:
        name = self._name(state.display_id)
        try:
            # While updating only the previous revision's time is shown: the pointer suffices, no manifest scan.
            revision = await asyncio.to_thread(self._reader.pointer if updating else self._reader.revision, name)
        except PackageNotFoundError:
            missing = View.UPDATING if updating else View.MISSING
            return state.but(view=missing, page=0), render_main(self._links, name, None, updating=updating,
                                                                 note=note)
        linked = None if updating else await self._linked(state.display_id or "", name)
        view = View.UPDATING if updating else View.MAIN
        return state.but(view=view, page=0), render_main(self._links, name, revision, updating=updating,
                                                          linked=linked, note=note)

    async def _linked_view(self, state: CanvasState, name: str) -> tuple[CanvasState, list[Block]]:
        revision = await asyncio.to_thread(self._reader.revision, name)
        found = await self._linked(state.display_id or "", name)
        rows = linked_packages(revision.user_meta, own=name, package_name=self._name, found=found,
                               metadata_key=self._metadata_key, display_id=state.display_id or "")
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

    async def _updating_view(self, state: CanvasState) -> tuple[CanvasState, list[Block]]:
        if not state.display_id:
            return state.but(view=View.UPDATING, page=0), render_updating()
        return await self._main_view(state, updating=True)

    async def _linked(self, display_id: str, name: str) -> LinkedPackages | None:
        if self._finder is None:
            return None
        return await asyncio.to_thread(self._finder.find, display_id, name)

    async def _render(self, state: CanvasState,
                      render: Callable[[], Awaitable[tuple[CanvasState, list[Block]]]]
                      ) -> tuple[CanvasState, list[Block]]:
        """Render, turning any failure (S3, a corrupt manifest, the entry lookup) into the error view."""
        try:
            return await render()
        except Exception as exc:
            log.warning("canvas render failed", extra={"entry_id": state.entry_id, "view": state.view.value,
                                                       "error": repr(exc)})
            name = self._name(state.display_id) if state.display_id else None
            return state.but(view=View.ERROR), render_error(_failure_sentence(exc, "show the package"), name)

    async def _landed(self, result: PackageResult) -> bool:
        """The package's latest revision is no longer the one before this run: the packager is done."""
        try:
            top_hash, _ = await asyncio.to_thread(self._reader.latest, result.package_name)
        except PackageNotFoundError:
            return False
        return top_hash != result.previous_top_hash

    def _lock(self, canvas_id: str) -> asyncio.Lock:
        lock = self._locks.get(canvas_id)
        if lock is None:
            lock = self._locks[canvas_id] = asyncio.Lock()
        return lock

    async def _lookup(self, state: CanvasState) -> str:
        assert state.entry_id is not None
        return await self._display_id_of(state.entry_id)

    async def _patch(self, canvas_id: str, blocks: list[Block], state: CanvasState) -> None:
        await self._api.update(canvas_id, blocks, state.to_data(), enabled=True)

    def _name(self, display_id: str | None) -> str:
        """``<prefix>/<display id>`` made safe exactly as the worker's pipeline names packages."""
        from benchling_webhook.server.worker.metadata import package_segment

        return f"{package_segment(self._prefix)}/{package_segment(display_id or '')}"


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


def _failure_sentence(error: BaseException, doing: str = "update the package") -> str:
    """One sentence a scientist can read (``Could not update the package: …``); details stay in the logs."""
    if isinstance(error, BenchlingWebhookError):
        return f"Could not {doing}: {error.message.rstrip('.')}."
    return f"Could not {doing} because of an unexpected error (details are in the server logs)."


def create_canvas_hooks(settings: Any, client: Any, *, s3: Any = None, athena: Any = None,
                        page_size: int = DEFAULT_PAGE_SIZE, athena_timeout: float = 10.0
                        ) -> PackageCanvasHooks | None:
    """Hooks for the worker from ``ServerSettings`` and the worker's ``BenchlingClient``.

    Returns None when no package bucket is configured (nothing to render). Athena is optional: without
    ``ATHENA_USER_DATABASE`` the main view has no linked-packages line.
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
                              settings.package_prefix, page_size=page_size,
                              revision_events=bool(settings.revision_events_queue_url),
                              metadata_key=settings.metadata_key)
