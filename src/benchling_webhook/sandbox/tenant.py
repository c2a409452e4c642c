"""A large generated tenant for the sandbox: thousands of entries, ``GET /api/v2/entries``, a rate limit.

``generate_tenant(api, count)`` adds ``count`` entries spread over projects, folders (some nested), schemas
and years of ``modifiedAt`` (deterministic for a seed), the way a tenant looks after years of use before
the app was installed. ``benchling-webhook backfill`` lists them; the worker then reads and exports each
one through the usual routes (``sandbox/api.py``).

``GET /api/v2/entries`` follows Benchling's list-entries endpoint (https://benchling.com/api/reference,
Entries: listEntries; filters and pagination: https://docs.benchling.com/docs/filters-and-pagination):

* ``pageSize`` 1 to 100 (default 50; more is a 400), ``nextToken`` from the previous page, ``""`` on the last;
* ``sort``: ``modifiedAt`` (newest first), ``modifiedAt:asc``, ``modifiedAt:desc``, ``name``, ``name:asc``,
  ``name:desc``, ``createdAt``… (default ``modifiedAt``);
* ``modifiedAt``: operators ``>``, ``>=``, ``<``, ``<=`` before an RFC 3339 date or time, several joined
  by `` AND `` (``> 2024-01-01 AND < 2025-01-01``); a bare value matches that exact time;
* ``projectId``, ``schemaId``, ``ids`` and ``displayIds`` (comma-separated), ``archiveReason``
  (``NOT_ARCHIVED`` by default, ``ANY_ARCHIVED``, ``ANY_ARCHIVED_OR_NOT_ARCHIVED`` or a reason).

``RateLimit`` is the tenant's budget: ``limit`` requests per fixed ``window_seconds`` window over every API
route (the token endpoint too; downloads are not API calls). Past it the sandbox answers 429 with
``x-rate-limit-limit``, ``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (seconds left in the window),
as Benchling does — every other API answer carries the same headers — and counts what it served and
refused so the budget's use can be measured. A refused request does not use up the window.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from benchling_webhook.sandbox.api import BenchlingApiState

MAX_PAGE_SIZE = 100
_OPERATORS = (">=", "<=", ">", "<")
_SORT_KEYS = {"modifiedAt": "modifiedAt", "createdAt": "createdAt", "name": "name"}


@dataclass
class RateLimit:
    """``limit`` requests per fixed window of ``window_seconds`` (see the module docstring)."""

    limit: int = 60
    window_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    served: int = 0
    refused: int = 0
    first_at: float | None = None
    last_at: float | None = None
    _window_start: float | None = None
    _used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def rate(self) -> float:
        """The budget in requests per second."""
        return self.limit / self.window_seconds

    def admit(self) -> float | None:
        """``None`` when the request may go, else the seconds until the window resets."""
        with self._lock:
            now = self.clock()
            if self._window_start is None or now - self._window_start >= self.window_seconds:
                self._window_start, self._used = now, 0
            if self._used >= self.limit:
                self.refused += 1
                return self._window_start + self.window_seconds - now
            self._used += 1
            self.served += 1
            self.first_at = now if self.first_at is None else self.first_at
            self.last_at = now
            return None

    def headers(self) -> dict[str, str]:
        """What every answer carries: the limit, the calls left in the window and the seconds until it resets."""
        with self._lock:
            start = self._window_start if self._window_start is not None else self.clock()
            left = max(0.0, start + self.window_seconds - self.clock())
            remaining = max(0, self.limit - self._used)
            return {"x-rate-limit-limit": str(self.limit), "x-rate-limit-remaining": str(remaining),
                    "x-rate-limit-reset": f"{left:.3f}"}

    def refusal(self, reset: float) -> JSONResponse:
        return JSONResponse({"error": {"message": "Rate limit exceeded.", "type": "invalid_request_error",
                                       "userMessage": "Rate limit exceeded."}}, status_code=429, headers={
            "x-rate-limit-limit": str(self.limit), "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": f"{max(reset, 0.001):.3f}"})


@dataclass(frozen=True)
class GeneratedTenant:
    """What ``generate_tenant`` made: ids a test or the demo can filter on."""

    entry_ids: tuple[str, ...]
    projects: tuple[str, ...]
    folders: tuple[str, ...]  # top-level folders, one per project, then nested ones
    schemas: tuple[str, ...]


def generate_tenant(api: BenchlingApiState, count: int, *, seed: int = 7, projects: int = 4, schemas: int = 3,
                    start: datetime = datetime(2019, 1, 1, tzinfo=UTC),
                    end: datetime = datetime(2025, 12, 31, tzinfo=UTC), archived_every: int = 0) -> GeneratedTenant:
    """Add ``count`` entries (plus their projects' folders) to ``api``; every ``archived_every``-th is archived."""
    rng = random.Random(seed)
    project_ids = [f"src_gen{p:03d}" for p in range(projects)]
    top = [f"lib_gen{p:03d}" for p in range(projects)]
    nested = [f"lib_gen{p:03d}n" for p in range(projects)]
    for p, project in enumerate(project_ids):
        api.add_folder({"id": top[p], "name": f"Project {p} notebooks", "parentFolderId": None,
                        "projectId": project, "archiveRecord": None})
        api.add_folder({"id": nested[p], "name": f"Project {p} archive", "parentFolderId": top[p],
                        "projectId": project, "archiveRecord": None})
    schema_ids = [f"ts_gen{s:03d}" for s in range(schemas)]
    span = (end - start).total_seconds()
    ids = []
    for n in range(count):
        p = rng.randrange(projects)
        created = start + timedelta(seconds=rng.uniform(0, span * 0.9))
        modified = created + timedelta(seconds=rng.uniform(0, (end - created).total_seconds()))
        entry_id, display_id = f"etr_gen{n:06d}", f"EXPGEN{n:06d}"
        archived = bool(archived_every) and n % archived_every == archived_every - 1
        api.add_entry({
            "id": entry_id, "displayId": display_id, "name": f"Generated experiment {n}",
            "folderId": nested[p] if n % 5 == 0 else top[p],
            "createdAt": created.isoformat(), "modifiedAt": modified.isoformat(),
            "creator": {"id": "ent_Yw2Kp0Rd", "handle": "mchen", "name": "Mei Chen"},
            "authors": [{"id": "ent_Yw2Kp0Rd", "handle": "mchen", "name": "Mei Chen"}],
            "schema": {"id": schema_ids[n % schemas], "name": f"Schema {n % schemas}"},
            "fields": {"Batch": {"value": f"B{n % 97}", "displayValue": f"B{n % 97}", "textValue": f"B{n % 97}",
                                 "type": "text", "isMulti": False}},
            "customFields": {}, "entryTemplateId": None, "reviewRecord": None,
            "archiveRecord": {"reason": "Retired"} if archived else None,
            "days": [{"date": created.date().isoformat(), "title": "Day 1",
                      "notes": [{"type": "text", "text": f"Observations for experiment {n}.", "links": []}]}],
        })
        ids.append(entry_id)
    return GeneratedTenant(tuple(ids), tuple(project_ids), tuple(top + nested), tuple(schema_ids))


class ListQueryError(ValueError):
    """A list request Benchling would refuse with a 400."""


def _when(value: str) -> datetime:
    text = value.strip().strip('"').replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _time_filter(expression: str) -> Callable[[datetime], bool]:
    tests: list[Callable[[datetime], bool]] = []
    for part in expression.split(" AND "):
        part = part.strip()
        op = next((o for o in _OPERATORS if part.startswith(o)), "")
        try:
            bound = _when(part[len(op):])
        except ValueError:
            raise ListQueryError(f"modifiedAt: '{part}' is not an RFC 3339 date or time") from None
        tests.append({">=": lambda t, b=bound: t >= b, "<=": lambda t, b=bound: t <= b,
                      ">": lambda t, b=bound: t > b, "<": lambda t, b=bound: t < b,
                      "": lambda t, b=bound: t == b}[op])
    return lambda t: all(test(t) for test in tests)


def _archived_filter(reason: str | None) -> Callable[[dict[str, Any]], bool]:
    reason = reason or "NOT_ARCHIVED"
    if reason == "NOT_ARCHIVED":
        return lambda e: not e.get("archiveRecord")
    if reason == "ANY_ARCHIVED":
        return lambda e: bool(e.get("archiveRecord"))
    if reason == "ANY_ARCHIVED_OR_NOT_ARCHIVED":
        return lambda e: True
    return lambda e: (e.get("archiveRecord") or {}).get("reason") == reason


def list_entries(api: BenchlingApiState, params: dict[str, str]) -> dict[str, Any]:
    """One page of ``GET /api/v2/entries`` for the query ``params`` (raises ``ListQueryError``)."""
    try:
        page_size = int(params.get("pageSize", "50"))
    except ValueError:
        raise ListQueryError("pageSize must be a number") from None
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ListQueryError(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    sort = params.get("sort", "modifiedAt")
    key, _, direction = sort.partition(":")
    if key not in _SORT_KEYS or direction not in {"", "asc", "desc"}:
        raise ListQueryError(f"sort: '{sort}' is not a valid sort")
    descending = direction == "desc" or (not direction and key != "name")
    checks: list[Callable[[dict[str, Any]], bool]] = [_archived_filter(params.get("archiveReason"))]
    if modified := params.get("modifiedAt"):
        matches = _time_filter(modified)
        checks.append(lambda e: matches(_when(e["modifiedAt"])))
    if schema := params.get("schemaId"):
        checks.append(lambda e: (e.get("schema") or {}).get("id") == schema)
    if ids := params.get("ids"):
        wanted = set(ids.split(","))
        checks.append(lambda e: e["id"] in wanted)
    if display_ids := params.get("displayIds"):
        wanted_display = set(display_ids.split(","))
        checks.append(lambda e: e.get("displayId") in wanted_display)
    with api.lock:
        if project := params.get("projectId"):
            in_project = {f["id"] for f in api.folders.values() if f.get("projectId") == project}
            checks.append(lambda e: e.get("folderId") in in_project)
        found = [e for e in api.entries.values() if all(check(e) for check in checks)]
        found.sort(key=lambda e: (_when(e[key]) if key != "name" else e["name"], e["id"]), reverse=descending)
        offset = _offset(params.get("nextToken"))
        page = json.loads(json.dumps(found[offset:offset + page_size]))
    more = offset + page_size < len(found)
    return {"entries": page, "nextToken": _token(offset + page_size) if more else ""}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        raise ListQueryError("nextToken is not a token this endpoint gave") from None


def create_tenant_router() -> APIRouter:
    """``GET /api/v2/entries``; the state is ``request.app.state.sandbox.api``."""
    router = APIRouter(tags=["benchling-api"])

    @router.get("/api/v2/entries")
    def list_route(request: Request) -> Response:
        api: BenchlingApiState = request.app.state.sandbox.api
        if (refused := api.gate(request)) is not None:
            return refused
        try:
            body = list_entries(api, dict(request.query_params))
        except ListQueryError as exc:
            return JSONResponse({"error": {"message": str(exc), "type": "invalid_request_error",
                                           "userMessage": str(exc)}}, status_code=400)
        return JSONResponse(body)

    return router
