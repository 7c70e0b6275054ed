"""Closed-form log marginal likelihoods of decomposable graphical models.

Under a hyper-Dirichlet prior (Dawid & Lauritzen, 1993) that gives every cell
of the complete ``2**t`` table the Dirichlet weight ``delta``, the marginal
table of a subset ``S`` of lists has a Dirichlet prior with weight
``delta * 2**(t - |S|)`` per cell and total weight ``A = delta * 2**t``. The
probability of a complete table ``x`` (the ``N`` people's histories, in a
fixed order) under a decomposable graph ``g`` is (Madigan & York, 1997)

.. math::

    p(x \\mid g) = \\frac{\\prod_C h_C(x)}{\\prod_S h_S(x)}, \\qquad
    h_S(x) = \\frac{\\Gamma(A)}{\\Gamma(A + N)}
             \\prod_{c} \\frac{\\Gamma(\\alpha_S + x_{S,c})}{\\Gamma(\\alpha_S)},

over the cliques ``C`` and separators ``S`` of ``g``, with ``x_{S,c}`` the
cells of the ``S``-marginal table. Only one cell of each marginal table holds
the unseen people, the cell with no capture on any list of ``S``, so every
``log h_S`` is a constant plus ``lgamma(alpha_S + b_S + n0) - lgamma(A + n + n0)``
in the dark figure ``n0`` (``b_S`` = people seen, but on no list of ``S``).
:func:`subset_log_terms` tabulates these for every subset and every ``n0`` on
a grid; a graph's log marginal likelihood is then a sparse ``+/-1``
combination of the rows (see :mod:`mse.bayes.graphical.graphs`).

References
----------
Dawid, A. P. and Lauritzen, S. L. (1993). Hyper Markov laws in the statistical
analysis of decomposable graphical models. *Annals of Statistics* 21(3), 1272-1317.

Madigan, D. and York, J. C. (1997). Bayesian methods for estimation of the size
of a closed population. *Biometrika* 84(1), 19-31.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

__all__ = ["SubsetStatistics", "subset_log_terms", "subset_statistics"]


@dataclass(frozen=True)
class SubsetStatistics:
    """What every subset's marginal likelihood term needs from the observed table.

    Attributes
    ----------
    n_lists : int
    n_observed : int
    total_weight : float
        ``A = delta * 2**t``, the hyper-Dirichlet weight of the whole table.
    alpha : numpy.ndarray
        ``(2**t,)`` Dirichlet weight per cell of each subset's marginal table.
    seen_outside : numpy.ndarray
        ``(2**t,)`` people seen but on no list of the subset (``b_S``).
    constant : numpy.ndarray
        ``(2**t,)`` the part of ``log h_S`` that does not depend on ``n0``.
    """

    n_lists: int
    n_observed: int
    total_weight: float
    alpha: np.ndarray
    seen_outside: np.ndarray
    constant: np.ndarray


def subset_statistics(codes: np.ndarray, counts: np.ndarray, n_lists: int, delta: float) -> SubsetStatistics:
    """Marginal counts of every subset of lists, reduced to the constants of :func:`subset_log_terms`.

    Parameters
    ----------
    codes
        Observed capture histories as bit masks (bit ``i`` = on list ``i``).
    counts
        People per history.
    n_lists
        ``t``.
    delta
        Hyper-Dirichlet weight of one cell of the complete table.
    """
    t = n_lists
    n_subsets = 1 << t
    codes = np.asarray(codes, dtype=np.int64)
    counts = np.asarray(counts, dtype=float)
    sizes = np.array([bin(s).count("1") for s in range(n_subsets)])
    total = delta * n_subsets
    alpha = total / 2.0**sizes
    seen_outside = np.empty(n_subsets)
    constant = np.empty(n_subsets)
    for subset in range(n_subsets):
        # Bins that are not sub-masks of the subset stay empty and add lgamma(a) - lgamma(a) = 0.
        cells = np.bincount(codes & subset, weights=counts, minlength=n_subsets)
        seen_outside[subset] = cells[0]
        others = cells[1:]
        constant[subset] = (
            gammaln(total) + np.sum(gammaln(alpha[subset] + others) - gammaln(alpha[subset])) - gammaln(alpha[subset])
        )
    return SubsetStatistics(
        n_lists=t,
        n_observed=int(counts.sum()),
        total_weight=float(total),
        alpha=alpha,
        seen_outside=seen_outside,
        constant=constant,
    )


def subset_log_terms(stats: SubsetStatistics, dark: np.ndarray) -> np.ndarray:
    """``log h_S`` for every subset ``S`` (rows) and dark figure ``n0`` (columns).

    The empty set's row is zero: its only cell holds everybody.
    """
    dark = np.asarray(dark, dtype=float)
    terms = (
        stats.constant[:, None]
        + gammaln(stats.alpha[:, None] + stats.seen_outside[:, None] + dark[None, :])
        - gammaln(stats.total_weight + stats.n_observed + dark)[None, :]
    )
    terms[0] = 0.0
    return terms
