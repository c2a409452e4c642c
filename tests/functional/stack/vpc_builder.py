"""Builds VPC layouts in moto for the discovery/validation tests (and for deploy tests that import a VPC)."""

from __future__ import annotations

from typing import Any


def build_vpc(ec2: Any, private_azs: tuple[str, ...] = ("us-east-1a", "us-east-1b"),
              public_only: bool = False) -> dict[str, Any]:
    """A VPC with public subnets behind an IGW and NAT-routed private subnets in ``private_azs``."""
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    public = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.20.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    public_rt = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public["SubnetId"])
    result: dict[str, Any] = {"vpc_id": vpc_id, "public": public["SubnetId"], "private": []}
    if public_only:
        return result
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public["SubnetId"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    private_rt = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for index, az in enumerate(private_azs):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{128 + index}.0/24", AvailabilityZone=az)
        ec2.associate_route_table(RouteTableId=private_rt, SubnetId=subnet["Subnet"]["SubnetId"])
        result["private"].append(subnet["Subnet"]["SubnetId"])
    return result
