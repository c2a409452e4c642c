from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchling_webhook import __version__
from benchling_webhook.constants import CLIENT_IP_HEADER
from benchling_webhook.sandbox.signing import WebhookSigner
from benchling_webhook.server.events import EventKind, kind_of
from tests.functional.server.conftest import RunningServer, Stack
from tests.helpers import FIXTURES

WEBHOOKS = sorted((FIXTURES / "benchling" / "webhooks").glob("*.json"))
ENTRY_UPDATED = FIXTURES / "benchling" / "webhooks" / "entry-updated-fields.json"


def post(server: RunningServer, body: bytes, headers: dict[str, str], path: str = "/event") -> httpx.Response:
    return httpx.post(server.url + path, content=body, headers=headers, timeout=10)


def signed(stack: Stack, payload: Path | dict[str, Any] | bytes, **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    raw = payload.read_bytes() if isinstance(payload, Path) else payload
    return stack.sandbox.state.signed(raw, **kwargs)


def test_every_fixture_is_acknowledged_and_each_event_queued_exactly_once(stack: Stack, server: RunningServer) -> None:
    expected: dict[str, str] = {}
    for path in WEBHOOKS:
        body, headers = signed(stack, path)
        for route in ("/event", "/prod/canvas"):  # a re-delivery, on another route: still one message
            response = post(server, body, headers, route)
            message_type = json.loads(body)["message"]["type"]
            kind = kind_of(message_type)
            if kind is EventKind.UNKNOWN:
                assert (response.status_code, response.json()) == (200, {"status": "ignored"}), path.name
            elif kind is EventKind.LIFECYCLE:
                assert (response.status_code, response.json()) == (200, {"status": "ok"}), path.name
            else:
                assert response.status_code == 202, (path.name, response.text)
                assert response.json() == {"status": "queued", "webhookId": headers["webhook-id"]}
                expected[headers["webhook-id"]] = message_type

    queued = stack.inbox()
    assert sorted(m.webhook_id for m in queued) == sorted(expected)
    for message in queued:
        assert message.envelope.message.type == expected[message.webhook_id]
    assert len(expected) == 8  # 3 entry types, 4 canvas types and the configuration update


def test_concurrent_duplicates_end_as_one_inbox_message(stack: Stack, server: RunningServer) -> None:
    body, headers = signed(stack, ENTRY_UPDATED)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: post(server, body, headers).status_code, range(8)))
    assert codes == [202] * 8
    assert [m.webhook_id for m in stack.inbox()] == [headers["webhook-id"]]


def test_all_routes_accept_and_dispatch_on_message_type(stack: Stack, server: RunningServer) -> None:
    routes = ["/", "/lifecycle", "/event", "/canvas", "/prod", "/prod/", "/prod/lifecycle", "/prod/event",
              "/prod/canvas"]
    for route in routes:
        body, headers = signed(stack, ENTRY_UPDATED)
        assert post(server, body, headers, route).status_code == 202, route
    assert len(stack.inbox()) == len(routes)
    body, headers = signed(stack, ENTRY_UPDATED)
    assert post(server, body, headers, "/a/b/event").status_code in (404, 405)


def _tamper(body: bytes) -> bytes:
    return body.replace(b"etr_Ab12Cd34", b"etr_Ev1l0000")


def _reserialize(body: bytes) -> bytes:
    return json.dumps(json.loads(body), indent=2).encode()


@pytest.mark.parametrize(("case", "mutate", "reason"), [
    ("tampered body", lambda b, h: (_tamper(b), h), "does not match"),
    ("re-serialized body", lambda b, h: (_reserialize(b), h), "does not match"),
    ("missing id", lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-id"}), "missing webhook-id"),
    ("missing timestamp", lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-timestamp"}),
     "missing webhook-timestamp"),
    ("missing signature", lambda b, h: (b, {k: v for k, v in h.items() if k != "webhook-signature"}),
     "missing webhook-signature"),
    ("garbled base64", lambda b, h: (b, {**h, "webhook-signature": "v1der,@@not-base64@@"}), "no usable signature"),
    ("no version", lambda b, h: (b, {**h, "webhook-signature": "garbage"}), "no usable signature"),
    ("hmac version only", lambda b, h: (b, {**h, "webhook-signature": "v1,c2lnbmF0dXJl"}), "no usable signature"),
    ("der junk", lambda b, h: (b, {**h, "webhook-signature": "v1der,AAAA"}), "does not match"),
    ("timestamp not a number", lambda b, h: (b, {**h, "webhook-timestamp": "yesterday"}), "not a unix time"),
    ("other webhook id", lambda b, h: (b, {**h, "webhook-id": "msg_other"}), "does not match"),
])
def test_verification_failures_are_401_with_a_reason(stack: Stack, server: RunningServer, case: str,
                                                     mutate: Any, reason: str) -> None:
    body, headers = signed(stack, ENTRY_UPDATED)
    body, headers = mutate(body, headers)
    response = post(server, body, headers)
    assert response.status_code == 401, (case, response.text)
    assert reason in response.json()["error"], case
    assert stack.inbox() == []


@pytest.mark.parametrize(("offset", "reason"), [(-320, "too old"), (320, "in the future")])
def test_timestamps_outside_five_minutes_are_refused(stack: Stack, server: RunningServer, offset: int,
                                                     reason: str) -> None:
    # 20 s beyond the tolerance: 301 flaked, since int() drops up to 1 s and a slow machine spends the rest
    body, headers = signed(stack, ENTRY_UPDATED, timestamp=int(time.time()) + offset)
    response = post(server, body, headers)
    assert response.status_code == 401
    assert reason in response.json()["error"]


def test_timestamps_within_tolerance_are_accepted(stack: Stack, server: RunningServer) -> None:
    for offset in (-280, 280):
        body, headers = signed(stack, ENTRY_UPDATED, timestamp=int(time.time()) + offset)
        assert post(server, body, headers).status_code == 202


def test_signature_from_an_unpublished_key_is_refused(stack: Stack, server: RunningServer) -> None:
    body = ENTRY_UPDATED.read_bytes()
    response = post(server, body, WebhookSigner().sign(body))
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]


def test_any_valid_signature_in_the_list_suffices(stack: Stack, server: RunningServer) -> None:
    body, headers = signed(stack, ENTRY_UPDATED)
    other = WebhookSigner().signature(body, headers["webhook-id"], headers["webhook-timestamp"])
    headers["webhook-signature"] = f"v1,bm90LWRlcg== {other} {headers['webhook-signature']}"
    assert post(server, body, headers).status_code == 202


def test_key_rotation_after_the_cache_is_filled_is_picked_up_by_one_refetch(stack: Stack,
                                                                            server: RunningServer) -> None:
    body, headers = signed(stack, ENTRY_UPDATED)
    assert post(server, body, headers).status_code == 202
    assert stack.sandbox.state.jwks_fetches == 1

    stack.sandbox.state.rotate_key(keep_old=False)
    server.clock.advance(31)  # beyond the refetch rate limit, well within the TTL
    body, headers = signed(stack, ENTRY_UPDATED)
    assert post(server, body, headers).status_code == 202
    assert stack.sandbox.state.jwks_fetches == 2


def test_junk_signatures_cannot_flood_the_jwks_endpoint(stack: Stack, server: RunningServer) -> None:
    body = ENTRY_UPDATED.read_bytes()
    stranger = WebhookSigner()
    for _ in range(20):
        assert post(server, body, stranger.sign(body)).status_code == 401
    assert stack.sandbox.state.jwks_fetches == 1  # the first fill; every miss within 30 s reuses it


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("baseURL", "https://evil-tenant.benchling.com", "baseURL does not match"),
    ("appDefinition", {"id": "appdef_SomebodyElse", "versionNumber": "1"}, "appDefinition.id does not match"),
])
def test_envelopes_of_another_tenant_or_app_are_refused(stack: Stack, server: RunningServer, field: str,
                                                        value: Any, reason: str) -> None:
    payload = json.loads(ENTRY_UPDATED.read_bytes())
    payload[field] = value
    response = post(server, *signed(stack, json.dumps(payload).encode()))
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert stack.inbox() == []


def test_sandbox_base_url_is_accepted_when_configured(stack: Stack, start_server: Any) -> None:
    server = start_server(BENCHLING_BASE_URL=stack.sandbox.url)
    envelope = stack.sandbox.state.envelope({"type": "v2.entry.created", "resourceId": "etr_1", "id": "evt_1"})
    assert post(server, *signed(stack, envelope)).status_code == 202


@pytest.mark.parametrize(("body", "detail"), [
    (b"this is not json", "body is not valid JSON"),
    (b"", "body is not valid JSON"),
    (b'{"baseURL": "https://acme-bio.benchling.com"}', "message: Field required"),
    (b'[1, 2, 3]', "body: Input should be an object"),
    (b'\xff\xfe\x00garbage', "body is not valid JSON"),
])
def test_malformed_bodies_with_valid_signatures_are_400(stack: Stack, server: RunningServer, body: bytes,
                                                        detail: str) -> None:
    response = post(server, *signed(stack, body))
    assert response.status_code == 400
    assert response.json()["error"] == "malformed webhook body"
    assert detail in response.json()["details"]
    assert stack.inbox() == []


def test_oversized_bodies_are_413(stack: Stack, start_server: Any) -> None:
    server = start_server(MAX_BODY_BYTES="2048")
    body, headers = signed(stack, b'{"pad": "' + b"x" * 4096 + b'"}')
    assert post(server, body, headers).status_code == 413

    def chunks() -> Any:  # no content-length: the limit holds while streaming
        for _ in range(10):
            yield b"x" * 1024

    response = httpx.post(server.url + "/event", content=chunks(), headers=headers, timeout=10)
    assert response.status_code == 413


def test_an_event_too_large_for_sqs_is_413_not_an_endless_503(stack: Stack, start_server: Any) -> None:
    server = start_server(MAX_BODY_BYTES=str(2 * 1024 * 1024))
    payload = json.loads(ENTRY_UPDATED.read_bytes())
    payload["message"]["updates"] = ["x" * 1024] * 1100
    response = post(server, *signed(stack, json.dumps(payload).encode()))
    assert response.status_code == 413
    assert stack.inbox() == []


def test_sqs_down_is_503_so_benchling_retries(stack: Stack, start_server: Any) -> None:
    server = start_server()
    stack.sqs.delete_queue(QueueUrl=stack.queue_url)
    response = post(server, *signed(stack, ENTRY_UPDATED))
    assert response.status_code == 503
    assert "retry" in response.json()["error"]


def test_unreachable_sqs_endpoint_is_503(stack: Stack, start_server: Any) -> None:
    from tests.helpers import free_port

    server = start_server(AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    assert post(server, *signed(stack, ENTRY_UPDATED)).status_code == 503


def test_degraded_until_the_secret_exists_then_heals_without_restart(stack: Stack, start_server: Any) -> None:
    stack.secrets.delete_secret(SecretId="benchling-webhook/test", ForceDeleteWithoutRecovery=True)
    server = start_server()

    health = httpx.get(server.url + "/health").json()
    assert health == {"status": "degraded", "version": __version__}  # the reason is for the log only
    assert httpx.get(server.url + "/health/ready").status_code == 503
    assert post(server, *signed(stack, ENTRY_UPDATED)).status_code == 503

    stack.put_secret()
    assert httpx.get(server.url + "/health").json() == {"status": "healthy", "version": __version__}
    assert httpx.get(server.url + "/health/ready").status_code == 200
    assert post(server, *signed(stack, ENTRY_UPDATED)).status_code == 202


def test_secret_without_required_fields_is_degraded_with_field_names_in_the_log(
        stack: Stack, start_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    stack.secrets.put_secret_value(SecretId="benchling-webhook/test",
                                   SecretString=json.dumps({"tenant": "acme-bio", "client_secret": "zzz"}))
    health = httpx.get(start_server().url + "/health").json()
    assert health["status"] == "degraded" and "zzz" not in json.dumps(health)
    reasons = [getattr(r, "reason", "") for r in caplog.records if r.getMessage() in {"degraded", "starting degraded"}]
    assert any("client_id" in reason for reason in reasons) and not any("zzz" in reason for reason in reasons)


def test_missing_inbox_url_is_degraded(stack: Stack, start_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = start_server(INBOX_QUEUE_URL="")
    assert httpx.get(server.url + "/health").json()["status"] == "degraded"
    assert any("INBOX_QUEUE_URL" in getattr(r, "reason", "") for r in caplog.records)
    assert post(server, *signed(stack, ENTRY_UPDATED)).status_code == 503


def test_jwks_unreachable_is_503_not_401(stack: Stack, server: RunningServer) -> None:
    stack.sandbox.state.jwks_status = 500
    response = post(server, *signed(stack, ENTRY_UPDATED))
    assert response.status_code == 503
    stack.sandbox.state.jwks_status = 200
    server.clock.advance(6)  # past the retry pause after a failed fetch
    assert post(server, *signed(stack, ENTRY_UPDATED)).status_code == 202


def test_allow_list_behind_the_edge_trusts_only_the_edges_header(stack: Stack, start_server: Any) -> None:
    server = start_server(WEBHOOK_ALLOW_LIST="203.0.113.0/24", CLIENT_IP_HEADER=CLIENT_IP_HEADER)
    body, headers = signed(stack, ENTRY_UPDATED)
    assert post(server, body, headers).status_code == 403  # no edge header: the caller is unknown
    spoofed = {**headers, "x-forwarded-for": "203.0.113.7", "forwarded": "for=203.0.113.7"}
    assert post(server, body, spoofed).status_code == 403  # a client-sent claim, from 127.0.0.1
    assert post(server, body, {**headers, CLIENT_IP_HEADER: "198.51.100.1"}).status_code == 403
    assert post(server, body, {**headers, CLIENT_IP_HEADER: "203.0.113.7"}).status_code == 202


def test_allow_list_without_an_edge_sees_the_tcp_peer_and_ignores_forwarding_headers(
        stack: Stack, start_server: Any) -> None:
    server = start_server(WEBHOOK_ALLOW_LIST="203.0.113.0/24")  # serve --local, the demo
    body, headers = signed(stack, ENTRY_UPDATED)
    assert post(server, body, {**headers, "x-forwarded-for": "203.0.113.7"}).status_code == 403
    assert post(server, body, {**headers, CLIENT_IP_HEADER: "203.0.113.7"}).status_code == 403
    allowed = start_server(WEBHOOK_ALLOW_LIST="127.0.0.0/8")
    assert post(allowed, *signed(stack, ENTRY_UPDATED)).status_code == 202


def test_verification_can_be_disabled_explicitly_and_says_so_in_the_log(
        stack: Stack, start_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = start_server(ENABLE_WEBHOOK_VERIFICATION="false")
    assert any("SIGNATURE VERIFICATION IS DISABLED" in r.getMessage() for r in caplog.records)
    assert httpx.get(server.url + "/health").json() == {"status": "healthy", "version": __version__}
    response = post(server, ENTRY_UPDATED.read_bytes(), {"content-type": "application/json"})
    assert response.status_code == 202
    assert len(stack.inbox()) == 1


def test_health_is_status_and_version_and_the_docs_are_off_behind_the_edge(
        server: RunningServer, start_server: Any) -> None:
    assert httpx.get(server.url + "/health").json() == {"status": "healthy", "version": __version__}
    assert httpx.get(server.url + "/health/live").json()["status"] == "alive"
    assert httpx.get(server.url + "/health/ready").json()["status"] == "ready"
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(server.url + path).status_code == 404
    local = start_server(API_DOCS="true")
    paths = httpx.get(local.url + "/openapi.json").json()["paths"]
    assert {"/health", "/", "/event", "/canvas", "/lifecycle"} <= set(paths)
    assert httpx.get(local.url + "/docs").status_code == 200


def test_a_request_refused_by_its_headers_is_answered_before_its_body_arrives(server: RunningServer) -> None:
    with socket.create_connection(_address(server), timeout=10) as conn:
        conn.sendall(b"POST /event HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     b"content-length: 1000\r\n\r\n{")  # no signature headers; 999 body bytes never come
        assert conn.recv(4096).startswith(b"HTTP/1.1 401 ")


def test_a_stalled_body_is_dropped_after_the_read_timeout(stack: Stack, start_server: Any) -> None:
    server = start_server(READ_TIMEOUT_SECONDS="1")
    body, headers = signed(stack, ENTRY_UPDATED)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "content-length")
    with socket.create_connection(_address(server), timeout=10) as conn:
        conn.sendall(f"POST /event HTTP/1.1\r\nhost: x\r\n{head}content-length: {len(body)}\r\n\r\n".encode()
                     + body[:10])
        started = time.monotonic()
        answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 ") and time.monotonic() - started < 8
    assert stack.inbox() == []


def _address(server: RunningServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def test_no_junk_request_gets_a_5xx(stack: Stack, server: RunningServer) -> None:
    body, headers = signed(stack, ENTRY_UPDATED)
    junk: list[tuple[str, str, bytes, dict[str, Any]]] = [
        ("POST", "/event", b"\x00" * 100, {}),
        ("POST", "/event", body, {**headers, "webhook-signature": "v1der," + "A" * 10000}),
        ("POST", "/event", body, {**headers, "webhook-signature": " ".join(["v1der,AAAA"] * 500)}),
        ("POST", "/event", body, {**headers, "webhook-timestamp": "9" * 400}),
        ("POST", "/event", body, {**headers, "webhook-id": "é" * 300}),  # sent as UTF-8 bytes below
        ("POST", "/", b"{" * 5000, headers),
        ("GET", "/event", b"", {}),
        ("PUT", "/", body, headers),
        ("POST", "/health", body, headers),
        ("POST", "/docs", body, headers),
        ("GET", "/nope/nope/nope", b"", {}),
        ("POST", "/%ff%fe", b"{", headers),
    ]
    for method, path, content, hdrs in junk:
        raw = {k: v.encode() for k, v in hdrs.items()}
        response = httpx.request(method, server.url + path, content=content, headers=raw, timeout=10)
        assert response.status_code < 500, (method, path, response.status_code, response.text)
    assert stack.inbox() == []
