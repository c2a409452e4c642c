"""``CoalescingTransport``: the writes of one loop step reach the socket as one write.

A recording stand-in for uvloop's transport shows what reaches the socket; the protocol itself runs under
uvicorn on loopback in tests/functional/server/test_http_protocol.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchling_webhook.server.tuning import CoalescingTransport


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
