"""The deployer's own private S3 bucket, per account and region: over-size templates and image contexts."""

from __future__ import annotations

from typing import Any


def artefact_bucket(account: str, region: str) -> str:
    return f"benchling-webhook-templates-{account}-{region}"


def ensure_private_bucket(s3: Any, bucket: str, region: str) -> None:
    """Create ``bucket`` with every public access blocked, unless it exists."""
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except Exception:  # missing (a real denial fails again at create_bucket, with its own message)
        pass
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
