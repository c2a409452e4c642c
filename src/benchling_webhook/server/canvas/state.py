"""App state of one canvas, kept in the canvas ``data`` field (a JSON string of at most 5 KB).

Why ``data`` and not button ids: a button press arrives as ``{canvasId, buttonId}`` only. With the
state in ``data`` the handler reads the canvas (``GET /app-canvases/{id}``, which it needs anyway for
the entry id) and knows the view and page the user was looking at, so button ids stay fixed words
(``next-page``) and a stale or replayed press cannot point at a page that no longer exists.

The state is tolerant on the way in: missing, foreign or garbled ``data`` (a canvas created by an
older version, or by hand) yields the default state for the canvas's entry, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

MAX_DATA_BYTES = 5 * 1024
STATE_VERSION = 1
_MAX_ID = 200  # Benchling ids are short; cap what we echo back so data always fits


class View(StrEnum):
    MAIN = "main"
    BROWSE = "browse"
    METADATA = "metadata"
    LINKED = "linked"
    MISSING = "missing"  # the package does not exist yet
    UPDATING = "updating"
    ERROR = "error"
    OUT_OF_SCOPE = "out_of_scope"  # the installation's configuration leaves the entry out


class Button(StrEnum):
    """Button ids (what ``buttonId`` of ``v2.canvas.userInteracted`` carries)."""

    BROWSE = "browse-files"
    UPDATE = "update-package"
    METADATA = "view-metadata"
    LINKED = "linked-packages"
    NEXT = "next-page"
    PREVIOUS = "prev-page"
    BACK = "back"


@dataclass(frozen=True)
class CanvasState:
    """Which entry the canvas shows, and which view and page the user is on."""

    entry_id: str | None = None
    display_id: str | None = None
    view: View = View.MAIN
    page: int = 0

    def to_data(self) -> str:
        """The compact JSON for the canvas ``data`` field (always ≤ 5 KB)."""
        body = {"v": STATE_VERSION, "entryId": _clip(self.entry_id), "displayId": _clip(self.display_id),
                "view": self.view.value, "page": max(0, self.page)}
        data = json.dumps(body, separators=(",", ":"))
        if len(data.encode()) > MAX_DATA_BYTES:  # pragma: no cover - impossible with clipped ids
            raise ValueError("canvas state does not fit in 5 KB")
        return data

    @classmethod
    def from_data(cls, data: str | None, resource_id: str | None = None) -> CanvasState:
        """Parse ``data``; anything unusable falls back to the main view of ``resource_id``."""
        parsed: Any = None
        if data:
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
        if not isinstance(parsed, dict):
            return cls(entry_id=resource_id)
        entry_id = _str(parsed.get("entryId")) or resource_id
        if resource_id and entry_id != resource_id:
            # The canvas belongs to its resource; state copied from another canvas is not trusted.
            return cls(entry_id=resource_id)
        try:
            view = View(parsed.get("view", View.MAIN.value))
        except ValueError:
            view = View.MAIN
        page = parsed.get("page", 0)
        page = page if isinstance(page, int) and not isinstance(page, bool) and page >= 0 else 0
        return cls(entry_id=entry_id, display_id=_str(parsed.get("displayId")), view=view, page=page)

    def but(self, **changes: Any) -> CanvasState:
        """A copy with ``changes`` (``state.but(view=View.BROWSE, page=0)``)."""
        return replace(self, **changes)


def _str(value: Any) -> str | None:
    return value[:_MAX_ID] if isinstance(value, str) and value else None


def _clip(value: str | None) -> str | None:
    return value[:_MAX_ID] if value else None
