from __future__ import annotations

from benchling_webhook.ops.dlq import MAX_REASON, NO_REASON, group_reason


def test_reasons_group_by_error_not_by_attempt_count_or_entry() -> None:
    assert group_reason("failed 5 times; last error: RuntimeError: 503 for etr_Ab12Cd34") == \
        group_reason("failed 3 times; last error: RuntimeError: 503 for etr_Zz98Yy76") == \
        "failed repeatedly: RuntimeError: 503 for etr_…"
    assert group_reason("received 6 times without completing (max 5)") == "received too often without completing"


def test_a_message_without_a_reason_was_moved_by_the_redrive_policy() -> None:
    assert group_reason(None) == group_reason("  ") == NO_REASON


def test_only_the_first_line_of_a_short_reason_is_kept_and_words_with_underscores_are_not_ids() -> None:
    assert group_reason("permanent failure: sqs_message_id missing\ntraceback") == \
        "permanent failure: sqs_message_id missing"
    assert len(group_reason("x" * 5000)) == MAX_REASON
