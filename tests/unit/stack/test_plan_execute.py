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


def test_stack_tags_name_who_when_the_version_and_the_profile() -> None:
    from benchling_webhook import __version__
    from benchling_webhook.stack.deploy import stack_tags

    tags = stack_tags("dev", "arn:aws:sts::123456789012:assumed-role/Admin/jo,doe@example.com",
                      datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC))
    assert tags == {"benchling-webhook:profile": "dev", "benchling-webhook:version": __version__,
                    "benchling-webhook:deployed-by": "arn:aws:sts::123456789012:assumed-role/Admin/jo_doe@example.com",
                    "benchling-webhook:deployed-at": "2026-12-01T09:30:05Z"}


def test_a_change_set_of_new_who_and_when_tags_alone_is_no_change() -> None:
    from benchling_webhook.stack.deploy import only_stamp_changes, stack_tags
    from benchling_webhook.stack.plan import ResourceChange

    before = stack_tags("dev", "arn:aws:iam::1:user/a", datetime(2026, 1, 1, tzinfo=UTC))
    now = stack_tags("dev", "arn:aws:iam::1:user/b", datetime(2026, 2, 1, tzinfo=UTC))
    tags_only = DeployPlan("S", "us-east-1", "update", "cs", (
        ResourceChange("Queue", "AWS::SQS::Queue", "Modify", "False", scope=("Tags",)),))
    assert only_stamp_changes(tags_only, before, now)
    assert not only_stamp_changes(tags_only, {**before, "benchling-webhook:version": "0.0.1"}, now)  # an upgrade
    real = DeployPlan("S", "us-east-1", "update", "cs", (
        ResourceChange("Queue", "AWS::SQS::Queue", "Modify", "False", scope=("Properties", "Tags")),))
    assert not only_stamp_changes(real, before, now)
    assert not only_stamp_changes(DeployPlan("S", "us-east-1", "create", "cs", tags_only.changes), {}, now)
