"""The network: a new VPC with fixed CIDRs, or an existing VPC imported by attributes.

The auto-created VPC uses a fixed address plan (public 10.0.0.0/24 and 10.0.1.0/24 with a NAT
gateway each, private 10.0.128.0/24 and 10.0.129.0/24). CDK would allocate private subnets right after
the public ones, so the CIDRs are pinned on the generated subnets. Zones come from ``Fn::GetAZs`` (the
stack is environment-agnostic), so no AWS call and no context lookup is needed to synthesize it.

An existing VPC is imported with ``from_vpc_attributes`` from subnets validated by ``aws.ec2.validate_vpc``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct, DependencyGroup, IDependable

from benchling_webhook.stack.inputs import StackInputs

VPC_CIDR = "10.0.0.0/16"
PUBLIC_CIDRS = ("10.0.0.0/24", "10.0.1.0/24")
PRIVATE_CIDRS = ("10.0.128.0/24", "10.0.129.0/24")


@dataclass
class Network:
    vpc: ec2.IVpc
    private_subnets: ec2.SubnetSelection
    internet_ready: IDependable | None


def build_network(scope: Construct, inputs: StackInputs) -> Network:
    """The VPC the service runs in, and what the service must wait for before tasks start."""
    if inputs.vpc is not None:
        vpc = ec2.Vpc.from_vpc_attributes(
            scope, "Vpc",
            vpc_id=inputs.vpc.vpc_id,
            availability_zones=list(inputs.vpc.availability_zones),
            private_subnet_ids=list(inputs.vpc.private_subnet_ids),
        )
        return Network(vpc, ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS), None)

    vpc = ec2.Vpc(
        scope, "Vpc",
        ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
        max_azs=2,
        nat_gateways=inputs.nat_gateways,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
            ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=24),
        ],
        # Rejected flows only: the cheap half of flow logs that answers "why does traffic not arrive".
        flow_logs={"Rejected": ec2.FlowLogOptions(
            traffic_type=ec2.FlowLogTrafficType.REJECT,
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(scope, "FlowLogs", retention=logs.RetentionDays.ONE_WEEK,
                              removal_policy=RemovalPolicy.DESTROY)),
        )},
    )
    for subnets, cidrs in ((vpc.public_subnets, PUBLIC_CIDRS), (vpc.private_subnets, PRIVATE_CIDRS)):
        for subnet, cidr in zip(subnets, cidrs, strict=True):
            cfn_subnet = subnet.node.default_child
            assert isinstance(cfn_subnet, ec2.CfnSubnet)
            cfn_subnet.cidr_block = cidr
    # The private subnets' default routes through NAT (not just the IGW attachment) are what tasks need.
    ready = DependencyGroup()
    for subnet in vpc.private_subnets:
        ready.add(subnet.internet_connectivity_established)
    return Network(vpc, ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS), ready)
