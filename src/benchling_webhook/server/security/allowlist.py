"""The optional IP allowlist (``WEBHOOK_ALLOW_LIST``, CIDRs), enforced in the app.

Behind API Gateway's HTTP API there is no resource policy, and the TCP peer is the VPC link, so the
client address is the **last** ``X-Forwarded-For`` hop: the one API Gateway appended. Earlier hops are
whatever the caller claimed and are ignored.
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


def client_address(peer: str | None, forwarded_for: str | None) -> str | None:
    """The last ``X-Forwarded-For`` hop if present, else the TCP peer."""
    if forwarded_for:
        last = forwarded_for.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return peer
