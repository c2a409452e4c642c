"""CloudWatch logs of a deployment: the service's JSON lines and API Gateway's access log, merged.

``iter_log_events`` is the one poller. It asks every log group for the window with
``filter_log_events`` (all pages), merges the groups in time order and yields ``LogEvent``s; with
``follow`` it keeps polling. Each poll starts ``overlap`` before the newest event seen, because
CloudWatch may ingest an event after a later one was already readable; a cache of event ids (pruned to
the overlap window) drops what was already yielded. So no duplicates, and no gaps for events that
arrive up to ``overlap`` late. ``sleep`` and ``clock`` are injectable so tests drive the polls.

Parsing knows the two shapes our stack writes: the server's JSON lines
(``{"ts","level","logger","msg","webhook_id","event_type","entry_id",...}``) and the HTTP API's JSON
access log (``{"requestId","routeKey","path","status","latency",...}``); anything else is shown as is.
Health checks (``/health``, ``/health/ready``, ``/health/live``) are noise unless asked for.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from benchling_webhook.aws.errors import error_code
from benchling_webhook.constants import StackOutputs
from benchling_webhook.errors import ConfigError

LogType = Literal["service", "api", "all"]

_SINCE_RE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_LEVEL_RE = re.compile(r"\b(DEBUG|INFO|WARN(?:ING)?|ERROR|CRITICAL|FATAL)\b")
_HEALTH_RE = re.compile(r"(?:GET|HEAD)\s+(?:/[^/\s]+)?/health(?:/ready|/live)?\b")
_HEALTH_PATH_RE = re.compile(r"^(?:/[^/]+)?/health(?:/ready|/live)?/?$")
_PATTERN_START = ('{', '[', '"', '?', '%')
# Fields worth showing after the message, in this order, with short labels.
FIELD_LABELS = (("event_type", "event"), ("entry_id", "entry"), ("webhook_id", "webhook"),
                ("canvas_id", "canvas"), ("package", "package"), ("reason", "reason"), ("status", "status"))


def parse_since(text: str) -> timedelta:
    """``10m``, ``2h``, ``1d`` (also ``30s``, ``1w``) → a duration."""
    match = _SINCE_RE.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"--since '{text}' is not a duration", hint="use a number and a unit, e.g. 10m, 2h or 1d")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def to_filter_pattern(text: str | None) -> str | None:
    """Plain text becomes an exact-phrase pattern; CloudWatch pattern syntax (``{ $.level = ... }``) passes."""
    if not text or not text.strip():
        return None
    text = text.strip()
    if text.startswith(_PATTERN_START) or '"' in text:
        return text
    return f'"{text}"'


@dataclass(frozen=True)
class LogSource:
    label: str
    group: str


def log_sources(outputs: Mapping[str, str], kind: LogType = "all") -> tuple[LogSource, ...]:
    """The log groups named by the stack outputs, for ``--type``."""
    wanted = {"service": (("service", StackOutputs.SERVICE_LOG_GROUP),),
              "api": (("api", StackOutputs.API_LOG_GROUP),)}
    pairs = wanted.get(kind) or (*wanted["service"], *wanted["api"])
    sources = tuple(LogSource(label, outputs[key]) for label, key in pairs if outputs.get(key))
    if not sources:
        names = " and ".join(key for _, key in pairs)
        raise ConfigError(f"the stack has no {names} output",
                          hint="re-deploy with this version: benchling-webhook deploy")
    return sources


@dataclass(frozen=True)
class LogEvent:
    """One log line, parsed: ``text`` is the readable message, ``fields`` the interesting extras."""

    timestamp: int
    source: str
    group: str
    stream: str
    event_id: str
    message: str
    level: str | None = None
    text: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp / 1000, tz=UTC)

    @property
    def is_health_check(self) -> bool:
        path = self.fields.get("path", "")
        return bool(_HEALTH_PATH_RE.match(path) or _HEALTH_RE.search(self.text) or _HEALTH_RE.search(self.message))

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time.isoformat().replace("+00:00", "Z"), "source": self.source, "level": self.level,
                "message": self.text, "fields": self.fields, "stream": self.stream, "raw": self.message}


def _normal_level(level: str | None) -> str | None:
    if not level:
        return None
    level = level.upper()
    return {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level)


def parse_message(message: str) -> tuple[str | None, str, dict[str, str]]:
    """``(level, text, fields)`` for a server JSON line, an API access line or plain text."""
    data: Any = None
    stripped = message.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
    if not isinstance(data, dict):
        match = _LEVEL_RE.search(stripped[:60])
        return _normal_level(match.group(1) if match else None), stripped, {}
    if "routeKey" in data or ("requestId" in data and "status" in data):
        return _access_line(data)
    level = _normal_level(str(data.get("level") or data.get("levelname") or data.get("severity") or "") or None)
    text = str(data.get("msg") or data.get("message") or data.get("event") or stripped)
    fields = {key: str(data[key]) for key, _ in FIELD_LABELS if data.get(key) not in (None, "")}
    if data.get("exc"):
        fields["error"] = f"{data.get('exc_type', 'Error')}: {data['exc']}"
    if data.get("path"):
        fields["path"] = str(data["path"])
    return level, text, fields


def _access_line(data: dict[str, Any]) -> tuple[str | None, str, dict[str, str]]:
    status = str(data.get("status", "-"))
    route = str(data.get("routeKey") or "-")
    path = str(data.get("path") or "")
    method = str(data.get("httpMethod") or data.get("method") or "")
    if not method and " " in route and not route.startswith("ANY "):
        method = route.split(" ", 1)[0]
    text = f"{method} {path} → {status}".strip() if path else f"{route} → {status}"
    level = "ERROR" if status.startswith("5") else "WARNING" if status.startswith("4") else "INFO"
    fields = {"path": path} if path else {}
    for key in ("latency", "integrationStatus", "integrationError", "ip", "requestId"):
        value = data.get(key)
        if value not in (None, "", "-"):
            fields[key] = f"{value} ms" if key == "latency" else str(value)
    return level, text, fields


def to_log_event(raw: Mapping[str, Any], source: LogSource) -> LogEvent:
    level, text, fields = parse_message(str(raw.get("message", "")))
    return LogEvent(timestamp=int(raw.get("timestamp", 0)), source=source.label, group=source.group,
                    stream=str(raw.get("logStreamName", "")), event_id=str(raw.get("eventId", "")),
                    message=str(raw.get("message", "")).rstrip("\n"), level=level, text=text, fields=fields)


@dataclass(frozen=True)
class LogQuery:
    """What to read: groups, window start (epoch ms), server-side pattern, and the health-noise switch."""

    sources: tuple[LogSource, ...]
    start_ms: int
    filter_pattern: str | None = None
    include_health: bool = False

    @classmethod
    def create(cls, sources: tuple[LogSource, ...], since: str = "10m", filter_text: str | None = None,
               include_health: bool = False, clock: Callable[[], float] = time.time) -> LogQuery:
        start = int((clock() - parse_since(since).total_seconds()) * 1000)
        return cls(sources, start, to_filter_pattern(filter_text), include_health)


def fetch_events(logs: Any, query: LogQuery, start_ms: int, *, page_size: int | None = None) -> list[LogEvent]:
    """Every event since ``start_ms`` matching the pattern, in every group (all pages), in time order."""
    import botocore.exceptions

    events: list[LogEvent] = []
    for source in query.sources:
        kwargs: dict[str, Any] = {"logGroupName": source.group, "startTime": start_ms}
        if query.filter_pattern:
            kwargs["filterPattern"] = query.filter_pattern
        if page_size:
            kwargs["limit"] = page_size
        try:
            for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
                events.extend(to_log_event(raw, source) for raw in page.get("events", []))
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            # A group that does not exist yet (no task ever started) simply has no events.
    events.sort(key=lambda e: (e.timestamp, e.source, e.stream, e.event_id))
    return events


def iter_log_events(logs: Any, query: LogQuery, *, follow: bool = False, poll_interval: float = 2.0,
                    overlap: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.time, max_polls: int | None = None,
                    page_size: int | None = None) -> Iterator[LogEvent]:
    """Yield the window's events in time order; with ``follow``, keep polling (see the module docstring).

    Each later poll re-reads from ``overlap`` seconds before the previous poll began; the id cache
    drops what was already yielded and forgets ids older than the window.
    """
    overlap_ms = int(overlap * 1000)
    seen: dict[tuple[str, str], int] = {}
    start = query.start_ms
    polls = 0
    while True:
        began = int(clock() * 1000)
        for event in fetch_events(logs, query, start, page_size=page_size):
            key = (event.group, event.event_id)
            if key in seen:
                continue
            seen[key] = event.timestamp
            if query.include_health or not event.is_health_check:
                yield event
        polls += 1
        if not follow or (max_polls is not None and polls >= max_polls):
            return
        start = max(query.start_ms, began - overlap_ms)
        for key in [k for k, ts in seen.items() if ts < start]:
            del seen[key]
        sleep(poll_interval)
