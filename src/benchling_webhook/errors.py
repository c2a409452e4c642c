"""One error family, with the hint a user needs to fix the problem.

Every failure the product can explain is a ``BenchlingWebhookError``; the CLI turns it into one red
sentence plus a dim hint line and an exit code in exactly one place (``cli/app.py``); the server answers
its branch with HTTP status codes from one table (``server/app.py``), and the worker chooses retry or
dead-letter by class.

    BenchlingWebhookError(message, hint=None, exit_code=1)
    │  the CLI (message + hint, exit code)
    ├── ConfigError                      bad/missing settings (exit 2)
    │   ├── ProfileNotFoundError         no profile of that name
    │   └── SecretUnavailableError       the server cannot read the Benchling secret (starts degraded)
    ├── AwsCredentialsError              no credentials/region, access denied
    ├── ValidationFailedError            a value checked against a live service was refused
    ├── BenchlingAuthError               Benchling refused the client credentials
    ├── BenchlingApiError                a Benchling call failed (status, retryable)
    ├── DeployError                      a CloudFormation step failed (where, what, hint)
    │   └── StackStateError              the stack is in a state that needs a decision first
    ├── StackNotFoundError               the profile's stack is not deployed (logs, test, status)
    ├── DockerUnavailableError           an image build needs Docker and there is none
    ├── ImageBuildError                  a remote image build failed, or builds are off with no image
    ├── DeployCancelled                  the user answered no to the deploy question
    ├── SetupCancelled                   the user stopped the setup wizard
    ├── SmokeTestFailedError             ``test`` found failing checks (failed)
    ├── BackfillError                    a backfill cannot go on (no backfill queue, SQS refused, stalled)
    ├── RedriveError                     dead letters could not all be sent back (or the DLQ is missing)
    │  the webhook route (HTTP status)
    ├── SignatureError                   a webhook failed verification (401)
    ├── MalformedWebhookError            a verified body that is not a webhook envelope (400)
    ├── ClientNotAllowedError            the sender's address is outside the allow list (403)
    ├── BodyTooLargeError                the body exceeds MAX_BODY_BYTES (413)
    ├── RequestTimeoutError              the body did not arrive within READ_TIMEOUT_SECONDS (408)
    ├── ServerNotReadyError              the secret or configuration is unusable (503)
    ├── JwksUnavailableError             the signing keys cannot be fetched (503, Benchling retries)
    ├── EnqueueError                     the inbox refused the event (503, Benchling retries)
    │   └── MessageTooLargeError         the event cannot fit in one SQS message (413)
    ├── SqsError                         an SQS call failed (code, status)
    │  the worker (retry or dead-letter) and the canvas
    ├── PermanentFailure                 retrying cannot help: dead-letter now with this reason
    ├── ExportError                      the entry export produced no ZIP: retry later
    ├── WorkAbandoned                    the worker is shutting down: the event goes back to the inbox
    ├── PackageNotFoundError             the package has no revision yet (the canvas says so)
    ├── ManifestError                    the bucket holds something that is not a Quilt manifest
    ├── EntryOutOfScope                  the app's configuration leaves the entry out (not a failure)
    │  the Benchling sandbox
    └── CanvasValidationError            a canvas body Benchling would refuse (the sandbox answers 400)
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

    def one_line(self) -> str:
        """Message and hint as one line, for places with room for one (a log field, a health reason)."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


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


class SecretUnavailableError(ConfigError):
    """The secret cannot be read or parsed; ``reason`` never contains a secret value."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason, hint=hint)
        self.reason = reason


class AwsCredentialsError(BenchlingWebhookError):
    """AWS credentials or region are missing or refused."""


class ValidationFailedError(BenchlingWebhookError):
    """A value was checked against a live service and refused."""

    exit_code = 2


class BenchlingAuthError(BenchlingWebhookError):
    """Benchling refused the app's client credentials."""

    def __init__(self, message: str, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class BenchlingApiError(BenchlingWebhookError):
    """A Benchling API call failed."""

    # The answers that mean the app will not get this object, however often it asks: deleted, not shared with
    # the app, or an id Benchling refuses.
    GONE_STATUSES = frozenset({400, 403, 404, 410})

    def __init__(self, message: str, status: int | None = None, retryable: bool = False,
                 hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after  # seconds until Benchling's rate-limit window resets (a 429)

    @property
    def gone(self) -> bool:
        """The object is deleted or not shared with the app (HTTP 400/403/404/410): asking again cannot help."""
        return self.status in self.GONE_STATUSES


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


class DeployCancelled(BenchlingWebhookError):
    """The user declined the deploy question; the change set was discarded."""

    def __init__(self) -> None:
        super().__init__("deploy cancelled; nothing was changed", hint="re-run with --yes to skip the question")


class SetupCancelled(BenchlingWebhookError):
    """The user chose to stop; nothing was saved."""

    def __init__(self, why: str, hint: str | None = None) -> None:
        super().__init__(f"setup stopped {why}; nothing was saved", hint=hint)


class SmokeTestFailedError(BenchlingWebhookError):
    """Some checks failed; ``failed`` names them."""

    def __init__(self, base_url: str, failed: list[str], total: int) -> None:
        super().__init__(f"{len(failed)} of {total} checks failed for {base_url}: {', '.join(failed)}",
                         hint="see the detail column; for a new deployment check: benchling-webhook logs --since 30m")
        self.failed = failed


class BackfillError(BenchlingWebhookError):
    """``backfill`` cannot go on; re-running the same command resumes from its checkpoint."""


class RedriveError(BenchlingWebhookError):
    """``redrive`` left dead letters in the queue, or cannot reach the queue at all."""


class SignatureError(BenchlingWebhookError):
    """A webhook failed signature verification; ``reason`` is safe to return to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JwksUnavailableError(BenchlingWebhookError):
    """The signing keys could not be fetched (and none are cached): the sender must retry."""


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


class RequestTimeoutError(BenchlingWebhookError):
    """The request body did not arrive in time (a stalled or very slow client)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body did not arrive within {seconds:g} s")


class ServerNotReadyError(BenchlingWebhookError):
    """The server cannot accept webhooks yet (secret or configuration unusable); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__("the server is not configured yet; retry later")
        self.reason = reason


class EnqueueError(BenchlingWebhookError):
    """The inbox could not store an event; the sender must retry."""


class MessageTooLargeError(EnqueueError):
    """The event cannot fit in one SQS message: retrying cannot help (the server answers 413)."""


class PermanentFailure(BenchlingWebhookError):
    """Retrying cannot help (entry deleted, no access): dead-letter now, with this reason."""


class ExportError(BenchlingWebhookError):
    """The export did not produce a ZIP (FAILED after retries, timed out, unreadable): retry later."""


class EntryBusy(BenchlingWebhookError):
    """Another task holds the entry's lease: the event is deferred (back to the inbox shortly), not failed."""

    def __init__(self, entry_id: str, retry_after: float) -> None:
        super().__init__(f"entry {entry_id} is being packaged by another task; deferred")
        self.entry_id = entry_id
        self.retry_after = retry_after


class LeaseLost(BenchlingWebhookError):
    """This task could not renew its lease on the entry in time and another may have taken it over: the run
    stops before it prunes or publishes, and the event is retried."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(f"lost the lease on entry {entry_id}; stopped before writing the revision")
        self.entry_id = entry_id


class WorkAbandoned(BenchlingWebhookError):
    """The worker is shutting down; the event goes back to the inbox."""

    def __init__(self) -> None:
        super().__init__("worker shutting down; the event will be retried")


class PackageNotFoundError(BenchlingWebhookError):
    """The package has no ``latest`` revision in the bucket (not created yet)."""

    def __init__(self, bucket: str, name: str) -> None:
        super().__init__(f"package {name} does not exist in s3://{bucket} yet",
                         hint="the first export of the entry creates it")
        self.bucket = bucket
        self.name = name


class ManifestError(BenchlingWebhookError):
    """The registry holds something that is not a readable Quilt manifest."""

    def __init__(self, message: str) -> None:
        super().__init__(message, hint="the package's entry under .quilt/ in the bucket is damaged; "
                                       "a new revision (Update package in the canvas) replaces it")


class EntryOutOfScope(BenchlingWebhookError):
    """The installation's configuration leaves this entry out: nothing is exported, the canvas says why.

    Not a failure of the event (the inbox never sees it): the processor hands it to the canvas in place of
    a package result.
    """

    def __init__(self, entry_id: str, display_id: str, package_name: str, reason: str) -> None:
        super().__init__(f"{display_id} is not packaged: {reason}",
                         hint="an admin of the app can change this in the app's Configuration tab in Benchling")
        self.entry_id = entry_id
        self.display_id = display_id
        self.package_name = package_name
        self.reason = reason


class CanvasValidationError(BenchlingWebhookError):
    """A canvas body Benchling would refuse with a 400 (raised by the sandbox's canvas store)."""


class ImageBuildError(BenchlingWebhookError):
    """The container image could not be built or pushed (remote build failed, builds switched off)."""


class SqsError(BenchlingWebhookError):
    """An SQS call failed: ``code`` is SQS's error code (``QueueDoesNotExist``…) or a transport failure."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.detail = message
        self.status = status
