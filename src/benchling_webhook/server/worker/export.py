"""Benchling's export task, and moving its ZIP and the attachments into the package prefix.

Export: ``POST /exports`` gives a task; ``GET /tasks/{id}`` is polled with growing intervals (0.5 s,
growing 1.5-fold, at most 10 s — an export usually takes seconds, and each poll costs one request of the tenant's
~60 per 30 s) until SUCCEEDED/FAILED or ``timeout`` of total waiting. A FAILED task (Benchling fails
exports of an entry that is being edited) is started again up to ``attempts`` times; after that the
error goes up and the inbox retries the event later, and finally dead-letters it.

The ZIP's central directory sits at its end, so the download is spooled to a temporary *file* (never
memory), then each member is streamed from it to S3. Attachments stream straight from the download URL
into the upload: one chunk in memory at a time.
"""

from __future__ import annotations

import logging
import mimetypes
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from benchling_webhook.errors import ExportError, WorkAbandoned
from benchling_webhook.server.worker.metadata import Attachment, safe_path
from benchling_webhook.server.worker.s3io import PackageLocation, StoredObject

log = logging.getLogger(__name__)

Sleep = Callable[[float], Any]
"""Waits; returns True when the worker is shutting down (``threading.Event.wait`` fits)."""


class ExportApi(Protocol):
    def start_export(self, entry_id: str) -> str: ...
    def get_task(self, task_id: str) -> dict[str, Any]: ...


def _wait(sleep: Sleep, seconds: float) -> None:
    if seconds > 0 and sleep(seconds):
        raise WorkAbandoned()


def iter_task_polls(api: ExportApi, task_id: str, *, timeout: float, sleep: Sleep,
                    clock: Callable[[], float] = time.monotonic, first: float = 0.5, factor: float = 1.5,
                    cap: float = 10.0) -> Iterator[dict[str, Any]]:
    """Yield the task's state after each poll until it is terminal; ``ExportError`` after ``timeout``."""
    deadline = clock() + timeout
    delay = first
    while True:
        _wait(sleep, min(delay, max(0.0, deadline - clock())))
        task = api.get_task(task_id)
        yield task
        if task.get("status") in ("SUCCEEDED", "FAILED"):
            return
        if clock() >= deadline:
            raise ExportError(f"export task {task_id} did not finish within {timeout:g} s")
        delay = min(cap, delay * factor)


def run_export(api: ExportApi, entry_id: str, *, timeout: float, sleep: Sleep, attempts: int = 3,
               retry_delay: float = 2.0, first_poll: float = 0.5, clock: Callable[[], float] = time.monotonic) -> str:
    """Export the entry; returns the ZIP's download URL (see module doc for waits and retries)."""
    last = ""
    for attempt in range(1, attempts + 1):
        task_id = api.start_export(entry_id)
        task: dict[str, Any] = {}
        for state in iter_task_polls(api, task_id, timeout=timeout, sleep=sleep, clock=clock, first=first_poll):
            task = state
        if task.get("status") == "SUCCEEDED":
            url = (task.get("response") or {}).get("downloadURL")
            if isinstance(url, str) and url:
                return url
            last = "the task succeeded without a download URL"
        else:
            last = str(task.get("message") or "export failed")
        log.warning("export failed", extra={"entry_id": entry_id, "task_id": task_id, "attempt": attempt,
                                            "reason": last})
        if attempt < attempts:
            _wait(sleep, retry_delay * attempt)
    raise ExportError(f"export of {entry_id} failed {attempts} times: {last}")


class Downloader(Protocol):
    def download_to(self, url: str, sink: Any, chunk_size: int = ...) -> int: ...
    def open_download(self, url: str) -> Any: ...


def stage_export(api: Downloader, url: str, location: PackageLocation, *, tmp_dir: str | None = None,
                 check: Callable[[], None] = lambda: None) -> list[StoredObject]:
    """Download the export ZIP to a temp file and upload its members under ``export/``."""
    stored: list[StoredObject] = []
    with tempfile.TemporaryFile(dir=tmp_dir, prefix="benchling-export-") as spool:
        api.download_to(url, spool)
        spool.seek(0)
        try:
            archive = zipfile.ZipFile(spool)
        except zipfile.BadZipFile:
            raise ExportError("the export download is not a ZIP file") from None
        with archive:
            used: set[str] = set()
            for info in archive.infolist():
                if info.is_dir():
                    continue
                check()
                key = _unique("export/" + safe_path(info.filename), used)
                with archive.open(info) as member:
                    stored.append(location.upload(key, member, size=info.file_size, kind="export",
                                                  content_type=_content_type(key)))
    return stored


def stage_attachment(api: Any, entry_id: str, attachment: Attachment, location: PackageLocation) -> StoredObject:
    """Stream one external file from its download URL to ``attachments/…`` (one Benchling call)."""
    meta = api.get_external_file(entry_id, attachment.file_id)
    size = meta.get("size") if isinstance(meta.get("size"), int) else None
    with api.open_download(meta["downloadURL"]) as response:
        length = response.headers.get("content-length")
        if length and length.isdigit():
            size = int(length)
        return location.upload(attachment.logical_key, response.iter_bytes(1024 * 1024), size=size,
                               kind="attachment", content_type=_content_type(attachment.name))


def _unique(key: str, used: set[str]) -> str:
    candidate, n = key, 1
    while candidate in used:
        n += 1
        stem, dot, ext = key.rpartition(".")
        candidate = f"{stem}-{n}.{ext}" if dot and "/" not in ext else f"{key}-{n}"
    used.add(candidate)
    return candidate


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
