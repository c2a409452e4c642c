"""The cost estimate against AWS's published us-east-1 prices (docs/aws.md; 5 % per line, exact for Fargate)."""

from __future__ import annotations

import pytest

from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.stack.cost import estimate_monthly_cost
from benchling_webhook.stack.inputs import build_stack_inputs
from tests.helpers import minimal_profile

# 2 NAT gateways at $0.045/h; HTTP API $1.00 per 1 M requests; DynamoDB on demand, 4 M writes at $0.625 and
# 1 M reads at $0.125 per million request units
PUBLISHED = {"NAT": 2 * 0.045 * 730, "API": 1.00, "DynamoDB": 4 * 0.625 + 0.125}
FARGATE_RATES = (0.04048, 0.004445)  # $/vCPU-hour, $/GB-hour


def _estimate(region: str = "us-east-1", **deployment: object):  # type: ignore[no-untyped-def]
    data = minimal_profile()
    data["deployment"].update(deployment)
    inputs = build_stack_inputs(ProfileConfig.model_validate(data), "default")
    return estimate_monthly_cost(inputs, region)


def test_default_deployment_matches_the_published_prices_within_five_percent() -> None:
    cost = _estimate()
    assert cost.line("NAT gateways") == pytest.approx(PUBLISHED["NAT"], rel=0.05)
    assert cost.line("API Gateway") == pytest.approx(PUBLISHED["API"], rel=0.05)
    vcpu, gb = FARGATE_RATES
    assert cost.line("Fargate") == pytest.approx(2 * (1 * vcpu + 2 * gb) * 730, abs=0.01)  # $72.08
    assert cost.line("DynamoDB state table") == pytest.approx(PUBLISHED["DynamoDB"], rel=0.05)
    assert cost.line("VPC link") == 0  # an HTTP API's VPC link has no hourly charge
    assert cost.total == pytest.approx(65.70 + 72.08 + 1.00 + 2.62 + 1.00 + 3.50, abs=0.01)


def test_each_option_says_what_it_saves_and_existing_vpc_has_no_nat_line() -> None:
    savings = " | ".join(_estimate().savings)
    assert "natGateways: 1 saves $32.85/month" in savings
    assert "existing VPC (deployment.vpc) saves $65.70/month" in savings
    assert "fargateSpot: true saves ~$25.23/month" in savings
    assert "minTasks: 1 saves ~$36.04/month" in savings
    one_nat = _estimate(natGateways=1)
    assert one_nat.line("NAT gateways") == pytest.approx(32.85)
    vpc = {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": ["subnet-1", "subnet-2"],
           "availabilityZones": ["us-east-1a", "us-east-1b"]}
    existing = _estimate(vpc=vpc)
    assert not [line for line in existing.lines if line.item.startswith("NAT")]
    assert not [s for s in existing.savings if "NAT" in s or "natGateways" in s]
    spot = _estimate(fargateSpot=True)
    assert spot.line("Fargate") == pytest.approx(36.04 * 1.3, abs=0.02)


def test_unknown_region_is_priced_as_us_east_1_and_says_so() -> None:
    cost = _estimate("ap-southeast-7")
    assert (cost.region, cost.priced_as) == ("ap-southeast-7", "us-east-1")


def test_setup_prices_a_deployment_config_directly() -> None:
    """``setup`` has no secret ARN yet (no StackInputs): the estimate takes the profile's deployment section."""
    from benchling_webhook.config.models import DeploymentConfig

    from_inputs = _estimate(minTasks=3, cpu=2048, memory=4096)
    direct = estimate_monthly_cost(DeploymentConfig(region="us-east-1", min_tasks=3, cpu=2048, memory=4096),
                                   "us-east-1")
    assert direct == from_inputs


def test_graviton_tasks_cost_a_fifth_less_and_the_estimate_offers_them() -> None:
    x86, arm = _estimate(), _estimate(architecture="arm64")
    assert arm.line("Fargate") == pytest.approx(0.8 * x86.line("Fargate"), abs=0.02)
    assert any(s.startswith("architecture: arm64 saves ~$14.42/month") for s in x86.savings)
    assert not any(s.startswith("architecture:") for s in arm.savings)
