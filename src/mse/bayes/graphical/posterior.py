"""The exact joint posterior of (graph, N) on a grid of N, and the priors on N.

The posterior of the population size ``N`` averaged over decomposable graphs
``g`` (Madigan & York, 1997) is

.. math::

    p(N, g \\mid \\text{data}) \\propto p(g)\\, p(N)\\,
        \\frac{N!}{(N - n)!}\\; p(x_N \\mid g),

where ``x_N`` is the complete table with ``N - n`` people in the unobserved
cell and ``p(x_N | g)`` is the closed-form hyper-Dirichlet marginal likelihood
(:mod:`mse.bayes.graphical.marginal`); the prior on graphs is uniform.

The sum over ``N`` runs to infinity, so it is done on a grid that grows until
the posterior mass beyond it is negligible. Each grid point ``N_i`` stands for
the integers of its cell (half-way to its neighbours) and carries the prior
mass ``p(N_i) * width_i`` (the same device as ``logprior = log p(N) +
log(gridwidth)`` with R's dga). The computation has three steps:

1. a coarse grid over all graphs (every dark figure up to 32, then 16 points
   per doubling), widened until the tail mass (the mass in the grid's top
   half and an analytic power-law bound beyond it) is below
   ``tail_tolerance``;
2. each graph's peak is located by bisection on the slope of its log density
   (:mod:`mse.bayes.graphical.peaks`), so that a graph whose posterior is
   narrower than the coarse spacing is not judged by the grid points beside
   it; graphs whose mass is below ``exp(-50)`` of the largest are dropped
   from the fine pass (their share is reported from the coarse pass);
3. refinement: the exact density, summed over graphs, is known at the
   *nodes* (the coarse grid, every dark figure up to 64 and the graphs' peaks). Between nodes it
   is interpolated, in ``log N``, by a shape-preserving cubic, on points at
   most ``1e-5 N`` apart (every integer below ``N = 100,000``). Node intervals
   wider than one person that may hold mass are bisected, with the density
   computed exactly at the new nodes, until the tracked quantiles move by at
   most half a person or ``1e-4`` of their value, or until every such
   interval is one person wide, when the grid is the exact integer posterior.

Wherever the posterior lies, from a dark figure of 0 to beyond ``10**8``, it
is resolved to the integer or to ``1e-4`` of ``N``, whichever is coarser.

References
----------
Madigan, D. and York, J. C. (1997). Bayesian methods for estimation of the size
of a closed population. *Biometrika* 84(1), 19-31.
"""

from __future__ import annotations

import math
import os
import queue
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.interpolate import PchipInterpolator
from scipy.special import digamma, gammaln, logsumexp

from mse.bayes.graphical.marginal import SubsetStatistics, subset_log_terms
from mse.bayes.graphical.peaks import graph_peaks
from mse.budget import checkpoint
from mse.errors import ModelError

__all__ = ["MAX_TAIL_MASS", "PRIOR_NAMES", "GridPosterior", "PriorOnN", "grid_posterior", "make_prior"]

#: Accepted names of the prior on N (aliases map to the first).
PRIOR_NAMES = {"1/N": "1/N", "inverse": "1/N", "uniform": "uniform", "negative_binomial": "negative_binomial"}

#: Most points of the final grid (every integer where the posterior has mass, when that fits).
MAX_GRID = 2_000_000

#: Dark figures from 0 to this are always nodes: small dark figures are resolved to the integer.
INTEGER_HEAD = 64

#: The grid is refined until every tracked quantile of N moves by at most this share (or half a person).
QUANTILE_TOLERANCE = 1e-4

#: Node intervals whose mass may exceed this share of the total are bisected while refining, and
#: filled with interpolated points at most ``FILL_SPACING * N`` apart.
REFINE_MASS = 1e-8
FILL_SPACING = 1e-5

#: Graphs are evaluated in blocks of about this many (graph, dark figure) entries: 1 MB of doubles.
BLOCK_ENTRIES = 1 << 17

#: Threads that evaluate blocks of graphs at the same time (the results do not depend on it).
N_THREADS = min(os.cpu_count() or 1, 4)

#: What a run cut short by its time budget was doing.
_STAGE = "computing the posterior of N over decomposable graphs"

#: A posterior with more mass than this beyond its grid is too heavy-tailed to summarise.
MAX_TAIL_MASS = 1e-6

#: Graphs this far (in log units) below the most probable one are left out of the fine pass.
PRUNE_LOG_MASS = 50.0


@dataclass(frozen=True)
class PriorOnN:
    """A prior on the population size ``N`` (up to a constant).

    Attributes
    ----------
    name : str
        ``"1/N"``, ``"uniform"`` or ``"negative_binomial"``.
    params : dict
        ``{"a": shape, "b": scale}`` for the negative binomial.
    tail_exponent : float
        ``p(N)`` decays like ``N**tail_exponent`` (``-inf`` for a geometric tail).
    """

    name: str
    params: dict[str, float] = field(default_factory=dict)
    tail_exponent: float = 0.0

    def log_density(self, population: np.ndarray) -> np.ndarray:
        """``log p(N)`` up to an additive constant."""
        population = np.asarray(population, dtype=float)
        if self.name == "1/N":
            return -np.log(population)
        if self.name == "uniform":
            return np.zeros_like(population)
        a, b = self.params["a"], self.params["b"]
        # Poisson(lambda) with lambda ~ Gamma(shape a, scale b): mean a*b, variance a*b*(1 + b).
        return (
            gammaln(population + a)
            - gammaln(a)
            - gammaln(population + 1)
            + population * math.log(b / (1 + b))
            - a * math.log1p(b)
        )

    def log_density_slope(self, population: np.ndarray) -> np.ndarray:
        """Derivative of :meth:`log_density` in ``N``."""
        population = np.asarray(population, dtype=float)
        if self.name == "1/N":
            return -1.0 / population
        if self.name == "uniform":
            return np.zeros_like(population)
        a, b = self.params["a"], self.params["b"]
        return digamma(population + a) - digamma(population + 1) + math.log(b / (1 + b))


def make_prior(prior: str, prior_params: Mapping[str, Any] | None) -> PriorOnN:
    """Validate the prior options of :func:`mse.bayes.graphical.dga` and build the prior.

    Raises
    ------
    ModelError
        For an unknown prior, missing or invalid parameters, or parameters
        given to a prior that takes none.
    """
    if not isinstance(prior, str) or prior not in PRIOR_NAMES:
        raise ModelError(f"unknown prior on N {prior!r}; choose one of {sorted(set(PRIOR_NAMES))}.")
    name = PRIOR_NAMES[prior]
    params = dict(prior_params or {})
    if name != "negative_binomial":
        if params:
            raise ModelError(f"prior {prior!r} takes no prior_params, got {sorted(params)}.")
        return PriorOnN(name=name, tail_exponent=-1.0 if name == "1/N" else 0.0)
    if set(params) != {"a", "b"}:
        raise ModelError(
            "prior='negative_binomial' needs prior_params={'a': shape, 'b': scale} and nothing else "
            f"(N ~ Poisson(lambda), lambda ~ Gamma(a, scale=b)); got {sorted(params)}."
        )
    values = {}
    for key in ("a", "b"):
        value = params[key]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ModelError(f"prior_params[{key!r}] must be a positive number, got {value!r}.")
        if not (math.isfinite(float(value)) and float(value) > 0):
            raise ModelError(f"prior_params[{key!r}] must be a positive finite number, got {value!r}.")
        values[key] = float(value)
    return PriorOnN(name=name, params=values, tail_exponent=-math.inf)


@dataclass(frozen=True)
class GridPosterior:
    """The posterior of ``N`` on a grid, and of the graphs.

    Attributes
    ----------
    population : numpy.ndarray
        Grid points (values of ``N``), increasing.
    lower_edge, upper_edge : numpy.ndarray
        The cell each point stands for.
    probability : numpy.ndarray
        Posterior mass of each cell (sums to 1).
    graph_log_mass : numpy.ndarray
        ``(n_graphs,)`` unnormalised log posterior mass of each graph.
    graph_mean : numpy.ndarray
        ``(n_graphs,)`` posterior mean of ``N`` given each graph, on the grid.
    tail_mass : float
        Estimated posterior mass beyond the grid (0 when the prior is truncated).
    improper : bool
        Whether the untruncated posterior is improper (mass at infinity).
    n_refined : int
        Graphs that entered the fine pass.
    n_nodes : int
        Points at which the posterior density was computed exactly.
    resolved : bool
        Whether refining the grid settled the tracked quantiles (see :func:`grid_posterior`).
    """

    population: np.ndarray
    lower_edge: np.ndarray
    upper_edge: np.ndarray
    probability: np.ndarray
    graph_log_mass: np.ndarray
    graph_mean: np.ndarray
    tail_mass: float
    improper: bool
    n_refined: int
    n_nodes: int = 0
    resolved: bool = True

    @property
    def graph_probability(self) -> np.ndarray:
        """Posterior probability of each graph."""
        return np.exp(self.graph_log_mass - logsumexp(self.graph_log_mass))

    @property
    def mean(self) -> float:
        """Posterior mean of ``N`` over the grid."""
        return float(np.sum(self.probability * self.population))

    def quantile(self, q: ArrayLike) -> np.ndarray:
        """Posterior quantiles of ``N``: the smallest integer whose cumulative probability reaches ``q``.

        Within a cell wider than one integer the mass is spread evenly.
        """
        return _quantiles(np.atleast_1d(np.asarray(q, dtype=float)), self.probability, self.lower_edge, self.upper_edge)

    def interval(self, level: float) -> tuple[float, float, float]:
        """Posterior median of ``N`` and the equal-tailed interval of probability ``level``."""
        tail = (1.0 - level) / 2.0
        median, lower, upper = self.quantile([0.5, tail, 1.0 - tail])
        return float(median), float(lower), float(upper)

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of ``N`` from the grid posterior (uniform within wide cells)."""
        cells = rng.choice(self.population.size, size=size, p=self.probability / self.probability.sum())
        spread = rng.uniform(self.lower_edge[cells], self.upper_edge[cells])
        draws = np.where(
            self.upper_edge[cells] - self.lower_edge[cells] > 1.0, np.floor(spread + 0.5), self.population[cells]
        )
        return np.clip(draws, self.population[0], self.population[-1])


def _cell_edges(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    middle = (points[1:] + points[:-1]) / 2.0
    lower = np.concatenate([[points[0] - 0.5], middle])
    upper = np.concatenate([middle, [points[-1] + 0.5]])
    return lower, upper


def _geometric_grid(start: int, stop: int, per_doubling: int) -> np.ndarray:
    """Integers 0..start, then about ``per_doubling`` points per doubling up to ``stop``."""
    head = np.arange(0, min(start, stop) + 1, dtype=float)
    if stop <= start:
        return head
    n_points = math.ceil(per_doubling * math.log2(stop / start)) + 1
    tail = np.unique(np.round(np.geomspace(start, stop, n_points)))
    return np.unique(np.concatenate([head, tail]))


def _quantiles(q: np.ndarray, probability: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The smallest integer whose cumulative probability reaches each ``q``; mass is even within a cell."""
    cumulative = np.cumsum(probability)
    cumulative /= cumulative[-1]
    cell = np.minimum(np.searchsorted(cumulative, q - 1e-15), cumulative.size - 1)
    before = np.where(cell > 0, cumulative[cell - 1], 0.0)
    share = np.divide(q - before, probability[cell], out=np.ones_like(q), where=probability[cell] > 0)
    value = lower[cell] + np.clip(share, 0.0, 1.0) * (upper[cell] - lower[cell])
    return np.ceil(value - 0.5)


def _log_density(coefficients: sp.csr_matrix, stats: SubsetStatistics, prior: PriorOnN, dark: np.ndarray) -> np.ndarray:
    """Log posterior density of each dark figure, summed over the graphs (up to a constant)."""
    from mse.bayes.graphical.kernels import log_density_block

    population = stats.n_observed + dark
    terms = subset_log_terms(stats, dark)
    common = gammaln(population + 1) - gammaln(dark + 1) + prior.log_density(population)
    zero = np.zeros(dark.size)
    csr = _csr(coefficients)

    def block(start: int, stop: int, buffers: _Buffers) -> tuple[np.ndarray, np.ndarray]:
        joint, weights, row_max, _ = buffers.views(stop - start)
        column_max = np.full(dark.size, -np.inf)
        log_density_block(*csr, start, stop, terms, zero, joint, row_max, column_max)
        # Each column scaled by its own largest value: no graph that matters underflows.
        np.subtract(joint, column_max, out=weights)
        np.exp(weights, out=weights)
        return column_max, weights.sum(axis=0)

    total = _ColumnSum(dark.size)
    for scale, column_total in _over_blocks(coefficients.shape[0], dark.size, block):
        total.add(scale, column_total)
    return total.log() + common


class _ColumnSum:
    """Running ``log(sum(exp(.)))`` of each column over blocks of graphs, kept as ``scale + log(sum)``.

    The sum stays in the linear domain, rescaled when a block brings a larger value: adding block
    results in logs (``logaddexp``) would round at the magnitude of the log densities (10**4 to 10**6)
    once per block, a thousand times on seven lists; here that rounding happens once, in :meth:`log`.
    """

    def __init__(self, width: int) -> None:
        self.scale = np.full(width, -np.inf)
        self.total = np.zeros(width)

    def add(self, scale: np.ndarray, total: np.ndarray) -> None:
        """Add ``exp(scale) * total`` (``total`` may be 0 where a column underflowed)."""
        larger = scale > self.scale
        with np.errstate(invalid="ignore", over="ignore"):
            self.total = np.where(
                larger,
                self.total * np.exp(self.scale - scale) + total,
                self.total + total * np.exp(scale - self.scale),
            )
        self.scale = np.where(larger, scale, self.scale)

    def log(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return self.scale + np.log(self.total)


def _csr(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return matrix.indptr, matrix.indices, matrix.data


class _Buffers:
    """Scratch arrays for one block of graphs at a time, small enough to stay in the processor's cache.

    Forming the log densities of all graphs at once would take hundreds of megabytes (617,675 graphs
    times hundreds of dark figures on seven lists), and allocating that is slower than the arithmetic.
    """

    def __init__(self, width: int, entries: int = BLOCK_ENTRIES) -> None:
        self.rows = _block_rows(width, entries)
        self.joint = np.empty((self.rows, width))
        self.weights = np.empty((self.rows, width))
        self.row_max = np.empty(self.rows)
        self.row_sum = np.empty(self.rows)
        self.row_dot = np.empty(self.rows)

    def views(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.joint[:size], self.weights[:size], self.row_max[:size], self.row_sum[:size]


def _block_rows(width: int, entries: int = BLOCK_ENTRIES) -> int:
    return max(1, entries // max(width, 1))


#: One pool of threads per process and size asked for, started on first use. Keyed by the process id
#: too: a process forked from one that had a pool inherits the pool but not its threads.
_EXECUTORS: dict[tuple[int, int], ThreadPoolExecutor] = {}


def _over_blocks(n_graphs: int, width: int, work: Callable[[int, int, _Buffers], Any]) -> list[Any]:
    """``work(start, stop, buffers)`` for every block of graphs, the results in the order of the blocks.

    With :data:`N_THREADS` above one and enough blocks, blocks run in that many threads (the compiled
    loops and numpy's array operations release the interpreter lock). Each block's result depends only
    on its graphs, and the caller combines them in block order, so nothing depends on the number of
    threads.
    """
    rows = _block_rows(width)
    bounds = [(start, min(start + rows, n_graphs)) for start in range(0, n_graphs, rows)]
    threads = min(N_THREADS, len(bounds) // 4)
    if threads <= 1:
        buffers = _Buffers(width)
        results = []
        for start, stop in bounds:
            checkpoint(_STAGE)
            results.append(work(start, stop, buffers))
        return results
    key = (os.getpid(), threads)
    if key not in _EXECUTORS:
        _EXECUTORS[key] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mse-dga")
    executor = _EXECUTORS[key]
    free: queue.SimpleQueue[_Buffers] = queue.SimpleQueue()
    for _ in range(threads):
        free.put(_Buffers(width))

    def task(start: int, stop: int) -> Any:
        buffers = free.get()
        try:
            return work(start, stop, buffers)
        finally:
            free.put(buffers)

    futures = [executor.submit(task, start, stop) for start, stop in bounds]
    try:
        results = []
        for future in futures:
            # The time budget belongs to this thread's context, so it is checked here, between blocks.
            checkpoint(_STAGE)
            results.append(future.result())
        return results
    finally:
        for future in futures:
            future.cancel()


def _add_nodes(
    nodes: np.ndarray,
    density: np.ndarray,
    new: np.ndarray,
    coefficients: sp.csr_matrix,
    stats: SubsetStatistics,
    prior: PriorOnN,
) -> tuple[np.ndarray, np.ndarray]:
    if new.size == 0:
        return nodes, density
    merged = np.concatenate([nodes, new])
    values = np.concatenate([density, _log_density(coefficients, stats, prior, new)])
    order = np.argsort(merged, kind="stable")
    return merged[order], values[order]


def _interval_log_bound(nodes: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Log of an upper bound on the mass between consecutive nodes, relative to the total.

    The interpolant never leaves the range of its two end values (it is monotone between nodes), so
    the larger end value times the width bounds the mass in between.
    """
    width = np.diff(nodes)
    bound = np.maximum(density[:-1], density[1:]) + np.log(width)
    lower, upper = _cell_edges(nodes)
    return bound - logsumexp(density + np.log(upper - lower))


def _bisections(nodes: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Midpoints of the node intervals wider than one person that may hold mass."""
    wide = np.diff(nodes) > 1.0
    heavy = _interval_log_bound(nodes, density) > math.log(REFINE_MASS)
    chosen = np.flatnonzero(wide & heavy)
    return np.floor((nodes[chosen] + nodes[chosen + 1]) / 2.0)


def _fill(n_observed: int, nodes: np.ndarray, density: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The output grid and the log mass of each of its cells.

    Between nodes that are more than one person apart and may hold mass, points are added at most
    ``FILL_SPACING * N`` apart (at every integer where that is closer than one), and the log density
    there is interpolated from the nodes with a shape-preserving cubic in ``log N``, which has no
    overshoot between nodes.
    """
    gaps = np.diff(nodes)
    heavy = (gaps > 1.0) & (_interval_log_bound(nodes, density) > math.log(REFINE_MASS))
    spacing = np.maximum(1.0, FILL_SPACING * (n_observed + nodes[:-1]))
    inside = np.where(heavy, np.minimum(np.ceil(gaps / spacing) - 1.0, gaps - 1.0), 0.0).astype(np.int64)
    if inside.sum() > MAX_GRID:
        inside = np.floor(inside * (MAX_GRID / inside.sum())).astype(np.int64)
    start = np.repeat(nodes[:-1], inside)
    step = np.repeat(gaps / (inside + 1.0), inside)
    rank = np.arange(inside.sum()) - np.repeat(np.cumsum(inside) - inside, inside) + 1
    grid = np.union1d(nodes, np.round(start + rank * step))
    if grid.size == nodes.size:
        values = density
    else:
        interpolant = PchipInterpolator(np.log(n_observed + nodes), density)
        values = interpolant(np.log(n_observed + grid))
        exact = np.searchsorted(grid, nodes)
        values[exact] = density
    lower, upper = _cell_edges(grid)
    return grid, values + np.log(upper - lower)


@dataclass
class _Pass:
    log_marginal: np.ndarray  # log posterior mass per grid cell, summed over graphs
    graph_log_mass: np.ndarray
    graph_mean: np.ndarray
    last_column: np.ndarray  # log posterior density at the last grid point, per graph


def _evaluate(
    coefficients: sp.csr_matrix,
    stats: SubsetStatistics,
    prior: PriorOnN,
    dark: np.ndarray,
) -> _Pass:
    """Sum the joint posterior over graphs (per cell) and over cells (per graph), in blocks of graphs."""
    from mse.bayes.graphical.kernels import row_sums, shifted_rows

    n = stats.n_observed
    population = n + dark
    lower, upper = _cell_edges(dark)
    width = upper - lower
    terms = subset_log_terms(stats, dark)
    density = gammaln(population + 1) - gammaln(dark + 1) + prior.log_density(population)
    common = density + np.log(width)
    n_graphs = coefficients.shape[0]
    graph_log_mass = np.empty(n_graphs)
    graph_mean = np.empty(n_graphs)
    last_column = np.empty(n_graphs)
    csr = _csr(coefficients)

    def block(start: int, stop: int, buffers: _Buffers) -> tuple[np.ndarray, np.ndarray]:
        joint, weights, row_max, row_sum = buffers.views(stop - start)
        row_dot = buffers.row_dot[: stop - start]
        column_total = np.empty(dark.size)
        shifted_rows(*csr, start, stop, terms, common, joint, row_max, weights)
        np.exp(weights, out=weights)
        # Columns reuse the row-scaled weights: a graph more than ~700 log units below the block's best
        # underflows here, and its share of any cell is then below exp(-700) of the total anyway.
        block_max = row_sums(weights, row_max, population, row_sum, row_dot, column_total)
        graph_log_mass[start:stop] = row_max + np.log(row_sum)
        graph_mean[start:stop] = row_dot / row_sum
        last_column[start:stop] = joint[:, -1] - common[-1] + density[-1]
        column_scale = np.full(dark.size, block_max)
        # Where every graph of the block underflowed at some point (far out in a tail), sum in logs instead.
        lost = column_total == 0.0
        if lost.any():
            column_scale[lost] = logsumexp(joint[:, lost], axis=0)
            column_total[lost] = 1.0
        return column_scale, column_total

    log_marginal = _ColumnSum(dark.size)
    for column_scale, column_total in _over_blocks(n_graphs, dark.size, block):
        log_marginal.add(column_scale, column_total)
    return _Pass(log_marginal.log(), graph_log_mass, graph_mean, last_column)


def _tail_exponents(coefficients: sp.csr_matrix, stats: SubsetStatistics) -> np.ndarray:
    """Exponent ``e_g`` with ``N!/(N-n)! p(x_N | g) ~ N**e_g`` as ``N`` grows, for every graph.

    Each subset term behaves like ``N**(alpha_S + b_S - A - n)``; ``N!/(N-n)!`` like ``N**n``.
    """
    per_subset = stats.alpha + stats.seen_outside - stats.total_weight - stats.n_observed
    per_subset[0] = 0.0
    return stats.n_observed + np.asarray(coefficients @ per_subset).ravel()


def grid_posterior(
    coefficients: sp.csr_matrix,
    stats: SubsetStatistics,
    prior: PriorOnN,
    *,
    max_n: int | None = None,
    tail_tolerance: float = 1e-10,
    max_points: int = 20_000,
    limit_n: float = 1e12,
    quantiles: ArrayLike = (0.025, 0.5, 0.975),
) -> GridPosterior:
    """Posterior of ``N`` and of the graphs, on a grid that covers all but a negligible tail.

    Parameters
    ----------
    coefficients
        Clique/separator matrix of the graphs (:class:`~mse.bayes.graphical.graphs.DecomposableGraphs`).
    stats
        The observed table reduced by :func:`~mse.bayes.graphical.marginal.subset_statistics`.
    prior
        The prior on ``N``.
    max_n
        Truncate the prior at ``N <= max_n``; ``None`` for no truncation.
    tail_tolerance
        Posterior mass allowed beyond the grid.
    max_points
        Most nodes, the points at which the posterior density is computed
        exactly; between them it is interpolated.
    limit_n
        The grid never grows past this ``N``.
    quantiles
        Quantiles of ``N`` that the refinement must settle: the grid is
        refined until each moves by at most half a person or
        ``QUANTILE_TOLERANCE`` of its value, or until every node interval
        that holds mass is one person wide.
    """
    n = stats.n_observed
    log_tail = _tail_exponents(coefficients, stats) + prior.tail_exponent
    improper = max_n is None and bool(np.any(log_tail >= -1.0))

    # 1. Coarse pass: grow the grid until the tail is negligible.
    per_doubling = 16 if coefficients.shape[0] <= 20_000 else 8
    if max_n is not None:
        upper_dark = max(int(max_n) - n, 0)
    else:
        # The coarse grid's cost grows only with log(U), so it starts wide enough for most data.
        upper_dark = 4096 * max(n, 16)
    while True:
        dark = _geometric_grid(32, upper_dark, per_doubling)
        coarse = _evaluate(coefficients, stats, prior, dark)
        total = logsumexp(coarse.log_marginal)
        if max_n is not None:
            tail_mass = 0.0
            break
        top_half = dark > upper_dark / 2
        half_mass = float(np.exp(logsumexp(coarse.log_marginal[top_half]) - total))
        # Beyond the grid each graph's density falls like N**e (e < -1): integral = f(U) U / (-e - 1).
        decaying = log_tail < -1.0
        bound = coarse.last_column[decaying] + math.log(n + upper_dark) - np.log(-log_tail[decaying] - 1.0)
        beyond = float(np.exp(logsumexp(bound) - total)) if bound.size else 0.0
        tail_mass = max(half_mass, beyond)
        if improper or tail_mass < tail_tolerance or n + upper_dark >= limit_n:
            break
        upper_dark = int(min(upper_dark * 16, limit_n - n))

    # 2. Keep only graphs that can matter: a graph whose posterior is narrower than the coarse grid's spacing
    #    is judged by the mass around its peak, found by bisection, not by the grid points beside it.
    peaks = graph_peaks(coefficients, stats, prior, dark)
    score = np.maximum(coarse.graph_log_mass, peaks.log_mass)
    keep = np.flatnonzero(score >= score.max() - PRUNE_LOG_MASS)
    # Taking rows copies the matrix: not worth it when every graph is kept.
    kept = coefficients if keep.size == coefficients.shape[0] else coefficients[keep]
    # The coarse totals may have missed such peaks: express the tail mass against the larger total.
    tail_mass *= math.exp(min(total - logsumexp(score), 0.0))

    # 3. Nodes where the density is exact: the coarse grid (pruned graphs weigh < exp(-50) of the rest)
    #    and every integer near the observed count, refined by bisection where the posterior has mass.
    coarse_lower, coarse_upper = _cell_edges(dark)
    nodes = dark
    node_density = coarse.log_marginal - np.log(coarse_upper - coarse_lower)
    head = np.arange(0, min(INTEGER_HEAD, dark[-1]) + 1, dtype=float)
    located = peaks.location[keep]
    located = np.round(located[np.isfinite(located)])
    nodes, node_density = _add_nodes(
        nodes, node_density, np.setdiff1d(np.union1d(head, located), nodes), kept, stats, prior
    )
    targets = np.asarray(quantiles, dtype=float)
    previous: np.ndarray | None = None
    resolved = False
    while True:
        grid_dark, log_mass = _fill(n, nodes, node_density)
        probability = np.exp(log_mass - logsumexp(log_mass))
        lower, upper = _cell_edges(grid_dark)
        found = _quantiles(targets, probability, lower, upper)
        settled = previous is not None and np.all(
            np.abs(found - previous) <= np.maximum(0.5, QUANTILE_TOLERANCE * (n + found))
        )
        if settled:
            resolved = True
            break
        previous = found
        wanted = _bisections(nodes, node_density)
        if wanted.size == 0:
            # Every node interval that holds mass is one integer wide: the grid is the exact posterior.
            resolved = True
            break
        if nodes.size + wanted.size > max_points:
            break
        nodes, node_density = _add_nodes(nodes, node_density, wanted, kept, stats, prior)

    # Graph probabilities and means from the final nodes, each standing for the cell around it.
    fine = _evaluate(kept, stats, prior, nodes)
    # Graphs kept in the fine pass get its (more accurate) mass; the others keep their coarse mass, which
    # is on the same scale (both sum density times width).
    graph_log_mass = coarse.graph_log_mass.copy()
    graph_log_mass[keep] = fine.graph_log_mass
    graph_log_mass -= logsumexp(graph_log_mass)
    graph_mean = coarse.graph_mean.copy()
    graph_mean[keep] = fine.graph_mean
    return GridPosterior(
        population=n + grid_dark,
        lower_edge=n + lower,
        upper_edge=n + upper,
        probability=probability,
        graph_log_mass=graph_log_mass,
        graph_mean=graph_mean,
        tail_mass=tail_mass,
        improper=improper,
        n_refined=int(keep.size),
        n_nodes=int(nodes.size),
        resolved=resolved,
    )
