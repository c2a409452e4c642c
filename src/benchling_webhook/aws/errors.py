"""What an AWS service said when it refused a call.

botocore raises ``ClientError`` (and the per-service classes of ``client.exceptions``, its subclasses)
with the parsed answer under ``exc.response["Error"]``. Every caller that branches on the code reads it
through ``service_error`` or ``error_code``. Nothing here imports botocore: the CLI's error boundary uses
this module too, and ``--help`` must not load boto.
"""

from __future__ import annotations

from dataclasses import dataclass

DENIED_HINT = "check that your AWS identity may do this"


@dataclass(frozen=True)
class ServiceError:
    """The code (``AccessDenied``, ``ResourceNotFoundException``, ``404``) and message of a refusal."""

    code: str
    message: str

    @property
    def denied(self) -> bool:
        """The caller's identity may not make this call (IAM, a bucket policy, an SCP)."""
        return "Denied" in self.code or "Unauthorized" in self.code

    @property
    def hint(self) -> str | None:
        return DENIED_HINT if self.denied else None


def service_error(exc: BaseException) -> ServiceError | None:
    """The service's answer carried by ``exc``, or ``None`` when ``exc`` is not a service refusal.

    Credential, connection and parameter errors raised before a request is answered have no answer.
    """
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    if not isinstance(error, dict):
        return None
    return ServiceError(code=str(error.get("Code") or ""), message=str(error.get("Message") or ""))


def error_code(exc: BaseException) -> str:
    """The service's error code, or ``""`` when ``exc`` is not a service refusal."""
    error = service_error(exc)
    return error.code if error else ""
