"""Small test helpers: fixture loading, profiles, CLI results."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer.testing import CliRunner

import benchling_webhook
from benchling_webhook.sandbox.net import free_port as free_port  # re-exported for the tests

if TYPE_CHECKING:
    from benchling_webhook.server.worker.runner import InboxConsumer

FIXTURES = Path(__file__).parent / "fixtures"
SEED_EXAMPLE = FIXTURES / "seed-profile-example.jsonc"
API_FIXTURES = Path(benchling_webhook.__file__).parent / "sandbox" / "fixtures" / "api"

# The CLI as a subprocess of the interpreter running the tests, so an unactivated venv (or another
# `benchling-webhook` earlier on PATH) cannot swap in a different install.
CLI = [sys.executable, "-m", "benchling_webhook"]
# The console script pip wrote beside that interpreter: tests of the entry point itself use this one.
CONSOLE_SCRIPT = str(Path(sys.executable).with_name("benchling-webhook"))


def load_fixture(relative: str) -> Any:
    """A JSON fixture, e.g. ``load_fixture("benchling/webhooks/entry-created.json")``."""
    return json.loads((FIXTURES / relative).read_text())


def load_api_fixture(name: str) -> Any:
    """A Benchling API answer the sandbox serves (package data), e.g. ``load_api_fixture("get-entry.json")``."""
    return json.loads((API_FIXTURES / name).read_text())


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def minimal_profile(**overrides: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "benchling": {"tenant": "acme-bio", "clientId": "client_abc", "appDefinitionId": "appdef_T4nB7cWq1s",
                      "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bw-abc"},
        "packages": {"bucket": "quilt-packages"},
        "deployment": {"region": "us-east-1"},
    }
    for key, value in overrides.items():
        profile[key] = value
    return profile


def write_profile(home: Path, name: str, data: dict[str, Any] | str) -> Path:
    path = home / "config" / "benchling-webhook" / name / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(runner: CliRunner, args: list[str], input: str | None = None) -> CliResult:
    from benchling_webhook.cli.app import app

    result = runner.invoke(app, args, input=input, catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def wait_for(check: Callable[[], bool], what: str = "the condition", timeout: float = 30.0) -> None:
    """Poll ``check`` until it holds; fail the test with ``what`` once ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def run_consumer_until(consumer: InboxConsumer, done: Callable[[], bool], timeout: float = 15.0,
                             stop_timeout: float = 60.0) -> None:
    """Run ``consumer`` until ``done()`` holds (fail after ``timeout``), then stop it gracefully."""
    task = asyncio.create_task(consumer.run())
    deadline = time.monotonic() + timeout
    try:
        while not done():
            assert time.monotonic() < deadline, f"condition not reached in time; stats={consumer.stats}"
            assert not task.done(), task
            await asyncio.sleep(0.05)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, stop_timeout)
