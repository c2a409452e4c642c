"""App Configuration and App Status in the Benchling sandbox: what an admin sets, what the app reports.

Routes (paths as on ``https://<tenant>.benchling.com``; shapes as in Benchling's API reference, see
docs/benchling.md and the ``fixtures/api`` answers ``list-app-configuration-items.json`` and
``post-app-session.json``):

* ``GET /api/v2/app-configuration-items?appId=…&pageSize=…&nextToken=…`` →
  ``{"appConfigurationItems": [...], "nextToken": ""}``, one item per configured value: a scalar at
  ``[name]``, an array row as an ``array_element`` item at ``[name, row]`` plus its element at
  ``[name, row, element]`` (with ``linkedResource`` for Benchling items);
* ``POST /api/v2/app-sessions`` (``appId``, ``name`` of 3 to 100 characters, ``timeoutSeconds``, ``messages``),
  ``GET``/``PATCH /api/v2/app-sessions/{id}`` (more messages, at most 10 per call; a final ``status``;
  a closed session refuses changes). Messages are 3 to 200 characters with a style
  (NONE, INFO, SUCCESS, WARNING, ERROR); a violation is a 400 as in Benchling.

``AppStore`` lives in ``SandboxState.apps``. ``configure(app_id, values)`` does what an admin does in the
Configuration tab (values by item name: ids for array items, text, booleans; ``None`` unsets), and
``CONFIGURATION_UPDATED`` is the webhook message Benchling sends afterwards (``POST /sandbox/configure``
in ``relay.py`` does both). ``put_raw_item`` stores an item as given, for tests of malformed values.
"""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from benchling_webhook.config.app_items import APP_ITEMS, AppItem
from benchling_webhook.sandbox.api import json_object

CONFIGURATION_UPDATED: dict[str, Any] = {"type": "v2-beta.app.configuration.updated", "deprecated": False,
                                         "excludedProperties": []}
MESSAGE_STYLES = frozenset({"NONE", "INFO", "SUCCESS", "WARNING", "ERROR"})
FINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "COMPLETED_WITH_WARNINGS"})
MAX_TIMEOUT_SECONDS = 30 * 24 * 3600
_ITEMS = {item.name: item for item in APP_ITEMS}


class AppRequestError(ValueError):
    """A request body Benchling would refuse with a 400."""


@dataclass
class AppStore:
    """Configuration items per installation, and every app session with its messages.

    Fault knob: ``sessions_status`` answers every session call with that HTTP status (a tenant or app that
    cannot use App Status).
    """

    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # Benchling id -> name, for linkedResource
    sessions_status: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def seeded(cls) -> AppStore:
        """Nothing configured; the names of the fixture entry's schema, folder and project are known."""
        return cls(names={"ts_Lb8PzQ3v": "Experiment", "lib_Mn4Vb": "CRISPR screens",
                          "src_Cr1sPr9": "Oncology screens"})

    # -- the admin (tests, demo) ------------------------------------------------------------------
    def configure(self, app_id: str, values: dict[str, Any]) -> None:
        """Set items as an admin would; items not named keep their values, ``None`` unsets one."""
        with self.lock:
            current = [i for i in self.items.get(app_id, []) if i["path"][0] not in values]
            for name, value in values.items():
                if value is None:
                    continue
                current += self._items_for(app_id, _ITEMS[name], value)
            self.items[app_id] = current

    def put_raw_item(self, app_id: str, item: dict[str, Any]) -> None:
        """Store ``item`` exactly as given (paths and types are not checked): a malformed configuration."""
        with self.lock:
            self.items.setdefault(app_id, []).append({**self._base(app_id), **copy.deepcopy(item)})

    def session_messages(self, session_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.sessions[session_id]["messages"])

    def _items_for(self, app_id: str, item: AppItem, value: Any) -> list[dict[str, Any]]:
        expected: type = {"array": list, "text": str, "boolean": bool}[item.type]
        if not isinstance(value, expected) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            raise AppRequestError(f"{item.name} takes a {item.type} value")
        if item.element is None:
            return [{**self._base(app_id), "path": [item.name], "type": item.type, "value": value,
                     "description": item.description, "requiredConfig": False}]
        element, kind, about = item.element
        rows: list[dict[str, Any]] = []
        ids = [str(v) for v in value] if isinstance(value, list) else []
        for number, resource_id in enumerate(ids, start=1):
            row = f"{element} {number}"
            rows.append({**self._base(app_id), "path": [item.name, row], "type": "array_element", "value": row})
            rows.append({**self._base(app_id), "path": [item.name, row, element], "type": kind, "value": resource_id,
                         "linkedResource": {"id": resource_id, "name": self.names.get(resource_id, resource_id)},
                         "description": about, "requiredConfig": True})
        return rows

    def _base(self, app_id: str) -> dict[str, Any]:
        item_id = f"aci_sbx{next(self._ids):05d}"
        now = datetime.now(UTC).isoformat()
        return {"id": item_id, "apiURL": f"https://sandbox.invalid/api/v2/app-configuration-items/{item_id}",
                "app": {"id": app_id}, "createdAt": now, "modifiedAt": now}

    # -- sessions ---------------------------------------------------------------------------------
    def create_session(self, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"appId", "name", "timeoutSeconds", "messages"})
        app_id, name, timeout = body.get("appId"), body.get("name"), body.get("timeoutSeconds")
        if not isinstance(app_id, str) or not app_id:
            raise AppRequestError("appId is required")
        if not isinstance(name, str) or not 3 <= len(name) <= 100:
            raise AppRequestError("name must be 3 to 100 characters")
        _timeout(timeout)
        messages = _messages(body.get("messages", []), limit=None)
        now = datetime.now(UTC).isoformat()
        with self.lock:
            session_id = f"sesn_sbx{next(self._ids):05d}"
            self.sessions[session_id] = {"id": session_id, "app": {"id": app_id}, "name": name, "status": "RUNNING",
                                         "timeoutSeconds": timeout, "messages": messages, "createdAt": now,
                                         "modifiedAt": now}
            return copy.deepcopy(self.sessions[session_id])

    def update_session(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"messages", "status", "timeoutSeconds"})
        messages = _messages(body.get("messages", []), limit=10)
        status = body.get("status")
        if status is not None and status not in FINAL_STATUSES:
            raise AppRequestError(f"status must be one of {sorted(FINAL_STATUSES)}")
        with self.lock:
            session = self.sessions[session_id]  # KeyError -> 404
            if session["status"] != "RUNNING":
                raise AppRequestError(f"session {session_id} is {session['status']} and cannot change")
            if "timeoutSeconds" in body:
                _timeout(body["timeoutSeconds"])
                if body["timeoutSeconds"] < session["timeoutSeconds"]:
                    raise AppRequestError("timeoutSeconds can only be increased")
                session["timeoutSeconds"] = body["timeoutSeconds"]
            session["messages"] += messages
            if status is not None:
                session["status"] = status
            session["modifiedAt"] = datetime.now(UTC).isoformat()
            return copy.deepcopy(session)


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise AppRequestError(f"unknown fields: {sorted(unknown)}")


def _timeout(value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TIMEOUT_SECONDS:
        raise AppRequestError(f"timeoutSeconds must be an integer from 1 to {MAX_TIMEOUT_SECONDS}")


def _messages(value: Any, limit: int | None) -> list[dict[str, Any]]:
    if not isinstance(value, list) or (limit is not None and len(value) > limit):
        raise AppRequestError(f"messages must be a list of at most {limit} messages" if limit else
                              "messages must be a list")
    out = []
    for message in value:
        if not isinstance(message, dict) or set(message) - {"content", "style"}:
            raise AppRequestError("a message has only content and style")
        content, style = message.get("content"), message.get("style", "NONE")
        if not isinstance(content, str) or not 3 <= len(content) <= 200:
            raise AppRequestError("message content must be 3 to 200 characters")
        if style not in MESSAGE_STYLES:
            raise AppRequestError(f"message style must be one of {sorted(MESSAGE_STYLES)}")
        out.append({"content": content, "style": style})
    return out


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "userMessage": message}}, status_code=status)


def _store(request: Request) -> AppStore:
    store: AppStore = request.app.state.sandbox.apps
    return store


def _refused(request: Request, session: bool = False) -> Response | None:
    refusal: Response | None = request.app.state.sandbox.api.gate(request)
    status = _store(request).sessions_status
    if refusal is None and session and status:
        return _error(status, "app sessions are not available to this app", "forbidden")
    return refusal


def create_apps_router() -> APIRouter:
    """Routes of ``/api/v2/app-configuration-items`` and ``/api/v2/app-sessions`` over ``SandboxState.apps``."""
    router = APIRouter(tags=["apps"])

    @router.get("/api/v2/app-configuration-items")
    def list_items(request: Request, appId: str = "", pageSize: int = 50,  # Benchling's parameter names
                   nextToken: str = "") -> Response:
        if (refused := _refused(request)) is not None:
            return refused
        if not 1 <= pageSize <= 100:
            return _error(400, "pageSize must be from 1 to 100")
        store = _store(request)
        with store.lock:
            items = [copy.deepcopy(i) for app, found in store.items.items() if not appId or app == appId
                     for i in found]
        start = int(nextToken) if nextToken.isdigit() else 0
        page = items[start:start + pageSize]
        more = start + pageSize < len(items)
        return JSONResponse({"appConfigurationItems": page, "nextToken": str(start + pageSize) if more else ""})

    async def _change(request: Request, session_id: str | None) -> Response:
        """Create (``session_id`` None) or update a session from the request body."""
        if (refused := _refused(request, session=True)) is not None:
            return refused
        body = await json_object(request)
        if body is None:
            return _error(400, "the body must be a JSON object")
        store = _store(request)
        try:
            if session_id is None:
                return JSONResponse(store.create_session(body), status_code=201)
            return JSONResponse(store.update_session(session_id, body))
        except AppRequestError as exc:
            return _error(400, str(exc))
        except KeyError:
            return _error(404, f"app session {session_id} not found", "not_found_error")

    @router.post("/api/v2/app-sessions")
    async def create_session(request: Request) -> Response:
        return await _change(request, None)

    @router.get("/api/v2/app-sessions/{session_id}")
    def get_session(session_id: str, request: Request) -> Response:
        if (refused := _refused(request, session=True)) is not None:
            return refused
        store = _store(request)
        with store.lock:
            session = copy.deepcopy(store.sessions.get(session_id))
        return JSONResponse(session) if session else _error(404, f"app session {session_id} not found",
                                                            "not_found_error")

    @router.patch("/api/v2/app-sessions/{session_id}")
    async def update_session(session_id: str, request: Request) -> Response:
        return await _change(request, session_id)

    return router
