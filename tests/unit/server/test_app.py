from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from benchling_webhook import errors
from benchling_webhook.sandbox.signing import WebhookSigner
from benchling_webhook.server.app import create_app
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.inbox import MemoryInbox, MessageTooLargeError
from benchling_webhook.server.routes.webhooks import ERROR_ANSWERS, is_webhook_path
from benchling_webhook.server.secrets import BenchlingSecretStore
from benchling_webhook.server.security.jwks import JwksCache, JwksUnavailableError
from benchling_webhook.server.settings import ServerSettings
from tests.helpers import fixture_bytes

SECRET = {"tenant": "acme-bio", "client_id": "c", "client_secret": "s", "app_definition_id": "appdef_T4nB7cWq1s"}


class StaticSecrets:
    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        return {"SecretString": json.dumps(SECRET)}


class ExplodingInbox:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error or RuntimeError("a bug")

    async def enqueue(self, message: InboxMessage) -> None:
        raise self.error

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


# One row per class of ERROR_ANSWERS, plus an exception the table does not know.
ERRORS = [
    (errors.MalformedWebhookError(["message: Field required"]), 400,
     {"error": "malformed webhook body", "details": ["message: Field required"]}),
    (errors.SignatureError("signature does not match"), 401, {"error": "signature does not match"}),
    (errors.ClientNotAllowedError(), 403, {"error": "client address not allowed"}),
    (errors.BodyTooLargeError(2048), 413, {"error": "body larger than 2048 bytes"}),
    (errors.RequestTimeoutError(10), 408, {"error": "the request body did not arrive within 10 s"}),
    (MessageTooLargeError("the event is larger than an SQS message"), 413,
     {"error": "the event is larger than an SQS message"}),
    (errors.ServerNotReadyError("secret bw is missing"), 503,
     {"error": "the server is not configured yet; retry later"}),
    (JwksUnavailableError("jwks answered 500"), 503, {"error": "signing keys unavailable; retry later"}),
    (errors.EnqueueError("the inbox queue refused the event (QueueDoesNotExist)"), 503,
     {"error": "could not queue the event; retry later"}),
    (RuntimeError("a bug"), 503, {"error": "internal error; retry later"}),
]


def test_the_error_table_covers_every_typed_error_tested_here() -> None:
    assert set(ERROR_ANSWERS) == {type(error) for error, _, _ in ERRORS} - {RuntimeError}


@pytest.mark.parametrize(("error", "status", "body"), ERRORS, ids=[type(e).__name__ for e, _, _ in ERRORS])
def test_each_error_is_answered_from_the_one_table(error: Exception, status: int, body: dict[str, Any]) -> None:
    response = post(ExplodingInbox(error), fixture_bytes("benchling/webhooks/entry-created.json"))
    assert (response.status_code, response.json()) == (status, body)


def test_fastapi_routes_answer_unexpected_errors_from_the_same_table() -> None:
    async def broken() -> None:
        raise RuntimeError("a bug")

    app = create_app(ServerSettings(INBOX_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/1/inbox.fifo"),
                     inbox=MemoryInbox(), secrets=BenchlingSecretStore("bw", client_factory=StaticSecrets))
    app.state.runtime.readiness = broken

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/health/ready")

    response = asyncio.run(go())
    assert (response.status_code, response.json()) == (503, {"error": "internal error; retry later"})


def test_refusals_are_counted_and_summarised_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    from benchling_webhook.server.routes.webhooks import RejectionLog, error_answer
    from tests.helpers import FakeClock

    clock = FakeClock()
    rejections = RejectionLog(interval=60, clock=clock)
    with caplog.at_level("WARNING", logger="benchling_webhook.server.webhooks"):
        bad_signature = errors.SignatureError("webhook-signature does not match")
        for _ in range(500):
            assert error_answer(bad_signature, "msg_x", rejections)[0] == 401
        assert error_answer(errors.ClientNotAllowedError(), None, rejections)[0] == 403
        assert [r for r in caplog.records if r.levelname == "WARNING"] == []  # none per request
        clock.advance(61)
        error_answer(errors.SignatureError("webhook-signature does not match"), "msg_y", rejections)
    (summary,) = [r for r in caplog.records if r.getMessage() == "webhooks rejected"]
    assert summary.rejected == 502 and summary.by_status == {"401": 501, "403": 1}
    assert summary.top_reasons["webhook-signature does not match"] == 501
