from __future__ import annotations

import threading

import httpx
import pytest

from benchling_webhook.server.benchling.budget import (
    RESERVE_RELEASE_SECONDS,
    ApiBudget,
    BudgetTransport,
    Priority,
    call_with_priority,
    current_priority,
)
from tests.helpers import FakeClock


def drain(budget: ApiBudget, priority: Priority) -> int:
    taken = 0
    while budget.try_take(priority) == 0.0:
        taken += 1
    return taken


def test_live_calls_never_wait_for_tokens_and_backfill_gets_what_they_leave() -> None:
    clock = FakeClock()
    budget = ApiBudget(10.0, burst=20, clock=clock)
    assert drain(budget, Priority.BACKFILL) == 20
    for _ in range(5):
        assert budget.try_take(Priority.LIVE) == 0.0  # from an empty bucket: the balance goes below zero
    assert budget.tokens == -5
    assert budget.try_take(Priority.BACKFILL) == pytest.approx(0.6)  # six tokens' time: the live calls' and one
    clock.advance(0.6)
    assert drain(budget, Priority.BACKFILL) == 1
    assert budget.stats.backfill == 21 and budget.stats.live == 5


def test_over_time_backfill_alone_gets_the_whole_rate() -> None:
    clock = FakeClock()
    budget = ApiBudget(5.0, clock=clock)
    granted = 0
    for _ in range(600):  # one minute in 0.1 s steps
        clock.advance(0.1)
        granted += drain(budget, Priority.BACKFILL)
    assert 5.0 * 60 - 1 <= granted <= 5.0 * 60 + budget.burst


def test_a_429_holds_every_caller_until_the_window_resets_and_then_refills_from_empty() -> None:
    clock = FakeClock()
    budget = ApiBudget(4.0, clock=clock)
    budget.hold(3.0)
    assert budget.try_take(Priority.LIVE) == pytest.approx(3.0)
    assert budget.try_take(Priority.BACKFILL) == pytest.approx(3.0)
    clock.advance(3.0)
    assert budget.try_take(Priority.BACKFILL) > 0  # empty at the reset
    clock.advance(0.25)
    assert budget.try_take(Priority.BACKFILL) == 0.0
    assert budget.stats.rate_limited == 1 and budget.stats.held_seconds == pytest.approx(3.0)


def test_priority_follows_the_work_it_was_set_around() -> None:
    seen: list[Priority] = []
    call_with_priority(Priority.BACKFILL, lambda: seen.append(current_priority()))
    thread = threading.Thread(target=lambda: seen.append(current_priority()))
    thread.start()
    thread.join()
    assert seen == [Priority.BACKFILL, Priority.LIVE] and current_priority() is Priority.LIVE


def test_the_transport_charges_api_calls_only_and_reports_a_429() -> None:
    budget = ApiBudget(1000.0)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/limited":
            return httpx.Response(429, headers={"x-rate-limit-reset": "0"})
        return httpx.Response(200)

    with httpx.Client(transport=BudgetTransport(httpx.MockTransport(answer), budget)) as client:
        client.get("https://t.benchling.com/api/v2/entries/etr_1")
        client.get("https://bucket.s3.amazonaws.com/export.zip")  # a pre-signed download is no API call
        client.get("https://t.benchling.com/api/v2/limited")
    assert budget.stats.live == 2 and budget.stats.rate_limited == 1


def test_backfill_leaves_the_end_of_the_tenants_window_to_live_calls() -> None:
    clock = FakeClock()
    budget = ApiBudget(100.0, burst=200, window_reserve=3, clock=clock)
    budget.observe(remaining=4, reset=5.0)  # Benchling: 4 calls left in this window, which ends in 5 s
    assert drain(budget, Priority.BACKFILL) == 1  # one call, then the window's last 3 are for live calls
    assert budget.try_take(Priority.BACKFILL) == pytest.approx(5.0 - RESERVE_RELEASE_SECONDS)
    assert [budget.try_take(Priority.LIVE) for _ in range(2)] == [0.0, 0.0]  # a webhook takes two of them
    clock.advance(5.0 - RESERVE_RELEASE_SECONDS)  # near the reset, what live calls left goes to the backfill
    assert drain(budget, Priority.BACKFILL) == 1
    assert budget.try_take(Priority.LIVE) == pytest.approx(RESERVE_RELEASE_SECONDS)  # empty until the reset
    clock.advance(RESERVE_RELEASE_SECONDS)
    assert budget.try_take(Priority.BACKFILL) == 0.0  # a new window: the bucket alone decides again


def test_a_late_answer_from_the_same_window_cannot_raise_what_is_left_but_a_new_window_can() -> None:
    clock = FakeClock()
    budget = ApiBudget(100.0, burst=200, window_reserve=0, clock=clock)
    budget.observe(remaining=2, reset=5.0)
    budget.observe(remaining=6, reset=5.0)  # sent before the requests the first answer already counts
    assert drain(budget, Priority.BACKFILL) == 2  # 2 left, not 6
    clock.advance(5.0)
    budget.observe(remaining=6, reset=5.0)  # the next window
    assert drain(budget, Priority.BACKFILL) == 6
