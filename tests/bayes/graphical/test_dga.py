"""Tests for Bayesian model averaging over decomposable graphs (method="dga").

References: R's dga 2.0.2 (tests/reference/reference_estimates.csv) and the
published spina bifida analysis of Madigan & York (1997, Biometrika 84, 19-31).
"""

from __future__ import annotations

import itertools
import math
import re

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.special import gammaln, logsumexp

import mse
from mse.bayes.graphical import decomposable_graphs, dga, fit_dga, plot_prior_sensitivity, prior_sensitivity
from mse.bayes.graphical.marginal import subset_log_terms, subset_statistics

matplotlib.use("Agg")

# Madigan & York (1997), spina bifida: delta = 1 and N ~ Poisson(lambda), lambda ~ Gamma(13.14, scale 55.17).
MY_PRIOR = {"prior": "negative_binomial", "prior_params": {"a": 13.14, "b": 55.17}, "delta": 1.0}


def _codes(data: mse.CaptureData) -> np.ndarray:
    return np.asarray(data.histories, dtype=np.int64) @ (1 << np.arange(data.n_lists))


# ---------------------------------------------------------------------------------------------- graphs
@pytest.mark.parametrize(("t", "count"), [(2, 2), (3, 8), (4, 61), (5, 822), (6, 18_154), (7, 617_675)])
def test_number_of_decomposable_graphs(t: int, count: int) -> None:
    # OEIS A058862: labelled chordal graphs on t nodes.
    assert decomposable_graphs(t).n_graphs == count


def _is_chordal_brute_force(t: int, edges: set[tuple[int, int]]) -> bool:
    """No chordless cycle of length >= 4 (checked over every vertex sequence)."""
    adjacent = lambda a, b: (min(a, b), max(a, b)) in edges  # noqa: E731
    for length in range(4, t + 1):
        for cycle in itertools.permutations(range(t), length):
            if cycle[0] != min(cycle):
                continue
            if all(adjacent(cycle[i], cycle[(i + 1) % length]) for i in range(length)):
                chords = [
                    (cycle[i], cycle[j])
                    for i in range(length)
                    for j in range(i + 2, length)
                    if not (i == 0 and j == length - 1)
                ]
                if not any(adjacent(a, b) for a, b in chords):
                    return False
    return True


@pytest.mark.parametrize("t", [4, 5])
def test_enumeration_matches_brute_force_chordality(t: int) -> None:
    graphs = decomposable_graphs(t)
    pairs = graphs.pairs
    found = set(graphs.edges.tolist())
    for bits in range(1 << len(pairs)):
        edges = {pairs[k] for k in range(len(pairs)) if bits >> k & 1}
        assert (bits in found) == _is_chordal_brute_force(t, edges)


@pytest.mark.parametrize("t", [4, 5])
def test_cliques_are_maximal_complete_sets_and_separators_balance(t: int) -> None:
    graphs = decomposable_graphs(t)
    coefficients = graphs.coefficients.toarray()
    for index in range(0, graphs.n_graphs, 7):
        edges = {graphs.pairs[k] for k in range(len(graphs.pairs)) if int(graphs.edges[index]) >> k & 1}
        complete = [
            m
            for m in range(1, 1 << t)
            if all((i, j) in edges for i, j in itertools.combinations([v for v in range(t) if m >> v & 1], 2))
        ]
        maximal = {m for m in complete if not any(o != m and o & m == m for o in complete)}
        assert set(graphs.cliques(index)) == maximal
        # In a junction tree every vertex lies in one more clique than separator.
        for v in range(t):
            assert sum(coefficients[index, m] for m in range(1 << t) if m >> v & 1) == 1


def test_graph_terms_syntax() -> None:
    graphs = decomposable_graphs(4)
    names = ("EXH", "ABA", "OSCE", "HRW")
    index = graphs.index_of([(0, 1, 2), (0, 2, 3)])
    assert graphs.terms(index, names) == "EXH:ABA:OSCE + EXH:OSCE:HRW"
    assert graphs.terms(graphs.index_of([]), names) == "independence"


# ---------------------------------------------------------------------------------------------- marginal likelihood
def test_marginal_likelihood_closed_forms() -> None:
    """Saturated graph = Dirichlet-multinomial of the full table; empty graph = product of beta-binomials."""
    data = mse.load_dataset("kosovo")
    t, delta, n = 4, 0.3, data.n_observed
    stats = subset_statistics(_codes(data), data.counts, t, delta)
    dark = np.array([0.0, 17.0, 5000.0])
    terms = subset_log_terms(stats, dark)
    graphs = decomposable_graphs(t)
    full = graphs.index_of([(0, 1, 2, 3)])
    empty = graphs.index_of([])
    got_full = np.asarray(graphs.coefficients[full] @ terms).ravel()
    got_empty = np.asarray(graphs.coefficients[empty] @ terms).ravel()
    cells = data.dense_counts().astype(float)  # first list = most significant bit; order is irrelevant here
    totals = data.list_totals().to_numpy(dtype=float)
    for k, n0 in enumerate(dark):
        table = cells.copy()
        table[0] = n0
        big_n = n + n0
        a = delta * 2**t
        saturated = gammaln(a) - gammaln(a + big_n) + np.sum(gammaln(delta + table) - gammaln(delta))
        assert got_full[k] == pytest.approx(saturated, rel=1e-12)
        half = a / 2
        independent = sum(
            gammaln(a)
            - gammaln(a + big_n)
            + gammaln(half + on)
            - gammaln(half)
            + gammaln(half + big_n - on)
            - gammaln(half)
            for on in totals
        )
        assert got_empty[k] == pytest.approx(independent, rel=1e-12)


# ---------------------------------------------------------------------------------------------- R reference
@pytest.fixture(scope="module")
def kosovo_dga() -> mse.Estimate:
    return mse.estimate(mse.load_dataset("kosovo"), method="dga", random_seed=1)


def _reference_row(reference):
    rows = reference[(reference["dataset"] == "kosovo") & (reference["package"] == "dga")]
    assert len(rows) == 1
    return rows.iloc[0]


def test_kosovo_matches_dga_reference(reference, kosovo_dga) -> None:
    # R: bma.cr(Y, Nmissing = 0:44000, delta = 0.0625, graphs4, logprior = -log(N) + log(gridwidth)).
    # The computation is exact on both sides, so 1 % is generous.
    row = _reference_row(reference)
    assert kosovo_dga.ok
    assert kosovo_dga.estimate == pytest.approx(row["estimate"], rel=0.01)
    assert kosovo_dga.lower == pytest.approx(row["lower"], rel=0.01)
    assert kosovo_dga.upper == pytest.approx(row["upper"], rel=0.01)
    mean = float(re.search(r"posterior mean=([\d.]+)", row["notes"]).group(1))
    assert kosovo_dga.details["posterior_mean"] == pytest.approx(mean, rel=0.01)


def test_kosovo_top_graphs_match_dga_reference(reference, kosovo_dga) -> None:
    row = _reference_row(reference)
    expected = {
        " + ".join(term.replace(".", ":") for term in graph.split()): float(p)
        for graph, p in re.findall(r"\{([^}]*)\} p=([\d.]+)", row["notes"])
    }
    assert len(expected) == 3
    table = kosovo_dga.details["graphs"].set_index("graph")["probability"]
    assert table.index[0] == "EXH:ABA:OSCE + EXH:OSCE:HRW"
    for graph, probability in expected.items():
        # Reference probabilities are printed to 3 decimals.
        assert table[graph] == pytest.approx(probability, abs=0.0006)
    assert table.sum() == pytest.approx(1.0)


def test_truncated_grid_as_in_reference() -> None:
    # The reference grid ends at 44,000 unseen people; the tail beyond it is 3.5e-10, so truncating changes nothing.
    data = mse.load_dataset("kosovo")
    res = dga(data, max_n=data.n_observed + 44_000)
    assert (res.estimate, res.lower, res.upper) == (12595.0, 9827.0, 16544.0)


def test_madigan_york_spina_bifida() -> None:
    # Madigan & York (1997), section 5: model-averaged estimate 731, top graph (D:M) probability 0.37.
    res = mse.estimate(mse.load_dataset("spina_bifida"), method="dga", **MY_PRIOR)
    assert round(res.estimate) == 731
    graphs = res.details["graphs"]
    assert graphs["graph"].iloc[0] == "D:M"
    assert graphs["probability"].iloc[0] == pytest.approx(0.37, abs=0.005)


# ---------------------------------------------------------------------------------------------- the grid
def _brute_force_quantiles(data: mse.CaptureData, delta: float, upper_dark: int) -> np.ndarray:
    t, n = data.n_lists, data.n_observed
    stats = subset_statistics(_codes(data), data.counts, t, delta)
    dark = np.arange(upper_dark + 1, dtype=float)
    population = n + dark
    joint = np.asarray(decomposable_graphs(t).coefficients @ subset_log_terms(stats, dark))
    joint += gammaln(population + 1) - gammaln(dark + 1) - np.log(population)
    marginal = logsumexp(joint, axis=0)
    cumulative = np.cumsum(np.exp(marginal - logsumexp(marginal)))
    return n + np.searchsorted(cumulative, [0.5, 0.025, 0.975])


def test_interpolated_grid_matches_every_integer() -> None:
    # With few nodes the log density is interpolated between them; compare with summing every integer.
    data = mse.load_dataset("congenital_anomaly")
    max_n = data.n_observed + 3000
    exact = _brute_force_quantiles(data, 1 / 32, 3000)
    posterior, _, _ = fit_dga(data, max_n=max_n, max_points=60)
    np.testing.assert_allclose(posterior.quantile([0.5, 0.025, 0.975]), exact, atol=1)


@pytest.mark.parametrize("delta", [1 / 256, 1 / 4])
def test_growing_grid_matches_sum_over_every_integer(delta: float) -> None:
    # Untruncated prior: the adaptive grid against a plain sum up to N = 204,400 (tail beyond is negligible).
    data = mse.load_dataset("kosovo")
    exact = _brute_force_quantiles(data, delta, 200_000)
    res = dga(data, delta=delta)
    np.testing.assert_array_equal([res.estimate, res.lower, res.upper], exact)


def test_tail_mass_is_negligible(kosovo_dga) -> None:
    assert kosovo_dga.details["tail_mass"] < 1e-9
    grid = kosovo_dga.details["posterior"]
    assert grid["probability"].sum() == pytest.approx(1.0)
    assert grid["N"].iloc[0] == kosovo_dga.observed


# ---------------------------------------------------------------------------------------------- priors
def test_uniform_prior_gives_larger_estimates_than_one_over_n() -> None:
    data = mse.load_dataset("kosovo")
    max_n = data.n_observed + 44_000
    inverse = dga(data, max_n=max_n)
    uniform = dga(data, prior="uniform", max_n=max_n)
    assert uniform.estimate > inverse.estimate
    assert uniform.upper > inverse.upper
    # A flat prior with a proper posterior (delta > 1/15 for four lists) needs no truncation.
    assert dga(data, prior="uniform", delta=0.1).ok


def test_improper_uniform_posterior_is_not_a_number() -> None:
    res = mse.estimate(mse.load_dataset("kosovo"), method="dga", prior="uniform")
    assert not res.ok
    assert math.isnan(res.estimate)
    assert "improper" in res.status and "max_n" in res.status


def test_informative_prior_pulls_towards_its_mean() -> None:
    data = mse.load_dataset("spina_bifida")
    vague = dga(data, delta=1.0)
    low = dga(data, delta=1.0, prior="negative_binomial", prior_params={"a": 400.0, "b": 1.6})  # mean 640
    assert low.estimate < vague.estimate


# ---------------------------------------------------------------------------------------------- properties
@settings(max_examples=6, deadline=None)
@given(order=st.permutations(["EXH", "ABA", "OSCE", "HRW"]))
def test_estimate_does_not_depend_on_list_order(order) -> None:
    data = mse.load_dataset("kosovo")
    res = dga(data.reorder_lists(order))
    assert (res.estimate, res.lower, res.upper) == (12595.0, 9827.0, 16544.0)
    assert res.details["top_probability"] == pytest.approx(0.98551, abs=1e-4)


def test_draws_are_reproducible_and_follow_the_posterior(kosovo_dga) -> None:
    again = dga(mse.load_dataset("kosovo"), random_seed=1)
    np.testing.assert_array_equal(kosovo_dga.draws, again.draws)
    assert kosovo_dga.draws.size == 4000
    assert np.median(kosovo_dga.draws) == pytest.approx(kosovo_dga.estimate, rel=0.02)
    assert dga(mse.load_dataset("kosovo"), random_seed=2, n_draws=10).draws.size == 10


def test_covariates_are_summed_over() -> None:
    data = mse.load_dataset("spina_bifida_ethnicity")
    assert data.covariates
    assert dga(data).estimate == dga(data.collapse_covariates()).estimate


# ---------------------------------------------------------------------------------------------- sensitivity
def test_prior_sensitivity_table_and_plot() -> None:
    data = mse.load_dataset("kosovo")
    table = prior_sensitivity(data, deltas=[1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4])
    assert list(table.columns[:4]) == ["delta", "estimate", "lower", "upper"]
    assert (table["status"] == "ok").all()
    assert np.isfinite(table[["estimate", "lower", "upper"]].to_numpy()).all()
    assert (table["lower"] < table["estimate"]).all() and (table["estimate"] < table["upper"]).all()
    # Over this range the estimate moves by less than 5 %; the default delta reproduces dga.
    assert table["estimate"].max() / table["estimate"].min() < 1.05
    assert table.loc[table["delta"] == 1 / 16, "estimate"].item() == 12595.0
    ax = plot_prior_sensitivity(table, default_delta=1 / 16)
    assert ax.get_xscale() == "log"
    assert len(ax.lines) >= 1


# ---------------------------------------------------------------------------------------------- errors
def test_more_than_seven_lists_is_refused_with_advice() -> None:
    with pytest.raises(mse.ModelError, match="merge"):
        mse.estimate(mse.load_dataset("new_orleans"), method="dga")


@pytest.mark.parametrize(
    "options",
    [
        {"delta": 0},
        {"delta": -1.0},
        {"delta": "small"},
        {"prior": "jeffreys"},
        {"prior": "uniform", "prior_params": {"a": 1}},
        {"prior": "negative_binomial"},
        {"prior": "negative_binomial", "prior_params": {"a": 1.0, "b": -2.0}},
        {"max_n": 100},
        {"n_draws": 0},
        {"grid": 10},
        {"interval": "wald"},
    ],
)
def test_bad_options_raise_model_error(options) -> None:
    with pytest.raises(mse.ModelError):
        mse.estimate(mse.load_dataset("kosovo"), method="dga", **options)


# ---------------------------------------------------------------------------------------------- seven lists
@pytest.mark.slow
def test_seven_lists_run() -> None:
    data = mse.load_dataset("new_orleans")
    data = data.merge_lists(list(data.lists[-2:]), into="GH")
    res = mse.estimate(data, method="dga", random_seed=1)
    assert res.ok
    assert res.details["n_graphs"] == 617_675
    assert res.observed < res.lower < res.estimate < res.upper
