"""Webhook intake: ``POST`` on ``/``, ``/lifecycle``, ``/event``, ``/canvas``, each also under one leading
path segment (``/prod/event``). Dispatch is on ``message.type``, never on the path (docs/benchling.md).

One handler, ``WebhookEndpoint``, serves every webhook POST as plain ASGI (``WebhookApp`` in
server/app.py hands them over before FastAPI's per-request layers: ≈ 60-100 µs of the ≈ 350 µs a
request may cost at 2,800 requests/s on one core). It does only: the checks that need headers alone
(allowlist, declared size, signature headers and timestamp window) → read the body (≤ ``max_body_bytes``,
within ``read_timeout_seconds``) → verify → parse → check tenant/app → enqueue (server/inbox.py) →
answer. Nothing slow (Benchling, S3, Athena) happens here, and a request that can be refused from its
headers is refused before its body is read. Answers:

    202 {"status":"queued"}    event stored in the inbox
    200 {"status":"ok"}        lifecycle event (logged, not queued)
    200 {"status":"ignored"}   a type the app does not handle (so Benchling does not retry it)

One webhook from the socket to SQS crosses four modules: ``server/app.py`` (``WebhookApp`` picks the
POST out of the ASGI stream) → this module (``WebhookEndpoint``, ``accept_webhook``) →
``server/inbox.py`` (``SqsInbox.enqueue`` joins the next batch and waits for its answer) →
``server/sqs.py`` (``AsyncSqsClient.call`` signs and sends it).

Every refusal is a typed error (``errors.py``) that ``ERROR_ANSWERS`` maps to its HTTP answer — the
one table of the server's error statuses (FastAPI's routes use it too, see server/app.py). Anything
else is logged with its traceback and answered 503, never 500, so Benchling retries. Refusals (4xx) are
counted, not logged one by one: a flood of junk requests writes one summary line per interval
(``RejectionLog``), not one WARNING each.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from benchling_webhook.errors import (
    BenchlingWebhookError,
    BodyTooLargeError,
    ClientNotAllowedError,
    EnqueueError,
    JwksUnavailableError,
    MalformedWebhookError,
    MessageTooLargeError,
    RequestTimeoutError,
    ServerNotReadyError,
    SignatureError,
)
from benchling_webhook.server.deps import ServerRuntime
from benchling_webhook.server.events import AcceptedEvent, EnvelopeHead, EventKind
from benchling_webhook.server.logging import log_event
from benchling_webhook.server.security.allowlist import client_address

logger = logging.getLogger("benchling_webhook.server.webhooks")

_WEBHOOK_PATH = re.compile(r"^/(?:(?!health|docs|redoc|openapi\.json)[^/]+/?)?(?:(?:lifecycle|event|canvas)/?)?$")

# Error class → (HTTP status, the answer's text; None: the error's own message). Looked up along the
# error's MRO, so a subclass may have its own row (MessageTooLargeError is an EnqueueError).
ERROR_ANSWERS: dict[type[BenchlingWebhookError], tuple[int, str | None]] = {
    MalformedWebhookError: (400, None),
    RequestTimeoutError: (408, None),
    SignatureError: (401, None),
    ClientNotAllowedError: (403, None),
    BodyTooLargeError: (413, None),
    MessageTooLargeError: (413, None),
    ServerNotReadyError: (503, None),
    JwksUnavailableError: (503, "signing keys unavailable; retry later"),
    EnqueueError: (503, "could not queue the event; retry later"),
}
UNEXPECTED_ANSWER = (503, "internal error; retry later")


def is_webhook_path(path: str) -> bool:
    return _WEBHOOK_PATH.match(path) is not None


class RejectionLog:
    """Counts refused requests and writes one summary line per ``interval`` seconds (a WARNING with the
    counts by status and the most frequent reasons), so a flood of bad requests costs no log per request."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._started = clock()
        self.total = 0
        self._by_status: Counter[int] = Counter()
        self._by_reason: Counter[str] = Counter()

    def record(self, status: int, reason: str) -> None:
        self.total += 1
        self._by_status[status] += 1
        self._by_reason[reason[:120]] += 1
        if self._clock() - self._started >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Write the summary of what was counted since the last one (nothing when nothing was)."""
        count = sum(self._by_status.values())
        if count:
            logger.warning("webhooks rejected", extra={
                "rejected": count, "seconds": round(self._clock() - self._started, 1),
                "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                "top_reasons": dict(self._by_reason.most_common(5))})
        self._by_status.clear()
        self._by_reason.clear()
        self._started = self._clock()


REJECTIONS = RejectionLog()


def error_answer(exc: Exception, webhook_id: str | None = None,
                 rejections: RejectionLog = REJECTIONS) -> tuple[int, dict[str, Any]]:
    """The HTTP answer to ``exc`` (``ERROR_ANSWERS``): refusals counted in ``rejections``, 5xx logged at
    ERROR, an unexpected exception with its traceback."""
    row = next((ERROR_ANSWERS[cls] for cls in type(exc).__mro__ if cls in ERROR_ANSWERS), None)
    fields: dict[str, Any] = {"webhook_id": (webhook_id or "")[:128] or None}
    if row is None or not isinstance(exc, BenchlingWebhookError):
        logger.error("webhook handling failed unexpectedly", extra=fields, exc_info=exc)
        return UNEXPECTED_ANSWER[0], {"error": UNEXPECTED_ANSWER[1]}
    status, text = row
    payload: dict[str, Any] = {"error": text or exc.message}
    reason = getattr(exc, "reason", None) or exc.message
    if isinstance(exc, MalformedWebhookError):
        payload["details"] = fields["details"] = exc.details
    if status < 500:
        rejections.record(status, reason)
    else:
        logger.error("webhook refused", extra={"status": status, "reason": reason, **fields})
    return status, payload


@dataclass(slots=True)
class WebhookRequest:
    """What the handler needs from an HTTP request (header values as sent, or ``None``)."""

    body: bytes
    webhook_id: str | None
    timestamp: str | None
    signature: str | None
    peer: str | None = None
    edge_client_ip: str | None = None  # the header the edge overwrote with the caller's address


def check_before_body(runtime: ServerRuntime, req: WebhookRequest) -> None:
    """What can be refused from the headers alone: the caller's address and the signature headers."""
    behind_edge = runtime.settings.client_ip_header is not None
    if runtime.allowlist.enabled and not runtime.allowlist.allows(
            client_address(req.peer, req.edge_client_ip, behind_edge=behind_edge)):
        raise ClientNotAllowedError()
    if runtime.verifier is not None:
        runtime.verifier.check_headers(req.webhook_id, req.timestamp, req.signature)


async def accept_webhook(runtime: ServerRuntime, req: WebhookRequest) -> tuple[int, dict[str, Any]]:
    """The answer to one webhook (see the module docstring); enqueue it if it is an event. Refusals raise."""
    check_before_body(runtime, req)
    secret, problem = await runtime.readiness()
    if problem is not None or secret is None:
        raise ServerNotReadyError(problem or "no secret")
    if runtime.verifier is not None:
        await runtime.verifier.verify(secret.app_definition_id or "", req.webhook_id, req.timestamp,
                                      req.signature, req.body)
    try:
        envelope = EnvelopeHead.model_validate_json(req.body)
    except ValidationError as exc:
        raise MalformedWebhookError(_describe(exc)) from None
    if secret.app_definition_id and envelope.app_definition.id != secret.app_definition_id:
        raise SignatureError("appDefinition.id does not match this app")
    if _normal_url(envelope.base_url) not in _tenant_urls(secret.tenant, runtime.settings.benchling_base_url):
        raise SignatureError("baseURL does not match this tenant")
    webhook_id = req.webhook_id or "body-" + hashlib.sha256(req.body).hexdigest()[:40]
    message = envelope.message
    fields = {"webhook_id": webhook_id, "event_type": message.type, "entry_id": message.resource_id,
              "canvas_id": message.canvas_id}
    kind = message.kind
    if kind is EventKind.UNKNOWN:
        log_event(logger, "webhook ignored: unhandled event type", fields)
        return 200, {"status": "ignored"}
    if kind is EventKind.LIFECYCLE:
        log_event(logger, "lifecycle event", {**fields, "installation_id": envelope.app.id})
        return 200, {"status": "ok"}
    await runtime.inbox.enqueue(AcceptedEvent(webhook_id, envelope, req.body))
    log_event(logger, "webhook queued", fields)
    return 202, {"status": "queued", "webhookId": webhook_id}


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
    """The plain-ASGI handler of one webhook POST (the caller has matched method and path)."""

    def __init__(self, runtime: ServerRuntime) -> None:
        self.runtime = runtime
        self.max_body = runtime.settings.max_body_bytes
        self.body_timeout = runtime.settings.read_timeout_seconds
        edge = runtime.settings.client_ip_header
        self._edge_header = edge.lower().encode("latin-1") if edge else None
        self._wanted = _WANTED | {self._edge_header} if self._edge_header else _WANTED

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = {name: value for name, value in scope["headers"] if name in self._wanted}
        webhook_id = _text(headers.get(b"webhook-id"))
        try:
            client = scope.get("client")
            request = WebhookRequest(
                body=b"", webhook_id=webhook_id, timestamp=_text(headers.get(b"webhook-timestamp")),
                signature=_text(headers.get(b"webhook-signature")), peer=client[0] if client else None,
                edge_client_ip=_text(headers.get(self._edge_header)) if self._edge_header else None)
            self._check_declared_size(headers)
            check_before_body(self.runtime, request)
            body = await self._body(receive)
            if body is None:  # the client went away
                return
            request.body = body
            status, payload = await accept_webhook(self.runtime, request)
        except Exception as exc:
            status, payload = error_answer(exc, webhook_id)
        body = orjson.dumps(payload)
        await send({"type": "http.response.start", "status": status,
                    "headers": [_JSON_TYPE, (b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    def _check_declared_size(self, headers: dict[bytes, bytes]) -> None:
        try:
            length = int(headers.get(b"content-length", b"0"))
        except ValueError:
            raise MalformedWebhookError(["content-length is not a number"]) from None
        if length > self.max_body:
            raise BodyTooLargeError(self.max_body)

    async def _body(self, receive: Any) -> bytes | None:
        """The request body, refused once it exceeds ``max_body`` or has not arrived within ``body_timeout``."""
        body = b""
        more = True
        try:
            async with asyncio.timeout(self.body_timeout):
                while more:
                    event = await receive()
                    if event["type"] == "http.disconnect":
                        return None
                    body += event.get("body", b"")
                    more = event.get("more_body", False)
                    if len(body) > self.max_body:
                        raise BodyTooLargeError(self.max_body)
        except TimeoutError:
            raise RequestTimeoutError(self.body_timeout) from None
        return body


_WANTED = frozenset((b"content-length", b"webhook-id", b"webhook-timestamp", b"webhook-signature"))
_JSON_TYPE = (b"content-type", b"application/json")


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


def openapi_paths() -> dict[str, Any]:
    """The webhook routes as OpenAPI path items (the handler is plain ASGI, so FastAPI cannot list them)."""
    answers = {"202": {"description": "event queued"}, "200": {"description": "lifecycle event, or ignored"},
               **{str(status): {"description": "refused (JSON `error`)"} for status, _ in ERROR_ANSWERS.values()}}
    operation = {"tags": ["webhooks"], "summary": "Receive a Benchling webhook",
                 "description": "Benchling webhook (verified with the app's ECDSA keys, then queued). The same "
                                "handler serves `/`, `/lifecycle`, `/event`, `/canvas` and each under one leading "
                                "path segment (e.g. `/prod/event`); dispatch is on `message.type`.",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                 "responses": answers}
    return {path: {"post": {**operation, "operationId": f"webhook_{path.strip('/') or 'root'}"}}
            for path in ("/", "/lifecycle", "/event", "/canvas")}
