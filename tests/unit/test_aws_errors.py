"""``aws.errors``: the one reader of an AWS service's refusal, over botocore's own exception classes."""

from __future__ import annotations

import botocore.exceptions
import httpx

from benchling_webhook.aws.errors import DENIED_HINT, ServiceError, error_code, service_error


def _client_error(code: str, message: str | None = "refused") -> botocore.exceptions.ClientError:
    error = {"Code": code} if message is None else {"Code": code, "Message": message}
    return botocore.exceptions.ClientError({"Error": error}, "GetSecretValue")


def test_a_client_error_gives_its_code_and_message() -> None:
    exc = _client_error("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    assert service_error(exc) == ServiceError("ResourceNotFoundException",
                                              "Secrets Manager can't find the specified secret.")
    assert error_code(exc) == "ResourceNotFoundException"
    assert service_error(_client_error("404", None)) == ServiceError("404", "")


def test_refusals_of_the_identity_carry_the_permission_hint() -> None:
    for code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        refused = service_error(_client_error(code))
        assert refused is not None and refused.denied and refused.hint == DENIED_HINT
    other = service_error(_client_error("ValidationError"))
    assert other is not None and not other.denied and other.hint is None


def test_errors_without_a_service_answer_have_no_code() -> None:
    response = httpx.Response(503, request=httpx.Request("GET", "https://example.com"))
    for exc in (botocore.exceptions.NoCredentialsError(), ValueError("x"),
                httpx.HTTPStatusError("503", request=response.request, response=response)):
        assert service_error(exc) is None
        assert error_code(exc) == ""
