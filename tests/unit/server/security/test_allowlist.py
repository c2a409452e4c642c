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


@pytest.mark.parametrize(("peer", "edge", "behind_edge", "expected"), [
    ("10.0.0.5", "203.0.113.7", True, "203.0.113.7"),  # the edge wrote the header
    ("10.0.0.5", None, True, None),  # behind the edge without its header: unknown, so not allowed
    ("10.0.0.5", "  ", True, None),
    ("127.0.0.1", "203.0.113.7", False, "127.0.0.1"),  # no edge: the header is a client's claim
    ("127.0.0.1", None, False, "127.0.0.1"),
])
def test_the_client_is_the_edges_header_behind_the_edge_else_the_peer(
        peer: str, edge: str | None, behind_edge: bool, expected: str | None) -> None:
    assert client_address(peer, edge, behind_edge=behind_edge) == expected
