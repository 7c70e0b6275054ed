"""A small text progress bar on standard error, for long studies run from a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:" if hours else "") + f"{rest // 60:02d}:{rest % 60:02d}"


class ProgressBar:
    """``[#####.....] 120/500 replicates  00:12 elapsed  ~00:38 left``, redrawn at most every ``interval`` s."""

    def __init__(
        self,
        total: int,
        *,
        unit: str = "replicates",
        enabled: bool = True,
        stream: TextIO | None = None,
        interval: float = 0.25,
        width: int = 30,
    ) -> None:
        self.total = max(int(total), 0)
        self.done = 0
        self.unit = unit
        self.enabled = enabled and self.total > 0
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.width = width
        self._start = time.perf_counter()
        self._last_draw = -float("inf")
        self._drawn = -1

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished items."""
        self.done = min(self.done + n, self.total)
        now = time.perf_counter()
        if self.enabled and (now - self._last_draw >= self.interval or self.done == self.total):
            self._draw(now)

    def _draw(self, now: float) -> None:
        self._last_draw = now
        self._drawn = self.done
        elapsed = now - self._start
        filled = int(self.width * self.done / self.total)
        left = f"  ~{_clock(elapsed * (self.total - self.done) / self.done)} left" if self.done else ""
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {self.unit}"
        self.stream.write(f"{line}  {_clock(elapsed)} elapsed{left}   ")
        self.stream.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            if self._drawn != self.done:
                self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
