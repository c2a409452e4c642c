"""``ServerSettings``: the one settings model of a server process (the container contract: docs/container.md).

Built by ``get_settings()`` (cached) and passed to ``create_app(settings)``; nothing reads the
environment at import time. Every field reads the variable ``EnvVars`` names for it, the same constant
the stack and the local environment set.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from benchling_webhook.config.values import BaseUrl, benchling_url, split_cidrs
from benchling_webhook.constants import (
    CONTAINER_PORT,
    DEFAULT_ATHENA_WORKGROUP,
    DEFAULT_METADATA_KEY,
    DEFAULT_PACKAGE_PREFIX,
    DEFAULT_TENANT_API_RATE,
    EnvVars,
)

DEFAULT_JWKS_URL = "https://apps.benchling.com/api/v1/apps/{app_definition_id}/jwks"


class ServerSettings(BaseSettings):
    """Everything the web and worker roles read from the environment."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", populate_by_name=True)

    port: int = Field(default=CONTAINER_PORT, validation_alias=EnvVars.PORT)
    aws_region: str | None = Field(
        default=None, validation_alias=AliasChoices(EnvVars.AWS_REGION, EnvVars.AWS_DEFAULT_REGION))
    aws_endpoint_url: str | None = Field(default=None, validation_alias=EnvVars.AWS_ENDPOINT_URL)
    aws_endpoint_url_sqs: str | None = Field(default=None, validation_alias=EnvVars.AWS_ENDPOINT_URL_SQS)
    benchling_secret: str | None = Field(default=None, validation_alias=EnvVars.BENCHLING_SECRET)
    inbox_queue_url: str | None = Field(default=None, validation_alias=EnvVars.INBOX_QUEUE_URL)
    inbox_dlq_url: str | None = Field(default=None, validation_alias=EnvVars.INBOX_DLQ_URL)
    # The low-priority queue ``benchling-webhook backfill`` fills; the worker drains it only while the inbox is empty.
    backfill_queue_url: str | None = Field(default=None, validation_alias=EnvVars.BACKFILL_QUEUE_URL)
    # The DynamoDB table of the workers' shared state: entry leases, webhook de-duplication, canvas claims.
    state_table: str | None = Field(default=None, validation_alias=EnvVars.STATE_TABLE)
    package_bucket: str | None = Field(default=None, validation_alias=EnvVars.PACKAGE_BUCKET)
    package_prefix: str = Field(default=DEFAULT_PACKAGE_PREFIX, validation_alias=EnvVars.PACKAGE_PREFIX)
    metadata_key: str = Field(default=DEFAULT_METADATA_KEY, validation_alias=EnvVars.METADATA_KEY)
    packager_sqs_url: str | None = Field(default=None, validation_alias=EnvVars.PACKAGER_SQS_URL)
    quilt_workflow: str | None = Field(default=None, validation_alias=EnvVars.QUILT_WORKFLOW)
    revision_events_queue_url: str | None = Field(default=None, validation_alias=EnvVars.REVISION_EVENTS_QUEUE_URL)
    quilt_web_host: str | None = Field(default=None, validation_alias=EnvVars.QUILT_WEB_HOST)
    athena_user_database: str | None = Field(default=None, validation_alias=EnvVars.ATHENA_USER_DATABASE)
    athena_workgroup: str = Field(default=DEFAULT_ATHENA_WORKGROUP, validation_alias=EnvVars.ATHENA_WORKGROUP)
    athena_output_location: str | None = Field(default=None, validation_alias=EnvVars.ATHENA_OUTPUT_LOCATION)
    enable_webhook_verification: bool = Field(default=True, validation_alias=EnvVars.ENABLE_WEBHOOK_VERIFICATION)
    webhook_allow_list: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=EnvVars.WEBHOOK_ALLOW_LIST)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", validation_alias=EnvVars.LOG_LEVEL)
    benchling_base_url: BaseUrl | None = Field(default=None, validation_alias=EnvVars.BENCHLING_BASE_URL)
    benchling_jwks_url: str = Field(default=DEFAULT_JWKS_URL, validation_alias=EnvVars.BENCHLING_JWKS_URL)
    # Worker tuning (defaults suit Benchling's ~60 requests / 30 s tenant limit).
    worker_concurrency: int = Field(default=4, ge=1, le=64, validation_alias=EnvVars.WORKER_CONCURRENCY)
    # An event that still fails once it is this old is dead-lettered (1 hour rides out an outage).
    inbox_max_age_seconds: float = Field(default=3600.0, ge=1, le=14 * 24 * 3600,
                                         validation_alias=EnvVars.INBOX_MAX_AGE_SECONDS)
    # How long a received message stays invisible; the worker extends it while it works (a crashed task's
    # messages come back this long after their last extension).
    inbox_visibility_seconds: int = Field(default=60, ge=2, le=12 * 3600,
                                          validation_alias=EnvVars.INBOX_VISIBILITY_SECONDS)
    # Retry delays: the first, doubled per receive, capped.
    retry_base_seconds: float = Field(default=5.0, ge=0, le=3600, validation_alias=EnvVars.RETRY_BASE_SECONDS)
    retry_max_seconds: float = Field(default=300.0, ge=1, le=12 * 3600, validation_alias=EnvVars.RETRY_MAX_SECONDS)
    # An entry's lease; the holder renews it every third of this (a crashed holder's lapses after it).
    lease_seconds: float = Field(default=60.0, ge=1, le=3600, validation_alias=EnvVars.LEASE_SECONDS)
    coalesce_quiet_seconds: float = Field(default=2.0, ge=0, validation_alias=EnvVars.COALESCE_QUIET_SECONDS)
    coalesce_max_seconds: float = Field(default=10.0, ge=0, validation_alias=EnvVars.COALESCE_MAX_SECONDS)
    export_timeout_seconds: float = Field(default=600.0, gt=0, validation_alias=EnvVars.EXPORT_TIMEOUT_SECONDS)
    # How long the worker keeps an installation's App Configuration before reading it again.
    app_config_ttl_seconds: float = Field(default=60.0, ge=0, le=3600,
                                          validation_alias=EnvVars.APP_CONFIG_TTL_SECONDS)
    # Benchling API requests per second this process may make (its share of the tenant's budget).
    benchling_api_rate: float = Field(default=DEFAULT_TENANT_API_RATE, gt=0, le=1000,
                                      validation_alias=EnvVars.BENCHLING_API_RATE)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, validation_alias=EnvVars.MAX_BODY_BYTES)
    # The request header the edge overwrites with the caller's address (the stack sets it); unset: the TCP
    # peer is the caller (a local run, no edge). X-Forwarded-For and Forwarded are never trusted.
    client_ip_header: str | None = Field(default=None, validation_alias=EnvVars.CLIENT_IP_HEADER)
    # Request headers that have not arrived this long after the connection (or the request's first byte)
    # close it; a body that has not arrived this long after its headers is answered 408.
    read_timeout_seconds: float = Field(default=10.0, gt=0, le=120,
                                             validation_alias=EnvVars.READ_TIMEOUT_SECONDS)
    # /docs, /redoc and /openapi.json: on for local runs, off behind the public edge.
    api_docs: bool = Field(default=False, validation_alias=EnvVars.API_DOCS)
    # The process tuning of server/tuning.py (off: CPython's and uvicorn's defaults, e.g. to compare).
    server_tuning: bool = Field(default=True, validation_alias=EnvVars.SERVER_TUNING)

    @field_validator("webhook_allow_list", mode="before")
    @classmethod
    def _split_cidrs(cls, value: object) -> object:
        return split_cidrs(value) if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("package_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        # A Quilt package name is "<prefix>/<display id>": exactly one segment before the slash.
        value = value.strip("/") or DEFAULT_PACKAGE_PREFIX
        if "/" in value:
            raise ValueError(f"{EnvVars.PACKAGE_PREFIX} must be one path segment, e.g. 'benchling'")
        return value

    def jwks_url_for(self, app_definition_id: str) -> str:
        return self.benchling_jwks_url.replace("{app_definition_id}", app_definition_id)

    def benchling_url_for(self, tenant: str) -> str:
        """API root without ``/api/v2`` (``https://<tenant>.benchling.com`` unless overridden)."""
        return benchling_url(tenant, self.benchling_base_url)

    @property
    def sqs_endpoint_url(self) -> str | None:
        """Where SQS calls go: ``AWS_ENDPOINT_URL_SQS``, else ``AWS_ENDPOINT_URL`` (as boto3 chooses)."""
        return self.aws_endpoint_url_sqs or self.aws_endpoint_url


@lru_cache(maxsize=1)
def get_settings() -> ServerSettings:
    return ServerSettings()
