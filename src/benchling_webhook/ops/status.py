"""``StackStatus``: what ``benchling-webhook status`` shows, gathered without synthesizing anything.

Stack status and outputs (CloudFormation), the ECS service's desired/running/pending counts and rollout
state (cluster and service names come from the stack's outputs), and the endpoint's ``/health``. Each
part degrades on its own: a missing service or an unreachable endpoint is reported, not raised.
``iter_status`` is the ``--watch`` poller: it yields until the stack and service are settled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchling_webhook.aws.cloudformation import CloudFormation
from benchling_webhook.aws.ecs import ServiceStatus, describe_service
from benchling_webhook.constants import StackOutputs


@dataclass(frozen=True)
class EndpointHealth:
    url: str
    ok: bool
    status_code: int | None = None
    latency_ms: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class StackStatus:
    stack_name: str
    region: str
    status: str | None
    reason: str = ""
    updated: datetime | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    service: ServiceStatus | None = None
    health: EndpointHealth | None = None
    last_deployment: dict[str, Any] | None = None

    @property
    def exists(self) -> bool:
        return self.status is not None

    @property
    def settled(self) -> bool:
        """No CloudFormation operation running and the service rolled out."""
        if self.status is None:
            return True
        if self.status.endswith("_IN_PROGRESS"):
            return False
        return self.service is None or self.service.steady


def check_health(url: str, *, timeout: float = 5.0, get: Callable[..., Any] | None = None) -> EndpointHealth:
    """GET ``<url>/health``; any failure becomes a not-ok result with the reason."""
    import httpx

    target = url.rstrip("/") + "/health"
    started = time.perf_counter()
    try:
        response = (get or httpx.get)(target, timeout=timeout)
    except httpx.HTTPError as exc:
        return EndpointHealth(target, False, detail=f"{type(exc).__name__}: {exc}")
    latency = (time.perf_counter() - started) * 1000
    detail = ""
    try:
        body = response.json()
        mode = f" ({body['mode']}: {body.get('reason', '')})" if "mode" in body else ""
        detail = str(body.get("status", "")) + mode
    except ValueError:
        detail = response.text[:120]
    return EndpointHealth(target, response.status_code == 200, response.status_code, latency, detail)


def get_status(cfn: CloudFormation, ecs: Callable[[], Any], stack_name: str, *,
               health: Callable[[str], EndpointHealth] = check_health,
               last_deployment: dict[str, Any] | None = None) -> StackStatus:
    stack = cfn.describe(stack_name)
    if stack is None:
        return StackStatus(stack_name, cfn.region, None, last_deployment=last_deployment)
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    service = None
    cluster, name = outputs.get(StackOutputs.CLUSTER_NAME), outputs.get(StackOutputs.SERVICE_NAME)
    if cluster and name:
        service = describe_service(ecs(), cluster, name)
    url = outputs.get(StackOutputs.WEBHOOK_URL)
    return StackStatus(
        stack_name=stack_name, region=cfn.region, status=stack["StackStatus"],
        reason=stack.get("StackStatusReason", ""), updated=stack.get("LastUpdatedTime") or stack.get("CreationTime"),
        outputs=outputs, service=service, health=health(url) if url else None, last_deployment=last_deployment,
    )


def iter_status(get: Callable[[], StackStatus], *, interval: float = 10.0,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[StackStatus]:
    """Yield a fresh status every ``interval`` seconds until it is settled (the last one is settled)."""
    while True:
        status = get()
        yield status
        if status.settled:
            return
        sleep(interval)
