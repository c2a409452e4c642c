"""Webhook intake: ``POST`` on ``/``, ``/lifecycle``, ``/event``, ``/canvas``, each also under one leading
path segment (``/prod/event``). Dispatch is on ``message.type``, never on the path (docs/benchling.md).

The acknowledgement path does only: allowlist → read body (≤ ``max_body_bytes``) → verify → parse →
check tenant/app → enqueue → answer. Nothing slow (Benchling, S3, Athena) happens here. Answers:

    202 {"status":"queued"}    event stored in the inbox
    200 {"status":"ok"}        lifecycle event (logged, not queued)
    200 {"status":"ignored"}   a type the app does not handle (so Benchling does not retry it)
    400 malformed body · 401 verification failed · 403 address not allowed · 413 body (or event) too large
    503 inbox or configuration unavailable — Benchling retries, nothing is lost

Nothing else: an unexpected exception is logged with its traceback and answered 503, never 500.

Speed: ``WebhookEndpoint`` serves these paths as plain ASGI, called by ``WebhookApp`` (server/app.py)
before FastAPI's per-request machinery (telemetry check, body-limit wrapper, middleware stack, routing,
dependency injection, request objects) — together ≈ 60-100 µs of the ≈ 350 µs a request may cost at
2,800 requests/s on one core. The FastAPI routes below document the endpoint in OpenAPI and behave the
same if reached.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from benchling_webhook.errors import EnqueueError, JwksUnavailableError, MessageTooLargeError, SignatureError
from benchling_webhook.server.deps import RuntimeDep, ServerRuntime
from benchling_webhook.server.events import AcceptedEvent, EnvelopeHead, EventKind
from benchling_webhook.server.logging import log_event
from benchling_webhook.server.security.allowlist import client_address

logger = logging.getLogger("benchling_webhook.server.webhooks")

_WEBHOOK_PATH = re.compile(r"^/(?:(?!health|docs|redoc|openapi\.json)[^/]+/?)?(?:(?:lifecycle|event|canvas)/?)?$")
_NOT_READY = "the server is not configured yet; retry later"


def is_webhook_path(path: str) -> bool:
    return _WEBHOOK_PATH.match(path) is not None


@dataclass(slots=True)
class WebhookRequest:
    """What the handler needs from an HTTP request (header values as sent, or ``None``)."""

    body: bytes
    webhook_id: str | None
    timestamp: str | None
    signature: str | None
    peer: str | None = None
    forwarded_for: str | None = None


def _answer(http_status: int, /, **payload: Any) -> tuple[int, dict[str, Any]]:
    return http_status, payload


def _reject(status: int, error: str, webhook_id: str | None, **extra: Any) -> tuple[int, dict[str, Any]]:
    logger.warning("webhook rejected", extra={"status": status, "reason": error,
                                              "webhook_id": (webhook_id or "")[:128] or None, **extra})
    return _answer(status, error=error)


async def accept_webhook(runtime: ServerRuntime, req: WebhookRequest) -> tuple[int, dict[str, Any]]:
    """Decide the answer to one webhook (see the module docstring); enqueue it if it is an event."""
    if runtime.allowlist.enabled and not runtime.allowlist.allows(client_address(req.peer, req.forwarded_for)):
        return _reject(403, "client address not allowed", req.webhook_id)
    secret, problem = await runtime.readiness()
    if problem is not None or secret is None:
        logger.error("webhook refused: server degraded", extra={"reason": problem})
        return _answer(503, error=_NOT_READY)
    verifier = runtime.verifier
    if verifier is not None:
        try:
            await verifier.verify(secret.app_definition_id or "", req.webhook_id, req.timestamp, req.signature,
                                  req.body)
        except SignatureError as exc:
            return _reject(401, exc.reason, req.webhook_id)
        except JwksUnavailableError as exc:
            logger.error("webhook refused: signing keys unavailable", extra={"reason": exc.message})
            return _answer(503, error="signing keys unavailable; retry later")
    try:
        envelope = EnvelopeHead.model_validate_json(req.body)
    except ValidationError as exc:
        details = _describe(exc)
        status, payload = _reject(400, "malformed webhook body", req.webhook_id, details=details)
        return status, {**payload, "details": details}
    webhook_id = req.webhook_id or "body-" + hashlib.sha256(req.body).hexdigest()[:40]
    message = envelope.message
    fields = {"webhook_id": webhook_id, "event_type": message.type, "entry_id": message.resource_id,
              "canvas_id": message.canvas_id}
    if secret.app_definition_id and envelope.app_definition.id != secret.app_definition_id:
        return _reject(401, "appDefinition.id does not match this app", webhook_id, event_type=message.type)
    if _normal_url(envelope.base_url) not in _tenant_urls(secret.tenant, runtime.settings.benchling_base_url):
        return _reject(401, "baseURL does not match this tenant", webhook_id, event_type=message.type)
    kind = message.kind
    if kind is EventKind.UNKNOWN:
        log_event(logger, "webhook ignored: unhandled event type", fields)
        return _answer(200, status="ignored")
    if kind is EventKind.LIFECYCLE:
        log_event(logger, "lifecycle event", {**fields, "installation_id": envelope.app.id})
        return _answer(200, status="ok")
    inbox_message = AcceptedEvent(webhook_id, envelope, req.body)
    try:
        await runtime.inbox.enqueue(inbox_message)
    except MessageTooLargeError as exc:
        return _reject(413, exc.message, webhook_id, event_type=message.type)
    except EnqueueError as exc:
        logger.error("webhook not queued", extra={**fields, "reason": exc.message})
        return _answer(503, error="could not queue the event; retry later")
    log_event(logger, "webhook queued", fields)
    return _answer(202, status="queued", webhookId=webhook_id)


def _describe(exc: ValidationError) -> list[str]:
    """Field-level reasons without echoing input values."""
    out = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        out.append(f"{loc}: {err['msg']}" if err["type"] != "json_invalid" else "body is not valid JSON")
    return out


def _normal_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


@functools.lru_cache(maxsize=16)
def _tenant_urls(tenant: str, base_url: str | None) -> frozenset[str]:
    """The ``baseURL`` values this tenant's webhooks may carry (normalised; cached per tenant)."""
    urls = {f"https://{tenant}.benchling.com".lower()}
    if base_url:
        urls.add(_normal_url(base_url))
    return frozenset(urls)


class WebhookEndpoint:
    """Plain-ASGI handler of one webhook POST (the caller has matched method and path)."""

    def __init__(self, runtime: ServerRuntime) -> None:
        self.runtime = runtime
        self.max_body = runtime.settings.max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = {name: value for name, value in scope["headers"] if name in _WANTED}
        try:
            length = int(headers.get(b"content-length", b"0"))
        except ValueError:
            await _send_json(send, 400, {"error": "invalid content-length"})
            return
        if length > self.max_body:
            await _send_json(send, 413, {"error": f"body larger than {self.max_body} bytes"})
            return
        body = b""
        more = True
        while more:
            event = await receive()
            if event["type"] == "http.disconnect":
                return
            body += event.get("body", b"")
            more = event.get("more_body", False)
            if len(body) > self.max_body:
                await _send_json(send, 413, {"error": f"body larger than {self.max_body} bytes"})
                return
        client = scope.get("client")
        req = WebhookRequest(body=body, webhook_id=_text(headers.get(b"webhook-id")),
                             timestamp=_text(headers.get(b"webhook-timestamp")),
                             signature=_text(headers.get(b"webhook-signature")),
                             peer=client[0] if client else None,
                             forwarded_for=_text(headers.get(b"x-forwarded-for")))
        try:
            status, payload = await accept_webhook(self.runtime, req)
        except Exception:
            logger.exception("webhook handling failed unexpectedly", extra={"webhook_id": req.webhook_id})
            status, payload = 503, {"error": "internal error; retry later"}
        await _send_json(send, status, payload)


_WANTED = frozenset((b"content-length", b"webhook-id", b"webhook-timestamp", b"webhook-signature",
                     b"x-forwarded-for"))
_JSON_TYPE = (b"content-type", b"application/json")


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


async def _send_json(send: Any, status: int, payload: dict[str, Any]) -> None:
    body = orjson.dumps(payload)
    await send({"type": "http.response.start", "status": status,
                "headers": [_JSON_TYPE, (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


router = APIRouter(tags=["webhooks"])
_DOC = ("Benchling webhook (verified with the app's ECDSA keys, then queued). The same handler serves "
        "`/`, `/lifecycle`, `/event`, `/canvas` and each under one leading path segment; dispatch is on "
        "`message.type`.")


async def _webhook_route(request: Request, runtime: RuntimeDep) -> Response:
    body = await request.body()
    if len(body) > runtime.settings.max_body_bytes:
        status, payload = 413, {"error": f"body larger than {runtime.settings.max_body_bytes} bytes"}
    else:
        h = request.headers
        status, payload = await accept_webhook(runtime, WebhookRequest(
            body=body, webhook_id=h.get("webhook-id"), timestamp=h.get("webhook-timestamp"),
            signature=h.get("webhook-signature"), peer=request.client.host if request.client else None,
            forwarded_for=h.get("x-forwarded-for")))
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


for _path in ("/", "/lifecycle", "/event", "/canvas"):
    router.add_api_route(_path, _webhook_route, methods=["POST"], summary="Receive a Benchling webhook",
                         description=_DOC + " (Under a prefix, e.g. `/prod/event`, it is served the same way.)",
                         status_code=202)
