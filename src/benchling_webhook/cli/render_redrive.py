"""The redrive's progress bar and its closing summary (stderr), beside ``render_backfill.py``.

The bar (``render_progress.ProgressView``) counts the messages moved against the queue's depth when the
run began.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from benchling_webhook.cli.console import Console
from benchling_webhook.cli.render_progress import ProgressView
from benchling_webhook.ops.dlq import redrive_command

if TYPE_CHECKING:
    from rich.console import RenderableType

    from benchling_webhook.ops.redrive import RedriveReport


def _counts(r: RedriveReport) -> str:
    verb = "would move" if r.dry_run else "moved"
    return (f"{verb} {r.moved:,} (inbox {r.to['inbox']:,}, backfill {r.to['backfill']:,}) · "
            f"left in the queue {r.left:,}")


class RedriveProgressView(ProgressView):
    """Shows each ``RedriveReport`` as it grows (the summary that follows says the final counts)."""

    def __init__(self, console: Console) -> None:
        super().__init__(console, "redrive", plain_at_end=False)

    def update(self, report: RedriveReport) -> None:
        # the depth is approximate: the bar never ends before the count
        self.show(report.moved, max(report.total, report.moved) or None, _counts(report), report.done)


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
