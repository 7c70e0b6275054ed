"""Warnings point at the user's line, whatever path inside the library found the problem.

Python shows a warning with the file and line that ``stacklevel`` names; a
fixed level counted inside the library points into the library as often as
not (``api.py:161``). Every case below calls the public API from this file and
expects the warning to name this file and the line of the call.
"""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import mse
from mse.errors import user_stacklevel, warn


def _caught(call):
    """The library's warnings that ``call`` issues."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, mse.MSEWarning)]


def _data_with_an_empty_list():
    frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 0, 0], "C": [1, 1, 0], "count": [5, 3, 2]})
    return mse.CaptureData.from_counts(frame, lists=["A", "B", "C"], count="count")


CASES = {
    "DataWarning from a constructor": lambda: _data_with_an_empty_list(),
    "HeterogeneityWarning from a log-linear fit": lambda: mse.estimate(
        mse.load_dataset("hepatitis_a"), method="independence", interval="wald"
    ),
    "EstimabilityWarning from the default rule on two lists": lambda: mse.estimate(
        mse.load_dataset("uk2013").drop_lists(["LA", "NG", "GO", "GP"])
    ),
    "MultimodalityWarning from dga": lambda: mse.estimate(mse.load_dataset("netherlands_5"), method="dga"),
    "ConvergenceWarning from the latent-class sampler": lambda: mse.estimate(
        mse.load_dataset("kosovo"), method="lcmcr", draws=20, max_draws=20, random_seed=1
    ),
    "MSEDeprecationWarning from a former option name": lambda: mse.estimate(
        mse.load_dataset("kosovo"), method="bayesthresh", n_draws=200, random_seed=1
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_warning_names_the_users_file(case):
    caught = _caught(CASES[case])
    assert caught, f"{case}: no warning was issued"
    for warning in caught:
        assert warning.filename == __file__, f"{case}: {warning.category.__name__} points at {warning.filename}"


def test_the_line_is_the_users_call():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _data_with_an_empty_list()
    # The constructor is called on the second line of _data_with_an_empty_list's body: the user's line.
    assert (caught[0].filename, caught[0].lineno) == (__file__, inspect.getsourcelines(_data_with_an_empty_list)[1] + 2)


def test_warn_from_outside_the_package_points_at_its_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        warn("check this", mse.ConvergenceWarning)
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)
    assert user_stacklevel() == 1
