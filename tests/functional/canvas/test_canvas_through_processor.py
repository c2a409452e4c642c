"""The canvas end to end through the worker's processor: sandbox (Benchling) + moto (S3) + quilt3 packaging."""

from __future__ import annotations

import asyncio
from typing import Any

from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.canvases import render_text
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.canvas.state import CanvasState, View
from benchling_webhook.server.quilt.manifest import ManifestReader
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.processor import create_processor
from tests.functional.canvas.conftest import BUCKET, CATALOG, DISPLAY_ID, ENTRY_ID, PACKAGE, fixture_message, inbox


def test_new_canvas_is_packaged_and_update_package_makes_a_new_revision(
        sandbox: SandboxServer, settings: ServerSettings, client: BenchlingClient, s3: Any) -> None:
    settings = settings.model_copy(update={"coalesce_quiet_seconds": 0.0, "coalesce_max_seconds": 0.0})
    canvases = sandbox.state.canvases

    async def scenario() -> tuple[str, str, str]:
        processor = create_processor(settings, s3=s3, client_provider=lambda: client)  # default canvas hooks
        try:
            await processor.handle(fixture_message("canvas-initialized.json"))
            (canvas_id,) = canvases.canvases
            created = dict(fixture_message("canvas-created.json").envelope.model_dump(by_alias=True))
            created["message"]["canvasId"] = canvas_id
            await processor.handle(inbox(created, "msg_created"))
            first = ManifestReader(s3, BUCKET).revision(PACKAGE).top_hash

            sandbox.state.api.update_field(ENTRY_ID, "Summary", "Guide sg003 confirmed")
            pressed = canvases.press(canvas_id, "update-package")
            await processor.handle(inbox(sandbox.state.envelope(pressed), "msg_update"))
            return canvas_id, first, ManifestReader(s3, BUCKET).revision(PACKAGE).top_hash
        finally:
            await processor.aclose()

    canvas_id, first_hash, second_hash = asyncio.run(scenario())

    assert second_hash != first_hash
    texts = [render_text(body["blocks"]) for body in canvases.history(canvas_id)]
    assert all(body["enabled"] is True for body in canvases.history(canvas_id))
    # initialized: created showing "updating…", then the package; created: "updating…", then the package
    assert "updating…" in render_text(canvases.creates[0]["blocks"])
    assert f"[{PACKAGE}](https://{CATALOG}/b/{BUCKET}/packages/{PACKAGE})" in texts[0]
    assert "updating…" in texts[1] and "Last update: 20" in texts[2]
    # Update package: "updating…" at once (previous revision's time shown), then the new revision
    assert "Last update: **updating…** (the previous revision is from" in texts[3]
    final = canvases.get(canvas_id)
    assert final["enabled"] is True
    assert "updating…" not in render_text(final["blocks"]) and "Browse files" in render_text(final["blocks"])
    state = CanvasState.from_data(final["data"], ENTRY_ID)
    assert (state.display_id, state.view) == (DISPLAY_ID, View.MAIN)
