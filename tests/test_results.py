"""The results contract shared by every method: Estimate and its views."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import mse
from mse.results import protect_counts


def _stratified_result() -> mse.Estimate:
    strata = pd.DataFrame(
        {
            "year": [2010, 2010, 2011, 2011],
            "sex": ["f", "m", "f", "m"],
            "observed": [5, 20, 7, 30],
            "estimate": [10.0, 40.0, 14.0, 60.0],
        }
    )
    rng = np.random.default_rng(0)
    draws = strata["estimate"].to_numpy() * rng.lognormal(0.0, 0.1, size=(2000, 4))
    return mse.Estimate(
        estimate=124.0,
        lower=110.0,
        upper=140.0,
        level=0.9,
        observed=62,
        method="demo",
        draws=draws.sum(axis=1),
        strata=strata,
        details={"strata_draws": draws},
    )


def test_breakdown_levels_add_up_and_use_the_same_replicates():
    result = _stratified_result()
    by_year = result.breakdown("year")
    assert list(by_year.columns) == ["year", "observed", "estimate", "lower", "upper"]
    assert by_year["estimate"].sum() == pytest.approx(result.estimate)
    assert by_year["observed"].tolist() == [25, 37]
    draws = result.details["strata_draws"]
    expected = np.percentile(draws[:, 0] + draws[:, 1], [5, 95])
    np.testing.assert_allclose(by_year.loc[0, ["lower", "upper"]].to_numpy(dtype=float), expected)
    both = result.breakdown(["year", "sex"])
    assert len(both) == 4 and both["estimate"].sum() == pytest.approx(124.0)


def test_breakdown_errors():
    with pytest.raises(mse.ModelError, match="no estimates by covariate"):
        mse.Estimate(estimate=1.0, lower=1.0, upper=1.0, level=0.95, observed=1, method="x").breakdown("year")
    with pytest.raises(mse.ModelError, match="has covariates"):
        _stratified_result().breakdown("nationality")


def test_save_and_load_round_trip(tmp_path):
    result = _stratified_result().with_updates(upper=math.inf, status="no finite upper limit")
    path = tmp_path / "result.json"
    result.save(path)
    json.loads(path.read_text())  # strict JSON
    loaded = mse.load_result(path)
    assert loaded == result
    np.testing.assert_allclose(loaded.draws, result.draws)
    pd.testing.assert_frame_equal(loaded.breakdown("sex"), result.breakdown("sex"))
    assert loaded.upper == math.inf


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.json"
    path.write_text("{}")
    with pytest.raises(mse.DataError, match="not a result"):
        mse.load_result(path)


def test_protect_counts_and_summary():
    table = protect_counts(pd.DataFrame({"observed": [0, 3, 250], "estimate": [0.0, 41.7, 1234.4]}), round_to=10)
    assert table["observed"].tolist() == ["0", "<10", "250"]
    # the estimate of a row whose count is suppressed goes with it: N_level = n_level * N / n would give it back
    assert table["estimate"].tolist() == ["0", "suppressed", "1,230"]
    result = mse.Estimate(estimate=1234.4, lower=1000.0, upper=1500.0, level=0.95, observed=7, method="demo")
    text = result.summary(suppress_below=10, round_to=10)
    assert "<10" in text and "1,230" in text and "7" not in text.split("observed (n):")[1].split("\n")[0]


def test_results_are_immutable_and_draws_read_only():
    result = _stratified_result()
    with pytest.raises(AttributeError):
        result.estimate = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.draws[0] = 1.0


def test_html_and_frame_views():
    result = _stratified_result()
    assert "<table>" in result._repr_html_()
    row = result.to_frame()
    assert row.loc[0, "method"] == "demo" and row.loc[0, "estimate"] == 124.0
