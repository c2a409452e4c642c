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
    assert err.value.message.startswith(
        f"VPC {built['vpc_id']} has private subnets routed through a NAT gateway in 1 availability zone "
        "(us-east-1a), and the service needs them in at least 2; public and isolated subnets are excluded")
    assert f"{built['public']} (us-east-1a, public)" in err.value.message
    assert err.value.hint == ("add a private subnet in another zone whose route table sends 0.0.0.0/0 to a NAT "
                              "gateway, or choose 'new' (--vpc-id new) to let deploy create a VPC")


def test_vpc_without_nat_is_refused(aws) -> None:  # type: ignore[no-untyped-def]
    ec2 = aws.client("ec2")
    built = build_vpc(ec2, public_only=True)
    with pytest.raises(ValidationFailedError, match="has no private subnet routed through a NAT gateway") as err:
        validate_vpc(ec2, built["vpc_id"])
    assert err.value.hint is not None and err.value.hint.startswith("add 2 private subnets in two zones")


def test_an_isolated_subnet_is_excluded_and_the_route_table_to_fix_is_named(aws) -> None:  # type: ignore[no-untyped-def]
    ec2 = aws.client("ec2")
    built = build_vpc(ec2, private_azs=("us-east-1a",))
    isolated = ec2.create_subnet(VpcId=built["vpc_id"], CidrBlock="10.20.200.0/24",
                                 AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=built["vpc_id"])["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=isolated)
    with pytest.raises(ValidationFailedError) as err:
        validate_vpc(ec2, built["vpc_id"])
    assert f"{isolated} (us-east-1b, isolated)" in err.value.message
    assert err.value.hint == (f"add a route 0.0.0.0/0 to a NAT gateway in {table} (used by {isolated} in "
                              "us-east-1b), or choose 'new' (--vpc-id new) to let deploy create a VPC")
    nat = ec2.describe_nat_gateways()["NatGateways"][0]["NatGatewayId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    found = validate_vpc(ec2, built["vpc_id"])
    assert found.availability_zones == ("us-east-1a", "us-east-1b") and isolated in found.private_subnet_ids


def test_unknown_vpc_is_refused(aws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError, match="VPC vpc-0123456789abcdef0 was not found in us-east-1"):
        validate_vpc(aws.client("ec2"), "vpc-0123456789abcdef0")
