"""``OneWriteHttpToolsProtocol``: each response leaves in one write, and HTTP/1.1 still behaves.

The transport tests use a recording stand-in for uvloop's transport (what reaches the socket is the point);
the protocol tests run uvicorn with the protocol on loopback and talk raw HTTP/1.1 over a socket.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from benchling_webhook.sandbox.benchling import ThreadedUvicorn
from benchling_webhook.server.tuning import CoalescingTransport, OneWriteHttpToolsProtocol


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000)}.get(name, default)


async def _next_step() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def _coalescing() -> tuple[RecordingTransport, CoalescingTransport]:
    """A recording transport and the ``CoalescingTransport`` over it (inside a running loop)."""
    inner = RecordingTransport()
    return inner, CoalescingTransport(inner, asyncio.get_running_loop())


def test_writes_of_one_loop_step_reach_the_socket_as_one_write() -> None:
    async def scenario() -> None:
        inner, transport = _coalescing()
        transport.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"{}")
        assert inner.writes == []  # not yet: the step is not over
        assert transport.get_write_buffer_size() == len(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}")
        await _next_step()
        assert inner.writes == [b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}"]

        transport.write(b"later")
        await _next_step()
        assert inner.writes[-1] == b"later" and len(inner.writes) == 2
        assert transport.get_extra_info("peername") == ("127.0.0.1", 5000)

    asyncio.run(scenario())


def test_close_writes_what_is_pending_first_and_abort_drops_it() -> None:
    async def scenario() -> None:
        inner, transport = _coalescing()
        transport.write(b"last words")
        transport.close()
        assert inner.writes == [b"last words"] and inner.closed
        await _next_step()
        assert inner.writes == [b"last words"]  # the scheduled flush finds nothing left

        inner, transport = _coalescing()
        transport.write(b"never sent")
        transport.abort()
        await _next_step()
        assert inner.writes == [] and inner.aborted

    asyncio.run(scenario())


def test_nothing_is_written_to_a_transport_that_is_already_closing() -> None:
    async def scenario() -> None:
        inner, transport = _coalescing()
        transport.write(b"too late")
        inner.closed = True  # the peer went away before the step ended
        await _next_step()
        assert inner.writes == [] and transport.is_closing()

    asyncio.run(scenario())


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
