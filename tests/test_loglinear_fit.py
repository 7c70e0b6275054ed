"""Single-model Poisson fits: against statsmodels' GLM and the R reference values.

Reference rows (tests/reference/reference_estimates.csv): Rcapture 1.4-4
``closedpCI.t(X, dfreq=TRUE, mX=...)`` / ``m='Mt'`` (estimate, se, dev, df, AIC,
BIC in the notes) and SparseMSE 2.0.1 ``estimatepopulation.0`` (estimate,
dev, df, AIC or "AIC(adj)"). Point estimates within 0.1 %, fit statistics
within 0.01 (they are printed to three decimals).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import mse
from mse.loglinear.fit.irls import fit_poisson
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import parse_model


def _fixed_model_rows(reference):
    rows = reference[
        reference["model_terms"].notna()
        & (
            reference["method"].str.startswith("closedpCI.t")
            | reference["method"].str.startswith("estimatepopulation.0")
            | reference["method"].str.startswith("stepwisefit")
        )
    ]
    return [(r.dataset, r.model_terms, r.estimate, r.se, r.notes, r.method) for r in rows.itertuples()]


def _note(notes, key):
    match = re.search(rf"{re.escape(key)}=(-?[\d.]+)", str(notes))
    return float(match.group(1)) if match else None


def test_reference_rows_are_found(reference):
    assert len(_fixed_model_rows(reference)) >= 30


def test_fixed_model_estimates_match_r(reference):
    for dataset, model, expected, se, notes, call in _fixed_model_rows(reference):
        fit = fit_model(mse.load_dataset(dataset), model)
        assert fit.ok, (dataset, model, fit.status)
        assert fit.estimate == pytest.approx(expected, rel=1e-3), (dataset, model, call)
        if call.startswith("closedpCI.t") and np.isfinite(se):
            assert fit.se == pytest.approx(se, rel=1e-3), (dataset, model)
        if (dev := _note(notes, "dev")) is not None:
            assert fit.deviance == pytest.approx(dev, abs=0.01)
            assert fit.df == int(_note(notes, "df"))
        if (aic := _note(notes, "AIC") or _note(notes, "AIC(adj)")) is not None:
            assert fit.aic == pytest.approx(aic, abs=0.01), (dataset, model, call)
        if (bic := _note(notes, "BIC")) is not None:
            assert fit.bic == pytest.approx(bic, abs=0.01)


def test_extended_mle_counts_parameters_like_sparsemse():
    """uk2013, all two-way: estimatepopulation.0(method='fixed', all pairs): dev=13.255 df=19 AIC(adj)=168.920."""
    fit = fit_model(mse.load_dataset("uk2013"), "all two-way")
    assert fit.infinite_terms == ("LA:GP", "LA:NCA")
    assert fit.estimate == pytest.approx(10568.707, rel=1e-6)
    assert fit.deviance == pytest.approx(13.255, abs=1e-3)
    assert fit.df == 19  # 63 cells - 24 dropped, 22 - 2 finite parameters
    assert fit.n_params == 22 and fit.n_params_finite == 20
    assert fit.aic == pytest.approx(168.920, abs=1e-3)


@pytest.mark.parametrize(("dataset", "model"), [("kosovo", "all two-way"), ("uk2013_5", "LA:NG + NG:GP + GO:GP")])
def test_matches_statsmodels_glm(dataset, model):
    sm = pytest.importorskip("statsmodels.api")
    data = mse.load_dataset(dataset)
    terms = parse_model(model, data.lists)
    design = Design(data.n_lists, terms)
    y = data.dense_counts()[1:].astype(float)
    reference = sm.GLM(y, design.matrix, family=sm.families.Poisson()).fit(tol=1e-12)
    ours = fit_poisson(design.matrix, y)
    np.testing.assert_allclose(ours.coef[0], reference.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.cov[0], reference.cov_params(), rtol=1e-5, atol=1e-10)
    assert ours.deviance[0] == pytest.approx(reference.deviance, rel=1e-8)
    assert ours.loglik[0] == pytest.approx(reference.llf, rel=1e-10)


def test_batched_fits_equal_single_fits():
    data = mse.load_dataset("uk2013_5")
    design = Design(5, parse_model("all two-way", data.lists))
    rng = np.random.default_rng(0)
    masks = np.ones((20, design.n_columns), dtype=bool)
    masks[:, design.n_base :] = rng.random((20, len(design.terms))) < 0.4
    y = data.dense_counts()[1:]
    batch = fit_poisson(design.matrix, y, column_mask=masks, chunk_size=7)
    for m in range(0, 20, 6):
        single = fit_poisson(design.matrix, y, column_mask=masks[m])
        np.testing.assert_allclose(batch.coef[m], single.coef[0], rtol=1e-9, equal_nan=True)


def test_failed_fit_is_a_status_not_a_number():
    fit = fit_model(mse.load_dataset("korea"), "all two-way")
    assert not fit.ok and "does not exist" in fit.status
    assert np.isnan(fit.estimate) and np.isnan(fit.se)
    fit = fit_model(mse.load_dataset("artificial_3"), "all two-way")
    assert "not identifiable" in fit.status and np.isnan(fit.estimate)


def test_independence_closed_form_for_two_lists():
    """Two lists: the independence model is the Lincoln-Petersen estimator n1 n2 / m."""
    data = mse.CaptureData.from_patterns({"10": 60, "01": 30, "11": 20}, lists=["A", "B"])
    fit = fit_model(data, "independence")
    assert fit.estimate == pytest.approx(80 * 50 / 20)
    assert fit.df == 0


def test_fit_poisson_from_a_warm_start_and_newton_fit_agree():
    # The masked batch solver and the one-design solver run the same Newton iteration.
    from mse.loglinear.fit.irls import newton_fit

    data = mse.load_dataset("kosovo")
    counts = data.dense_counts()[1:].astype(float)
    design = Design(data.n_lists, parse_model("all two-way", data.lists))
    cold = fit_poisson(design.matrix, counts)
    warm = fit_poisson(design.matrix, counts, start=cold.coef[0])
    assert warm.iterations[0] <= 2 and warm.converged[0]
    assert warm.coef[0] == pytest.approx(cold.coef[0], rel=1e-9, abs=1e-12)
    other = newton_fit(design.matrix, counts)
    assert other.converged[0]
    assert other.coef[0] == pytest.approx(cold.coef[0], rel=1e-7, abs=1e-9)
    # with a column mask, the warm start's unused entries are ignored
    mask = design.column_mask(frozenset())
    masked = fit_poisson(design.matrix, counts, column_mask=mask, start=np.full(design.n_columns, 5.0))
    independence = fit_poisson(design.matrix, counts, column_mask=mask)
    assert masked.coef[0][mask] == pytest.approx(independence.coef[0][mask], rel=1e-8)
