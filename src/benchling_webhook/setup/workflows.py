"""A bucket's Quilt workflows, read from its ``.quilt/workflows/config.yml`` (docs/quilt.md).

A Quilt bucket may define workflows — quality gates a package revision must pass — in
``s3://<bucket>/.quilt/workflows/config.yml``. Setup lists them (``packages.WorkflowStep``) so that a
workflow the bucket does not define is refused at setup, not discovered by the packager at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchling_webhook.aws.errors import error_code
from benchling_webhook.errors import ValidationFailedError

WORKFLOWS_KEY = ".quilt/workflows/config.yml"


@dataclass(frozen=True)
class WorkflowCatalog:
    """A bucket's workflows: id → display name, the default one, and whether a workflow is required."""

    location: str
    workflows: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    required: bool = True

    def listed(self) -> str:
        return ", ".join(sorted(self.workflows)) or "none"


def parse_workflows(text: str, location: str) -> WorkflowCatalog:
    """The catalog from ``config.yml``'s text; a file that is not a workflows config is an error."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailedError(f"{location} is not valid YAML ({type(exc).__name__})",
                                    hint="fix the file (the Quilt catalog's bucket settings edit it)") from None
    workflows = data.get("workflows") if isinstance(data, dict) else None
    if not isinstance(workflows, dict):
        raise ValidationFailedError(f"{location} has no 'workflows' section",
                                    hint="fix the file, or leave the workflow empty")
    names = {str(key): str((value or {}).get("name") or key) if isinstance(value, dict) else str(key)
             for key, value in workflows.items()}
    default = data.get("default_workflow")
    # quilt3's schema: a workflow is required unless the config says otherwise.
    required = data.get("is_workflow_required", True) is not False
    return WorkflowCatalog(location, names, str(default) if default else None, required)


def read_workflows(s3: Any, bucket: str) -> WorkflowCatalog | None:
    """The bucket's workflows, or ``None`` when it has no ``config.yml`` (no workflows at all)."""
    import botocore.exceptions

    location = f"s3://{bucket}/{WORKFLOWS_KEY}"
    try:
        body = s3.get_object(Bucket=bucket, Key=WORKFLOWS_KEY)["Body"].read()
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        if code in {"NoSuchKey", "404", "NotFound"}:
            return None
        if code in {"AccessDenied", "403", "Forbidden"}:
            raise ValidationFailedError(f"these AWS credentials cannot read {location} (AccessDenied)",
                                        hint="use credentials that may read the bucket (--aws-profile)") from None
        raise
    return parse_workflows(body.decode("utf-8", "replace"), location)
