"""The whole canvas path over HTTP: signed webhook → server (uvicorn) → SQS inbox (moto) → consumer →
processor → canvas hooks → sandbox canvas, with the package written by quilt3 into moto S3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from benchling_webhook.sandbox.benchling import SandboxServer, ThreadedUvicorn
from benchling_webhook.sandbox.canvases import render_text
from benchling_webhook.server.app import create_app
from benchling_webhook.server.canvas.state import CanvasState, View
from benchling_webhook.server.tuning import OneWriteHttpToolsProtocol
from benchling_webhook.server.worker.processor import create_processor
from benchling_webhook.server.worker.runner import InboxConsumer
from tests.functional.canvas.conftest import BUCKET, CATALOG, DISPLAY_ID, ENTRY_ID, PACKAGE, seed_canvas
from tests.functional.canvas.registry import write_package
from tests.functional.server.conftest import Stack, stack  # noqa: F401 - the inbox queue + secret fixture
from tests.helpers import wait_for


@pytest.fixture
def webhook_url(stack: Stack, s3: Any) -> Iterator[str]:  # noqa: F811
    stack.put_secret(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET)
    settings = stack.settings(BENCHLING_BASE_URL=stack.sandbox.url, PACKAGE_BUCKET=BUCKET, QUILT_WEB_HOST=CATALOG,
                              COALESCE_QUIET_SECONDS="0", COALESCE_MAX_SECONDS="0")
    consumer = InboxConsumer(create_processor(settings), settings, wait_time_seconds=1, backoff_base=0.0,
                             shutdown_grace=5.0)
    server = ThreadedUvicorn(create_app(settings, background=(consumer,)), lifespan="on", name="canvas-e2e",
                             http=OneWriteHttpToolsProtocol).start()
    try:
        yield server.url + "/canvas"
    finally:
        server.stop()



def post_press(sandbox: SandboxServer, url: str, canvas_id: str, button: str, webhook_id: str) -> httpx.Response:
    body, headers = sandbox.state.signed(sandbox.state.envelope(sandbox.state.canvases.press(canvas_id, button)),
                                         webhook_id=webhook_id)
    return httpx.post(url, content=body, headers={**headers, "content-type": "application/json"}, timeout=10)


def test_button_presses_over_signed_webhooks_end_with_an_enabled_canvas(
        sandbox: SandboxServer, webhook_url: str, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 40)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    canvases = sandbox.state.canvases

    response = post_press(sandbox, webhook_url, canvas, "browse-files", "msg_e2e_browse")
    assert response.status_code in (200, 202), response.text
    wait_for(lambda: canvases.get(canvas)["enabled"], "the browse page")
    assert "Files 1-15 of 40 (page 1 of 3)" in render_text(canvases.get(canvas)["blocks"])

    response = post_press(sandbox, webhook_url, canvas, "update-package", "msg_e2e_update")
    assert response.status_code in (200, 202), response.text
    wait_for(lambda: len(canvases.history(canvas)) >= 3 and canvases.get(canvas)["enabled"], "the new revision")
    history = [render_text(body["blocks"]) for body in canvases.history(canvas)]
    assert "**updating…**" in history[1]
    final = render_text(canvases.get(canvas)["blocks"])
    assert "updating…" not in final and "40 files" not in final and "Browse files" in final
    assert all(body["enabled"] is True for body in canvases.history(canvas))
