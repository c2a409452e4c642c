"""The deployment steps: region and container image, then the VPC (an existing one, checked, or a new one).

The region defaults to the profile's, else the Quilt stack's, else the AWS session's. The VPC the Quilt
stack runs in is offered first — listed first in a terminal, and the default of a new profile — when the
stack is in the deployment region (``discovery.quilt_stack_vpc``); then a new VPC, then the region's other
VPCs. An existing VPC must have private subnets routed through NAT in at least two availability zones
(public and isolated subnets do not count); a VPC that falls short is refused with what exactly to fix
(``aws/ec2.py``), and the check stores the chosen subnets in the profile.
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
        self.old = old
        self.vpc = old.vpc if old else None
        self.vpc_id = old.vpc.vpc_id if old and old.vpc else NEW_VPC
        self.quilt_vpc: str | None = None

    @property
    def new(self) -> bool:
        return self.vpc_id == NEW_VPC

    def collect(self, interview: Interview, services: SetupServices) -> None:
        region = self.deployment.region
        stack = self.deployment.quilt.stack
        self.quilt_vpc = services.quilt_stack_vpc(stack) if stack is not None and stack.region == region else None
        choices: tuple[Choice, ...] = ()
        if interview.interactive and region and interview.given("vpc_id") is None:
            listed = services.list_vpcs(region)
            found = [(vpc_id, label) for vpc_id, label in listed if vpc_id != self.quilt_vpc]
            label = dict(listed).get(self.quilt_vpc or "", self.quilt_vpc)
            first = (Choice(f"{label} (the Quilt stack's VPC)", self.quilt_vpc),) if self.quilt_vpc else ()
            if found or first:
                choices = (*first, Choice("create a new VPC (2 AZs, NAT gateways)", NEW_VPC),
                           *(Choice(label, vpc_id) for vpc_id, label in found))
        default = self.vpc_id
        if self.old is None and self.quilt_vpc and not interview.repeating:
            default = self.quilt_vpc
            interview.say("info", f"the Quilt stack runs in VPC {self.quilt_vpc}: offered first")
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
        whose = " (the Quilt stack's)" if found.vpc_id == self.quilt_vpc else ""
        return [Finding("success", f"VPC {found.vpc_id}{whose}: private subnets routed through NAT "
                                   f"{', '.join(found.private_subnet_ids)} in {', '.join(found.availability_zones)}")]

    def build(self, draft: ProfileDraft) -> None:
        if self.new:
            vpc = None
        else:
            vpc = self.vpc if self.vpc and self.vpc.vpc_id == self.vpc_id else VpcConfig(vpc_id=self.vpc_id)
        draft.deployment.update(vpc=vpc)
