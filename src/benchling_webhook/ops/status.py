"""``StackStatus``: what ``benchling-webhook status`` shows, gathered without synthesizing anything.

Stack status and outputs (CloudFormation), the ECS service's desired/running/pending counts and rollout
state (cluster and service names come from the stack's outputs), and the endpoint's ``/health``. Each
part degrades on its own: a missing service or an unreachable endpoint is reported, not raised.
``iter_status`` is the ``--watch`` poller: it yields until the stack and service are settled.

The inbox's dead-letter queue is read directly (``ops/dlq.py``): its depth and the age of its oldest message.

It also reads the last hour of the dashboard's key metrics (one ``GetMetricData`` call) and the stack's
alarms that are in ALARM, each with a hint (``ALARM_HINTS``, keyed by the alarm names of
``stack/constructs/monitoring.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from benchling_webhook.aws.cloudformation import CloudFormation, stack_outputs
from benchling_webhook.aws.ecs import ServiceStatus, describe_service
from benchling_webhook.constants import StackOutputs
from benchling_webhook.ops.dlq import DeadLetterState, get_dead_letter_state


@dataclass(frozen=True)
class EndpointHealth:
    url: str
    ok: bool
    status_code: int | None = None
    latency_ms: float = 0.0
    detail: str = ""


ALARM_HINTS = {
    "Api5xxRate": "the service answers 5xx: read benchling-webhook logs --since 30m (enqueue failures show there)",
    "ApiLatencyP99": "slow acknowledgements: check CPU/memory below and raise cpu/maxTasks in the profile",
    "InboxDeadLetters": "events failed for good: the reason is logged; fix it, then send them back with "
                        "benchling-webhook redrive (--dry-run lists the reasons)",
    "InboxAge": "the worker is not keeping up or is stuck: check the running task count and the worker logs",
    "TasksBelowMin": "tasks keep failing their health check: read the container logs and the service events",
    "RevisionEventDeadLetters": "canvases missed a Quilt revision: the worker logs why (\"revision event failed\"); "
                                "pressing Update package refreshes a canvas",
}
# Metric key -> (namespace, metric name, dimension builder key, statistic), read over the last hour.
_METRICS = {
    "requests": ("AWS/ApiGateway", "Count", "api", "Sum"),
    "errors_5xx": ("AWS/ApiGateway", "5xx", "api", "Sum"),
    "latency_p99_ms": ("AWS/ApiGateway", "IntegrationLatency", "api", "p99"),
    "inbox_depth": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "inbox", "Maximum"),
    "dlq_depth": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "dlq", "Maximum"),
    "cpu_percent": ("AWS/ECS", "CPUUtilization", "service", "Average"),
    "memory_percent": ("AWS/ECS", "MemoryUtilization", "service", "Average"),
}


@dataclass(frozen=True)
class AlarmState:
    name: str
    short_name: str
    reason: str
    hint: str


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
    alarms: tuple[AlarmState, ...] = ()
    metrics: dict[str, float | None] = field(default_factory=dict)
    dead_letters: DeadLetterState | None = None

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


def _dimensions(outputs: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    dims: dict[str, list[dict[str, str]]] = {}
    host = urlparse(outputs.get(StackOutputs.WEBHOOK_URL, "")).hostname or ""
    if ".execute-api." in host:
        dims["api"] = [{"Name": "ApiId", "Value": host.split(".", 1)[0]}]
    for key, output in (("inbox", StackOutputs.INBOX_QUEUE_URL), ("dlq", StackOutputs.INBOX_DLQ_URL)):
        if outputs.get(output):
            dims[key] = [{"Name": "QueueName", "Value": outputs[output].rstrip("/").rsplit("/", 1)[-1]}]
    if outputs.get(StackOutputs.CLUSTER_NAME) and outputs.get(StackOutputs.SERVICE_NAME):
        dims["service"] = [{"Name": "ClusterName", "Value": outputs[StackOutputs.CLUSTER_NAME]},
                           {"Name": "ServiceName", "Value": outputs[StackOutputs.SERVICE_NAME]}]
    return dims


def get_metrics(cloudwatch: Any, outputs: dict[str, str], *, now: datetime | None = None,
                hours: float = 1.0) -> dict[str, float | None]:
    """The last hour of the dashboard's key metrics, one number each (None: no data)."""
    dims = _dimensions(outputs)
    queries = []
    for index, (key, (namespace, name, dim_key, stat)) in enumerate(_METRICS.items()):
        if dim_key in dims:
            queries.append({"Id": f"m{index}", "Label": key, "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dims[dim_key]},
                "Period": int(hours * 3600), "Stat": stat}})
    result: dict[str, float | None] = dict.fromkeys(_METRICS)
    if not queries:
        return result
    end = now or datetime.now(UTC)
    data = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=end - timedelta(hours=hours),
                                      EndTime=end)
    for item in data.get("MetricDataResults", []):
        values = item.get("Values") or []
        result[item["Label"]] = float(values[0]) if values else None
    return result


def get_alarms(cloudwatch: Any, stack_name: str) -> tuple[AlarmState, ...]:
    """The stack's alarms in ALARM (their generated names start with ``<stack>-Monitoring``)."""
    found = cloudwatch.describe_alarms(AlarmNamePrefix=f"{stack_name}-Monitoring", StateValue="ALARM")
    alarms = []
    for alarm in found.get("MetricAlarms", []) + found.get("CompositeAlarms", []):
        name = alarm["AlarmName"]
        short = next((key for key in ALARM_HINTS if f"Monitoring{key}" in name), name)
        alarms.append(AlarmState(name, short, alarm.get("StateReason", ""), ALARM_HINTS.get(short, "")))
    return tuple(alarms)


def get_status(cfn: CloudFormation, ecs: Callable[[], Any], stack_name: str, *,
               health: Callable[[str], EndpointHealth] | None = None,
               cloudwatch: Callable[[], Any] | None = None, sqs: Callable[[], Any] | None = None,
               last_deployment: dict[str, Any] | None = None) -> StackStatus:
    stack = cfn.describe(stack_name)
    if stack is None:
        return StackStatus(stack_name, cfn.region, None, last_deployment=last_deployment)
    outputs = stack_outputs(stack)
    service = None
    cluster, name = outputs.get(StackOutputs.CLUSTER_NAME), outputs.get(StackOutputs.SERVICE_NAME)
    if cluster and name:
        service = describe_service(ecs(), cluster, name)
    url = outputs.get(StackOutputs.WEBHOOK_URL)
    alarms: tuple[AlarmState, ...] = ()
    metrics: dict[str, float | None] = {}
    client = cloudwatch() if cloudwatch is not None else None
    if client is not None:
        alarms, metrics = get_alarms(client, stack_name), get_metrics(client, outputs)
    dlq_url = outputs.get(StackOutputs.INBOX_DLQ_URL)
    dead_letters = get_dead_letter_state(sqs(), dlq_url, cloudwatch=client) if sqs is not None and dlq_url else None
    return StackStatus(
        stack_name=stack_name, region=cfn.region, status=stack["StackStatus"],
        reason=stack.get("StackStatusReason", ""), updated=stack.get("LastUpdatedTime") or stack.get("CreationTime"),
        outputs=outputs, service=service, health=(health or check_health)(url) if url else None,
        last_deployment=last_deployment, alarms=alarms, metrics=metrics, dead_letters=dead_letters,
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
