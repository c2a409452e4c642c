"""Names that fit S3 and Quilt: stable, collision-free shortening of keys and package-name segments."""

from __future__ import annotations

import hashlib

# S3 keys are at most 1024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 128  # a package-name segment; Quilt's registry keys repeat it under .quilt/


def fit_bytes(name: str, limit: int, *, original: str | None = None) -> str:
    """``name`` if its UTF-8 fits in ``limit`` bytes; else its start, a hash of ``original`` (default: the
    name) and its extension, in ``limit`` bytes. Stable, and distinct names stay distinct."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension or len(extension.encode()) > 16:
        stem, extension = name, ""
    tail = f"-{digest(original or name)}" + (f".{extension}" if extension else "")
    room = max(limit - len(tail.encode()), 0)
    head = stem.encode()[:room].decode("utf-8", errors="ignore")  # never half a character
    return head + tail


def digest(text: str) -> str:
    """Ten hex digits of SHA-256: enough to keep apart the names one package or bucket holds."""
    return hashlib.sha256(text.encode()).hexdigest()[:10]
