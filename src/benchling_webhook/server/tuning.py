"""Process tuning of ``serve``, behind one setting: ``SERVER_TUNING`` (on by default; off gives CPython's,
glibc's and uvicorn's defaults). ``tune_process`` applies what pays for the role:

* **one write per response** (``OneWriteHttpToolsProtocol``, web and all): uvicorn writes a response as
  two ``transport.write`` calls — status line and headers, then the body — each a ``send()`` system
  call and a TCP segment of its own. ``CoalescingTransport`` joins the writes of one event-loop step
  and writes them once at its end (``call_soon``); uvicorn writes both parts in one step (its ``send``
  awaits nothing unless the peer stopped reading). Closing writes what is pending first.
* **the per-webhook log line without a LogRecord** (``write_event_line``, web and all): when the line
  would end up only in the JSON handler ``configure_logging`` installed, it is formatted straight from
  its fields and buffered — the same line without the ~10 calls of ``Logger.info``.
* **a settled heap** (``settle_heap``, web and all): start-up objects are frozen out of the collector's
  sight and young collections run every 20,000 allocations instead of 700, so collections scan only
  what requests allocate, and rarely.
* **a fixed glibc mmap threshold** (``bound_heap_growth``, worker and all): keeps the worker's peak RSS
  flat whatever the size of the files it moves.

Measured for the container's role (``bench/ack_path.py --inbox sink --role all``, each piece switched
off in turn, runs interleaved, 2026-12-06, on a 2-core machine shared with other jobs): at saturation
(``max``, medians of 6 runs) the server spent 289 µs of CPU per signed request with everything on,
317 µs without the settled heap, 387 µs without the one-write protocol, 389 µs without the log writer
and 386 µs with tuning off — each piece paid, though the spread between runs is wide (261-402 µs with
everything on). At 200 requests/s (``cpu``, medians of 3) no piece changed the CPU per request beyond
that spread (827-1,046 µs in every variant). The mmap threshold is measured by bench/large_objects.py.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Mapping
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from benchling_webhook.constants import ServerRole
from benchling_webhook.server.logging import BufferedLineHandler, JsonFormatter, set_event_writer

YOUNG_GC_THRESHOLD = 20_000
_M_MMAP_THRESHOLD = -3


def tune_process(enabled: bool, role: ServerRole) -> type[asyncio.Protocol] | str:
    """Apply the tuning that pays for ``role`` when ``enabled`` (``SERVER_TUNING``); returns the ``http``
    protocol for ``uvicorn.Config`` (uvicorn's own ``"httptools"`` when off)."""
    if not enabled:
        return "httptools"
    if role != "web":
        bound_heap_growth()
    if role == "worker":
        return "httptools"
    settle_heap()
    set_event_writer(write_event_line)
    return OneWriteHttpToolsProtocol


def settle_heap() -> None:
    """Freeze what start-up allocated (modules, pydantic schemas, the app), so full collections scan only
    what requests allocate; make young collections rarer: at CPython's default (one every 700 container
    allocations) one runs every few webhooks and scans requests still in flight, while at 20,000 nearly
    all of a request's objects are freed by reference counting before any collection looks at them."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)


def bound_heap_growth(threshold: int = 1024 * 1024) -> bool:
    """Serve allocations of ``threshold`` bytes and more from mmap (glibc), returned to the OS when freed.

    Uploads move 8 MiB parts through several threads. glibc raises its mmap threshold after such
    blocks are freed, so later ones land in per-thread heap arenas that fragment and never shrink:
    peak RSS then grows with the size of the files (measured: +56 MB from a 64 MiB to a 256 MiB
    object). A fixed threshold keeps the peak flat (bench/large_objects.py). No-op off glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):
        return False


def write_event_line(logger: logging.Logger, msg: str, fields: Mapping[str, Any]) -> bool:
    """Buffer the line ``logger.info(msg, extra=fields)`` would write, formatted straight from ``fields`` —
    when that line would end up only in the JSON handler ``configure_logging`` installed (no other handler
    or filter on the way); else False (a test capturing logs, an extra handler: ``logging`` as usual)."""
    handler = _only_json_handler(logger)
    if handler is None:
        return False
    try:
        handler.add_line(handler.formatter.line(time.time(), "INFO", logger.name, msg, fields))  # type: ignore[union-attr]
    except Exception:  # pragma: no cover - logging must never raise into the caller
        return False
    return True


def _only_json_handler(logger: logging.Logger) -> BufferedLineHandler | None:
    """The handler a record of ``logger`` would reach if that is a lone, unfiltered ``BufferedLineHandler``
    with a ``JsonFormatter`` (else ``None``)."""
    found: BufferedLineHandler | None = None
    node: logging.Logger | None = logger
    while node is not None:
        if node.disabled or node.filters:
            return None
        for handler in node.handlers:
            if found is not None or not isinstance(handler, BufferedLineHandler) or handler.filters \
                    or handler.level > logging.INFO or not isinstance(handler.formatter, JsonFormatter):
                return None
            found = handler
        node = node.parent if node.propagate else None
    return found


class CoalescingTransport(asyncio.Transport):
    """A transport whose writes within one event-loop step go out as one ``write``."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._pending is None:
            self._pending = [bytes(data)]
            self._loop.call_soon(self._flush)
        else:
            self._pending.append(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = None
        self._transport.abort()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._pending or ())

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that closes a connection whose request headers do not arrive within
    ``header_timeout`` seconds of the connection or of the request's first byte (a stalled client would
    otherwise hold it open: uvicorn times out only idle keep-alive connections). Not tuning: ``serve`` uses
    it whatever ``SERVER_TUNING`` says; the body's own timeout is the webhook handler's."""

    header_timeout: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def guarded(protocol: type[GuardedHttpToolsProtocol], header_timeout: float) -> type[GuardedHttpToolsProtocol]:
    """``protocol`` with its header timeout set (uvicorn instantiates the class itself)."""
    return type(protocol.__name__, (protocol,), {"header_timeout": header_timeout})


class OneWriteHttpToolsProtocol(GuardedHttpToolsProtocol):
    """uvicorn's httptools protocol over a ``CoalescingTransport`` (pass as ``uvicorn.Config(http=...)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))
