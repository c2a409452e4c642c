from __future__ import annotations

import logging
from typing import Any

import pytest

from benchling_webhook.errors import BenchlingApiError
from benchling_webhook.sandbox.apps import AppStore
from benchling_webhook.server.appconfig import (
    AppConfigStore,
    AppSettings,
    EntryScope,
    Folder,
    FolderChain,
    read_app_settings,
)
from tests.helpers import FakeClock, load_api_fixture

APP = "app_Zf3kQ8wLm2Xv"
DEFAULTS = AppSettings.defaults("benchling", "experiment_id")
ENTRY = {"id": "etr_1", "folderId": "lib_Sub", "schema": {"id": "ts_Exp", "name": "Experiment"}}
TREE = {"lib_Sub": Folder("lib_Sub", "src_Onc", "lib_Top"), "lib_Top": Folder("lib_Top", "src_Onc", None)}


def chain(folder_id: str) -> list[Folder]:
    found, current = [], TREE.get(folder_id)
    while current is not None:
        found.append(current)
        current = TREE.get(current.parent_id or "")
    return found


def sdk_items(raw: list[dict[str, Any]]) -> list[Any]:
    from benchling_sdk.models import AppConfigurationPaginatedList

    return list(AppConfigurationPaginatedList.from_dict({"appConfigurationItems": raw, "nextToken": ""})
                .app_configuration_items)


def configured(values: dict[str, Any], *raw: dict[str, Any]) -> list[Any]:
    """Items as Benchling lists them after an admin set ``values`` (plus raw, possibly malformed, items)."""
    store = AppStore()
    store.configure(APP, values)
    for item in raw:
        store.put_raw_item(APP, item)
    return sdk_items(store.items[APP])


@pytest.mark.parametrize(("scope", "reason"), [
    (EntryScope(), None),
    (EntryScope(exclude_schemas=frozenset({"ts_Exp"})), "entries of the schema Experiment are skipped"),
    (EntryScope(include_schemas=frozenset({"ts_Exp"})), None),
    (EntryScope(include_schemas=frozenset({"ts_Other"})),
     "only entries of selected schemas are packaged, and Experiment is not one of them"),
    (EntryScope(include_schemas=frozenset({"ts_Exp"}), exclude_schemas=frozenset({"ts_Exp"})),
     "entries of the schema Experiment are skipped"),
    (EntryScope(projects=frozenset({"src_Onc"})), None),
    (EntryScope(folders=frozenset({"lib_Top"})), None),  # a sub-folder of a listed folder
    (EntryScope(projects=frozenset({"src_Other"}), folders=frozenset({"lib_Other"})),
     "only entries in selected projects or folders are packaged, and this entry is in neither"),
])
def test_scope_includes_and_excludes(scope: EntryScope, reason: str | None) -> None:
    assert scope.exclusion(ENTRY, chain) == reason


def test_schemas_are_decided_without_a_folder_lookup() -> None:
    def no_lookup(folder_id: str) -> list[Folder]:
        raise AssertionError("no folder lookup expected")

    scope = EntryScope(exclude_schemas=frozenset({"ts_Exp"}), projects=frozenset({"src_Onc"}))
    assert scope.exclusion(ENTRY, no_lookup) == "entries of the schema Experiment are skipped"
    assert EntryScope(include_schemas=frozenset({"ts_Exp"})).exclusion({"id": "etr_2"}, no_lookup) == \
        "only entries of selected schemas are packaged, and this entry has no schema"


def test_the_api_fixture_reads_as_settings() -> None:
    answer = load_api_fixture("list-app-configuration-items.json")
    settings, problems = read_app_settings(sdk_items(answer["appConfigurationItems"]), DEFAULTS)
    assert problems == ()
    assert settings == AppSettings(package_prefix="eln", metadata_key="experiment_id", fetch_attachments=False,
                                   canvas_note=None, scope=EntryScope(exclude_schemas=frozenset({"ts_Dr4ftN0t"})))


def test_configured_values_replace_the_defaults() -> None:
    settings, problems = read_app_settings(configured({
        "Projects": ["src_Onc"], "Folders": ["lib_Top", "lib_Two"], "Entry schemas to package": ["ts_Exp"],
        "Package name prefix": "eln", "Metadata key": "entry_ref", "Fetch attachments": True,
        "Canvas note": "  Questions?   Ask #data-help  "}), DEFAULTS)
    assert problems == ()
    assert settings == AppSettings(
        package_prefix="eln", metadata_key="entry_ref", fetch_attachments=True, canvas_note="Questions? Ask #data-help",
        scope=EntryScope(projects=frozenset({"src_Onc"}), folders=frozenset({"lib_Top", "lib_Two"}),
                         include_schemas=frozenset({"ts_Exp"})))


def test_nothing_configured_is_the_defaults() -> None:
    assert read_app_settings([], DEFAULTS) == (DEFAULTS, ())


@pytest.mark.parametrize(("raw", "problem"), [
    ({"path": ["Package name prefix"], "type": "text", "value": "a/b"}, "'a/b' is not a package name prefix"),
    ({"path": ["Metadata key"], "type": "text", "value": "x'; DROP"}, "is not a usable metadata key"),
    ({"path": ["Fetch attachments"], "type": "boolean", "value": "maybe"}, "expected a boolean item, found boolean"),
    ({"path": ["Fetch attachments"], "type": "text", "value": "no"}, "expected a boolean item, found text"),
    ({"path": ["Canvas note"], "type": "mystery", "value": 3}, "Canvas note: Benchling sent a value"),
    ({"path": ["Entry schemas to skip", "Row 9", "Entry schema"], "type": "folder", "value": "lib_X"},
     "Entry schemas to skip / Row 9: expected a entry_schema, found folder"),
])
def test_a_malformed_item_falls_back_to_its_default(raw: dict[str, Any], problem: str) -> None:
    path = raw["path"]
    rows = [{"path": path[:2], "type": "array_element", "value": path[1]}] if len(path) == 3 else []
    settings, problems = read_app_settings(configured({"Entry schemas to skip": ["ts_Exp"]}, *rows, raw), DEFAULTS)
    assert settings == AppSettings(package_prefix="benchling", metadata_key="experiment_id",
                                   scope=EntryScope(exclude_schemas=frozenset({"ts_Exp"})))
    assert len(problems) == 1 and problem in problems[0]


class Reads:
    """The configuration Benchling holds, and how often the store read it."""

    def __init__(self, items: list[Any] | None = None) -> None:
        self.items = items or []
        self.count = 0
        self.fail: BenchlingApiError | None = None

    def __call__(self, app_id: str) -> list[Any]:
        self.count += 1
        if self.fail is not None:
            raise self.fail
        return self.items


def test_settings_are_cached_for_the_ttl_and_reread_after_invalidate() -> None:
    clock, reads = FakeClock(), Reads(configured({"Package name prefix": "eln"}))
    store = AppConfigStore(reads, DEFAULTS, ttl=60, clock=clock)

    assert store.get(APP).package_prefix == "eln"
    reads.items = configured({"Package name prefix": "lab"})
    clock.advance(59)
    assert store.get(APP).package_prefix == "eln" and reads.count == 1
    store.invalidate(APP)
    assert store.get(APP).package_prefix == "lab" and reads.count == 2
    clock.advance(61)
    store.get(APP)
    assert reads.count == 3
    assert store.get(None) == DEFAULTS and reads.count == 3  # no installation, nothing to read


def test_unusable_items_warn_once_per_change(caplog: pytest.LogCaptureFixture) -> None:
    reads = Reads(configured({"Package name prefix": "a/b"}))
    store = AppConfigStore(reads, DEFAULTS, ttl=0)
    caplog.set_level(logging.WARNING, logger="benchling_webhook.server.appconfig")

    for _ in range(3):
        assert store.refresh(APP).package_prefix == "benchling"
    reads.items = configured({"Package name prefix": "a/b", "Metadata key": "-bad"})
    store.refresh(APP)
    store.refresh(APP)
    reads.items = configured({"Package name prefix": "eln"})
    store.refresh(APP)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [len(r.problems) for r in warnings] == [1, 2]  # type: ignore[attr-defined]


def test_a_read_failure_keeps_the_last_settings_or_retries_or_uses_the_defaults() -> None:
    clock, reads = FakeClock(), Reads(configured({"Package name prefix": "eln"}))
    store = AppConfigStore(reads, DEFAULTS, ttl=60, clock=clock)
    store.get(APP)
    reads.fail = BenchlingApiError("HTTP 503", status=503, retryable=True)
    clock.advance(120)
    assert store.get(APP).package_prefix == "eln"  # the last one read stays in use

    with pytest.raises(BenchlingApiError):
        store.get("app_New")  # nothing known: the event is retried rather than packaged with a guess
    reads.fail = BenchlingApiError("HTTP 403", status=403)
    assert store.get("app_New") == DEFAULTS


def test_folder_chain_walks_up_once_per_folder_and_stops_at_an_unreadable_one() -> None:
    folders = {"lib_Sub": {"id": "lib_Sub", "parentFolderId": "lib_Top", "projectId": "src_Onc"},
               "lib_Top": {"id": "lib_Top", "parentFolderId": "lib_Gone", "projectId": "src_Onc"}}
    calls: list[str] = []

    def get_folder(folder_id: str) -> dict[str, Any]:
        calls.append(folder_id)
        if folder_id not in folders:
            raise BenchlingApiError("HTTP 404", status=404)
        return folders[folder_id]

    lookup = FolderChain(get_folder, clock=FakeClock())
    assert [f.id for f in lookup("lib_Sub")] == ["lib_Sub", "lib_Top"]
    assert [f.id for f in lookup("lib_Sub")] == ["lib_Sub", "lib_Top"]
    assert calls == ["lib_Sub", "lib_Top", "lib_Gone"]


@pytest.mark.parametrize(("status", "gone"), [(400, True), (403, True), (404, True), (410, True),
                                              (429, False), (500, False), (None, False)])
def test_a_folder_benchling_will_not_give_ends_the_chain_any_other_failure_is_raised(status: int | None,
                                                                                      gone: bool) -> None:
    def get_folder(folder_id: str) -> dict[str, Any]:
        if folder_id == "lib_Top":
            raise BenchlingApiError(f"HTTP {status}", status=status)
        return {"id": folder_id, "parentFolderId": "lib_Top", "projectId": "src_Onc"}

    lookup = FolderChain(get_folder, clock=FakeClock())
    if gone:
        assert [f.id for f in lookup("lib_Sub")] == ["lib_Sub"]
    else:
        with pytest.raises(BenchlingApiError):
            lookup("lib_Sub")
