"""What the stack's current CloudFormation status means for a deploy: pure rules over the status string.

| status                                   | action      | why                                                  |
|------------------------------------------|-------------|------------------------------------------------------|
| none, ``DELETE_COMPLETE``                | create      | nothing there                                        |
| ``*_COMPLETE`` (not rollback of a create)| update      | a healthy stack                                      |
| ``UPDATE_ROLLBACK_COMPLETE``             | update      | the last update failed but the stack works           |
| ``ROLLBACK_COMPLETE``                    | recreate    | the first create failed; it can only be deleted      |
| ``REVIEW_IN_PROGRESS``                   | clear       | a change set was never executed: an empty stack      |
| ``*_IN_PROGRESS``                        | wait        | another operation is running                         |
| ``*_FAILED``                             | abort       | needs a human (continue rollback, or destroy)        |

``recreate`` deletes resources that a failed create left behind, so it needs confirmation (``--yes``);
``clear`` deletes a stack that has no resources, which is always safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from benchling_webhook.aws.cloudformation import CloudFormation


class StackAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RECREATE = "recreate"
    CLEAR = "clear"
    WAIT = "wait"
    ABORT = "abort"


@dataclass(frozen=True)
class StackCondition:
    """A classified status: what to do, whether to ask first, and what to tell the user."""

    status: str | None
    action: StackAction
    message: str = ""
    hint: str | None = None


_UPDATABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
              "IMPORT_ROLLBACK_COMPLETE"}


def classify(status: str | None, stack_name: str = "the stack") -> StackCondition:
    """The rule table above, as a function (tested with a parametrised table)."""
    if status is None or status == "DELETE_COMPLETE":
        return StackCondition(status, StackAction.CREATE)
    if status in _UPDATABLE:
        return StackCondition(status, StackAction.UPDATE)
    if status == "ROLLBACK_COMPLETE":
        return StackCondition(
            status, StackAction.RECREATE,
            f"{stack_name} is in ROLLBACK_COMPLETE: its first deployment failed and it can only be deleted "
            "and created again",
            "re-run with --yes to delete and recreate it, or remove it with: benchling-webhook destroy",
        )
    if status == "REVIEW_IN_PROGRESS":
        return StackCondition(
            status, StackAction.CLEAR,
            f"{stack_name} is in REVIEW_IN_PROGRESS: a change set was created but never executed; "
            "the empty stack is deleted first",
        )
    if status.endswith("_IN_PROGRESS"):
        return StackCondition(
            status, StackAction.WAIT,
            f"{stack_name} is busy ({status}): another operation is running",
            "wait for it to finish (benchling-webhook status --watch) and deploy again, or re-run with --wait",
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        return StackCondition(
            status, StackAction.ABORT,
            f"{stack_name} is in UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back the last update",
            f"fix the resource named in the stack events, then run: aws cloudformation continue-update-rollback "
            f"--stack-name {stack_name}; deploy again afterwards",
        )
    return StackCondition(
        status, StackAction.ABORT,
        f"{stack_name} is in {status} and cannot be deployed to",
        "look at the failed resources in the CloudFormation console; remove the stack with: "
        "benchling-webhook destroy",
    )


def is_terminal(status: str) -> bool:
    """True once no operation is running (any status that does not end in ``_IN_PROGRESS``)."""
    return not status.endswith("_IN_PROGRESS")


def is_success(status: str) -> bool:
    return status in {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"}


class RemoteState:
    """Reads the deployed stack and classifies it (the only AWS-touching part of the state rules)."""

    def __init__(self, cfn: CloudFormation, stack_name: str) -> None:
        self.cfn = cfn
        self.stack_name = stack_name

    def condition(self) -> StackCondition:
        return classify(self.cfn.status(self.stack_name), self.stack_name)
