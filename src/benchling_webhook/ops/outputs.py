"""The deployed stack's outputs: where ``logs`` finds the log groups and ``test`` the endpoint.

Commands that operate a deployment never synthesize anything: one ``describe_stacks`` call gives the
status and the outputs named in ``constants.StackOutputs``.
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
    import botocore.exceptions

    region = getattr(getattr(cloudformation, "meta", None), "region_name", None)
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name).get("Stacks", [])
    except botocore.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            raise StackNotFoundError(stack_name, region, profile) from None
        raise
    if not stacks:
        raise StackNotFoundError(stack_name, region, profile)
    stack = stacks[0]
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", []) or []}
    return DeployedStack(name=stack_name, region=region, status=stack.get("StackStatus", ""), outputs=outputs)


def deployed_stack_for(session: Any, profile: str, region: str | None) -> tuple[DeployedStack, Any]:
    """The profile's stack (``stack_name_for(profile)``) in ``region``, plus a client factory for that region."""
    from benchling_webhook.aws.session import client_config
    from benchling_webhook.constants import stack_name_for

    def client(service: str) -> Any:
        return session.client(service, region_name=region, config=client_config())

    return read_deployed_stack(client("cloudformation"), stack_name_for(profile), profile), client
