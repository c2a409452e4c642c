from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from benchling_webhook.errors import EnqueueError, MessageTooLargeError, SqsError
from benchling_webhook.server.events import Envelope, InboxMessage, decode_inbox_body
from benchling_webhook.server.inbox import MAX_PACK_BYTES, MemoryInbox, SqsInbox, sqs_message_id
from tests.helpers import FakeClock, load_fixture


def message(webhook_id: str, pad: int = 0) -> InboxMessage:
    payload = load_fixture("benchling/webhooks/entry-created.json")
    payload["padding"] = "x" * pad
    return InboxMessage(webhook_id=webhook_id, received_at=datetime.now(UTC), envelope=Envelope.model_validate(payload))


class FakeSqs:
    """Records SendMessageBatch calls; ``fail`` maps entry index → error code, ``down`` fails whole calls."""

    def __init__(self, fail: dict[int, str] | None = None, down: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail or {}
        self.down = down

    async def call(self, action: str, params: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        assert action in ("SendMessage", "SendMessageBatch")
        if action == "SendMessage":  # recorded in SendMessageBatch's shape
            params = {"QueueUrl": params["QueueUrl"], "Entries": [
                {"Id": "0", **{k: v for k, v in params.items() if k != "QueueUrl"}}]}
        self.calls.append(params)
        await asyncio.sleep(0.01)
        if self.down:
            raise SqsError("ConnectionFailed", "cannot reach sqs")
        if action == "SendMessage":
            if 0 in self.fail:
                raise SqsError(self.fail[0], "refused", 400)
            return {"MessageId": "m-1"}
        ids = [e["Id"] for e in params["Entries"]]
        return {"Successful": [{"Id": i} for i in ids if int(i) not in self.fail],
                "Failed": [{"Id": str(i), "Code": code} for i, code in self.fail.items()]}

    async def aclose(self) -> None:
        return None


def inbox(sqs: FakeSqs, url: str = "https://sqs.us-east-1.amazonaws.com/1/inbox.fifo") -> SqsInbox:
    return SqsInbox(url, sqs)  # type: ignore[arg-type]


def test_a_lone_event_is_a_single_event_message_deduplicated_by_its_webhook_id() -> None:
    sqs = FakeSqs()

    async def scenario() -> None:
        box = inbox(sqs)
        for i in range(2):
            await box.enqueue(message(f"msg_{i}"))

    FakeClock().run(scenario())
    assert [len(c["Entries"]) for c in sqs.calls] == [1, 1]
    entry = sqs.calls[0]["Entries"][0]
    assert entry["MessageGroupId"] == entry["MessageDeduplicationId"] == "msg_0"
    assert [m.webhook_id for m in decode_inbox_body(entry["MessageBody"])] == ["msg_0"]
    assert InboxMessage.from_body(entry["MessageBody"]).envelope.message.type == "v2.entry.created"


def test_events_arriving_together_share_one_message() -> None:
    sqs = FakeSqs()

    async def scenario() -> None:
        box = inbox(sqs)
        await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(25)])
        await box.aclose()

    FakeClock().run(scenario())
    [call] = sqs.calls
    [entry] = call["Entries"]
    assert [m.webhook_id for m in decode_inbox_body(entry["MessageBody"])] == [f"msg_{i}" for i in range(25)]
    assert entry["MessageGroupId"] == entry["MessageDeduplicationId"]
    assert entry["MessageDeduplicationId"].startswith("pack-") and len(entry["MessageDeduplicationId"]) == 69


def test_while_a_call_is_out_a_second_goes_only_once_enough_events_wait() -> None:
    sqs = FakeSqs()
    sqs_delay = 0.2

    class Slow(FakeSqs):
        async def call(self, action: str, params: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
            await asyncio.sleep(sqs_delay)
            return await sqs.call(action, params, timeout)

    async def scenario() -> float:
        box = inbox(Slow())
        loop = asyncio.get_running_loop()
        first = asyncio.ensure_future(box.enqueue(message("msg_first")))
        await asyncio.sleep(0.02)  # the first call is out
        few = [asyncio.ensure_future(box.enqueue(message(f"msg_few{i}"))) for i in range(3)]
        await asyncio.sleep(0.02)
        assert len(sqs.calls) == 0 and not any(f.done() for f in few)  # 3 events wait for the call to return
        started = loop.time()
        many = [box.enqueue(message(f"msg_many{i}")) for i in range(16)]
        await asyncio.gather(*many)
        elapsed = loop.time() - started
        await asyncio.gather(first, *few)
        return elapsed

    elapsed = FakeClock().run(scenario())
    assert elapsed < 2 * sqs_delay  # 19 waiting events went out without waiting for the first call
    assert sorted(len(decode_inbox_body(c["Entries"][0]["MessageBody"])) for c in sqs.calls) == [1, 19]


def test_packs_hold_at_most_50_events_and_a_call_at_most_10_packs_and_256_kib() -> None:
    sqs = FakeSqs()

    async def scenario() -> None:
        box = inbox(sqs)
        await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(620)])

    FakeClock().run(scenario())
    packs = [[m.webhook_id for m in decode_inbox_body(e["MessageBody"])] for c in sqs.calls for e in c["Entries"]]
    assert [i for pack in packs for i in pack] == [f"msg_{i}" for i in range(620)]
    assert len(packs[0]) == 50 and all(len(pack) <= 50 for pack in packs)
    assert all(len(c["Entries"]) <= 10 for c in sqs.calls) and len(sqs.calls) >= 2
    assert all(sum(len(e["MessageBody"].encode()) for e in c["Entries"]) <= 256 * 1024 for c in sqs.calls)
    assert all(len(e["MessageBody"].encode()) <= MAX_PACK_BYTES for c in sqs.calls for e in c["Entries"])


def test_batches_stay_under_256_kib() -> None:
    sqs = FakeSqs()

    async def scenario() -> None:
        box = inbox(sqs)
        await asyncio.gather(*[box.enqueue(message(f"msg_{i}", pad=100_000)) for i in range(5)])

    FakeClock().run(scenario())
    assert [len(c["Entries"]) for c in sqs.calls] == [2, 2, 1]


def test_a_webhook_delivered_twice_into_one_pack_is_stored_once() -> None:
    sqs = FakeSqs()

    async def scenario() -> list[Any]:
        box = inbox(sqs)
        return await asyncio.gather(*[box.enqueue(message(i)) for i in ("msg_a", "msg_b", "msg_a")])

    assert FakeClock().run(scenario()) == [None, None, None]
    [entry] = sqs.calls[0]["Entries"]
    assert [m.webhook_id for m in decode_inbox_body(entry["MessageBody"])] == ["msg_a", "msg_b"]


def test_a_redelivery_while_the_first_copy_is_being_sent_joins_that_send() -> None:
    sqs = FakeSqs()

    async def scenario() -> list[Any]:
        box = inbox(sqs)
        first = asyncio.ensure_future(box.enqueue(message("msg_a")))
        await asyncio.sleep(0.001)  # the first copy's SendMessage is out
        assert len(sqs.calls) == 1
        later = [box.enqueue(message(i)) for i in ("msg_a", "msg_b", "msg_a", "msg_a")]
        return await asyncio.gather(first, *later)

    assert FakeClock().run(scenario()) == [None] * 5
    stored = [[m.webhook_id for m in decode_inbox_body(e["MessageBody"])] for c in sqs.calls for e in c["Entries"]]
    assert stored == [["msg_a"], ["msg_b"]]


def test_a_redelivery_gets_the_answer_of_the_send_it_joined() -> None:
    sqs = FakeSqs(down=True)

    async def scenario() -> list[Any]:
        box = inbox(sqs)
        first = asyncio.ensure_future(box.enqueue(message("msg_a")))
        await asyncio.sleep(0.001)
        again = asyncio.ensure_future(box.enqueue(message("msg_a")))
        outcomes = await asyncio.gather(first, again, return_exceptions=True)
        sqs.down = False
        await box.enqueue(message("msg_a"))  # a later delivery is sent again, not joined to the failed one
        return outcomes

    outcomes = FakeClock().run(scenario())
    assert [type(o) for o in outcomes] == [EnqueueError, EnqueueError]
    assert len(sqs.calls) == 2


def test_a_refused_message_fails_only_the_requests_it_carries() -> None:
    sqs = FakeSqs(fail={1: "InvalidMessageContents"})

    async def scenario() -> list[Any]:
        box = inbox(sqs)
        return await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(120)], return_exceptions=True)

    results = FakeClock().run(scenario())
    refused = [i for i, r in enumerate(results) if isinstance(r, EnqueueError)]
    assert refused == list(range(50, 100))
    assert "InvalidMessageContents" in results[50].message
    assert all(r is None for i, r in enumerate(results) if i not in refused)


def test_an_unexpected_error_while_sending_still_answers_every_request() -> None:
    class Broken(FakeSqs):
        async def call(self, action: str, params: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
            raise RuntimeError("bug")

    async def scenario() -> list[Any]:
        box = inbox(Broken())
        return await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(3)], return_exceptions=True)

    results = FakeClock().run(asyncio.wait_for(scenario(), 10))
    assert all(isinstance(r, EnqueueError) and "RuntimeError" in r.message for r in results)


def test_sqs_down_fails_every_request_of_the_batch() -> None:
    async def scenario() -> list[Any]:
        box = inbox(FakeSqs(down=True))
        return await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(3)], return_exceptions=True)

    assert all(isinstance(r, EnqueueError) for r in FakeClock().run(scenario()))


def test_an_event_larger_than_an_sqs_message_is_refused_before_sending() -> None:
    sqs = FakeSqs()
    with pytest.raises(MessageTooLargeError):
        FakeClock().run(inbox(sqs).enqueue(message("msg_big", pad=1024 * 1024)))
    assert sqs.calls == []


def test_standard_queue_gets_no_fifo_ids() -> None:
    sqs = FakeSqs()
    FakeClock().run(inbox(sqs, "https://sqs.us-east-1.amazonaws.com/1/inbox").enqueue(message("msg_1")))
    assert set(sqs.calls[0]["Entries"][0]) == {"Id", "MessageBody"}


@pytest.mark.parametrize(("webhook_id", "kept"), [
    ("msg_2kV9abc", True), ("a" * 128, True), ("a" * 129, False), ("has space", False), ("é", False), ("", False),
])
def test_ids_sqs_would_refuse_are_hashed(webhook_id: str, kept: bool) -> None:
    result = sqs_message_id(webhook_id)
    assert (result == webhook_id) is kept
    if not kept:
        assert result.startswith("sha256:") and len(result) == 71


def test_memory_inbox_dedupes_and_can_fail() -> None:
    box = MemoryInbox()
    FakeClock().run(box.enqueue(message("msg_1")))
    FakeClock().run(box.enqueue(message("msg_1")))
    assert [m.webhook_id for m in box.messages] == ["msg_1"]
    box.fail_with = RuntimeError("down")
    with pytest.raises(EnqueueError):
        FakeClock().run(box.enqueue(message("msg_2")))
