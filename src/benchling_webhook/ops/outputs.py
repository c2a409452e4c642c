"""The deployed stack's outputs: where ``logs`` finds the log groups and ``test`` the endpoint.

Commands that operate a deployment never synthesize anything: one ``describe_stacks`` call (through
``aws.cloudformation.CloudFormation``) gives the status and the outputs named in ``constants.StackOutputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchling_webhook.errors import BenchlingWebhookError, StackNotFoundError


@dataclass(frozen=True)
class DeployedStack:
    name: str
    region: str | None
    status: str
    outputs: dict[str, str] = field(default_factory=dict)

    def output(self, key: str, what: str, profile: str | None = None) -> str:
        """One output's value; a missing one means the stack predates it (or failed half-way)."""
        value = self.outputs.get(key)
        if not value:
            flag = f" --profile {profile}" if profile and profile != "default" else ""
            raise BenchlingWebhookError(
                f"stack {self.name} ({self.status}) has no {key} output, so the {what} is unknown",
                hint=f"deploy it with this version: benchling-webhook deploy{flag}",
            )
        return value


def read_deployed_stack(cloudformation: Any, stack_name: str, profile: str | None = None) -> DeployedStack:
    """Describe the stack; a missing stack raises ``StackNotFoundError`` with a deploy hint."""
    from benchling_webhook.aws.cloudformation import CloudFormation, stack_outputs

    cfn = CloudFormation(cloudformation)
    stack = cfn.describe(stack_name)
    if stack is None:
        raise StackNotFoundError(stack_name, cfn.region, profile)
    return DeployedStack(name=stack_name, region=cfn.region, status=str(stack.get("StackStatus", "")),
                         outputs=stack_outputs(stack))
