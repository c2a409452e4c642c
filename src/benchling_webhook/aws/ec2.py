"""Existing-VPC discovery and validation, shared by ``setup`` (fail fast in the wizard) and ``deploy``.

The stack imports an existing VPC with ``Vpc.from_vpc_attributes`` from subnet ids we found here, because
``Vpc.from_lookup`` needs the CDK CLI's context provider and silently yields dummy ids without it.

A subnet counts as *private* when its route table (its explicit association, else the VPC's main table)
sends ``0.0.0.0/0`` to an available NAT gateway: ECS tasks without public IPs need that route to reach
ECR, Secrets Manager, S3 and Benchling. The service needs such subnets in at least two availability zones.
Public subnets (default route to an internet gateway) and isolated ones (no default route, or one to a
NAT gateway that is not available) are excluded. One subnet is chosen per zone (the one with the most
free addresses) so the import's subnet list is always a whole multiple of its zone list, as
``from_vpc_attributes`` requires.

When a VPC falls short, ``vpc_problem`` says what exactly is missing and names the route tables and
zones to fix (``validate_vpc`` raises it).

Usage::

    ec2 = session.client("ec2")
    found = validate_vpc(ec2, "vpc-0123456789abcdef0")   # raises ValidationFailedError with a hint
    found.private_subnet_ids, found.availability_zones, found.cidr_block
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchling_webhook.errors import ValidationFailedError

MIN_AZS = 2
_DEFAULT_ROUTE = "0.0.0.0/0"


@dataclass(frozen=True)
class SubnetInfo:
    """One subnet and where its default route goes (``nat``, ``internet``, ``other`` or ``none``)."""

    subnet_id: str
    availability_zone: str
    cidr_block: str
    egress: str
    free_addresses: int = 0
    route_table_id: str = ""

    @property
    def kind(self) -> str:
        """How the subnet reads in messages: private (NAT), public, or isolated."""
        return {"nat": "private", "internet": "public"}.get(self.egress, "isolated")


@dataclass(frozen=True)
class VpcDiscovery:
    """What the stack needs to import a VPC, plus every subnet seen (for messages)."""

    vpc_id: str
    cidr_block: str
    private_subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]
    subnets: tuple[SubnetInfo, ...]

    def as_profile_vpc(self) -> dict[str, Any]:
        """The profile's ``deployment.vpc`` section (camelCase, as ``VpcConfig`` reads it)."""
        return {
            "vpcId": self.vpc_id,
            "privateSubnetIds": list(self.private_subnet_ids),
            "availabilityZones": list(self.availability_zones),
            "cidrBlock": self.cidr_block,
        }


def _default_route_target(table: dict[str, Any], available_nats: set[str]) -> str:
    for route in table.get("Routes", []):
        if route.get("DestinationCidrBlock") != _DEFAULT_ROUTE or route.get("State") == "blackhole":
            continue
        if route.get("NatGatewayId"):
            return "nat" if route["NatGatewayId"] in available_nats else "other"
        if str(route.get("GatewayId", "")).startswith("igw-"):
            return "internet"
        return "other"
    return "none"


def discover_vpc(ec2: Any, vpc_id: str) -> VpcDiscovery:
    """Read a VPC's subnets and routes; no judgement beyond classifying each subnet's egress."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]).get("Vpcs", [])
    if not vpcs:
        region = ec2.meta.region_name
        raise ValidationFailedError(
            f"VPC {vpc_id} was not found in {region}",
            hint="check the id and the region, or leave the VPC empty to let deploy create one",
        )
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnets = _paginate(ec2, "describe_subnets", "Subnets", vpc_filter)
    tables = _paginate(ec2, "describe_route_tables", "RouteTables", vpc_filter)
    nats = _paginate(ec2, "describe_nat_gateways", "NatGateways", vpc_filter)
    available_nats = {n["NatGatewayId"] for n in nats if n.get("State", "available") == "available"}

    main_table = next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    by_subnet = {a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    infos = []
    for subnet in subnets:
        table = by_subnet.get(subnet["SubnetId"], main_table)
        egress = _default_route_target(table, available_nats) if table else "none"
        infos.append(SubnetInfo(subnet["SubnetId"], subnet["AvailabilityZone"], subnet.get("CidrBlock", ""),
                                egress, int(subnet.get("AvailableIpAddressCount", 0)),
                                table.get("RouteTableId", "") if table else ""))
    infos.sort(key=lambda s: (s.availability_zone, -s.free_addresses, s.subnet_id))

    chosen: dict[str, SubnetInfo] = {}
    for info in infos:
        if info.egress == "nat":
            chosen.setdefault(info.availability_zone, info)
    zones = tuple(sorted(chosen))
    return VpcDiscovery(
        vpc_id=vpc_id,
        cidr_block=vpcs[0].get("CidrBlock", ""),
        private_subnet_ids=tuple(chosen[z].subnet_id for z in zones),
        availability_zones=zones,
        subnets=tuple(infos),
    )


def validate_vpc(ec2: Any, vpc_id: str, min_azs: int = MIN_AZS) -> VpcDiscovery:
    """``discover_vpc`` plus the rule: private subnets routed via NAT in ≥ ``min_azs`` zones, else what to fix."""
    found = discover_vpc(ec2, vpc_id)
    problem = vpc_problem(found, min_azs)
    if problem is not None:
        raise ValidationFailedError(*problem)
    return found


def vpc_problem(found: VpcDiscovery, min_azs: int = MIN_AZS) -> tuple[str, str] | None:
    """``(what is wrong, exactly what to fix)`` when ``found`` has NAT-routed private subnets in fewer than
    ``min_azs`` zones, else None."""
    zones = found.availability_zones
    if len(zones) >= min_azs:
        return None
    seen = "; ".join(f"{s.subnet_id} ({s.availability_zone}, {s.kind})" for s in found.subnets) or "no subnets"
    if zones:
        what = (f"VPC {found.vpc_id} has private subnets routed through a NAT gateway in {len(zones)} availability "
                f"zone{'' if len(zones) == 1 else 's'} ({', '.join(zones)}), and the service needs them in at "
                f"least {min_azs}")
    else:
        what = f"VPC {found.vpc_id} has no private subnet routed through a NAT gateway"
    what += f"; public and isolated subnets are excluded (subnets: {seen})"
    missing = min_azs - len(zones)
    # Isolated subnets in other zones are the nearest fix: give their route tables a default route via NAT.
    candidates: dict[str, SubnetInfo] = {}
    for subnet in found.subnets:
        if subnet.egress in {"none", "other"} and subnet.availability_zone not in zones:
            candidates.setdefault(subnet.availability_zone, subnet)
    tables = sorted({s.route_table_id or "its route table" for s in candidates.values()})
    if len(candidates) >= missing:
        fix = (f"add a route 0.0.0.0/0 to a NAT gateway in {', '.join(tables)} (used by "
               + ", ".join(f"{s.subnet_id} in {z}" for z, s in sorted(candidates.items())) + ")")
    else:
        fix = (f"add {'a private subnet' if missing == 1 else f'{missing} private subnets'} in "
               f"{'another zone' if zones else 'two zones'} whose route table sends 0.0.0.0/0 to a NAT gateway")
    return what, f"{fix}, or choose 'new' (--vpc-id new) to let deploy create a VPC"


def _paginate(client: Any, operation: str, key: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(Filters=filters):
        items.extend(page.get(key, []))
    return items
