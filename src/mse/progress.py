"""A small text progress bar for long runs (bootstraps, simulations).

The bar is written to standard error, on one line redrawn with a carriage
return, and only when it helps: by default it appears once the run is
expected to take more than a few seconds *and* standard error is a terminal,
so scripts, logs and test output stay clean. ``enabled=True`` forces it on
(whatever the stream), ``enabled=False`` keeps it off.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["ProgressBar"]


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


class ProgressBar:
    """Progress of ``total`` units of work, drawn as ``label |#####-----| done/total  ETA``.

    Parameters
    ----------
    total
        Units of work in the whole run (replicates, simulated data sets, ...).
    label
        Text shown before the bar.
    enabled
        ``True`` always draws the bar, ``False`` never does; ``None`` (the
        default) draws it only when ``stream`` is a terminal and the run,
        extrapolated from the work done so far, is expected to take longer
        than ``min_seconds``.
    stream
        Where to write; standard error by default.
    min_seconds
        Expected duration above which the automatic bar appears.
    width
        Characters in the bar itself.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with ProgressBar(4, label="replicates", enabled=True, stream=out) as bar:
    ...     for _ in range(4):
    ...         bar.update()
    >>> out.getvalue().splitlines()[-1].split("\\r")[-1].startswith("replicates |####")
    True
    >>> quiet = io.StringIO()
    >>> with ProgressBar(4, enabled=False, stream=quiet) as bar:
    ...     bar.update(4)
    >>> quiet.getvalue()
    ''
    """

    def __init__(
        self,
        total: int,
        *,
        label: str = "",
        enabled: bool | None = None,
        stream: TextIO | None = None,
        min_seconds: float = 3.0,
        width: int = 30,
    ) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._automatic = enabled is None and _is_terminal(self._stream)
        self._min_seconds = min_seconds
        self._width = width
        self._start = time.perf_counter()
        self._last_draw = -1.0
        self.done = 0
        self.shown = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _wanted(self, elapsed: float) -> bool:
        if self._enabled is not None:
            return self._enabled
        if not self._automatic:
            return False
        if self.shown:
            return True
        if self.done == 0 or self.done >= self.total:
            return False
        return elapsed * self.total / self.done > self._min_seconds

    def update(self, n: int = 1) -> None:
        """Record ``n`` more units done and redraw the bar when it is shown."""
        self.done = min(self.total, self.done + int(n))
        now = time.perf_counter()
        elapsed = now - self._start
        if not self._wanted(elapsed):
            return
        # Redraw at most ten times a second, but always draw the last step.
        if self.done < self.total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self._draw(elapsed)

    def _draw(self, elapsed: float) -> None:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self._width)
        bar = "#" * filled + "-" * (self._width - filled)
        if self.done >= self.total:
            timing = f"{_format_seconds(elapsed)} total"
        elif self.done:
            timing = f"{_format_seconds(elapsed * (self.total - self.done) / self.done)} left"
        else:
            timing = ""
        prefix = f"{self.label} " if self.label else ""
        self._stream.write(f"\r{prefix}|{bar}| {self.done}/{self.total}  {timing}")
        self._stream.flush()
        self.shown = True

    def close(self) -> None:
        """Finish the line if the bar was drawn."""
        if self.shown:
            self._draw(time.perf_counter() - self._start)
            self._stream.write("\n")
            self._stream.flush()
            self.shown = False
            self._enabled = False
