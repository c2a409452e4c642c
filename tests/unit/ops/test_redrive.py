from __future__ import annotations

from typing import Any
from unittest.mock import Mock

import pytest

from benchling_webhook.errors import RedriveError
from benchling_webhook.ops.redrive import RedriveTargets, create_redriver
from benchling_webhook.server.backfill import backfill_message
from benchling_webhook.server.events import InboxMessage

TARGETS = RedriveTargets(dlq_url="https://sqs/1/dlq.fifo", inbox_url="https://sqs/1/inbox.fifo",
                         backfill_url="https://sqs/1/backfill.fifo")


def _event(webhook_id: str) -> str:
    return InboxMessage.model_validate({
        "webhookId": webhook_id, "receivedAt": "2026-01-01T00:00:00Z",
        "envelope": {"baseURL": "https://acme.benchling.com", "app": {"id": "app_1"}, "appDefinition": {"id": "ad"},
                     "channel": "app_signals", "message": {"type": "v2.entry.updated.fields",
                                                           "resourceId": "etr_Ab12Cd34"}}}).to_body()


def _sqs(messages: list[dict[str, Any]], send_failed: tuple[str, ...] = ()) -> Mock:
    sqs = Mock(spec=["get_queue_attributes", "receive_message", "send_message_batch", "delete_message_batch",
                     "change_message_visibility_batch"])
    sqs.get_queue_attributes.return_value = {"Attributes": {"ApproximateNumberOfMessages": str(len(messages))}}
    sqs.receive_message.side_effect = [{"Messages": messages}, {}]
    sqs.send_message_batch.return_value = {"Failed": [
        {"Id": i, "Code": "InternalError", "Message": "try again", "SenderFault": False} for i in send_failed]}
    sqs.delete_message_batch.return_value = {}
    return sqs


def _raw(n: int, body: str, reason: str | None = None) -> dict[str, Any]:
    attrs = {"reason": {"DataType": "String", "StringValue": reason}} if reason else {}
    return {"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": body, "MessageAttributes": attrs}


def test_an_entry_sqs_refuses_stays_in_the_dlq_and_the_rest_moves() -> None:
    sqs = _sqs([_raw(1, _event("wh_1"), "gave up after 3601 s and 9 attempts; last error: E"), _raw(2, _event("wh_2"))],
               send_failed=("1",))
    report = create_redriver(sqs, TARGETS).run()
    sent = sqs.send_message_batch.call_args.kwargs
    assert sent["QueueUrl"] == TARGETS.inbox_url
    assert sent["Entries"][0] == {"Id": "0", "MessageBody": _event("wh_1"), "MessageGroupId": "redrive-m1",
                                  "MessageDeduplicationId": "redrive-m1"}
    assert sqs.delete_message_batch.call_args.kwargs["Entries"] == [{"Id": "0", "ReceiptHandle": "r1"}]
    assert sqs.change_message_visibility_batch.call_args.kwargs["Entries"] == [
        {"Id": "0", "ReceiptHandle": "r2", "VisibilityTimeout": 0}]
    assert (report.moved, report.left, report.failed) == (1, 1, 1)
    assert report.problems == ["m2: not sent to the inbox queue (InternalError: try again); it stays"]
    with pytest.raises(RedriveError, match="SQS refused to move 1 of the dead letters"):
        report.check()


def test_a_backfill_event_goes_to_the_inbox_when_the_stack_has_no_backfill_queue() -> None:
    body = backfill_message(run_id="r", entry_id="etr_Ab12Cd34", base_url="https://acme.benchling.com", app_id=None,
                            app_definition_id="ad").to_body()
    sqs = _sqs([_raw(1, body)])
    targets = RedriveTargets(TARGETS.dlq_url, TARGETS.inbox_url)
    report = create_redriver(sqs, targets).run()
    assert sqs.send_message_batch.call_args.kwargs["QueueUrl"] == TARGETS.inbox_url
    assert report.to == {"inbox": 1, "backfill": 0}


def test_a_dry_run_writes_nothing_and_makes_everything_visible_again() -> None:
    sqs = _sqs([_raw(1, _event("wh_1")), _raw(2, "{}")])
    progress: list[int] = []
    report = create_redriver(sqs, TARGETS, dry_run=True).run(lambda r: progress.append(r.moved))
    sqs.send_message_batch.assert_not_called()
    sqs.delete_message_batch.assert_not_called()
    assert [e["ReceiptHandle"] for e in sqs.change_message_visibility_batch.call_args.kwargs["Entries"]] == ["r2", "r1"]
    assert (report.moved, report.left, report.failed, report.done) == (1, 1, 0, True)
    assert progress == [1, 1]
    report.check()
