"""The backfill's checkpoint: stop it (Ctrl-C, a closed laptop) and the same command resumes where it stood.

One JSON file per profile and distinct backfill (filters and installation) under the profile's directory:
``<config>/benchling-webhook/<profile>/backfill/<fingerprint>.json``. It holds the run id (which names the
outcome markers), when the run started (the listing's upper bound), the listing cursor and the counts. It
is written atomically after every batch SQS accepted, so it never lags the queue by more than the batch
being sent — and the CLI does not let an interrupt fall between a send and its checkpoint.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from benchling_webhook.backfill.listing import Cursor
from benchling_webhook.config.store import write_private


class Checkpoint(BaseModel):
    run_id: str
    fingerprint: str
    started_at: datetime
    until: datetime
    stream: int = 0
    after: datetime | None = None
    ids_at: list[str] = Field(default_factory=list)
    listed: int = 0
    queued: int = 0
    listing_done: bool = False

    def cursor(self) -> Cursor:
        return Cursor(self.stream, self.after, list(self.ids_at))

    def keep(self, cursor: Cursor, listed: int, queued: int) -> None:
        self.stream, self.after, self.ids_at = cursor.stream, cursor.after, list(cursor.ids_at)
        self.listed, self.queued = listed, queued


class CheckpointStore:
    """Checkpoints of one profile, one file each."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, fingerprint: str) -> Path:
        return self.directory / f"{fingerprint}.json"

    def load(self, fingerprint: str) -> Checkpoint | None:
        """The saved checkpoint, or ``None`` (none, or unreadable: a fresh run is safe, SQS de-duplicates)."""
        try:
            return Checkpoint.model_validate_json(self.path(fingerprint).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValidationError, OSError):
            return None

    def save(self, checkpoint: Checkpoint) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(self.path(checkpoint.fingerprint), checkpoint.model_dump_json(indent=2))

    def delete(self, fingerprint: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(fingerprint).unlink()
