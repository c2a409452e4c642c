"""Async canvas calls (create, get, update) through the worker's ``BenchlingClient``.

benchling-sdk is synchronous, so each call runs in a worker thread (``asyncio.to_thread``) and the
event loop stays free for other events. The client's transport already retries 429/5xx with jitter;
here SDK errors become ``BenchlingApiError`` (status, retryable) — and a canvas that no longer exists
(404) becomes ``PermanentFailure``, because retrying an archived or deleted canvas cannot help.

Blocks stay plain dicts up to this module and become SDK models (``AppCanvasCreate.from_dict``) only at
the edge, which keeps views testable without the SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from benchling_webhook.errors import BenchlingApiError, PermanentFailure
from benchling_webhook.server.canvas.blocks import Block

T = TypeVar("T")
KEEP = object()
"""``session_id=KEEP``: leave the canvas's session as it is (``None`` detaches it)."""
_RETRYABLE = frozenset({401, 408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class CanvasRecord:
    """The parts of a canvas the app reads back."""

    id: str
    resource_id: str | None
    feature_id: str | None
    data: str | None
    enabled: bool | None
    app_id: str | None = None


class CanvasApi:
    """``POST``/``GET``/``PATCH /api/v2/app-canvases`` via ``client.sdk.apps``.

    Args:
        client: the worker's ``BenchlingClient`` (anything with ``.sdk``, a ``benchling_sdk.Benchling``).
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    async def create(self, *, app_id: str, feature_id: str | None, resource_id: str, blocks: list[Block],
                     data: str, enabled: bool = True, session_id: str | None = None) -> CanvasRecord:
        from benchling_sdk.models import AppCanvasCreate

        body: dict[str, Any] = {"appId": app_id, "resourceId": resource_id, "blocks": blocks,
                                "enabled": enabled, "data": data}
        if feature_id:
            body["featureId"] = feature_id
        if session_id:
            body["sessionId"] = session_id
        canvas = await self._run("create canvas", lambda: self._client.sdk.apps.create_canvas(
            AppCanvasCreate.from_dict(body)))
        return _record(canvas)

    async def get(self, canvas_id: str) -> CanvasRecord:
        canvas = await self._run(f"get canvas {canvas_id}",
                                 lambda: self._client.sdk.apps.get_canvas_by_id(canvas_id))
        return _record(canvas)

    async def update(self, canvas_id: str, blocks: list[Block], data: str, enabled: bool = True,
                     session_id: object = KEEP) -> None:
        """Replace the blocks and data; ``session_id`` attaches an app session (shown on the canvas),
        ``None`` detaches the current one, ``KEEP`` leaves it."""
        from benchling_sdk.models import AppCanvasUpdate

        body: dict[str, Any] = {"blocks": blocks, "data": data, "enabled": enabled}
        if session_id is not KEEP:
            body["sessionId"] = session_id
        update = AppCanvasUpdate.from_dict(body)
        await self._run(f"update canvas {canvas_id}",
                        lambda: self._client.sdk.apps.update_canvas(canvas_id, update))

    async def _run(self, what: str, call: Callable[[], T]) -> T:
        import httpx
        from benchling_sdk.errors import BenchlingError

        try:
            return await asyncio.to_thread(call)
        except BenchlingError as exc:
            status = int(exc.status_code)
            if status == 404:
                raise PermanentFailure(f"{what}: the canvas does not exist (HTTP 404)") from None
            raise BenchlingApiError(f"{what}: HTTP {status}{_detail(exc)}", status=status,
                                    retryable=status in _RETRYABLE) from None
        except httpx.HTTPError as exc:
            raise BenchlingApiError(f"{what}: {type(exc).__name__}", retryable=True) from None


def _record(canvas: Any) -> CanvasRecord:
    raw = canvas.to_dict() if hasattr(canvas, "to_dict") else dict(canvas)
    enabled = raw.get("enabled")
    app = raw.get("app")
    app_id = app.get("id") if isinstance(app, dict) else None
    return CanvasRecord(id=str(raw.get("id")), resource_id=raw.get("resourceId"), feature_id=raw.get("featureId"),
                        data=raw.get("data"), enabled=enabled if isinstance(enabled, bool) else None,
                        app_id=app_id if isinstance(app_id, str) else None)


def _detail(exc: Any) -> str:
    body = exc.json if isinstance(getattr(exc, "json", None), dict) else None
    error = body.get("error") if body else None
    message = error.get("message") if isinstance(error, dict) else None
    return f" ({message[:200]})" if isinstance(message, str) and message else ""
