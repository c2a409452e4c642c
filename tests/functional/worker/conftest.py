"""Worker fixtures: a Benchling client on the sandbox, settings pointing at sandbox + moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.server.benchling.client import BenchlingClient


class SleepRecorder:
    """Records the waits the retry policy asked for instead of sleeping them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def benchling(sandbox: SandboxServer, sleeps: SleepRecorder) -> Iterator[BenchlingClient]:
    client = BenchlingClient(sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, sleep=sleeps)
    yield client
    client.close()
