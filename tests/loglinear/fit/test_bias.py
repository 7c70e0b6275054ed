"""The bias-reduced log-linear estimator (``bias_correction=True``; Rivest & Lévesque 2001).

Closed forms: with two lists the correction is Chapman's (1951) estimator
``(n1 + 1)(n2 + 1) / (m + 1) - 1``; for the saturated three-list model it adds
1 to each cell seen on exactly two lists; under ``A:B + B:C`` it is Chapman's
estimator in the stratum ``B = 0``. The derivation is in :mod:`mse.loglinear.fit.bias`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import mse
from mse.loglinear.fit.bias import bias_corrected_fit, count_adjustment
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.model.design import Design
from mse.loglinear.model.table import cell_histories
from mse.loglinear.search.reselection import select_batch

LISTS3 = ["A", "B", "C"]


def _three(counts: dict[str, int]) -> mse.CaptureData:
    return mse.CaptureData.from_patterns(counts, lists=LISTS3)


@pytest.mark.parametrize("n10, n01, n11", [(30, 20, 5), (7, 3, 1), (1, 1, 1), (120, 45, 2)])
def test_two_lists_is_chapman(n10: int, n01: int, n11: int) -> None:
    data = mse.CaptureData.from_patterns({"10": n10, "01": n01, "11": n11}, lists=["A", "B"])
    n1, n2 = n10 + n11, n01 + n11
    chapman = (n1 + 1) * (n2 + 1) / (n11 + 1) - 1
    res = mse.estimate(data, method="independence", interval="wald", bias_correction=True)
    assert res.estimate == pytest.approx(chapman, rel=1e-7)
    assert res.details["bias_correction"] is True
    assert "Rivest" in res.details["estimator"]
    assert res.lower <= res.estimate <= res.upper


def test_saturated_three_lists_adds_one_to_the_two_list_cells() -> None:
    counts = {"100": 40, "010": 31, "001": 22, "110": 4, "101": 3, "011": 2, "111": 1}
    data = _three(counts)
    fit = bias_corrected_fit(fit_model(data, "all two-way"))
    n = sum(counts.values())
    expected = n + 40 * 31 * 22 * 1 / ((4 + 1) * (3 + 1) * (2 + 1))
    assert fit.estimate == pytest.approx(expected, rel=1e-8)
    adjustment = dict(zip(fit.cells()["history"], fit.cells()["adjustment"]))
    assert adjustment == pytest.approx({"001": 0, "010": 0, "011": 1, "100": 0, "101": 1, "110": 1, "111": 0}, abs=1e-8)


def test_conditional_independence_is_chapman_in_the_stratum() -> None:
    counts = {"100": 40, "010": 31, "001": 22, "110": 4, "101": 3, "011": 2, "111": 1}
    res = mse.estimate(_three(counts), method="loglinear", model="A:B + B:C", interval="none", bias_correction=True)
    n = sum(counts.values())
    assert res.estimate == pytest.approx(n + 40 * 22 / (3 + 1), rel=1e-8)


def test_adjustment_of_a_saturated_two_list_fit() -> None:
    design = Design(2, frozenset())
    c = count_adjustment(design.matrix, np.array([5.0, 9.0, 2.0]), np.ones(3, bool), np.ones(3, bool))
    np.testing.assert_allclose(c, [[0.0, 0.0, 1.0]], atol=1e-12)


@pytest.mark.parametrize(
    "method, options",
    [
        ("independence", {}),
        ("loglinear", {"model": "A:B"}),
        ("stepwise", {}),
        ("aic", {}),
        ("bic", {}),
        ("bic_aic", {}),
    ],
)
def test_batched_selection_matches_the_single_fit(method: str, options: dict) -> None:
    counts = {"100": 25, "010": 18, "001": 30, "110": 6, "101": 2, "011": 3, "111": 1}
    data = _three(counts)
    single = mse.estimate(data, method=method, interval="none", bias_correction=True, **options)
    plain = mse.estimate(data, method=method, interval="none", **options)
    batch = select_batch(data.dense_counts()[1:][None, :], data.lists, method, bias_correction=True, **options)
    assert single.model == plain.model == batch.model[0]
    assert single.estimate == pytest.approx(float(batch.estimate[0]), rel=1e-8)
    assert single.estimate < plain.estimate


def test_bias_correction_with_covariates_is_refused() -> None:
    data = mse.CaptureData.from_counts(
        __import__("pandas").DataFrame(
            {"A": [1, 0, 1, 1, 0], "B": [0, 1, 1, 0, 1], "sex": ["f", "f", "f", "m", "m"], "count": [5, 6, 2, 4, 3]}
        ),
        lists=["A", "B"],
        count="count",
        covariates=["sex"],
    )
    with pytest.raises(mse.ModelError, match="covariates"):
        mse.estimate(data, method="independence", bias_correction=True)
    with pytest.raises(mse.ModelError, match="True or False"):
        mse.estimate(data, method="independence", covariates=[], bias_correction="yes")
    res = mse.estimate(data, method="independence", covariates=[], interval="none", bias_correction=True)
    assert res.estimate == pytest.approx((11 + 1) * (11 + 1) / (2 + 1) - 1, rel=1e-7)


def test_no_overlap_stays_without_estimate() -> None:
    """Chapman's formula gives a number when the lists never overlap; N is not identifiable, so no estimate."""
    data = mse.CaptureData.from_patterns({"10": 7, "01": 3}, lists=["A", "B"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mse.estimate(data, method="independence", bias_correction=True)
    assert res.status != "ok"
    assert math.isnan(res.estimate)


def test_small_simulation_removes_most_of_the_bias() -> None:
    """Three independent lists, N = 300, p = 0.08: 400 tables, one batched fit each way (fixed seed)."""
    rng = np.random.default_rng(20011)
    histories = cell_histories(3, include_empty=True)
    probabilities = np.prod(np.where(histories, 0.08, 0.92), axis=1)
    tables = rng.multinomial(300, probabilities, size=400)[:, 1:].astype(float)
    plain = select_batch(tables, LISTS3, "independence")
    corrected = select_batch(tables, LISTS3, "independence", bias_correction=True)
    both = np.isfinite(plain.estimate) & np.isfinite(corrected.estimate)
    assert both.mean() > 0.95
    assert np.all(np.isfinite(corrected.estimate[np.isfinite(plain.estimate)]))
    relative_plain = plain.estimate[both].mean() / 300 - 1
    relative_corrected = corrected.estimate[both].mean() / 300 - 1
    assert relative_plain > 0.15
    assert abs(relative_corrected) < 0.05


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=7, max_size=7))
@example([1, 0, 0, 0, 0, 1, 1])  # A:B has no MLE here; its extended MLE exists, and so must the corrected one
def test_corrected_estimate_exists_whenever_the_mle_does(cells: list[int]) -> None:
    if sum(cells) == 0:
        return
    tables = np.array(cells, dtype=float)[None, :]
    n = float(tables.sum())
    for method, options in [("independence", {}), ("loglinear", {"model": "A:B"}), ("stepwise", {})]:
        plain = select_batch(tables, LISTS3, method, **options)
        corrected = select_batch(tables, LISTS3, method, bias_correction=True, **options)
        if math.isfinite(plain.estimate[0]):
            assert math.isfinite(corrected.estimate[0])
            assert corrected.estimate[0] >= n - 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mse.estimate(
            mse.CaptureData.from_patterns(
                {"".join("1" if b else "0" for b in h): c for h, c in zip(cell_histories(3), cells)}, lists=LISTS3
            ),
            method="independence",
            interval="none",
            bias_correction=True,
        )
    if res.status == "ok":
        assert res.estimate >= n - 1e-9
