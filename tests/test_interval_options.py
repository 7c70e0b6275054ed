"""Bootstrap interval options reach the bootstrap through mse.estimate."""

from __future__ import annotations

import pytest

import mse


@pytest.fixture(scope="module")
def kosovo():
    return mse.load_dataset("kosovo")


def test_parametric_bootstrap_after_selection_refits_the_selected_model(kosovo):
    result = mse.estimate(
        kosovo, method="stepwise", interval="parametric_bootstrap", n_boot=200, random_seed=1, progress=False
    )
    fixed = mse.estimate(
        kosovo,
        method="loglinear",
        model=result.model,
        interval="parametric_bootstrap",
        n_boot=200,
        random_seed=1,
        progress=False,
    )
    assert result.ok and result.details["method"] == "loglinear"
    assert (result.lower, result.upper) == (fixed.lower, fixed.upper)
    assert result.lower < result.estimate < result.upper


def test_bootstrap_top_takes_n_top(kosovo):
    result = mse.estimate(
        kosovo,
        method="bic",
        max_order=3,
        interval="bootstrap_top",
        n_top=5,
        n_boot=100,
        random_seed=1,
        progress=False,
    )
    assert len(result.details["top_models"]) == 5
    best = next(iter(result.details["top_models"]))
    assert set(best.split(" + ")) == set(result.model.split(" + "))
