from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from benchling_webhook.server.sqs import AsyncSqsClient, SqsError, _Creds, _SigV4, is_fifo, region_of


@pytest.mark.parametrize("token", [None, "session-token-xyz"])
def test_sigv4_matches_botocore(token: str | None) -> None:
    body = b'{"QueueUrl":"https://sqs.eu-west-1.amazonaws.com/1/inbox.fifo","Entries":[]}'
    host = "sqs.eu-west-1.amazonaws.com"
    target = "AmazonSQS.SendMessageBatch"
    request = AWSRequest(method="POST", url=f"https://{host}/", data=body,
                         headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target})
    SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token), "sqs",
              "eu-west-1").add_auth(request)
    when = dt.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)

    ours = _SigV4("eu-west-1").headers(_Creds("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token),
                                       host, target, body, when)

    assert ours["authorization"] == request.headers["Authorization"]
    assert ours.get("x-amz-security-token") == token


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
             closed: Callable[[], bool] = lambda: True) -> None:
    """Run ``scenario`` with a client of a loopback endpoint served by ``handle``; after ``aclose``, wait
    until ``closed()`` (the endpoint saw every connection end)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")

    async def run() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = AsyncSqsClient.for_queue(f"http://127.0.0.1:{port}/123/inbox.fifo", region="us-east-1")
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


def test_a_closed_connection_is_replaced_before_the_next_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto closes every connection after its answer: one connection is kept ready in the background, so each
    call finds it connected (no handshake on the call's critical path)."""
    endpoint = _Endpoint(keep_alive=False)

    async def scenario(client: AsyncSqsClient) -> None:
        assert await client.call(*_SEND) == {}
        await _until(lambda: endpoint.accepted == 2)  # the spare, opened before anyone asked for it
        assert await client.call(*_SEND) == {}
        assert endpoint.requests == [1, 2]
        await _until(lambda: endpoint.accepted == 3)  # taking the spare started the next one
        assert await client.call(*_SEND) == {}
        assert endpoint.requests == [1, 2, 3]

    _with_endpoint(endpoint, monkeypatch, scenario)
    assert endpoint.open == 0  # aclose closed the connection kept ready after the last call


def test_a_spare_the_endpoint_dropped_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = _Endpoint(keep_alive=False, drop_idle=True)

    async def scenario(client: AsyncSqsClient) -> None:
        assert await client.call(*_SEND) == {}
        await _until(lambda: endpoint.accepted == 2)
        endpoint.drop_idle = False
        assert await client.call(*_SEND) == {}  # on a fresh connection: the dropped spare is skipped or retried
        assert endpoint.requests[0] == 1 and endpoint.requests[1] > 2

    _with_endpoint(endpoint, monkeypatch, scenario)


def test_a_kept_alive_connection_is_reused_and_no_spare_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = _Endpoint(keep_alive=True)

    async def scenario(client: AsyncSqsClient) -> None:
        for _ in range(3):
            assert await client.call(*_SEND) == {}
        assert endpoint.requests == [1, 1, 1] and endpoint.accepted == 1

    _with_endpoint(endpoint, monkeypatch, scenario)
