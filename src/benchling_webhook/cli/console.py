"""One console wrapper: data to stdout, narration (progress, warnings, errors) to stderr.

Markup is off for interpolated values: profile names, ARNs and log lines may contain ``[`` and must be
printed as they are.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console as RichConsole


class Console:
    """``info/success/warning/error/status/table`` to stderr, ``data/json/print`` to stdout."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False,
                 stdout: Any = None, stderr: Any = None) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self._stdout_file = stdout
        self._stderr_file = stderr
        self._out: RichConsole | None = None
        self._err: RichConsole | None = None

    @staticmethod
    def _make(file: Any) -> RichConsole:
        from rich.console import Console as RichConsole

        return RichConsole(file=file, no_color="NO_COLOR" in os.environ, highlight=False,
                           soft_wrap=True)

    @property
    def out(self) -> RichConsole:
        if self._out is None:
            self._out = self._make(self._stdout_file or sys.stdout)
        return self._out

    @property
    def err(self) -> RichConsole:
        if self._err is None:
            self._err = self._make(self._stderr_file or sys.stderr)
        return self._err

    # stdout: data a user may pipe
    def data(self, text: str) -> None:
        self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    def json(self, value: Any) -> None:
        import json

        self.out.print(json.dumps(value, indent=2, default=str), markup=False, highlight=False, soft_wrap=True)

    def print(self, renderable: Any) -> None:
        self.out.print(renderable)

    # stderr: narration
    def info(self, text: str) -> None:
        if not self.quiet:
            self.err.print(text, markup=False, highlight=False)

    def detail(self, text: str) -> None:
        if self.verbose:
            self.err.print(text, style="dim", markup=False, highlight=False)

    def success(self, text: str) -> None:
        if not self.quiet:
            self.err.print(f"✓ {text}", style="green", markup=False, highlight=False)

    def warning(self, text: str) -> None:
        self.err.print(f"warning: {text}", style="yellow", markup=False, highlight=False)

    def error(self, text: str, hint: str | None = None) -> None:
        self.err.print(f"error: {text}", style="bold red", markup=False, highlight=False)
        if hint:
            self.err.print(f"hint: {hint}", style="dim", markup=False, highlight=False)

    def render(self, renderable: Any) -> None:
        """A rich renderable (table, panel) as narration on stderr."""
        if not self.quiet:
            self.err.print(renderable, soft_wrap=False)

    @contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner on a terminal; a plain line otherwise."""
        if self.quiet:
            yield
        elif self.err.is_terminal:
            with self.err.status(text):
                yield
        else:
            self.info(text)
            yield
