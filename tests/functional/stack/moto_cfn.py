"""Helpers for running the deploy engine against moto's CloudFormation (server mode, same process).

moto creates stacks synchronously and has no rollback, so states it never reaches on its own
(ROLLBACK_COMPLETE, *_IN_PROGRESS, UPDATE_ROLLBACK_FAILED) and resource-level failure events are set
directly on moto's in-process backend: the engine still reads them over real HTTP through boto3.
"""

from __future__ import annotations

import json
from typing import Any

from benchling_webhook.constants import StackOutputs
from benchling_webhook.stack.synth import Template

ACCOUNT = "123456789012"
REGION = "us-east-1"
ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com"


def small_template(stack_name: str, *, extra: bool = False, retention: int = 7, bad_fifo: bool = False) -> Template:
    """A template moto can create that has the real stack's outputs (queues and log groups only)."""
    resources: dict[str, Any] = {
        "QueuesInbox": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 900}},
        "QueuesDeadLetter": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "WebhookLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": retention}},
        "ApiAccessLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
    }
    if extra:
        resources["Extra"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
        del resources["ApiAccessLogs"]
    if bad_fifo:
        resources["QueuesInbox"]["Properties"]["FifoQueue"] = True  # moto refuses: name must end in .fifo
    outputs = {
        StackOutputs.WEBHOOK_URL: {"Value": ENDPOINT},
        StackOutputs.INBOX_QUEUE_URL: {"Value": {"Ref": "QueuesInbox"}},
        StackOutputs.INBOX_DLQ_URL: {"Value": {"Ref": "QueuesDeadLetter"}},
        StackOutputs.SERVICE_LOG_GROUP: {"Value": {"Ref": "WebhookLogs"}},
        StackOutputs.CLUSTER_NAME: {"Value": "cluster"},
        StackOutputs.SERVICE_NAME: {"Value": "service"},
    }
    body = json.dumps({"Resources": resources, "Outputs": outputs}, separators=(",", ":"))
    return Template(stack_name=stack_name, body=body)


def backend() -> Any:
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[ACCOUNT][REGION]


def moto_stack(name: str) -> Any:
    return next(s for s in backend().stacks.values() if s.name == name)


def set_stack_status(name: str, status: str) -> None:
    moto_stack(name).status = status


def add_event(name: str, logical_id: str, resource_type: str, status: str, reason: str = "") -> None:
    from moto.cloudformation.models import Event

    stack = moto_stack(name)
    stack.events.append(Event(
        stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
        physical_resource_id="", resource_type=resource_type, resource_status=status,
        resource_status_reason=reason, resource_properties=None))


def emulate_failed_create(monkeypatch: Any, reason: str) -> None:
    """Make the next CREATE change set fail like CloudFormation does: a resource fails, the rest is cancelled,
    the stack rolls back to ROLLBACK_COMPLETE."""
    from moto.cloudformation.models import CloudFormationBackend

    def failing_execute(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = next(cs for cs in self.change_sets.values()
                          if change_set_name in (cs.change_set_id, cs.change_set_name))
        stack = self.stacks[change_set.stack_id]
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        add_event(stack.name, "QueuesDeadLetter", "AWS::SQS::Queue", "CREATE_IN_PROGRESS")
        add_event(stack.name, "WebhookLogs", "AWS::Logs::LogGroup", "CREATE_FAILED", reason)
        add_event(stack.name, "QueuesDeadLetter", "AWS::SQS::Queue", "CREATE_FAILED", "Resource creation cancelled")
        stack._add_stack_event("ROLLBACK_IN_PROGRESS",
                               resource_status_reason="The following resource(s) failed to create: [WebhookLogs].")
        stack._add_stack_event("ROLLBACK_COMPLETE")
        stack.status = "ROLLBACK_COMPLETE"
        change_set.execution_status = "EXECUTE_FAILED"

    monkeypatch.setattr(CloudFormationBackend, "execute_change_set", failing_execute)


def fix_change_set_outputs(monkeypatch: Any) -> None:
    """moto 5 executes change sets without rebuilding the stack's outputs (``create_stack`` does): rebuild
    them after execution so ``DescribeStacks`` shows outputs as CloudFormation does."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set

    def execute(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        original(self, change_set_name, stack_name)
        for stack in self.stacks.values():
            if stack.template:
                stack._parse_template()
                stack.output_map = stack._create_output_map()

    monkeypatch.setattr(CloudFormationBackend, "execute_change_set", execute)


def emulate_failed_delete(monkeypatch: Any, logical_id: str, resource_type: str, reason: str) -> None:
    """Make the next delete end like CloudFormation's when a resource will not go: DELETE_FAILED, with the
    resource's failure event and the stack's summary event."""
    from moto.cloudformation.models import CloudFormationBackend

    def failing_delete(self: Any, name_or_stack_id: str) -> None:
        stack = next(s for s in self.stacks.values() if name_or_stack_id in (s.stack_id, s.name))
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        add_event(stack.name, logical_id, resource_type, "DELETE_FAILED", reason)
        stack._add_stack_event("DELETE_FAILED",
                               resource_status_reason=f"The following resource(s) failed to delete: [{logical_id}].")
        stack.status = "DELETE_FAILED"

    monkeypatch.setattr(CloudFormationBackend, "delete_stack", failing_delete)
