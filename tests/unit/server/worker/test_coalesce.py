"""The coalescer on the fake clock: every quiet period and run takes no real time, and the times are exact."""

from __future__ import annotations

import asyncio

import pytest

from benchling_webhook.server.worker.coalesce import Coalescer
from tests.helpers import FakeClock


class Recorder:
    """The run function: records each run's key, contexts and start time; optional delay and failure."""

    def __init__(self, delay: float = 0.0, fail: BaseException | None = None) -> None:
        self.runs: list[tuple[str, list[int]]] = []
        self.started: list[float] = []
        self.delay = delay
        self.fail = fail
        self.active = 0
        self.peak = 0

    async def __call__(self, key: str, contexts: list[int]) -> str:
        self.runs.append((key, contexts))
        self.started.append(asyncio.get_running_loop().time())
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(self.delay)
            if self.fail is not None:
                raise self.fail
            return f"{key}:{len(self.runs)}"
        finally:
            self.active -= 1


def test_calls_within_the_quiet_period_share_one_run() -> None:
    run, clock = Recorder(), FakeClock()

    async def scenario() -> list[str]:
        coalescer = Coalescer(run, quiet=0.05, max_wait=1.0, concurrency=2, clock=clock)
        calls = []
        for i in range(5):
            calls.append(asyncio.create_task(coalescer.submit("etr_1", i)))
            await asyncio.sleep(0.01)
        return await asyncio.gather(*calls)

    assert clock.run(scenario()) == ["etr_1:1"] * 5
    assert run.runs == [("etr_1", [0, 1, 2, 3, 4])]


def test_calls_during_a_run_share_exactly_one_rerun() -> None:
    run, clock = Recorder(delay=0.2), FakeClock()

    async def scenario() -> list[str]:
        coalescer = Coalescer(run, quiet=0.0, max_wait=0.0, concurrency=2, clock=clock)
        first = asyncio.create_task(coalescer.submit("etr_1", 0))
        await asyncio.sleep(0.05)  # the first run is going
        later = [asyncio.create_task(coalescer.submit("etr_1", i)) for i in range(1, 4)]
        return await asyncio.gather(first, *later)

    assert clock.run(scenario()) == ["etr_1:1", "etr_1:2", "etr_1:2", "etr_1:2"]
    assert run.runs == [("etr_1", [0]), ("etr_1", [1, 2, 3])]


def test_a_steady_trickle_cannot_postpone_the_run_past_max_wait() -> None:
    run, clock = Recorder(), FakeClock()
    start = clock()

    async def scenario() -> None:
        coalescer = Coalescer(run, quiet=0.1, max_wait=0.2, concurrency=1, clock=clock)
        first = asyncio.create_task(coalescer.submit("k", 0))
        more = []
        for i in range(1, 20):
            await asyncio.sleep(0.03)
            if first.done():
                break
            more.append(asyncio.create_task(coalescer.submit("k", i)))
        await first
        await asyncio.gather(*more)

    clock.run(scenario())
    assert run.runs == [("k", [0, 1, 2, 3, 4, 5, 6])]  # the events of the first 0.2 s, quiet periods or not
    assert run.started == [pytest.approx(start + 0.2)]


def test_a_failure_reaches_every_joined_call() -> None:
    run, clock = Recorder(fail=ValueError("export failed")), FakeClock()

    async def scenario() -> list[object]:
        coalescer = Coalescer(run, quiet=0.02, max_wait=1.0, concurrency=1, clock=clock)
        return await asyncio.gather(*(coalescer.submit("k", i) for i in range(3)), return_exceptions=True)

    outcomes = clock.run(scenario())
    assert [str(o) for o in outcomes] == ["export failed"] * 3
    assert len(run.runs) == 1


def test_different_keys_run_in_parallel_up_to_the_limit() -> None:
    run, clock = Recorder(delay=0.1), FakeClock()
    start = clock()

    async def scenario() -> None:
        coalescer = Coalescer(run, quiet=0.0, max_wait=0.0, concurrency=2, clock=clock)
        await asyncio.gather(*(coalescer.submit(f"etr_{i}", i) for i in range(5)))

    clock.run(scenario())
    assert len(run.runs) == 5
    assert run.peak == 2
    assert run.started == pytest.approx([start, start, start + 0.1, start + 0.1, start + 0.2])


def test_close_fails_calls_that_have_not_started() -> None:
    run, clock = Recorder(), FakeClock()

    async def scenario() -> None:
        coalescer = Coalescer(run, quiet=5.0, max_wait=5.0, concurrency=1, clock=clock)
        call = asyncio.create_task(coalescer.submit("k", 0))
        await asyncio.sleep(0.01)
        await coalescer.aclose()
        with pytest.raises(RuntimeError, match="shutting down"):
            await call
        assert not coalescer.busy

    clock.run(scenario())
    assert run.runs == []
