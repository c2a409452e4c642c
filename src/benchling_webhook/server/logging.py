"""Structured JSON logs for the server and worker: one JSON object per line on stderr.

Every line about an event carries ``webhook_id``, ``event_type`` and ``entry_id`` (and ``canvas_id``)
passed as ``extra=`` fields, so CloudWatch Logs Insights can filter by them. The formatter is kept
cheap (one ``orjson.dumps`` per line, no per-call introspection beyond the record's dict) because the
ack path logs one line per webhook; uvicorn's access log is switched off for the same reason — the
webhook line replaces it. Nothing here knows secret values; callers never pass them.

Lines below WARNING are written in chunks (``BufferedLineHandler``): at a few thousand webhooks a second
a write system call per line (stderr is line-buffered) costs more than formatting the line. A WARNING or
worse is written at once together with everything before it, the buffer is written every
``flush_interval`` (0.2 s) by a daemon thread and at exit, so at most that much INFO output is lost if the
process is SIGKILLed — never the lines that say what went wrong.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

import orjson

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """``{"ts","level","logger","msg", **extra}``; exceptions as ``exc_type``/``exc`` (+ traceback)."""

    _second = -1
    _second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._timestamp(record.created, int(record.msecs)),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = str(record.exc_info[1])
            entry["traceback"] = self.formatException(record.exc_info)
        return _dumps(entry)

    def line(self, created: float, level: str, name: str, msg: str, fields: Mapping[str, Any]) -> str:
        """The line ``format`` gives for a record of these values with ``extra=fields`` (see ``log_event``)."""
        entry = {"ts": self._timestamp(created, int((created - int(created)) * 1000)), "level": level,
                 "logger": name, "msg": msg}
        entry.update(fields)
        return _dumps(entry)

    def _timestamp(self, created: float, msecs: int) -> str:
        second = int(created)
        if second != self._second:  # one strftime per second, not per line
            self._second, self._second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{msecs:03d}Z"


def _dumps(entry: dict[str, Any]) -> str:
    return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class BufferedLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A ``StreamHandler`` that writes lines in chunks (see the module docstring).

    Lines are buffered until a record at ``flush_level`` or above arrives, ``capacity`` lines are
    waiting, or ``flush_interval`` seconds passed (a daemon thread flushes; ``logging.shutdown`` at exit
    flushes too). Order is kept: a flush writes the buffered lines, then the record that caused it.
    """

    def __init__(self, stream: IO[str] | None = None, capacity: int = 256, flush_level: int = logging.WARNING,
                 flush_interval: float = 0.2) -> None:
        super().__init__(stream)
        self.capacity = capacity
        self.flush_level = flush_level
        self._lines: list[str] = []
        self._closed = threading.Event()
        if flush_interval > 0:
            threading.Thread(target=self._flush_periodically, args=(flush_interval,), daemon=True,
                             name="log-flush").start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
            if record.levelno >= self.flush_level or len(self._lines) >= self.capacity:
                self._write()
        except Exception:  # pragma: no cover - logging must never raise into the caller
            self.handleError(record)

    def add_line(self, line: str) -> None:
        """Buffer a line formatted elsewhere (``log_event``) — below ``flush_level`` by contract."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._lines.append(line)
            if len(self._lines) >= self.capacity:
                self._write()

    def _write(self) -> None:
        """Write and flush the buffer (caller holds the handler lock)."""
        if self._lines:
            text = "\n".join(self._lines) + "\n"
            self._lines.clear()
            self.stream.write(text)
        if hasattr(self.stream, "flush"):
            self.stream.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            if self.stream is not None:
                self._write()

    def close(self) -> None:
        self._closed.set()
        self.flush()
        super().close()

    def _flush_periodically(self, interval: float) -> None:
        while not self._closed.wait(interval):
            try:
                self.flush()
            except Exception:  # pragma: no cover - e.g. the stream was closed under us at exit
                return


EventWriter = Callable[[logging.Logger, str, Mapping[str, Any]], bool]
_event_writer: EventWriter | None = None


def set_event_writer(writer: EventWriter | None) -> None:
    """Install a faster way to write ``log_event`` lines: ``writer`` returns False when it cannot, and the
    line goes through ``logging`` (server/tuning.py installs one, behind ``SERVER_TUNING``)."""
    global _event_writer
    _event_writer = writer


def log_event(logger: logging.Logger, msg: str, fields: Mapping[str, Any]) -> None:
    """``logger.info(msg, extra=fields)`` for the line the ack path writes per webhook, through the event
    writer when one is installed (``set_event_writer``)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    writer = _event_writer
    if writer is None or not writer(logger, msg, fields):
        logger.info(msg, extra=dict(fields))


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Route every logger (ours, uvicorn's, botocore's) through one JSON handler at ``level``.

    Also switches off the LogRecord fields the JSON lines never show (caller lookup, thread and process
    names) — the logging HOWTO's "Optimization" knobs; they cost ~6 µs per line on the ack path.
    """
    logging._srcfile = None  # no findCaller() stack walk per record
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = BufferedLineHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if isinstance(old, BufferedLineHandler):  # stop its flush thread (other handlers: not ours to close)
            old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    for noisy in ("botocore", "boto3", "urllib3", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
