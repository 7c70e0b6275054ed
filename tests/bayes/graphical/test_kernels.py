"""The compiled loops of method="dga" against the array formulation they replaced.

Oracle: the previous implementation, kept here in its simple form: every
graph's log density as one sparse matrix product (``coefficients @ terms``),
summed over graphs with ``logsumexp``, the enumeration by vectorised
elimination of simplicial vertices, and the peaks' per-graph products by
``bincount``.

Tolerances: the log densities, the enumeration and the per-graph values are
the same numbers to the bit (the sums run in the same order, and the small
integer coefficients multiply exactly). Sums over graphs run in a different
order, so the posterior of N may differ in the last bit of its log density:
with log densities of magnitude ``L`` that is ``L * 2**-52`` relative in the
probabilities at the nodes (up to 1e-11 for the six-list uk2013, whose log
densities reach 4e4). Between nodes the shape-preserving cubic takes its
slopes from nodes a person apart and carries such a difference across wider
intervals, so cells of the larger tables are compared to 1e-10; kosovo and
netherlands_5 are summed in one block either way and agree to 1e-12.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import gammaln, logsumexp

import mse
from mse.bayes.graphical import kernels, posterior
from mse.bayes.graphical.graphs import decomposable_graphs
from mse.bayes.graphical.marginal import subset_log_terms, subset_statistics
from mse.bayes.graphical.posterior import grid_posterior, make_prior


def _previous_enumeration(t: int) -> sp.csr_matrix:
    """Every graph on t vertices tested at once with array bit operations (the former enumeration)."""
    pairs = tuple(combinations(range(t), 2))
    graphs = np.arange(1 << len(pairs), dtype=np.uint32)
    adjacency = np.zeros((graphs.size, t), dtype=np.uint8)
    for k, (i, j) in enumerate(pairs):
        edge = ((graphs >> np.uint32(k)) & np.uint32(1)).astype(np.uint8)
        adjacency[:, i] |= edge << np.uint8(j)
        adjacency[:, j] |= edge << np.uint8(i)
    families = np.zeros((graphs.size, t), dtype=np.uint8)
    parents = np.zeros((graphs.size, t), dtype=np.uint8)
    remaining = np.full(graphs.size, (1 << t) - 1, dtype=np.uint8)
    alive = np.arange(graphs.size)
    for step in range(t):
        adj, rem = adjacency[alive], remaining[alive]
        simplicial = np.zeros((alive.size, t), dtype=bool)
        neighbours = np.empty((alive.size, t), dtype=np.uint8)
        for v in range(t):
            nbr = adj[:, v] & rem
            neighbours[:, v] = nbr
            ok = (rem >> np.uint8(v)) & np.uint8(1) == 1
            for u in range(t):
                if u != v:
                    has_u = (nbr >> np.uint8(u)) & np.uint8(1) == 1
                    ok &= ~has_u | (((adj[:, u] | np.uint8(1 << u)) & nbr) == nbr)
            simplicial[:, v] = ok
        found = simplicial.any(axis=1)
        chosen = simplicial.argmax(axis=1)
        nbr = neighbours[np.arange(alive.size), chosen]
        families[alive, step] = nbr | (np.uint8(1) << chosen.astype(np.uint8))
        parents[alive, step] = nbr
        remaining[alive] = rem & ~(np.uint8(1) << chosen.astype(np.uint8))
        alive = alive[found]
    n = alive.size
    rows = np.repeat(np.arange(n), 2 * t)
    columns = np.concatenate([families[alive], parents[alive]], axis=1).astype(np.int64).ravel()
    values = np.tile(np.concatenate([np.ones(t), -np.ones(t)]), n)
    values[columns == 0] = 0.0
    matrix = sp.csr_matrix((values, (rows, columns)), shape=(n, 1 << t))
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    return matrix, graphs[alive]


@pytest.mark.parametrize("t", [2, 3, 4, 5, 6])
def test_enumeration_equals_the_vectorised_elimination(t: int) -> None:
    matrix, edges = _previous_enumeration(t)
    graphs = decomposable_graphs(t)
    assert np.array_equal(graphs.edges, edges)
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(graphs.coefficients, name), getattr(matrix, name))


def _table(t: int, width: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(1 << t, width)) * 10.0 ** rng.integers(0, 5, size=(1 << t, 1))
    table[0] = 0.0
    return table, rng.normal(size=width) * 1e3


@pytest.mark.parametrize(("t", "width"), [(4, 1), (5, 37), (6, 150)])
def test_log_density_block_is_the_sparse_product_to_the_bit(t: int, width: int) -> None:
    coefficients = decomposable_graphs(t).coefficients
    table, common = _table(t, width, seed=t)
    expected = np.asarray(coefficients @ table) + common
    start, stop = 3, coefficients.shape[0] - 2
    out = np.empty((stop - start, width))
    row_max = np.empty(stop - start)
    column_max = np.full(width, -np.inf)
    csr = (coefficients.indptr, coefficients.indices, coefficients.data)
    kernels.log_density_block(*csr, start, stop, table, common, out, row_max, column_max)
    assert np.array_equal(out, expected[start:stop])
    assert np.array_equal(row_max, expected[start:stop].max(axis=1))
    assert np.array_equal(column_max, expected[start:stop].max(axis=0))


def test_first_turns_and_values_at_equal_the_array_forms() -> None:
    coefficients = decomposable_graphs(6).coefficients
    table, common = _table(6, 40, seed=1)
    slope = np.asarray(coefficients @ table) + common
    turns = (slope[:, :-1] > 0) & (slope[:, 1:] <= 0)
    expected = np.where(turns.any(axis=1), np.argmax(turns, axis=1), -1)
    lower = np.full(coefficients.shape[0], -7, dtype=np.int64)
    csr = (coefficients.indptr, coefficients.indices, coefficients.data)
    kernels.first_turns(*csr, 0, coefficients.shape[0], table, common, lower)
    assert np.array_equal(lower, expected)

    rows = np.arange(0, coefficients.shape[0], 3)
    column = np.random.default_rng(2).integers(0, table.shape[1], size=rows.size)
    sub = coefficients[rows]
    owner = np.repeat(np.arange(rows.size), np.diff(sub.indptr))
    products = sub.data * table[sub.indices, column[owner]]
    out = np.empty(rows.size)
    kernels.values_at(*csr, rows, table, column, out)
    assert np.array_equal(out, np.bincount(owner, weights=products, minlength=rows.size))


# ---------------------------------------------------------------------------------------------- previous formulation
def _previous_log_density(coefficients, stats, prior, dark):
    population = stats.n_observed + dark
    terms = subset_log_terms(stats, dark)
    common = gammaln(population + 1) - gammaln(dark + 1) + prior.log_density(population)
    return logsumexp(np.asarray(coefficients @ terms), axis=0) + common


def _previous_evaluate(coefficients, stats, prior, dark):
    population = stats.n_observed + dark
    lower, upper = posterior._cell_edges(dark)
    terms = subset_log_terms(stats, dark)
    density = gammaln(population + 1) - gammaln(dark + 1) + prior.log_density(population)
    common = density + np.log(upper - lower)
    joint = np.asarray(coefficients @ terms) + common
    row_max = joint.max(axis=1, keepdims=True)
    weights = np.exp(joint - row_max)
    row_sum = weights.sum(axis=1)
    return posterior._Pass(
        logsumexp(joint, axis=0),
        row_max[:, 0] + np.log(row_sum),
        (weights @ population) / row_sum,
        joint[:, -1] - common[-1] + density[-1],
    )


def _previous_first_turns(indptr, indices, data, start, stop, table, common, lower):
    block = sp.csr_matrix((data, indices, indptr))[start:stop]
    slope = np.asarray(block @ table) + common
    turns = (slope[:, :-1] > 0) & (slope[:, 1:] <= 0)
    lower[start:stop] = np.where(turns.any(axis=1), np.argmax(turns, axis=1), -1)


def _previous_values_at(indptr, indices, data, rows, table, column, out):
    sub = sp.csr_matrix((data, indices, indptr))[rows]
    owner = np.repeat(np.arange(rows.size), np.diff(sub.indptr))
    out[:] = np.bincount(owner, weights=sub.data * table[sub.indices, column[owner]], minlength=rows.size)


@pytest.mark.parametrize(
    ("name", "options", "rtol"),
    [
        ("kosovo", {}, 1e-12),
        ("kosovo", {"prior": "uniform", "delta": 0.5}, 1e-12),
        ("netherlands_5", {}, 1e-12),
        ("uk2013_5", {"max_n": 40_000}, 1e-10),
        ("uk2013", {}, 1e-10),
    ],
)
def test_grid_posterior_equals_the_previous_formulation(name: str, options: dict, rtol: float, monkeypatch) -> None:
    data = mse.load_dataset(name)
    t = data.n_lists
    codes = np.asarray(data.histories, dtype=np.int64) @ (1 << np.arange(t))
    stats = subset_statistics(codes, data.counts, t, options.get("delta", 2.0**-t))
    prior = make_prior(options.get("prior", "1/N"), None)
    coefficients = decomposable_graphs(t).coefficients
    fast = grid_posterior(coefficients, stats, prior, max_n=options.get("max_n"))
    monkeypatch.setattr(posterior, "_log_density", _previous_log_density)
    monkeypatch.setattr(posterior, "_evaluate", _previous_evaluate)
    monkeypatch.setattr(kernels, "first_turns", _previous_first_turns)
    monkeypatch.setattr(kernels, "values_at", _previous_values_at)
    previous = grid_posterior(coefficients, stats, prior, max_n=options.get("max_n"))
    assert previous.n_nodes == fast.n_nodes and previous.resolved == fast.resolved
    np.testing.assert_array_equal(fast.population, previous.population)
    np.testing.assert_allclose(fast.probability, previous.probability, rtol=rtol, atol=0)
    np.testing.assert_allclose(fast.graph_log_mass, previous.graph_log_mass, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.graph_mean, previous.graph_mean, rtol=1e-13)
    assert fast.tail_mass == pytest.approx(previous.tail_mass, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("t", [1, 3, 5, 6])
def test_graph_terms_equal_joining_the_cliques_one_graph_at_a_time(t: int) -> None:
    graphs = decomposable_graphs(t)
    before = [getattr(graphs.coefficients, name).copy() for name in ("indptr", "indices", "data")]
    names = ["A", "Bé", "C:x", "D", "E", "F"][:t]
    rows = np.random.default_rng(t).permutation(graphs.n_graphs)[:500]
    rank = graphs._mask_order()
    expected = []
    for g in rows:
        start, stop = graphs.coefficients.indptr[g], graphs.coefficients.indptr[g + 1]
        cliques = [
            int(m)
            for m, v in zip(graphs.coefficients.indices[start:stop], graphs.coefficients.data[start:stop])
            if v > 0 and bin(int(m)).count("1") >= 2
        ]
        labels = [":".join(names[i] for i in range(t) if m >> i & 1) for m in sorted(cliques, key=lambda m: rank[m])]
        expected.append(" + ".join(labels) or "independence")
    assert graphs.all_terms(names, rows) == expected
    # A label with a newline cannot be split from one text; it takes the one-graph-at-a-time path.
    with_newline = ["A\nz", *names[1:]]
    assert graphs.all_terms(with_newline, rows) == [term.replace("A", "A\nz") for term in expected]
    # Listing terms leaves the graphs as they were.
    for array, name in zip(before, ("indptr", "indices", "data")):
        assert np.array_equal(getattr(graphs.coefficients, name), array)


def test_the_posterior_does_not_depend_on_the_number_of_threads(monkeypatch) -> None:
    data = mse.load_dataset("uk2013")
    codes = np.asarray(data.histories, dtype=np.int64) @ (1 << np.arange(data.n_lists))
    stats = subset_statistics(codes, data.counts, data.n_lists, 2.0**-data.n_lists)
    coefficients = decomposable_graphs(data.n_lists).coefficients
    found = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(posterior, "N_THREADS", threads)
        found.append(grid_posterior(coefficients, stats, make_prior("1/N", None)))
    for other in found[1:]:
        for name in ("population", "probability", "graph_log_mass", "graph_mean"):
            assert np.array_equal(getattr(other, name), getattr(found[0], name))


def test_a_forked_process_gets_its_own_threads() -> None:
    # A child forked after the parent started its pool inherits the pool object but not its threads;
    # the child must start its own rather than wait forever.
    import multiprocessing

    data = mse.load_dataset("uk2013")
    expected = mse.estimate(data, method="dga", random_seed=1).estimate
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        found = pool.apply_async(_estimate_uk2013).get(timeout=300)
    assert found == expected


def _estimate_uk2013() -> float:
    return mse.estimate(mse.load_dataset("uk2013"), method="dga", random_seed=1).estimate
