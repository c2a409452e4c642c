from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from benchling_webhook.aws.cloudformation import CloudFormation, StackEvent, iter_stack_events
from benchling_webhook.stack.execute import failure_error, first_failure
from benchling_webhook.stack.plan import DeployPlan, changes_from_description
from benchling_webhook.stack.state import is_terminal

DESCRIPTION = {"Changes": [
    {"Type": "Resource", "ResourceChange": {"Action": "Remove", "LogicalResourceId": "Old",
                                            "ResourceType": "AWS::SQS::Queue"}},
    {"Type": "Resource", "ResourceChange": {"Action": "Modify", "LogicalResourceId": "Task", "Replacement": "True",
                                            "ResourceType": "AWS::ECS::TaskDefinition", "Scope": ["Properties"]}},
    {"Type": "Resource", "ResourceChange": {"Action": "Modify", "LogicalResourceId": "Svc", "Replacement": "False",
                                            "ResourceType": "AWS::ECS::Service"}},
    {"Type": "Resource", "ResourceChange": {"Action": "Add", "LogicalResourceId": "New",
                                            "ResourceType": "AWS::Logs::LogGroup"}},
]}


def test_plan_rows_are_ordered_and_flag_replacements() -> None:
    changes = changes_from_description(DESCRIPTION)
    assert [(c.action, c.logical_id) for c in changes] == [
        ("Add", "New"), ("Modify", "Svc"), ("Modify", "Task"), ("Remove", "Old")]
    plan = DeployPlan("S", "us-east-1", "update", "cs", changes)
    assert [c.logical_id for c in plan.replaced] == ["Task"]
    assert plan.summary() == "1 to add, 2 to modify (1 replaced), 1 to remove"
    assert DeployPlan("S", "us-east-1", "none").summary() == "no changes"


def _event(n: int, logical: str, status: str, reason: str = "", type_: str = "AWS::SQS::Queue") -> StackEvent:
    return StackEvent(f"e{n}", datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n), logical, type_, status, reason)


ROLLBACK = [
    _event(1, "S", "CREATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack"),
    _event(2, "Queue", "CREATE_IN_PROGRESS"),
    _event(3, "Svc", "CREATE_FAILED", "Resource handler returned message: circuit breaker", "AWS::ECS::Service"),
    _event(4, "Queue", "CREATE_FAILED", "Resource creation cancelled"),
    _event(5, "S", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Svc, Queue].",
           "AWS::CloudFormation::Stack"),
    _event(6, "S", "ROLLBACK_COMPLETE", "", "AWS::CloudFormation::Stack"),
]


def test_first_failure_skips_cancellation_echoes_and_the_stack() -> None:
    cause = first_failure(ROLLBACK, "S")
    assert cause is not None and cause.logical_id == "Svc"
    assert first_failure(list(reversed(ROLLBACK[3:4])), "S") == ROLLBACK[3]  # only echoes: still say something
    assert first_failure(ROLLBACK[:2], "S") is None
    error = failure_error("S", "ROLLBACK_COMPLETE", ROLLBACK)
    assert error.message == ("deploy of S failed: ROLLBACK_COMPLETE: Svc (AWS::ECS::Service) Resource handler "
                             "returned message: circuit breaker")
    assert error.hint and "benchling-webhook logs" in error.hint


class FakeClient:
    """describe_stack_events/describe_stacks over a script of (events so far, status) snapshots."""

    class meta:
        region_name = "us-east-1"

    def __init__(self, snapshots: list[tuple[list[StackEvent], str]]) -> None:
        self.snapshots = snapshots
        self.tick = 0

    def _now(self) -> tuple[list[StackEvent], str]:
        return self.snapshots[min(self.tick, len(self.snapshots) - 1)]

    def describe_stack_events(self, StackName: str, **_: Any) -> dict[str, Any]:
        events, _status = self._now()
        return {"StackEvents": [{"EventId": e.event_id, "Timestamp": e.timestamp, "LogicalResourceId": e.logical_id,
                                 "ResourceType": e.resource_type, "ResourceStatus": e.status,
                                 "ResourceStatusReason": e.reason} for e in reversed(events)]}

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackStatus": self._now()[1], "StackId": StackName}]}


def test_iter_stack_events_yields_each_event_once_in_order_and_stops_when_settled() -> None:
    client = FakeClient([(ROLLBACK[:2], "CREATE_IN_PROGRESS"), (ROLLBACK[:4], "CREATE_IN_PROGRESS"),
                         (ROLLBACK[:5], "ROLLBACK_IN_PROGRESS"), (ROLLBACK, "ROLLBACK_COMPLETE")])
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        client.tick += 1

    cfn = CloudFormation(client, sleep=sleep)
    seen = {"e1"}  # already shown before execution
    got = list(iter_stack_events(cfn, "S", seen, is_done=is_terminal, interval=3))
    assert [e.event_id for e in got] == ["e2", "e3", "e4", "e5", "e6"]
    assert sleeps == [3, 3, 3]
