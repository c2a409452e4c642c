#!/usr/bin/env python3
"""A minimal SQS stand-in for benchmarks: answers ``SendMessage``/``SendMessageBatch`` (JSON protocol) at once.

Why: moto's werkzeug server spends ~5 ms of CPU per call plus ~0.35 ms (standard) / ~1.6 ms (FIFO) per
message and closes every connection, so on a 2-core machine it — not the webhook server — caps an
ack-path load test (~1,000 messages/s at best on a free core). This sink measures what the *server*
can do: keep-alive HTTP/1.1, no storage, no signature check, optional ``--delay-ms`` per call (a real
SQS round trip, served concurrently like SQS). ``ReceiveMessage`` is a long poll that ends empty (the
worker of ``serve --role all`` waits on it). It counts messages and prints the count on exit.

    python bench/sqs_sink.py --port 5100 [--delay-ms 8]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import signal
import uuid
from typing import Any

import httptools


class _Protocol(asyncio.Protocol):
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.parser = httptools.HttpRequestParser(self)
        self.body: list[bytes] = []
        self.target = ""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport:
                self.transport.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"x-amz-target":
            self.target = value.decode()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body, self.body = b"".join(self.body), []
        asyncio.get_running_loop().create_task(self.sink.answer(self, self.target, body))


class Sink:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.messages = 0

    async def answer(self, proto: _Protocol, target: str, body: bytes) -> None:
        params: dict[str, Any] = json.loads(body or b"{}")
        action = target.rsplit(".", 1)[-1]
        if action == "ReceiveMessage":  # a long poll of a queue nothing is ever read from: wait, then nothing
            await asyncio.sleep(min(float(params.get("WaitTimeSeconds") or 0), 20.0))
        elif self.delay:
            await asyncio.sleep(self.delay)
        if action == "SendMessageBatch":
            entries = params.get("Entries") or []
            self.messages += len(entries)
            result: dict[str, Any] = {"Successful": [
                {"Id": e["Id"], "MessageId": str(uuid.uuid4()),
                 "MD5OfMessageBody": hashlib.md5(e["MessageBody"].encode()).hexdigest()} for e in entries],
                "Failed": []}
        elif action == "SendMessage":
            self.messages += 1
            result = {"MessageId": str(uuid.uuid4()),
                      "MD5OfMessageBody": hashlib.md5(params.get("MessageBody", "").encode()).hexdigest()}
        else:
            result = {}
        payload = json.dumps(result).encode()
        head = (f"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n"
                f"content-length: {len(payload)}\r\n\r\n").encode()
        if proto.transport is not None and not proto.transport.is_closing():
            proto.transport.write(head + payload)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5100)
    p.add_argument("--delay-ms", type=float, default=0.0)
    a = p.parse_args()
    sink = Sink(a.delay_ms / 1000)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(sink), a.host, a.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"sqs_sink: {sink.messages} messages", flush=True)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:  # pragma: no cover
        asyncio.run(main())
