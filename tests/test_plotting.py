"""Plots draw on the Axes they are given and return it (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import mse


@pytest.fixture
def ax():
    figure, axes = plt.subplots()
    yield axes
    plt.close(figure)


def _intervals(labels, key):
    return pd.DataFrame(
        {
            key: labels,
            "truth": [100, 200, 300][: len(labels)],
            "estimate": [110.0, np.nan, 290.0][: len(labels)],
            "lower": [90.0, np.nan, 250.0][: len(labels)],
            "upper": [140.0, np.nan, np.inf][: len(labels)],
            "observed": [50, 50, 50][: len(labels)],
        }
    )


def test_plot_overlaps(ax):
    assert mse.plot_overlaps(mse.load_dataset("uk2013"), ax=ax) is ax
    assert len(ax.patches) == 25  # one bar per observed history


def test_plot_models(ax):
    table = pd.DataFrame(
        {
            "model": ["independence", "A:B", "A:C"],
            "bic": [10.0, 8.0, np.nan],
            "estimate": [100.0, 120.0, 130.0],
            "status": ["ok", "ok", "no finite MLE"],
        }
    )
    search = mse.ModelSearch(table=table, best="A:B", method="bic", criterion="bic")
    assert mse.plot_models(search, ax=ax) is ax
    with pytest.raises(mse.ModelError):
        mse.plot_models(search, criterion="hqic", ax=ax)


def test_plot_posterior(ax):
    draws = np.random.default_rng(1).normal(1000, 50, 500)
    result = mse.Estimate(estimate=1000.0, lower=900.0, upper=1100.0, level=0.95, observed=600, method="x", draws=draws)
    assert mse.plot_posterior(result, ax=ax) is ax
    with pytest.raises(mse.ModelError, match="no draws"):
        mse.plot_posterior(result.with_updates(draws=None), ax=ax)


def test_plot_residuals(ax):
    cells = pd.DataFrame(
        {
            "history": ["10", "01", "11"],
            "fitted": [40.0, 30.0, 10.0],
            "pearson_residual": [0.1, -2.5, 1.0],
            "deviance_residual": [0.1, -2.4, 1.0],
        }
    )
    assert mse.plot_residuals({"cells": cells}, ax=ax) is ax
    with pytest.raises(mse.ModelError):
        mse.plot_residuals({"cells": cells}, kind="anscombe", ax=ax)


def test_interval_plots(ax):
    assert mse.plot_internal_consistency(_intervals(["A", "B", "C"], "list"), ax=ax) is ax
    assert mse.plot_sensitivity(_intervals(["all lists", "without A"], "variation"), ax=ax) is ax
    assert mse.plot_comparison(_intervals(["independence", "Mt", "dga"], "method"), ax=ax) is ax
    with pytest.raises(mse.DataError):
        mse.plot_sensitivity(pd.DataFrame({"x": [1]}), ax=ax)


def test_plot_posterior_shades_separated_modes(ax):
    rng = np.random.default_rng(2)
    draws = np.concatenate([rng.normal(48_000, 3_000, 3_000), rng.normal(150_000, 15_000, 2_000)])
    result = mse.Estimate(
        estimate=float(np.median(draws)),
        lower=42_000.0,
        upper=175_000.0,
        level=0.95,
        observed=8_234,
        method="x",
        draws=draws,
    )
    mse.plot_posterior(result, ax=ax)
    labels = [text.get_text() for text in ax.get_legend().get_texts() if text.get_text().startswith("mode")]
    assert len(labels) == 2
    assert labels[0].startswith("mode near 4") and "(60 %)" in labels[0]
    assert labels[1].startswith("mode near 1") and "(40 %)" in labels[1]


def test_plot_posterior_leaves_a_single_mode_alone(ax):
    draws = np.random.default_rng(1).normal(1000, 50, 2000)
    result = mse.Estimate(estimate=1000.0, lower=900.0, upper=1100.0, level=0.95, observed=600, method="x", draws=draws)
    mse.plot_posterior(result, ax=ax)
    assert ax.get_legend() is None
