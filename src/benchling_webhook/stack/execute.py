"""Executors consume a ``DeployPlan``: ``ChangeSetExecutor`` runs it, ``DisplayOnlyExecutor`` (dry run) only
discards the change set. Both have the same shape, so ``deploy --dry-run`` is a different wiring of the same
pipeline, not a different code path.

Progress is reported through ``on_event`` callbacks fed from ``iter_stack_events``; nothing here prints.
A failed execution raises ``DeployError`` carrying the first failed resource's reason: CloudFormation's
later failures are mostly "Resource creation cancelled" echoes of the first one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from benchling_webhook.aws.cloudformation import CloudFormation, StackEvent, iter_stack_events
from benchling_webhook.aws.errors import service_error
from benchling_webhook.errors import DeployError
from benchling_webhook.stack.plan import DeployPlan
from benchling_webhook.stack.state import is_success, is_terminal

EventSink = Callable[[StackEvent], None]
_ECHOES = ("Resource creation cancelled", "Resource update cancelled", "The following resource(s) failed")


@dataclass(frozen=True)
class ExecutionResult:
    executed: bool
    status: str
    events: tuple[StackEvent, ...] = ()


class Executor(Protocol):
    def execute(self, plan: DeployPlan, on_event: EventSink) -> ExecutionResult: ...


def first_failure(events: Iterable[StackEvent], stack_name: str = "") -> StackEvent | None:
    """The root-cause event: the earliest failed resource, skipping cancellation echoes and the stack itself."""
    failed = [e for e in events if e.failed]
    for event in failed:
        if event.logical_id != stack_name and not event.reason.startswith(_ECHOES):
            return event
    return failed[0] if failed else None


def failure_error(stack_name: str, status: str, events: Iterable[StackEvent], *, operation: str = "deploy",
                  hint: str | None = None) -> DeployError:
    """``<operation> of <stack> failed: <status>: <root-cause resource> <reason>``, with ``hint`` or, for a
    deploy, one chosen by the failed resource."""
    cause = first_failure(events, stack_name)
    what = f"{status}" + (f": {cause.logical_id} ({cause.resource_type}) {cause.reason}" if cause else "")
    if hint is None:
        hint = ("ECS tasks that never become healthy show up here as a circuit-breaker failure: "
                "read the container logs with: benchling-webhook logs --since 30m"
                if cause and cause.resource_type == "AWS::ECS::Service" else
                "fix the cause above and deploy again (benchling-webhook status shows the stack)")
    return DeployError(f"{operation} of {stack_name} failed", what, hint=hint)


class ChangeSetExecutor:
    """Executes the change set and streams events until the stack settles."""

    def __init__(self, cfn: CloudFormation, *, interval: float = 5.0, timeout: float = 3 * 3600) -> None:
        self.cfn = cfn
        self.interval = interval
        self.timeout = timeout

    def execute(self, plan: DeployPlan, on_event: EventSink) -> ExecutionResult:
        if plan.is_empty:
            return ExecutionResult(False, self.cfn.status(plan.stack_name) or "")
        stack = self.cfn.describe(plan.stack_name)
        stack_id = stack["StackId"] if stack else plan.stack_name
        seen = self.cfn.event_ids(stack_id)
        try:
            self.cfn.execute_change_set(plan.change_set_id, plan.stack_name)
        except Exception as exc:
            if (refused := service_error(exc)) is None:
                raise
            events = self.cfn.new_events(stack_id, seen)
            for event in events:
                on_event(event)
            cause = first_failure(events, plan.stack_name)
            reason = cause.reason if cause else refused.message or str(exc)
            raise DeployError(f"deploy of {plan.stack_name} failed", reason,
                              hint="fix the cause above and deploy again") from None
        events = []
        for event in iter_stack_events(self.cfn, stack_id, seen, is_done=is_terminal,
                                       interval=self.interval, timeout=self.timeout):
            events.append(event)
            on_event(event)
        status = self.cfn.status_by_id(stack_id)
        if not is_success(status):
            raise failure_error(plan.stack_name, status, events)
        return ExecutionResult(True, status, tuple(events))


class DisplayOnlyExecutor:
    """Dry run: the plan was shown; discard the change set (and the empty stack a CREATE one made)."""

    def __init__(self, cfn: CloudFormation) -> None:
        self.cfn = cfn

    def execute(self, plan: DeployPlan, on_event: EventSink) -> ExecutionResult:
        if plan.change_set_id:
            self.cfn.delete_change_set(plan.change_set_id, plan.stack_name)
            if plan.action == "create" and self.cfn.status(plan.stack_name) == "REVIEW_IN_PROGRESS":
                self.cfn.delete_stack(plan.stack_name)
        return ExecutionResult(False, self.cfn.status(plan.stack_name) or "")
