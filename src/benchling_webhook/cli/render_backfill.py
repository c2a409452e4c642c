"""The backfill's live progress bar and its closing summary (stderr), beside ``render.py``.

On a terminal a rich progress bar shows listed, queued, packaged, unchanged, skipped and failed as they
change; elsewhere (CI, a pipe) a plain line every few seconds says the same.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from benchling_webhook.cli.console import Console

if TYPE_CHECKING:
    from rich.console import RenderableType

    from benchling_webhook.backfill.run import BackfillProgress

PLAIN_INTERVAL = 5.0


def _counts(p: BackfillProgress) -> str:
    if p.dry_run:
        return f"listed {p.listed:,} · would queue {p.queued:,}"
    return (f"listed {p.listed:,} · queued {p.queued:,} · packaged {p.packaged:,} · unchanged {p.unchanged:,} · "
            f"skipped {p.skipped:,} · failed {p.failed:,}")


class BackfillProgressView:
    """Shows each ``BackfillProgress``: the bar appears with the first one and stops with the last (``done``);
    use as a context manager so an interrupted run stops it too."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar: Any = None
        self._task: Any = None
        self._last_plain = 0.0

    def __enter__(self) -> BackfillProgressView:
        return self

    def update(self, progress: BackfillProgress) -> None:
        if self._bar is None and not self.console.quiet and self.console.err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("[bold]backfill"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[counts]}"),
                                 console=self.console.err, transient=False)
            self._bar.start()
            self._task = self._bar.add_task("backfill", total=None, counts="listing…")
        done = progress.queued if progress.dry_run else progress.finished
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=progress.queued if progress.listing_done else None,
                             counts=_counts(progress))
            if progress.done:
                self.close()
        elif time.monotonic() - self._last_plain >= PLAIN_INTERVAL or progress.done:
            self._last_plain = time.monotonic()
            self.console.info(_counts(progress))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def render_backfill_summary(progress: BackfillProgress, checkpoint: str | None) -> RenderableType:
    """What happened: the counts, the sample of a dry run, the skipped and failed entries with reasons."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    head = "dry run: nothing was queued" if progress.dry_run else f"backfill run {progress.run_id}"
    parts.append(Text(head + (" (resumed)" if progress.resumed else ""), style="bold"))
    parts.append(Text(_counts(progress)))
    if progress.sample:
        table = Table("entry", "display id", "name", "modified", title="a sample of what would be queued",
                      title_justify="left")
        for row in progress.sample:
            table.add_row(row["entry_id"], row["display_id"], row["name"], row["modified_at"])
        parts.append(table)
    if progress.problems:
        table = Table("entry", "outcome", "reason", title="skipped or failed (first 20)", title_justify="left")
        for row in progress.problems:
            table.add_row(row["entry_id"], row["outcome"], row["reason"] or "-")
        parts.append(table)
    if not progress.dry_run and not progress.done:
        parts.append(Text(f"{progress.queued - progress.finished:,} queued entries are still being packaged; "
                          "re-run the same command to follow them", style="yellow"))
    if checkpoint and not progress.dry_run:
        parts.append(Text(f"checkpoint: {checkpoint} (--restart starts a new run)", style="dim"))
    return Group(*parts)
