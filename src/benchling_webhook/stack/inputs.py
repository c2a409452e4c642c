"""``StackInputs``: everything the CDK constructs need, decided in plain Python before node starts.

Splitting the decisions (names, container environment, IAM resources, VPC mode, sizing) from the CDK
calls keeps them testable without a synth, and keeps the constructs a straight transcription. Values
that only CloudFormation knows (account, region, queue URLs) are filled in by the constructs as tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from benchling_webhook import __version__
from benchling_webhook.config.models import ProfileConfig, split_s3_uri
from benchling_webhook.constants import (
    ATHENA_RESULTS_PREFIX,
    CLIENT_IP_HEADER,
    CONTAINER_PORT,
    DEFAULT_ATHENA_WORKGROUP,
    EnvVars,
    stack_name_for,
)
from benchling_webhook.errors import ConfigError

DEFAULT_ECR_REPOSITORY = "benchling-webhook"
CONTAINER_NAME = "webhook"
COMMAND = ["benchling-webhook", "serve", "--role", "all"]
# python:*-slim has no curl; the image's Dockerfile (image/Dockerfile) runs the same HEALTHCHECK.
HEALTH_CHECK = [
    "CMD", "python", "-c",
    "import urllib.request; urllib.request.urlopen('http://localhost:8080/health/live', timeout=3)",
]
_ECR_URI_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9._/-]+?)(?::(?P<tag>[\w.-]+)|@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_SQS_HOST_RE = re.compile(r"^(?:sqs\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.")


@dataclass(frozen=True)
class EcrImage:
    """An image in a private ECR repository: the execution role gets pull rights on exactly that repo."""

    account: str | None
    region: str | None
    repository: str
    tag: str


@dataclass(frozen=True)
class ExistingVpc:
    vpc_id: str
    private_subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]


@dataclass(frozen=True)
class StackInputs:
    """The stack, decided: the constructs only transcribe this."""

    stack_name: str
    profile_name: str
    image_uri: str | None
    ecr_image: EcrImage | None
    vpc: ExistingVpc | None
    nat_gateways: int
    min_tasks: int
    max_tasks: int
    cpu: int
    memory: int
    fargate_spot: bool
    environment: tuple[tuple[str, str], ...]
    secret: str
    bucket: str
    packager_queue: tuple[str, str, str] | None
    athena_database: str | None
    alarm_email: str | None
    package_prefix: str = "benchling"  # the task may write only below <bucket>/<package_prefix>/
    revision_events: bool = False  # packager mode: route the Quilt stack's package-revision events to the worker
    athena_workgroup: str | None = None  # set (default DEFAULT_ATHENA_WORKGROUP) when there is an Athena database
    athena_results: tuple[str, str] | None = None  # (bucket, prefix ending in "/"): the task role's results prefix
    create_athena_workgroup: bool = False  # the stack's own workgroup, query results managed by Athena
    architecture: str = "x86_64"  # the task's CPU: x86_64 or arm64 (Graviton)
    throttle_rate: float = 50.0  # the API stage's steady requests per second
    throttle_burst: int = 200  # and the burst above it

    @property
    def env(self) -> dict[str, str]:
        """The container environment the profile decides (``container_environment`` adds the rest)."""
        return dict(self.environment)

    def container_environment(self, *, region: str, inbox_queue_url: str, inbox_dlq_url: str,
                              backfill_queue_url: str | None = None, state_table_name: str | None = None,
                              revision_events_queue_url: str | None = None,
                              athena_workgroup: str | None = None) -> dict[str, str]:
        """The task's whole environment: the profile's part plus what only CloudFormation knows (the
        constructs pass its tokens: the queues, the state table, and the workgroup the stack creates)."""
        env = {**self.env, EnvVars.AWS_REGION: region, EnvVars.INBOX_QUEUE_URL: inbox_queue_url,
               EnvVars.INBOX_DLQ_URL: inbox_dlq_url}
        if backfill_queue_url:
            env[EnvVars.BACKFILL_QUEUE_URL] = backfill_queue_url
        if state_table_name:
            env[EnvVars.STATE_TABLE] = state_table_name
        if revision_events_queue_url:
            env[EnvVars.REVISION_EVENTS_QUEUE_URL] = revision_events_queue_url
        if athena_workgroup:
            env[EnvVars.ATHENA_WORKGROUP] = athena_workgroup
        return env

    @property
    def created_workgroup_name(self) -> str:
        """The name of the workgroup the stack creates (unique per stack, so per profile and region)."""
        return f"{self.stack_name}-linked-packages"


def api_rate_per_task(tenant_rate: float, max_tasks: int) -> str:
    """Each task's fixed share of the tenant's Benchling budget (requests per second, as text).

    Fixed rather than drawn from one bucket in the state table: splitting by ``maxTasks`` keeps their sum
    within the budget however many run, at no cost per request (docs/container.md, "Why a fixed share per
    task").
    """
    return f"{tenant_rate / max_tasks:.4g}"


def parse_ecr_uri(uri: str) -> EcrImage | None:
    """``<acct>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`` → parts; any other registry → None."""
    match = _ECR_URI_RE.match(uri)
    if not match:
        return None
    tag = match["tag"] or match["digest"] or "latest"
    return EcrImage(match["account"], match["region"], match["repo"], tag)


def sqs_queue_parts(url: str, default_region: str) -> tuple[str, str, str]:
    """``https://sqs.<region>.amazonaws.com/<account>/<name>`` → (region, account, name) for an IAM ARN."""
    parsed = urlparse(url)
    parts = [p for p in parsed.path.split("/") if p]
    if parsed.scheme not in {"https", "http"} or len(parts) != 2 or not parts[0].isdigit():
        raise ConfigError(
            f"quilt.queueUrl '{url}' is not an SQS queue URL",
            hint="expected https://sqs.<region>.amazonaws.com/<account>/<queue>; re-run: benchling-webhook setup",
        )
    host = _SQS_HOST_RE.match(parsed.hostname or "")
    return (host["region"] if host else default_region, parts[0], parts[1])


def athena_results_location(profile: ProfileConfig) -> str:
    """Where linked-package query results go: the profile's location, else a prefix of the package bucket
    outside every package (``<prefix>/<display id>``) and outside Quilt's ``.quilt/`` registry."""
    return profile.quilt.athena_results_location or f"s3://{profile.packages.bucket}/{ATHENA_RESULTS_PREFIX}"


def _athena_results(profile: ProfileConfig, profile_name: str) -> tuple[str, str]:
    location = athena_results_location(profile)
    bucket, prefix = split_s3_uri(location)
    package_prefix = f"{profile.packages.prefix}/"
    if bucket == profile.packages.bucket and (not prefix or prefix.startswith((package_prefix, ".quilt/"))):
        raise ConfigError(
            f"quilt.athenaResultsLocation {location} would put query results among the packages of "
            f"s3://{bucket}/{package_prefix}",
            hint=f"use a prefix outside the packages (the default is s3://{bucket}/{ATHENA_RESULTS_PREFIX}); "
                 f"run: benchling-webhook setup --profile {profile_name}",
        )
    return bucket, prefix


def build_stack_inputs(profile: ProfileConfig, profile_name: str, image_uri: str | None = None) -> StackInputs:
    """Decide the stack for ``profile``; raises ``ConfigError`` naming the field when something is missing."""
    deployment = profile.deployment
    secret = profile.benchling.secret_arn
    if not secret:
        raise ConfigError(
            "benchling.secretArn is not set: the stack needs the Secrets Manager secret holding the client secret",
            hint=f"run: benchling-webhook setup --profile {profile_name}",
        )
    uri = image_uri or deployment.image_uri
    ecr = parse_ecr_uri(uri) if uri else EcrImage(None, None, DEFAULT_ECR_REPOSITORY,
                                                  deployment.image_tag or __version__)
    vpc = None
    if deployment.vpc is not None:
        v = deployment.vpc
        if len(v.availability_zones) < 2 or not v.private_subnet_ids:
            raise ConfigError(
                f"deployment.vpc {v.vpc_id} has no validated private subnets in 2 availability zones",
                hint=f"run: benchling-webhook setup --profile {profile_name} (it discovers them), "
                     "or deploy with AWS credentials so they can be discovered",
            )
        if len(v.private_subnet_ids) % len(v.availability_zones):
            raise ConfigError(
                "deployment.vpc.privateSubnetIds must list the same number of subnets for every availability zone",
                hint=f"run: benchling-webhook setup --profile {profile_name}",
            )
        vpc = ExistingVpc(v.vpc_id, tuple(v.private_subnet_ids), tuple(v.availability_zones))

    quilt = profile.quilt
    env: dict[str, str] = {
        EnvVars.PORT: str(CONTAINER_PORT),
        EnvVars.BENCHLING_SECRET: secret,
        EnvVars.PACKAGE_BUCKET: profile.packages.bucket,
        EnvVars.PACKAGE_PREFIX: profile.packages.prefix,
        EnvVars.METADATA_KEY: profile.packages.metadata_key,
        EnvVars.ENABLE_WEBHOOK_VERIFICATION: "true" if profile.security.enable_verification else "false",
        EnvVars.LOG_LEVEL: profile.logging.level,
        EnvVars.BENCHLING_API_RATE: api_rate_per_task(profile.benchling.api_rate, deployment.max_tasks),
    }
    optional = {
        EnvVars.PACKAGER_SQS_URL: quilt.queue_url,
        EnvVars.QUILT_WORKFLOW: profile.packages.workflow,
        EnvVars.QUILT_WEB_HOST: quilt.catalog,
        EnvVars.ATHENA_USER_DATABASE: quilt.database,
        EnvVars.WEBHOOK_ALLOW_LIST: ",".join(profile.security.webhook_allow_list),
        EnvVars.CLIENT_IP_HEADER: CLIENT_IP_HEADER,
        EnvVars.BENCHLING_BASE_URL: profile.benchling.base_url,
    }
    env.update({k: v for k, v in optional.items() if v})
    workgroup, results = None, None
    create_workgroup = bool(quilt.database and quilt.create_athena_workgroup)
    if quilt.database and not create_workgroup:  # linked-package queries need a workgroup and a results prefix
        workgroup = quilt.athena_workgroup or DEFAULT_ATHENA_WORKGROUP
        results = _athena_results(profile, profile_name)
        env[EnvVars.ATHENA_WORKGROUP] = workgroup
        env[EnvVars.ATHENA_OUTPUT_LOCATION] = f"s3://{results[0]}/{results[1]}"
    packager = sqs_queue_parts(quilt.queue_url, deployment.region) if quilt.queue_url else None
    return StackInputs(
        stack_name=stack_name_for(profile_name),
        profile_name=profile_name,
        image_uri=uri,
        ecr_image=ecr,
        vpc=vpc,
        nat_gateways=deployment.nat_gateways,
        min_tasks=deployment.min_tasks,
        max_tasks=deployment.max_tasks,
        cpu=deployment.cpu,
        memory=deployment.memory,
        fargate_spot=deployment.fargate_spot,
        environment=tuple(sorted(env.items())),
        secret=secret,
        bucket=profile.packages.bucket,
        packager_queue=packager,
        package_prefix=profile.packages.prefix,
        revision_events=packager is not None,
        athena_database=quilt.database,
        alarm_email=deployment.alarm_email,
        athena_workgroup=workgroup,
        athena_results=results,
        create_athena_workgroup=create_workgroup,
        architecture=deployment.architecture,
        throttle_rate=profile.security.throttle_rate,
        throttle_burst=profile.security.throttle_burst,
    )
