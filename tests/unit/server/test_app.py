from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from benchling_webhook.sandbox.signing import WebhookSigner
from benchling_webhook.server.app import create_app
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.inbox import MemoryInbox
from benchling_webhook.server.routes.webhooks import is_webhook_path
from benchling_webhook.server.secrets import BenchlingSecretStore
from benchling_webhook.server.security.jwks import JwksCache
from benchling_webhook.server.settings import ServerSettings
from tests.helpers import fixture_bytes

SECRET = {"tenant": "acme-bio", "client_id": "c", "client_secret": "s", "app_definition_id": "appdef_T4nB7cWq1s"}


class StaticSecrets:
    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        return {"SecretString": json.dumps(SECRET)}


class ExplodingInbox:
    async def enqueue(self, message: InboxMessage) -> None:
        raise RuntimeError("a bug")

    async def aclose(self) -> None:
        return None


def post(inbox: Any, body: bytes, signer: WebhookSigner | None = None, path: str = "/event") -> httpx.Response:
    signer = signer or WebhookSigner()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=signer.jwks()))
    app = create_app(ServerSettings(INBOX_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/1/inbox.fifo"),
                     inbox=inbox, jwks=JwksCache("https://jwks.example/{app_definition_id}", transport=transport),
                     secrets=BenchlingSecretStore("bw", client_factory=StaticSecrets))

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.post(path, content=body, headers=signer.sign(body))

    return asyncio.run(go())


def test_entry_event_is_queued_in_the_inbox() -> None:
    inbox = MemoryInbox()
    response = post(inbox, fixture_bytes("benchling/webhooks/entry-created.json"))
    assert response.status_code == 202
    assert [m.envelope.message.resource_id for m in inbox.messages] == ["etr_Ab12Cd34"]


@pytest.mark.parametrize(("fixture", "status"), [("unsubscribed-assay-run-created.json", "ignored"),
                                                 ("app-installed.json", "ok")])
def test_unknown_and_lifecycle_events_are_200_and_not_queued(fixture: str, status: str) -> None:
    inbox = MemoryInbox()
    response = post(inbox, fixture_bytes(f"benchling/webhooks/{fixture}"))
    assert (response.status_code, response.json()) == (200, {"status": status})
    assert inbox.messages == []


def test_inbox_failure_is_503() -> None:
    response = post(MemoryInbox(fail_with=RuntimeError("down")), fixture_bytes("benchling/webhooks/entry-created.json"))
    assert response.status_code == 503


def test_an_unexpected_error_is_503_never_500() -> None:
    response = post(ExplodingInbox(), fixture_bytes("benchling/webhooks/entry-created.json"))
    assert response.status_code == 503
    assert response.json() == {"error": "internal error; retry later"}


@pytest.mark.parametrize(("path", "webhook"), [
    ("/", True), ("/event", True), ("/lifecycle/", True), ("/canvas", True), ("/prod", True), ("/prod/", True),
    ("/prod/event", True), ("/v1/canvas/", True), ("/a/b", False), ("/a/b/event", False), ("/health", False),
    ("/health/ready", False), ("/docs", False), ("/openapi.json", False),
])
def test_webhook_paths(path: str, webhook: bool) -> None:
    assert is_webhook_path(path) is webhook
