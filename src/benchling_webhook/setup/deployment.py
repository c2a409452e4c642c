"""The deployment steps: region and container image, then the VPC (an existing one, checked, or a new one).

The region defaults to the profile's, else the Quilt stack's, else the AWS session's. In a terminal the
VPC question lists the region's VPCs; an existing VPC must have private subnets routed through NAT in at
least two availability zones, and the check stores those subnets in the profile.
"""

from __future__ import annotations

from benchling_webhook.config.models import DeploymentConfig, VpcConfig
from benchling_webhook.setup.questions import NEW_VPC, Choice
from benchling_webhook.setup.quilt import QuiltStep
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft, Step


class DeploymentStep(Step):
    """The region the stack is deployed to and the container image (empty: built at deploy time)."""

    def __init__(self, quilt: QuiltStep, old: DeploymentConfig | None) -> None:
        self.quilt = quilt
        self.old = old
        self.region: str | None = None
        self.image_uri: str | None = None

    def collect(self, interview: Interview, services: SetupServices) -> None:
        old = self.old
        self.region = interview.ask("region", (old.region if old else None) or self.quilt.config.region
                                    or services.default_region())
        self.image_uri = interview.ask("image_uri", old.image_uri if old else None)

    def build(self, draft: ProfileDraft) -> None:
        draft.deployment.update(region=self.region or "", image_uri=self.image_uri or None)


class VpcStep(Step):
    """An existing VPC (``vpc_id``, with its subnets once checked) or ``NEW_VPC``."""

    subject = "VPC"

    def __init__(self, deployment: DeploymentStep, old: DeploymentConfig | None) -> None:
        self.deployment = deployment
        self.vpc = old.vpc if old else None
        self.vpc_id = old.vpc.vpc_id if old and old.vpc else NEW_VPC

    @property
    def new(self) -> bool:
        return self.vpc_id == NEW_VPC

    def collect(self, interview: Interview, services: SetupServices) -> None:
        region = self.deployment.region
        choices: tuple[Choice, ...] = ()
        if interview.interactive and region and interview.given("vpc_id") is None:
            found = services.list_vpcs(region)
            if found:
                choices = (Choice("create a new VPC (2 AZs, NAT gateways)", NEW_VPC),
                           *(Choice(label, vpc_id) for vpc_id, label in found))
        default = self.vpc_id
        if choices and default not in {c.value for c in choices}:
            default = NEW_VPC
        answer = interview.ask("vpc_id", default, **({"choices": choices} if choices else {}))
        self.vpc_id = answer or NEW_VPC

    def check(self, services: SetupServices) -> list[Finding]:
        region = self.deployment.region
        if self.new or not region:
            return []
        found = services.verify_vpc(region, self.vpc_id)
        self.vpc = found
        return [Finding("success", f"VPC {found.vpc_id}: private subnets {', '.join(found.private_subnet_ids)} "
                                   f"in {', '.join(found.availability_zones)}")]

    def build(self, draft: ProfileDraft) -> None:
        if self.new:
            vpc = None
        else:
            vpc = self.vpc if self.vpc and self.vpc.vpc_id == self.vpc_id else VpcConfig(vpc_id=self.vpc_id)
        draft.deployment.update(vpc=vpc)
