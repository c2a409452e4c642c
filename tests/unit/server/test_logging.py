from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from benchling_webhook.server.logging import (
    BufferedLineHandler,
    EventWriter,
    JsonFormatter,
    configure_logging,
    log_event,
    set_event_writer,
)
from benchling_webhook.server.tuning import write_event_line
from tests.helpers import wait_for


def test_json_lines_carry_event_fields() -> None:
    record = logging.LogRecord("benchling_webhook.x", logging.INFO, __file__, 1, "webhook %s", ("queued",), None)
    record.webhook_id = "msg_1"
    record.event_type = "v2.entry.created"
    record.entry_id = "etr_1"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "webhook queued" and line["level"] == "INFO"
    assert (line["webhook_id"], line["event_type"], line["entry_id"]) == ("msg_1", "v2.entry.created", "etr_1")
    assert line["ts"].endswith("Z")


def test_exceptions_are_fields_of_the_same_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert line["exc_type"] == "ValueError" and line["exc"] == "boom" and "Traceback" in line["traceback"]


@pytest.fixture
def json_logging() -> Iterator[io.StringIO]:
    """``configure_logging`` at INFO into a buffer; the root logger and the knobs are restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    knobs = {name: getattr(logging, name) for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")}
    stream = io.StringIO()
    configure_logging("INFO", stream)
    yield stream
    for handler in root.handlers:
        if handler not in saved[0]:
            handler.close()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, value in knobs.items():
        setattr(logging, name, value)
    logging.getLogger("uvicorn.access").disabled = False


def _flushed_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_configure_logging_routes_everything_through_one_json_handler(json_logging: io.StringIO) -> None:
    configure_logging("WARNING", json_logging)
    logging.getLogger("benchling_webhook.test").warning("careful", extra={"webhook_id": "msg_9"})
    logging.getLogger("benchling_webhook.test").info("hidden")
    logging.getLogger("uvicorn.access").warning("access lines are off")
    lines = _flushed_lines(json_logging)
    assert [(line["msg"], line["webhook_id"]) for line in lines] == [("careful", "msg_9")]
    assert len(logging.getLogger().handlers) == 1


def _record(level: int, msg: str) -> logging.LogRecord:
    return logging.LogRecord("benchling_webhook.test", level, __file__, 1, msg, None, None)


def _buffered(stream: io.StringIO, **options: Any) -> BufferedLineHandler:
    handler = BufferedLineHandler(stream, **options)
    handler.setFormatter(JsonFormatter())
    return handler


def test_info_lines_are_written_in_chunks_and_a_warning_writes_everything_in_order() -> None:
    stream = io.StringIO()
    handler = _buffered(stream, capacity=100, flush_interval=0)
    for i in range(3):
        handler.handle(_record(logging.INFO, f"queued {i}"))
    assert stream.getvalue() == ""
    handler.handle(_record(logging.WARNING, "careful"))
    assert [json.loads(line)["msg"] for line in stream.getvalue().splitlines()] == \
        ["queued 0", "queued 1", "queued 2", "careful"]
    handler.close()


def test_buffered_lines_are_written_when_the_buffer_is_full_on_close_and_by_the_timer() -> None:
    stream = io.StringIO()
    handler = _buffered(stream, capacity=2, flush_interval=0)
    for i in range(3):
        handler.handle(_record(logging.INFO, f"line {i}"))
    assert len(stream.getvalue().splitlines()) == 2
    handler.close()
    assert len(stream.getvalue().splitlines()) == 3

    timed = io.StringIO()
    handler = _buffered(timed, flush_interval=0.05)
    handler.handle(_record(logging.INFO, "eventually"))
    wait_for(lambda: "eventually" in timed.getvalue(), timeout=5)
    handler.close()


@pytest.fixture(params=[None, write_event_line], ids=["logging", "tuned"])
def event_writer(request: pytest.FixtureRequest) -> Iterator[EventWriter | None]:
    """``log_event`` as is and with the process tuning's writer installed: the lines must not differ."""
    set_event_writer(request.param)
    yield request.param
    set_event_writer(None)


def test_log_event_writes_the_line_logger_info_would(json_logging: io.StringIO,
                                                     event_writer: EventWriter | None) -> None:
    logger = logging.getLogger("benchling_webhook.server.webhooks")
    fields = {"webhook_id": "msg_1", "event_type": "v2.entry.created", "entry_id": "etr_1", "canvas_id": None}
    root = logging.getLogger()
    pytest_handlers = [h for h in root.handlers if not isinstance(h, BufferedLineHandler)]
    for handler in pytest_handlers:  # as in the server: the JSON handler is the only one
        root.removeHandler(handler)
    try:
        logger.info("webhook queued", extra=fields)
        log_event(logger, "webhook queued", fields)
        if event_writer is not None:  # the writer, not its fallback, wrote the line
            assert event_writer(logger, "webhook queued", fields)
    finally:
        for handler in pytest_handlers:
            root.addHandler(handler)
    by_info, by_event, *by_writer = _flushed_lines(json_logging)
    assert by_info.pop("ts")[:16] == by_event.pop("ts")[:16]  # same format, same minute
    for line in by_writer:
        line.pop("ts")
    assert [by_info, *by_writer] == [by_event] * (1 + len(by_writer))
    assert by_info == {"level": "INFO", "logger": "benchling_webhook.server.webhooks", "msg": "webhook queued",
                       **fields}


def test_log_event_respects_levels_and_other_handlers(json_logging: io.StringIO,
                                                     event_writer: EventWriter | None) -> None:
    logger = logging.getLogger("benchling_webhook.server.webhooks")
    logging.getLogger().setLevel(logging.WARNING)
    log_event(logger, "hidden", {"webhook_id": "msg_0"})
    assert _flushed_lines(json_logging) == []

    logging.getLogger().setLevel(logging.INFO)
    captured: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = captured.append  # type: ignore[method-assign]
    logger.addHandler(capture)  # e.g. a test capturing logs: the record must reach it
    try:
        log_event(logger, "seen twice", {"webhook_id": "msg_2"})
    finally:
        logger.removeHandler(capture)
    assert [(r.getMessage(), r.webhook_id) for r in captured] == [("seen twice", "msg_2")]  # type: ignore[attr-defined]
    assert [(line["msg"], line["webhook_id"]) for line in _flushed_lines(json_logging)] == [("seen twice", "msg_2")]
