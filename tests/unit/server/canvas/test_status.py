from __future__ import annotations

from benchling_webhook.errors import BenchlingApiError, SecretUnavailableError
from benchling_webhook.server.canvas.status import MessageStyle, failure_sentence, scrub, session_message

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:benchling-webhook/prod-AbCdEf"


def test_failure_sentences_carry_no_arn_url_or_trace() -> None:
    error = SecretUnavailableError(f"secret {ARN} cannot be read: AccessDeniedException")
    assert failure_sentence(error) == ("Could not update the package: secret (AWS resource) cannot be read: "
                                       "AccessDeniedException.")
    signed = BenchlingApiError("download failed for https://s3.amazonaws.com/x?X-Amz-Signature=abc", status=403)
    assert "X-Amz" not in failure_sentence(signed) and "(link removed)" in failure_sentence(signed)
    assert failure_sentence(KeyError("client_secret"), "package this entry") == (
        "Could not package this entry because of an unexpected error (details are in the server logs).")


def test_session_messages_lead_with_a_chip_escape_braces_and_fit_200_characters() -> None:
    message = session_message("Package {prefix}/EXP1 " + "x" * 300, MessageStyle.ERROR, "etr_Ab12Cd34")
    assert message["style"] == "ERROR"
    assert message["content"].startswith("{id:etr_Ab12Cd34}: Package \\{prefix\\}/EXP1 x")
    assert len(message["content"]) == 200 and message["content"].endswith("…")
    assert session_message("ok", MessageStyle.INFO) == {"content": "ok.", "style": "INFO"}
    assert scrub(f"see {ARN}, then\n retry") == "see (AWS resource), then retry"
