"""Progress bars for long runs, drawn by rich in terminals and in Jupyter notebooks.

rich (which PyMC already installs, and whose bars PyMC's samplers draw) renders
a live bar in a terminal and, with ``ipywidgets``, in a notebook cell, and
redraws it ten times a second from its own thread, so the bar moves smoothly
however coarse the steps of the work are. It is imported only when a bar is
drawn.

Whether a bar is drawn: a call's ``progress=`` argument if given, else the
library-wide setting (:func:`mse.set_options`, environment variable
``MSE_PROGRESS``), else automatic: only where someone can watch (a terminal or
a notebook), and only once the run is expected to take longer than a few
seconds, so logs, pipes and CI stay clean.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

from mse.settings import get_option

__all__ = ["ChunkProgress", "ProgressBar"]


def _watchable(stream: TextIO | None) -> bool:
    """Whether a person can see a bar drawn on ``stream``: a terminal, or a notebook's output."""
    if "ipykernel" in sys.modules and stream is None:
        return True
    target = stream if stream is not None else sys.stderr
    try:
        return bool(target.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Progress of ``total`` units of work (replicates, models, draws, data sets).

    Parameters
    ----------
    total
        Units of work in the whole run; ``None`` when unknown in advance (a
        sampler that stops at convergence), shown as a count without an end.
    label
        What is being counted, shown before the bar.
    enabled
        ``True`` draws the bar, ``False`` never does; ``None`` (the default)
        follows :func:`mse.get_option` ``("progress")`` and, when that is
        automatic too, draws it only where someone can watch and once the run
        is expected to take longer than ``min_seconds``.
    stream
        Where to draw; standard error (or the notebook cell) by default.
    min_seconds
        Expected duration above which the automatic bar appears.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with ProgressBar(4, label="replicates", enabled=True, stream=out) as bar:
    ...     for _ in range(4):
    ...         bar.update()
    >>> "replicates" in out.getvalue() and "4/4" in out.getvalue()
    True
    >>> quiet = io.StringIO()
    >>> with ProgressBar(4, enabled=False, stream=quiet) as bar:
    ...     bar.update(4)
    >>> quiet.getvalue()
    ''
    """

    def __init__(
        self,
        total: int | None,
        *,
        label: str = "",
        enabled: bool | None = None,
        stream: TextIO | None = None,
        min_seconds: float = 3.0,
    ) -> None:
        self.total = None if total is None else max(int(total), 0)
        self.label = label
        self.done = 0
        self._stream = stream
        self._min_seconds = min_seconds
        setting = enabled if enabled is not None else get_option("progress")
        self._mode: bool | None = setting
        self._automatic = setting is None and _watchable(stream)
        self._start = time.perf_counter()
        self._note = ""
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def shown(self) -> bool:
        """Whether the bar is on screen."""
        return self._progress is not None

    def _wanted(self) -> bool:
        if self._mode is not None:
            return self._mode
        if not self._automatic or self.done == 0:
            return False
        elapsed = time.perf_counter() - self._start
        if self.total is None:
            return elapsed > self._min_seconds
        return self.done < self.total and elapsed * self.total / self.done > self._min_seconds

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self._stream) if self._stream is not None else Console(stderr=True)
        columns: list[Any] = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
        if self.total is not None:
            columns.append(TimeRemainingColumn())
        columns += [TimeElapsedColumn(), TextColumn("{task.fields[note]}")]
        self._progress = Progress(*columns, console=console, refresh_per_second=10)
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=self.total, completed=self.done, note=self._note)

    def update(self, n: int = 1, *, note: str | None = None) -> None:
        """Record ``n`` more units done, and optionally a short note (``"R-hat 1.03"``) shown after the bar."""
        self.done += int(n)
        if self.total is not None:
            self.done = min(self.done, self.total)
        if note is not None:
            self._note = note
        if self._progress is None:
            if not self._wanted():
                return
            self._open()
        self._progress.update(self._task, completed=self.done, note=self._note)

    def close(self) -> None:
        """Draw the final state and release the display, if the bar was shown."""
        if self._progress is None:
            return
        self._progress.update(self._task, completed=self.done, note=self._note)
        self._progress.stop()
        self._progress = None
        self._mode = False


class ChunkProgress:
    """Moves a bar through one chunk of work as the code doing it reports the fraction done.

    Long runs go through their units (replicates) in chunks, and a chunk can
    take seconds; the vectorised code working on it reports the fraction of its
    work done (``on_progress(fraction)``), and this shows it as
    ``floor(size * fraction)`` units. It stops one unit short of the chunk's
    end until :meth:`finish`, so that the count at the end of the run is
    exactly its number of units whatever the fractions were, and it redraws the
    bar only when the count changes.

    Parameters
    ----------
    bar
        The run's bar.
    size
        Units of work in this chunk.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with ProgressBar(10, label="replicates", enabled=True, stream=out) as bar:
    ...     within = ChunkProgress(bar, 10)
    ...     within(0.25)
    ...     within(1.0)  # held at 9 until the chunk is done
    ...     shown = bar.done
    ...     within.finish()
    >>> shown, bar.done
    (9, 10)
    """

    def __init__(self, bar: ProgressBar, size: int) -> None:
        self.bar = bar
        self.size = int(size)
        self.shown = 0

    def __call__(self, fraction: float) -> None:
        target = min(int(self.size * fraction), self.size - 1) if fraction > 0 else 0
        if target > self.shown:
            self.bar.update(target - self.shown)
            self.shown = target

    def finish(self) -> None:
        """Count the rest of the chunk: it is done."""
        self.bar.update(self.size - self.shown)
        self.shown = self.size
