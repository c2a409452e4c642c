"""Synthesized templates shared by the stack tests: CDK synth runs node, so each layout is built once."""

from __future__ import annotations

from typing import Any

import pytest

from benchling_webhook.config.models import ProfileConfig
from tests.helpers import minimal_profile

SEED_QUILT = {
    "catalog": "catalog.example.com",
    "database": "quilt_catalog",
    "queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/quilt-packager",
    "region": "us-east-1",
    "writeRoleArn": "arn:aws:iam::123456789012:role/quilt-T4BucketWriteRole-XXX",
}
EXISTING_VPC = {
    "vpcId": "vpc-0123456789abcdef0",
    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    "availabilityZones": ["us-east-1a", "us-east-1b"],
    "cidrBlock": "10.20.0.0/16",
}
ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/benchling-webhook:1.2.3"


def seed_profile() -> ProfileConfig:
    """The default deployment: auto VPC, 2 NAT gateways, 1 vCPU / 2 GB, 2 to 10 tasks."""
    return ProfileConfig.model_validate(minimal_profile(quilt=dict(SEED_QUILT)))


def existing_vpc_profile() -> ProfileConfig:
    data = minimal_profile()
    data["benchling"]["secretArn"] = "benchling-webhook-credentials"
    data["deployment"] = {"region": "us-east-1", "vpc": dict(EXISTING_VPC), "imageUri": ECR_IMAGE,
                          "minTasks": 1, "maxTasks": 4, "cpu": 2048, "memory": 4096, "fargateSpot": True,
                          "alarmEmail": "oncall@example.com", "architecture": "arm64"}
    data["security"] = {"webhookAllowList": ["203.0.113.0/24"], "throttleRate": 5, "throttleBurst": 20}
    return ProfileConfig.model_validate(data)


def synth_with_nag(profile: ProfileConfig, profile_name: str) -> dict[str, Any]:
    """Synthesize with cdk-nag's AwsSolutions pack: any unacknowledged finding fails the synth."""
    from benchling_webhook.stack.app import build_stack

    app, stack = build_stack(profile, profile_name, nag=True)
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


@pytest.fixture(scope="session")
def seed_template() -> dict[str, Any]:
    return synth_with_nag(seed_profile(), "default")


@pytest.fixture(scope="session")
def vpc_template() -> dict[str, Any]:
    return synth_with_nag(existing_vpc_profile(), "dev")


ATHENA_ELSEWHERE = {"database": "quilt_catalog", "athenaWorkgroup": "QuiltUserAthena-wg",
                    "athenaResultsLocation": "s3://quilt-athena-results/benchling-webhook/athena-results/"}


def single_nat_profile() -> ProfileConfig:
    """The non-HA option (one NAT gateway), with the Quilt stack's own Athena workgroup and results bucket."""
    data = minimal_profile(quilt=dict(ATHENA_ELSEWHERE))
    data["deployment"]["natGateways"] = 1
    return ProfileConfig.model_validate(data)


@pytest.fixture(scope="session")
def single_nat_template() -> dict[str, Any]:
    return synth_with_nag(single_nat_profile(), "dev")


def managed_athena_profile() -> ProfileConfig:
    """No usable Quilt workgroup: the stack creates its own, with query results managed by Athena."""
    return ProfileConfig.model_validate(minimal_profile(quilt={"database": "quilt_catalog",
                                                               "createAthenaWorkgroup": True}))


@pytest.fixture(scope="session")
def managed_athena_template() -> dict[str, Any]:
    return synth_with_nag(managed_athena_profile(), "dev")
