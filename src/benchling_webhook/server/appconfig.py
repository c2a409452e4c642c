"""What the tenant admin configured for one installation of the app, read from Benchling and cached.

An admin sets the items of ``config/app_items.py`` in the app's Configuration tab. The worker reads them
per installation (the webhook envelope's ``app.id``) with benchling-sdk (``list_app_configuration_items``,
indexed by path with ``benchling_sdk.apps.config.framework.ConfigItemStore``) and turns them into
``AppSettings``: which entries are packaged (``EntryScope``), the package name prefix, the metadata key,
whether attachments are fetched and the canvas note.

* Cache: ``AppConfigStore`` keeps each installation's settings for ``ttl`` seconds (``APP_CONFIG_TTL_SECONDS``),
  so a busy tenant costs one configuration read per installation per TTL. ``v2-beta.app.configuration.updated``
  makes the worker that receives it re-read at once (``refresh``); other worker tasks follow within the TTL.
* Defaults: an unset item takes the deployment's value (``ServerSettings``: ``PACKAGE_PREFIX``,
  ``METADATA_KEY``; attachments fetched; no note; every entry in scope).
* Bad items never stop the worker: an item of the wrong type, a value that is not usable (a prefix with a
  slash, a metadata key Athena cannot quote) or an item the SDK cannot read falls back to the default. The
  problems are logged as one WARNING when they change, not on every read.
* Failure to read: with a cached value, the cached value stays in use; a retryable failure (429/5xx,
  network) without one raises, so the inbox retries the event rather than packaging with a guessed scope;
  a refusal (4xx) falls back to the defaults with a WARNING.

Scope needs the entry's folder chain only when projects or folders are configured; ``FolderChain`` reads
``GET /folders/{id}`` once per folder and caches it (folders rarely move).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from benchling_webhook.config.app_items import (
    CANVAS_NOTE,
    EXCLUDED_SCHEMAS,
    FETCH_ATTACHMENTS,
    FOLDERS,
    INCLUDED_SCHEMAS,
    MAX_NOTE_CHARS,
    METADATA_KEY,
    METADATA_KEY_PATTERN,
    PACKAGE_PREFIX,
    PREFIX_PATTERN,
    PROJECTS,
    AppItem,
)
from benchling_webhook.errors import BenchlingApiError

log = logging.getLogger(__name__)

_VALUE_TYPES: dict[str, type] = {"text": str, "boolean": bool}


@dataclass(frozen=True)
class Folder:
    """The parts of a Benchling folder scope needs."""

    id: str
    project_id: str | None
    parent_id: str | None


FolderLookup = Callable[[str], list[Folder]]
"""folder id -> the folder and its ancestors, nearest first (empty when it cannot be read)."""


@dataclass(frozen=True)
class EntryScope:
    """Which entries are packaged; empty sets mean no restriction."""

    projects: frozenset[str] = frozenset()
    folders: frozenset[str] = frozenset()
    include_schemas: frozenset[str] = frozenset()
    exclude_schemas: frozenset[str] = frozenset()

    @property
    def needs_folders(self) -> bool:
        return bool(self.projects or self.folders)

    def exclusion(self, entry: dict[str, Any], folders: FolderLookup) -> str | None:
        """Why ``entry`` is not packaged (a sentence a scientist can read), or ``None`` when it is.

        Schemas are checked first: they need no Benchling call. ``folders`` is called only when projects
        or folders are configured.
        """
        raw_schema = entry.get("schema")
        schema: dict[str, Any] = raw_schema if isinstance(raw_schema, dict) else {}
        schema_id = schema.get("id") if isinstance(schema.get("id"), str) else None
        schema_name = schema.get("name") if isinstance(schema.get("name"), str) else schema_id
        if schema_id and schema_id in self.exclude_schemas:
            return f"entries of the schema {schema_name} are skipped"
        if self.include_schemas and not schema_id:
            return "only entries of selected schemas are packaged, and this entry has no schema"
        if self.include_schemas and schema_id not in self.include_schemas:
            return f"only entries of selected schemas are packaged, and {schema_name} is not one of them"
        if self.needs_folders:
            folder_id = entry.get("folderId")
            chain = folders(folder_id) if isinstance(folder_id, str) and folder_id else []
            if not any(f.id in self.folders or (f.project_id or "") in self.projects for f in chain):
                return "only entries in selected projects or folders are packaged, and this entry is in neither"
        return None


@dataclass(frozen=True)
class AppSettings:
    """The effective settings of one installation (configured values, defaults for the rest)."""

    package_prefix: str
    metadata_key: str
    fetch_attachments: bool = True
    canvas_note: str | None = None
    scope: EntryScope = field(default_factory=EntryScope)

    @classmethod
    def defaults(cls, package_prefix: str, metadata_key: str) -> AppSettings:
        """What applies when nothing is configured: the deployment's prefix and key, every entry."""
        return cls(package_prefix=package_prefix.strip("/"), metadata_key=metadata_key)


def read_app_settings(items: Iterable[Any], defaults: AppSettings) -> tuple[AppSettings, tuple[str, ...]]:
    """``AppSettings`` from benchling-sdk configuration items, plus what could not be used (one line each).

    ``items`` are the SDK's models as ``list_app_configuration_items`` yields them; ``UnknownType`` stands for
    an item the SDK could not read and is reported, not used.
    """
    from benchling_api_client.v2.extensions import UnknownType
    from benchling_sdk.apps.config.framework import ConfigItemStore, StaticConfigProvider

    problems: list[str] = []
    known = []
    for item in items:
        if isinstance(item, UnknownType):
            raw = item.value if isinstance(item.value, dict) else {}
            path = " / ".join(str(p) for p in raw.get("path") or []) or "an item"
            problems.append(f"{path}: Benchling sent a value this app cannot read; it is ignored")
        else:
            known.append(item)
    store = ConfigItemStore(StaticConfigProvider(known))

    def scalar(item: AppItem, kind: str) -> Any:
        wrapper = store.config_by_path([item.name])
        if wrapper.item is None or wrapper.item.value is None or wrapper.item.value == "":
            return None
        value = wrapper.item.value
        if _type_of(wrapper.item) != kind or not isinstance(value, _VALUE_TYPES[kind]):
            problems.append(f"{item.name}: expected a {kind} item, found {_type_of(wrapper.item)} "
                            f"{str(value)[:40]!r}; the default applies")
            return None
        return value

    def ids(item: AppItem) -> frozenset[str]:
        assert item.element is not None
        element, kind, _ = item.element
        found = set()
        for row_name, row in store.array_rows_to_dict([item.name]).items():
            wrapper = row.get(element)
            if wrapper is None or wrapper.item is None or not wrapper.item.value:
                continue  # a row the admin left empty
            if _type_of(wrapper.item) != kind:
                problems.append(f"{item.name} / {row_name}: expected a {kind}, found {_type_of(wrapper.item)}; "
                                "the row is ignored")
                continue
            found.add(str(wrapper.item.value))
        return frozenset(found)

    prefix = scalar(PACKAGE_PREFIX, "text")
    if prefix is not None and not PREFIX_PATTERN.fullmatch(str(prefix).strip()):
        problems.append(f"{PACKAGE_PREFIX.name}: {str(prefix)[:80]!r} is not a package name prefix "
                        f"(1 to 64 letters, digits, '-' or '_'); using {defaults.package_prefix!r}")
        prefix = None
    key = scalar(METADATA_KEY, "text")
    if key is not None and not METADATA_KEY_PATTERN.fullmatch(str(key).strip()):
        problems.append(f"{METADATA_KEY.name}: {str(key)[:80]!r} is not a usable metadata key "
                        f"(a letter or '_', then letters, digits or '_'); using {defaults.metadata_key!r}")
        key = None
    fetch = scalar(FETCH_ATTACHMENTS, "boolean")
    note = scalar(CANVAS_NOTE, "text")
    note_text = " ".join(str(note).split())[:MAX_NOTE_CHARS] if note is not None else ""
    settings = AppSettings(
        package_prefix=str(prefix).strip() if prefix is not None else defaults.package_prefix,
        metadata_key=str(key).strip() if key is not None else defaults.metadata_key,
        fetch_attachments=bool(fetch) if fetch is not None else defaults.fetch_attachments,
        canvas_note=note_text or defaults.canvas_note,
        scope=EntryScope(projects=ids(PROJECTS), folders=ids(FOLDERS), include_schemas=ids(INCLUDED_SCHEMAS),
                         exclude_schemas=ids(EXCLUDED_SCHEMAS)),
    )
    return settings, tuple(problems)


def _type_of(item: Any) -> str:
    kind = getattr(item, "type", None)
    return str(getattr(kind, "value", kind))


@dataclass
class _Cached:
    settings: AppSettings
    problems: tuple[str, ...]
    read_at: float


class AppConfigStore:
    """Each installation's ``AppSettings``, read on first use and kept for ``ttl`` seconds (thread-safe).

    Args:
        read_items: app id -> its configuration items (``BenchlingClient.list_app_configuration_items``).
        defaults: the deployment's settings (``AppSettings.defaults``).
        ttl: seconds a read stays fresh.
        clock: injectable for tests.
    """

    def __init__(self, read_items: Callable[[str], list[Any]], defaults: AppSettings, *, ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read_items = read_items
        self.defaults = defaults
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self._reading = threading.Lock()  # one read at a time: concurrent runs share its result

    def get(self, app_id: str | None) -> AppSettings:
        """The installation's settings (the defaults without an app id)."""
        if not app_id:
            return self.defaults
        fresh = self._fresh(app_id)
        if fresh is not None:
            return fresh
        with self._reading:
            fresh = self._fresh(app_id)
            return fresh if fresh is not None else self._read(app_id)

    def refresh(self, app_id: str) -> AppSettings:
        """Re-read now (the configuration changed in Benchling)."""
        with self._reading:
            return self._read(app_id)

    def invalidate(self, app_id: str) -> None:
        """Forget the cached settings: the next ``get`` reads them again."""
        with self._lock:
            cached = self._cache.get(app_id)
            if cached is not None:
                cached.read_at = float("-inf")

    def _fresh(self, app_id: str) -> AppSettings | None:
        with self._lock:
            cached = self._cache.get(app_id)
            if cached is not None and self._clock() - cached.read_at < self.ttl:
                return cached.settings
        return None

    def _read(self, app_id: str) -> AppSettings:
        with self._lock:
            previous = self._cache.get(app_id)
        try:
            settings, problems = read_app_settings(self._read_items(app_id), self.defaults)
        except BenchlingApiError as exc:
            if previous is not None:
                log.warning("app configuration could not be re-read; the last one read stays in use",
                            extra={"app_id": app_id, "reason": exc.message})
                return previous.settings
            if exc.retryable:
                raise
            settings, problems = self.defaults, (f"the configuration cannot be read ({exc.message}); "
                                                 "the deployment's defaults apply",)
        with self._lock:
            self._cache[app_id] = _Cached(settings, problems, self._clock())
        if problems and (previous is None or previous.problems != problems):
            log.warning("app configuration items are unusable; their defaults apply",
                        extra={"app_id": app_id, "problems": list(problems)})
        if previous is not None and previous.settings != settings:
            log.info("app configuration changed", extra={"app_id": app_id, **_describe(settings)})
        return settings


def _describe(settings: AppSettings) -> dict[str, Any]:
    scope = settings.scope
    return {"package_prefix": settings.package_prefix, "metadata_key": settings.metadata_key,
            "fetch_attachments": settings.fetch_attachments, "projects": sorted(scope.projects),
            "folders": sorted(scope.folders), "include_schemas": sorted(scope.include_schemas),
            "exclude_schemas": sorted(scope.exclude_schemas)}


class FolderChain:
    """A folder and its ancestors from ``GET /folders/{id}``, each folder cached for ``ttl`` seconds.

    A folder Benchling will not show (deleted, not shared with the app) ends the chain; other failures
    propagate so the event is retried.
    """

    def __init__(self, get_folder: Callable[[str], dict[str, Any]], *, ttl: float = 600.0, max_depth: int = 32,
                 max_folders: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self._get_folder = get_folder
        self.ttl = ttl
        self.max_depth = max_depth
        self._max_folders = max_folders
        self._clock = clock
        self._cache: OrderedDict[str, tuple[Folder | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, folder_id: str) -> list[Folder]:
        chain: list[Folder] = []
        current: str | None = folder_id
        while current and len(chain) < self.max_depth and all(f.id != current for f in chain):
            folder = self._folder(current)
            if folder is None:
                break
            chain.append(folder)
            current = folder.parent_id
        return chain

    def _folder(self, folder_id: str) -> Folder | None:
        with self._lock:
            hit = self._cache.get(folder_id)
            if hit is not None and self._clock() - hit[1] < self.ttl:
                return hit[0]
        try:
            raw = self._get_folder(folder_id)
            folder: Folder | None = Folder(id=str(raw.get("id") or folder_id), project_id=_opt(raw.get("projectId")),
                                           parent_id=_opt(raw.get("parentFolderId")))
        except BenchlingApiError as exc:
            if not exc.gone:
                raise
            folder = None
        with self._lock:
            self._cache[folder_id] = (folder, self._clock())
            while len(self._cache) > self._max_folders:
                self._cache.popitem(last=False)
        return folder


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
