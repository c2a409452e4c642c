from __future__ import annotations

import io
import json
import logging
from typing import Any

from benchling_webhook.server.logging import BufferedLineHandler, JsonFormatter, configure_logging
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


def test_configure_logging_routes_everything_through_one_json_handler() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    knobs = {name: getattr(logging, name) for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")}
    stream = io.StringIO()
    try:
        configure_logging("WARNING", stream)
        logging.getLogger("benchling_webhook.test").warning("careful", extra={"webhook_id": "msg_9"})
        logging.getLogger("benchling_webhook.test").info("hidden")
        logging.getLogger("uvicorn.access").warning("access lines are off")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, value in knobs.items():
            setattr(logging, name, value)
        logging.getLogger("uvicorn.access").disabled = False
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["msg"], line["webhook_id"]) for line in lines] == [("careful", "msg_9")]


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
