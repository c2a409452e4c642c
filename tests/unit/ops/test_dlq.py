from __future__ import annotations

from benchling_webhook.ops.dlq import MAX_REASON, NO_REASON, group_reason


def test_reasons_group_by_error_not_by_attempt_count_or_entry() -> None:
    assert group_reason("gave up after 3601 s and 9 attempts; last error: RuntimeError: 503 for etr_Ab12Cd34") == \
        group_reason("gave up after 3700 s and 14 attempts; last error: RuntimeError: 503 for etr_Zz98Yy76") == \
        "gave up: RuntimeError: 503 for etr_…"


def test_a_message_without_a_reason_was_moved_by_the_redrive_policy() -> None:
    assert group_reason(None) == group_reason("  ") == NO_REASON


def test_only_the_first_line_of_a_short_reason_is_kept_and_words_with_underscores_are_not_ids() -> None:
    assert group_reason("permanent failure: sqs_message_id missing\ntraceback") == \
        "permanent failure: sqs_message_id missing"
    assert len(group_reason("x" * 5000)) == MAX_REASON
