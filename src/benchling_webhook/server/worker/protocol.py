"""The contract between the inbox consumer and the event processing.

The consumer (``runner.py``) owns SQS: receiving, keeping in-flight messages invisible while they
are processed, deleting after success, retrying and dead-lettering. The processor owns meaning: it
``handle()``s one message at a time (called concurrently) and returns once the work that covers the
message is done. Coalescing happens inside the processor: several ``handle()`` calls for the same entry
may be satisfied by one export, and all of them return when it finishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from benchling_webhook.server.events import InboxMessage


class EventProcessor(Protocol):
    async def handle(self, message: InboxMessage) -> None:
        """Process (or join the processing of) one event; raise to retry, ``PermanentFailure`` to dead-letter."""
        ...

    async def aclose(self) -> None:
        """Finish or abandon in-flight work on shutdown."""
        ...

    async def abandon(self, message: InboxMessage, error: BaseException | None) -> None:
        """The inbox gave up on ``message`` (dead-lettered it after ``error``): tell the user; never raises."""
        ...


@dataclass(frozen=True)
class PackageResult:
    """What packaging an entry produced; canvases render from it."""

    entry_id: str
    display_id: str
    package_name: str  # "<prefix>/<display_id>"
    s3_prefix: str  # "s3://bucket/prefix/display_id/"
    files: tuple[str, ...]  # logical keys in the package
    top_hash: str | None  # None in Quilt Platform mode until the packager has run
    revision_created: bool  # False when content was unchanged
    mode: str  # "direct" | "packager"
    previous_top_hash: str | None = None  # the latest revision before this run (packager mode: to see it move)


@dataclass(frozen=True)
class CanvasPlan:
    """What the canvas side decided for one canvas event (returned by ``CanvasHooks.begin``).

    ``app_id`` (the installation) and ``session_id`` (the app session opened for work started from the
    canvas) travel along to ``finish``; they are context, not part of the decision, so plans compare
    without them.
    """

    entry_id: str | None
    canvas_id: str | None
    needs_package: bool
    app_id: str | None = field(default=None, compare=False)
    session_id: str | None = field(default=None, compare=False)


class CanvasHooks(Protocol):
    """Implemented by the canvas package; the processor calls it around packaging.

    ``begin`` does the immediate canvas work for a canvas event (create the canvas, show "updating…",
    render a browse page) and says whether the entry must be packaged; ``finish`` renders the outcome
    and always re-enables the canvas. For entry events the processor calls ``finish`` with the entry's
    known canvas (if any) after packaging. ``error`` may be ``EntryOutOfScope``: the installation's
    configuration leaves the entry out, and the canvas says why. ``gave_up`` tells the user that packaging
    an entry failed for good (the inbox dead-lettered its event).
    """

    async def begin(self, message: InboxMessage) -> CanvasPlan: ...

    async def finish(self, plan: CanvasPlan, result: PackageResult | None, error: BaseException | None) -> None: ...

    async def gave_up(self, plan: CanvasPlan, error: BaseException | None) -> None: ...
