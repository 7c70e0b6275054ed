"""Closed-population models: the reasons given for failed fits, and Rcapture's documented example.

The values of ``closedp.t`` and ``closedpCI.t`` in tests/reference/reference_estimates.csv
(estimates, standard errors, deviance, df, AIC, BIC, failed fits, profile limits) are
checked row by row in test_r_reference.py.
"""

from __future__ import annotations

import pytest

import mse


def _table(dataset: str):
    return mse.closed_population_models(mse.load_dataset(dataset)).set_index("model")


def test_failed_reasons_are_explained():
    table = _table("uk2013_5")
    assert "first captures do not decline" in table.loc["Mb", "status"]
    table = _table("new_orleans")
    assert "bias" in table.loc["Mh_darroch", "status"]


def test_snowshoe_hare_mth_poisson2_documented_example():
    # Rcapture's documented example (Baillargeon & Rivest 2007): closedp.t(hare) gives Mth Poisson2
    # 81.1 with standard error 5.6.
    result = mse.estimate(mse.load_dataset("snowshoe_hare"), method="Mth_poisson2")
    assert result.ok
    assert result.estimate == pytest.approx(81.1, abs=0.05)
    assert result.se == pytest.approx(5.6, abs=0.05)
