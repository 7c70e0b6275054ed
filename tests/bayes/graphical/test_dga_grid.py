"""The grid posterior of method="dga" against a direct sum over every integer N.

The posterior of N averaged over decomposable graphs (Madigan & York, 1997) is
a sum over graphs of closed-form terms at each integer N. Summing it at every
integer up to a bound is slow but needs no grid, so it checks the adaptive grid
of :mod:`mse.bayes.graphical.posterior` wherever the mass lies: a dark figure
of zero, a few people, thousands, and heavy tails reaching far beyond.

Tolerance: the grid is refined until the quantiles move by at most half a
person or 1e-4 of N; the issue's requirement is one person or 0.1 %, and that
is what is checked (``_close``). Where the whole posterior is resolved to the
integer the match is exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.special import gammaln, logsumexp

import mse
from mse.bayes.graphical import dga
from mse.bayes.graphical.graphs import decomposable_graphs
from mse.bayes.graphical.marginal import subset_log_terms, subset_statistics
from mse.simulate import Scenario, generate

QUANTILES = (0.5, 0.025, 0.975)


def direct_sum(data: mse.CaptureData, upper_dark: int, block: int = 100_000) -> tuple[np.ndarray, float, float]:
    """Quantiles, mean and last-point mass of the posterior summed at every dark figure 0..upper_dark.

    Every decomposable graph, default delta = 2**-t, prior 1/N; no grid, no interpolation, no pruning.
    """
    t, n = data.n_lists, data.n_observed
    codes = np.asarray(data.histories, dtype=np.int64) @ (1 << np.arange(t))
    stats = subset_statistics(codes, data.counts, t, 2.0**-t)
    coefficients = decomposable_graphs(t).coefficients
    parts = []
    for start in range(0, upper_dark + 1, block):
        dark = np.arange(start, min(start + block, upper_dark + 1), dtype=float)
        population = n + dark
        joint = np.asarray(coefficients @ subset_log_terms(stats, dark))
        parts.append(logsumexp(joint, axis=0) + gammaln(population + 1) - gammaln(dark + 1) - np.log(population))
    log_mass = np.concatenate(parts)
    probability = np.exp(log_mass - logsumexp(log_mass))
    cumulative = np.cumsum(probability)
    quantiles = n + np.searchsorted(cumulative, np.asarray(QUANTILES) - 1e-15).astype(float)
    return quantiles, float(np.sum(probability * (n + np.arange(upper_dark + 1)))), float(probability[-1])


def _close(got: np.ndarray, exact: np.ndarray) -> None:
    np.testing.assert_array_less(np.abs(np.asarray(got) - exact), np.maximum(1.0, 1e-3 * exact) + 1e-9)


def _triple(result: mse.Estimate) -> np.ndarray:
    return np.array([result.estimate, result.lower, result.upper])


def _simulated_1000() -> mse.CaptureData:
    data, _ = generate(Scenario(population_size=1000, capture_probabilities=[0.8, 0.8, 0.8]), random_seed=1)
    return data


SMALL_DARK_FIGURES = {
    # Capture probability 0.8 on three lists: about 8 people unseen out of 1,000.
    "simulated_1000": _simulated_1000,
    "fifty_on_every_list": lambda: mse.CaptureData.from_patterns({"111": 50}, ["A", "B", "C"]),
    "six_people": lambda: mse.CaptureData.from_patterns(
        {"111": 2, "110": 1, "011": 1, "101": 1, "100": 1}, ["A", "B", "C"]
    ),
    "dark_figure_zero": lambda: mse.CaptureData.from_patterns(
        {"111": 500, "110": 20, "011": 20, "101": 20, "100": 1, "010": 1, "001": 1}, ["A", "B", "C"]
    ),
}


@pytest.mark.parametrize("name", sorted(SMALL_DARK_FIGURES))
def test_small_dark_figures_match_the_direct_sum(name: str) -> None:
    data = SMALL_DARK_FIGURES[name]()
    exact, _, last = direct_sum(data, 2_000_000)
    # The density falls like a power of N, so the mass beyond the bound is of the order of last * bound.
    assert last * 2_000_000 < 1e-4
    result = mse.estimate(data, method="dga", random_seed=1)
    assert result.ok
    np.testing.assert_array_equal(_triple(result), exact)
    # The limits lie in the support and the draws follow the posterior, not a wide first cell.
    assert data.n_observed <= result.lower <= result.estimate <= result.upper
    assert np.quantile(result.draws, 0.5) == pytest.approx(result.estimate, abs=max(2.0, 0.02 * result.estimate))


def test_simulated_dark_figure_is_resolved_to_the_person() -> None:
    result = mse.estimate(_simulated_1000(), method="dga", random_seed=1)
    grid = result.details["posterior"]
    near = grid[grid["N"] <= result.upper]
    assert (near["upper"] - near["lower"]).max() == pytest.approx(1.0)
    assert result.upper - result.lower < 20  # 998 [993, 1005]: not the 1,088 [996, 1,180] of a coarse grid


def _independent_table(population: int) -> mse.CaptureData:
    """Expected counts of three independent lists with capture probabilities 0.5, 0.4 and 0.3."""
    probability = np.array([0.5, 0.4, 0.3])
    patterns = {}
    for bits in range(1, 8):
        on = np.array([bits >> 2 & 1, bits >> 1 & 1, bits & 1], dtype=bool)
        patterns[f"{bits:03b}"] = round(population * np.prod(np.where(on, probability, 1 - probability)))
    return mse.CaptureData.from_patterns(patterns, ["A", "B", "C"])


# Dark figures from 210 to 10**8 (21 % of N unseen): the grid must resolve the posterior at every scale.
@pytest.mark.parametrize("population", [1_000, 100_000, 10_000_000, 500_000_000])
def test_resolution_holds_at_every_scale(population: int) -> None:
    data = _independent_table(population)
    result = dga(data, random_seed=1)
    assert result.ok
    dark = result.estimate - data.n_observed
    assert dark == pytest.approx(0.21 * population, rel=0.05)
    posterior = result.details["posterior"]
    # The cells around the quantiles are narrower than the tolerance the grid promises.
    for value in (result.lower, result.estimate, result.upper):
        cell = posterior[(posterior["lower"] <= value) & (posterior["upper"] >= value)]
        assert (cell["upper"] - cell["lower"]).max() <= max(1.0, 1e-4 * value)
    if population <= 100_000:
        exact, _, last = direct_sum(data, 2_000_000)
        assert last * 2_000_000 < 1e-4
        _close(_triple(result), exact)


@pytest.mark.parametrize(
    ("name", "upper_dark"),
    [
        ("korea", 20_000),
        ("artificial_3", 20_000),
        ("spina_bifida", 20_000),
        ("spina_bifida_ethnicity", 20_000),
        ("hepatitis_a", 20_000),
        ("kosovo", 60_000),
        ("uk2013_4", 60_000),
        ("australia", 40_000),
        ("diabetes", 20_000),
        ("hiv_rome", 60_000),
        ("lesbian_allegheny", 20_000),
        ("scottish_pwid", 100_000),
        ("congenital_anomaly", 5_000),
        ("new_orleans_5", 10_000),
        ("western_us", 20_000),
        ("uk2013_5", 40_000),
        ("netherlands_5", 120_000),
    ],
)
def test_bundled_data_sets_match_the_direct_sum(name: str, upper_dark: int) -> None:
    # The prior truncated at N = n + upper_dark makes both sides the same finite sum.
    data = mse.load_dataset(name).collapse_covariates()
    exact, mean, _ = direct_sum(data, upper_dark)
    result = dga(data, max_n=data.n_observed + upper_dark, random_seed=1)
    assert result.ok
    _close(_triple(result), exact)
    assert result.details["posterior_mean"] == pytest.approx(mean, rel=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "upper_dark"),
    [("snowshoe_hare", 2_000), ("uk2013", 30_000), ("netherlands_synthetic", 40_000), ("netherlands", 250_000)],
)
def test_six_list_data_sets_match_the_direct_sum(name: str, upper_dark: int) -> None:
    data = mse.load_dataset(name).collapse_covariates()
    exact, mean, _ = direct_sum(data, upper_dark, block=5_000)
    result = dga(data, max_n=data.n_observed + upper_dark, random_seed=1)
    _close(_triple(result), exact)
    assert result.details["posterior_mean"] == pytest.approx(mean, rel=1e-3)


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=400), min_size=7, max_size=7).filter(
        lambda c: sum(c) > 0 and sum(c[3:]) > 0
    )
)
def test_any_three_list_table_matches_the_direct_sum(counts: list[int]) -> None:
    patterns = dict(zip(["100", "010", "001", "110", "101", "011", "111"], counts))
    data = mse.CaptureData.from_patterns(patterns, ["A", "B", "C"])
    exact, _, _ = direct_sum(data, 30_000)
    result = dga(data, max_n=data.n_observed + 30_000, random_seed=1)
    assert result.ok
    _close(_triple(result), exact)


def test_too_few_nodes_is_not_ok() -> None:
    # Refinement needs more than eight nodes here: the result must say the grid is not settled.
    data = mse.load_dataset("kosovo")
    with pytest.warns(mse.ConvergenceWarning, match="max_points"):
        result = dga(data, max_points=8)
    assert not result.ok
    assert "max_points" in result.status


@pytest.mark.parametrize("upper_dark", [0, 1, 70, 500, 5_000])
def test_prior_truncated_just_above_the_observed_count(upper_dark: int) -> None:
    # A grid of one point (max_n = n) up to a few thousand: the same sum on both sides.
    data = mse.load_dataset("kosovo")
    exact, _, _ = direct_sum(data, upper_dark)
    result = dga(data, max_n=data.n_observed + upper_dark, random_seed=1)
    assert result.ok
    np.testing.assert_array_equal(_triple(result), exact)


@pytest.mark.parametrize("scale", [10**10, 10**12, 10**16])
def test_more_people_than_double_precision_can_follow_is_refused(scale: int) -> None:
    base = {"100": 60, "010": 50, "001": 40, "110": 30, "101": 20, "011": 25, "111": 15}
    data = mse.CaptureData.from_patterns({k: v * scale for k, v in base.items()}, ["A", "B", "C"])
    with pytest.raises(mse.ModelError, match="at most 1,000,000,000"):
        mse.estimate(data, method="dga")
