"""The typed fit an Estimate keeps (``res.fit``), goodness of fit read from it, and saved results that keep it."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import mse
from mse.diagnostics import GoodnessOfFit
from mse.loglinear.design import Design
from mse.loglinear.fit import LoglinearFit, fit_model
from mse.loglinear.terms import parse_model


def _quiet_estimate(data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mse.estimate(data, **kwargs)


# ---------------------------------------------------------------------- the typed fit
@pytest.mark.parametrize(
    ("dataset", "model"),
    [("kosovo", "independence"), ("korea", "b:c + c:d"), ("uk2013", "PF:NCA + LA:NG + NG:GP")],
)
def test_covariance_matches_statsmodels_glm(dataset, model):
    """The covariance of the coefficients is statsmodels' GLM Poisson ``cov_params()`` on the cells kept.

    Reference: statsmodels.api.GLM(y[kept], X[kept], family=Poisson()).fit(tol=1e-12).cov_params(),
    with X the 0/1 design of the model's terms; tolerance 1e-6 relative.
    """
    sm = pytest.importorskip("statsmodels.api")
    data = mse.load_dataset(dataset)
    fit = _quiet_estimate(data, method="loglinear", model=model, interval="none").fit
    terms = parse_model(model, data.lists)
    design = Design(len(data.lists), terms)
    x = design.matrix[:, design.column_mask(terms)]
    y = data.dense_counts()[1:].astype(float)
    kept = fit.cells_used
    x = x[kept][:, np.array([np.any(c != 0) for c in x[kept].T])]
    glm = sm.GLM(y[kept], x, family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(fit.cov, glm.cov_params(), rtol=1e-6)
    np.testing.assert_allclose(fit.coefficients, glm.params, rtol=1e-6)
    np.testing.assert_allclose(fit.std_errors, glm.bse, rtol=1e-6)
    np.testing.assert_allclose(fit.pearson_residuals[kept], glm.resid_pearson, rtol=1e-6, atol=1e-9)
    # a cell fitted exactly has a deviance residual sqrt(rounding error), up to 1e-8 in either fit
    np.testing.assert_allclose(fit.deviance_residuals[kept], glm.resid_deviance, rtol=1e-6, atol=1e-7)


def test_estimate_keeps_the_typed_fit():
    res = _quiet_estimate(mse.load_dataset("kosovo"), method="bic", interval="none")
    fit = res.fit
    assert isinstance(fit, LoglinearFit)
    assert fit.model == fit_model(mse.load_dataset("kosovo"), res.model).model
    assert fit.coef_names == tuple(res.details["coef"])
    assert fit.cov.shape == (len(fit.coef_names),) * 2
    assert fit.deviance == res.details["deviance"] and fit.df == res.details["df"]
    assert fit.aic == res.details["aic"] and fit.bic == res.details["bic"]
    pd.testing.assert_frame_equal(fit.search, res.details["search"])
    assert math.sqrt(fit.cov[0, 0]) == pytest.approx(res.details["log_dark_se"])
    assert _quiet_estimate(mse.load_dataset("kosovo"), method="independence").fit.search is None
    assert mse.estimate(mse.load_dataset("kosovo"), method="Mh_chao").fit is None


def test_typed_fit_is_immutable():
    fit = fit_model(mse.load_dataset("korea"), "b:c")
    for array in (fit.counts, fit.fitted, fit.cells_used, fit.cov, fit.coefficients, fit.pearson_residuals):
        with pytest.raises(ValueError):
            array[0] = 1.0
    with pytest.raises(TypeError):
        fit.coef["b:c"] = 0.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        fit.deviance = 0.0  # type: ignore[misc]


def test_summary_shows_the_coefficient_table():
    res = _quiet_estimate(mse.load_dataset("korea"), method="loglinear", model="b:c")
    text = res.summary()
    assert "coefficients:" in text
    header = next(line for line in text.splitlines() if "estimate" in line and "SE" in line)
    assert header.split() == ["term", "estimate", "SE", "z"]
    table = res.fit.coef_table()
    row = next(line for line in text.splitlines() if line.strip().startswith("b:c"))
    assert row.split() == ["b:c", f"{table.loc['b:c', 'estimate']:.4f}", f"{table.loc['b:c', 'se']:.4f}",
                           f"{table.loc['b:c', 'z']:.2f}"]  # fmt: skip
    # under a disclosure policy the coefficients (which give cells back) are not shown
    assert "coefficients:" not in res.summary(suppress_below=10)
    assert "coefficients:" not in mse.estimate(mse.load_dataset("korea"), method="Mh_chao").summary()


# ---------------------------------------------------------------------- goodness of fit
def _loop_influence(data, model):
    """The estimate without each history, one refit at a time (what the batched solve replaces)."""
    counts = {h: int(c) for h, c in zip(*_patterns(data))}
    out = {}
    for history in counts:
        rest = {h: c for h, c in counts.items() if h != history}
        if not rest:
            out[history] = math.nan
            continue
        out[history] = fit_model(mse.CaptureData.from_patterns(rest, lists=list(data.lists)), model).estimate
    return out


def _patterns(data):
    frame = data.collapse_covariates().to_frame()
    histories = ["".join(str(int(v)) for v in row) for row in frame[list(data.lists)].to_numpy()]
    return histories, frame["count"].to_numpy()


@pytest.mark.parametrize(
    ("dataset", "model"),
    [("kosovo", "independence"), ("korea", "b:c + c:d"), ("kosovo", "EXH:ABA + ABA:OSCE"), ("uk2013", "PF:NCA")],
)
def test_batched_influence_equals_one_refit_per_history(dataset, model):
    data = mse.load_dataset(dataset)
    gof = mse.goodness_of_fit(data, model=model)
    expected = _loop_influence(data, model)
    cells = gof.to_frame().set_index("history")
    for history, value in expected.items():
        got = cells.loc[history, "estimate_without"]
        if math.isnan(value):
            assert math.isnan(got), history
        else:
            assert got == pytest.approx(value, rel=1e-10), history
    assert cells.loc[cells["observed"] == 0, "estimate_without"].isna().all()


def test_goodness_of_fit_is_typed_and_reads_as_the_old_mapping():
    res = _quiet_estimate(mse.load_dataset("korea"), method="stepwise", interval="none")
    gof = mse.goodness_of_fit(res)
    assert isinstance(gof, GoodnessOfFit)
    assert list(gof) == ["model", "estimate", "deviance", "pearson", "df", "p_value", "pearson_p_value", "status",
                         "cells"]  # fmt: skip
    assert gof["deviance"] == gof.deviance == res.fit.deviance
    assert gof.get("missing") is None and "cells" in gof
    assert {**gof}["df"] == gof.df
    pd.testing.assert_frame_equal(gof.to_frame(), gof["cells"])
    frame = gof.to_frame()
    frame.loc[0, "observed"] = -1.0  # a copy: the result is unchanged
    assert gof.cells.loc[0, "observed"] != -1.0
    with pytest.raises(AttributeError):
        gof.deviance = 0.0  # type: ignore[misc]


def test_goodness_of_fit_reads_the_fit_without_refitting(monkeypatch):
    res = _quiet_estimate(mse.load_dataset("kosovo"), method="stepwise", interval="none")
    expected = mse.goodness_of_fit(res, influence=False)

    def no_refit(*args, **kwargs):
        raise AssertionError("goodness_of_fit refitted a result that keeps its fit")

    monkeypatch.setattr("mse.loglinear.fit.fit_model", no_refit)
    assert mse.goodness_of_fit(res, influence=False) == expected


def test_goodness_of_fit_of_a_bias_reduced_result_is_that_of_the_mle():
    data = mse.load_dataset("korea")
    res = _quiet_estimate(data, method="loglinear", model="b:c", bias_correction=True, interval="none")
    assert res.fit.count_adjustment is not None
    assert mse.goodness_of_fit(res) == mse.goodness_of_fit(data, model="b:c")
