r"""Chao & Tsay's sample-coverage estimators for three or more lists.

For ``t`` lists, let ``n_k`` be the number on list ``k``, ``f_k`` the number on
list ``k`` only, ``m_jk`` the number on both lists ``j`` and ``k`` and ``n`` the
number observed. The people on at least one list other than ``k`` number
``n - f_k``; the share of list ``k`` that the other lists also found,
``1 - f_k / n_k``, estimates the coverage of those other lists when list ``k`` is
independent of them. Chao & Tsay (1998) average these over the lists:

.. math::

    D = \frac{1}{t} \sum_k (n - f_k), \qquad
    \hat C = 1 - \frac{1}{t} \sum_k \frac{f_k}{n_k}, \qquad
    \hat N = D / \hat C .

Variants (``variant=``):

``"high_coverage"`` (default)
    :math:`\hat N = D/\hat C`, recommended by Chao et al. (2001) when the sample
    coverage is high.
``"one_step"``
    The one-step bias correction for dependence among lists (low coverage):
    the coefficients of covariation :math:`\gamma_{jk} = E(p_j p_k)/(E p_j E p_k) - 1`
    are estimated as :math:`\hat\gamma_{jk} = \hat N m_{jk}/(n_j n_k) - 1` from
    the high-coverage :math:`\hat N`, and

    .. math:: \hat N_1 = D/\hat C + \frac{1}{t \hat C}\sum_{j<k} (n_j + n_k)\,\hat\gamma_{jk},

    the first-order term of the expansion of :math:`E(n_k - f_k)` in the
    covariances between list ``k`` and the others (three-way and higher
    covariances dropped). This is our derivation of the correction from the
    paper's definitions; the weights ``n_j + n_k`` may differ from the
    published implementation, and the variant is validated by simulation only.
``"independence"``
    The estimate for independent lists with homogeneous capture (model Mt):
    the root ``N > n`` of :math:`N - n = N \prod_k (1 - n_k/N)` (Darroch 1958).

Standard errors come from a parametric bootstrap as in Chao et al. (2001):
``n_boot`` multinomial samples of size ``round(N)`` over the ``2**t`` cells
(unobserved cell ``N - n``), the estimator recomputed on each; the interval is
Chao's (1987) log-normal interval on ``N - n``. Failed replicates (an undefined
estimate) are counted in ``details["failed_replicates"]``.

References
----------
Chao, A. & Tsay, P. K. (1998). A sample coverage approach to multiple-system estimation
with application to census undercount. *JASA* 93, 283–293.

Chao, A., Tsay, P. K., Lin, S.-H., Shau, W.-Y. & Chao, D.-Y. (2001). The applications of
capture–recapture models to epidemiological data. *Statistics in Medicine* 20, 3123–3157.

Darroch, J. N. (1958). The multiple-recapture census I: estimation of a closed population.
*Biometrika* 45, 343–359.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from mse.closed.designs import capture_histories

__all__ = ["VARIANTS", "bootstrap_sample_coverage", "sample_coverage_estimate"]

VARIANTS = ("high_coverage", "one_step", "independence")


def _statistics(cells: np.ndarray, t: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    histories = capture_histories(t).astype(float)
    n = float(cells.sum())
    list_totals = histories.T @ cells
    single = histories.sum(axis=1) == 1
    only = np.array([cells[single & (histories[:, k] == 1)].sum() for k in range(t)])
    pair_totals = (histories * cells[:, None]).T @ histories
    return n, list_totals, only, pair_totals


def sample_coverage_estimate(cells: np.ndarray, t: int, variant: str = "high_coverage") -> float:
    """Sample-coverage estimate of ``N`` from the observed-cell counts (dense order, no zero cell).

    Returns ``nan`` when it does not exist (a coverage of 0, an empty list, or
    no root for the independence variant).

    Examples
    --------
    >>> import numpy as np
    >>> cells = np.array([63.0, 55.0, 18.0, 69.0, 17.0, 21.0, 28.0])  # hepatitis A: 001, 010, 011, 100, ...
    >>> round(sample_coverage_estimate(cells, 3), 1)
    407.0
    """
    cells = np.asarray(cells, dtype=float)
    n, list_totals, only, pairs = _statistics(cells, t)
    if np.any(list_totals == 0):
        return math.nan
    if variant == "independence":

        def excess(N: float) -> float:
            return N - n - N * float(np.prod(1.0 - list_totals / N))

        low, high = float(n) * (1 + 1e-12), float(n) * 1e8
        if excess(low) * excess(high) > 0 or excess(low) >= 0:
            return math.nan
        return float(optimize.brentq(excess, low, high, xtol=1e-10 * n))
    coverage = 1.0 - float(np.mean(only / list_totals))
    if coverage <= 0:
        return math.nan
    d = float(np.mean(n - only))
    estimate = d / coverage
    if variant == "one_step":
        correction = 0.0
        for j in range(t):
            for k in range(j + 1, t):
                gamma = estimate * pairs[j, k] / (list_totals[j] * list_totals[k]) - 1.0
                correction += (list_totals[j] + list_totals[k]) * gamma
        estimate += correction / (t * coverage)
    return estimate


def bootstrap_sample_coverage(
    cells: np.ndarray, t: int, estimate: float, variant: str, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Parametric-bootstrap replicates of the estimator (``nan`` for failed replicates)."""
    cells = np.asarray(cells, dtype=float)
    n = cells.sum()
    total = max(round(estimate), int(n))
    probabilities = np.concatenate([[max(estimate - n, 0.0)], cells]) / max(estimate, n)
    probabilities = probabilities / probabilities.sum()
    draws = rng.multinomial(total, probabilities, size=n_boot)
    return np.array([sample_coverage_estimate(draw[1:], t, variant) for draw in draws])
