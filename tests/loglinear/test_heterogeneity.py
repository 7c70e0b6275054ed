"""The heterogeneity check run with every log-linear estimate (mse.loglinear.heterogeneity)."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mse
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.heterogeneity import heterogeneity_check
from mse.loglinear.model.table import cell_histories
from mse.simulate import Scenario, generate

LISTS = ("A", "B", "C", "D")
PROBS = np.array([0.15, 0.2, 0.25, 0.2])


def _independent_expectations(n: float, probs: np.ndarray = PROBS) -> np.ndarray:
    """Expected counts of the observable cells under independence (first list most significant)."""
    hist = cell_histories(len(probs))
    return n * np.prod(np.where(hist, probs, 1 - probs), axis=1)


def _table(counts: np.ndarray, lists: tuple[str, ...] = LISTS) -> mse.CaptureData:
    hist = cell_histories(len(lists))
    patterns = {"".join("1" if b else "0" for b in row): int(c) for row, c in zip(hist, counts, strict=True) if c > 0}
    return mse.CaptureData.from_patterns(patterns, list(lists))


def _heterogeneity_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, mse.HeterogeneityWarning)]


def test_fires_on_strong_heterogeneity_and_says_what_it_saw():
    scenario = Scenario(
        2000, list(PROBS), heterogeneity={"kind": "latent_class", "weights": [0.7, 0.3], "multipliers": [0.2, 5.0]}
    )
    data, _ = generate(scenario, random_seed=11)
    with pytest.warns(mse.HeterogeneityWarning) as record:
        res = mse.estimate(data, method="stepwise", interval="wald")
    check = res.details["heterogeneity"]
    assert check["verdict"] == "heterogeneity"
    assert check["p_value"] < 1e-4 and check["statistic"] > 3.7
    assert res.status == "ok"  # a warning and a record, not a refusal
    message = _heterogeneity_warnings(list(record))[0]
    assert "seen on many lists, and on one list only" in message
    assert "too low" in message and "lcmcr" in message
    assert message in res.warnings


@pytest.mark.parametrize("method", ["independence", "stepwise", "bic", "aic", "bic_aic"])
def test_silent_on_a_large_homogeneous_table(method):
    data = _table(np.round(_independent_expectations(200_000)))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = mse.estimate(data, method=method, interval="wald")
    assert not _heterogeneity_warnings(record)
    assert res.details["heterogeneity"]["verdict"] == "no evidence"
    assert res.details["heterogeneity"]["p_value"] > 0.2


def test_runs_with_a_given_model_and_with_auto():
    data = mse.load_dataset("hepatitis_a")
    with pytest.warns(mse.HeterogeneityWarning):
        res = mse.estimate(data, method="loglinear", model="independence", interval="wald")
    assert res.details["heterogeneity"]["term"] == "C(k,2)"
    with pytest.warns(mse.HeterogeneityWarning):
        res = mse.estimate(data, method="auto", interval="wald")
    assert res.details["heterogeneity"]["verdict"] == "heterogeneity"


def test_can_be_switched_off():
    data = mse.load_dataset("hepatitis_a")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = mse.estimate(data, method="stepwise", interval="wald", heterogeneity_check=False)
    assert not _heterogeneity_warnings(record)
    assert "heterogeneity" not in res.details
    # Accepted by auto on two lists (Chapman's estimator has nothing to check).
    two = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 5}, ["A", "B"])
    with pytest.warns(mse.EstimabilityWarning, match="two lists"):
        assert mse.estimate(two, method="auto", heterogeneity_check=False).ok


def test_models_holding_every_symmetric_term_are_not_testable():
    two = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 5}, ["A", "B"])
    assert heterogeneity_check(fit_model(two, "independence")).verdict == "not testable"
    three = mse.load_dataset("hepatitis_a")
    check = heterogeneity_check(fit_model(three, "all two-way"))  # saturated on three lists
    assert check.verdict == "not testable" and math.isnan(check.p_value)
    # With every pair in, the next symmetric term is tested: people on three or more lists.
    check = heterogeneity_check(fit_model(mse.load_dataset("kosovo"), "all two-way"))
    assert check.term == "C(k,3)" and "3 lists or more" in check.message("all two-way")


def test_false_alarm_rate_is_near_its_level_on_simulated_null_tables():
    # 250 tables drawn from the independence model (N = 500, so the cells of three and four lists are
    # sparse), each tested under that model: the check must fire on about 5 % of them. With 250 tables a
    # calibrated 5 % test lands in [1.6 %, 9 %] with probability 0.995; one at 10 % would land there with
    # probability 0.3 only, and its z would miss the bounds on the mean and spread below.
    rng = np.random.default_rng(2026)
    expected = _independent_expectations(500)
    fired = []
    z = []
    for counts in rng.poisson(expected, size=(250, expected.size)):
        check = heterogeneity_check(fit_model(_table(counts), "independence"))
        fired.append(check.fired)
        z.append(check.statistic)
    assert 0.016 <= np.mean(fired) <= 0.09
    assert abs(np.mean(z)) < 0.2 and 0.85 < np.std(z) < 1.15


@st.composite
def four_list_tables(draw):
    counts = np.array(draw(st.lists(st.integers(1, 300), min_size=15, max_size=15)), dtype=float)
    model = draw(st.sampled_from(["independence", "A:B", "A:B + C:D", "A:B + B:C + A:C"]))
    order = draw(st.permutations(range(4)))
    return counts, model, list(order)


def _permuted(counts: np.ndarray, order: list[int]) -> tuple[np.ndarray, tuple[str, ...]]:
    """The same table with its lists in the order ``order`` (names travel with their columns)."""
    hist = cell_histories(4)
    new = np.zeros_like(counts)
    codes = hist[:, order] @ (1 << np.arange(3, -1, -1))
    new[codes - 1] = counts
    return new, tuple(LISTS[i] for i in order)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=four_list_tables(), factor=st.integers(2, 9))
def test_order_of_lists_and_scale_of_counts(case, factor):
    counts, model, order = case
    base = heterogeneity_check(fit_model(_table(counts), model))
    permuted_counts, permuted_lists = _permuted(counts, order)
    permuted = heterogeneity_check(fit_model(_table(permuted_counts, permuted_lists), model))
    assert permuted.term == base.term and permuted.verdict == base.verdict
    assert permuted.statistic == pytest.approx(base.statistic, rel=1e-6, abs=1e-8)
    scaled = heterogeneity_check(fit_model(_table(counts * factor), model))
    # The fitted means scale with the counts, so z grows like sqrt(factor): more of the same evidence.
    assert scaled.statistic == pytest.approx(base.statistic * math.sqrt(factor), rel=1e-5, abs=1e-6)
    if base.statistic > 0:
        assert scaled.p_value <= base.p_value


def test_every_permutation_of_a_real_table_gives_one_p_value():
    data = mse.load_dataset("diabetes")
    values = set()
    for order in itertools.permutations(data.lists):
        fit = fit_model(data.reorder_lists(list(order)), "independence")
        values.add(round(heterogeneity_check(fit).p_value, 12))
    assert len(values) == 1
