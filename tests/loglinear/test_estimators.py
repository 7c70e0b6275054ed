"""The front door for log-linear methods, Wald and profile intervals, and properties.

The profile limits of Rcapture 1.4-4 ``closedpCI.t`` and the Wald limits of SparseMSE 2.0.1
``estimatepopulation.0`` (tests/reference/reference_estimates.csv) are checked row by row in
test_r_reference.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import mse
from mse.loglinear.model import parse_model


@pytest.mark.filterwarnings("ignore::mse.EstimabilityWarning")
@pytest.mark.parametrize(
    ("method", "options", "dataset", "model"),
    [
        # the models the R packages choose (their estimates: test_r_reference.py)
        ("independence", {}, "kosovo", "independence"),  # closedp.t Mt
        ("stepwise", {}, "new_orleans", "D:E"),  # estimatepopulation.0(method='stepwise')
        ("bic", {}, "kosovo", "EXH:ABA:OSCE + EXH:HRW + OSCE:HRW"),  # closedpMS.t(maxorder=3)
        ("bic", {"max_order": 2}, "korea", "b:c + c:d"),  # closedpMS.t(maxorder=2)
        ("aic", {"max_order": 2}, "uk2013_5", "LA:NG + LA:PFNCA + LA:GP + NG:GO + NG:GP + PFNCA:GP + GO:GP"),
    ],
)
def test_methods_through_estimate(method, options, dataset, model):
    data = mse.load_dataset(dataset)
    res = mse.estimate(data, method=method, interval="wald", **options)
    assert res.ok and res.method == method and res.interval_method == "wald"
    assert parse_model(res.model, data.lists) == parse_model(model, data.lists)
    assert res.lower < res.estimate < res.upper
    assert {"se", "deviance", "df", "aic", "bic"} <= set(res.details)


def test_bic_aic_and_default_interval():
    res = mse.estimate(mse.load_dataset("kosovo"), method="bic_aic")
    assert res.ok and res.interval_method == "profile"
    assert isinstance(res.details["search"], pd.DataFrame)


def test_missing_estimate_is_never_a_number():
    data = mse.load_dataset("korea")
    res = mse.estimate(data, method="loglinear", model="all two-way")
    assert not res.ok and "does not exist" in res.status
    assert math.isnan(res.estimate) and math.isnan(res.lower)
    with pytest.raises(mse.EstimabilityError):
        mse.estimate(data, method="loglinear", model="all two-way", strict=True)
    res = mse.estimate(mse.load_dataset("artificial_3"), method="loglinear", model="all two-way")
    assert "not identifiable" in res.status and math.isnan(res.estimate)


def test_infinite_terms_warn():
    with pytest.warns(mse.EstimabilityWarning, match="never overlap"):
        res = mse.estimate(mse.load_dataset("uk2013"), method="loglinear", model="all two-way", interval="wald")
    assert res.details["infinite_terms"] == ["LA:GP", "LA:NCA"]
    assert any("never overlap" in w for w in res.warnings)


def test_bad_options():
    data = mse.load_dataset("korea")
    with pytest.raises(mse.ModelError, match="needs model"):
        mse.estimate(data, method="loglinear")
    with pytest.raises(mse.ModelError, match="valid options"):
        mse.estimate(data, method="stepwise", pthresh=0.1)
    with pytest.raises(mse.ModelError, match="interval"):
        mse.estimate(data, method="independence", interval="posterior")
    with pytest.raises(mse.ModelError, match="unknown list"):
        mse.estimate(data, method="loglinear", model="b:z")


def test_covariates_are_summed_out():
    data = mse.load_dataset("kosovo")
    assert mse.estimate(data, method="independence", interval="none").estimate == pytest.approx(7394.5867, rel=1e-6)


# ----------------------------------------------------------------- properties

def _table(counts, lists=("A", "B", "C", "D")):
    t = len(lists)
    patterns = {format(j + 1, f"0{t}b"): int(c) for j, c in enumerate(counts) if c > 0}
    return mse.CaptureData.from_patterns(patterns, lists=list(lists))


_counts = st.lists(st.integers(1, 60), min_size=15, max_size=15)


@settings(max_examples=15, deadline=None)
@given(counts=_counts, permutation=st.permutations(range(4)))
def test_invariant_to_list_order(counts, permutation):
    data = _table(counts)
    order = [data.lists[i] for i in permutation]
    shuffled = data.reorder_lists(order)
    for method, options in (("independence", {}), ("loglinear", {"model": "A:B + C:D"}), ("stepwise", {})):
        a = mse.estimate(data, method=method, interval="wald", **options)
        b = mse.estimate(shuffled, method=method, interval="wald", **options)
        assert a.status == b.status
        if a.ok:
            assert b.estimate == pytest.approx(a.estimate, rel=1e-7)
            assert b.upper == pytest.approx(a.upper, rel=1e-6)


@settings(max_examples=15, deadline=None)
@given(counts=_counts, factor=st.integers(2, 6))
def test_scaling_counts_scales_the_estimate(counts, factor):
    data = _table(counts)
    scaled = data.scale_counts(factor)
    for model in ("independence", "A:B + B:C + C:D"):
        a = mse.estimate(data, method="loglinear", model=model, interval="none")
        b = mse.estimate(scaled, method="loglinear", model=model, interval="none")
        assert b.estimate == pytest.approx(factor * a.estimate, rel=1e-7)


@pytest.mark.filterwarnings("ignore::mse.DataWarning")
@pytest.mark.filterwarnings("ignore::mse.EstimabilityWarning")
@settings(max_examples=20, deadline=None)
@given(counts=st.lists(st.integers(0, 40), min_size=7, max_size=7).filter(lambda c: sum(c) > 0))
def test_estimate_is_at_least_observed(counts):
    data = _table(counts, lists=("A", "B", "C"))
    for method in ("independence", "stepwise", "bic"):
        res = mse.estimate(data, method=method, interval="profile")
        if res.ok:
            assert res.estimate >= res.observed
            assert res.observed <= res.lower <= res.estimate <= res.upper
        else:
            assert math.isnan(res.estimate)


def test_profile_interval_contains_the_profile_maximum_and_wald_is_log_normal():
    data = mse.load_dataset("western_us")
    prof = mse.estimate(data, method="loglinear", model="A:E", interval="profile")
    wald = mse.estimate(data, method="loglinear", model="A:E", interval="wald")
    assert prof.lower < prof.details["profile_maximum"] < prof.upper
    dark_lo, dark_hi = wald.lower - wald.observed, wald.upper - wald.observed
    assert math.sqrt(dark_lo * dark_hi) == pytest.approx(wald.dark_figure, rel=1e-9)
    assert np.isfinite(prof.upper)
