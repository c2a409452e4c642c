from __future__ import annotations

import pytest

from benchling_webhook.aws.ec2 import validate_vpc
from benchling_webhook.errors import ValidationFailedError
from tests.functional.stack.vpc_builder import build_vpc


def test_vpc_with_nat_routed_private_subnets_in_two_zones_is_accepted(aws) -> None:  # type: ignore[no-untyped-def]
    ec2 = aws.client("ec2")
    built = build_vpc(ec2)
    found = validate_vpc(ec2, built["vpc_id"])
    assert found.availability_zones == ("us-east-1a", "us-east-1b")
    assert sorted(found.private_subnet_ids) == sorted(built["private"])
    assert found.cidr_block == "10.20.0.0/16"
    assert built["public"] not in found.private_subnet_ids
    assert found.as_profile_vpc()["privateSubnetIds"] == list(found.private_subnet_ids)


def test_vpc_with_private_subnets_in_one_zone_is_refused_with_a_hint(aws) -> None:  # type: ignore[no-untyped-def]
    ec2 = aws.client("ec2")
    built = build_vpc(ec2, private_azs=("us-east-1a", "us-east-1a"))
    with pytest.raises(ValidationFailedError) as err:
        validate_vpc(ec2, built["vpc_id"])
    assert "at least 2 availability zones, but has them in 1 (us-east-1a)" in err.value.message
    assert f"{built['public']} (us-east-1a, internet)" in err.value.message
    assert err.value.hint and "NAT gateway" in err.value.hint


def test_vpc_without_nat_is_refused(aws) -> None:  # type: ignore[no-untyped-def]
    ec2 = aws.client("ec2")
    built = build_vpc(ec2, public_only=True)
    with pytest.raises(ValidationFailedError, match=r"has them in 0 \(none\)"):
        validate_vpc(ec2, built["vpc_id"])


def test_unknown_vpc_is_refused(aws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError, match="VPC vpc-0123456789abcdef0 was not found in us-east-1"):
        validate_vpc(aws.client("ec2"), "vpc-0123456789abcdef0")
