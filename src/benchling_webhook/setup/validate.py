"""Live checks behind the wizard: Benchling client credentials, the package bucket, an existing VPC, the
Athena workgroup.

Each check either returns what it learned (a bucket's region, a VPC's subnets) or raises an error whose
message says what is wrong and whose hint says what to do. Local syntax checks (``check_*``) return an
error message or ``None`` so prompts can re-ask without raising.

The Benchling base URL is overridable (``benchling.baseUrl`` / ``--benchling-base-url``): the local
sandbox and the tests serve the token endpoint on loopback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from benchling_webhook.aws.errors import error_code
from benchling_webhook.config.models import (
    BUCKET_NAME_RE,
    FARGATE_MEMORY,
    VPC_ID_RE,
    WORKFLOW_ID_RE,
    WORKGROUP_RE,
    VpcConfig,
    describe_fargate_memory,
    s3_uri_problem,
)
from benchling_webhook.config.values import benchling_url, normalize_tenant, tenant_problem
from benchling_webhook.errors import BenchlingAuthError, ValidationFailedError

_APPDEF_RE = re.compile(r"^appdef_[A-Za-z0-9]+$")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_IMAGE_RE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# -- local syntax checks (no network) -------------------------------------------------------------------
def check_tenant(value: str) -> str | None:
    if tenant_problem(value):
        return "enter your Benchling tenant, e.g. acme, acme.benchling.com or https://acme.benchling.com"
    return None


def check_app_definition_id(value: str) -> str | None:
    if not _APPDEF_RE.match(value.strip()):
        return "app definition ids look like appdef_… (Developer Console → Apps → your app)"
    return None


def normalize_bucket(value: str) -> str:
    """``s3://bucket/`` and ``bucket`` both mean ``bucket``."""
    return value.strip().removeprefix("s3://").split("/", 1)[0]


def check_bucket_name(value: str) -> str | None:
    if not BUCKET_NAME_RE.fullmatch(normalize_bucket(value)):
        return "enter an S3 bucket name, e.g. my-quilt-bucket (3-63 lowercase letters, digits, '.', '-')"
    return None


def check_segment(value: str) -> str | None:
    if not _SEGMENT_RE.match(value.strip().strip("/")):
        return "enter one path segment without '/', e.g. benchling"
    return None


def check_region(value: str) -> str | None:
    from benchling_webhook.setup.discovery import is_region

    return None if is_region(value.strip()) else "enter an AWS region, e.g. us-east-1"


def check_vpc_id(value: str) -> str | None:
    text = value.strip()
    if text in {"", "new"} or VPC_ID_RE.fullmatch(text):
        return None
    return "enter a VPC id like vpc-0123456789abcdef0, or 'new' to create one"


def check_image_uri(value: str) -> str | None:
    text = value.strip()
    if not text or _IMAGE_RE.match(text):
        return None
    return "enter an image URI, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/benchling-webhook:1.0"


def check_required(value: str) -> str | None:
    return None if value.strip() else "a value is required"


def check_task_count(value: str) -> str | None:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 100:
        return "enter a whole number of tasks from 1 to 100"
    return None


def check_memory(cpu: int, value: str) -> str | None:
    """Fargate allows only some memory sizes for each CPU size."""
    text = value.strip()
    if not text.isdigit() or int(text) not in FARGATE_MEMORY.get(cpu, ()):
        return f"Fargate memory for cpu {cpu} is {describe_fargate_memory(cpu)} (MiB)"
    return None


def check_email(value: str) -> str | None:
    text = value.strip()
    if text and not _EMAIL_RE.match(text):
        return "enter an email address, e.g. oncall@example.com (or leave it empty)"
    return None


def check_workgroup(value: str) -> str | None:
    if not WORKGROUP_RE.fullmatch(value.strip()):
        return "enter an Athena workgroup name (letters, digits, '.', '_', '-'), e.g. primary"
    return None


def check_workflow(value: str) -> str | None:
    if not WORKFLOW_ID_RE.fullmatch(value.strip()):
        return "enter a Quilt workflow id (letters, digits, '_' and '-'), or 'none'"
    return None


def check_s3_location(value: str) -> str | None:
    text = value.strip()
    return s3_uri_problem(text) if text else None


# -- Benchling --------------------------------------------------------------------------------------------
def verify_benchling_credentials(tenant: str, client_id: str, client_secret: str, *, base_url: str | None = None,
                                 timeout: float = 10.0, transport: Any = None) -> None:
    """Ask Benchling for a client-credentials token; a refusal raises ``BenchlingAuthError``."""
    import httpx

    base = benchling_url(tenant, base_url)
    url = f"{base}/api/v2/token"
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(url, data={"grant_type": "client_credentials"}, auth=(client_id, client_secret),
                                   headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ValidationFailedError(
            f"cannot reach Benchling at {base} ({type(exc).__name__})",
            hint="check the tenant name and your network, or pass --skip-validation to save without checking",
        ) from None
    if response.status_code in (400, 401, 403):
        raise BenchlingAuthError(
            f"Benchling refused the client id and secret for tenant '{normalize_tenant(tenant)}' "
            f"(HTTP {response.status_code})",
            hint="copy both from Developer Console → Apps → your app → Client credentials "
                 "(generate a new secret if unsure)",
        )
    if response.status_code == 404:
        raise ValidationFailedError(
            f"{url} was not found (HTTP 404)",
            hint="check the tenant: it is the first part of your Benchling address, e.g. acme for acme.benchling.com",
        )
    if response.status_code != 200:
        raise ValidationFailedError(
            f"Benchling's token endpoint answered HTTP {response.status_code}",
            hint="try again in a minute, or pass --skip-validation to save without checking",
        )
    try:
        token = response.json().get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not token:
        raise ValidationFailedError(
            f"{url} did not return an access token",
            hint="check the tenant (and --benchling-base-url if you set one)",
        )


# -- S3 -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BucketInfo:
    name: str
    region: str


def _header_region(response: Any) -> str | None:
    headers = (response or {}).get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = headers.get("x-amz-bucket-region")
    return str(region) if region else None


def verify_bucket(s3: Any, bucket: str) -> BucketInfo:
    """The bucket exists and these credentials can list it; returns its region."""
    import botocore.exceptions

    name = normalize_bucket(bucket)
    try:
        response = s3.head_bucket(Bucket=name)
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        if code in {"404", "NoSuchBucket", "NotFound"}:
            raise ValidationFailedError(
                f"S3 bucket '{name}' does not exist",
                hint="check the name (aws s3 ls lists your buckets), or create the bucket first",
            ) from None
        if code in {"403", "AccessDenied", "Forbidden"}:
            raise ValidationFailedError(
                f"S3 bucket '{name}' exists but these AWS credentials cannot read it (HTTP 403)",
                hint="use credentials that may list the bucket (--aws-profile), or pick another bucket",
            ) from None
        raise
    region = _header_region(response)
    if region is None:
        location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
        region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
    return BucketInfo(name=name, region=str(region))


# -- VPC ------------------------------------------------------------------------------------------------------
def verify_vpc(ec2: Any, vpc_id: str) -> VpcConfig:
    """An existing VPC usable by the stack (>= 2 AZs of private subnets routed through NAT), with its subnets."""
    from benchling_webhook.aws.ec2 import validate_vpc

    return VpcConfig.model_validate(validate_vpc(ec2, vpc_id).as_profile_vpc())


# -- Athena ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkgroupInfo:
    """An Athena workgroup's result settings: when ``enforced``, queries write to ``output_location`` whatever
    the caller asks, so that is the location the task role must be able to write."""

    name: str
    output_location: str | None
    enforced: bool


def verify_athena_workgroup(athena: Any, name: str, region: str) -> WorkgroupInfo | None:
    """The workgroup exists and is enabled; ``None`` when these credentials may not read it (not checked)."""
    import botocore.exceptions

    try:
        group = athena.get_work_group(WorkGroup=name).get("WorkGroup")
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in {"AccessDenied", "AccessDeniedException"}:
            return None
        if error_code(exc) != "InvalidRequestException":
            raise
        group = None
    if not group:
        raise ValidationFailedError(
            f"Athena workgroup '{name}' does not exist in {region}",
            hint="enter an existing workgroup (Athena console → Workgroups), e.g. primary",
        )
    if group.get("State") == "DISABLED":
        raise ValidationFailedError(f"Athena workgroup '{name}' is disabled",
                                    hint="enable it in the Athena console, or choose another workgroup")
    configuration = group.get("Configuration") or {}
    location = (configuration.get("ResultConfiguration") or {}).get("OutputLocation") or None
    enforced = bool(configuration.get("EnforceWorkGroupConfiguration"))
    if enforced and not location:
        raise ValidationFailedError(
            f"Athena workgroup '{name}' enforces its settings but has no query result location",
            hint="set a result location in the workgroup, or choose another workgroup (e.g. primary)",
        )
    return WorkgroupInfo(name=name, output_location=location, enforced=enforced)
