"""Small test helpers: fixture loading, profiles, CLI results, the fake clock and polling with a deadline."""

from __future__ import annotations

import asyncio
import json
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from typer.testing import CliRunner

import benchling_webhook
from benchling_webhook.sandbox.net import free_port as free_port  # re-exported for the tests

if TYPE_CHECKING:
    from benchling_webhook.server.worker.runner import InboxConsumer

T = TypeVar("T")

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


@dataclass
class FakeClock:
    """Monotonic time that moves only when the test moves it, for code that takes a ``clock`` (and a ``sleep``).

    It starts away from zero so that code treating 0 as "never" cannot pass by accident. ``sleep`` advances the
    clock instead of waiting and records each wait; it returns False, the answer of a sleep nobody interrupted.
    ``run`` gives asyncio code the same time (see ``run``).
    """

    now: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.advance(seconds)
        return False

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """``asyncio.run(main)`` on a loop whose time is this clock.

        Whenever every task waits on a timer (``asyncio.sleep``, ``call_later``, ``wait_for``), the clock jumps
        to the earliest one, so the scenario takes no real time and the times it measures are exact. For code
        that waits only on timers and on other tasks: a wait on a socket or a thread would see time race ahead.
        """
        with asyncio.Runner(loop_factory=lambda: _FakeTimeLoop(self)) as runner:
            return runner.run(main)


class _JumpingSelector(selectors.DefaultSelector):
    """Answers a wait for nothing ready by moving the clock to the wait's end instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only another thread can wake the loop
            return super().select(None)
        self.clock.advance(timeout)
        return []


class _FakeTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(_JumpingSelector(clock))
        self.fake_clock = clock

    def time(self) -> float:
        return self.fake_clock.now


def wait_for(check: Callable[[], bool], what: str = "the condition", timeout: float = 30.0) -> None:
    """Poll ``check`` until it holds; fail the test with ``what`` once ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def until(check: Callable[[], bool], what: str = "the condition", timeout: float = 10.0) -> None:
    """Inside a running loop: poll ``check`` until it holds; fail the test with ``what`` once ``timeout`` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def queue_depth(sqs: Any, url: str | None) -> int:
    """The messages on an SQS queue, waiting or in flight."""
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def imported_modules(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` running ``code`` in a fresh interpreter imports (the code must succeed)."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.rstrip("\n").rpartition("\n")[2].split(",") if m]


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
