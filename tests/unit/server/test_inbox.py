from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from benchling_webhook.errors import EnqueueError
from benchling_webhook.server.events import Envelope, InboxMessage
from benchling_webhook.server.inbox import MemoryInbox, MessageTooLargeError, SqsInbox, sqs_message_id
from benchling_webhook.server.sqs import SqsError
from tests.helpers import load_fixture


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
        assert action == "SendMessageBatch"
        self.calls.append(params)
        await asyncio.sleep(0.01)
        if self.down:
            raise SqsError("ConnectionFailed", "cannot reach sqs")
        ids = [e["Id"] for e in params["Entries"]]
        return {"Successful": [{"Id": i} for i in ids if int(i) not in self.fail],
                "Failed": [{"Id": str(i), "Code": code} for i, code in self.fail.items()]}

    async def aclose(self) -> None:
        return None


def inbox(sqs: FakeSqs, url: str = "https://sqs.us-east-1.amazonaws.com/1/inbox.fifo") -> SqsInbox:
    return SqsInbox(url, sqs)  # type: ignore[arg-type]


def test_concurrent_enqueues_are_batched_by_ten() -> None:
    sqs = FakeSqs()

    async def scenario() -> None:
        box = inbox(sqs)
        await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(25)])
        await box.aclose()

    asyncio.run(scenario())
    assert [len(c["Entries"]) for c in sqs.calls] == [10, 10, 5]
    entry = sqs.calls[0]["Entries"][0]
    assert entry["MessageGroupId"] == entry["MessageDeduplicationId"] == "msg_0"
    assert InboxMessage.from_body(entry["MessageBody"]).webhook_id == "msg_0"


def test_batches_stay_under_256_kib() -> None:
    sqs = FakeSqs()

    async def scenario() -> None:
        box = inbox(sqs)
        await asyncio.gather(*[box.enqueue(message(f"msg_{i}", pad=100_000)) for i in range(5)])

    asyncio.run(scenario())
    assert [len(c["Entries"]) for c in sqs.calls] == [2, 2, 1]


def test_a_refused_entry_fails_only_its_own_request() -> None:
    sqs = FakeSqs(fail={1: "InvalidMessageContents"})

    async def scenario() -> list[Any]:
        box = inbox(sqs)
        return await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(3)], return_exceptions=True)

    results = asyncio.run(scenario())
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], EnqueueError) and "InvalidMessageContents" in results[1].message


def test_sqs_down_fails_every_request_of_the_batch() -> None:
    async def scenario() -> list[Any]:
        box = inbox(FakeSqs(down=True))
        return await asyncio.gather(*[box.enqueue(message(f"msg_{i}")) for i in range(3)], return_exceptions=True)

    assert all(isinstance(r, EnqueueError) for r in asyncio.run(scenario()))


def test_an_event_larger_than_an_sqs_message_is_refused_before_sending() -> None:
    sqs = FakeSqs()
    with pytest.raises(MessageTooLargeError):
        asyncio.run(inbox(sqs).enqueue(message("msg_big", pad=1024 * 1024)))
    assert sqs.calls == []


def test_standard_queue_gets_no_fifo_ids() -> None:
    sqs = FakeSqs()
    asyncio.run(inbox(sqs, "https://sqs.us-east-1.amazonaws.com/1/inbox").enqueue(message("msg_1")))
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
    asyncio.run(box.enqueue(message("msg_1")))
    asyncio.run(box.enqueue(message("msg_1")))
    assert [m.webhook_id for m in box.messages] == ["msg_1"]
    box.fail_with = RuntimeError("down")
    with pytest.raises(EnqueueError):
        asyncio.run(box.enqueue(message("msg_2")))
