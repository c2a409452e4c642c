"""Root fixtures: every test runs isolated from the developer's config, AWS identity and terminal."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from benchling_webhook.sandbox.moto_server import MotoServer
from tests.helpers import CliResult, run_cli

if TYPE_CHECKING:
    from benchling_webhook.sandbox.benchling import SandboxServer

# Tests press Ctrl-C in CLI processes they start. A shell without job control starts background commands
# with SIGINT ignored, and every process started from them inherits that: those Ctrl-Cs would be lost.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def isolation(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    for name in list(os.environ):
        # CI=true (set by the CI runner) switches the CLI to non-interactive: tests choose it explicitly.
        if name.startswith("BENCHLING_WEBHOOK_") or name in {"AWS_PROFILE", "AWS_ENDPOINT_URL", "CI"}:
            monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server (server mode, loopback) for the session; use ``aws`` for a clean state per test."""
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """A reset moto server, with ``AWS_ENDPOINT_URL`` pointing every boto3 client at it."""
    moto_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    return moto_server


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """One Benchling sandbox (uvicorn, loopback) for the session; use ``sandbox`` for fresh state per test."""
    from benchling_webhook.sandbox.benchling import SandboxServer

    server = SandboxServer().start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    """The session's sandbox with fresh ``SandboxState`` (new signing key, empty stores)."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def cli() -> CliRunnerFixture:
    return CliRunnerFixture()


class CliRunnerFixture:
    """Runs the real CLI in-process through typer's runner, stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> CliResult:
        return run_cli(self.runner, list(args), input=input)
