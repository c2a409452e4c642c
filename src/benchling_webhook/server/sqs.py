"""A small non-blocking SQS client (JSON protocol, SigV4) for the ack path and the inbox consumer.

Why not boto3: a boto3 ``SendMessageBatch`` costs ~3 ms of CPU per call on the target machine (request
serialisation, event hooks, urllib3), and it blocks — run on the event loop it caps the webhook at one
SQS round trip at a time (at most 125 requests/s against an 8 ms SQS); run in a
thread pool it still spends that CPU under the GIL of the one core the server gets. This client speaks
SQS's JSON protocol (``X-Amz-Target: AmazonSQS.<Action>``) over asyncio with httptools' C parser and a
hand-rolled SigV4 signature: ~0.3 ms of CPU per call, any number of calls in flight, keep-alive
connections where the endpoint allows them (real SQS does; moto closes each one). With an endpoint that
closes every connection after its answer, one connection is kept open ahead of need: each call takes it
and starts connecting the next in the background, so calls do not wait for a TCP handshake and the
endpoint's per-connection set-up (moto starts a thread per connection). At 200 webhooks/s on moto this
took the p99 from ~36 to ~22 ms in interleaved runs (bench/README.md).

Credentials and region come from botocore's normal chain (env vars, profile, ECS task role) — only the
wire calls are ours; refreshing credentials (a blocking HTTP call) runs in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import ssl
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httptools
import orjson

_JSON = "application/x-amz-json-1.0"
_EMULATOR_REGION = "us-east-1"


class SqsError(Exception):
    """An SQS call failed: ``code`` is SQS's error code (``QueueDoesNotExist``…) or a transport failure."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class _Creds:
    access_key: str
    secret_key: str
    token: str | None


class _CredentialSource:
    """botocore's credential chain, resolved once; refreshes (ECS/STS) happen off the event loop."""

    def __init__(self) -> None:
        self._creds: Any = None

    async def get(self) -> _Creds:
        if self._creds is None:
            self._creds = await asyncio.to_thread(self._resolve)
        creds = self._creds
        refresh_needed = getattr(creds, "refresh_needed", None)
        frozen = (await asyncio.to_thread(creds.get_frozen_credentials) if refresh_needed and refresh_needed()
                  else creds.get_frozen_credentials())
        return _Creds(frozen.access_key, frozen.secret_key, frozen.token)

    @staticmethod
    def _resolve() -> Any:
        import botocore.session

        creds = botocore.session.get_session().get_credentials()
        if creds is None:
            raise SqsError("NoCredentials", "no AWS credentials found")
        return creds


class _SigV4:
    """AWS Signature Version 4 for one service/region; the derived key is cached per day."""

    def __init__(self, region: str, service: str = "sqs") -> None:
        self.region = region
        self.service = service
        self._key_cache: tuple[str, str, bytes] | None = None

    def _key(self, secret: str, day: str) -> bytes:
        cached = self._key_cache
        if cached and cached[0] == secret and cached[1] == day:
            return cached[2]
        key = hmac.new(("AWS4" + secret).encode(), day.encode(), hashlib.sha256).digest()
        for part in (self.region, self.service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self._key_cache = (secret, day, key)
        return key

    def headers(self, creds: _Creds, host: str, target: str, body: bytes, now: dt.datetime) -> dict[str, str]:
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        signed = {"content-type": _JSON, "host": host, "x-amz-date": amz_date, "x-amz-target": target}
        if creds.token:
            signed["x-amz-security-token"] = creds.token
        names = ";".join(sorted(signed))
        canonical = "\n".join(["POST", "/", "", *(f"{k}:{signed[k]}" for k in sorted(signed)), "", names,
                               hashlib.sha256(body).hexdigest()])
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._key(creds.secret_key, day), to_sign.encode(), hashlib.sha256).hexdigest()
        signed.pop("host")
        signed["authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
                                   f"SignedHeaders={names}, Signature={signature}")
        return signed


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
                 max_idle: int = 32, credentials: _CredentialSource | None = None) -> None:
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
        self._closes = False  # the endpoint closes each connection after its answer (moto; not SQS)
        self._opening: asyncio.Task[None] | None = None  # the connection kept ready for such an endpoint
        self._creds = credentials or _CredentialSource()
        self._signer = _SigV4(region)

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
        body = orjson.dumps(params)  # a pack's body is ~64 KiB of JSON to escape: orjson is ~5x faster
        creds = await self._creds.get()
        headers = self._signer.headers(creds, self._host, f"AmazonSQS.{action}", body, dt.datetime.now(dt.UTC))
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        data = (f"POST {self._path} HTTP/1.1\r\nhost: {self._host}\r\n{head}content-length: {len(body)}\r\n"
                f"user-agent: benchling-webhook\r\n\r\n").encode() + body
        status, payload = await asyncio.wait_for(self._send(data), timeout or self.timeout)
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
            self._closes = not keep_alive
            if keep_alive and not conn.closed and len(self._idle) < self._max_idle:
                self._idle.append(conn)
            else:
                conn.close()
                self._keep_spare()
            return status, payload
        raise SqsError("ConnectionClosed", "connection closed by the endpoint")  # pragma: no cover

    async def _acquire(self) -> tuple[_Connection, bool]:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                self._keep_spare()
                return conn, True
        self._keep_spare()
        return await self._connect(), False

    def _keep_spare(self) -> None:
        """For an endpoint that closes connections: start connecting the next one unless one is ready."""
        if self._closes and not self._idle and self._opening is None:
            self._opening = asyncio.get_running_loop().create_task(self._open_spare())

    async def _open_spare(self) -> None:
        """Connect ahead of the next call. A failure is left for that call to meet (and report)."""
        try:
            conn = await self._connect()
        except SqsError:
            return
        finally:
            self._opening = None
        if len(self._idle) < self._max_idle:
            self._idle.append(conn)
        else:  # pragma: no cover - the pool filled up meanwhile
            conn.close()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, self._hostname, self._port, ssl=self._ssl)
        except OSError as exc:
            raise SqsError("ConnectionFailed", f"cannot reach {self.endpoint_url}: {exc}") from None
        return conn

    async def aclose(self) -> None:
        if self._opening is not None:
            self._opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._opening
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
