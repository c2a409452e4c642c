"""``ProgressView``: the live progress of a long command on stderr (``backfill``, ``redrive``).

On a terminal a rich progress bar shows ``done`` of ``total`` and a line of counts; elsewhere (CI, a pipe)
a plain line of counts every ``PLAIN_INTERVAL`` seconds says the same.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Self

from benchling_webhook.cli.console import Console

PLAIN_INTERVAL = 5.0


class ProgressView:
    """A bar that appears with the first ``show`` and stops with the last (``finished``); use as a context
    manager so an interrupted command stops it too.

    Args:
        label: the bar's name.
        plain_at_end: without a terminal, also print the counts when finished (off when a summary follows
            that says them).
    """

    def __init__(self, console: Console, label: str, *, plain_at_end: bool = True) -> None:
        self.console = console
        self.label = label
        self.plain_at_end = plain_at_end
        self._bar: Any = None
        self._task: Any = None
        self._last_plain = 0.0

    def __enter__(self) -> Self:
        return self

    def show(self, done: int, total: int | None, counts: str, finished: bool) -> None:
        if self._bar is None and not self.console.quiet and self.console.err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn(f"[bold]{self.label}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[counts]}"),
                                 console=self.console.err, transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=None, counts="")
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total, counts=counts)
            if finished:
                self.close()
        elif (self.plain_at_end if finished else time.monotonic() - self._last_plain >= PLAIN_INTERVAL):
            self._last_plain = time.monotonic()
            self.console.info(counts)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
