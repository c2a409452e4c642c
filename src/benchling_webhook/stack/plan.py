"""``DeployPlan``: frozen, behaviour-free data describing a CloudFormation change set, and the ``Planner``.

The planner creates a change set (CREATE for a new stack, UPDATE otherwise), waits for CloudFormation to
compute it, and turns the description into a ``DeployPlan``. A change set that "didn't contain changes"
becomes an empty plan (and is deleted), so an unchanged redeploy is a no-op, not an error. Executors
consume plans; renderers draw them; unit tests assert on them without AWS.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchling_webhook.aws.cloudformation import CloudFormation
from benchling_webhook.stack.cost import CostEstimate
from benchling_webhook.stack.synth import Template

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


@dataclass(frozen=True)
class ResourceChange:
    """One row of the plan: what happens to one resource."""

    logical_id: str
    resource_type: str
    action: str  # Add | Modify | Remove | Import | Dynamic
    replacement: str = ""  # True | False | Conditional ("" for Add/Remove)
    physical_id: str = ""
    scope: tuple[str, ...] = ()

    @property
    def replaces(self) -> bool:
        return self.action == "Modify" and self.replacement in {"True", "Conditional"}


@dataclass(frozen=True)
class DeployPlan:
    """What a deploy will do; ``action`` is ``create``, ``update`` or ``none`` (nothing to change)."""

    stack_name: str
    region: str
    action: str
    change_set_id: str = ""
    changes: tuple[ResourceChange, ...] = ()
    template_size: int = 0
    template_url: str | None = None
    image_uri: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    cost: CostEstimate | None = None

    @property
    def is_empty(self) -> bool:
        return self.action == "none" or not self.changes

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def replaced(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changes if c.replaces)

    def summary(self) -> str:
        if self.is_empty:
            return "no changes"
        replaced = len(self.replaced)
        parts = [f"{self.count('Add')} to add", f"{self.count('Modify')} to modify"
                 + (f" ({replaced} replaced)" if replaced else ""), f"{self.count('Remove')} to remove"]
        return ", ".join(parts)


def changes_from_description(description: dict[str, Any]) -> tuple[ResourceChange, ...]:
    """The ``Changes`` of ``DescribeChangeSet`` as plan rows (pure; order: add, modify, remove)."""
    rows = []
    for change in description.get("Changes", []):
        rc = change.get("ResourceChange", {})
        rows.append(ResourceChange(
            logical_id=rc.get("LogicalResourceId", ""), resource_type=rc.get("ResourceType", ""),
            action=rc.get("Action", ""), replacement=str(rc.get("Replacement", "") or ""),
            physical_id=rc.get("PhysicalResourceId", "") or "", scope=tuple(rc.get("Scope", []) or ()),
        ))
    order = {"Add": 0, "Import": 0, "Modify": 1, "Dynamic": 1, "Remove": 2}
    return tuple(sorted(rows, key=lambda r: (order.get(r.action, 3), r.resource_type, r.logical_id)))


class Planner:
    """Creates and describes the change set for a template."""

    def __init__(self, cfn: CloudFormation, *, interval: float = 2.0, timeout: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cfn = cfn
        self.interval = interval
        self.timeout = timeout
        self.clock = clock

    def plan(self, template: Template, *, create: bool, template_url: str | None = None, image_uri: str = "",
             tags: dict[str, str] | None = None) -> DeployPlan:
        name = f"benchling-webhook-{uuid.uuid4().hex[:12]}"
        body = {"TemplateURL": template_url} if template_url else {"TemplateBody": template.body}
        created = self.cfn.create_change_set(
            StackName=template.stack_name, ChangeSetName=name, ChangeSetType="CREATE" if create else "UPDATE",
            Capabilities=CAPABILITIES, Description="benchling-webhook deploy",
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()], **body,
        )
        change_set_id = created["Id"]
        description = self._wait(change_set_id, template.stack_name)
        base = {"stack_name": template.stack_name, "region": self.cfn.region, "template_size": template.size,
                "template_url": template_url, "image_uri": image_uri}
        if description["Status"] == "FAILED":
            reason = description.get("StatusReason", "")
            if any(marker in reason for marker in _NO_CHANGES):
                self.cfn.delete_change_set(change_set_id, template.stack_name)
                return DeployPlan(action="none", **base)  # type: ignore[arg-type]
            from benchling_webhook.errors import DeployError

            raise DeployError("change set", reason or "CloudFormation could not compute the changes",
                              hint="fix the template problem named above and deploy again")
        return DeployPlan(action="create" if create else "update", change_set_id=change_set_id,
                          changes=changes_from_description(description), **base)  # type: ignore[arg-type]

    def _wait(self, change_set_id: str, stack_name: str) -> dict[str, Any]:
        deadline = self.clock() + self.timeout
        while True:
            description = self.cfn.describe_change_set(change_set_id, stack_name)
            if description["Status"] in {"CREATE_COMPLETE", "FAILED"}:
                return description
            if self.clock() > deadline:
                from benchling_webhook.errors import DeployError

                raise DeployError("change set", f"still {description['Status']} after {self.timeout:.0f} s",
                                  hint="look at the change set in the CloudFormation console")
            self.cfn.sleep(self.interval)
