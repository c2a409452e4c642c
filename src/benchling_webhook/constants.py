"""Names shared by the CLI, the stack and the server: environment variables, stack and output names."""

from __future__ import annotations

APP_NAME = "benchling-webhook"
DEFAULT_PROFILE = "default"
STACK_BASE_NAME = "BenchlingWebhookStack"
CONTAINER_PORT = 8080
MANIFEST_FEATURE_ID = "quilt_entry"
# Athena query results go here in the package bucket unless the profile names a location: outside every
# package prefix (``<prefix>/<display id>``), so no package ever picks them up.
ATHENA_RESULTS_PREFIX = ".benchling-webhook/athena-results/"


class EnvVars:
    """Environment variables read by the CLI (``BENCHLING_WEBHOOK_*``) and the server (container contract)."""

    # CLI
    PROFILE = "BENCHLING_WEBHOOK_PROFILE"
    DEBUG = "BENCHLING_WEBHOOK_DEBUG"
    # Server (the container's environment: docs/container.md)
    PORT = "PORT"
    AWS_REGION = "AWS_REGION"
    AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"
    BENCHLING_SECRET = "BenchlingSecret"
    INBOX_QUEUE_URL = "INBOX_QUEUE_URL"
    PACKAGE_BUCKET = "PACKAGE_BUCKET"
    PACKAGE_PREFIX = "PACKAGE_PREFIX"
    METADATA_KEY = "METADATA_KEY"
    PACKAGER_SQS_URL = "PACKAGER_SQS_URL"
    QUILT_WEB_HOST = "QUILT_WEB_HOST"
    ATHENA_USER_DATABASE = "ATHENA_USER_DATABASE"
    ATHENA_WORKGROUP = "ATHENA_WORKGROUP"
    ATHENA_OUTPUT_LOCATION = "ATHENA_OUTPUT_LOCATION"
    ENABLE_WEBHOOK_VERIFICATION = "ENABLE_WEBHOOK_VERIFICATION"
    WEBHOOK_ALLOW_LIST = "WEBHOOK_ALLOW_LIST"
    LOG_LEVEL = "LOG_LEVEL"
    BENCHLING_BASE_URL = "BENCHLING_BASE_URL"
    BENCHLING_JWKS_URL = "BENCHLING_JWKS_URL"


class StackOutputs:
    """CloudFormation output keys of the stack; ``logs``, ``status`` and ``test`` read them."""

    WEBHOOK_URL = "WebhookEndpoint"
    SERVICE_LOG_GROUP = "ServiceLogGroup"
    API_LOG_GROUP = "ApiAccessLogGroup"
    CLUSTER_NAME = "ClusterName"
    SERVICE_NAME = "ServiceName"
    INBOX_QUEUE_URL = "InboxQueueUrl"
    INBOX_DLQ_URL = "InboxDeadLetterQueueUrl"


def stack_name_for(profile: str) -> str:
    """``BenchlingWebhookStack`` for the default profile, ``BenchlingWebhookStack-<profile>`` otherwise."""
    return STACK_BASE_NAME if profile == DEFAULT_PROFILE else f"{STACK_BASE_NAME}-{profile}"
