"""End to end through the real inbox consumer: moto SQS (FIFO inbox + DLQ), sandbox, moto S3, quilt3."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import quilt3

from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.settings import ServerSettings
from tests.functional.worker.conftest import (
    BUCKET,
    ENTRY_ID,
    PACKAGE,
    PREFIX,
    consume_until,
    entry_event,
    keys,
    read_json,
    send,
)
from tests.helpers import queue_depth, wait_for

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def queues(aws: MotoServer, settings: ServerSettings) -> tuple[Any, ServerSettings]:
    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName="inbox-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    inbox = sqs.create_queue(QueueName="inbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    return sqs, settings.model_copy(update={"inbox_queue_url": inbox, "inbox_dlq_url": dlq})


def test_an_entry_event_becomes_a_package_and_the_message_is_deleted(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    send(sqs, settings, entry_event(sandbox, kind="v2.entry.created"))
    consumer = consume_until(settings, lambda c: c.stats["succeeded"] == 1)
    assert queue_depth(sqs, settings.inbox_queue_url) == 0 and consumer.stats["dead_lettered"] == 0
    package = quilt3.Package.browse(PACKAGE, registry=f"s3://{BUCKET}")
    assert package.meta["experiment_id"] == "EXP26000042"


def test_a_burst_of_50_updates_is_coalesced_through_the_inbox(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    settings = settings.model_copy(update={"coalesce_quiet_seconds": 0.5, "coalesce_max_seconds": 5.0})
    messages = []
    for i in range(50):
        sandbox.state.api.update_field(ENTRY_ID, "Temperature (C)", 30.0 + i)
        messages.append(entry_event(sandbox))
    send(sqs, settings, *messages)
    consume_until(settings, lambda c: c.stats["succeeded"] == 50)
    assert sandbox.state.api.export_count(ENTRY_ID) <= 2
    assert queue_depth(sqs, settings.inbox_queue_url) == 0
    assert read_json(s3, PREFIX + "entry.json")["fields"]["Temperature (C)"]["value"] == 79.0


def test_rate_limited_beyond_the_clients_patience_is_retried_by_the_inbox(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    sandbox.state.api.inject_rate_limit(5, reset_seconds=0)  # the client gives up after 5 attempts
    send(sqs, settings, entry_event(sandbox))
    consumer = consume_until(settings, lambda c: c.stats["succeeded"] == 1)
    assert consumer.stats["retried"] == 1
    assert "entry.json" in keys(s3)


def test_a_deleted_entry_is_dead_lettered_with_the_reason(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any) -> None:
    sqs, settings = queues
    sandbox.state.api.entry_status[ENTRY_ID] = 404
    event = entry_event(sandbox)
    send(sqs, settings, event)
    consume_until(settings, lambda c: c.stats["dead_lettered"] == 1)
    (dead,) = sqs.receive_message(QueueUrl=settings.inbox_dlq_url, MessageAttributeNames=["All"])["Messages"]
    assert InboxMessage.from_body(dead["Body"]).webhook_id == event.webhook_id
    reason = dead["MessageAttributes"]["reason"]["StringValue"]
    assert reason.startswith("permanent failure: Benchling answered HTTP 404 for entry etr_Ab12Cd34")
    assert queue_depth(sqs, settings.inbox_queue_url) == 0


@pytest.fixture
def worker_env(queues: tuple[Any, ServerSettings]) -> dict[str, str]:
    _, settings = queues
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COALESCE_", "INBOX_", "PACKAGE"))}
    env.update({"INBOX_QUEUE_URL": str(settings.inbox_queue_url), "INBOX_DLQ_URL": str(settings.inbox_dlq_url),
                "PACKAGE_BUCKET": BUCKET, "BenchlingSecret": str(settings.benchling_secret),
                "BENCHLING_BASE_URL": str(settings.benchling_base_url),
                "AWS_ENDPOINT_URL": str(settings.aws_endpoint_url), "COALESCE_QUIET_SECONDS": "0",
                "COALESCE_MAX_SECONDS": "0", "PYTHONPATH": str(ROOT)})
    return env


@pytest.fixture
def start_worker(worker_env: dict[str, str]) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, "-m", "tests.functional.worker.worker_process"], cwd=ROOT,
                                   env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "worker ready"
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)



@pytest.mark.slow
def test_a_worker_killed_mid_export_loses_nothing(
        sandbox: SandboxServer, queues: tuple[Any, ServerSettings], s3: Any,
        start_worker: Callable[[], subprocess.Popen[str]]) -> None:
    sqs, settings = queues
    sandbox.state.api.export_delay_seconds = 30  # the first worker is stuck waiting for the export
    send(sqs, settings, entry_event(sandbox))
    first = start_worker()
    wait_for(lambda: sandbox.state.api.export_count() == 1)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert "entry.json" not in keys(s3)
    assert queue_depth(sqs, settings.inbox_queue_url) == 1  # in flight, not lost

    sandbox.state.api.export_delay_seconds = 0
    start_worker()
    wait_for(lambda: queue_depth(sqs, settings.inbox_queue_url) == 0)
    assert read_json(s3, PREFIX + "entry.json")["entry_id"] == ENTRY_ID
    assert sandbox.state.api.export_count() == 2
    assert queue_depth(sqs, settings.inbox_dlq_url) == 0
