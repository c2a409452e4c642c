"""Listing a backfill's entries from the sandbox's list-entries endpoint over HTTP: filters, pages, resume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from benchling_webhook.backfill.listing import Cursor, EntryFilter, EntryLister, parse_time
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.tenant import GeneratedTenant
from benchling_webhook.server.benchling.client import BenchlingClient

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def expected(sandbox: SandboxServer, keep: Any = lambda e: True, until: datetime = NOW) -> set[str]:
    """What the tenant holds that a backfill should cover: unarchived, modified before ``until``, ``keep``."""
    entries = sandbox.state.api.entries.values()
    return {e["id"] for e in entries if not e.get("archiveRecord") and parse_time(e["modifiedAt"]) < until and keep(e)}


def listed(client: BenchlingClient, entry_filter: EntryFilter, until: datetime = NOW,
           cursor: Cursor | None = None) -> list[str]:
    lister = EntryLister(client, entry_filter, entry_filter.until or until)
    return [e.id for e, wanted in lister.iter_entries(cursor or Cursor()) if wanted]


def list_calls(sandbox: SandboxServer) -> int:
    return sum(1 for method, path in sandbox.state.requests if (method, path) == ("GET", "/api/v2/entries"))


def test_every_unarchived_entry_is_listed_once_oldest_first_in_pages_of_100(
        sandbox: SandboxServer, tenant: GeneratedTenant, client: BenchlingClient) -> None:
    lister = EntryLister(client, EntryFilter(), NOW)
    entries = [e for e, _ in lister.iter_entries(Cursor())]
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids)) and set(ids) == expected(sandbox)
    assert [e.modified_at for e in entries] == sorted(e.modified_at for e in entries)
    assert len(ids) == 245 and list_calls(sandbox) == 3  # 5 of 250 archived; the fixture entry is newer


def test_filters_run_on_the_server_where_the_api_allows(
        sandbox: SandboxServer, tenant: GeneratedTenant, client: BenchlingClient) -> None:
    folders = sandbox.state.api.folders
    project, schema = tenant.projects[1], tenant.schemas[2]
    since, until = datetime(2022, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)

    def in_project(e: dict[str, Any]) -> bool:
        return folders.get(e["folderId"], {}).get("projectId") == project

    assert set(listed(client, EntryFilter(projects=(project,)))) == expected(sandbox, in_project)
    assert set(listed(client, EntryFilter(schemas=(schema,)))) == expected(
        sandbox, lambda e: e["schema"]["id"] == schema)
    window = set(listed(client, EntryFilter(since=since, until=until)))
    assert window == expected(sandbox, lambda e: parse_time(e["modifiedAt"]) >= since, until=until) and window
    both = EntryFilter(projects=(project, tenant.projects[2]), schemas=(schema,))
    assert set(listed(client, both)) == expected(
        sandbox, lambda e: e["schema"]["id"] == schema and folders[e["folderId"]]["projectId"] in both.projects)
    wanted = tenant.entry_ids[10:13]
    assert sorted(listed(client, EntryFilter(entry_ids=wanted))) == sorted(wanted)


def test_a_folder_covers_its_sub_folders_and_narrows_the_listing_to_its_project(
        sandbox: SandboxServer, tenant: GeneratedTenant, client: BenchlingClient) -> None:
    top, nested = tenant.folders[0], tenant.folders[len(tenant.projects)]
    assert sandbox.state.api.folders[nested]["parentFolderId"] == top
    in_top = set(listed(client, EntryFilter(folders=(top,))))
    assert in_top == expected(sandbox, lambda e: e["folderId"] in (top, nested))
    assert set(listed(client, EntryFilter(folders=(nested,)))) == expected(sandbox, lambda e: e["folderId"] == nested)
    folder_reads = [p for _, p in sandbox.state.requests if p.startswith("/api/v2/folders/")]
    assert len(set(folder_reads)) == 2  # each folder read once (cached), then filtered on the server by project


def test_a_listing_resumes_from_its_cursor_without_repeating_or_missing_entries(
        sandbox: SandboxServer, tenant: GeneratedTenant, client: BenchlingClient) -> None:
    same_time = "2023-06-01T12:00:00+00:00"
    for entry_id in tenant.entry_ids[100:106]:  # ties at the cut: the cursor keeps the ids it has seen
        sandbox.state.api.entries[entry_id]["modifiedAt"] = same_time
    lister = EntryLister(client, EntryFilter(), NOW)
    cursor, first = Cursor(), []
    for entry, _ in lister.iter_entries(cursor):
        first.append(entry.id)
        if entry.modified_at == parse_time(same_time) and len(cursor.ids_at) == 3:
            break
    rest = listed(client, EntryFilter(), cursor=Cursor(cursor.stream, cursor.after, list(cursor.ids_at)))
    assert len(first) + len(rest) == len(set(first) | set(rest)) == len(expected(sandbox))
