from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from benchling_webhook.errors import SqsError
from benchling_webhook.server.sqs import AsyncSqsClient, is_fifo, region_of


def test_region_and_endpoint_come_from_the_queue_url() -> None:
    client = AsyncSqsClient.for_queue("https://sqs.ap-southeast-2.amazonaws.com/123/inbox.fifo")
    assert client.region == "ap-southeast-2"
    assert client.endpoint_url == "https://sqs.ap-southeast-2.amazonaws.com"
    assert AsyncSqsClient.for_queue("http://127.0.0.1:5000/123/q").endpoint_url == "http://127.0.0.1:5000"
    assert region_of("http://127.0.0.1:5000/123/q") == "us-east-1"


def test_configured_region_and_endpoint_win() -> None:
    client = AsyncSqsClient.for_queue("https://sqs.eu-west-1.amazonaws.com/123/q", region="us-west-2",
                                      endpoint_url="http://127.0.0.1:5000/")
    assert (client.region, client.endpoint_url) == ("us-west-2", "http://127.0.0.1:5000")


@pytest.mark.parametrize(("url", "region", "endpoint"), [
    ("https://sqs.cn-north-1.amazonaws.com.cn/1/q.fifo", "cn-north-1", "https://sqs.cn-north-1.amazonaws.com.cn"),
    ("https://sqs.us-gov-west-1.amazonaws.com/1/q", "us-gov-west-1", "https://sqs.us-gov-west-1.amazonaws.com"),
    ("https://eu-west-1.queue.amazonaws.com/1/q", "eu-west-1", "https://eu-west-1.queue.amazonaws.com"),
])
def test_every_partition_is_served_by_its_queue_host(monkeypatch: pytest.MonkeyPatch, url: str, region: str,
                                                     endpoint: str) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client = AsyncSqsClient.for_queue(url)
    assert (client.region, client.endpoint_url) == (region, endpoint)


def test_fifo_is_recognised_by_the_queue_name() -> None:
    assert is_fifo("https://sqs.us-east-1.amazonaws.com/1/inbox.fifo")
    assert not is_fifo("https://sqs.us-east-1.amazonaws.com/1/inbox")


class _Endpoint:
    """A loopback HTTP endpoint answering every request with ``{}``: with keep-alive like SQS, or closing each
    connection after its answer like moto. Counts connections and which one carried each request."""

    def __init__(self, keep_alive: bool, drop_idle: bool = False) -> None:
        self.keep_alive = keep_alive
        self.drop_idle = drop_idle  # close a connection that has not sent a request yet (a spare) at once
        self.accepted = 0
        self.requests: list[int] = []  # the connection number of each request
        self.open = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        number = self.accepted
        self.open += 1
        try:
            if self.drop_idle and number > 1:
                return
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                self.requests.append(number)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 2\r\n"
                             + (b"" if self.keep_alive else b"connection: close\r\n") + b"\r\n{}")
                await writer.drain()
                if not self.keep_alive:
                    return
        finally:
            self.open -= 1
            writer.close()


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


_Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _against(handle: _Handler, monkeypatch: pytest.MonkeyPatch,
             scenario: Callable[[AsyncSqsClient], Awaitable[None]],
             closed: Callable[[], bool] = lambda: True, endpoint_path: str = "") -> None:
    """Run ``scenario`` with a client of a loopback endpoint served by ``handle`` (at ``endpoint_path``);
    after ``aclose``, wait until ``closed()`` (the endpoint saw every connection end)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")

    async def run() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = AsyncSqsClient.for_queue(f"http://127.0.0.1:{port}/123/inbox.fifo", region="us-east-1",
                                          endpoint_url=f"http://127.0.0.1:{port}{endpoint_path}")
        try:
            await scenario(client)
        finally:
            await client.aclose()
            await _until(closed)
            server.close()
            await server.wait_closed()

    asyncio.run(run())


def _with_endpoint(endpoint: _Endpoint, monkeypatch: pytest.MonkeyPatch,
                   scenario: Callable[[AsyncSqsClient], Awaitable[None]]) -> None:
    _against(endpoint.handle, monkeypatch, scenario, closed=lambda: endpoint.open == 0)


_SEND = ("SendMessage", {"QueueUrl": "q", "MessageBody": "{}"})


@pytest.mark.parametrize(("status", "code"), [(502, "HTTP502"), (200, "InvalidResponse")])
def test_an_answer_that_is_not_json_is_an_sqs_error(monkeypatch: pytest.MonkeyPatch, status: int, code: str) -> None:
    """A proxy's HTML error page (or garbage with a 200) becomes ``SqsError``, which the inbox answers with 503."""
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        page = b"<html>Bad Gateway</html>"
        writer.write(b"HTTP/1.1 %d Whatever\r\ncontent-type: text/html\r\ncontent-length: %d\r\n\r\n%s"
                     % (status, len(page), page))
        await writer.drain()
        writer.close()

    errors: list[SqsError] = []

    async def scenario(client: AsyncSqsClient) -> None:
        with pytest.raises(SqsError) as caught:
            await client.call(*_SEND)
        errors.append(caught.value)

    _against(answer, monkeypatch, scenario)
    assert errors[0].code == code and errors[0].status == status


def test_an_endpoint_that_closes_each_connection_gets_a_new_one_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = _Endpoint(keep_alive=False)

    async def scenario(client: AsyncSqsClient) -> None:
        for _ in range(3):
            assert await client.call(*_SEND) == {}
        assert endpoint.requests == [1, 2, 3] and endpoint.accepted == 3

    _with_endpoint(endpoint, monkeypatch, scenario)


def test_a_kept_alive_connection_is_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = _Endpoint(keep_alive=True)

    async def scenario(client: AsyncSqsClient) -> None:
        for _ in range(3):
            assert await client.call(*_SEND) == {}
        assert endpoint.requests == [1, 1, 1] and endpoint.accepted == 1

    _with_endpoint(endpoint, monkeypatch, scenario)


class _Verifier:
    """A loopback endpoint that checks each request's SigV4 signature the way SQS does: recomputed by botocore
    from the request line and headers it received (path included) with the shared secret."""

    def __init__(self) -> None:
        self.checked: list[tuple[str, bool]] = []  # (path of the request line, signature valid)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode().split("\r\n")[:-2]
        headers = dict(line.split(": ", 1) for line in lines)
        length = int(next(v for k, v in headers.items() if k.lower() == "content-length"))
        body = await reader.readexactly(length)
        path = request_line.split(" ")[1]
        names = next(v for k, v in headers.items() if k.lower() == "authorization").split("SignedHeaders=")[1]
        signed = {k: v for k, v in headers.items() if k.lower() in names.split(",")[0].split(";")}
        host = next(v for k, v in headers.items() if k.lower() == "host")
        expected = AWSRequest(method="POST", url=f"http://{host}{path}", data=body, headers=signed)
        expected.context["timestamp"] = next(v for k, v in headers.items() if k.lower() == "x-amz-date")
        auth = SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1")
        signature = auth.signature(auth.string_to_sign(expected, auth.canonical_request(expected)), expected)
        received = next(v for k, v in headers.items() if k.lower() == "authorization")
        self.checked.append((path, received.endswith(f"Signature={signature}")))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
        await writer.drain()
        writer.close()


@pytest.mark.parametrize("path", ["", "/sqs/proxy"])
def test_the_signature_covers_the_path_the_request_is_sent_to(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """An endpoint URL with a path (a proxy in front of SQS) is signed for that path, not for ``/``."""
    verifier = _Verifier()

    async def scenario(client: AsyncSqsClient) -> None:
        assert await client.call(*_SEND) == {}

    _against(verifier.handle, monkeypatch, scenario, endpoint_path=path)
    assert verifier.checked == [(path or "/", True)]
