"""The CloudFormation facade against moto (server mode): paged reads, a deleted stack by id, event polling."""

from __future__ import annotations

from typing import Any

import pytest

from benchling_webhook.aws.cloudformation import CloudFormation, is_missing_stack, iter_stack_events, stack_outputs
from benchling_webhook.constants import StackOutputs
from benchling_webhook.stack.plan import CAPABILITIES
from benchling_webhook.stack.state import is_terminal
from tests.functional.setup.support import create_other_stacks
from tests.functional.stack.moto_cfn import ENDPOINT, add_event, set_stack_status, small_template


def _create(aws: Any, name: str = "S") -> tuple[CloudFormation, str]:
    client = aws.client("cloudformation")
    stack_id = client.create_stack(StackName=name, TemplateBody=small_template(name).body)["StackId"]
    return CloudFormation(client), str(stack_id)


def test_a_deleted_stack_is_gone_by_name_and_delete_complete_by_id(aws) -> None:  # type: ignore[no-untyped-def]
    cfn, stack_id = _create(aws)
    assert cfn.status("S") == cfn.status_by_id(stack_id) == "CREATE_COMPLETE"
    cfn.delete_stack("S")
    assert cfn.describe("S") is None and cfn.status("S") is None
    assert cfn.status_by_id(stack_id) == "DELETE_COMPLETE"


def test_outputs_and_every_stack_across_pages(aws) -> None:  # type: ignore[no-untyped-def]
    cfn, _ = _create(aws)
    assert cfn.outputs("S")[StackOutputs.WEBHOOK_URL] == ENDPOINT
    assert stack_outputs(cfn.describe("S") or {}) == cfn.outputs("S")
    assert stack_outputs({}) == {} and cfn.outputs("nope") == {}
    create_other_stacks(cfn.client, 55)  # moto answers DescribeStacks 50 at a time
    assert cfn.client.describe_stacks().get("NextToken")
    names = [s["StackName"] for s in cfn.stacks()]
    assert len(names) == len(set(names)) == 56 and "S" in names


def test_a_missing_stack_is_recognised_from_the_service_answer(aws) -> None:  # type: ignore[no-untyped-def]
    cfn = CloudFormation(aws.client("cloudformation"))
    with pytest.raises(Exception) as info:
        cfn.client.describe_stacks(StackName="nope")
    assert is_missing_stack(info.value)
    assert not is_missing_stack(ValueError("Stack with id nope does not exist"))
    assert cfn.describe("nope") is None and cfn.event_ids("nope") == set()


def test_describe_change_set_gives_the_status_and_every_change(aws) -> None:  # type: ignore[no-untyped-def]
    cfn = CloudFormation(aws.client("cloudformation"))
    created = cfn.create_change_set(StackName="S", ChangeSetName="cs1", ChangeSetType="CREATE",
                                    TemplateBody=small_template("S").body, Capabilities=CAPABILITIES)
    description = cfn.describe_change_set(created["Id"], "S")
    assert description["Status"] == "CREATE_COMPLETE" and description["StackName"] == "S"
    assert {c["ResourceChange"]["LogicalResourceId"] for c in description["Changes"]} == {
        "QueuesInbox", "QueuesDeadLetter", "WebhookLogs", "ApiAccessLogs"}
    assert "NextToken" not in description


def test_iter_stack_events_yields_each_new_event_once_in_order_until_settled(aws) -> None:  # type: ignore[no-untyped-def]
    cfn, stack_id = _create(aws)
    set_stack_status("S", "UPDATE_IN_PROGRESS")
    script = [
        lambda: add_event("S", "QueuesInbox", "AWS::SQS::Queue", "UPDATE_IN_PROGRESS"),
        lambda: (add_event("S", "QueuesInbox", "AWS::SQS::Queue", "UPDATE_COMPLETE"),
                 add_event("S", "S", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
                 set_stack_status("S", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")),
        lambda: (add_event("S", "S", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE"),
                 set_stack_status("S", "UPDATE_COMPLETE")),
    ]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        script.pop(0)()

    cfn = CloudFormation(cfn.client, sleep=sleep)
    seen = cfn.event_ids(stack_id)  # the creation's events were shown before
    got = list(iter_stack_events(cfn, stack_id, seen, is_done=is_terminal, interval=3))
    assert [(e.logical_id, e.status) for e in got] == [
        ("QueuesInbox", "UPDATE_IN_PROGRESS"), ("QueuesInbox", "UPDATE_COMPLETE"),
        ("S", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), ("S", "UPDATE_COMPLETE")]
    assert sleeps == [3, 3, 3] and not script
    assert {e.event_id for e in got} <= seen


def test_iter_stack_events_gives_up_after_the_timeout(aws) -> None:  # type: ignore[no-untyped-def]
    cfn, stack_id = _create(aws)
    set_stack_status("S", "UPDATE_IN_PROGRESS")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    cfn = CloudFormation(cfn.client, sleep=sleep)
    with pytest.raises(TimeoutError, match="still UPDATE_IN_PROGRESS after 10 s"):
        list(iter_stack_events(cfn, stack_id, cfn.event_ids(stack_id), is_done=is_terminal, interval=4,
                               timeout=10, clock=lambda: now[0]))
    assert now[0] == 12
