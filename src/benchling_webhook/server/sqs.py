"""A small non-blocking SQS client (JSON protocol) for the ack path and the inbox consumer.

Why not boto3: a boto3 ``SendMessageBatch`` costs ~3 ms of CPU per call on the target machine (request
serialisation, event hooks, urllib3), and it blocks — run on the event loop it caps the webhook at one
SQS round trip at a time; run in a thread pool it still spends that CPU under the GIL of the one core
the server gets. This client speaks SQS's JSON protocol (``X-Amz-Target: AmazonSQS.<Action>``) over
asyncio: any number of calls in flight, keep-alive connections (one request at a time on each),
responses parsed by httptools' C parser. Each request is signed by botocore's ``SigV4Auth`` for the
exact URL, host and headers it is sent with — handed a plain request object and a plain dict of the
headers to sign (``_SigV4``) instead of botocore's ``AWSRequest`` and its ``email.message``-based
header map: 121-143 instead of 191-230 µs per signature (``bench/cold_path.py``, 2026-12-07); the
signature is the same, a test recomputes it with botocore's own request classes.

Why not httpx: it costs the ack path far more than 10 %. The same client over httpx's async client,
against this transport (``bench/ack_path.py --inbox sink``, role all, interleaved pairs, 2026-12-06):
468 vs 339 µs of server CPU per signed request at saturation (915 vs 1,472 acks/s) and 1,601 vs
1,065 µs at 200 requests/s. A lone httpx call cost ~2 ms of CPU against ~0.4 ms here (sequential
``SendMessage`` calls to ``bench/sqs_sink.py``, signing included); part of it is httpcore retrying a
failed ``import sniffio`` on every request when sniffio is not installed, as in this project's lock.

Credentials and region come from botocore's normal chain (env vars, profile, ECS task role);
refreshing credentials (a blocking HTTP call) runs in a thread.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httptools
import orjson

from benchling_webhook.errors import SqsError

_JSON = "application/x-amz-json-1.0"
_EMULATOR_REGION = "us-east-1"


class CredentialSource:
    """botocore's credential chain, resolved once; refreshes (ECS/STS) happen off the event loop."""

    def __init__(self) -> None:
        self._creds: Any = None

    async def get(self) -> Any:
        """Frozen credentials (``access_key``, ``secret_key``, ``token``) for the next call."""
        if self._creds is None:
            self._creds = await asyncio.to_thread(self._resolve)
        creds = self._creds
        refresh_needed = getattr(creds, "refresh_needed", None)
        if refresh_needed and refresh_needed():
            return await asyncio.to_thread(creds.get_frozen_credentials)
        return creds.get_frozen_credentials()

    @staticmethod
    def _resolve() -> Any:
        import botocore.session

        creds = botocore.session.get_session().get_credentials()
        if creds is None:
            raise SqsError("NoCredentials", "no AWS credentials found")
        return creds


@dataclass(slots=True)
class _SigningRequest:
    """What botocore's ``SigV4Auth.add_auth`` reads and writes of a request, without ``AWSRequest``."""

    url: str
    body: bytes
    headers: dict[str, str]
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


class _HeaderMap(dict[str, str]):
    """The headers to sign, one value each (the only case ``_signed_request`` produces)."""

    def get_all(self, name: str) -> list[str]:
        return [self[name]]


@functools.cache
def _signer_class() -> type:
    """botocore's ``SigV4Auth`` with its header selection over a plain dict (built once, when first needed)."""
    from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth

    class _SigV4(SigV4Auth):  # type: ignore[misc]
        def headers_to_sign(self, request: Any) -> _HeaderMap:
            lowered = ((name.lower(), value) for name, value in request.headers.items())
            return _HeaderMap((name, value) for name, value in lowered if name not in SIGNED_HEADERS_BLACKLIST)

    return _SigV4


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; one request at a time; responses parsed by httptools."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self._parser: Any = None
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._parser is None:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(SqsError("BadResponse", f"unparseable response: {exc}"))
            self.close()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser, self._parser = self._parser, None
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((parser.get_status_code(), b"".join(self._body), parser.should_keep_alive()))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(SqsError("ConnectionClosed", str(exc) if exc else "connection closed by the endpoint"))

    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._body = []
        self.transport.write(data)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class AsyncSqsClient:
    """SQS actions as coroutines. ``call(action, params)`` returns the decoded JSON answer.

    Usage::

        sqs = AsyncSqsClient(region="us-east-1", endpoint_url="http://127.0.0.1:5000")
        await sqs.call("SendMessageBatch", {"QueueUrl": url, "Entries": [...]})
        await sqs.aclose()
    """

    def __init__(self, region: str, endpoint_url: str | None = None, timeout: float = 5.0,
                 max_idle: int = 32, credentials: CredentialSource | None = None) -> None:
        self.region = region
        self.endpoint_url = (endpoint_url or f"https://sqs.{region}.amazonaws.com").rstrip("/")
        parts = urlsplit(self.endpoint_url)
        self._host = parts.netloc
        self._hostname = parts.hostname or ""
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if parts.scheme == "https" else None
        self._path = parts.path or "/"
        self.timeout = timeout
        self._idle: deque[_Connection] = deque()
        self._max_idle = max_idle
        self._creds = credentials or CredentialSource()
        self._sigv4 = _signer_class()

    @classmethod
    def for_queue(cls, queue_url: str, region: str | None = None, endpoint_url: str | None = None,
                  timeout: float = 5.0) -> AsyncSqsClient:
        """A client for the endpoint serving ``queue_url``: ``endpoint_url`` when set (the settings'
        ``sqs_endpoint_url``), else the queue URL's own host (right in every partition:
        ``amazonaws.com.cn``, GovCloud)."""
        endpoint = endpoint_url
        if not endpoint:
            parts = urlsplit(queue_url)
            endpoint = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc \
                else None
        return cls(region or region_of(queue_url), endpoint, timeout=timeout)

    async def call(self, action: str, params: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one SQS action; raise ``SqsError`` for SQS's refusals and transport failures, ``TimeoutError``
        when no answer came in ``timeout`` seconds."""
        body = orjson.dumps(params)  # a pack's body is ~64 KiB of JSON to escape: orjson is ~5x faster
        data = await self._signed_request(action, body)
        async with asyncio.timeout(timeout or self.timeout):
            status, payload = await self._send(data)
        try:
            answer: dict[str, Any] = orjson.loads(payload) if payload else {}
        except orjson.JSONDecodeError:  # e.g. an HTML error page from a proxy in between
            if status < 300:
                raise SqsError("InvalidResponse", f"SQS answered HTTP {status} with a body that is not JSON",
                               status) from None
            answer = {}
        if status >= 300:
            code = str(answer.get("__type") or answer.get("code") or f"HTTP{status}").rsplit("#", 1)[-1]
            raise SqsError(code, str(answer.get("message") or answer.get("Message") or ""), status)
        return answer

    async def _signed_request(self, action: str, body: bytes) -> bytes:
        """The bytes of one request: signed (SigV4) for the endpoint's URL — path included — with the very
        headers that are sent."""
        request = _SigningRequest(self.endpoint_url, body, {
            "Host": self._host, "Content-Type": _JSON, "X-Amz-Target": f"AmazonSQS.{action}"})
        self._sigv4(await self._creds.get(), "sqs", self.region).add_auth(request)
        head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
        return (f"POST {self._path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n"
                f"User-Agent: benchling-webhook\r\n\r\n").encode() + body

    async def _send(self, data: bytes) -> tuple[int, bytes]:
        for attempt in (0, 1):
            conn, reused = await self._acquire()
            try:
                status, payload, keep_alive = await conn.request(data)
            except asyncio.CancelledError:
                conn.close()
                raise
            except SqsError as exc:
                conn.close()
                # A kept-alive connection the endpoint closed meanwhile: retry once on a fresh one.
                if reused and attempt == 0 and exc.code == "ConnectionClosed":
                    continue
                raise
            if keep_alive and not conn.closed and len(self._idle) < self._max_idle:
                self._idle.append(conn)
            else:
                conn.close()
            return status, payload
        raise SqsError("ConnectionClosed", "connection closed by the endpoint")  # pragma: no cover

    async def _acquire(self) -> tuple[_Connection, bool]:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn, True
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, self._hostname, self._port, ssl=self._ssl)
        except OSError as exc:
            raise SqsError("ConnectionFailed", f"cannot reach {self.endpoint_url}: {exc}") from None
        return conn, False

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()


def region_of(queue_url: str) -> str:
    """The region in an SQS queue URL (``sqs.<region>.amazonaws.com[.cn]`` or the legacy
    ``<region>.queue.amazonaws.com``); us-east-1 for other hosts (emulators, which accept any region).
    Callers with a configured region (``ServerSettings.aws_region``) pass it instead."""
    parts = (urlsplit(queue_url).hostname or "").split(".")
    if "amazonaws" in parts and len(parts) >= 4:
        if parts[0] == "sqs":
            return parts[1]
        if parts[1] == "queue":
            return parts[0]
    return _EMULATOR_REGION


def is_fifo(queue_url: str) -> bool:
    return queue_url.rstrip("/").endswith(".fifo")
