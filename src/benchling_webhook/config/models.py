"""The profile: one pydantic model tree; on disk its keys are camelCase.

Attributes are snake_case with camelCase aliases; our own sections forbid unknown keys so a typo is an
error that names the field instead of a silently ignored setting. The client secret is never part of a
profile: it lives in Secrets Manager and the profile keeps ``benchling.secretArn``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from benchling_webhook.config.values import BaseUrl, Tenant, split_cidrs
from benchling_webhook.constants import (
    DEFAULT_METADATA_KEY,
    DEFAULT_PACKAGE_PREFIX,
    DEFAULT_TENANT_API_RATE,
    Architecture,
    ImageBuildMode,
)

# The names these values may have (use with ``fullmatch``); ``setup`` checks its answers with the same ones.
WORKGROUP_RE = re.compile(r"[A-Za-z0-9._-]{1,128}")
# A Quilt workflow id, as the workflows config schema allows it (docs/quilt.md).
WORKFLOW_ID_RE = re.compile(r"[A-Za-z_-][A-Za-z0-9_-]{0,63}")
_BUCKET_NAME = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
BUCKET_NAME_RE = re.compile(_BUCKET_NAME)
_S3_URI_RE = re.compile(rf"s3://(?P<bucket>{_BUCKET_NAME})(?:/(?P<key>[^\s]*))?")
VPC_ID_RE = re.compile(r"vpc-[0-9a-f]{8,17}")
# Fargate's task sizes: CPU units -> the memory (MiB) each allows.
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
}


class _Section(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", validate_assignment=True
    )


def s3_uri_problem(value: str) -> str | None:
    """Why ``value`` is not an ``s3://bucket[/prefix/]`` URI, or ``None``."""
    if not _S3_URI_RE.fullmatch(value.strip()):
        return f"'{value}' is not an S3 location (expected s3://bucket/prefix/)"
    return None


def split_s3_uri(value: str) -> tuple[str, str]:
    """``s3://bucket/a/b/`` → ``("bucket", "a/b/")`` (the prefix is empty or ends with ``/``)."""
    match = _S3_URI_RE.fullmatch(value.strip())
    if not match:
        raise ValueError(s3_uri_problem(value))
    key = (match["key"] or "").strip("/")
    return match["bucket"], f"{key}/" if key else ""


def describe_fargate_memory(cpu: int) -> str:
    """The memory sizes Fargate allows for ``cpu`` units, in words (``2048 to 8192 in steps of 1024``)."""
    sizes = FARGATE_MEMORY.get(cpu, ())
    if len(sizes) <= 3:
        return ", ".join(map(str, sizes[:-1])) + f" or {sizes[-1]}" if sizes else "none"
    return f"{sizes[0]} to {sizes[-1]} in steps of {sizes[1] - sizes[0]}"


def normalize_catalog(value: str) -> str:
    """A catalog is stored as its host name (``https://x.example.com/path`` → ``x.example.com``)."""
    text = value.strip()
    text = re.sub(r"^[A-Za-z]+://", "", text)
    return text.split("/", 1)[0]


class QuiltConfig(_Section):
    """Where the Quilt stack is and what it offers.

    ``athena_workgroup`` (default ``primary``) runs the linked-package queries; their results go to
    ``athena_results_location`` (an ``s3://bucket/prefix/`` URI; by default a prefix of the package bucket
    outside every package, see ``stack/inputs.py``). The stack grants the task role exactly that prefix.
    With ``create_athena_workgroup`` (setup's choice when the Quilt stack has no usable workgroup) the stack
    creates a workgroup of its own whose query results Athena manages: no results bucket at all.
    """

    stack_arn: str | None = None
    catalog: str | None = None
    bucket: str | None = None
    database: str | None = None
    queue_url: str | None = None
    region: str | None = None
    write_role_arn: str | None = None
    athena_workgroup: str | None = None
    athena_results_location: str | None = None
    create_athena_workgroup: bool | None = None  # None (left out of the file) means no

    @field_validator("catalog")
    @classmethod
    def _catalog_host(cls, value: str | None) -> str | None:
        return normalize_catalog(value) if value else value

    @field_validator("athena_workgroup")
    @classmethod
    def _workgroup(cls, value: str | None) -> str | None:
        if value and not WORKGROUP_RE.fullmatch(value):
            raise ValueError(f"'{value}' is not an Athena workgroup name (1-128 letters, digits, '.', '_', '-')")
        return value or None

    @field_validator("athena_results_location")
    @classmethod
    def _results_location(cls, value: str | None) -> str | None:
        if not value:
            return None
        problem = s3_uri_problem(value)
        if problem:
            raise ValueError(problem)
        return value.rstrip("/") + "/"

    @model_validator(mode="after")
    def _one_workgroup(self) -> QuiltConfig:
        if self.create_athena_workgroup and (self.athena_workgroup or self.athena_results_location):
            raise ValueError("createAthenaWorkgroup: the stack creates its own workgroup with managed query results; "
                             "leave athenaWorkgroup and athenaResultsLocation empty")
        return self


class BenchlingConfig(_Section):
    """The Benchling tenant and app; the secret itself is in Secrets Manager at ``secret_arn``."""

    tenant: Tenant
    client_id: str
    app_definition_id: str
    secret_arn: str | None = None
    base_url: BaseUrl | None = Field(default=None, description="API base override (a local sandbox)")
    # The tenant's API budget for the app, requests per second (Benchling's default: 60 per 30 s). Every
    # worker task gets apiRate / deployment.maxTasks of it.
    api_rate: Annotated[float, Field(gt=0, le=1000)] = DEFAULT_TENANT_API_RATE

    @model_validator(mode="before")
    @classmethod
    def _no_secret(cls, data: Any) -> Any:
        if isinstance(data, dict) and ({"clientSecret", "client_secret"} & set(data)):
            raise ValueError(
                "clientSecret must not be stored in a profile; it belongs in Secrets Manager (benchling.secretArn)"
            )
        return data


class PackagesConfig(_Section):
    """Where packages are written, which metadata key links them to entries, and the Quilt workflow
    every revision goes through (one of the bucket's ``.quilt/workflows/config.yml``; ``setup`` checks it)."""

    bucket: str
    prefix: str = DEFAULT_PACKAGE_PREFIX
    metadata_key: str = DEFAULT_METADATA_KEY
    workflow: str | None = None

    @field_validator("workflow")
    @classmethod
    def _workflow(cls, value: str | None) -> str | None:
        if value and not WORKFLOW_ID_RE.fullmatch(value):
            raise ValueError(f"'{value}' is not a Quilt workflow id (letters, digits, '_' and '-', at most 64)")
        return value or None

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip("/")
        # It is both an S3 prefix and the first half of every package name ("benchling/EXP00001234").
        if not re.fullmatch(r"[A-Za-z0-9_]([\w-]*[A-Za-z0-9_])?", value) or len(value) > 64:
            raise ValueError("prefix must be one segment of letters, digits, '_' and '-', e.g. 'benchling'")
        return value


class VpcConfig(_Section):
    """An existing VPC; subnet ids and AZs are discovered and validated by ``setup``."""

    vpc_id: str
    private_subnet_ids: list[str] = Field(default_factory=list)
    availability_zones: list[str] = Field(default_factory=list)
    cidr_block: str | None = None

    @field_validator("vpc_id")
    @classmethod
    def _vpc_id(cls, value: str) -> str:
        if not VPC_ID_RE.fullmatch(value):
            raise ValueError(f"'{value}' is not a VPC id (expected vpc-0123456789abcdef0)")
        return value


class DeploymentConfig(_Section):
    """How and where the stack is deployed, with the sizing and cost options."""

    region: str
    account: str | None = None
    image_tag: str | None = None
    image_uri: str | None = None
    # How an image is made when imageUri is unset: auto = local Docker if a daemon answers, else CodeBuild.
    image_build: ImageBuildMode = ImageBuildMode.AUTO
    # Graviton (arm64) Fargate tasks cost about 20 % less than x86_64 ones for the same size.
    architecture: Architecture = Architecture.X86_64
    vpc: VpcConfig | None = None
    alarm_email: str | None = None
    nat_gateways: Annotated[int, Field(ge=1, le=2)] = 2
    min_tasks: Annotated[int, Field(ge=1, le=100)] = 2
    max_tasks: Annotated[int, Field(ge=1, le=100)] = 10
    cpu: Literal[256, 512, 1024, 2048, 4096] = 1024
    memory: Annotated[int, Field(ge=512, le=30720)] = 2048
    fargate_spot: bool = False

    @model_validator(mode="after")
    def _task_range(self) -> DeploymentConfig:
        if self.min_tasks > self.max_tasks:
            raise ValueError(f"minTasks ({self.min_tasks}) is larger than maxTasks ({self.max_tasks})")
        if self.memory not in FARGATE_MEMORY[self.cpu]:  # ECS would refuse the task definition at deploy time
            raise ValueError(f"memory {self.memory} is not a Fargate size for cpu {self.cpu} "
                             f"(valid: {describe_fargate_memory(self.cpu)})")
        return self


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class SecurityConfig(_Section):
    enable_verification: bool = True
    webhook_allow_list: list[str] = Field(default_factory=list)
    # API Gateway throttling of the webhook endpoint. One Benchling tenant sends at most a few events a
    # second, with bursts of one event per edited field; 50/s with a burst of 200 leaves room for a bulk
    # edit while capping what a flood of junk requests can cost.
    throttle_rate: Annotated[float, Field(gt=0, le=10_000)] = 50.0
    throttle_burst: Annotated[int, Field(ge=1, le=5_000)] = 200

    @field_validator("webhook_allow_list", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_cidrs(value) if isinstance(value, str) else value

    @field_validator("webhook_allow_list")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"'{cidr}' is not an IP address or CIDR block") from None
        return value


class ProfileConfig(_Section):
    """A whole profile (``config.json``)."""

    quilt: QuiltConfig = Field(default_factory=QuiltConfig)
    benchling: BenchlingConfig
    packages: PackagesConfig
    deployment: DeploymentConfig
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True, indent=2) + "\n"
