from __future__ import annotations

import pytest

from benchling_webhook.stack.state import StackAction, classify, is_success, is_terminal

# Every CloudFormation stack status, with the action deploy takes. moto reaches only a few of these on
# its own (none, CREATE/UPDATE/DELETE_COMPLETE, REVIEW_IN_PROGRESS), so the rules are pure and tested here.
TABLE = [
    (None, StackAction.CREATE),
    ("DELETE_COMPLETE", StackAction.CREATE),
    ("CREATE_COMPLETE", StackAction.UPDATE),
    ("UPDATE_COMPLETE", StackAction.UPDATE),
    ("UPDATE_ROLLBACK_COMPLETE", StackAction.UPDATE),
    ("IMPORT_COMPLETE", StackAction.UPDATE),
    ("IMPORT_ROLLBACK_COMPLETE", StackAction.UPDATE),
    ("ROLLBACK_COMPLETE", StackAction.RECREATE),
    ("REVIEW_IN_PROGRESS", StackAction.CLEAR),
    ("CREATE_IN_PROGRESS", StackAction.WAIT),
    ("UPDATE_IN_PROGRESS", StackAction.WAIT),
    ("DELETE_IN_PROGRESS", StackAction.WAIT),
    ("ROLLBACK_IN_PROGRESS", StackAction.WAIT),
    ("UPDATE_ROLLBACK_IN_PROGRESS", StackAction.WAIT),
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", StackAction.WAIT),
    ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", StackAction.WAIT),
    ("IMPORT_IN_PROGRESS", StackAction.WAIT),
    ("IMPORT_ROLLBACK_IN_PROGRESS", StackAction.WAIT),
    ("CREATE_FAILED", StackAction.ABORT),
    ("ROLLBACK_FAILED", StackAction.ABORT),
    ("DELETE_FAILED", StackAction.ABORT),
    ("UPDATE_FAILED", StackAction.ABORT),
    ("UPDATE_ROLLBACK_FAILED", StackAction.ABORT),
    ("IMPORT_ROLLBACK_FAILED", StackAction.ABORT),
]


@pytest.mark.parametrize(("status", "action"), TABLE)
def test_every_status_maps_to_one_action(status: str | None, action: StackAction) -> None:
    condition = classify(status, "S")
    assert condition.action is action
    if action in {StackAction.RECREATE, StackAction.WAIT, StackAction.ABORT}:
        assert condition.message.startswith("S ") and condition.hint


def test_hints_name_the_safe_option() -> None:
    assert "--yes" in (classify("ROLLBACK_COMPLETE").hint or "")
    assert "--wait" in (classify("UPDATE_IN_PROGRESS").hint or "")
    assert "continue-update-rollback --stack-name S" in (classify("UPDATE_ROLLBACK_FAILED", "S").hint or "")
    assert "destroy" in (classify("DELETE_FAILED").hint or "")


def test_terminal_and_success() -> None:
    assert is_terminal("ROLLBACK_COMPLETE") and not is_terminal("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    assert is_success("UPDATE_COMPLETE") and not is_success("UPDATE_ROLLBACK_COMPLETE")
