"""Closed-population estimators: closed forms, simulations with known truth, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

import mse
from mse.closed.designs import MODELS, capture_histories
from mse.closed.sample_coverage import sample_coverage_estimate
from mse.loglinear.intervals.likelihood import profile_interval


def _two_lists(only_a: int, only_b: int, both: int) -> mse.CaptureData:
    return mse.CaptureData.from_patterns({"10": only_a, "01": only_b, "11": both}, lists=["A", "B"])


# ---------------------------------------------------------------------- two lists: closed forms
def test_lincoln_petersen_closed_form_and_seber_variance():
    n1, n2, m = 60, 45, 15
    result = mse.estimate(_two_lists(n1 - m, n2 - m, m), method="lincoln_petersen", interval="wald")
    assert result.estimate == pytest.approx(n1 * n2 / m)
    variance = n1 * n2 * (n1 - m) * (n2 - m) / m**3
    assert result.se == pytest.approx(math.sqrt(variance))
    z = stats.norm.ppf(0.975)
    assert result.upper == pytest.approx(n1 * n2 / m + z * math.sqrt(variance))


def test_chapman_closed_form_and_log_normal_interval():
    n1, n2, m = 60, 45, 15
    result = mse.estimate(_two_lists(n1 - m, n2 - m, m), method="chapman")
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    assert result.estimate == pytest.approx(estimate)
    assert result.se == pytest.approx(math.sqrt(variance))
    unseen = estimate - 90
    spread = math.exp(stats.norm.ppf(0.975) * math.sqrt(math.log(1 + variance / unseen**2)))
    assert (result.lower, result.upper) == pytest.approx((90 + unseen / spread, 90 + unseen * spread))
    assert result.interval_method == "log_normal"


def test_lincoln_petersen_without_overlap_is_failed_not_a_number():
    result = mse.estimate(_two_lists(30, 20, 0), method="lincoln_petersen")
    assert not result.ok and math.isnan(result.estimate)
    assert "never overlap" in result.status
    # Chapman's (n1 + 1)(n2 + 1) / (m + 1) - 1 is finite at m = 0 only through its +1: not an estimate
    chapman = mse.estimate(_two_lists(30, 20, 0), method="chapman")
    assert not chapman.ok and math.isnan(chapman.estimate) and "never overlap" in chapman.status


def test_two_lists_chosen_from_more_that_never_overlap_are_not_an_estimate():
    data = mse.CaptureData.from_patterns({"100": 30, "010": 20, "101": 5, "011": 4, "001": 9}, ["A", "B", "C"])
    for method in ("chapman", "lincoln_petersen"):
        result = mse.estimate(data, method=method, lists=("A", "B"))
        assert not result.ok and math.isnan(result.estimate)
        assert "lists A and B never overlap" in result.status
        assert mse.estimate(data, method=method, lists=("A", "C")).ok


def test_two_list_methods_pick_lists_and_reject_bad_input():
    data = mse.load_dataset("kosovo")
    result = mse.estimate(data, method="chapman", lists=("EXH", "HRW"))
    assert result.model == "EXH x HRW"
    with pytest.raises(mse.DataError, match="exactly two lists"):
        mse.estimate(data, method="chapman")
    with pytest.raises(mse.ModelError, match="unknown option"):
        mse.estimate(data, method="Mt", bogus=1)
    with pytest.raises(mse.ModelError, match="interval"):
        mse.estimate(data, method="Mt", interval="bca")


def test_two_lists_mt_equals_lincoln_petersen():
    # Mt on two lists is the independence model, whose MLE is n1 n2 / m.
    data = _two_lists(45, 30, 15)
    assert mse.estimate(data, method="Mt").estimate == pytest.approx(60 * 45 / 15, rel=1e-9)


# ---------------------------------------------------------------------- sample coverage
@pytest.mark.parametrize(("dataset", "mt_estimate"), [("korea", 141.99265), ("kosovo", 7394.5867)])
def test_sample_coverage_independence_variant_is_the_mt_estimate(dataset, mt_estimate):
    # Darroch's equation N - n = N prod(1 - n_k / N) is the likelihood equation of model Mt, so the
    # "independence" variant must reproduce Rcapture's closedp.t(X, dfreq=TRUE) Mt estimate.
    data = mse.load_dataset(dataset)
    cells = data.dense_counts()[1:].astype(float)
    assert sample_coverage_estimate(cells, data.n_lists, "independence") == pytest.approx(mt_estimate, rel=1e-6)


def test_sample_coverage_definition_on_hepatitis_a():
    # D = mean over lists of the number found by the other lists; C = 1 - mean(f_k / n_k).
    data = mse.load_dataset("hepatitis_a")
    n, only, totals = 271, np.array([69, 55, 63]), np.array([135, 122, 126])
    expected = np.mean(n - only) / (1 - np.mean(only / totals))
    result = mse.estimate(data, method="sample_coverage", random_seed=3, n_boot=100)
    assert result.estimate == pytest.approx(expected)
    assert result.lower < result.estimate < result.upper and result.se > 0
    again = mse.estimate(data, method="sample_coverage", random_seed=3, n_boot=100)
    assert again.se == result.se


def _simulate(N: int, t: int, probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Observed-cell counts (dense order) for people with capture probabilities ``(N, t)``."""
    caught = rng.random((N, t)) < probabilities
    index = caught @ (1 << np.arange(t - 1, -1, -1))
    return np.bincount(index, minlength=2**t)[1:].astype(float)


def test_sample_coverage_is_unbiased_for_independent_homogeneous_lists():
    rng = np.random.default_rng(20240501)
    N, p = 1000, np.array([0.3, 0.25, 0.2])
    estimates = [sample_coverage_estimate(_simulate(N, 3, np.tile(p, (N, 1)), rng), 3) for _ in range(200)]
    assert np.mean(estimates) == pytest.approx(N, rel=0.02)


def test_sample_coverage_one_step_reduces_bias_under_heterogeneity():
    # Shared heterogeneity makes every pair of lists positively dependent: D/C underestimates,
    # the one-step correction moves it toward the truth.
    rng = np.random.default_rng(7)
    N = 2000
    results = {"high_coverage": [], "one_step": []}
    for _ in range(60):
        frailty = rng.gamma(1.0, 1.0, size=N)
        probabilities = np.clip(0.25 * frailty[:, None] * np.ones(3), 0, 1)
        cells = _simulate(N, 3, probabilities, rng)
        for variant in results:
            results[variant].append(sample_coverage_estimate(cells, 3, variant))
    high, one_step = np.mean(results["high_coverage"]), np.mean(results["one_step"])
    assert high < 0.9 * N
    assert abs(one_step - N) < abs(high - N)


# ---------------------------------------------------------------------- simulations: what each model is for
def _mean_estimates(models, probabilities_fn, N, t, replicates, seed):
    rng = np.random.default_rng(seed)
    out = {m: [] for m in models}
    for _ in range(replicates):
        cells = _simulate(N, t, probabilities_fn(rng), rng)
        data = mse.CaptureData.from_counts(_frame(cells, t), lists=[f"L{i}" for i in range(t)], count="count")
        table = mse.closed_population_models(data).set_index("model")
        for m in models:
            out[m].append(table.loc[m, "estimate"])
    return {m: np.nanmean(v) for m, v in out.items()}


def _frame(cells, t):
    import pandas as pd

    histories = capture_histories(t)
    frame = pd.DataFrame(histories, columns=[f"L{i}" for i in range(t)])
    frame["count"] = cells.astype(int)
    return frame[frame["count"] > 0]


def test_heterogeneity_models_correct_the_downward_bias_of_m0_and_mt():
    # Capture probabilities vary between people (beta with mean 0.2): M0/Mt underestimate;
    # the Mh models, built for this, come much closer.
    N, t = 1000, 5
    means = _mean_estimates(
        ["M0", "Mt", "Mh_chao", "Mh_poisson2", "Mh_darroch"],
        lambda rng: np.repeat(rng.beta(0.8, 3.2, size=N)[:, None], t, axis=1),
        N,
        t,
        replicates=20,
        seed=11,
    )
    assert means["M0"] < 0.85 * N and means["Mt"] < 0.85 * N
    for model in ("Mh_chao", "Mh_poisson2", "Mh_darroch"):
        assert abs(means[model] - N) < abs(means["M0"] - N)


def test_heterogeneity_models_agree_with_m0_without_heterogeneity():
    N, t = 1000, 5
    means = _mean_estimates(
        ["M0", "Mt", "Mh_chao", "Mh_poisson2", "Mh_darroch"],
        lambda rng: np.full((N, t), 0.25),
        N,
        t,
        replicates=20,
        seed=12,
    )
    for model, value in means.items():
        assert value == pytest.approx(N, rel=0.05), model


def test_mb_recovers_a_trap_shy_population():
    # A behavioural response (recapture probability 0.1 after a first capture at 0.3): Mb is built for
    # this; Mt confuses the drop in recaptures with a large population.
    rng = np.random.default_rng(5)
    N, t, estimates = 800, 5, {"Mb": [], "Mt": []}
    for _ in range(20):
        caught = np.zeros((N, t), dtype=bool)
        seen = np.zeros(N, dtype=bool)
        for j in range(t):
            caught[:, j] = rng.random(N) < np.where(seen, 0.1, 0.3)
            seen |= caught[:, j]
        index = caught @ (1 << np.arange(t - 1, -1, -1))
        cells = np.bincount(index, minlength=2**t)[1:].astype(float)
        data = mse.CaptureData.from_counts(_frame(cells, t), lists=[f"L{i}" for i in range(t)], count="count")
        table = mse.closed_population_models(data).set_index("model")
        for m in estimates:
            estimates[m].append(table.loc[m, "estimate"])
    assert np.mean(estimates["Mb"]) == pytest.approx(N, rel=0.05)
    assert np.mean(estimates["Mt"]) > 1.3 * N


# ---------------------------------------------------------------------- properties
@settings(max_examples=15, deadline=None)
@given(st.permutations(range(4)), st.sampled_from(["M0", "Mh_chao", "Mh_poisson2", "Mh_darroch", "Mt"]))
def test_list_order_does_not_change_m0_mt_or_mh(order, model):
    data = mse.load_dataset("kosovo")
    reordered = data.reorder_lists([data.lists[i] for i in order])
    a = mse.closed_population_models(data).set_index("model").loc[model]
    b = mse.closed_population_models(reordered).set_index("model").loc[model]
    assert b["estimate"] == pytest.approx(a["estimate"], rel=1e-7)
    assert b["deviance"] == pytest.approx(a["deviance"], rel=1e-7, abs=1e-7)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=7, max_size=7).filter(lambda c: sum(c) > 5 and c[-1] > 0))
def test_every_ok_estimate_is_at_least_the_number_observed(counts):
    patterns = {"".join(map(str, row)): c for row, c in zip(capture_histories(3), counts) if c > 0}
    data = mse.CaptureData.from_patterns(patterns, lists=["A", "B", "C"])
    table = mse.closed_population_models(data)
    ok = table[table["status"] == "ok"]
    assert (ok["estimate"] >= data.n_observed - 1e-9).all()
    assert table.loc[table["status"] != "ok", "estimate"].isna().all()


def test_every_model_is_a_method_with_an_interval():
    data = mse.load_dataset("western_us")
    for model in MODELS:
        result = mse.estimate(data, method=model)
        if result.ok:
            assert result.lower <= result.estimate <= result.upper, model
            assert result.interval_method == "profile"
        else:
            assert math.isnan(result.estimate) and result.status


def test_profile_interval_without_finite_upper_limit_says_so():
    # No overlap between two lists: the independence likelihood increases with N without bound.
    design = np.column_stack([np.ones(3), [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    result = profile_interval(design, np.array([50.0, 60.0, 0.0]), 15000.0)
    assert result.lower > 110
    assert math.isinf(result.upper) and "no finite upper limit" in result.status
