"""The redrive's progress bar and its closing summary (stderr), beside ``render_backfill.py``.

On a terminal a rich progress bar counts the messages moved against the queue's depth when the run began;
elsewhere (CI, a pipe) a plain line every few seconds says the same.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from benchling_webhook.cli.console import Console
from benchling_webhook.cli.render_backfill import PLAIN_INTERVAL
from benchling_webhook.ops.dlq import redrive_command

if TYPE_CHECKING:
    from rich.console import RenderableType

    from benchling_webhook.ops.redrive import RedriveReport


def _counts(r: RedriveReport) -> str:
    verb = "would move" if r.dry_run else "moved"
    return (f"{verb} {r.moved:,} (inbox {r.to['inbox']:,}, backfill {r.to['backfill']:,}) · "
            f"left in the queue {r.left:,}")


class RedriveProgressView:
    """Shows each ``RedriveReport`` as it grows; use as a context manager so an interrupted run stops it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar: Any = None
        self._task: Any = None
        self._last_plain = 0.0

    def __enter__(self) -> RedriveProgressView:
        return self

    def update(self, report: RedriveReport) -> None:
        if self._bar is None and not self.console.quiet and self.console.err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("[bold]redrive"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[counts]}"),
                                 console=self.console.err, transient=False)
            self._bar.start()
            self._task = self._bar.add_task("redrive", total=report.total or None, counts="")
        if self._bar is not None:
            # the depth is approximate: the bar never ends before the count
            self._bar.update(self._task, completed=report.moved, total=max(report.total, report.moved) or None,
                             counts=_counts(report))
            if report.done:
                self.close()
        elif time.monotonic() - self._last_plain >= PLAIN_INTERVAL and not report.done:
            self._last_plain = time.monotonic()
            self.console.info(_counts(report))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def render_redrive_summary(report: RedriveReport, profile: str) -> RenderableType:
    """The counts, the reasons with how many messages each, and what stayed in the queue and why."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    if report.dry_run:
        parts.append(Text("dry run: nothing was moved", style="bold"))
    parts.append(Text(_counts(report)))
    if report.by_reason:
        table = Table("reason", title="dead letters by reason", title_justify="left")
        table.add_column("messages", justify="right")
        for reason, count in report.reasons():
            table.add_row(reason, f"{count:,}")
        parts.append(table)
    else:
        parts.append(Text("the dead-letter queue is empty"))
    for problem in report.problems:
        parts.append(Text(f"  {problem}", style="yellow"))
    if report.problem_count > len(report.problems):
        parts.append(Text(f"  … and {report.problem_count - len(report.problems):,} more", style="yellow"))
    if report.left > report.failed:
        parts.append(Text("a message that is not an event cannot be processed: look at it in the SQS console, "
                          "then delete it there", style="dim"))
    if report.dry_run and report.moved:
        parts.append(Text(f"to move them: {redrive_command(profile)}", style="dim"))
    return Group(*parts)
