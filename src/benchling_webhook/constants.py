"""Names shared by the CLI, the stack and the server: environment variables, stack and output names."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

APP_NAME = "benchling-webhook"
DEFAULT_PROFILE = "default"
STACK_BASE_NAME = "BenchlingWebhookStack"
CONTAINER_PORT = 8080
MANIFEST_FEATURE_ID = "quilt_entry"
# Athena query results go here in the package bucket unless the profile names a location: outside every
# package prefix (``<prefix>/<display id>``), so no package ever picks them up.
ATHENA_RESULTS_PREFIX = ".benchling-webhook/athena-results/"
DEFAULT_ATHENA_WORKGROUP = "primary"
# Where workers record what became of each backfilled entry (``<prefix><run id>/<entry id>/<outcome>``):
# beside the Athena results, outside every package.
BACKFILL_OUTCOMES_PREFIX = ".benchling-webhook/backfill/"
# Benchling's default budget per tenant: 60 requests per 30 seconds (docs/benchling.md, "Rate limits").
DEFAULT_TENANT_API_RATE = 2.0
DEFAULT_PACKAGE_PREFIX = "benchling"
DEFAULT_METADATA_KEY = "experiment_id"
# Quilt's package-revision events on the default EventBridge bus (docs/quilt.md).
QUILT_EVENT_SOURCE = "com.quiltdata"
PACKAGE_REVISION_EVENT = "package-revision"
# What the worker role logs once it receives from the inbox (the local environment waits for it).
CONSUMER_STARTED = "inbox consumer started"
# The processes ``benchling-webhook serve --role`` runs: the webhook server, the inbox worker, or both.
ServerRole = Literal["web", "worker", "all"]


# The header the API stage overwrites with the caller's address ($context.identity.sourceIp). The server takes
# the client address for the allow list from it alone: X-Forwarded-For and Forwarded are whatever the
# client sent, since an HTTP API passes them through.
CLIENT_IP_HEADER = "x-benchling-webhook-client-ip"


class EnvVars:
    """Every environment variable name the project reads or sets, defined once.

    The container contract is what the stack sets on the task (``stack/inputs.py``), what the local
    environment sets on its server process (``sandbox/environment.py``) and what ``ServerSettings`` reads
    (``server/settings.py``); a test checks that the three agree. ``BenchlingSecret`` keeps its
    mixed-case name: deployed stacks already set it.
    """

    # The CLI's own
    PROFILE = "BENCHLING_WEBHOOK_PROFILE"
    DEBUG = "BENCHLING_WEBHOOK_DEBUG"
    # The AWS SDK's standard names (boto3 reads them too; AWS_REGION only through us)
    AWS_PROFILE = "AWS_PROFILE"
    AWS_REGION = "AWS_REGION"
    AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
    AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"
    AWS_ENDPOINT_URL_SQS = "AWS_ENDPOINT_URL_SQS"
    AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
    AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
    # The container contract
    PORT = "PORT"
    BENCHLING_SECRET = "BenchlingSecret"
    INBOX_QUEUE_URL = "INBOX_QUEUE_URL"
    INBOX_DLQ_URL = "INBOX_DLQ_URL"
    BACKFILL_QUEUE_URL = "BACKFILL_QUEUE_URL"
    STATE_TABLE = "STATE_TABLE"
    PACKAGE_BUCKET = "PACKAGE_BUCKET"
    PACKAGE_PREFIX = "PACKAGE_PREFIX"
    METADATA_KEY = "METADATA_KEY"
    PACKAGER_SQS_URL = "PACKAGER_SQS_URL"
    QUILT_WORKFLOW = "QUILT_WORKFLOW"
    REVISION_EVENTS_QUEUE_URL = "REVISION_EVENTS_QUEUE_URL"
    QUILT_WEB_HOST = "QUILT_WEB_HOST"
    ATHENA_USER_DATABASE = "ATHENA_USER_DATABASE"
    ATHENA_WORKGROUP = "ATHENA_WORKGROUP"
    ATHENA_OUTPUT_LOCATION = "ATHENA_OUTPUT_LOCATION"
    ENABLE_WEBHOOK_VERIFICATION = "ENABLE_WEBHOOK_VERIFICATION"
    WEBHOOK_ALLOW_LIST = "WEBHOOK_ALLOW_LIST"
    LOG_LEVEL = "LOG_LEVEL"
    BENCHLING_BASE_URL = "BENCHLING_BASE_URL"
    BENCHLING_JWKS_URL = "BENCHLING_JWKS_URL"
    BENCHLING_API_RATE = "BENCHLING_API_RATE"
    # The container contract's tuning (defaults in ``ServerSettings``; the stack leaves them unset)
    WORKER_CONCURRENCY = "WORKER_CONCURRENCY"
    INBOX_MAX_AGE_SECONDS = "INBOX_MAX_AGE_SECONDS"
    INBOX_VISIBILITY_SECONDS = "INBOX_VISIBILITY_SECONDS"
    RETRY_BASE_SECONDS = "RETRY_BASE_SECONDS"
    RETRY_MAX_SECONDS = "RETRY_MAX_SECONDS"
    LEASE_SECONDS = "LEASE_SECONDS"
    COALESCE_QUIET_SECONDS = "COALESCE_QUIET_SECONDS"
    COALESCE_MAX_SECONDS = "COALESCE_MAX_SECONDS"
    EXPORT_TIMEOUT_SECONDS = "EXPORT_TIMEOUT_SECONDS"
    SERVER_TUNING = "SERVER_TUNING"
    APP_CONFIG_TTL_SECONDS = "APP_CONFIG_TTL_SECONDS"
    MAX_BODY_BYTES = "MAX_BODY_BYTES"
    CLIENT_IP_HEADER = "CLIENT_IP_HEADER"
    READ_TIMEOUT_SECONDS = "READ_TIMEOUT_SECONDS"
    API_DOCS = "API_DOCS"


class ImageBuildMode(StrEnum):
    """How ``deploy`` and ``image build`` make an image when none is named (``deployment.imageBuild``)."""

    AUTO = "auto"  # local when a Docker daemon answers, else remote
    LOCAL = "local"  # docker build on this machine
    REMOTE = "remote"  # AWS CodeBuild in the user's account
    NONE = "none"  # never build: an image URI is required


class Architecture(StrEnum):
    """The task's CPU architecture (``deployment.architecture``)."""

    X86_64 = "x86_64"
    ARM64 = "arm64"


class StackOutputs:
    """CloudFormation output keys of the stack; ``logs``, ``status`` and ``test`` read them."""

    WEBHOOK_URL = "WebhookEndpoint"
    SERVICE_LOG_GROUP = "ServiceLogGroup"
    API_LOG_GROUP = "ApiAccessLogGroup"
    CLUSTER_NAME = "ClusterName"
    SERVICE_NAME = "ServiceName"
    INBOX_QUEUE_URL = "InboxQueueUrl"
    INBOX_DLQ_URL = "InboxDeadLetterQueueUrl"
    REVISION_EVENTS_QUEUE_URL = "RevisionEventsQueueUrl"
    BACKFILL_QUEUE_URL = "BackfillQueueUrl"
    STATE_TABLE_NAME = "StateTableName"


def stack_name_for(profile: str) -> str:
    """``BenchlingWebhookStack`` for the default profile, ``BenchlingWebhookStack-<profile>`` otherwise."""
    return STACK_BASE_NAME if profile == DEFAULT_PROFILE else f"{STACK_BASE_NAME}-{profile}"


def package_revision_pattern(bucket: str, prefix: str) -> dict[str, Any]:
    """The EventBridge pattern of the revisions of our packages: ``<prefix>/…`` in ``bucket``.

    The stack's rule uses it, and so does the local environment's rule on the emulator.
    """
    return {"source": [QUILT_EVENT_SOURCE], "detail-type": [PACKAGE_REVISION_EVENT],
            "detail": {"bucket": [bucket], "handle": [{"prefix": f"{prefix.strip('/')}/"}]}}
