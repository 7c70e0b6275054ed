"""The extended MLE of ``N`` for a given model whose MLE does not exist (Fienberg & Rinaldo 2012).

When empty cells can be fitted at 0 only with infinite parameters, the
extended MLE fits them at 0 and the model on the other cells (the facial
set). ``N`` is reported when the facial set determines the unobserved cell,
and refused otherwise. The checks here are independent of the library's
solver: statsmodels' Poisson GLM on the facial set, a closed form, and the
limit of plain Newton iterations on the whole table.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, event, given, settings, strategies as st

import mse
from mse.loglinear.fit.irls import fit_poisson
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import parse_model


def _australia() -> mse.CaptureData:
    return mse.load_dataset("australia")


def _glm_dark_figure(design: np.ndarray, y: np.ndarray) -> float:
    """exp(intercept) of a Poisson GLM (statsmodels, pseudo-inverse for a rank-deficient design)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' notice that a cell is fitted exactly
        result = sm.GLM(y, design, family=sm.families.Poisson()).fit(tol=1e-12, maxiter=200)
    return float(np.exp(result.params[0]))


def _model_design(data: mse.CaptureData, model: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    terms = parse_model(model, data.lists)
    design = Design(len(data.lists), terms)
    columns = design.column_mask(terms)
    names = design.column_names(data.lists)
    return design.matrix[:, columns], data.dense_counts()[1:].astype(float), [n for n, c in zip(names, columns) if c]


# ---------------------------------------------------------------------------- australia, B:C:D
def test_australia_bcd_is_the_extended_mle():
    data = _australia()
    with pytest.warns(mse.EstimabilityWarning, match="extended MLE") as record:
        res = mse.estimate(data, method="loglinear", model="B:C:D", interval="profile")
    assert res.ok and res.status == "ok"
    assert res.details["zero_fitted_cells"] == ["0011", "1011"]
    assert res.details["diverging_terms"] == {"C:D": "-inf", "B:C:D": "+inf"}
    assert res.details["infinite_terms"] == ["C:D", "B:C:D"]
    # Independent: the model without B:C:D on the cells other than 0011 and 1011 (on those cells the
    # B:C:D column equals the C:D column), fitted by statsmodels' Poisson GLM.
    design, y, _names = _model_design(data, "B:C + B:D + C:D")
    keep = y > 0
    keep[[2, 10]] = False  # 0011, 1011 (the other empty cells are none: australia has 13 of 15 cells seen)
    assert (y[~keep] == 0).all() and keep.sum() == 13
    expected = data.n_observed + _glm_dark_figure(design[keep], y[keep])
    assert expected == pytest.approx(1187.5, rel=1e-12)
    # the Newton solver stops at a relative change of 1e-9 in the log-likelihood: N to about 1e-8
    assert res.estimate == pytest.approx(expected, rel=1e-7)
    assert res.lower < res.estimate < res.upper
    assert (res.lower, res.upper) == (pytest.approx(832.74, abs=0.05), pytest.approx(1844.42, abs=0.05))
    message = str(record[0].message)
    assert "0011, 1011" in message and "C:D at minus infinity" in message and "B:C:D at plus infinity" in message


def test_australia_bcd_is_the_limit_of_the_newton_iterations():
    """Plain Newton on all 15 cells, run long, drifts to the extended MLE: the fit is in the closure of the model."""
    data = _australia()
    design, y, _names = _model_design(data, "B:C:D")
    drift = fit_poisson(design, y, boundary_coef=60.0, max_iter=400, tol=1e-15)
    fit = fit_model(data, "B:C:D")
    # the library's fit stops at a relative change of 1e-9 in the log-likelihood: N to about 1e-8
    assert data.n_observed + math.exp(drift.coef[0, 0]) == pytest.approx(fit.estimate, rel=1e-7)
    np.testing.assert_allclose(drift.fitted[0], fit.fitted, rtol=1e-6, atol=1e-9)
    assert fit.loglik == pytest.approx(float(drift.loglik[0]), abs=1e-7)


@pytest.mark.parametrize("interval", ["wald", "parametric_bootstrap", "bca"])
def test_australia_bcd_other_intervals(interval):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.EstimabilityWarning)
        res = (
            mse.estimate(_australia(), method="loglinear", model="B:C:D", interval=interval, random_seed=3, n_boot=200)
            if interval != "wald"
            else mse.estimate(_australia(), method="loglinear", model="B:C:D", interval="wald")
        )
    assert res.ok, res.status
    assert res.lower < res.estimate < res.upper
    if interval != "wald":
        assert res.details["n_failed"] == 0


# ---------------------------------------------------------------------------- a closed form on three lists
def test_closed_form_on_three_lists():
    """Model A:B, no one on B without A: B runs off with A:B, and N is Lincoln-Petersen between A and C."""
    counts = {"001": 30, "100": 40, "101": 12, "110": 9, "111": 5}
    data = mse.CaptureData.from_patterns(counts, lists=["A", "B", "C"])
    with pytest.warns(mse.EstimabilityWarning, match=r"B at minus infinity, A:B at plus infinity"):
        res = mse.estimate(data, method="loglinear", model="A:B", interval="profile")
    assert res.ok
    assert res.details["zero_fitted_cells"] == ["010", "011"]
    on_a_not_c, on_a_and_c = 40 + 9, 12 + 5
    assert res.estimate == pytest.approx(96 + 30 * on_a_not_c / on_a_and_c, rel=1e-9)
    assert res.lower < res.estimate < res.upper


def test_unidentifiable_n_is_refused_with_the_reason():
    """korea, all two-way: the empty cell 011 takes the intercept with it, so N is not a number."""
    data = mse.load_dataset("korea")
    res = mse.estimate(data, method="loglinear", model="all two-way")
    assert not res.ok and math.isnan(res.estimate) and math.isnan(res.lower)
    assert "does not exist" in res.status and "N is not identifiable" in res.status
    assert "(intercept) at plus infinity" in res.status
    with pytest.raises(mse.EstimabilityError):
        mse.estimate(data, method="loglinear", model="all two-way", strict=True)
    report = mse.check_estimability(data, "all two-way")
    assert not report.n_identifiable and report.code == 1


def test_searches_still_leave_boundary_models_out():
    """Model searches keep SparseMSE's rule: a model whose MLE does not exist is not a candidate."""
    from mse.loglinear.search.reselection import fit_models_batch

    counts = _australia().dense_counts()[1:][None, :].astype(float)
    lists = _australia().lists
    searched = fit_models_batch(counts, lists, ["B:C:D"])
    fixed = fit_models_batch(counts, lists, ["B:C:D"], facial=True)
    assert searched[2][0, 0] != "ok" and math.isnan(searched[0][0, 0])
    assert fixed[2][0, 0] == "ok" and fixed[0][0, 0] == pytest.approx(fit_model(_australia(), "B:C:D").estimate)


# ---------------------------------------------------------------------------- property
@st.composite
def _table_and_model(draw):
    """3 or 4 lists; no one with a random partial history (some lists on, some off), a few other empty cells;
    a random hierarchical model, often holding the term over the lists of that partial history."""
    t = draw(st.sampled_from([3, 4]))
    lists = ["A", "B", "C", "D"][:t]
    cells = 2**t - 1
    histories = [format(j, f"0{t}b") for j in range(1, cells + 1)]
    counts = draw(st.lists(st.integers(1, 40), min_size=cells, max_size=cells))
    pattern_lists = draw(st.lists(st.integers(0, t - 1), min_size=2, max_size=3, unique=True))
    pattern = {i: draw(st.sampled_from("01")) for i in pattern_lists}
    sparse = draw(st.lists(st.integers(0, cells - 1), max_size=2))
    counts = [
        0 if all(h[i] == v for i, v in pattern.items()) or j in sparse else c
        for j, (h, c) in enumerate(zip(histories, counts))
    ]
    if sum(counts) < 2:
        counts[0] += 3
        counts[-1] += 2
    patterns = {h: c for h, c in zip(histories, counts) if c}
    candidate_terms = [
        tuple(lists[i] for i in range(t) if (code >> (t - 1 - i)) & 1)
        for code in range(1, 2**t)
        if 2 <= bin(code).count("1") <= t - 1
    ]
    chosen = draw(st.lists(st.sampled_from(candidate_terms), max_size=3, unique=True))
    if len(pattern) <= t - 1 and draw(st.booleans()):
        chosen.append(tuple(lists[i] for i in sorted(pattern)))
    model = " + ".join(":".join(term) for term in chosen) or "independence"
    return lists, patterns, model


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(_table_and_model())
def test_a_fixed_model_gives_the_facial_mle_or_says_why_not(case):
    lists, patterns, model = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = mse.CaptureData.from_patterns(patterns, lists=lists)
        res = mse.estimate(data, method="loglinear", model=model, interval="profile")
    fit = fit_model(data, model)
    design, y, _names = _model_design(data, model)
    event("ok" if fit.ok else "failed")
    event(f"MLE exists: {fit.estimability.mle_exists}; N identifiable: {fit.estimability.n_identifiable}")
    if not fit.ok:
        assert res.status != "ok" and math.isnan(res.estimate)
        report = fit.estimability
        if report.identifiable and not report.mle_exists and "bounded memory" not in fit.status:
            # N not identifiable on the facial set: its unobserved row is outside the facial design's row space
            histories = [format(j, f"0{len(lists)}b") for j in range(1, len(y) + 1)]
            face = np.array([h not in report.zero_fitted_cells for h in histories])
            face &= ~_infinite_cells(data, model)
            facial = design[face]
            with_zero = np.vstack([facial, np.eye(1, design.shape[1])])
            assert np.linalg.matrix_rank(with_zero) > np.linalg.matrix_rank(facial)
        return
    assert math.isfinite(res.estimate) and res.estimate >= data.n_observed
    assert res.estimate == pytest.approx(fit.estimate, rel=1e-12)
    kept = np.asarray(fit.cells_used, dtype=bool)
    assert (y[~kept] == 0).all()  # only empty cells are fitted at 0
    expected = data.n_observed + _glm_dark_figure(design[kept], y[kept])
    assert res.estimate == pytest.approx(expected, rel=1e-6)
    assert res.lower <= res.estimate * (1 + 1e-9)
    assert res.estimate <= res.upper * (1 + 1e-9)  # upper may be inf, with a status that says so


def _infinite_cells(data: mse.CaptureData, model: str) -> np.ndarray:
    """Cells holding a model term whose lists are never seen together (Chan et al.'s extended MLE)."""
    terms = parse_model(model, data.lists)
    design = Design(len(data.lists), terms)
    y = data.dense_counts()[1:]
    histories = design.histories
    out = np.zeros(len(y), dtype=bool)
    for term in [(i,) for i in range(len(data.lists))] + sorted(terms):
        holds = histories[:, list(term)].all(axis=1)
        if y[holds].sum() == 0:
            out |= holds
    return out
