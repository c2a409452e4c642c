"""Reading a package's latest revision straight from its registry bucket.

Quilt keeps, per bucket::

    .quilt/named_packages/<name>/latest     text: the top hash of the newest revision
    .quilt/named_packages/<name>/<unix-ts>  the same, one object per revision
    .quilt/packages/<top hash>              the manifest, JSON Lines: a header line
                                            {"version": "v0", "message", "user_meta", "workflow"}
                                            then one line per file
                                            {"logical_key", "physical_keys", "size", "hash", "meta"}

The canvas needs the header (metadata, message), the revision time and one page of files. Manifests can
hold tens of thousands of entries, so the manifest is streamed line by line and only the requested page
is kept in memory. A package without a ``latest`` pointer has simply not been created yet: that is a
normal state (``PackageNotFoundError``) the canvas explains, not a failure.

The reader is synchronous (boto3); async callers run it with ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchling_webhook.errors import ManifestError, PackageNotFoundError

DEFAULT_PAGE_SIZE = 15
_TOP_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ManifestFile:
    """One file of a package revision."""

    logical_key: str
    size: int | None
    physical_key: str | None


@dataclass(frozen=True)
class PackageRevision:
    """The latest revision of a package: its header and a summary of its files."""

    bucket: str
    name: str
    top_hash: str
    updated_at: datetime | None
    message: str | None
    user_meta: dict[str, Any] = field(default_factory=dict)
    file_count: int = 0
    total_bytes: int = 0


class PageNumbers:
    """Page arithmetic of a paginated canvas view: ``page`` (0-based, clamped), ``page_size``, ``total``."""

    page: int
    page_size: int

    @property
    def total(self) -> int:
        raise NotImplementedError

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count - 1

    @property
    def first_index(self) -> int:
        """0-based index of the first item on this page (for numbering)."""
        return self.page * self.page_size


def clamp_page(page: int, total: int, page_size: int) -> int:
    """``page`` within ``0 … last page`` (a stale canvas may ask for a page that no longer exists)."""
    return min(max(0, page), max(0, math.ceil(total / max(1, page_size)) - 1))


@dataclass(frozen=True)
class FilePage(PageNumbers):
    """One page of a revision's files (``page`` is 0-based and already clamped to the valid range)."""

    revision: PackageRevision
    files: tuple[ManifestFile, ...]
    page: int
    page_size: int

    @property
    def total(self) -> int:
        return self.revision.file_count


def latest_pointer_key(name: str) -> str:
    return f".quilt/named_packages/{name}/latest"


def manifest_key(top_hash: str) -> str:
    return f".quilt/packages/{top_hash}"


class ManifestReader:
    """Reads latest revisions of packages in one bucket.

    Args:
        s3: a boto3 S3 client (endpoint already pointing at AWS or the emulator).
        bucket: the registry bucket.
    """

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def latest(self, name: str) -> tuple[str, datetime | None]:
        """(top hash, time of the revision) of the package's latest revision."""
        try:
            obj = self._s3.get_object(Bucket=self.bucket, Key=latest_pointer_key(name))
        except self._s3.exceptions.NoSuchKey:
            raise PackageNotFoundError(self.bucket, name) from None
        top_hash = obj["Body"].read(1024).decode("utf-8", "replace").strip()
        if not _TOP_HASH.fullmatch(top_hash):
            raise ManifestError(f"the latest pointer of {name} does not hold a top hash")
        return top_hash, obj.get("LastModified")

    def pointer(self, name: str) -> PackageRevision:
        """The latest revision's top hash and time only (one small read; no header, counts are 0)."""
        top_hash, updated_at = self.latest(name)
        return PackageRevision(bucket=self.bucket, name=name, top_hash=top_hash, updated_at=updated_at, message=None)

    def revision(self, name: str) -> PackageRevision:
        """The latest revision's header and file summary (no file list kept)."""
        revision, _ = self._scan(name, 0, 0)
        return revision

    def page(self, name: str, page: int, page_size: int = DEFAULT_PAGE_SIZE) -> FilePage:
        """Files ``page * page_size …`` of the latest revision; out-of-range pages are clamped."""
        page_size = max(1, page_size)
        page = max(0, page)
        revision, files = self._scan(name, page * page_size, (page + 1) * page_size)
        last = clamp_page(page, revision.file_count, page_size)
        if page > last:  # stale state (the package shrank): show the last page instead
            page = last
            revision, files = self._scan(name, page * page_size, (page + 1) * page_size)
        return FilePage(revision=revision, files=tuple(files), page=page, page_size=page_size)

    # -- internals ------------------------------------------------------------------------------
    def _scan(self, name: str, start: int, stop: int) -> tuple[PackageRevision, list[ManifestFile]]:
        """One streaming pass over the manifest: header, count, size, and the files in [start, stop)."""
        top_hash, updated_at = self.latest(name)
        try:
            obj = self._s3.get_object(Bucket=self.bucket, Key=manifest_key(top_hash))
        except self._s3.exceptions.NoSuchKey:
            raise ManifestError(f"the manifest of {name} ({top_hash[:12]}…) is missing") from None
        header: dict[str, Any] | None = None
        files: list[ManifestFile] = []
        count = total_bytes = 0
        for raw in obj["Body"].iter_lines():
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                raise ManifestError(f"the manifest of {name} is not valid JSON Lines") from None
            if not isinstance(line, dict):
                raise ManifestError(f"the manifest of {name} has a line that is not an object")
            if header is None:
                header = line
                continue
            size = line.get("size")
            size = size if isinstance(size, int) else None
            if start <= count < stop:
                keys = line.get("physical_keys") or []
                files.append(ManifestFile(logical_key=str(line.get("logical_key", "")), size=size,
                                          physical_key=str(keys[0]) if keys else None))
            count += 1
            total_bytes += size or 0
        if header is None:
            raise ManifestError(f"the manifest of {name} is empty")
        meta = header.get("user_meta")
        message = header.get("message")
        revision = PackageRevision(
            bucket=self.bucket, name=name, top_hash=top_hash, updated_at=updated_at,
            message=message if isinstance(message, str) else None,
            user_meta=meta if isinstance(meta, dict) else {},
            file_count=count, total_bytes=total_bytes,
        )
        return revision, files
