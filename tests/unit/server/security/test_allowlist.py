from __future__ import annotations

import pytest

from benchling_webhook.errors import ConfigError
from benchling_webhook.server.security.allowlist import AllowList, client_address


@pytest.mark.parametrize(("address", "allowed"), [
    ("10.1.2.3", True), ("192.168.1.7", True), ("192.168.1.8", False), ("8.8.8.8", False),
    ("::ffff:10.0.0.1", True), ("2001:db8::1", True), ("not-an-ip", False), (None, False), ("", False),
])
def test_allow_list_matches_networks(address: str | None, allowed: bool) -> None:
    assert AllowList(["10.0.0.0/8", " 192.168.1.7/32", "2001:db8::/32"]).allows(address) is allowed


def test_empty_allow_list_allows_everyone() -> None:
    assert AllowList([]).allows(None) and not AllowList([]).enabled


def test_invalid_cidr_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"'10\.0\.0/33' is not a CIDR"):
        AllowList(["10.0.0/33"])


@pytest.mark.parametrize(("peer", "xff", "expected"), [
    ("10.0.0.5", None, "10.0.0.5"),
    ("10.0.0.5", "1.2.3.4", "1.2.3.4"),
    ("10.0.0.5", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # earlier hops are the caller's claims
    ("10.0.0.5", " , ", "10.0.0.5"),
])
def test_client_address_is_the_last_forwarded_hop(peer: str, xff: str | None, expected: str) -> None:
    assert client_address(peer, xff) == expected
