from __future__ import annotations

from datetime import UTC, datetime, timedelta

from benchling_webhook.aws.cloudformation import StackEvent
from benchling_webhook.stack.execute import failure_error, first_failure
from benchling_webhook.stack.plan import DeployPlan, changes_from_description

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


def test_failure_error_names_the_operation_and_takes_its_hint() -> None:
    events = [_event(1, "S", "DELETE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack"),
              _event(2, "Data", "DELETE_FAILED", "The bucket you tried to delete is not empty", "AWS::S3::Bucket"),
              _event(3, "S", "DELETE_FAILED", "The following resource(s) failed to delete: [Data].",
                     "AWS::CloudFormation::Stack")]
    error = failure_error("S", "DELETE_FAILED", events, operation="delete", hint="empty it")
    assert error.message == ("delete of S failed: DELETE_FAILED: Data (AWS::S3::Bucket) "
                             "The bucket you tried to delete is not empty")
    assert error.hint == "empty it"
    assert failure_error("S", "UPDATE_ROLLBACK_COMPLETE", []).message == "deploy of S failed: UPDATE_ROLLBACK_COMPLETE"
