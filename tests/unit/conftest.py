"""The unit tier opens no internet sockets: a test that needs a server or a port belongs in tests/functional."""

from __future__ import annotations

import socket
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def no_internet_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail at ``connect``/``bind`` of an IPv4/IPv6 socket (the event loop's own socket pair stays allowed)."""
    for name in ("connect", "connect_ex", "bind"):
        original = getattr(socket.socket, name)

        def refuse(self: socket.socket, address: Any, *, _name: str = name, _original: Any = original) -> Any:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                raise AssertionError(f"a unit test called socket.{_name}({address!r}): move it to tests/functional")
            return _original(self, address)

        monkeypatch.setattr(socket.socket, name, refuse)
