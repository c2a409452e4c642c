"""The optional IP allowlist (``WEBHOOK_ALLOW_LIST``, CIDRs), enforced in the app.

Behind API Gateway's HTTP API there is no resource policy, and the TCP peer is the VPC link. An HTTP API
passes ``X-Forwarded-For`` and ``Forwarded`` through as the client sent them, so neither says who called.
The stack's integration instead overwrites one header (``CLIENT_IP_HEADER``, ``constants.CLIENT_IP_HEADER``)
with ``$context.identity.sourceIp``; that header alone is trusted. Without it configured (a local run,
no edge in front) the TCP peer is the caller.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import ConfigError

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AllowList:
    """A set of networks; empty means everyone is allowed."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        networks: list[_Network] = []
        for cidr in cidrs:
            try:
                networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"{EnvVars.WEBHOOK_ALLOW_LIST}: '{cidr}' is not a CIDR",
                                  hint="use comma-separated networks such as 203.0.113.0/24") from None
        self.networks = tuple(networks)

    @property
    def enabled(self) -> bool:
        return bool(self.networks)

    def allows(self, address: str | None) -> bool:
        if not self.networks:
            return True
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)


def client_address(peer: str | None, edge_header: str | None, *, behind_edge: bool) -> str | None:
    """The caller: the edge's header behind the edge (missing: unknown), else the TCP peer."""
    if behind_edge:
        return edge_header.strip() if edge_header and edge_header.strip() else None
    return peer
