"""App Configuration over the sandbox: what an admin sets in Benchling changes what the worker packages."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from benchling_webhook.errors import ExportError, PermanentFailure
from benchling_webhook.sandbox.api import api_calls
from benchling_webhook.sandbox.apps import CONFIGURATION_UPDATED
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.canvases import render_text
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.processor import EntryEventProcessor
from tests.functional.worker.conftest import (
    DISPLAY_ID,
    ENTRY_ID,
    PREFIX,
    create,
    entry_event,
    handle,
    inbox_message,
    keys,
    read_json,
)

APP = "app_Zf3kQ8wLm2Xv"  # the installation the sandbox's webhooks come from
SCHEMA = "ts_Lb8PzQ3v"  # the fixture entry's schema (Experiment), in folder lib_Mn4Vb of project src_Cr1sPr9
CONFIG_PATH = "/api/v2/app-configuration-items"


def config_reads(sandbox: SandboxServer) -> int:
    return api_calls(sandbox.state.requests).count(("GET", CONFIG_PATH))


def test_the_sandbox_lists_items_as_the_sdk_reads_them(sandbox: SandboxServer, benchling: BenchlingClient) -> None:
    sandbox.state.apps.configure(APP, {"Entry schemas to skip": [SCHEMA, "ts_Other"], "Canvas note": "Hi",
                                       "Fetch attachments": False})
    items = benchling.list_app_configuration_items(APP)
    assert sorted((item.path[-1], str(item.type.value)) for item in items) == [
        ("Canvas note", "text"), ("Entry schema", "entry_schema"), ("Entry schema", "entry_schema"),
        ("Entry schema 1", "array_element"), ("Entry schema 2", "array_element"), ("Fetch attachments", "boolean")]
    assert {item.linked_resource.name for item in items if str(item.type.value) == "entry_schema"} == {
        "Experiment", "ts_Other"}
    page = httpx.get(f"{sandbox.url}{CONFIG_PATH}", params={"appId": APP, "pageSize": 2},
                     headers={"authorization": f"Bearer {next(iter(sandbox.state.api.tokens))}"}).json()
    assert len(page["appConfigurationItems"]) == 2 and page["nextToken"] == "2"
    assert benchling.list_app_configuration_items("app_Other") == []


def test_an_out_of_scope_entry_costs_no_call_beyond_the_configuration_and_the_entry(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    sandbox.state.apps.configure(APP, {"Entry schemas to skip": [SCHEMA]})
    caplog.set_level(logging.INFO, logger="benchling_webhook.server.worker.pipeline")

    assert handle(settings, entry_event(sandbox), entry_event(sandbox, kind="v2.entry.created")) == [None, None]

    assert api_calls(sandbox.state.requests) == [
        ("POST", "/api/v2/token"), ("GET", f"/api/v2/entries/{ENTRY_ID}"), ("GET", CONFIG_PATH)]
    assert sandbox.state.api.export_count() == 0 and keys(s3, "") == set()
    (record,) = [r for r in caplog.records if r.getMessage() == "entry not packaged: outside the configured scope"]
    assert record.reason == "entries of the schema Experiment are skipped"  # type: ignore[attr-defined]
    assert record.out_of_scope_total == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(("values", "packaged"), [
    ({"Projects": ["src_Cr1sPr9"]}, True),
    ({"Projects": ["src_Elsewhere"]}, False),
    ({"Folders": ["lib_Mn4Vb"]}, True),
    ({"Folders": ["lib_Parent"]}, True),  # the entry's folder is below it
    ({"Projects": ["src_Elsewhere"], "Folders": ["lib_Elsewhere"]}, False),
    ({"Entry schemas to package": [SCHEMA]}, True),
    ({"Entry schemas to package": ["ts_Other"]}, False),
    ({"Entry schemas to package": [SCHEMA], "Entry schemas to skip": [SCHEMA]}, False),
])
def test_scope_include_and_exclude(sandbox: SandboxServer, settings: ServerSettings, s3: Any,
                                   values: dict[str, Any], packaged: bool) -> None:
    sandbox.state.api.folders["lib_Mn4Vb"]["parentFolderId"] = "lib_Parent"
    sandbox.state.api.add_folder({"id": "lib_Parent", "name": "Screens", "parentFolderId": None,
                                  "projectId": "src_Cr1sPr9"})
    sandbox.state.apps.configure(APP, values)
    assert handle(settings, entry_event(sandbox)) == [None]
    assert ("entry.json" in keys(s3)) is packaged
    assert sandbox.state.api.export_count() == (1 if packaged else 0)


def test_prefix_metadata_key_and_attachments_follow_the_configuration(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    sandbox.state.apps.configure(APP, {"Package name prefix": "eln", "Metadata key": "entry_ref",
                                       "Fetch attachments": False})
    assert handle(settings, entry_event(sandbox)) == [None]
    assert keys(s3, f"eln/{DISPLAY_ID}/") == {"entry.json", "entry_record.json", "links.json", "README.md",
                                               f"export/{DISPLAY_ID}.pdf"}
    assert read_json(s3, f"eln/{DISPLAY_ID}/entry.json")["entry_ref"] == DISPLAY_ID
    assert keys(s3, PREFIX) == set()


def _run(settings: ServerSettings, scenario: Any, **kwargs: Any) -> Any:
    async def main() -> Any:
        processor = create(settings, **kwargs)
        try:
            return await scenario(processor)
        finally:
            await processor.aclose()

    return asyncio.run(main())


def test_the_cache_is_refreshed_at_once_by_the_update_event(sandbox: SandboxServer, settings: ServerSettings,
                                                           s3: Any) -> None:
    settings = settings.model_copy(update={"app_config_ttl_seconds": 3600.0})

    async def scenario(processor: EntryEventProcessor) -> list[int]:
        exports = []
        await processor.handle(entry_event(sandbox))
        exports.append(sandbox.state.api.export_count())
        sandbox.state.apps.configure(APP, {"Entry schemas to skip": [SCHEMA]})  # no webhook yet
        sandbox.state.api.update_field(ENTRY_ID, "Hypothesis", "edit 1")
        await processor.handle(entry_event(sandbox))
        exports.append(sandbox.state.api.export_count())
        await processor.handle(inbox_message(sandbox, dict(CONFIGURATION_UPDATED)))
        sandbox.state.api.update_field(ENTRY_ID, "Hypothesis", "edit 2")
        await processor.handle(entry_event(sandbox))
        exports.append(sandbox.state.api.export_count())
        return exports

    assert _run(settings, scenario) == [1, 2, 2]  # cached scope for edit 1; edit 2 after the event is left alone
    assert config_reads(sandbox) == 2
    assert read_json(s3, PREFIX + "entry.json")["fields"]["Hypothesis"]["value"] == "edit 1"


def test_a_malformed_item_falls_back_to_the_default_with_one_warning(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    sandbox.state.apps.put_raw_item(APP, {"path": ["Package name prefix"], "type": "text", "value": "a/b"})
    caplog.set_level(logging.WARNING, logger="benchling_webhook.server.appconfig")
    update = dict(CONFIGURATION_UPDATED)

    async def scenario(processor: EntryEventProcessor) -> None:
        await processor.handle(entry_event(sandbox))
        await processor.handle(inbox_message(sandbox, update))
        await processor.handle(inbox_message(sandbox, update))

    _run(settings, scenario)
    assert "entry.json" in keys(s3)  # packaged under the deployment's prefix
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'a/b' is not a package name prefix" in warnings[0].problems[0]  # type: ignore[attr-defined]


def test_a_failure_for_good_is_a_session_message_on_the_entrys_canvas(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    canvas_id = sandbox.state.canvases.seed("cnvs_Hq7Tz3Lp")["id"]  # the fixture entry's canvas
    sandbox.state.api.fail_next_exports(3)

    async def scenario(processor: EntryEventProcessor) -> BaseException | None:
        message = entry_event(sandbox)
        try:
            await processor.handle(message)
        except ExportError as exc:
            await processor.abandon(message, exc)  # what the consumer does after the last attempt
            return exc
        return None

    assert isinstance(_run(settings, scenario, canvas=True), ExportError)

    canvas = sandbox.state.canvases.get(canvas_id)
    (session,) = sandbox.state.apps.sessions.values()
    assert canvas["sessionId"] == session["id"] and session["status"] == "FAILED"
    assert session["app"]["id"] == APP
    (message,) = session["messages"]
    assert message["style"] == "ERROR"
    assert message["content"].startswith(f"{{id:{ENTRY_ID}}}: Could not package this entry: export of {ENTRY_ID} "
                                         "failed 3 times")
    assert "Could not package this entry" in render_text(canvas["blocks"]) and canvas["enabled"] is True
    for text in (message["content"], render_text(canvas["blocks"])):
        assert "arn:" not in text and "Traceback" not in text and "sandbox-secret" not in text


def test_an_entry_benchling_refuses_is_reported_without_a_canvas(sandbox: SandboxServer,
                                                                 settings: ServerSettings) -> None:
    sandbox.state.api.entry_status[ENTRY_ID] = 403

    async def scenario(processor: EntryEventProcessor) -> None:
        message = entry_event(sandbox)
        with pytest.raises(PermanentFailure) as failure:
            await processor.handle(message)
        await processor.abandon(message, failure.value)

    _run(settings, scenario, canvas=True)
    (session,) = sandbox.state.apps.sessions.values()
    assert session["status"] == "FAILED"
    assert "Benchling answered HTTP 403" in session["messages"][0]["content"]
    assert sandbox.state.canvases.patches == []
