from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.setup.support import StandIn


@pytest.fixture(scope="session")
def standin_server() -> Iterator[StandIn]:
    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture
def standin(standin_server: StandIn) -> StandIn:
    standin_server.reset()
    return standin_server
