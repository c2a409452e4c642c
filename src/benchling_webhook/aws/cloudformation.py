"""A thin typed facade over the CloudFormation client: describe, change sets, events, delete.

Botocore errors propagate unchanged (the deploy boundary wraps them once); the only translation here is
"stack does not exist", which CloudFormation reports as a generic ValidationError. Paged answers are read
with botocore's paginators.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchling_webhook.aws.errors import service_error


@dataclass(frozen=True)
class StackEvent:
    """One CloudFormation stack event."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> StackEvent:
        return cls(
            event_id=data["EventId"], timestamp=data["Timestamp"], logical_id=data.get("LogicalResourceId", ""),
            resource_type=data.get("ResourceType", ""), status=data.get("ResourceStatus", ""),
            reason=data.get("ResourceStatusReason") or "", physical_id=data.get("PhysicalResourceId") or "",
        )


def stack_outputs(stack: Mapping[str, Any]) -> dict[str, str]:
    """A described stack's outputs as ``{OutputKey: OutputValue}``."""
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs") or []}


def is_missing_stack(error: BaseException) -> bool:
    """CloudFormation's answer for a stack name or id it does not know (a ValidationError, not a 404)."""
    refused = service_error(error)
    return refused is not None and refused.code == "ValidationError" and "does not exist" in refused.message


class CloudFormation:
    """The calls the deploy engine makes, on one boto3 client."""

    def __init__(self, client: Any, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.sleep = sleep

    @property
    def region(self) -> str:
        return str(self.client.meta.region_name)

    def describe(self, stack_name: str) -> dict[str, Any] | None:
        """The stack's description, or None when it does not exist (or was deleted)."""
        try:
            stacks = self.client.describe_stacks(StackName=stack_name).get("Stacks", [])
        except Exception as exc:
            if is_missing_stack(exc):
                return None
            raise
        live = [s for s in stacks if s.get("StackStatus") != "DELETE_COMPLETE"]
        return dict(live[0]) if live else None

    def status(self, stack_name: str) -> str | None:
        stack = self.describe(stack_name)
        return str(stack["StackStatus"]) if stack else None

    def status_by_id(self, stack_id: str) -> str:
        """The status of the stack with this id, ``DELETE_COMPLETE`` included: by id a deleted stack is
        still described (by name it no longer exists), which is how a delete is followed to its end."""
        stacks = self.client.describe_stacks(StackName=stack_id).get("Stacks", [])
        return str(stacks[0]["StackStatus"])

    def outputs(self, stack_name: str) -> dict[str, str]:
        return stack_outputs(self.describe(stack_name) or {})

    def stacks(self) -> Iterator[dict[str, Any]]:
        """Every stack of the region, page by page (deleted stacks are not listed)."""
        for page in self.client.get_paginator("describe_stacks").paginate():
            yield from page.get("Stacks", [])

    def create_change_set(self, **kwargs: Any) -> dict[str, Any]:
        return dict(self.client.create_change_set(**kwargs))

    def describe_change_set(self, change_set_id: str, stack_name: str) -> dict[str, Any]:
        """The whole description: every page of ``Changes`` merged."""
        pages = self.client.get_paginator("describe_change_set").paginate(ChangeSetName=change_set_id,
                                                                          StackName=stack_name)
        return dict(pages.build_full_result())

    def execute_change_set(self, change_set_id: str, stack_name: str) -> None:
        self.client.execute_change_set(ChangeSetName=change_set_id, StackName=stack_name)

    def delete_change_set(self, change_set_id: str, stack_name: str) -> None:
        self.client.delete_change_set(ChangeSetName=change_set_id, StackName=stack_name)

    def delete_stack(self, stack_name: str) -> None:
        self.client.delete_stack(StackName=stack_name)

    def event_ids(self, stack_name: str) -> set[str]:
        """Ids of the events already there (first page): a cursor so only new events are shown."""
        try:
            page = self.client.describe_stack_events(StackName=stack_name)
        except Exception as exc:
            if is_missing_stack(exc):
                return set()
            raise
        return {e["EventId"] for e in page.get("StackEvents", [])}

    def new_events(self, stack_name: str, seen: set[str]) -> list[StackEvent]:
        """Events not in ``seen``, oldest first (pages are newest first; stop at the first seen one)."""
        fresh: list[StackEvent] = []
        for page in self.client.get_paginator("describe_stack_events").paginate(StackName=stack_name):
            for data in page.get("StackEvents", []):
                if data["EventId"] in seen:
                    return list(reversed(fresh))
                fresh.append(StackEvent.from_api(data))
        return list(reversed(fresh))


def iter_stack_events(cfn: CloudFormation, stack_id: str, seen: set[str], *, is_done: Callable[[str], bool],
                      interval: float = 5.0, timeout: float = 3 * 3600,
                      clock: Callable[[], float] = time.monotonic) -> Iterator[StackEvent]:
    """Yield new events of ``stack_id`` (oldest first) until its status satisfies ``is_done``.

    ``seen`` is the de-duplication cache (event ids already shown) and is updated in place; ``cfn.sleep``
    paces the polls, so tests run without waiting. Use the stack *id* for deletes: a deleted stack's
    events are only reachable by id. Raises ``TimeoutError`` after ``timeout`` seconds.
    """
    deadline = clock() + timeout
    while True:
        for event in cfn.new_events(stack_id, seen):
            seen.add(event.event_id)
            yield event
        status = cfn.status_by_id(stack_id)
        if is_done(status):
            for event in cfn.new_events(stack_id, seen):  # events written just before the final status
                seen.add(event.event_id)
                yield event
            return
        if clock() > deadline:
            raise TimeoutError(f"stack {stack_id} still {status} after {timeout:.0f} s")
        cfn.sleep(interval)
