from __future__ import annotations

import pytest

from benchling_webhook.sandbox.api import BenchlingApiState
from benchling_webhook.sandbox.tenant import ListQueryError, RateLimit, generate_tenant, list_entries
from tests.helpers import FakeClock


@pytest.fixture
def api() -> BenchlingApiState:
    state = BenchlingApiState()
    generate_tenant(state, 120, archived_every=10)
    return state


def every_page(api: BenchlingApiState, **params: str) -> list[str]:
    ids: list[str] = []
    token = ""
    while True:
        page = list_entries(api, {**params, **({"nextToken": token} if token else {})})
        ids += [e["id"] for e in page["entries"]]
        if not (token := page["nextToken"]):
            return ids


def test_pages_cover_every_unarchived_entry_once_newest_first_by_default(api: BenchlingApiState) -> None:
    ids = every_page(api, pageSize="50")
    assert len(ids) == len(set(ids)) == 108  # 12 of 120 archived
    stamps = [api.entries[i]["modifiedAt"] for i in ids]
    assert stamps == sorted(stamps, reverse=True)
    assert len(every_page(api, archiveReason="ANY_ARCHIVED")) == 12


def test_modified_at_takes_operators_joined_by_and(api: BenchlingApiState) -> None:
    ids = every_page(api, modifiedAt="> 2023-01-01 AND <= 2024-06-30T12:00:00Z", sort="modifiedAt:asc")
    assert ids and all("2023-01-01" < api.entries[i]["modifiedAt"] <= "2024-06-30T12:00:00+00:00" for i in ids)


@pytest.mark.parametrize("params", [{"pageSize": "101"}, {"pageSize": "0"}, {"modifiedAt": "> yesterday"},
                                    {"sort": "colour"}, {"nextToken": "not-a-token"}])
def test_what_benchling_refuses_is_refused(api: BenchlingApiState, params: dict[str, str]) -> None:
    with pytest.raises(ListQueryError):
        list_entries(api, params)


def test_the_rate_limit_is_a_fixed_window_that_says_when_it_resets() -> None:
    clock = FakeClock()
    limit = RateLimit(limit=3, window_seconds=10.0, clock=clock)
    assert [limit.admit() for _ in range(3)] == [None, None, None]
    clock.advance(4.0)
    assert limit.admit() == pytest.approx(6.0)
    assert limit.headers()["x-rate-limit-remaining"] == "0"
    clock.advance(6.0)
    assert limit.admit() is None and (limit.served, limit.refused) == (4, 1)
