"""Backfill test support: a deployed profile on moto, the queued entries, the worker in a thread (the fixtures
``tenant``, ``client`` and ``deployed`` are in conftest.py)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchling_webhook.constants import StackOutputs
from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.runner import InboxConsumer
from tests.functional.ops.support import create_deployed_stack
from tests.functional.worker.conftest import BUCKET, SECRET_NAME, inbox_consumer
from tests.helpers import minimal_profile, write_profile


@dataclass
class Deployed:
    """A profile ``dev`` whose stack (outputs only) and queues live in moto and whose tenant is the sandbox."""

    settings: ServerSettings  # what the stack's worker would run with
    sqs: Any
    queue_url: str
    checkpoints: Path


def deploy(aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, home: Path) -> Deployed:
    sqs = aws.client("sqs")
    fifo = {"FifoQueue": "true"}
    inbox = sqs.create_queue(QueueName="inbox.fifo", Attributes=fifo)["QueueUrl"]
    dlq = sqs.create_queue(QueueName="inbox-dlq.fifo", Attributes=fifo)["QueueUrl"]
    backfill = sqs.create_queue(QueueName="backfill.fifo", Attributes=fifo)["QueueUrl"]
    create_deployed_stack(aws.client("cloudformation"), "dev", **{StackOutputs.BACKFILL_QUEUE_URL: backfill})
    arn = aws.client("secretsmanager").describe_secret(SecretId=SECRET_NAME)["ARN"]
    write_profile(home, "dev", minimal_profile(
        benchling={"tenant": sandbox.state.tenant, "clientId": SANDBOX_CLIENT_ID,
                   "appDefinitionId": sandbox.state.app_definition_id, "secretArn": arn, "baseUrl": sandbox.url},
        packages={"bucket": BUCKET}))
    worker = settings.model_copy(update={"inbox_queue_url": inbox, "inbox_dlq_url": dlq,
                                         "backfill_queue_url": backfill, "worker_concurrency": 4})
    return Deployed(worker, sqs, backfill, home / "config" / "benchling-webhook" / "dev" / "backfill")


def queued_entries(deployed: Deployed) -> list[str]:
    """Every entry id on the backfill queue, one per message (the messages are consumed)."""
    from benchling_webhook.server.events import InboxMessage

    found: list[str] = []
    while batch := deployed.sqs.receive_message(QueueUrl=deployed.queue_url, MaxNumberOfMessages=10,
                                                VisibilityTimeout=300).get("Messages"):
        found += [InboxMessage.from_body(m["Body"]).envelope.message.resource_id or "" for m in batch]
    return found


class WorkerThread:
    """The stack's worker (inbox and backfill consumers, real processor) on its own loop in a thread."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="worker", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.consumer: InboxConsumer | None = None

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.consumer = inbox_consumer(self.settings)
        self._ready.set()
        await self.consumer.run()

    def __enter__(self) -> WorkerThread:
        self._thread.start()
        assert self._ready.wait(30), "the worker did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.loop is not None and self.consumer is not None
        self.loop.call_soon_threadsafe(self.consumer.stop)
        self._thread.join(60)
