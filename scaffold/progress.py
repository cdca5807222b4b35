"""Progress of long steps: a live spinner on a terminal, one plain line per step otherwise.

CI logs get ``Installing dependencies with uv... done (2.1s)``; a person at a
terminal sees a spinner with the elapsed time while the step runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Steps:
    """Reports the start and end of each step on ``stream``."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        """Show ``title`` while the block runs, then how long it took and whether it worked."""
        started = time.monotonic()
        if self.live:
            try:
                with self._spinner(title):
                    yield
            except BaseException:
                self._live_result(title, started, ok=False)
                raise
            self._live_result(title, started, ok=True)
            return
        self.stream.write(f"{title}... ")
        self.stream.flush()
        try:
            yield
        except BaseException:
            self.stream.write(f"failed ({time.monotonic() - started:.1f}s)\n")
            self.stream.flush()
            raise
        self.stream.write(f"done ({time.monotonic() - started:.1f}s)\n")
        self.stream.flush()

    @contextmanager
    def _spinner(self, title: str) -> Iterator[None]:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        console = Console(file=self.stream, highlight=False)
        with Progress(*columns, console=console, transient=True) as progress:
            progress.add_task(title, total=None)
            yield

    def _live_result(self, title: str, started: float, *, ok: bool) -> None:
        from rich.console import Console

        mark = "[green]✓[/green]" if ok else "[red]✗[/red]"
        elapsed = time.monotonic() - started
        Console(file=self.stream, highlight=False).print(
            f"{mark} {title} [dim]({elapsed:.1f}s)[/dim]"
        )
