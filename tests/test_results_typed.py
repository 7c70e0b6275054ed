"""The typed fit an Estimate keeps (``res.fit``), goodness of fit read from it, and saved results that keep it."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mse
from mse.diagnostics import GoodnessOfFit
from mse.loglinear.fit.model_fit import LoglinearFit, fit_model
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import parse_model
from mse.testing import awkward_table


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

    monkeypatch.setattr("mse.loglinear.fit.model_fit.fit_model", no_refit)
    assert mse.goodness_of_fit(res, influence=False) == expected


def test_goodness_of_fit_of_a_bias_reduced_result_is_that_of_the_mle():
    data = mse.load_dataset("korea")
    res = _quiet_estimate(data, method="loglinear", model="b:c", bias_correction=True, interval="none")
    assert res.fit.count_adjustment is not None
    assert mse.goodness_of_fit(res) == mse.goodness_of_fit(data, model="b:c")


# ---------------------------------------------------------------------- saved and loaded
def _round_trip(result, tmp_path, name="result.json"):
    path = tmp_path / name
    result.save(path)
    return mse.load_result(path)


def _assert_same_result(original, loaded):
    assert loaded == original
    assert loaded.warnings == original.warnings
    assert loaded.to_dict() == original.to_dict()
    frames = {k for k, v in original.details.items() if isinstance(v, pd.DataFrame)}
    assert frames == {k for k, v in loaded.details.items() if isinstance(v, pd.DataFrame)}
    for key in frames:
        pd.testing.assert_frame_equal(loaded.details[key], original.details[key])
    if original.draws is None:
        assert loaded.draws is None
    else:
        np.testing.assert_array_equal(loaded.draws, original.draws)
    if original.fit is None:
        assert loaded.fit is None
        return
    assert loaded.fit == original.fit
    assert loaded.fit.coef_names == original.fit.coef_names
    np.testing.assert_array_equal(loaded.fit.coefficients, original.fit.coefficients)
    np.testing.assert_array_equal(loaded.fit.cov, original.fit.cov)
    assert loaded.fit.terms == original.fit.terms
    if original.fit.search is not None:
        pd.testing.assert_frame_equal(loaded.fit.search, original.fit.search)


_METHODS = [
    ("independence", {}),
    ("stepwise", {}),
    ("bic", {}),
    ("bic_aic", {}),
    ("loglinear", {"model": "all two-way"}),
    ("loglinear", {"model": "independence", "bias_correction": True}),
    ("Mh_chao", {}),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["typical", "sparse", "disjoint", "tiny", "saturated", "nested", "one_pair", "huge"]),
    n_lists=st.integers(3, 4),
    seed=st.integers(0, 50),
    method=st.sampled_from(_METHODS),
)
def test_save_and_load_keep_everything(tmp_path, kind, n_lists, seed, method):
    data = awkward_table(kind, n_lists, seed=seed).collapse_covariates()
    name, options = method
    try:
        original = _quiet_estimate(data, method=name, interval="wald", random_seed=1, **options)
    except mse.MSEError:
        return  # the method refuses the table: nothing to save
    loaded = _round_trip(original, tmp_path)
    _assert_same_result(original, loaded)
    if original.fit is not None:
        assert mse.goodness_of_fit(loaded) == mse.goodness_of_fit(original)


@pytest.mark.parametrize(
    ("method", "options"),
    [("stepwise", {}), ("aic", {}), ("dga", {}), ("independence", {"interval": "parametric_bootstrap", "n_boot": 30})],
)
def test_save_and_load_keep_search_tables_and_bayesian_tables(tmp_path, method, options):
    original = _quiet_estimate(mse.load_dataset("kosovo"), method=method, random_seed=1, **options)
    assert any(isinstance(v, pd.DataFrame) for v in original.details.values())
    loaded = _round_trip(original, tmp_path)
    _assert_same_result(original, loaded)
    if original.fit is not None:
        assert mse.goodness_of_fit(loaded) == mse.goodness_of_fit(original)
        assert "coefficients:" in loaded.summary()


def test_tables_of_every_column_type_round_trip(tmp_path):
    table = pd.DataFrame(
        {
            "text": pd.array(["a", None, "c"], dtype="str"),
            "whole": np.array([1, -2, 3], dtype=np.int64),
            "number": [1.5, math.nan, math.inf],
            "flag": [True, False, True],
            "mixed": pd.Series(["x", 2, None], dtype="object"),
        },
        index=pd.Index(["r1", "r2", "r3"]),
    )
    original = mse.Estimate(120.0, 100.0, 150.0, 0.95, 80, "demo", details={"weights": table, "empty": table.iloc[:0]})
    loaded = _round_trip(original, tmp_path)
    pd.testing.assert_frame_equal(loaded.details["weights"], table)
    assert loaded.details["empty"].empty and list(loaded.details["empty"].columns) == list(table.columns)


def test_a_loaded_result_supports_goodness_of_fit_with_influence(tmp_path):
    original = _quiet_estimate(mse.load_dataset("korea"), method="stepwise")
    loaded = _round_trip(original, tmp_path)
    assert loaded.fit.estimability is None
    gof = mse.goodness_of_fit(loaded)
    assert gof == mse.goodness_of_fit(original)
    assert gof.to_frame()["estimate_without"].notna().any()


def test_files_of_the_first_format_still_load(tmp_path):
    import json

    original = _quiet_estimate(mse.load_dataset("kosovo"), method="independence")
    path = tmp_path / "old.json"
    original.save(path)
    payload = json.loads(path.read_text())
    for key in ("frames", "fit", "idata"):
        del payload[key]
    payload["format"] = "mse.Estimate/1"
    path.write_text(json.dumps(payload))
    loaded = mse.load_result(path)
    assert loaded == original and loaded.fit is None
    # format 1 kept neither the fit nor the cells, so there is nothing to judge the fit by
    with pytest.raises(mse.ModelError):
        mse.goodness_of_fit(loaded)


def test_posterior_is_saved_as_netcdf_beside_the_json(tmp_path):
    az = pytest.importorskip("arviz")
    rng = np.random.default_rng(1)
    idata = az.from_dict(posterior={"N": 500 + rng.normal(size=(2, 40))})
    idata.posterior.attrs["max_seconds"] = None  # samplers record settings netCDF cannot store
    original = mse.Estimate(500.0, 498.0, 502.0, 0.95, 400, "demo", idata=idata, draws=np.ravel(idata.posterior["N"]))
    loaded = _round_trip(original, tmp_path, "bayes.json")
    assert (tmp_path / "bayes.idata.nc").is_file()
    assert idata.posterior.attrs["max_seconds"] is None  # the caller's object is not changed
    assert loaded.idata is not None and loaded.idata.posterior["N"].equals(idata.posterior["N"])
    # a damaged or missing posterior file is a DataError, like a damaged JSON
    (tmp_path / "bayes.idata.nc").write_bytes(b"not netcdf")
    with pytest.raises(mse.DataError, match="not an ArviZ netCDF"):
        mse.load_result(tmp_path / "bayes.json")
    (tmp_path / "bayes.idata.nc").unlink()
    with pytest.raises(mse.DataError, match="not beside it"):
        mse.load_result(tmp_path / "bayes.json")


@pytest.mark.parametrize("name", ["../elsewhere.nc", "/etc/passwd", "x.json", ".hidden.nc", "a\\\\b.nc", 3])
def test_the_posterior_file_name_cannot_point_elsewhere(tmp_path, name):
    import json

    path = tmp_path / "result.json"
    mse.Estimate(12.0, 7.0, 40.0, 0.95, 7, "demo").save(path)
    payload = json.loads(path.read_text())
    payload["idata"] = name
    path.write_text(json.dumps(payload))
    with pytest.raises(mse.DataError, match="idata"):
        mse.load_result(path)


def test_results_with_a_fit_pickle_for_worker_processes():
    import pickle

    res = _quiet_estimate(mse.load_dataset("korea"), method="bic", interval="none")
    back = pickle.loads(pickle.dumps(res))
    assert back.fit == res.fit and not back.fit.cov.flags.writeable
    pd.testing.assert_frame_equal(back.fit.search, res.fit.search)
    gof = mse.goodness_of_fit(res)
    assert pickle.loads(pickle.dumps(gof)) == gof


def test_a_failed_fit_with_negative_degrees_of_freedom_round_trips(tmp_path):
    """A model with more parameters than cells left has df < 0; its failed result still saves and loads."""
    data = awkward_table("tiny", 3, seed=1).collapse_covariates()
    original = _quiet_estimate(data, method="loglinear", model="all two-way", interval="wald")
    assert original.fit is not None and original.fit.df < 0
    _assert_same_result(original, _round_trip(original, tmp_path))
