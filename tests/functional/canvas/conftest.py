"""Canvas fixtures: the Benchling sandbox (HTTP), moto (S3 + Athena, HTTP) and hooks wired to both."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from benchling_webhook.sandbox.canvases import render_text
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.canvas.hooks import PackageCanvasHooks, create_canvas_hooks
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.protocol import CanvasPlan
from tests.helpers import FakeClock, load_fixture

if TYPE_CHECKING:
    from benchling_webhook.sandbox.benchling import SandboxServer
    from benchling_webhook.sandbox.moto_server import MotoServer

BUCKET = "quilt-packages"
CATALOG = "catalog.example.com"
ENTRY_ID = "etr_Ab12Cd34"
DISPLAY_ID = "EXP26000042"
PACKAGE = f"benchling/{DISPLAY_ID}"


@pytest.fixture
def s3(aws: MotoServer) -> Any:
    client = aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def settings(aws: MotoServer, sandbox: SandboxServer, s3: Any) -> ServerSettings:
    return ServerSettings(PACKAGE_BUCKET=BUCKET, QUILT_WEB_HOST=CATALOG, ATHENA_USER_DATABASE="userathenadatabase-x1",
                          AWS_ENDPOINT_URL=aws.endpoint_url, AWS_REGION="us-east-1", BENCHLING_BASE_URL=sandbox.url)


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[BenchlingClient]:
    with BenchlingClient(sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, max_attempts=3,
                         sleep=FakeClock().sleep) as benchling:
        yield benchling


@pytest.fixture
def hooks(settings: ServerSettings, client: BenchlingClient) -> PackageCanvasHooks:
    made = create_canvas_hooks(settings, client, athena_timeout=5.0)
    assert made is not None
    return made


def inbox(envelope: dict[str, Any], webhook_id: str = "msg_test") -> InboxMessage:
    return InboxMessage.model_validate({"webhookId": webhook_id, "receivedAt": datetime.now(UTC).isoformat(),
                                        "envelope": envelope})


def fixture_message(name: str) -> InboxMessage:
    return inbox(load_fixture(f"benchling/webhooks/{name}"))


def press(sandbox: SandboxServer, hooks: PackageCanvasHooks, canvas_id: str, button_id: str) -> CanvasPlan:
    """A user presses a button: Benchling disables the canvas and sends userInteracted; the worker handles it."""
    message = sandbox.state.canvases.press(canvas_id, button_id)
    assert sandbox.state.canvases.get(canvas_id)["enabled"] is False
    return asyncio.run(hooks.begin(inbox(sandbox.state.envelope(message))))


def shown(sandbox: SandboxServer, canvas_id: str) -> str:
    """The canvas as a user reads it now (and it must be enabled again)."""
    canvas = sandbox.state.canvases.get(canvas_id)
    assert canvas["enabled"] is True, "the canvas was left disabled"
    return render_text(canvas["blocks"])


def buttons(sandbox: SandboxServer, canvas_id: str) -> dict[str, bool]:
    """Button id -> enabled, as shown now."""
    found: dict[str, bool] = {}
    for block in sandbox.state.canvases.get(canvas_id)["blocks"]:
        for leaf in block.get("children", [block]):
            if leaf.get("type") == "BUTTON":
                found[leaf["id"]] = leaf.get("enabled", True) is not False
    return found


def seed_canvas(sandbox: SandboxServer, data: str | None = None, resource_id: str = ENTRY_ID) -> str:
    return str(sandbox.state.canvases.seed("cnvs_Hq7Tz3Lp", resource_id=resource_id, data=data)["id"])
