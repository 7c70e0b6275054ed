"""BIC-weighted averaging of N over hierarchical log-linear models (``method="bic_average"``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mse
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import all_k_way
from mse.loglinear.search.averaging import averaged_fits, bic_weights
from mse.loglinear.search.model_search import enumerate_models, exhaustive_search
from mse.loglinear.search.reselection import _tiled_fits, select_batch


def _direct_average(data: mse.CaptureData) -> float:
    """exp(-BIC/2)-weighted mean of the exhaustive search's estimates, computed from its table."""
    table = exhaustive_search(data, criterion="bic").table
    ok = table[table["status"] == "ok"]
    bic = ok["bic"].to_numpy(float)
    raw = np.exp(-(bic - bic.min()) / 2)
    return float((raw * ok["estimate"].to_numpy(float)).sum() / raw.sum())


def test_weights_closed_form() -> None:
    weights = bic_weights(np.array([[0.0, 2.0, np.nan], [np.inf, np.inf, np.inf]]))
    e = np.exp(-1.0)
    np.testing.assert_allclose(weights[0], [1 / (1 + e), e / (1 + e), 0.0])
    assert weights[1].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["kosovo", "korea", "uk2013_4", "australia"])
def test_estimate_equals_the_weighted_mean_of_the_search_table(name: str) -> None:
    data = mse.load_dataset(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        result = mse.estimate(data, method="bic_average", interval="none")
    assert result.estimate == pytest.approx(_direct_average(data), rel=1e-9)
    weights = result.details["weights"]
    assert weights["weight"].sum() <= 1 + 1e-12
    assert result.details["effective_models"] >= 1


def test_block_size_does_not_change_the_average() -> None:
    """The running log-sum-exp over blocks of models and tables equals one block."""
    data = mse.load_dataset("kosovo")
    counts = np.vstack([data.dense_counts()[1:], data.dense_counts()[1:][::-1], np.arange(1, 16)]).astype(float)
    design = Design(4, all_k_way(4, 3))
    masks = design.column_masks(enumerate_models(4, 3))

    def fit_block(d, m, c):
        return _tiled_fits(d, m, c, True)

    whole, best_whole, n_whole = averaged_fits(design, masks, counts, fit_block, 10**6)
    pieces, best_pieces, n_pieces = averaged_fits(design, masks, counts, fit_block, 7)
    np.testing.assert_allclose(pieces, whole, rtol=1e-10)
    assert best_pieces.tolist() == best_whole.tolist()
    assert n_pieces.tolist() == n_whole.tolist()


def test_top_model_bootstrap_with_every_model_equals_the_full_bca() -> None:
    """Averaging the top models in every resample, with all models kept, is the BCa bootstrap of the average."""
    data = mse.load_dataset("korea")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        top = mse.estimate(data, method="bic_average", interval="bootstrap_top", n_top=None, n_boot=300, random_seed=4)
        full = mse.estimate(data, method="bic_average", interval="bca", n_boot=300, random_seed=4)
    assert top.status == full.status == "ok"
    assert top.lower == pytest.approx(full.lower, rel=1e-9)
    assert top.upper == pytest.approx(full.upper, rel=1e-9)
    assert top.lower < top.estimate < top.upper


def test_kosovo_interval_holds_the_memory_book_count() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        result = mse.estimate(mse.load_dataset("kosovo"), method="bic_average", n_boot=300, random_seed=1)
    assert result.status == "ok"
    assert result.lower < 10_401 < result.upper


@pytest.mark.parametrize("interval", ["profile", "wald", "parametric_bootstrap"])
def test_intervals_that_need_one_model_are_refused(interval: str) -> None:
    with pytest.raises(mse.ModelError, match="bic_average"):
        mse.estimate(mse.load_dataset("korea"), method="bic_average", interval=interval)


def test_unknown_option_is_refused() -> None:
    with pytest.raises(mse.ModelError, match="p_threshold"):
        mse.estimate(mse.load_dataset("korea"), method="bic_average", p_threshold=0.1)


@pytest.mark.filterwarnings("ignore::mse.MSEWarning")
@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 80), min_size=7, max_size=7).filter(lambda c: sum(c) > 0), st.permutations(range(3)))
def test_permuting_lists_leaves_the_average_unchanged(counts: list[int], order: list[int]) -> None:
    lists = ("A", "B", "C")
    patterns = {format(code, "03b"): c for code, c in zip(range(1, 8), counts)}
    permuted = {"".join(h[i] for i in order): c for h, c in patterns.items()}
    one = select_batch(np.array([[patterns[format(k, "03b")] for k in range(1, 8)]]), lists, "bic_average")
    two = select_batch(
        np.array([[permuted[format(k, "03b")] for k in range(1, 8)]]), [lists[i] for i in order], "bic_average"
    )
    np.testing.assert_allclose(one.estimate, two.estimate, rtol=1e-7, equal_nan=True)


def test_heterogeneity_check_of_the_heaviest_model() -> None:
    data = mse.load_dataset("diabetes")
    with pytest.warns(mse.HeterogeneityWarning, match="Rasch-type"):
        result = mse.estimate(data, method="bic_average", interval="none")
    assert result.details["heterogeneity"]["verdict"] == "heterogeneity"
    with warnings.catch_warnings():
        warnings.simplefilter("error", mse.HeterogeneityWarning)
        quiet = mse.estimate(data, method="bic_average", interval="none", heterogeneity_check=False)
    assert "heterogeneity" not in quiet.details
    assert quiet.estimate == result.estimate
