"""``OneWriteHttpToolsProtocol`` under uvicorn on loopback: HTTP/1.1 still behaves, spoken raw over a socket.

(Its transport, which makes each response leave in one write: tests/unit/server/test_http_protocol.py.)
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from benchling_webhook.sandbox.benchling import ThreadedUvicorn
from benchling_webhook.server.tuning import GuardedHttpToolsProtocol, OneWriteHttpToolsProtocol, guarded


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echo app: ``/stream`` answers in three chunks with awaits in between, anything else at once."""
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for part in (b"one ", b"two ", b"three"):
            await asyncio.sleep(0.01)
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    answer = b"echo:" + body
    await send({"type": "http.response.start", "status": 202,
                "headers": [(b"content-length", b"%d" % len(answer))]})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedUvicorn]:
    running = ThreadedUvicorn(_app, name="one-write", http=OneWriteHttpToolsProtocol).start()
    yield running
    running.stop()


def _post(path: str, body: bytes, close: bool = False) -> bytes:
    extra = b"connection: close\r\n" if close else b""
    return (b"POST %s HTTP/1.1\r\nhost: test\r\ncontent-length: %d\r\n%s\r\n" % (path.encode(), len(body), extra)
            + body)


def _read_until(sock: socket.socket, count: int, marker: bytes) -> bytes:
    data = b""
    while data.count(marker) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_keep_alive_and_pipelined_requests_get_their_answers_in_order(server: ThreadedUvicorn) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        for i in range(3):  # one after the other on one connection
            sock.sendall(_post("/event", b"n%d" % i))
            answer = _read_until(sock, 1, b"echo:n%d" % i)
            assert answer.startswith(b"HTTP/1.1 202 Accepted\r\n") and answer.endswith(b"\r\n\r\necho:n%d" % i)
        sock.sendall(_post("/event", b"first") + _post("/event", b"second"))  # pipelined
        answers = _read_until(sock, 2, b"HTTP/1.1 202")
        answers += _read_until(sock, 1, b"echo:second") if b"echo:second" not in answers else b""
        assert answers.index(b"echo:first") < answers.index(b"echo:second")


def test_streamed_responses_and_connection_close_still_work(server: ThreadedUvicorn) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(_post("/stream", b"", close=True))
        answer = b""
        while chunk := sock.recv(65536):  # the server closes after the last chunk
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"transfer-encoding: chunked" in head.lower()
    assert b"connection: close" in head.lower()
    assert body == b"4\r\none \r\n4\r\ntwo \r\n5\r\nthree\r\n0\r\n\r\n"


def test_a_connection_whose_headers_stall_is_closed_after_the_header_timeout() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    server = ThreadedUvicorn(app, http=guarded(GuardedHttpToolsProtocol, 0.5)).start()
    try:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"POST /event HTTP/1.1\r\nhost: x\r\ncontent-le")  # and then nothing
            started = time.monotonic()
            assert conn.recv(1024) == b""  # closed by the server
            assert time.monotonic() - started < 5
        with socket.create_connection((host, int(port)), timeout=10) as conn:  # a prompt client is served
            conn.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            assert conn.recv(1024).startswith(b"HTTP/1.1 200 ")
    finally:
        server.stop()
