"""Canvas block builders and Markdown helpers.

Blocks are plain JSON-ready dicts in Benchling's shape (``MARKDOWN {id,value}``, ``BUTTON {id,text,
enabled}``, ``SECTION {id,children}``): views build them, the sandbox validates them, and the API
adapter turns them into benchling-sdk models at the edge. Everything that comes from users (file
names, metadata, package names) goes through ``escape`` before it lands in Markdown, so a file called
``[x](javascript:…)`` stays text.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

Block = dict[str, Any]

# Characters that change meaning inline (emphasis, links, code, HTML); line-start syntax (#, -, 1.)
# never applies because user text is always placed after our own prefix.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def markdown(block_id: str, value: str) -> Block:
    return {"id": block_id, "type": "MARKDOWN", "value": value}


def button(block_id: str, text: str, enabled: bool = True) -> Block:
    return {"id": block_id, "type": "BUTTON", "text": text, "enabled": enabled}


def section(block_id: str, children: list[Block]) -> Block:
    return {"id": block_id, "type": "SECTION", "children": children}


def escape(text: str) -> str:
    """User text as literal Markdown (special characters backslash-escaped, newlines flattened)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def link(text: str, url: str) -> str:
    """``[text](url)`` with the text escaped and the URL made safe for a Markdown link target."""
    return f"[{escape(text)}]({_safe_url(url)})"


def url_path(*segments: str) -> str:
    """Path segments percent-encoded for a URL (``/`` inside a segment is kept: package names and keys)."""
    return "/".join(quote(segment, safe="/") for segment in segments)


def _safe_url(url: str) -> str:
    # Parentheses and spaces end a Markdown link target early; everything else is already encoded.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def human_size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - loop always returns
