"""The text progress bar (mse.progress)."""

from __future__ import annotations

import io

from mse.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_automatic_bar_appears_on_a_terminal_for_a_long_run() -> None:
    stream = _Terminal()
    with ProgressBar(10, label="work", stream=stream, min_seconds=0.0) as bar:
        for _ in range(10):
            bar.update()
    text = stream.getvalue()
    assert text.startswith("\rwork |") and "10/10" in text and text.endswith("\n")


def test_automatic_bar_stays_hidden_when_not_a_terminal_or_when_quick() -> None:
    not_terminal = io.StringIO()
    with ProgressBar(10, stream=not_terminal, min_seconds=0.0) as bar:
        bar.update(10)
    quick = _Terminal()
    with ProgressBar(10, stream=quick, min_seconds=3600.0) as bar:
        for _ in range(10):
            bar.update()
    assert not_terminal.getvalue() == "" and quick.getvalue() == ""


def test_forced_bar_is_drawn_anywhere_and_disabled_bar_never() -> None:
    forced, disabled = io.StringIO(), _Terminal()
    with ProgressBar(3, enabled=True, stream=forced) as bar:
        bar.update(3)
    with ProgressBar(3, enabled=False, stream=disabled, min_seconds=0.0) as bar:
        bar.update(3)
    assert "3/3" in forced.getvalue() and disabled.getvalue() == ""
