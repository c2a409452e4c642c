"""App canvases in the Benchling sandbox: create, get, patch — and a record of what a user would see.

Benchling's canvas model, as the sandbox reproduces it:

* ``POST /api/v2/app-canvases`` (``appId``, ``featureId``, ``resourceId``, ``blocks``, ``enabled``,
  ``data``) creates a canvas; ``GET``/``PATCH /api/v2/app-canvases/{id}`` read and change it (a PATCH
  changes only the fields it names; ``blocks`` replaces all blocks).
* When a user presses a button Benchling **disables** the canvas and sends ``v2.canvas.userInteracted``;
  it stays disabled until the app PATCHes ``enabled: true``. ``CanvasStore.press()`` does the same.
* Blocks are validated the way the app relies on (known types, ids present and unique, SECTION children
  are leaf blocks), and ``data`` is a string of at most 5 KB; a violation is a 400 like Benchling's.

``CanvasStore`` lives in ``SandboxState.canvases``. Every POST and PATCH body is recorded in order, so a
test (or the demo) can read exactly what the canvas showed at each step.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from benchling_webhook.errors import CanvasValidationError
from benchling_webhook.sandbox.api import json_object

MAX_DATA_BYTES = 5 * 1024
LEAF_TYPES = frozenset({"MARKDOWN", "BUTTON", "TEXT_INPUT", "DROPDOWN", "CHIP", "SEARCH_INPUT",
                        "SELECTOR_INPUT", "TABLE", "FILE_UPLOAD"})
_SECTION = "SECTION"
_MD_ESCAPE = re.compile(r"\\(.)")
DEFAULT_FEATURE_ID = "quilt_entry"
DEFAULT_APP_ID = "app_Zf3kQ8wLm2Xv"


@dataclass
class CanvasStore:
    """All canvases of the sandbox plus the history of writes.

    Fault knobs: ``fail_next_patches`` makes that many PATCHes answer ``fail_status`` (then succeed).
    """

    canvases: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: list[dict[str, Any]] = field(default_factory=list)
    patches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_next_patches: int = 0
    fail_status: int = 503
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- seeding and inspection (tests, demo) -----------------------------------------------------
    def seed(self, canvas_id: str | None = None, *, resource_id: str = "etr_Ab12Cd34",
             feature_id: str = DEFAULT_FEATURE_ID, app_id: str = DEFAULT_APP_ID,
             blocks: list[dict[str, Any]] | None = None, data: str | None = None,
             enabled: bool = True) -> dict[str, Any]:
        """Put a canvas in place (as if Benchling had created it) and return it."""
        with self.lock:
            canvas_id = canvas_id or self._new_id()
            self.canvases[canvas_id] = {
                "id": canvas_id, "app": {"id": app_id}, "featureId": feature_id, "resourceId": resource_id,
                "enabled": enabled, "sessionId": None, "data": data, "archiveRecord": None,
                "blocks": copy.deepcopy(blocks) if blocks is not None else [],
            }
            return copy.deepcopy(self.canvases[canvas_id])

    def get(self, canvas_id: str) -> dict[str, Any]:
        """The canvas as it is now (a copy); ``KeyError`` if unknown."""
        with self.lock:
            return copy.deepcopy(self.canvases[canvas_id])

    def history(self, canvas_id: str) -> list[dict[str, Any]]:
        """Every PATCH body sent to this canvas, oldest first."""
        with self.lock:
            return [copy.deepcopy(body) for cid, body in self.patches if cid == canvas_id]

    def press(self, canvas_id: str, button_id: str, user_id: str = "ent_Yw2Kp0Rd") -> dict[str, Any]:
        """A user presses a button: the canvas turns disabled; returns the ``userInteracted`` message."""
        with self.lock:
            canvas = self.canvases[canvas_id]
            canvas["enabled"] = False
            return {"type": "v2.canvas.userInteracted", "deprecated": False, "excludedProperties": [],
                    "buttonId": button_id, "canvasId": canvas_id, "featureId": canvas["featureId"],
                    "userId": user_id}

    # -- API operations ---------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        app_id = body.get("appId")
        if not isinstance(app_id, str) or not app_id:
            raise CanvasValidationError("appId is required")
        _validate_fields(body)
        with self.lock:
            self.creates.append(copy.deepcopy(body))
            return self.seed(resource_id=str(body.get("resourceId") or ""),
                             feature_id=str(body.get("featureId") or ""), app_id=app_id,
                             blocks=body.get("blocks") or [], data=body.get("data"),
                             enabled=bool(body.get("enabled", True)))

    def patch(self, canvas_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _validate_fields(body)
        with self.lock:
            canvas = self.canvases[canvas_id]  # KeyError -> 404
            self.patches.append((canvas_id, copy.deepcopy(body)))
            for key in ("blocks", "enabled", "data", "sessionId"):
                if key in body:
                    canvas[key] = copy.deepcopy(body[key])
            return copy.deepcopy(canvas)

    def take_patch_fault(self) -> int | None:
        with self.lock:
            if self.fail_next_patches > 0:
                self.fail_next_patches -= 1
                return self.fail_status
            return None

    def _new_id(self) -> str:
        return f"cnvs_sbx{next(self._ids):05d}"


def _validate_fields(body: dict[str, Any]) -> None:
    if "enabled" in body and not isinstance(body["enabled"], bool):
        raise CanvasValidationError("enabled must be a boolean")
    data = body.get("data")
    if data is not None:
        if not isinstance(data, str):
            raise CanvasValidationError("data must be a string")
        if len(data.encode()) > MAX_DATA_BYTES:
            raise CanvasValidationError(f"data is longer than {MAX_DATA_BYTES} bytes")
    if "blocks" in body:
        _validate_blocks(body["blocks"])


def _validate_blocks(blocks: Any) -> None:
    if not isinstance(blocks, list):
        raise CanvasValidationError("blocks must be a list")
    seen: set[str] = set()

    def check(block: Any, nested: bool) -> None:
        if not isinstance(block, dict):
            raise CanvasValidationError("every block must be an object")
        kind, block_id = block.get("type"), block.get("id")
        if not isinstance(block_id, str) or not block_id:
            raise CanvasValidationError(f"a {kind} block has no id")
        if block_id in seen:
            raise CanvasValidationError(f"block id {block_id} is used twice")
        seen.add(block_id)
        if kind == _SECTION and not nested:
            children = block.get("children")
            if not isinstance(children, list) or not children:
                raise CanvasValidationError(f"section {block_id} needs children")
            for child in children:
                check(child, True)
        elif kind not in LEAF_TYPES:
            raise CanvasValidationError(f"block {block_id} has an unsupported type {kind!r}")
        elif kind == "MARKDOWN" and not isinstance(block.get("value"), str):
            raise CanvasValidationError(f"markdown block {block_id} needs a string value")
        elif kind == "BUTTON" and not isinstance(block.get("text"), str):
            raise CanvasValidationError(f"button {block_id} needs text")

    for block in blocks:
        check(block, False)


def render_text(blocks: list[dict[str, Any]]) -> str:
    """What a user reads on the canvas, as plain lines: markdown with its backslash escapes removed
    (links stay ``[text](url)``), buttons as ``[Text]`` (``[Text (disabled)]``). For tests and the demo."""
    lines: list[str] = []
    for block in blocks:
        if block.get("type") == _SECTION:
            lines.append(" ".join(_leaf_text(child) for child in block.get("children", [])))
        else:
            lines.append(_leaf_text(block))
    return "\n".join(lines)


def _leaf_text(block: dict[str, Any]) -> str:
    if block.get("type") == "BUTTON":
        disabled = block.get("enabled") is False
        return f"[{block.get('text', '')}{' (disabled)' if disabled else ''}]"
    return _MD_ESCAPE.sub(r"\1", str(block.get("value", "")))


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def _store(request: Request) -> CanvasStore:
    store: CanvasStore = request.app.state.sandbox.canvases
    return store


def _refused(request: Request) -> Response | None:
    """The REST subset's gate (``sandbox/api.py``): a valid bearer token, and injected 429s apply here too."""
    refusal: Response | None = request.app.state.sandbox.api.gate(request)
    return refusal


def create_canvases_router() -> APIRouter:
    """Routes of ``/api/v2/app-canvases`` over ``SandboxState.canvases``."""
    router = APIRouter(tags=["app-canvases"])

    @router.post("/api/v2/app-canvases")
    async def create_canvas(request: Request) -> Response:
        if (refused := _refused(request)) is not None:
            return refused
        body = await json_object(request)
        if body is None:
            return _error(400, "the body must be a JSON object")
        try:
            canvas = _store(request).create(body)
        except CanvasValidationError as exc:
            return _error(400, str(exc))
        # As in Benchling, the new canvas takes the app's place in the entry (an app_canvas note part).
        request.app.state.sandbox.api.place_canvas(canvas["resourceId"], canvas["id"], canvas["app"]["id"],
                                                   canvas["featureId"])
        return JSONResponse(canvas, status_code=201)

    @router.get("/api/v2/app-canvases/{canvas_id}")
    async def get_canvas(canvas_id: str, request: Request) -> Response:
        if (refused := _refused(request)) is not None:
            return refused
        try:
            return JSONResponse(_store(request).get(canvas_id))
        except KeyError:
            return _error(404, f"app canvas {canvas_id} not found", "not_found_error")

    @router.patch("/api/v2/app-canvases/{canvas_id}")
    async def patch_canvas(canvas_id: str, request: Request) -> Response:
        if (refused := _refused(request)) is not None:
            return refused
        store = _store(request)
        fault = store.take_patch_fault()
        if fault is not None:
            return _error(fault, "injected failure", "server_error")
        body = await json_object(request)
        if body is None:
            return _error(400, "the body must be a JSON object")
        try:
            return JSONResponse(store.patch(canvas_id, body))
        except CanvasValidationError as exc:
            return _error(400, str(exc))
        except KeyError:
            return _error(404, f"app canvas {canvas_id} not found", "not_found_error")

    return router
