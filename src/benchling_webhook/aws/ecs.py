"""ECS facade for ``status``: one service's counts and rollout state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchling_webhook.constants import EnvVars


@dataclass(frozen=True)
class ServiceStatus:
    cluster: str
    service: str
    status: str
    desired: int
    running: int
    pending: int
    rollout_state: str = ""
    rollout_reason: str = ""
    deployments: int = 0
    failed_tasks: int = 0
    verification: bool | None = None  # the task definition's ENABLE_WEBHOOK_VERIFICATION; None: unknown

    @property
    def steady(self) -> bool:
        return self.rollout_state in {"COMPLETED", ""} and self.running == self.desired and self.deployments <= 1


def describe_service(ecs: Any, cluster: str, service: str) -> ServiceStatus | None:
    """Counts and the PRIMARY deployment's rollout state; None when the service does not exist."""
    found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    if not found:
        return None
    data = found[0]
    primary: dict[str, Any] = next((d for d in data.get("deployments", []) if d.get("status") == "PRIMARY"), {})
    return ServiceStatus(verification=_verification(ecs, primary.get("taskDefinition") or data.get("taskDefinition")),
        cluster=cluster, service=data.get("serviceName", service), status=data.get("status", ""),
        desired=int(data.get("desiredCount", 0)), running=int(data.get("runningCount", 0)),
        pending=int(data.get("pendingCount", 0)), rollout_state=primary.get("rolloutState", ""),
        rollout_reason=primary.get("rolloutStateReason", ""), deployments=len(data.get("deployments", [])),
        failed_tasks=int(primary.get("failedTasks", 0)),
    )


def _verification(ecs: Any, task_definition: str | None) -> bool | None:
    """Whether the running task definition checks webhook signatures (it is on unless set to false)."""
    if not task_definition:
        return None
    definition = ecs.describe_task_definition(taskDefinition=task_definition).get("taskDefinition", {})
    for container in definition.get("containerDefinitions", []):
        for variable in container.get("environment", []):
            if variable.get("name") == EnvVars.ENABLE_WEBHOOK_VERIFICATION:
                return str(variable.get("value", "")).lower() not in {"false", "0", "no", "off"}
    return True
