"""Estimated monthly cost of the stack's fixed parts, shown in the deploy plan, with what each option saves.

``setup`` shows the same figures while asking for the sizing options, so this module stays free of CDK
(and of anything heavy): plain arithmetic over ``CostDrivers`` (a ``StackInputs`` or a ``DeploymentConfig``).

A small, documented price table (on-demand, USD, 730 hours a month). Prices differ a little by region;
the table lists a few regions and falls back to us-east-1's, and the estimate says which it used.
Assumptions are printed with the estimate: 1 M requests and 2 GB of logs a month; traffic-dependent parts
(S3, NAT data processing, Fargate scale-out) are not included.

The default deployment in us-east-1 comes to: two NAT gateways $65.70 ($0.045/h each), API Gateway $1.00
(HTTP API, $1.00 per million requests), Fargate $72.08 (2 x 1 vCPU / 2 GB at $0.04048 per vCPU-hour and
$0.004445 per GB-hour), the state table $2.62 (on demand: 4 writes and 1 read per request at $0.625 per
million write and $0.125 per million read request units; its storage, a few kilobytes, is left out). There
is no VPC link line: an HTTP API's VPC link to Cloud Map has no hourly charge (a REST API's VPC link needs a
Network Load Balancer, billed by the hour). Sources: docs/aws.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

HOURS_PER_MONTH = 730
ASSUMED_REQUESTS_MILLIONS = 1.0
ASSUMED_LOG_GB = 2.0
# The worker's state-table requests per webhook, each a small item (one request unit): a de-duplication
# record, an entry lease taken, renewed and released; and one read.
STATE_WRITES_PER_REQUEST = 4
STATE_READS_PER_REQUEST = 1


@dataclass(frozen=True)
class PriceTable:
    nat_gateway_hour: float
    fargate_vcpu_hour: float
    fargate_gb_hour: float
    fargate_spot_factor: float  # spot price / on-demand price, typical
    http_api_per_million: float
    logs_ingest_gb: float
    alarm_month: float
    container_insights_month: float  # per service, small cluster, approximate
    # Graviton (arm64) Fargate vCPU and GB hours cost 20 % less than x86_64 ones in every listed region
    # (https://aws.amazon.com/fargate/pricing/).
    fargate_arm_factor: float = 0.80
    # DynamoDB on-demand request units, per million: us-east-1's prices in every listed region (at these volumes
    # a regional difference is cents; https://aws.amazon.com/dynamodb/pricing/on-demand/).
    dynamodb_write_per_million: float = 0.625
    dynamodb_read_per_million: float = 0.125


PRICES = {
    "us-east-1": PriceTable(0.045, 0.04048, 0.004445, 0.30, 1.00, 0.50, 0.10, 3.00),
    "us-west-2": PriceTable(0.045, 0.04048, 0.004445, 0.30, 1.00, 0.50, 0.10, 3.00),
    "eu-west-1": PriceTable(0.048, 0.04048, 0.004445, 0.30, 1.00, 0.57, 0.10, 3.00),
    "eu-central-1": PriceTable(0.052, 0.04656, 0.00511, 0.30, 1.11, 0.63, 0.10, 3.00),
}


class CostDrivers(Protocol):
    """What the estimate depends on: ``StackInputs`` and ``DeploymentConfig`` both fit, so ``setup`` can price
    options (and alternatives, via ``dataclasses.replace``/``model_copy``) without synthesizing anything."""

    @property
    def vpc(self) -> object | None: ...  # an existing VPC (None: the stack creates one, with NAT gateways)
    @property
    def nat_gateways(self) -> int: ...
    @property
    def min_tasks(self) -> int: ...
    @property
    def cpu(self) -> int: ...
    @property
    def memory(self) -> int: ...
    @property
    def fargate_spot(self) -> bool: ...
    @property
    def architecture(self) -> str: ...


def prices_for(region: str) -> tuple[str, PriceTable]:
    """The price table used for ``region`` and the region it was taken from (us-east-1 when not listed)."""
    priced_as = region if region in PRICES else "us-east-1"
    return priced_as, PRICES[priced_as]


def _task_hour(cpu: int, memory: int, prices: PriceTable) -> float:
    """One on-demand x86 task of ``cpu`` units / ``memory`` MiB for an hour."""
    return cpu / 1024 * prices.fargate_vcpu_hour + memory / 1024 * prices.fargate_gb_hour


def task_month(cpu: int, memory: int, region: str) -> float:
    """One on-demand task of ``cpu`` units / ``memory`` MiB running all month."""
    _, p = prices_for(region)
    return round(_task_hour(cpu, memory, p) * HOURS_PER_MONTH, 2)


@dataclass(frozen=True)
class CostLine:
    item: str
    monthly: float


@dataclass(frozen=True)
class CostEstimate:
    region: str
    priced_as: str
    lines: tuple[CostLine, ...]
    savings: tuple[str, ...]

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    def line(self, prefix: str) -> float:
        return sum(line.monthly for line in self.lines if line.item.startswith(prefix))


def _fargate(inputs: CostDrivers, prices: PriceTable, spot: bool, architecture: str | None = None) -> float:
    per_task = _task_hour(inputs.cpu, inputs.memory, prices)
    if (architecture or inputs.architecture) == "arm64":
        per_task *= prices.fargate_arm_factor
    tasks = inputs.min_tasks
    if spot:  # one on-demand base task, the rest on Fargate Spot
        return round(per_task * HOURS_PER_MONTH * (1 + (tasks - 1) * prices.fargate_spot_factor), 2)
    return round(per_task * HOURS_PER_MONTH * tasks, 2)


def estimate_monthly_cost(inputs: CostDrivers, region: str) -> CostEstimate:
    priced_as, p = prices_for(region)
    lines = []
    if inputs.vpc is None:
        lines.append(CostLine(f"NAT gateways x {inputs.nat_gateways}",
                              round(inputs.nat_gateways * p.nat_gateway_hour * HOURS_PER_MONTH, 2)))
    state_per_request = (STATE_WRITES_PER_REQUEST * p.dynamodb_write_per_million
                         + STATE_READS_PER_REQUEST * p.dynamodb_read_per_million)
    lines += [
        CostLine(f"Fargate, {inputs.min_tasks} x {inputs.cpu / 1024:g} vCPU / {inputs.memory / 1024:g} GB"
                 + (" (Spot mix)" if inputs.fargate_spot else "")
                 + (", arm64" if inputs.architecture == "arm64" else ""),
                 _fargate(inputs, p, inputs.fargate_spot)),
        CostLine("VPC link (HTTP API: no hourly charge)", 0.0),
        CostLine(f"API Gateway HTTP API, {ASSUMED_REQUESTS_MILLIONS:g} M requests",
                 round(ASSUMED_REQUESTS_MILLIONS * p.http_api_per_million, 2)),
        CostLine(f"DynamoDB state table, {STATE_WRITES_PER_REQUEST} writes + {STATE_READS_PER_REQUEST} read per "
                 "request", round(ASSUMED_REQUESTS_MILLIONS * state_per_request, 2)),
        CostLine(f"CloudWatch logs, {ASSUMED_LOG_GB:g} GB ingested", round(ASSUMED_LOG_GB * p.logs_ingest_gb, 2)),
        CostLine("CloudWatch alarms x 5 + Container Insights",
                 round(5 * p.alarm_month + p.container_insights_month, 2)),
    ]
    savings = []
    nat_month = p.nat_gateway_hour * HOURS_PER_MONTH
    if inputs.vpc is None:
        if inputs.nat_gateways > 1:
            savings.append(f"natGateways: 1 saves ${nat_month * (inputs.nat_gateways - 1):.2f}/month (no NAT HA)")
        savings.append(f"an existing VPC (deployment.vpc) saves ${nat_month * inputs.nat_gateways:.2f}/month of NAT")
    if not inputs.fargate_spot and inputs.min_tasks > 1:
        saved = _fargate(inputs, p, False) - _fargate(inputs, p, True)
        savings.append(f"fargateSpot: true saves ~${saved:.2f}/month (tasks above the first on Spot)")
    if inputs.architecture != "arm64":
        saved = _fargate(inputs, p, inputs.fargate_spot) - _fargate(inputs, p, inputs.fargate_spot, "arm64")
        savings.append(f"architecture: arm64 saves ~${saved:.2f}/month (Graviton tasks)")
    if inputs.min_tasks > 1:
        one = _fargate(inputs, p, inputs.fargate_spot) / inputs.min_tasks
        savings.append(f"minTasks: 1 saves ~${one * (inputs.min_tasks - 1):.2f}/month (no task redundancy)")
    return CostEstimate(region, priced_as, tuple(lines), tuple(savings))
