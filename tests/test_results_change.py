"""Change over time: the difference and ratio between two years, and the trend across all years.

Checked against a population of known size by year (the library's generator
with covariates), whose size grows by the factor ``exp(0.2)`` a year, and
against the arithmetic of the replicates.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import mse
from mse.data.synthetic import generate_covariate_population

GROWTH = 0.2  # log of the yearly factor of the population in the generator below


def growing_population(random_seed: int) -> mse.CaptureData:
    return generate_covariate_population(
        ["A", "B", "C"],
        {"year": [2014, 2015, 2016, 2017], "sex": ["f", "m"]},
        log_dark=lambda cell: 5.5 + GROWTH * (cell["year"] - 2014) + (0.3 if cell["sex"] == "f" else 0.0),
        list_effects=lambda cell: [-0.8, -1.0, -0.6],
        random_seed=random_seed,
    ).data


@pytest.fixture(scope="module")
def growing() -> mse.Estimate:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        return mse.estimate(growing_population(7), method="independence", n_boot=300, random_seed=1)


def test_the_trend_recovers_the_known_yearly_growth(growing):
    trend = growing.trend("year").iloc[0]
    assert trend["levels"] == 4 and (trend["first"], trend["last"]) == (2014, 2017)
    assert trend["lower"] < math.exp(GROWTH) < trend["upper"]
    assert trend["annual_factor"] == pytest.approx(math.exp(GROWTH), rel=0.05)
    assert trend["annual_change"] == pytest.approx(trend["annual_factor"] - 1)


def test_the_change_between_two_years_recovers_the_known_ratio(growing):
    change = growing.contrast("year", 2014, 2017).set_index("quantity")
    assert change.loc["ratio", "lower"] < math.exp(3 * GROWTH) < change.loc["ratio", "upper"]
    by_year = growing.breakdown("year").set_index("year")["estimate"]
    assert change.loc["difference", "estimate"] == pytest.approx(by_year[2017] - by_year[2014])
    assert change.loc["ratio", "estimate"] == pytest.approx(by_year[2017] / by_year[2014])


def _result(estimates: list[float], draws: np.ndarray) -> mse.Estimate:
    strata = pd.DataFrame({"year": [2015, 2016, 2017][: len(estimates)], "observed": [10] * len(estimates),
                           "estimate": estimates})  # fmt: skip
    return mse.Estimate(estimate=float(sum(estimates)), lower=0.0, upper=1e9, level=0.9, observed=10 * len(estimates),
                        method="demo", strata=strata, details={"strata_draws": draws})  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(
    base=st.floats(min_value=50, max_value=5000),
    factor=st.floats(min_value=0.5, max_value=2.0),
    scale=st.floats(min_value=0.1, max_value=100),
)
def test_trend_and_contrast_follow_the_replicates(base, factor, scale):
    """Exact growth in every replicate gives that growth with no width; scaling every count scales differences only."""
    estimates = [base, base * factor, base * factor**2]
    draws = np.tile(estimates, (50, 1)) * np.linspace(0.9, 1.1, 50)[:, None]  # every replicate grows by factor
    trend = _result(estimates, draws).trend("year").iloc[0]
    assert trend["annual_factor"] == pytest.approx(factor)
    assert trend["lower"] == pytest.approx(factor) and trend["upper"] == pytest.approx(factor)
    scaled = _result([e * scale for e in estimates], draws * scale).contrast("year", 2015, 2017).set_index("quantity")
    plain = _result(estimates, draws).contrast("year", 2015, 2017).set_index("quantity")
    assert scaled.loc["ratio", "estimate"] == pytest.approx(plain.loc["ratio", "estimate"])
    assert scaled.loc["difference", "upper"] == pytest.approx(scale * plain.loc["difference", "upper"])


def test_without_replicates_or_numeric_levels_there_is_no_trend():
    draws = np.ones((10, 3))
    with pytest.raises(mse.ModelError, match="no replicates"):
        mse.Estimate(estimate=3.0, lower=3.0, upper=3.0, level=0.9, observed=3, method="demo",
                     strata=pd.DataFrame({"year": [1, 2, 3], "observed": [1] * 3, "estimate": [1.0] * 3})
                     ).trend("year")  # fmt: skip
    words = _result([1.0, 2.0, 3.0], draws).with_updates(
        strata=pd.DataFrame({"year": ["a", "b", "c"], "observed": [1] * 3, "estimate": [1.0, 2.0, 3.0]})
    )
    with pytest.raises(mse.ModelError, match="that are numbers"):
        words.trend("year")
    with pytest.raises(mse.ModelError, match="not a level"):
        _result([1.0, 2.0, 3.0], draws).contrast("year", 2015, 2030)
