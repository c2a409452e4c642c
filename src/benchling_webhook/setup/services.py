"""``SetupServices``: everything the wizard asks of the outside world, behind one injectable object.

The steps only call these methods, so their unit tests use ``Mock(spec=SetupServices)``; the real
implementation builds boto3 clients from one session (``--aws-profile``) per region on demand and
talks HTTP with httpx (transports injectable for tests). Each slow call runs inside ``progress(text)``
(a spinner in a terminal, a plain line otherwise; nothing by default), so the steps need not know
which of their calls are slow.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchling_webhook.config.models import VpcConfig
from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.setup.discovery import (
    CatalogInfo,
    QuiltStack,
    describe_quilt_stack,
    fetch_catalog_info,
    find_quilt_stacks,
    quilt_stack_vpc,
)
from benchling_webhook.setup.secrets import (
    read_benchling_secret,
    region_of_arn,
    store_benchling_secret,
)
from benchling_webhook.setup.validate import (
    BucketInfo,
    WorkgroupInfo,
    verify_athena_workgroup,
    verify_benchling_credentials,
    verify_bucket,
    verify_vpc,
)

if TYPE_CHECKING:
    from benchling_webhook.setup.workflows import WorkflowCatalog


class SetupServices:
    """Live discovery and validation for the wizard (one method per outside question)."""

    def __init__(self, session_factory: Callable[[], Any], *, http_transport: Any = None,
                 progress: Callable[[str], AbstractContextManager[Any]] | None = None) -> None:
        self._session_factory = session_factory
        self._session: Any = None
        self._transport = http_transport
        self._progress: Callable[[str], AbstractContextManager[Any]] = progress or (lambda text: nullcontext())

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = self._session_factory()
        return self._session

    def client(self, service: str, region: str | None = None) -> Any:
        from benchling_webhook.aws.session import client_config

        return self.session.client(service, region_name=region, config=client_config())

    def default_region(self) -> str | None:
        """The session's region (the CLI creates the session with the region its chain resolved)."""
        region = self.session.region_name
        return str(region) if region else None

    def catalog_info(self, catalog: str) -> CatalogInfo:
        with self._progress(f"reading {catalog} config.json"):
            return fetch_catalog_info(catalog, transport=self._transport)

    def quilt_stacks(self, catalog: CatalogInfo) -> list[QuiltStack]:
        with self._progress(f"looking for the Quilt stack in {catalog.region}"):
            return find_quilt_stacks(self.client("cloudformation", catalog.region), catalog.host, catalog.region)

    def known_quilt_stack(self, stack_arn: str, region: str) -> QuiltStack | None:
        with self._progress("reading the Quilt stack of this profile"):
            return describe_quilt_stack(self.client("cloudformation", region), stack_arn, region)

    def verify_benchling(self, tenant: str, client_id: str, client_secret: str, base_url: str | None) -> None:
        with self._progress("asking Benchling for a token"):
            verify_benchling_credentials(tenant, client_id, client_secret, base_url=base_url,
                                         transport=self._transport)

    def read_secret(self, arn: str) -> dict[str, Any]:
        return read_benchling_secret(self.client("secretsmanager", region_of_arn(arn)), arn)

    def store_secret(self, region: str, profile: str, secret: BenchlingCredentials, existing_arn: str | None) -> str:
        return store_benchling_secret(self.client("secretsmanager", region), profile, secret, existing_arn)

    def verify_bucket(self, bucket: str) -> BucketInfo:
        with self._progress(f"checking bucket {bucket}"):
            return verify_bucket(self.client("s3"), bucket)

    def bucket_versioning(self, bucket: str) -> str | None:
        """``Enabled``, ``Suspended`` or None (never turned on)."""
        status = self.client("s3").get_bucket_versioning(Bucket=bucket).get("Status")
        return str(status) if status else None

    def enable_bucket_versioning(self, bucket: str) -> None:
        with self._progress(f"turning on versioning for {bucket}"):
            self.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def bucket_workflows(self, bucket: str) -> WorkflowCatalog | None:
        """The Quilt workflows ``bucket`` defines, or ``None`` when it defines none."""
        from benchling_webhook.setup.workflows import read_workflows

        with self._progress(f"reading the Quilt workflows of {bucket}"):
            return read_workflows(self.client("s3"), bucket)

    def list_vpcs(self, region: str) -> list[tuple[str, str]]:
        """``(vpc_id, label)`` for the region's VPCs, for a pick list (empty when we may not list them)."""
        import botocore.exceptions

        try:
            vpcs = self.client("ec2", region).describe_vpcs().get("Vpcs", [])
        except botocore.exceptions.ClientError:
            return []
        out = []
        for vpc in vpcs:
            name = next((t["Value"] for t in vpc.get("Tags", []) or [] if t.get("Key") == "Name"), "")
            label = " ".join(p for p in (vpc["VpcId"], name, vpc.get("CidrBlock", ""),
                                         "(default VPC)" if vpc.get("IsDefault") else "") if p)
            out.append((vpc["VpcId"], label))
        return sorted(out)

    def quilt_stack_vpc(self, stack: QuiltStack) -> str | None:
        """The VPC the Quilt stack runs in, or None when it names none (or these credentials may not look)."""
        import botocore.exceptions

        with self._progress(f"looking for the VPC of Quilt stack {stack.name}"):
            try:
                return quilt_stack_vpc(self.client("ec2", stack.region), stack)
            except botocore.exceptions.ClientError:
                return None

    def verify_vpc(self, region: str, vpc_id: str) -> VpcConfig:
        with self._progress(f"checking VPC {vpc_id}"):
            return verify_vpc(self.client("ec2", region), vpc_id)

    def athena_workgroup(self, region: str | None, name: str) -> WorkgroupInfo | None:
        with self._progress(f"checking Athena workgroup {name}"):
            return verify_athena_workgroup(self.client("athena", region), name,
                                           region or self.default_region() or "")

    def write_manifest(self, path: Path, profile: str) -> Path:
        from benchling_webhook.ops.manifest import build_manifest, render_manifest

        path.write_text(render_manifest(build_manifest(None, profile=profile)), encoding="utf-8")
        return path

    def aws_profiles(self) -> list[str]:
        """AWS profile names from ~/.aws/config and ~/.aws/credentials (to spot --profile mix-ups)."""
        import boto3

        try:
            return list(boto3.Session().available_profiles)
        except Exception:  # a broken AWS config must not break setup
            return []
