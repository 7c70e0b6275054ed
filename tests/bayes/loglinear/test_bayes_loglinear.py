"""Bayesian log-linear models and Silverman's (2020) Bayesian thresholding.

Reference values (tests/reference/reference_estimates.csv) come from R 4.2.2,
MultipleSystemsEstimation 1.2.0:

    estimate_population(zdat, method='bayesthresh', seed=1234)

i.e. Silverman (2020) Bayesian thresholding with the "proper" N(0, 1) prior on
the interactions and threshold 2. The R sampler (random-walk Metropolis) and
ours (HMC) give different draws, so posterior quantiles are compared within
Monte Carlo error: 3 % on the median and 5 % on the 2.5 %, 10 %, 90 % and
97.5 % quantiles. (A long run of our sampler, 4 chains of 5,000 draws with an
effective sample size of N above 22,000, lies within 1.1 % of every kosovo
quantile and within 1.7 % of every uk2013 quantile.) The terms retained must
match exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import mse
from mse.bayes.loglinear import Prior, bayes_loglinear, bayesthresh, plot_prior_sensitivity, prior_sensitivity_loglinear
from mse.bayes.loglinear.posterior import posterior_mode
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import parse_model

MEDIAN_TOLERANCE = 0.03
QUANTILE_TOLERANCE = 0.05


def _reference_row(reference: pd.DataFrame, dataset: str) -> pd.Series:
    rows = reference[(reference["dataset"] == dataset) & reference["method"].str.contains("bayesthresh")]
    assert len(rows) == 1
    return rows.iloc[0]


def _reference_quantiles(row: pd.Series) -> dict[str, float]:
    """The quantiles stored in the notes: '... quantiles: 2.5%=10946.2 10%=11458.1 ...'."""
    text = row["notes"].split("quantiles:")[1]
    return {key: float(value) for key, value in (item.split("=") for item in text.split())}


def _retained(row: pd.Series) -> set[str]:
    return {term.strip() for term in row["model"].split(":", 1)[1].split(",")}


def _check_against_reference(result: mse.Estimate, row: pd.Series) -> None:
    assert set(result.details["retained_terms"]) == _retained(row)
    expected = _reference_quantiles(row)
    for key, value in expected.items():
        tolerance = MEDIAN_TOLERANCE if key == "50%" else QUANTILE_TOLERANCE
        assert result.details["quantiles"][key] == pytest.approx(value, rel=tolerance), key
    assert result.estimate == pytest.approx(row["estimate"], rel=MEDIAN_TOLERANCE)
    assert result.lower == pytest.approx(row["lower"], rel=QUANTILE_TOLERANCE)
    assert result.upper == pytest.approx(row["upper"], rel=QUANTILE_TOLERANCE)


@pytest.fixture(scope="module")
def kosovo_thresh() -> mse.Estimate:
    with warnings.catch_warnings():
        warnings.simplefilter("error", mse.ConvergenceWarning)
        return mse.estimate(mse.load_dataset("kosovo"), method="bayesthresh", random_seed=1234)


# ---------------------------------------------------------------- against R
def test_bayesthresh_kosovo_matches_reference(kosovo_thresh: mse.Estimate, reference: pd.DataFrame) -> None:
    _check_against_reference(kosovo_thresh, _reference_row(reference, "kosovo"))


@pytest.mark.slow
def test_bayesthresh_uk2013_matches_reference(reference: pd.DataFrame) -> None:
    # LA never overlaps GP or NCA: those terms stay in the first fit under the N(0, 1) prior and are dropped
    with warnings.catch_warnings():
        warnings.simplefilter("error", mse.ConvergenceWarning)
        result = mse.estimate(mse.load_dataset("uk2013"), method="bayesthresh", random_seed=1234)
    _check_against_reference(result, _reference_row(reference, "uk2013"))
    table = result.details["thresholding"].set_index("term")
    for pair in ("LA:GP", "LA:NCA"):
        assert table.loc[pair, "mean"] < 0
        assert not table.loc[pair, "retained"]


# ---------------------------------------------------------------- the result contract
def test_result_fields_and_inference_data(kosovo_thresh: mse.Estimate) -> None:
    res = kosovo_thresh
    assert res.ok and res.method == "bayesthresh" and res.interval_method == "posterior"
    assert res.model == "EXH:ABA + EXH:OSCE + EXH:HRW + ABA:OSCE + OSCE:HRW"
    assert res.draws is not None and res.draws.shape == (4 * 1000,)
    assert res.estimate == pytest.approx(np.median(res.draws))
    assert res.lower == pytest.approx(np.percentile(res.draws, 2.5))
    assert res.observed < res.lower < res.estimate < res.upper
    posterior = res.idata.posterior
    assert {"N", "(intercept)", "EXH", "EXH:ABA", "OSCE:HRW"} <= set(posterior.data_vars)
    assert "ABA:HRW" not in posterior.data_vars
    np.testing.assert_allclose(posterior["N"].values.ravel(), res.draws)
    assert res.details["rhat"] < 1.01 and res.details["ess_bulk"] >= 400
    assert res.details["divergences"] == 0
    dropped = res.details["thresholding"].set_index("term").loc["ABA:HRW"]
    assert abs(dropped["ratio"]) < 2 and not dropped["retained"]


def test_reproducible_with_seed() -> None:
    data = mse.load_dataset("kosovo")
    options = {"model": "EXH:ABA", "draws": 100, "tune": 100, "chains": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.ConvergenceWarning)
        first = bayes_loglinear(data, random_seed=5, **options)
        second = bayes_loglinear(data, random_seed=5, **options)
        other = bayes_loglinear(data, random_seed=6, **options)
    np.testing.assert_array_equal(first.draws, second.draws)
    assert not np.array_equal(first.draws, other.draws)


def test_short_chains_warn() -> None:
    with pytest.warns(mse.ConvergenceWarning, match="effective sample size"):
        res = bayes_loglinear(
            mse.load_dataset("kosovo"), model="independence", draws=15, tune=15, chains=2, random_seed=1
        )
    assert any("effective sample size" in w for w in res.warnings)


# ---------------------------------------------------------------- flat prior against the MLE and the truth
def _simulated_table(population: int, seed: int) -> tuple[mse.CaptureData, int]:
    rng = np.random.default_rng(seed)
    probabilities = np.array([0.3, 0.25, 0.2, 0.35])
    captured = rng.random((population, 4)) < probabilities
    # a positive dependence between the first two lists: half of those on A are put on B too
    captured[:, 1] |= captured[:, 0] & (rng.random(population) < 0.5)
    frame = pd.DataFrame(captured.astype(int), columns=list("ABCD")).value_counts().reset_index(name="count")
    frame = frame[frame[list("ABCD")].sum(axis=1) > 0]
    return mse.CaptureData.from_counts(frame, lists=list("ABCD")), population


def test_flat_prior_posterior_agrees_with_mle_and_covers_truth() -> None:
    data, truth = _simulated_table(50_000, seed=11)
    res = bayes_loglinear(data, model="A:B", prior="flat", random_seed=3)
    mle = fit_model(data, "A:B")
    assert res.ok and res.details["prior"] == "flat"
    # with a flat prior the posterior of the intercept is centred on its MLE, so the median of N is n + exp(MLE)
    assert abs(res.estimate - mle.estimate) < 0.1 * res.se
    # ... and its spread is the delta-method spread of the expected dark figure exp(beta_0)
    assert res.se == pytest.approx(mle.dark_figure * mle.log_dark_se, rel=0.1)
    assert res.lower < truth < res.upper


@pytest.mark.slow
def test_sampled_dark_figure_adds_poisson_variance() -> None:
    data, truth = _simulated_table(50_000, seed=11)
    res = bayes_loglinear(data, model="A:B", prior="flat", dark_figure="sampled", random_seed=3)
    mle = fit_model(data, "A:B")
    # Var(N) = m^2 Var(beta_0) + m: the standard error of the classical fit (Cormack 1989)
    assert res.se == pytest.approx(mle.se, rel=0.1)
    assert res.lower < truth < res.upper


def test_flat_prior_without_mle_is_a_failed_estimate() -> None:
    # saturated three-list model with an empty two-list cell: the MLE is at infinity, the flat posterior improper
    data = mse.CaptureData.from_patterns(
        {"100": 50, "010": 40, "001": 30, "110": 0, "101": 10, "011": 12, "111": 3}, lists=["A", "B", "C"]
    )
    res = mse.estimate(data, method="bayes_loglinear", prior="flat")
    assert not res.ok and math.isnan(res.estimate)
    assert "improper" in res.status
    with pytest.raises(mse.EstimabilityError):
        mse.estimate(data, method="bayes_loglinear", prior="flat", strict=True)


# ---------------------------------------------------------------- bad options
@pytest.mark.parametrize(
    ("method", "options", "message"),
    [
        ("bayes_loglinear", {"interval": "wald"}, "posterior"),
        ("bayesthresh", {"interval": "profile"}, "posterior"),
        ("bayes_loglinear", {"n_boot": 10}, "unknown option"),
        ("bayesthresh", {"pthresh": 0.1}, "unknown option"),
        ("bayes_loglinear", {"threshold": 2}, "unknown option"),
        ("bayes_loglinear", {"prior": "cauchy"}, "prior must be"),
        ("bayes_loglinear", {"prior_sd": -1.0}, "prior_sd"),
        ("bayes_loglinear", {"prior_sd": 1.0, "prior_var": 1.0}, "not both"),
        ("bayes_loglinear", {"prior": "flat", "prior_sd": 2.0}, "flat"),
        ("bayes_loglinear", {"main_sd": 0}, "main_sd"),
        ("bayesthresh", {"threshold": -1}, "threshold"),
        ("bayes_loglinear", {"draws": 0}, "draws"),
        ("bayes_loglinear", {"dark_figure": "poisson"}, "dark_figure"),
        ("bayes_loglinear", {"chains": 1.5}, "chains"),
        ("bayes_loglinear", {"model": "EXH:XYZ"}, "unknown list"),
        ("bayesthresh", {"model": "EXH:ABA:OSCE:HRW"}, "all 4 lists"),
    ],
)
def test_bad_options_raise_model_error(method: str, options: dict, message: str) -> None:
    with pytest.raises(mse.ModelError, match=message):
        mse.estimate(mse.load_dataset("kosovo"), method=method, **options)


def test_prior_from_options() -> None:
    assert Prior.from_options(prior_var=0.25).sd == pytest.approx(0.5)
    assert Prior.from_options().describe() == {"prior": "normal", "prior_sd": 1.0, "prior_var": 1.0, "main_sd": 100.0}
    assert not Prior.from_options("flat").precisions(3, 2).any()


# ---------------------------------------------------------------- the posterior mode (no sampling)
@settings(max_examples=15, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=400), min_size=7, max_size=7),
    order=st.permutations([0, 1, 2]),
)
def test_flat_mode_is_the_mle_and_ignores_list_order(counts: list[int], order: list[int]) -> None:
    patterns = {format(code, "03b"): c for code, c in zip(range(1, 8), counts)}
    data = mse.CaptureData.from_patterns(patterns, lists=["A", "B", "C"])
    # new list j is old list order[j], so the A:B interaction moves to the new positions of A and B
    permuted = mse.CaptureData.from_patterns(
        {"".join(key[i] for i in order): c for key, c in patterns.items()}, lists=["A", "B", "C"]
    )
    moved = ":".join("ABC"[order.index(i)] for i in (0, 1))

    def flat_mode_intercept(table: mse.CaptureData, model: str) -> float:
        design = Design(3, parse_model(model, table.lists))
        y = table.dense_counts()[1:].astype(float)
        start = np.r_[np.log(y.mean()), np.zeros(design.n_columns - 1)]
        mode, _, converged = posterior_mode(design.matrix, y, np.zeros(design.n_columns), start)
        assert converged
        return float(mode[0])

    original = flat_mode_intercept(data, "A:B")
    assert original == pytest.approx(fit_model(data, "A:B").coef["(intercept)"], abs=1e-6)
    assert flat_mode_intercept(permuted, moved) == pytest.approx(original, abs=1e-6)


# ---------------------------------------------------------------- prior sensitivity
@pytest.mark.slow
def test_prior_sensitivity_table_and_plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    data = mse.load_dataset("kosovo")
    table = prior_sensitivity_loglinear(data, [0.1, 1.0, math.inf], model="all two-way", random_seed=2)
    assert list(table["prior_sd"]) == [0.1, 1.0, math.inf]
    assert (table["status"] == "ok").all()
    assert {"prior_sd", "prior_var", "estimate", "lower", "upper"} <= set(table.columns)
    # a tight prior pulls the (positive) kosovo interactions towards zero, which shrinks the estimate towards
    # the independence model; the flat prior leaves it where the MLE is
    independence = fit_model(data, "independence").estimate
    mle = fit_model(data, "all two-way").estimate
    tight, flat = table["estimate"].iloc[0], table["estimate"].iloc[2]
    assert abs(tight - independence) < abs(tight - mle)
    assert flat == pytest.approx(mle, rel=0.05)
    ax = plot_prior_sensitivity(table, observed=data.n_observed)
    assert ax.get_xscale() == "log"


def test_prior_sensitivity_bad_arguments() -> None:
    data = mse.load_dataset("kosovo")
    with pytest.raises(mse.ModelError, match="method"):
        prior_sensitivity_loglinear(data, [1.0], method="lcmcr")
    with pytest.raises(mse.ModelError, match="positive"):
        prior_sensitivity_loglinear(data, [0.0])
    with pytest.raises(mse.ModelError, match="prior"):
        prior_sensitivity_loglinear(data, [1.0], prior_sd=2.0)


def test_bayesthresh_direct_call_needs_no_api() -> None:
    with pytest.raises(mse.ModelError, match="threshold"):
        bayesthresh(mse.load_dataset("kosovo"), threshold="two")


def test_draws_in_separated_modes_are_reported():
    # The summary step on its own: draws of N from two chains in one place and two in another.
    from types import SimpleNamespace

    from mse.bayes.loglinear.estimators import _estimate_from

    rng = np.random.default_rng(3)
    population = np.stack([rng.lognormal(np.log(c), 0.05, 500) for c in (1_000, 1_000, 3_000, 3_000)])
    posterior = SimpleNamespace(
        interval=lambda level: tuple(np.quantile(population, [0.5, 0.025, 0.975])),
        population=population,
        rhat=1.0,
        ess_bulk=2000.0,
        ess_tail=2000.0,
        divergences=0,
        infinite_terms=(),
        coefficient_table=lambda: None,
        prior=SimpleNamespace(describe=lambda: {}),
        sampler={},
        observed=600,
        model="A:B",
        convergence_problems=lambda: [],
        idata=None,
    )
    with pytest.warns(mse.MultimodalityWarning, match="2 separated modes"):
        result = _estimate_from(posterior, method="bayes_loglinear", level=0.95, details={})
    assert result.details["modes"]["share"].to_list() == pytest.approx([0.5, 0.5])
    assert result.details["modes"]["N"].to_list() == pytest.approx([1_000, 3_000], rel=0.05)
