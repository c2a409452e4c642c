"""One error family, with the hint a user needs to fix the problem.

Every failure the product can explain is a ``BenchlingWebhookError``; the CLI turns it into one red
sentence plus a dim hint line and an exit code in exactly one place (``cli/app.py``), the server maps
its own branch to HTTP status codes in one table in ``server/app.py``.

    BenchlingWebhookError(message, hint=None, exit_code=1)
    ├── ConfigError                      bad/missing settings (exit 2)
    │   └── ProfileNotFoundError         no profile of that name
    ├── AwsCredentialsError              no credentials/region, access denied
    ├── ValidationFailedError            a value checked against a live service was refused
    ├── BenchlingAuthError               Benchling refused the client credentials
    ├── BenchlingApiError                a Benchling call failed (status, retryable)
    ├── DeployError                      a CloudFormation step failed (where, what, hint)
    │   └── StackStateError              the stack is in a state that needs a decision first
    ├── StackNotFoundError               the profile's stack is not deployed (logs, test, status)
    ├── DockerUnavailableError           an image build needs Docker and there is none
    ├── SignatureError                   a webhook failed verification (server: 401)
    ├── MalformedWebhookError            a verified body that is not a webhook envelope (server: 400)
    ├── ClientNotAllowedError            the sender's address is outside the allow list (server: 403)
    ├── BodyTooLargeError                the body exceeds MAX_BODY_BYTES (server: 413)
    ├── ServerNotReadyError              the secret or configuration is unusable (server: 503)
    ├── EnqueueError                     the inbox refused the event (server: 503)
    └── SqsError                         an SQS call failed (code, status)
"""

from __future__ import annotations


class BenchlingWebhookError(Exception):
    """Root of every error we can explain to a user."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ConfigError(BenchlingWebhookError):
    """Settings are missing or invalid."""

    exit_code = 2


class ProfileNotFoundError(ConfigError):
    """The named profile has no config file."""

    def __init__(self, profile: str, path: str) -> None:
        super().__init__(
            f"profile '{profile}' does not exist ({path})",
            hint=f"run: benchling-webhook setup --profile {profile}",
        )
        self.profile = profile
        self.path = path


class AwsCredentialsError(BenchlingWebhookError):
    """AWS credentials or region are missing or refused."""


class ValidationFailedError(BenchlingWebhookError):
    """A value was checked against a live service and refused."""

    exit_code = 2


class BenchlingAuthError(BenchlingWebhookError):
    """Benchling refused the app's client credentials."""


class BenchlingApiError(BenchlingWebhookError):
    """A Benchling API call failed."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.retryable = retryable


class DeployError(BenchlingWebhookError):
    """A deployment step failed."""

    def __init__(self, where: str, what: str, hint: str | None = None) -> None:
        super().__init__(f"{where}: {what}", hint=hint)
        self.where = where
        self.what = what


class StackStateError(DeployError):
    """The stack's current status needs a decision before we can deploy."""

    def __init__(self, stack_name: str, status: str, hint: str | None = None) -> None:
        super().__init__(f"stack {stack_name}", f"is in state {status}", hint=hint)
        self.stack_name = stack_name
        self.status = status


class StackNotFoundError(BenchlingWebhookError):
    """The profile's stack does not exist in this account and region."""

    def __init__(self, stack_name: str, region: str | None, profile: str | None = None) -> None:
        where = f" in {region}" if region else ""
        flag = f" --profile {profile}" if profile and profile != "default" else ""
        super().__init__(
            f"stack {stack_name} does not exist{where}",
            hint=f"deploy it first: benchling-webhook deploy{flag} (or check --region / --aws-profile)",
        )
        self.stack_name = stack_name
        self.region = region


class DockerUnavailableError(BenchlingWebhookError):
    """Building the image needs a Docker daemon."""

    def __init__(self, detail: str = "no Docker daemon is reachable") -> None:
        super().__init__(
            f"cannot build the container image: {detail}",
            hint="set deployment.imageUri in the profile or pass --image-uri to use a pushed image",
        )


class SignatureError(BenchlingWebhookError):
    """A webhook failed signature verification; ``reason`` is safe to return to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedWebhookError(BenchlingWebhookError):
    """A correctly signed body is not a webhook envelope; ``details`` name the fields, never their values."""

    def __init__(self, details: list[str]) -> None:
        super().__init__("malformed webhook body")
        self.details = details


class ClientNotAllowedError(BenchlingWebhookError):
    """The webhook came from an address outside ``WEBHOOK_ALLOW_LIST``."""

    def __init__(self) -> None:
        super().__init__("client address not allowed")


class BodyTooLargeError(BenchlingWebhookError):
    """The request body is larger than the server accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")
        self.limit = limit


class ServerNotReadyError(BenchlingWebhookError):
    """The server cannot accept webhooks yet (secret or configuration unusable); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__("the server is not configured yet; retry later")
        self.reason = reason


class EnqueueError(BenchlingWebhookError):
    """The inbox could not store an event; the sender must retry."""


class SqsError(BenchlingWebhookError):
    """An SQS call failed: ``code`` is SQS's error code (``QueueDoesNotExist``…) or a transport failure."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.detail = message
        self.status = status
