"""Where each graph's posterior of ``N`` peaks, and how much mass it can hold.

With many people observed, a graph's posterior of the dark figure ``n0`` can
be far narrower than the spacing of a coarse geometric grid: at ``N = 5e8``
the posterior sd of a model that fits is about 10^-5 of ``N``, while grid
points are 4 % apart. Sampled only at the grid points, such a graph looks
hundreds of thousands of log units lighter than it is and would be pruned
or outweighed by a flat one. Each graph's log density is a smooth function
of ``n0`` whose slope is a sparse combination of digamma functions, so its
peak is bracketed where the slope changes sign on the coarse grid and then
located by bisection on the slope, for every graph at once. The mass near
the peak is then bounded by a Laplace approximation, ``f(peak) +
log(sqrt(2 pi / c))`` with ``c`` the curvature over the final bracket.

References
----------
Tierney, L. and Kadane, J. B. (1986). Accurate approximations for posterior
moments and marginal densities. *Journal of the American Statistical
Association* 81(393), 82-86.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.special import digamma, gammaln

from mse.bayes.graphical.marginal import SubsetStatistics, subset_log_terms
from mse.budget import checkpoint

if TYPE_CHECKING:
    from mse.bayes.graphical.posterior import PriorOnN

__all__ = ["GraphPeaks", "graph_peaks"]

#: Stop bisecting once the tangents at the bracket's ends bound the peak to within this many log units.
PEAK_LOG_TOLERANCE = 0.5
_MAX_BISECTIONS = 60

#: What a run cut short by its time budget was doing.
_STAGE = "locating the peak of each decomposable graph's posterior of N"


@dataclass(frozen=True)
class GraphPeaks:
    """The interior peak of each graph's log posterior density of ``n0``.

    Attributes
    ----------
    location : numpy.ndarray
        ``(n_graphs,)`` dark figure at the peak (NaN where the density has no
        interior peak on the grid: it falls from ``n0 = 0`` or rises to the end).
    log_mass : numpy.ndarray
        ``(n_graphs,)`` upper estimate of the log mass near the peak (``-inf``
        without an interior peak).
    """

    location: np.ndarray
    log_mass: np.ndarray


def _slope_terms(stats: SubsetStatistics, dark: np.ndarray) -> np.ndarray:
    """Derivative in ``n0`` of :func:`subset_log_terms`, by subset (rows) and ``n0`` (columns)."""
    dark = np.asarray(dark, dtype=float)
    slopes = (
        digamma(stats.alpha[:, None] + stats.seen_outside[:, None] + dark[None, :])
        - digamma(stats.total_weight + stats.n_observed + dark)[None, :]
    )
    slopes[0] = 0.0
    return slopes


def graph_peaks(
    coefficients: sp.csr_matrix,
    stats: SubsetStatistics,
    prior: PriorOnN,
    dark: np.ndarray,
    block_entries: int = 1 << 17,
) -> GraphPeaks:
    """Locate every graph's interior peak of the log density of ``n0`` and bound the mass around it.

    Parameters
    ----------
    coefficients
        Clique/separator matrix of the graphs.
    stats
        The observed table reduced by :func:`~mse.bayes.graphical.marginal.subset_statistics`.
    prior
        The prior on ``N``.
    dark
        The coarse grid of dark figures, increasing.
    """
    from mse.bayes.graphical.kernels import first_turns, values_at

    n_graphs = coefficients.shape[0]
    location = np.full(n_graphs, np.nan)
    log_mass = np.full(n_graphs, -np.inf)
    if dark.size < 2:
        return GraphPeaks(location, log_mass)
    common_log_density, common_slope = _common_terms(stats.n_observed, prior)
    slope_table = _slope_terms(stats, dark)
    common = common_slope(dark)
    csr = (coefficients.indptr, coefficients.indices, coefficients.data)
    lower = np.full(n_graphs, -1, dtype=np.int64)
    block = max(1, block_entries // dark.size)
    for start in range(0, n_graphs, block):
        checkpoint(_STAGE)
        # The first grid interval over which each graph's slope turns from rising to falling.
        first_turns(*csr, start, min(start + block, n_graphs), slope_table, common, lower)
    active = np.flatnonzero(lower >= 0)
    if active.size == 0:
        return GraphPeaks(location, log_mass)

    def per_graph(table: np.ndarray, column: np.ndarray) -> np.ndarray:
        """``coefficients[g] @ table[:, column[g]]`` for every active graph ``g``."""
        out = np.empty(active.size)
        values_at(*csr, active, table, column, out)
        return out

    left = dark[lower[active]]
    right = dark[lower[active] + 1]

    def evaluate(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        unique, column = np.unique(points, return_inverse=True)
        value = per_graph(subset_log_terms(stats, unique), column) + common_log_density(points)
        slope = per_graph(_slope_terms(stats, unique), column) + common_slope(points)
        return value, slope

    left_value, left_slope = evaluate(left)
    right_value, right_slope = evaluate(right)
    for _ in range(_MAX_BISECTIONS):
        # For a concave function the tangents at the ends bound it; for a quadratic the bound exceeds the
        # peak by at most (slope difference) * width / 8.
        open_ = ((left_slope - right_slope) * (right - left) > 8 * PEAK_LOG_TOLERANCE) & (right - left > 1)
        if not open_.any():
            break
        middle = np.floor((left + right) / 2.0)
        value, slope = evaluate(np.where(open_, middle, left))
        go_right = open_ & (slope > 0)
        go_left = open_ & ~(slope > 0)
        left = np.where(go_right, middle, left)
        left_value = np.where(go_right, value, left_value)
        left_slope = np.where(go_right, slope, left_slope)
        right = np.where(go_left, middle, right)
        right_value = np.where(go_left, value, right_value)
        right_slope = np.where(go_left, slope, right_slope)
    # Where the tangents cross, and the value of the upper one there.
    drop = np.maximum(left_slope - right_slope, 1e-300)
    crossing = (right_value - left_value + left_slope * left - right_slope * right) / drop
    crossing = np.clip(crossing, left, right)
    peak = np.maximum(left_value + left_slope * (crossing - left), np.maximum(left_value, right_value))
    curvature = np.maximum(drop / np.maximum(right - left, 1.0), 1e-300)
    location[active] = crossing
    # Laplace's approximation, but never more than a unit-wide cell at the bounded peak would give.
    log_mass[active] = peak + np.maximum(0.5 * np.log(2.0 * math.pi / curvature), 0.0)
    return GraphPeaks(location, log_mass)


def _common_terms(
    n_observed: int, prior: PriorOnN
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """``log N!/(N-n)! + log p(N)``, shared by every graph, and its derivative, as functions of ``n0``."""

    def value(dark: np.ndarray) -> np.ndarray:
        population = n_observed + dark
        return gammaln(population + 1) - gammaln(dark + 1) + prior.log_density(population)

    def slope(dark: np.ndarray) -> np.ndarray:
        population = n_observed + dark
        return digamma(population + 1) - digamma(dark + 1) + prior.log_density_slope(population)

    return value, slope
