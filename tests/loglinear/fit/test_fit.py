"""Single-model Poisson fits: against statsmodels' GLM, batched against single fits, failed fits.

The estimates, standard errors and fit statistics of the R reference rows
(tests/reference/reference_estimates.csv) are checked row by row in test_r_reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import mse
from mse.loglinear.fit.irls import fit_poisson
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import parse_model


def test_extended_mle_counts_parameters_like_sparsemse():
    """uk2013, all two-way: estimatepopulation.0(method='fixed', all pairs) has df=19 (its estimate, deviance
    and AIC(adj), which counts the finite parameters only, are checked in test_r_reference.py)."""
    fit = fit_model(mse.load_dataset("uk2013"), "all two-way")
    assert fit.infinite_terms == ("LA:GP", "LA:NCA")
    assert fit.df == 19  # 63 cells - 24 dropped, 22 - 2 finite parameters
    assert fit.n_params == 22 and fit.n_params_finite == 20


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
