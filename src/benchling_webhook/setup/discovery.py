"""Find the Quilt stack behind a catalog URL.

A Quilt catalog serves ``/config.json`` with the AWS ``region`` it runs in. In that region the Quilt
stack is the CloudFormation stack whose ``QuiltWebHost`` output is the catalog's host name, and its
outputs name the packager queue, the Athena database and (sometimes) the bucket, the user Athena workgroup
and the Athena results bucket. Stack output names
have changed across Quilt releases, so each value is looked up under every name we know of.

A Quilt stack runs in a VPC it is given: its ``VPC`` parameter names it, and stacks without that parameter
export ``OutboundSecurityGroup``, a security group of that VPC. Setup offers that VPC first
(``quilt_stack_vpc``).

The catalog URL may be ``http://`` (a local stand-in in tests); a bare host means ``https://``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from benchling_webhook.aws.cloudformation import CloudFormation, stack_outputs
from benchling_webhook.config.models import QuiltConfig, normalize_catalog
from benchling_webhook.errors import ValidationFailedError

_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")

QUEUE_OUTPUTS = ("PackagerQueueUrl", "PackagerQueueURL", "QueueUrl")
DATABASE_OUTPUTS = ("UserAthenaDatabaseName", "UserAthenaDatabase", "AthenaUserDatabase", "AthenaDatabase")
BUCKET_OUTPUTS = ("UserBucket", "BucketName", "Bucket", "DefaultBucket")
# Athena: the names Quilt's own benchling-webhook integration reads; many Quilt stacks export neither (their
# user workgroup is a resource, not an output), so setup asks and defaults to ``primary`` + our own prefix.
WORKGROUP_OUTPUTS = ("UserAthenaWorkgroupName",)
RESULTS_BUCKET_OUTPUTS = ("AthenaResultsBucketName",)
RESULTS_PREFIX_IN_QUILT_BUCKET = "benchling-webhook/athena-results/"
WEB_HOST_OUTPUT = "QuiltWebHost"
VPC_PARAMETERS = ("VPC", "VpcId", "Vpc")
SECURITY_GROUP_OUTPUTS = ("OutboundSecurityGroup",)


def is_region(value: str) -> bool:
    """``us-east-1``-shaped (the check is about typos, not about which regions exist today)."""
    return bool(_REGION_RE.match(value))


@dataclass(frozen=True)
class CatalogInfo:
    """What a catalog's ``config.json`` tells us."""

    host: str
    config_url: str
    region: str


def catalog_config_url(catalog: str) -> str:
    """``https://<host>/config.json``; an explicit ``http://`` scheme is kept (local catalogs, tests)."""
    text = catalog.strip()
    scheme = "http" if text.lower().startswith("http://") else "https"
    return f"{scheme}://{normalize_catalog(text)}/config.json"


def fetch_catalog_info(catalog: str, *, timeout: float = 10.0, transport: Any = None) -> CatalogInfo:
    """Read the catalog's ``config.json``; every failure says which URL and what to check."""
    import httpx

    host = normalize_catalog(catalog)
    if not host:
        raise ValidationFailedError("the catalog URL is empty", hint="enter e.g. https://quilt.example.com")
    url = catalog_config_url(catalog)
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=True) as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ValidationFailedError(
            f"cannot reach the Quilt catalog at {url} ({type(exc).__name__})",
            hint="check the catalog URL (the address you open in a browser) and your network",
        ) from None
    if response.status_code != 200:
        raise ValidationFailedError(
            f"{url} answered HTTP {response.status_code}",
            hint="check the catalog URL: it is the address of your Quilt web catalog",
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    region = data.get("region") if isinstance(data, dict) else None
    if not isinstance(region, str) or not is_region(region):
        raise ValidationFailedError(
            f"{url} is not a Quilt catalog configuration (no AWS region in it)",
            hint="check the catalog URL, or enter the Quilt values by hand (leave the catalog empty)",
        )
    return CatalogInfo(host=host, config_url=url, region=region)


def _first(outputs: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = outputs.get(name)
        if value:
            return value
    return None


@dataclass(frozen=True)
class QuiltStack:
    """A Quilt CloudFormation stack and the outputs we use."""

    name: str
    arn: str
    region: str
    outputs: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def queue_url(self) -> str | None:
        value = _first(self.outputs, QUEUE_OUTPUTS)
        # Older stacks export the queue ARN under a similar name; only a URL is usable.
        return value if value and value.startswith(("https://", "http://")) else None

    @property
    def database(self) -> str | None:
        return _first(self.outputs, DATABASE_OUTPUTS)

    @property
    def bucket(self) -> str | None:
        value = _first(self.outputs, BUCKET_OUTPUTS)
        return value.removeprefix("s3://").strip("/") if value else None

    @property
    def athena_workgroup(self) -> str | None:
        return _first(self.outputs, WORKGROUP_OUTPUTS)

    @property
    def athena_results_location(self) -> str | None:
        """A prefix of our own in the stack's Athena results bucket (the output names a bucket, or a URI)."""
        value = _first(self.outputs, RESULTS_BUCKET_OUTPUTS)
        if not value:
            return None
        if value.startswith("s3://"):
            return value.rstrip("/") + "/"
        return f"s3://{value.strip('/')}/{RESULTS_PREFIX_IN_QUILT_BUCKET}"

    @property
    def web_host(self) -> str | None:
        value = self.outputs.get(WEB_HOST_OUTPUT)
        return normalize_catalog(value).lower() if value else None

    def to_quilt_config(self, catalog_host: str, write_role_arn: str | None = None) -> QuiltConfig:
        return QuiltConfig(stack_arn=self.arn, catalog=catalog_host, bucket=self.bucket, database=self.database,
                           queue_url=self.queue_url, region=self.region, write_role_arn=write_role_arn,
                           athena_workgroup=self.athena_workgroup,
                           athena_results_location=self.athena_results_location)


def _to_quilt_stack(stack: dict[str, Any], region: str) -> QuiltStack:
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters") or []}
    return QuiltStack(name=stack["StackName"], arn=stack["StackId"], region=region, outputs=stack_outputs(stack),
                      parameters=parameters)


def quilt_stack_vpc(ec2: Any, stack: QuiltStack) -> str | None:
    """The VPC the Quilt stack runs in: its ``VPC`` parameter, else its outbound security group's VPC."""
    named = _first(stack.parameters, VPC_PARAMETERS)
    if named and named.startswith("vpc-"):
        return named
    group = _first(stack.outputs, SECURITY_GROUP_OUTPUTS)
    if not group or not group.startswith("sg-"):
        return None
    groups = ec2.describe_security_groups(GroupIds=[group]).get("SecurityGroups", [])
    vpc_id = groups[0].get("VpcId") if groups else None
    return str(vpc_id) if vpc_id else None


def describe_quilt_stack(cloudformation: Any, stack_arn: str, region: str) -> QuiltStack | None:
    """The profile's known Quilt stack with fresh outputs, or ``None`` if it is gone (re-runs skip the search)."""
    stack = CloudFormation(cloudformation).describe(stack_arn)
    if stack is None or stack.get("StackStatus", "").startswith("DELETE_"):
        return None
    return _to_quilt_stack(stack, region)


def find_quilt_stacks(cloudformation: Any, catalog_host: str, region: str) -> list[QuiltStack]:
    """Stacks whose ``QuiltWebHost`` output is ``catalog_host`` (compared without scheme, case-insensitive)."""
    want = normalize_catalog(catalog_host).lower()
    found = []
    for stack in CloudFormation(cloudformation).stacks():
        if stack.get("StackStatus", "").startswith("DELETE_"):
            continue
        candidate = _to_quilt_stack(stack, region)
        if candidate.web_host == want:
            found.append(candidate)
    return sorted(found, key=lambda s: s.name)
