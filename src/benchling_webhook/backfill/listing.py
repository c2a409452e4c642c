"""Which entries a backfill covers: Benchling's list-entries API with as much filtering on the server as it allows.

``GET /entries`` (benchling-sdk ``entries.list_entries``) filters on one ``projectId``, one ``schemaId``, a
list of ``ids`` and a ``modifiedAt`` range, and sorts by ``modifiedAt``. So a backfill is a few *streams*
— one per (project, schema) pair asked for — each listed oldest first, 100 entries a page, unarchived only
(the API's default). Folders have no server-side filter: an entry is kept when its folder or one of the
folder's ancestors was asked for (``GET /folders/{id}``, cached per folder), and a ``--folder`` without
``--project`` narrows the listing to the folders' projects on the server.

The upper bound of ``modifiedAt`` is the moment the backfill first started (or ``--until``): an entry
edited after that sent a webhook and is packaged live, so the backfill leaves it out and the listing stays
stable across a resume.

Resuming needs no ``nextToken`` (which may expire): the position in a stream is the ``modifiedAt`` of the
last entry handled plus the ids handled at exactly that time, and the listing restarts at ``>=`` that time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from benchling_webhook.server.appconfig import FolderChain

PAGE_SIZE = 100
IDS_PER_CALL = 100


@dataclass(frozen=True)
class EntryFilter:
    """The user's filters; empty means no restriction. ``since`` is inclusive, ``until`` exclusive."""

    projects: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    entry_ids: tuple[str, ...] = ()

    def fingerprint(self, *extra: str) -> str:
        """A short stable hash of the filters (and ``extra`` values): one checkpoint per distinct backfill."""
        data = {"projects": sorted(self.projects), "folders": sorted(self.folders), "schemas": sorted(self.schemas),
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "entries": sorted(self.entry_ids), "extra": list(extra)}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ListedEntry:
    """What the backfill keeps of a listed entry (never the whole entry: memory stays flat)."""

    id: str
    display_id: str
    name: str
    modified_at: datetime
    folder_id: str | None


@dataclass
class Cursor:
    """Where a listing stands: the stream, and in it the last ``modifiedAt`` handled and the ids handled at it."""

    stream: int = 0
    after: datetime | None = None
    ids_at: list[str] = field(default_factory=list)

    def advance(self, entry: ListedEntry) -> None:
        if self.after == entry.modified_at:
            self.ids_at.append(entry.id)
        else:
            self.after, self.ids_at = entry.modified_at, [entry.id]

    def next_stream(self) -> None:
        self.stream, self.after, self.ids_at = self.stream + 1, None, []


@dataclass(frozen=True)
class _Stream:
    project_id: str | None
    schema_id: str | None
    ids: tuple[str, ...] = ()


class EntryLister:
    """Lists the entries of ``entry_filter`` modified before ``until`` (see the module docstring).

    Args:
        client: a ``BenchlingClient`` (``iter_entry_pages``, ``get_folder``).
        entry_filter: the user's filters.
        until: exclusive upper bound of ``modifiedAt`` (the filter's ``until`` or when the backfill started).
    """

    def __init__(self, client: Any, entry_filter: EntryFilter, until: datetime) -> None:
        self._client = client
        self.filter = entry_filter
        self.until = until
        self._chain = FolderChain(lambda folder_id: client.get_folder(folder_id))
        self.listed = 0  # entries the API returned (for progress), filtered out or not

    def streams(self) -> list[_Stream]:
        """The listings to run, in order; stable for a given filter (the cursor indexes into it)."""
        projects: tuple[str | None, ...] = self.filter.projects or self._folder_projects() or (None,)
        schemas: tuple[str | None, ...] = self.filter.schemas or (None,)
        ids = self.filter.entry_ids
        chunks = [tuple(ids[i:i + IDS_PER_CALL]) for i in range(0, len(ids), IDS_PER_CALL)] or [()]
        return [_Stream(p, s, chunk) for p in projects for s in schemas for chunk in chunks]

    def iter_entries(self, cursor: Cursor) -> Iterator[tuple[ListedEntry, bool]]:
        """``(entry, wanted)`` from ``cursor`` on, advancing ``cursor`` past each one as it is yielded;
        ``wanted`` is false for an entry outside the asked-for folders."""
        streams = self.streams()
        while cursor.stream < len(streams):
            stream = streams[cursor.stream]
            skip = set(cursor.ids_at)
            for page in self._client.iter_entry_pages(page_size=PAGE_SIZE, **self._query(stream, cursor.after)):
                for raw in page:
                    entry = _listed(raw)
                    if entry.modified_at == cursor.after and entry.id in skip:
                        continue
                    self.listed += 1
                    cursor.advance(entry)
                    yield entry, self._in_folders(entry)
            cursor.next_stream()

    def _query(self, stream: _Stream, after: datetime | None) -> dict[str, Any]:
        lower = after or self.filter.since
        bounds = ([f">= {_rfc3339(lower)}"] if lower else []) + [f"< {_rfc3339(self.until)}"]
        query: dict[str, Any] = {"sort": "modifiedAt:asc", "modified_at": " AND ".join(bounds)}
        if stream.project_id:
            query["project_id"] = stream.project_id
        if stream.schema_id:
            query["schema_id"] = stream.schema_id
        if stream.ids:
            query["ids"] = list(stream.ids)
        return query

    def _folder_projects(self) -> tuple[str, ...]:
        projects = {f.project_id for folder_id in self.filter.folders for f in self._chain(folder_id)[:1]
                    if f.project_id}
        return tuple(sorted(projects))

    def _in_folders(self, entry: ListedEntry) -> bool:
        if not self.filter.folders:
            return True
        wanted = set(self.filter.folders)
        return bool(entry.folder_id) and any(f.id in wanted for f in self._chain(entry.folder_id or ""))


def _listed(raw: Any) -> ListedEntry:
    """An SDK ``Entry`` model (or the raw JSON object) → ``ListedEntry``."""
    get: Callable[[str, str], Any] = (lambda attr, key: raw.get(key)) if isinstance(raw, dict) else \
        (lambda attr, key: getattr(raw, attr, None))
    modified = get("modified_at", "modifiedAt")
    return ListedEntry(id=str(get("id", "id")), display_id=str(get("display_id", "displayId") or ""),
                       name=str(get("name", "name") or ""), modified_at=parse_time(modified),
                       folder_id=_text(get("folder_id", "folderId")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_time(value: Any) -> datetime:
    """An RFC 3339 time (or a ``datetime``) in UTC; a date alone is its midnight."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()
