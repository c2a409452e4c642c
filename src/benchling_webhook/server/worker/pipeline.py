"""``EntryPipeline``: one entry → its S3 prefix → one package revision, synchronously.

Steps and their Benchling cost (the budget is 3 calls + 1 per attachment + export polls, plus at most one
bulk look-up per type of linked object whose name is not cached — none in the steady state):

1. ``GET /entries/{id}`` — once; 400/403/404/410 mean deleted or not shared with the app and are
   ``PermanentFailure`` (dead-letter with the reason); anything else is retried by the inbox.
   Then the installation's App Configuration (``server/appconfig.py``, cached: usually no call) decides
   whether the entry is in scope and which prefix, metadata key and attachments apply. An entry out of
   scope stops here — no S3 read, no export — and the outcome says why (``EntryOutOfScope``); only a
   project or folder scope costs ``GET /folders/{id}`` calls, cached per folder.
2. Read the package's latest manifest. If it is newer than this entry state (another worker got there
   first) or already holds exactly this state — same metadata (linked objects named from the entry, the
   cache and that revision: no call), same record hash, same objects under the prefix — stop: no export,
   no new revision. This is what makes re-processing idempotent and a coalesced re-run cheap.
3. ``POST /exports`` + ``GET /tasks/{id}`` polls; spool the ZIP to disk, stream its members to S3.
   (The token call, cached by the SDK, is the third call.)
4. One ``GET …/external-files/{id}`` per attachment, streamed from its download URL to S3.
5. Name the linked objects (``links.py``: cached, one ``…:bulk-get`` per type at most).
6. Write ``entry_record.json``, ``links.json``, ``README.md``, ``entry.json``; delete every other object
   under the prefix (the packager packages the whole prefix).
7. Publish the revision (packager queue or quilt3); unchanged content creates none.

The pipeline is blocking code (benchling-sdk, boto3, quilt3 are synchronous); the processor runs it
in its own thread pool. ``stop`` is checked between files and wakes export-poll waits, so shutdown
abandons work quickly; the event then returns to the inbox.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchling_webhook.errors import BenchlingApiError, EntryOutOfScope, PermanentFailure, WorkAbandoned
from benchling_webhook.server.appconfig import AppConfigStore, AppSettings, FolderChain, FolderLookup
from benchling_webhook.server.benchling.budget import LiveWork
from benchling_webhook.server.worker.export import run_export, stage_attachment, stage_export
from benchling_webhook.server.worker.links import LinkResolver
from benchling_webhook.server.worker.metadata import (
    ENTRY_JSON,
    LINKS_JSON,
    README,
    RECORD_JSON,
    attachments_of,
    build_metadata,
    canonical_json,
    canvas_id_of,
    commit_message,
    display_id_of,
    links_of,
    package_segment,
    render_readme,
)
from benchling_webhook.server.worker.package import Packager, Snapshot, read_latest
from benchling_webhook.server.worker.protocol import PackageResult
from benchling_webhook.server.worker.s3io import PackageLocation, StoredObject, quilt_hash

log = logging.getLogger(__name__)

_REMEMBERED_CANVASES = 4096


@dataclass(frozen=True)
class PackageOutcome:
    """What a run produced (or why the entry is out of scope), plus the entry's canvas for the canvas hooks."""

    result: PackageResult | None
    canvas_id: str | None
    out_of_scope: EntryOutOfScope | None = None


class EntryPipeline:
    """Packages one entry per ``run()`` call (thread-safe across different entries).

    Args:
        client: returns the current ``BenchlingClient`` (it follows secret rotation).
        s3: boto3 S3 client; ``bucket``/``prefix``/``metadata_key`` from the settings (the defaults of
            installations whose configuration does not set them).
        packager: ``QueuePackager`` or ``DirectPackager``.
        app_config: the installations' App Configuration; without it the settings apply to every entry.
        folders: folder-chain lookup for project/folder scopes (default: ``FolderChain`` over the client).
        export_timeout: bounded total wait for one export task.
        links: names linked objects (its cache is shared by every run).
        stop: set on shutdown; ends waits and stops between files.
        live: the live runs in progress, which backfill runs step aside for between steps.
    """

    def __init__(self, *, client: Callable[[], Any], s3: Any, bucket: str, prefix: str, metadata_key: str,
                 packager: Packager, export_timeout: float, export_attempts: int = 3, export_retry_delay: float = 2.0,
                 stop: threading.Event | None = None, tmp_dir: str | None = None,
                 upload_concurrency: int = 4, app_config: AppConfigStore | None = None,
                 folders: FolderLookup | None = None, links: LinkResolver | None = None,
                 live: LiveWork | None = None) -> None:
        self._client = client
        self._s3 = s3
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.metadata_key = metadata_key
        self.packager = packager
        self.export_timeout = export_timeout
        self.export_attempts = export_attempts
        self.export_retry_delay = export_retry_delay
        self.export_first_poll = 0.5  # seconds before the first task poll (an export takes seconds)
        self.stop = stop or threading.Event()
        self.live = live or LiveWork()
        self._tmp_dir = tmp_dir
        self._upload_concurrency = upload_concurrency
        self.app_config = app_config
        self._folders = folders or FolderChain(lambda folder_id: self._client().get_folder(folder_id))
        self._lock = threading.Lock()
        self.out_of_scope = 0  # entries left alone because of an installation's configuration
        self._canvases: OrderedDict[str, str] = OrderedDict()  # entry id -> its canvas, as last seen
        self.links = links or LinkResolver()

    def settings_for(self, app_id: str | None) -> AppSettings:
        """The installation's settings (configured values over this pipeline's defaults)."""
        if self.app_config is not None:
            return self.app_config.get(app_id)
        return AppSettings.defaults(self.prefix, self.metadata_key)

    def known_canvas(self, entry_id: str) -> str | None:
        """The entry's canvas as the last run that read the entry saw it (for telling about a failure)."""
        with self._lock:
            return self._canvases.get(entry_id)

    def _check(self) -> None:
        """Between steps: stop on shutdown; a backfill run waits here while a live run is going on."""
        if self.stop.is_set():
            raise WorkAbandoned()
        self.live.yield_to_live(self.stop)

    def run(self, entry_id: str, *, canvas_id: str | None = None, app_id: str | None = None,
            skip_archived: bool = False, still_ours: Callable[[], None] | None = None) -> PackageOutcome:
        """Package the entry (see the module docstring); ``skip_archived`` leaves an archived entry alone
        (backfill runs: an archived entry is reported, not packaged). ``still_ours`` raises when the
        entry's lease was lost (``state.py``); it is checked before anything under the prefix is deleted
        and before the revision is published."""
        still_ours = still_ours or _always_ours
        self._check()
        client = self._client()
        try:
            entry = client.get_entry(entry_id)
        except BenchlingApiError as exc:
            if exc.gone:
                raise PermanentFailure(
                    f"Benchling answered HTTP {exc.status} for entry {entry_id}: it was deleted or is not "
                    "shared with the app", hint="share the entry's project with the app, then re-sync") from exc
            raise
        app = self.settings_for(app_id)
        display_id = display_id_of(entry)
        segment = package_segment(display_id)
        prefix = app.package_prefix.strip("/")
        name = f"{package_segment(prefix)}/{segment}"
        if skip_archived and entry.get("archiveRecord"):
            log.info("archived entry not backfilled", extra={"entry_id": entry_id, "package": name})
            return PackageOutcome(None, None, EntryOutOfScope(entry_id, display_id, name, "the entry is archived"))
        reason = app.scope.exclusion(entry, self._folders)
        if reason is not None:
            return self._leave_alone(entry_id, display_id, name, reason, canvas_id or canvas_id_of(entry, app_id),
                                     app_id)
        location = PackageLocation(self._s3, self.bucket, f"{prefix}/{segment}",
                                   max_concurrency=self._upload_concurrency)
        latest = read_latest(self._s3, self.bucket, name)
        canvas = canvas_id or canvas_id_of(entry, app_id) or (latest.user_meta.get("canvas_id") if latest else None)
        self._remember(entry_id, canvas)
        record = canonical_json(entry)
        found = links_of(entry)
        previous = latest.user_meta.get("linked") if latest else None
        known = self.links.known_names(found, previous if isinstance(previous, list) else ())

        def metadata(files: list[dict[str, Any]], linked: list[dict[str, Any]] = known) -> dict[str, Any]:
            return build_metadata(entry, metadata_key=app.metadata_key, benchling_url=client.base_url,
                                  canvas_id=canvas, files=files, linked=linked)

        if latest is not None and (_superseded(latest, entry) or self._unchanged(latest, location, record, metadata)):
            log.info("package up to date", extra={"entry_id": entry_id, "package": name})
            return PackageOutcome(self._result(entry_id, display_id, name, location, sorted(latest.hashes),
                                               latest.top_hash, False, latest.top_hash), canvas)

        self._check()
        url = run_export(client, entry_id, timeout=self.export_timeout, attempts=self.export_attempts,
                         retry_delay=self.export_retry_delay, first_poll=self.export_first_poll,
                         sleep=self.stop.wait)
        objects: list[StoredObject] = stage_export(client, url, location, tmp_dir=self._tmp_dir, check=self._check)
        for attachment in attachments_of(entry) if app.fetch_attachments else ():
            self._check()
            objects.append(stage_attachment(client, entry_id, attachment, location))
        linked = self.links.resolve(client, found)
        meta = metadata([{"logical_key": o.logical_key, "size": o.size, "kind": o.kind} for o in objects], linked)
        objects += [
            location.put_bytes(RECORD_JSON, record, content_type="application/json"),
            location.put_bytes(LINKS_JSON, canonical_json(linked), content_type="application/json"),
            location.put_bytes(README, render_readme(meta, name).encode(), content_type="text/markdown"),
            location.put_bytes(ENTRY_JSON, canonical_json(meta), content_type="application/json"),
        ]
        still_ours()
        removed = location.prune(o.logical_key for o in objects)
        self._check()
        still_ours()
        top_hash, created = self.packager.publish(location, name, objects, meta, commit_message(meta), latest)
        log.info("entry packaged", extra={"entry_id": entry_id, "package": name, "files": len(objects),
                                          "removed": len(removed), "revision_created": created})
        return PackageOutcome(self._result(entry_id, display_id, name, location,
                                           sorted(o.logical_key for o in objects), top_hash, created,
                                           latest.top_hash if latest else None), canvas)

    def _leave_alone(self, entry_id: str, display_id: str, name: str, reason: str, canvas: str | None,
                     app_id: str | None) -> PackageOutcome:
        """An entry outside the installation's scope: counted, logged, nothing exported or read from S3."""
        self._remember(entry_id, canvas)
        with self._lock:
            self.out_of_scope += 1
            total = self.out_of_scope
        log.info("entry not packaged: outside the configured scope", extra={
            "entry_id": entry_id, "app_id": app_id, "reason": reason, "out_of_scope_total": total})
        return PackageOutcome(None, canvas, EntryOutOfScope(entry_id, display_id, name, reason))

    def _remember(self, entry_id: str, canvas: str | None) -> None:
        if canvas is None:
            return
        with self._lock:
            self._canvases[entry_id] = canvas
            self._canvases.move_to_end(entry_id)
            while len(self._canvases) > _REMEMBERED_CANVASES:
                self._canvases.popitem(last=False)

    def _unchanged(self, latest: Snapshot, location: PackageLocation, record: bytes,
                   metadata: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> bool:
        files = latest.user_meta.get("files")
        if not isinstance(files, list) or latest.user_meta != metadata(files):
            return False
        if latest.hashes.get(RECORD_JSON) != quilt_hash(record):
            return False
        return set(location.list_objects()) == set(latest.hashes)

    def _result(self, entry_id: str, display_id: str, name: str, location: PackageLocation, files: list[str],
                top_hash: str | None, created: bool, previous: str | None) -> PackageResult:
        return PackageResult(entry_id=entry_id, display_id=display_id, package_name=name, s3_prefix=location.url,
                             files=tuple(files), top_hash=top_hash, revision_created=created,
                             mode=self.packager.mode, previous_top_hash=previous)


def _always_ours() -> None:
    """No lease to lose (one process, no state table)."""


def _superseded(latest: Snapshot, entry: dict[str, Any]) -> bool:
    """The latest revision shows a *newer* state of the entry (a parallel worker won): never go back."""
    ours, theirs = _when(entry.get("modifiedAt")), _when(latest.user_meta.get("modified_at"))
    return ours is not None and theirs is not None and theirs > ours


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
