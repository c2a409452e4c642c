"""``synthesize_inputs(inputs) -> Template``: the CloudFormation template, in-process, plus its size decision.

CloudFormation accepts at most 51,200 bytes of inline ``TemplateBody``; a larger template must be uploaded
to S3 and passed as ``TemplateURL``. The body sent is compact JSON (what the limit counts), the file
written for review is indented.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.stack.inputs import StackInputs

INLINE_TEMPLATE_LIMIT = 51_200


@dataclass(frozen=True)
class Template:
    """A synthesized stack template."""

    stack_name: str
    body: str
    seconds: float = 0.0

    @property
    def size(self) -> int:
        return len(self.body.encode("utf-8"))

    @property
    def needs_upload(self) -> bool:
        return self.size > INLINE_TEMPLATE_LIMIT

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    @property
    def resource_count(self) -> int:
        return len(self.data.get("Resources", {}))

    def pretty(self) -> str:
        return json.dumps(self.data, indent=2) + "\n"


def synthesize_inputs(inputs: StackInputs) -> Template:
    """Build the stack from ``inputs`` and return its template (node runs here, a few seconds)."""
    from benchling_webhook.stack.app import build_stack_from_inputs

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="benchling-webhook-cdk-") as outdir:
        app, stack = build_stack_from_inputs(inputs, outdir=outdir)
        template = app.synth().get_stack_by_name(stack.stack_name).template
    body = json.dumps(template, separators=(",", ":"), sort_keys=False)
    return Template(stack_name=inputs.stack_name, body=body, seconds=time.perf_counter() - started)


def write_template(template: Template, directory: Path) -> Path:
    """Write ``<stack>.template.json`` (indented) into ``directory`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{template.stack_name}.template.json"
    path.write_text(template.pretty(), encoding="utf-8")
    return path


def complete_vpc(profile: ProfileConfig, ec2_client: Callable[[], Any]) -> ProfileConfig:
    """Fill in an existing VPC's subnets/zones by discovery when the profile does not name them yet.

    ``ec2_client`` is called only when needed, so synth of the auto-created VPC (or of a profile whose
    subnets were recorded by ``setup``) needs no AWS credentials.
    """
    vpc = profile.deployment.vpc
    if vpc is None or (vpc.private_subnet_ids and len(vpc.availability_zones) >= 2):
        return profile
    from benchling_webhook.aws.ec2 import validate_vpc
    from benchling_webhook.config.models import VpcConfig

    found = validate_vpc(ec2_client(), vpc.vpc_id)
    deployment = profile.deployment.model_copy(update={"vpc": VpcConfig.model_validate(found.as_profile_vpc())})
    return profile.model_copy(update={"deployment": deployment})
