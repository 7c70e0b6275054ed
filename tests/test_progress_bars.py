"""Progress bars (mse.progress_bars) and the library-wide switch (mse.set_options, MSE_PROGRESS)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

import mse
from mse.progress_bars import ChunkProgress, ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(bar: ProgressBar, steps: int) -> None:
    with bar:
        for _ in range(steps):
            bar.update()


def test_a_forced_bar_is_drawn_anywhere_and_a_disabled_bar_never():
    forced, disabled = io.StringIO(), _Terminal()
    _run(ProgressBar(3, label="replicates", enabled=True, stream=forced), 3)
    _run(ProgressBar(3, enabled=False, stream=disabled, min_seconds=0.0), 3)
    assert "replicates" in forced.getvalue() and "3/3" in forced.getvalue()
    assert disabled.getvalue() == ""


def test_the_automatic_bar_appears_only_where_someone_watches_a_long_run():
    watched, log, quick = _Terminal(), io.StringIO(), _Terminal()
    bar = ProgressBar(10, label="work", stream=watched, min_seconds=0.0)
    _run(bar, 10)
    _run(ProgressBar(10, stream=log, min_seconds=0.0), 10)
    _run(ProgressBar(10, stream=quick, min_seconds=3600.0), 10)
    assert "10/10" in watched.getvalue()
    assert log.getvalue() == "" and quick.getvalue() == ""


def test_the_global_switch_turns_bars_off_and_a_call_can_still_ask_for_one():
    with mse.option_context(progress=False):
        off, asked = _Terminal(), io.StringIO()
        _run(ProgressBar(5, stream=off, min_seconds=0.0), 5)
        _run(ProgressBar(5, enabled=True, stream=asked), 5)
    assert off.getvalue() == "" and "5/5" in asked.getvalue()
    with mse.option_context(progress=True):
        log = io.StringIO()
        _run(ProgressBar(5, stream=log), 5)
    assert "5/5" in log.getvalue()
    assert mse.get_option("progress") is None  # restored


def test_a_run_of_unknown_length_shows_a_count_and_a_note():
    out = io.StringIO()
    with ProgressBar(None, label="draws", enabled=True, stream=out) as bar:
        bar.update(200, note="R-hat 1.04")
        bar.update(200, note="R-hat 1.008")
    assert "draws" in out.getvalue() and "400" in out.getvalue() and "R-hat 1.008" in out.getvalue()


@pytest.mark.parametrize(("value", "expected"), [("0", "False"), ("off", "False"), ("1", "True"), ("", "None")])
def test_the_environment_variable_sets_the_starting_value(value, expected):
    code = "import mse; print(mse.get_option('progress'))"
    env = {**os.environ, "MSE_PROGRESS": value}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_bad_settings_are_refused_with_the_valid_ones():
    with pytest.raises(mse.ModelError, match="progress must be True, False or None"):
        mse.set_options(progress="yes")
    with pytest.raises(mse.ModelError, match="the options are \\['progress'\\]"):
        mse.set_options(colour=True)


def test_an_exhaustive_model_search_counts_its_models(capsys):
    with mse.option_context(progress=True):
        search = mse.select_model(mse.load_dataset("kosovo"), method="bic", max_order=2)
    err = capsys.readouterr().err
    assert "models fitted" in err and f"{len(search.table)}/{len(search.table)}" in err
    with mse.option_context(progress=False):
        mse.select_model(mse.load_dataset("kosovo"), method="bic", max_order=2)
    assert capsys.readouterr().err == ""


def test_progress_within_chunks_counts_exactly_and_draws_the_last_line_once():
    out = io.StringIO()
    with ProgressBar(1000, label="replicates", enabled=True, stream=out) as bar:
        for _chunk in range(4):
            within = ChunkProgress(bar, 250)
            for fraction in (0.0, 0.3, 0.2, 0.9, 1.0, 1.5):  # out of order and past the end: still bounded
                within(fraction)
                assert bar.done <= _chunk * 250 + 249
            within.finish()
        assert bar.done == 1000
    assert out.getvalue().count("1000/1000") == 1 and out.getvalue().endswith("\n")
