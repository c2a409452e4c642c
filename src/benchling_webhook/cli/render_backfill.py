"""The backfill's live progress bar and its closing summary (stderr), beside ``render.py``.

The bar (``render_progress.ProgressView``) shows listed, queued, packaged, unchanged, skipped and failed as
they change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchling_webhook.cli.console import Console
from benchling_webhook.cli.render_progress import ProgressView

if TYPE_CHECKING:
    from rich.console import RenderableType

    from benchling_webhook.backfill.run import BackfillProgress


def _counts(p: BackfillProgress) -> str:
    if p.dry_run:
        return f"listed {p.listed:,} · would queue {p.queued:,}"
    return (f"listed {p.listed:,} · queued {p.queued:,} · packaged {p.packaged:,} · unchanged {p.unchanged:,} · "
            f"skipped {p.skipped:,} · failed {p.failed:,}")


class BackfillProgressView(ProgressView):
    """Shows each ``BackfillProgress``: listed, queued and the outcomes as they change."""

    def __init__(self, console: Console) -> None:
        super().__init__(console, "backfill")

    def update(self, progress: BackfillProgress) -> None:
        self.show(progress.queued if progress.dry_run else progress.finished,
                  progress.queued if progress.listing_done else None, _counts(progress), progress.done)


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
