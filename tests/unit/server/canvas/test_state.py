from __future__ import annotations

import json

import pytest

from benchling_webhook.server.canvas.state import MAX_DATA_BYTES, CanvasState, View


def test_state_round_trips_through_canvas_data() -> None:
    state = CanvasState("etr_1", "EXP1", View.BROWSE, 3)
    assert CanvasState.from_data(state.to_data(), "etr_1") == state


@pytest.mark.parametrize("data", [None, "", "not json", "[1, 2]", '"text"', "{}", '{"view": 7, "page": "x"}'])
def test_unusable_data_falls_back_to_the_main_view_of_the_canvas_entry(data: str | None) -> None:
    state = CanvasState.from_data(data, "etr_1")
    assert state.entry_id == "etr_1" and state.view is View.MAIN and state.page == 0


def test_bad_view_and_negative_page_are_reset() -> None:
    data = json.dumps({"v": 1, "entryId": "etr_1", "view": "nope", "page": -4})
    assert CanvasState.from_data(data, "etr_1") == CanvasState("etr_1", None, View.MAIN, 0)


def test_state_copied_from_another_entry_is_not_trusted() -> None:
    data = CanvasState("etr_other", "EXP9", View.BROWSE, 2).to_data()
    assert CanvasState.from_data(data, "etr_1") == CanvasState("etr_1")


def test_data_always_fits_in_5_kb() -> None:
    data = CanvasState("etr_" + "x" * 10_000, "EXP" + "9" * 10_000, View.BROWSE, 10**9).to_data()
    assert len(data.encode()) <= MAX_DATA_BYTES
    assert json.loads(data)["page"] == 10**9
