"""Every public plotting function takes ``ax=`` and returns the Axes it drew on.

Each function is called on a small bundled data set with a fresh Axes; a new
public plotting function without an entry in ``_INPUTS`` fails the first test,
so the promise covers it from the day it is added.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.axes import Axes

import mse
import mse.plotting


def _public_plotting_functions() -> dict[str, Callable[..., Any]]:
    functions = {name: getattr(mse.plotting, name) for name in mse.plotting.__all__}
    functions.update({name: getattr(mse, name) for name in mse.__all__ if name.startswith("plot_")})
    return functions


def _data() -> mse.CaptureData:
    return mse.load_dataset("hepatitis_a")  # three lists, 271 people: every call below is quick


# What each function is called with, built from the small data set.
_INPUTS: dict[str, Callable[[], Any]] = {
    "plot_overlaps": _data,
    "plot_models": lambda: mse.select_model(_data(), method="aic"),
    "plot_posterior": lambda: mse.estimate(
        _data(), method="independence", interval="parametric_bootstrap", n_boot=50, random_seed=1
    ),
    "plot_residuals": lambda: mse.goodness_of_fit(_data()),
    "plot_internal_consistency": lambda: mse.internal_consistency(_data(), min_observed=10, random_seed=1),
    "plot_sensitivity": lambda: mse.sensitivity(_data(), method="independence", random_seed=1),
    "plot_comparison": lambda: mse.compare(_data(), ["independence", "stepwise"], random_seed=1),
    "plot_breakdown": lambda: mse.estimate(
        mse.load_dataset("spina_bifida_ethnicity"), method="independence", n_boot=30, random_seed=1
    ),
}


def test_every_plotting_function_has_an_input():
    assert set(_public_plotting_functions()) == set(_INPUTS)


@pytest.mark.filterwarnings("ignore::mse.MSEWarning")
@pytest.mark.parametrize("name", sorted(_public_plotting_functions()))
def test_takes_ax_and_returns_it(name):
    function = _public_plotting_functions()[name]
    assert "ax" in inspect.signature(function).parameters
    argument = _INPUTS[name]()
    figure, ax = plt.subplots()
    try:
        returned = function(argument, ax=ax)
        assert isinstance(returned, Axes)
        assert returned is ax
        assert ax.has_data() or ax.texts or ax.patches
    finally:
        plt.close(figure)
