"""Delete a profile's stack without synthesizing anything: describe, delete, follow events, report.

A stack that is busy (an update in progress) is refused with the state rules' hint; one already being
deleted is followed to the end. A ``DELETE_FAILED`` result names the first resource that would not go.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from benchling_webhook.aws.cloudformation import CloudFormation, StackEvent, iter_stack_events
from benchling_webhook.errors import StackStateError
from benchling_webhook.stack.execute import failure_error
from benchling_webhook.stack.state import is_terminal


@dataclass(frozen=True)
class DestroyResult:
    stack_name: str
    region: str
    existed: bool
    status: str = ""
    seconds: float = 0.0


class Destroyer:
    def __init__(self, cfn: CloudFormation, *, interval: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 ) -> None:
        self.cfn = cfn
        self.interval = interval
        self.clock = clock

    def exists(self, stack_name: str) -> bool:
        return self.cfn.describe(stack_name) is not None

    def destroy(self, stack_name: str, on_event: Callable[[StackEvent], None] = lambda _: None) -> DestroyResult:
        started = self.clock()
        stack = self.cfn.describe(stack_name)
        if stack is None:
            return DestroyResult(stack_name, self.cfn.region, existed=False)
        status = stack["StackStatus"]
        if status.endswith("_IN_PROGRESS") and status != "DELETE_IN_PROGRESS":
            raise StackStateError(stack_name, status,
                                  hint="wait for the running operation to finish (benchling-webhook status --watch)")
        stack_id = stack["StackId"]
        seen = self.cfn.event_ids(stack_id)
        if status != "DELETE_IN_PROGRESS":
            self.cfn.delete_stack(stack_name)
        events = []
        for event in iter_stack_events(self.cfn, stack_id, seen, is_done=is_terminal, interval=self.interval):
            events.append(event)
            on_event(event)
        final = self.cfn.status_by_id(stack_id)
        if final != "DELETE_COMPLETE":
            raise failure_error(stack_name, final, events, operation="delete",
                                hint="remove or empty the resource named above, then run destroy again")
        return DestroyResult(stack_name, self.cfn.region, existed=True, status=final,
                             seconds=self.clock() - started)
