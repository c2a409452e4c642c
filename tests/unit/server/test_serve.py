"""Process tuning of ``serve`` (``SERVER_TUNING``); the one-write protocol itself: test_http_protocol."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from benchling_webhook.server.logging import set_event_writer
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.tuning import OneWriteHttpToolsProtocol, tune_process


@pytest.fixture(autouse=True)
def untuned() -> Iterator[None]:
    """The test process as it was: no event writer, nothing frozen, the collector's own thresholds."""
    threshold = gc.get_threshold()
    yield
    set_event_writer(None)
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tuning_is_on_unless_switched_off() -> None:
    assert ServerSettings().server_tuning is True
    assert ServerSettings(SERVER_TUNING="false").server_tuning is False


def test_without_tuning_uvicorn_keeps_its_own_protocol() -> None:
    assert tune_process(False, "all") == "httptools"


@pytest.mark.parametrize(("role", "protocol"), [("web", OneWriteHttpToolsProtocol), ("all", OneWriteHttpToolsProtocol),
                                                ("worker", "httptools")])
def test_roles_that_answer_http_send_each_response_in_one_write(role: str, protocol: object) -> None:
    assert tune_process(True, role) == protocol  # type: ignore[arg-type]


def test_web_roles_freeze_the_start_up_heap() -> None:
    tune_process(True, "web")
    assert gc.get_freeze_count() > 1000  # modules, classes and schemas loaded so far
