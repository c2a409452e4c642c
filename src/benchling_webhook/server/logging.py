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
from typing import IO, Any

import orjson

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """``{"ts","level","logger","msg", **extra}``; exceptions as ``exc_type``/``exc`` (+ traceback)."""

    _second = -1
    _second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # one strftime per second, not per line
            self._second, self._second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        entry: dict[str, Any] = {
            "ts": f"{self._second_text}.{int(record.msecs):03d}Z",
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
