"""The webhook server over real HTTP: uvicorn on loopback, moto (SQS, Secrets Manager), sandbox JWKS."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from benchling_webhook.sandbox.benchling import SandboxServer, ThreadedUvicorn
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.app import create_app
from benchling_webhook.server.events import InboxMessage, decode_inbox_body
from benchling_webhook.server.secrets import BenchlingSecretStore
from benchling_webhook.server.security.jwks import JwksCache
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.tuning import OneWriteHttpToolsProtocol
from tests.helpers import FakeClock, queue_depth

SECRET_NAME = "benchling-webhook/test"
CLIENT_SECRET = "cs_Sup3rS3cretValue"


@dataclass
class Stack:
    """The AWS side of one test: inbox FIFO queue + DLQ in moto, and the app secret."""

    moto: MotoServer
    sandbox: SandboxServer
    queue_url: str
    dlq_url: str
    sqs: Any = field(repr=False)
    secrets: Any = field(repr=False)

    def put_secret(self, **overrides: Any) -> None:
        value = {"tenant": self.sandbox.state.tenant, "client_id": "client_abc", "client_secret": CLIENT_SECRET,
                 "app_definition_id": self.sandbox.state.app_definition_id, **overrides}
        try:
            self.secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=json.dumps(value))
        except self.secrets.exceptions.ResourceNotFoundException:
            self.secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps(value))

    def settings(self, **env: Any) -> ServerSettings:
        values = {"INBOX_QUEUE_URL": self.queue_url, "INBOX_DLQ_URL": self.dlq_url, "BenchlingSecret": SECRET_NAME,
                  "BENCHLING_JWKS_URL": self.sandbox.jwks_url_template, "AWS_ENDPOINT_URL": self.moto.endpoint_url,
                  "AWS_REGION": "us-east-1", **env}
        return ServerSettings(**values)

    def depth(self, url: str | None = None) -> int:
        """How many messages the queue (default: the inbox) holds, waiting or in flight."""
        return queue_depth(self.sqs, url or self.queue_url)

    def drain(self, url: str | None = None, attributes: bool = False) -> list[dict[str, Any]]:
        """Every message currently in the queue (received, not deleted)."""
        out: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=url or self.queue_url, MaxNumberOfMessages=10,
                                           VisibilityTimeout=60, WaitTimeSeconds=0,
                                           MessageAttributeNames=["All"] if attributes else [])
            batch = got.get("Messages", [])
            if not batch:
                return out
            out.extend(batch)

    def inbox(self) -> list[InboxMessage]:
        """The events in the queue (a pack message counts for each event it carries)."""
        return [event for m in self.drain() for event in decode_inbox_body(m["Body"])]


@pytest.fixture
def stack(aws: MotoServer, sandbox: SandboxServer) -> Stack:
    sqs = aws.client("sqs")
    fifo = {"FifoQueue": "true"}
    queue_url = sqs.create_queue(QueueName="inbox.fifo", Attributes=fifo)["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName="inbox-dlq.fifo", Attributes=fifo)["QueueUrl"]
    stack = Stack(aws, sandbox, queue_url, dlq_url, sqs, aws.client("secretsmanager"))
    stack.put_secret()
    return stack


@dataclass
class RunningServer:
    url: str
    clock: FakeClock  # the JWKS cache's time (TTL and refetch limits)
    jwks: JwksCache
    app: Any


@pytest.fixture
def start_server(stack: Stack) -> Iterator[Callable[..., RunningServer]]:
    """Start the real app under uvicorn (lifespan on) with settings overrides; stopped after the test."""
    running: list[ThreadedUvicorn] = []

    def start(**env: Any) -> RunningServer:
        settings = stack.settings(**env)
        clock = FakeClock()
        jwks = JwksCache(settings.benchling_jwks_url, clock=clock)
        secrets = BenchlingSecretStore(settings.benchling_secret, client_factory=lambda: stack.moto.client(
            "secretsmanager"), recheck_interval=0.0)
        app = create_app(settings, jwks=jwks, secrets=secrets)
        server = ThreadedUvicorn(app, lifespan="on", name="webhook-server", http=OneWriteHttpToolsProtocol).start()
        running.append(server)
        return RunningServer(server.url, clock, jwks, app)

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def server(start_server: Callable[..., RunningServer]) -> RunningServer:
    return start_server()
