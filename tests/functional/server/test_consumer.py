from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from benchling_webhook.errors import BenchlingApiError, EntryBusy, PermanentFailure
from benchling_webhook.server.events import Envelope, InboxMessage, decode_inbox_body, pack_body
from benchling_webhook.server.inbox import create_inbox
from benchling_webhook.server.sqs import AsyncSqsClient
from benchling_webhook.server.worker.runner import InboxConsumer
from tests.functional.server.conftest import Stack
from tests.helpers import load_fixture, run_consumer_until, until


def inbox_message(webhook_id: str, entry_id: str = "etr_Ab12Cd34") -> InboxMessage:
    payload = load_fixture("benchling/webhooks/entry-updated-fields.json")
    payload["message"]["resourceId"] = entry_id
    return InboxMessage(webhook_id=webhook_id, received_at=datetime.now(UTC),
                        envelope=Envelope.model_validate(payload))


class FakeProcessor:
    """Records calls; ``behaviour(message, call_number)`` decides what each call does."""

    def __init__(self, behaviour: Callable[[InboxMessage, int], Awaitable[None]] | None = None) -> None:
        self.calls: list[str] = []
        self.abandoned: list[tuple[str, str]] = []  # (webhook id, error) the consumer gave up on
        self.behaviour = behaviour
        self.closed = False

    async def handle(self, message: InboxMessage) -> None:
        self.calls.append(message.webhook_id)
        if self.behaviour is not None:
            await self.behaviour(message, len(self.calls))

    async def aclose(self) -> None:
        self.closed = True

    async def abandon(self, message: InboxMessage, error: BaseException | None) -> None:
        self.abandoned.append((message.webhook_id, str(error)))


class ReceiveLog:
    """The consumer's SQS client, noting the (loop) time at which each ReceiveMessage call that came back began."""

    def __init__(self, sqs: AsyncSqsClient) -> None:
        self.sqs = sqs
        self.returned: list[float] = []

    async def call(self, action: str, params: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        began = asyncio.get_running_loop().time()
        answer = await self.sqs.call(action, params, *args, **kwargs)
        if action == "ReceiveMessage":
            self.returned.append(began)
        return answer

    async def aclose(self) -> None:
        await self.sqs.aclose()


def consumer(stack: Stack, processor: FakeProcessor, **kwargs: Any) -> InboxConsumer:
    options: dict[str, Any] = {"wait_time_seconds": 1, "visibility_timeout": 5, "backoff_base": 0.0,
                               "shutdown_grace": 5.0, **kwargs}
    return InboxConsumer(processor, stack.settings(), **options)


async def run_until(worker: InboxConsumer, done: Callable[[], bool], timeout: float = 15.0) -> None:
    await run_consumer_until(worker, done, timeout, stop_timeout=15)


def send(stack: Stack, *messages: InboxMessage) -> None:
    for m in messages:
        stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=m.to_body(), MessageGroupId=m.webhook_id,
                               MessageDeduplicationId=m.webhook_id)


def send_pack(stack: Stack, *messages: InboxMessage) -> None:
    """One SQS message carrying several events, as the web role's inbox sends events that arrive together."""
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=pack_body([m.to_body() for m in messages]),
                           MessageGroupId="pack-1", MessageDeduplicationId="pack-1")


def test_handled_messages_are_deleted(stack: Stack) -> None:
    send(stack, inbox_message("msg_1"), inbox_message("msg_2"))
    processor = FakeProcessor()
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 2))
    assert sorted(processor.calls) == ["msg_1", "msg_2"]
    assert stack.depth() == 0 and processor.closed


def test_a_failure_is_retried_and_then_succeeds(stack: Stack) -> None:
    async def flaky(_: InboxMessage, call: int) -> None:
        if call == 1:
            raise RuntimeError("Benchling hiccup")

    send(stack, inbox_message("msg_flaky"))
    processor = FakeProcessor(flaky)
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 1))
    assert processor.calls == ["msg_flaky", "msg_flaky"]
    assert worker.stats["retried"] == 1 and stack.depth() == 0
    assert processor.abandoned == []  # a retry is not the end: nobody is told


def test_an_event_still_failing_at_the_give_up_age_is_dead_lettered_with_the_reason(stack: Stack) -> None:
    later = [0.0]

    async def broken(_: InboxMessage, call: int) -> None:
        if call == 3:
            later[0] = 3600.0  # the third attempt fails an hour after the event arrived
        raise RuntimeError(f"export failed #{call}")

    send(stack, inbox_message("msg_doomed"))
    processor = FakeProcessor(broken)
    worker = consumer(stack, processor, clock=lambda: time.time() + later[0])
    asyncio.run(run_until(worker, lambda: worker.stats["dead_lettered"] == 1))
    assert processor.calls == ["msg_doomed"] * 3
    [dead] = stack.drain(stack.dlq_url, attributes=True)
    assert InboxMessage.from_body(dead["Body"]).webhook_id == "msg_doomed"
    assert re.fullmatch(r"gave up after 360\d s and 3 attempts; last error: RuntimeError: export failed #3",
                        dead["MessageAttributes"]["reason"]["StringValue"])
    assert stack.depth() == 0
    assert processor.abandoned == [("msg_doomed", "export failed #3")]  # the user is told once, at the end


def test_an_outage_shorter_than_the_give_up_age_is_ridden_out_however_many_tries_it_takes(stack: Stack) -> None:
    async def outage(_: InboxMessage, call: int) -> None:
        if call <= 8:  # more receives than any fixed attempt limit would allow
            raise BenchlingApiError("get entry: HTTP 503", status=503, retryable=True)

    send(stack, inbox_message("msg_patient"))
    processor = FakeProcessor(outage)
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 1, timeout=30))
    assert processor.calls == ["msg_patient"] * 9
    assert worker.stats["dead_lettered"] == 0 and stack.drain(stack.dlq_url) == [] and stack.depth() == 0


def test_a_long_rate_limit_holds_the_event_back_until_its_window_resets(stack: Stack) -> None:
    tried: list[float] = []

    async def limited(_: InboxMessage, call: int) -> None:
        tried.append(time.monotonic())
        if call == 1:
            raise BenchlingApiError("get entry: HTTP 429", status=429, retryable=True, retry_after=2.0)

    send(stack, inbox_message("msg_limited"))
    processor = FakeProcessor(limited)
    worker = consumer(stack, processor)  # backoff_base 0: without the window it would come back at once
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 1))
    assert len(tried) == 2 and tried[1] - tried[0] >= 2.0


def test_an_entry_busy_on_another_task_is_deferred_not_failed(stack: Stack) -> None:
    async def busy_once(_: InboxMessage, call: int) -> None:
        if call == 1:
            raise EntryBusy("etr_Ab12Cd34", retry_after=0.0)

    send(stack, inbox_message("msg_busy"))
    processor = FakeProcessor(busy_once)
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 1))
    assert processor.calls == ["msg_busy"] * 2
    assert (worker.stats["deferred"], worker.stats["retried"], worker.stats["dead_lettered"]) == (1, 0, 0)
    assert processor.abandoned == []


def test_permanent_failure_is_dead_lettered_at_once(stack: Stack) -> None:
    async def gone(_: InboxMessage, call: int) -> None:
        raise PermanentFailure("entry etr_Ab12Cd34 was deleted")

    send(stack, inbox_message("msg_gone"))
    processor = FakeProcessor(gone)
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["dead_lettered"] == 1))
    assert processor.calls == ["msg_gone"]
    [dead] = stack.drain(stack.dlq_url, attributes=True)
    assert dead["MessageAttributes"]["reason"]["StringValue"] == "permanent failure: entry etr_Ab12Cd34 was deleted"
    assert processor.abandoned == [("msg_gone", "entry etr_Ab12Cd34 was deleted")]


@pytest.mark.parametrize("body", ["not json", json.dumps({"webhookId": "x"})])
def test_undecodable_bodies_are_dead_lettered_with_a_reason(stack: Stack, body: str) -> None:
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId="d")
    processor = FakeProcessor()
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["dead_lettered"] == 1))
    assert processor.calls == []
    [dead] = stack.drain(stack.dlq_url, attributes=True)
    assert dead["Body"] == body
    assert dead["MessageAttributes"]["reason"]["StringValue"].startswith("undecodable inbox message")


def test_heartbeat_keeps_a_long_event_invisible(stack: Stack) -> None:
    async def slow(_: InboxMessage, call: int) -> None:
        """Busy until a receive that began after the 2 s visibility timeout ran out has come back: without the
        heartbeat, that receive would have redelivered the message (max_in_flight leaves room for it)."""
        expired = asyncio.get_running_loop().time() + 2  # the timeout started at receipt, a little earlier
        await until(lambda: any(began > expired for began in polls.returned), "a receive after the timeout")

    send(stack, inbox_message("msg_slow"))
    processor = FakeProcessor(slow)
    worker = consumer(stack, processor, visibility_timeout=2, heartbeat_interval=0.5, max_in_flight=5)
    worker.sqs = polls = ReceiveLog(worker.sqs)  # type: ignore[assignment]
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 1))
    assert processor.calls == ["msg_slow"]  # never redelivered while being handled
    assert stack.depth() == 0


def test_a_killed_worker_loses_nothing(stack: Stack) -> None:
    started = asyncio.Event()

    async def hang(_: InboxMessage, call: int) -> None:
        started.set()
        await asyncio.Event().wait()

    async def scenario() -> FakeProcessor:
        victim = consumer(stack, FakeProcessor(hang), visibility_timeout=2, shutdown_grace=0)
        task = asyncio.create_task(victim.run())
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()  # dies mid-flight: no delete, no visibility change
        await asyncio.gather(task, return_exceptions=True)

        survivor_processor = FakeProcessor()
        survivor = consumer(stack, survivor_processor)
        await run_until(survivor, lambda: survivor.stats["succeeded"] == 1)
        return survivor_processor

    send(stack, inbox_message("msg_survives"))
    assert asyncio.run(scenario()).calls == ["msg_survives"]
    assert stack.depth() == 0


def test_burst_of_one_entry_reaches_the_processor_all_at_once(stack: Stack) -> None:
    """Enqueued by the web role's inbox: one FIFO group per webhook, so SQS does not serialise an entry."""
    burst = 30
    everyone_here = asyncio.Event()
    pending = {"n": 0}

    async def wait_for_all(_: InboxMessage, call: int) -> None:
        pending["n"] += 1
        if pending["n"] == burst:
            everyone_here.set()
        await asyncio.wait_for(everyone_here.wait(), 20)

    async def scenario() -> FakeProcessor:
        inbox = create_inbox(stack.queue_url, "us-east-1", stack.moto.endpoint_url)
        await asyncio.gather(*[inbox.enqueue(inbox_message(f"msg_b{i}")) for i in range(burst)])
        await inbox.aclose()
        processor = FakeProcessor(wait_for_all)
        worker = consumer(stack, processor)
        await run_until(worker, lambda: worker.stats["succeeded"] == burst, timeout=25)
        return processor

    assert len(asyncio.run(scenario()).calls) == burst
    assert stack.depth() == 0


def test_stop_lets_in_flight_events_finish(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()
    caplog.set_level(logging.INFO, logger="benchling_webhook")

    async def gated(_: InboxMessage, call: int) -> None:
        await release.wait()

    async def scenario(worker: InboxConsumer) -> None:
        task = asyncio.create_task(worker.run())
        await until(lambda: worker.stats["received"] == 1, "the event to arrive")
        worker.stop()
        await until(lambda: "waiting for in-flight events" in caplog.messages, "the consumer to stop receiving")
        assert not task.done()  # waiting for the in-flight event
        release.set()
        await asyncio.wait_for(task, 10)

    send(stack, inbox_message("msg_graceful"))
    worker = consumer(stack, FakeProcessor(gated))
    asyncio.run(scenario(worker))
    assert worker.stats["succeeded"] == 1 and stack.depth() == 0


def test_every_event_of_a_pack_is_handled_and_the_pack_deleted(stack: Stack) -> None:
    send_pack(stack, *(inbox_message(f"msg_p{i}", entry_id=f"etr_p{i}") for i in range(3)))
    processor = FakeProcessor()
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 3))
    assert sorted(processor.calls) == ["msg_p0", "msg_p1", "msg_p2"]
    assert worker.stats["received"] == 1 and stack.depth() == 0


def test_a_failed_event_of_a_pack_is_retried_alone(stack: Stack) -> None:
    async def flaky_b(message: InboxMessage, call: int) -> None:
        if message.webhook_id == "msg_b" and processor.calls.count("msg_b") == 1:
            raise RuntimeError("Benchling hiccup")

    processor = FakeProcessor(flaky_b)
    send_pack(stack, inbox_message("msg_a"), inbox_message("msg_b"), inbox_message("msg_c"))
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 3))
    assert sorted(processor.calls) == ["msg_a", "msg_b", "msg_b", "msg_c"]  # a and c are not redone
    assert worker.stats["retried"] == 1 and worker.stats["dead_lettered"] == 0 and stack.depth() == 0


def test_a_permanent_failure_in_a_pack_dead_letters_that_event_alone(stack: Stack) -> None:
    async def gone_b(message: InboxMessage, call: int) -> None:
        if message.webhook_id == "msg_b":
            raise PermanentFailure("entry etr_b was deleted")

    processor = FakeProcessor(gone_b)
    send_pack(stack, inbox_message("msg_a"), inbox_message("msg_b"), inbox_message("msg_c"))
    worker = consumer(stack, processor)
    asyncio.run(run_until(worker, lambda: worker.stats["succeeded"] == 2 and worker.stats["dead_lettered"] == 1))
    [dead] = stack.drain(stack.dlq_url, attributes=True)
    assert [m.webhook_id for m in decode_inbox_body(dead["Body"])] == ["msg_b"]
    assert dead["MessageAttributes"]["reason"]["StringValue"] == "permanent failure: entry etr_b was deleted"
    assert sorted(processor.calls) == ["msg_a", "msg_b", "msg_c"] and stack.depth() == 0
    assert processor.abandoned == [("msg_b", "entry etr_b was deleted")]


def test_a_pack_that_keeps_failing_backs_off_whole_then_dead_letters_each_event(stack: Stack) -> None:
    later = [0.0]

    async def broken(_: InboxMessage, call: int) -> None:
        if call == 5:  # the pack's third attempt (two events per attempt)
            later[0] = 3600.0
        raise RuntimeError("Benchling is down")

    processor = FakeProcessor(broken)
    send_pack(stack, inbox_message("msg_x"), inbox_message("msg_y"))
    worker = consumer(stack, processor, clock=lambda: time.time() + later[0])
    asyncio.run(run_until(worker, lambda: worker.stats["dead_lettered"] == 2))
    assert sorted(processor.calls) == ["msg_x"] * 3 + ["msg_y"] * 3
    dead = stack.drain(stack.dlq_url, attributes=True)
    assert sorted(m.webhook_id for d in dead for m in decode_inbox_body(d["Body"])) == ["msg_x", "msg_y"]
    assert {re.sub(r"after \d+ s", "after N s", d["MessageAttributes"]["reason"]["StringValue"]) for d in dead} == \
        {"gave up after N s and 3 attempts; last error: RuntimeError: Benchling is down"}
    assert stack.depth() == 0
    assert sorted(processor.abandoned) == [("msg_x", "Benchling is down"), ("msg_y", "Benchling is down")]
