from __future__ import annotations

from typing import Any

import pytest

from benchling_webhook.errors import ExportError, WorkAbandoned
from benchling_webhook.server.worker.export import iter_task_polls, run_export
from tests.helpers import FakeClock


class ScriptedTasks:
    """Export API stub: each export's task answers RUNNING ``running`` times, then the given outcome."""

    def __init__(self, outcomes: list[str], running: int = 0) -> None:
        self.outcomes = outcomes
        self.running = running
        self.started: list[str] = []
        self.polls = 0

    def start_export(self, entry_id: str) -> str:
        self.started.append(entry_id)
        return f"task_{len(self.started)}"

    def get_task(self, task_id: str) -> dict[str, Any]:
        self.polls += 1
        state = self.outcomes[int(task_id.split("_")[1]) - 1]
        if self.polls <= self.running:
            return {"status": "RUNNING"}
        self.polls = 0
        if state == "SUCCEEDED":
            return {"status": "SUCCEEDED", "response": {"downloadURL": f"https://files/{task_id}.zip"}}
        return {"status": "FAILED", "message": "Export failed: entry is being edited"}


def test_polls_back_off_from_half_a_second_to_ten() -> None:
    clock = FakeClock()
    api = ScriptedTasks(["SUCCEEDED"], running=10)
    states = [t["status"] for t in iter_task_polls(api, "task_1", timeout=600, sleep=clock.sleep, clock=clock)]
    assert states == ["RUNNING"] * 10 + ["SUCCEEDED"]
    assert clock.waits[:4] == [0.5, 0.75, 1.125, 1.6875]
    assert max(clock.waits) == 10.0


def test_polling_stops_at_the_timeout() -> None:
    clock = FakeClock()
    api = ScriptedTasks(["SUCCEEDED"], running=1000)
    with pytest.raises(ExportError, match="did not finish within 30 s"):
        list(iter_task_polls(api, "task_1", timeout=30, sleep=clock.sleep, clock=clock))
    assert sum(clock.waits) == pytest.approx(30.0)


def test_shutdown_interrupts_the_wait() -> None:
    with pytest.raises(WorkAbandoned):
        list(iter_task_polls(ScriptedTasks(["SUCCEEDED"]), "task_1", timeout=30, sleep=lambda _: True))


def test_failed_exports_are_started_again_then_succeed() -> None:
    clock = FakeClock()
    api = ScriptedTasks(["FAILED", "SUCCEEDED"])
    url = run_export(api, "etr_1", timeout=60, sleep=clock.sleep, clock=clock, retry_delay=2.0)
    assert url == "https://files/task_2.zip"
    assert api.started == ["etr_1", "etr_1"]


def test_export_gives_up_after_the_attempts_with_benchlings_reason() -> None:
    clock = FakeClock()
    api = ScriptedTasks(["FAILED"] * 3)
    with pytest.raises(ExportError, match="failed 3 times: Export failed: entry is being edited"):
        run_export(api, "etr_1", timeout=60, sleep=clock.sleep, clock=clock, attempts=3)
    assert len(api.started) == 3
