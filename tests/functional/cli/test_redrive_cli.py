"""``redrive`` and the dead letters in ``status``: the CLI against moto, the DLQ filled by the real worker."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchling_webhook.constants import StackOutputs
from benchling_webhook.errors import PermanentFailure
from benchling_webhook.ops.dlq import NO_REASON
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.backfill import backfill_message
from benchling_webhook.server.events import InboxMessage, pack_body
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.runner import InboxConsumer
from tests.functional.ops.support import create_deployed_stack
from tests.functional.server.test_consumer import FakeProcessor, inbox_message
from tests.helpers import minimal_profile, queue_depth, run_consumer_until, write_profile

OUTAGE = "gave up: RuntimeError: Benchling answered 503 for etr_…"
SLOWDOWN = "gave up: RuntimeError: S3 SlowDown"
TOO_LARGE = "permanent failure: the export is too large"
NOT_AN_EVENT = "not an event, left in the queue: Invalid JSON: expected ident at line 1 column 2"


@dataclass
class Queues:
    sqs: Any
    inbox: str
    dlq: str
    backfill: str
    live: set[str]  # the bodies that must go back to the inbox
    backfilled: set[str]  # ... and to the backfill queue
    cloudwatch: Any


def _fail(message: InboxMessage, _: int) -> Any:
    async def behave() -> None:
        if message.webhook_id == "wh_keep":
            return
        if message.webhook_id == "wh_large":
            raise PermanentFailure("the export is too large")
        if message.webhook_id.startswith("backfill-"):
            raise RuntimeError("S3 SlowDown")
        raise RuntimeError(f"Benchling answered 503 for {message.envelope.message.resource_id}")
    return behave()


def _fill(aws: MotoServer, inbox: str, dlq: str, backfill: str) -> tuple[set[str], set[str]]:
    """Dead letters from the worker: two single events, two events split from a pack, a permanent failure, a
    backfill event, an undecodable body; and one moved by a redrive policy (no reason)."""
    sqs = aws.client("sqs")
    singles = [inbox_message("wh_a", "etr_Aaaa1111"), inbox_message("wh_b", "etr_Bbbb2222"),
               inbox_message("wh_large", "etr_Llll3333")]
    pack = [inbox_message("wh_c", "etr_Cccc4444"), inbox_message("wh_d", "etr_Dddd5555"),
            inbox_message("wh_keep", "etr_Kkkk6666")]
    for m in singles:
        sqs.send_message(QueueUrl=inbox, MessageBody=m.to_body(), MessageGroupId=m.webhook_id,
                         MessageDeduplicationId=m.webhook_id)
    sqs.send_message(QueueUrl=inbox, MessageBody=pack_body([m.to_body() for m in pack]), MessageGroupId="pack-1",
                     MessageDeduplicationId="pack-1")
    sqs.send_message(QueueUrl=inbox, MessageBody="not json", MessageGroupId="junk", MessageDeduplicationId="junk")
    entry = backfill_message(run_id="run1", entry_id="etr_Gggg7777", base_url="https://acme.benchling.com",
                             app_id=None, app_definition_id="appdef_T4nB7cWq1s")
    sqs.send_message(QueueUrl=backfill, MessageBody=entry.to_body(), MessageGroupId="etr_Gggg7777",
                     MessageDeduplicationId="g")
    settings = ServerSettings(INBOX_QUEUE_URL=inbox, INBOX_DLQ_URL=dlq, BACKFILL_QUEUE_URL=backfill,
                              AWS_ENDPOINT_URL=aws.endpoint_url, AWS_REGION="us-east-1")
    # max_age 0: the first failure is the last (an event's give-up age has passed). Short polls: a long poll
    # still open on the emulator when the worker stops would take the messages the test redrives next.
    worker = InboxConsumer(FakeProcessor(_fail), settings, wait_time_seconds=0, visibility_timeout=5,
                           backoff_base=0.0, shutdown_grace=5.0, max_age=0.0)
    asyncio.run(run_consumer_until(worker, lambda: queue_depth(sqs, dlq) == 7, timeout=30))
    redriven_by_sqs = inbox_message("wh_h", "etr_Hhhh8888")
    sqs.send_message(QueueUrl=dlq, MessageBody=redriven_by_sqs.to_body(), MessageGroupId="wh_h",
                     MessageDeduplicationId="wh_h")
    live = {m.to_body() for m in [*singles, *pack[:2], redriven_by_sqs]}
    return live, {entry.to_body()}


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                       MessageAttributeNames=["All"]).get("Messages"):
        out += batch
    return out


@pytest.fixture
def queues(aws: MotoServer, isolation: Path) -> Queues:
    sqs = aws.client("sqs")
    fifo = {"FifoQueue": "true"}
    inbox, dlq, backfill = (sqs.create_queue(QueueName=name, Attributes=fifo)["QueueUrl"]
                            for name in ("inbox.fifo", "inbox-dlq.fifo", "backfill.fifo"))
    create_deployed_stack(aws.client("cloudformation"), "dev", **{StackOutputs.INBOX_QUEUE_URL: inbox,
                                                                  StackOutputs.INBOX_DLQ_URL: dlq,
                                                                  StackOutputs.BACKFILL_QUEUE_URL: backfill})
    write_profile(isolation, "dev", minimal_profile())
    live, backfilled = _fill(aws, inbox, dlq, backfill)
    return Queues(sqs, inbox, dlq, backfill, live, backfilled, aws.client("cloudwatch"))


def test_a_dry_run_groups_the_reasons_and_moves_nothing(cli, queues: Queues) -> None:  # type: ignore[no-untyped-def]
    result = cli("redrive", "--profile", "dev", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["dry_run"] and summary["moved"] == 7 and summary["left"] == 1
    assert summary["to"] == {"inbox": 6, "backfill": 1}
    assert summary["by_reason"] == [{"reason": OUTAGE, "count": 4},  # most frequent first, then by name
                                    {"reason": SLOWDOWN, "count": 1},
                                    {"reason": NO_REASON, "count": 1},
                                    {"reason": NOT_AN_EVENT, "count": 1},
                                    {"reason": TOO_LARGE, "count": 1}]
    assert queue_depth(queues.sqs, queues.inbox) == queue_depth(queues.sqs, queues.backfill) == 0
    dlq = queues.sqs.get_queue_attributes(QueueUrl=queues.dlq, AttributeNames=["All"])["Attributes"]
    assert dlq["ApproximateNumberOfMessages"] == "8"  # all visible again

    text = cli("redrive", "--profile", "dev", "--dry-run")
    assert text.exit_code == 0, text.output
    assert "dry run: nothing was moved" in text.stderr
    assert "would move 7 (inbox 6, backfill 1) · left in the queue 1" in text.stderr
    row = next(line for line in text.stderr.splitlines() if OUTAGE in line)
    assert row.replace(" ", "").endswith("│4│"), row
    assert "to move them: benchling-webhook redrive --profile dev" in text.stderr


def test_max_moves_that_many_then_the_rest_goes_back_where_it_came_from(  # type: ignore[no-untyped-def]
        cli, queues: Queues) -> None:
    first = cli("redrive", "--profile", "dev", "--max", "2", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["moved"] == 2
    assert queue_depth(queues.sqs, queues.dlq) == 6

    rest = cli("redrive", "--profile", "dev")
    assert rest.exit_code == 0, rest.output
    assert "moved 5 (inbox 4, backfill 1) · left in the queue 1" in rest.stderr
    assert ": not an event; it stays" in rest.stderr
    assert "a message that is not an event cannot be processed: look at it in the SQS console" in rest.stderr
    inbox, backfill, dlq = (_drain(queues.sqs, url) for url in (queues.inbox, queues.backfill, queues.dlq))
    assert Counter(m["Body"] for m in inbox) == Counter(queues.live)
    assert Counter(m["Body"] for m in backfill) == Counter(queues.backfilled)
    assert all("MessageAttributes" not in m for m in inbox + backfill)
    assert [m["Body"] for m in dlq] == ["not json"]


def test_a_refused_send_leaves_the_message_in_the_dlq(cli, aws: MotoServer, queues: Queues) -> None:  # type: ignore[no-untyped-def]
    cfn = aws.client("cloudformation")
    cfn.delete_stack(StackName="BenchlingWebhookStack-dev")
    gone = queues.inbox.replace("inbox.fifo", "gone.fifo")
    create_deployed_stack(cfn, "dev", **{StackOutputs.INBOX_QUEUE_URL: gone, StackOutputs.INBOX_DLQ_URL: queues.dlq,
                                         StackOutputs.BACKFILL_QUEUE_URL: queues.backfill})
    result = cli("redrive", "--profile", "dev", "--json")
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert summary["moved"] == 1 and summary["left"] == 7 and summary["failed"] == 6
    assert summary["to"] == {"inbox": 0, "backfill": 1}
    assert any("not sent to the inbox queue (AWS.SimpleQueueService.NonExistentQueue" in p
               for p in summary["problems"]), summary["problems"]
    assert result.stderr.strip().splitlines()[-2:] == [
        "error: SQS refused to move 6 of the dead letters; they stay in the queue",
        "hint: the reasons are listed above; fix the cause and run redrive again"]
    assert sorted(m["Body"] for m in _drain(queues.sqs, queues.dlq)) == sorted([*queues.live, "not json"])


def test_status_shows_the_dead_letters_and_how_to_send_them_back(cli, queues: Queues) -> None:  # type: ignore[no-untyped-def]
    result = cli("status", "--profile", "dev")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stderr.splitlines() if "dead-letter queue:" in line)
    assert line.startswith("warning: dead-letter queue: 8 messages, oldest ≥ ") and line.endswith("s old"), line
    assert "hint: see why and send them back: benchling-webhook redrive --profile dev (--dry-run first to look)" \
        in result.stderr
    data = json.loads(cli("status", "--profile", "dev", "--json").stdout)
    assert data["dead_letters"]["depth"] == 8 and data["dead_letters"]["age_is_lower_bound"] is True
    assert 0 <= data["dead_letters"]["oldest_age_s"] < 120

    from datetime import UTC, datetime, timedelta

    queues.cloudwatch.put_metric_data(Namespace="AWS/SQS", MetricData=[{
        "MetricName": "ApproximateAgeOfOldestMessage", "Dimensions": [{"Name": "QueueName", "Value": "inbox-dlq.fifo"}],
        "Value": 7260, "Timestamp": datetime.now(UTC) - timedelta(minutes=1)}])
    assert "warning: dead-letter queue: 8 messages, oldest 2h 01m old" in cli("status", "--profile", "dev").stderr

    assert cli("redrive", "--profile", "dev").exit_code == 0  # "not json" stays
    queues.sqs.purge_queue(QueueUrl=queues.dlq)
    assert "dead-letter queue: empty" in cli("status", "--profile", "dev").stderr


def test_redrive_without_a_stack_or_a_dlq_output_says_what_to_deploy(cli, aws: MotoServer, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    write_profile(isolation, "dev", minimal_profile())
    result = cli("redrive", "--profile", "dev")
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [
        "error: stack BenchlingWebhookStack-dev does not exist in us-east-1",
        "hint: deploy it first: benchling-webhook deploy --profile dev (or check --region / --aws-profile)"]
    create_deployed_stack(aws.client("cloudformation"), "dev")
    result = cli("redrive", "--profile", "dev")
    assert result.exit_code == 1, result.output
    assert "error: stack BenchlingWebhookStack-dev (CREATE_COMPLETE) has no InboxDeadLetterQueueUrl output, so the " \
           "dead-letter queue is unknown" in result.stderr

