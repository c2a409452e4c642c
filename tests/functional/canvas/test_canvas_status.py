"""What the scientist sees through the worker: app session messages on the canvas, scope and the admin's note."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from benchling_webhook.errors import ExportError
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.canvases import render_text
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.canvas.state import CanvasState, View
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.processor import EntryEventProcessor, create_processor
from tests.functional.canvas.conftest import DISPLAY_ID, ENTRY_ID, PACKAGE, inbox, seed_canvas

APP = "app_Zf3kQ8wLm2Xv"


def _run(settings: ServerSettings, client: BenchlingClient, s3: Any,
         scenario: Callable[[EntryEventProcessor], Coroutine[Any, Any, None]]) -> None:
    settings = settings.model_copy(update={"coalesce_quiet_seconds": 0.0, "coalesce_max_seconds": 0.0})

    async def main() -> None:
        processor = create_processor(settings, s3=s3, client_provider=lambda: client)
        processor.pipeline.export_retry_delay = processor.pipeline.export_first_poll = 0.01
        try:
            await scenario(processor)
        finally:
            await processor.aclose()

    asyncio.run(main())


def _press_update(sandbox: SandboxServer, canvas_id: str) -> Any:
    return inbox(sandbox.state.envelope(sandbox.state.canvases.press(canvas_id, "update-package")))


def _session(sandbox: SandboxServer, canvas_id: str) -> dict[str, Any]:
    session_id = sandbox.state.canvases.get(canvas_id)["sessionId"]
    assert session_id, "no session is attached to the canvas"
    return dict(sandbox.state.apps.sessions[session_id])


def test_update_package_is_a_session_from_start_to_result(sandbox: SandboxServer, settings: ServerSettings,
                                                          client: BenchlingClient, s3: Any) -> None:
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())

    async def scenario(processor: EntryEventProcessor) -> None:
        await processor.handle(_press_update(sandbox, canvas))

    _run(settings, client, s3, scenario)

    updating, final = sandbox.state.canvases.history(canvas)
    session = _session(sandbox, canvas)
    assert updating["sessionId"] == final["sessionId"] == session["id"]  # shown from the first PATCH on
    assert session["status"] == "SUCCEEDED" and session["app"] == {"id": APP}
    assert [(m["style"], m["content"]) for m in session["messages"]] == [
        ("INFO", f"{{id:{ENTRY_ID}}}: Packaging this entry as a Quilt package…"),
        ("SUCCESS", f"{{id:{ENTRY_ID}}}: Package {PACKAGE} has a new revision."),
    ]


def test_a_failed_update_closes_the_session_with_the_reason(sandbox: SandboxServer, settings: ServerSettings,
                                                            client: BenchlingClient, s3: Any) -> None:
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    sandbox.state.api.fail_next_exports(3)

    async def scenario(processor: EntryEventProcessor) -> None:
        try:
            await processor.handle(_press_update(sandbox, canvas))
        except ExportError:
            return
        raise AssertionError("the export should have failed")

    _run(settings, client, s3, scenario)

    session = _session(sandbox, canvas)
    assert session["status"] == "FAILED"
    style, content = session["messages"][-1]["style"], session["messages"][-1]["content"]
    assert style == "ERROR" and f"Could not update the package: export of {ENTRY_ID} failed 3 times" in content
    shown = sandbox.state.canvases.get(canvas)
    assert shown["enabled"] is True and "Could not update the package" in render_text(shown["blocks"])
    assert "arn:" not in content and "Traceback" not in content


def test_an_out_of_scope_entry_is_left_alone_and_its_canvas_says_why(
        sandbox: SandboxServer, settings: ServerSettings, client: BenchlingClient, s3: Any) -> None:
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    sandbox.state.apps.configure(APP, {"Entry schemas to skip": ["ts_Lb8PzQ3v"],
                                       "Canvas note": "Questions? Ask the data team."})
    edit = sandbox.state.envelope({"type": "v2.entry.updated.fields", "resourceId": ENTRY_ID,
                                   "id": "evt_1", "createdAt": "2026-11-20T14:07:44Z", "deprecated": False})

    async def scenario(processor: EntryEventProcessor) -> None:
        await processor.handle(_press_update(sandbox, canvas))
        await processor.handle(inbox(edit, "msg_edit_1"))  # the canvas already says why: not told again
        await processor.handle(inbox(edit, "msg_edit_2"))

    _run(settings, client, s3, scenario)

    assert sandbox.state.api.export_count() == 0
    updating, final = sandbox.state.canvases.history(canvas)
    text = render_text(final["blocks"])
    assert f"Quilt package {PACKAGE}" in text
    assert "This entry is not packaged: entries of the schema Experiment are skipped." in text
    assert "Configuration tab" in text and "[Update package]" in text
    assert "📌 Questions? Ask the data team." in text and "📌 Questions?" in render_text(updating["blocks"])
    session = _session(sandbox, canvas)
    assert session["status"] == "COMPLETED_WITH_WARNINGS"
    assert session["messages"][-1] == {"style": "WARNING", "content": f"{{id:{ENTRY_ID}}}: Not packaged: entries "
                                                                      "of the schema Experiment are skipped."}


def test_without_the_sessions_api_the_canvas_alone_tells(sandbox: SandboxServer, settings: ServerSettings,
                                                        client: BenchlingClient, s3: Any) -> None:
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    sandbox.state.apps.sessions_status = 403

    async def scenario(processor: EntryEventProcessor) -> None:
        await processor.handle(_press_update(sandbox, canvas))

    _run(settings, client, s3, scenario)
    updating, final = sandbox.state.canvases.history(canvas)
    assert "sessionId" not in updating and final["sessionId"] is None
    assert "Last update: 20" in render_text(final["blocks"])

