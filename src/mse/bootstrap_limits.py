"""Interval limits from replicates: percentile, bias-corrected and accelerated (BCa), and the jackknife.

Every bootstrap of the library turns replicate estimates into limits with
these functions: the log-linear bootstrap (:mod:`mse.loglinear.intervals.bootstrap`),
the bootstrap that repeats the covariate model search
(:mod:`mse.loglinear.covariates.reselection`), and the breakdowns of a
result (:meth:`mse.Estimate.breakdown`), which apply them to the replicates
of every level. They need nothing but the numbers, so they sit below the
results and the models.

An infinite replicate (a resample that carries no information on ``N``)
counts as above every finite one; a ``nan`` replicate (a failed one) is left
out.

References
----------
Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the
American Statistical Association* 82(397), 171–185.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["bca_limits", "jackknife_acceleration", "percentile_limits"]


def _quantiles(values: np.ndarray, probabilities: np.ndarray | list[float]) -> np.ndarray:
    """``np.quantile`` of values that may hold ``+inf``: a quantile that touches an infinite draw is infinite."""
    infinite = np.isposinf(values)
    if not infinite.any():
        return np.quantile(values, probabilities)
    # Linear interpolation towards inf gives nan (0 * inf): interpolate towards a huge stand-in
    # instead; any weight on it lifts the quantile above the largest finite draw.
    largest = np.max(values[~infinite], initial=-math.inf)
    result = np.quantile(np.where(infinite, 1e300, values), probabilities)
    return np.where(result > largest, math.inf, result)


def percentile_limits(draws: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval: the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of the draws.

    Parameters
    ----------
    draws
        Replicate estimates; ``nan`` entries are ignored, ``+inf`` entries
        (replicates in which ``N`` is unbounded) count as above every finite one.
    level
        Nominal coverage.

    Returns
    -------
    tuple of float
        ``(lower, upper)``; ``nan`` with fewer than two draws that are not ``nan``.

    Examples
    --------
    >>> import numpy as np
    >>> percentile_limits(np.arange(101.0), 0.9)
    (5.0, 95.0)
    >>> percentile_limits(np.append(np.arange(90.0), [np.inf] * 10), 0.9)
    (4.95, inf)
    """
    values = _usable(draws)
    if values.size < 2:
        return math.nan, math.nan
    lower, upper = _quantiles(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lower), float(upper)


def _usable(draws: np.ndarray) -> np.ndarray:
    """The draws that take part in the limits: finite ones and ``+inf`` (not ``nan``, not ``-inf``)."""
    values = np.asarray(draws, dtype=float)
    return values[np.isfinite(values) | np.isposinf(values)]


def jackknife_acceleration(estimates: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Efron's acceleration constant from (weighted) jackknife estimates.

    With ``theta_i`` the estimate leaving out unit ``i`` and ``theta_dot``
    their mean, ``a = sum(U_i**3) / (6 * sum(U_i**2) ** 1.5)`` with
    ``U_i = theta_dot - theta_i`` (Efron 1987, eq. 6.6). People with the same
    capture history give the same leave-one-out estimate, so the sum over
    people is a sum over distinct histories weighted by their counts.

    Parameters
    ----------
    estimates
        Leave-one-out estimates, one per group; ``nan`` entries are ignored.
    weights
        Group sizes (the count of each history); all 1 when omitted.

    Returns
    -------
    float
        The acceleration; 0 when the estimates do not vary.

    References
    ----------
    Efron (1987), in the references of this module.

    Examples
    --------
    >>> import numpy as np
    >>> round(jackknife_acceleration(np.array([1.0, 2.0, 6.0])), 4)  # -18 / (6 * 14 ** 1.5)
    -0.0573
    >>> jackknife_acceleration(np.array([1.0, 2.0]), np.array([3, 3])) == jackknife_acceleration(np.array([1.0, 2.0]))
    True
    """
    values = np.asarray(estimates, dtype=float)
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(values) & (w > 0)
    values, w = values[keep], w[keep]
    if values.size < 2:
        return 0.0
    deviation = np.average(values, weights=w) - values
    spread = float(np.sum(w * deviation**2))
    if spread <= 0.0:
        return 0.0
    return float(np.sum(w * deviation**3) / (6.0 * spread**1.5))


def bca_limits(
    draws: np.ndarray, point_estimate: float, acceleration: float, level: float
) -> tuple[float, float, float, str]:
    """Bias-corrected and accelerated (BCa) bootstrap limits.

    The bias correction is ``z0 = Phi^-1(p)`` with ``p`` the proportion of
    finite replicates below the point estimate (ties count one half); the
    limits are the replicate quantiles at
    ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z = Phi^-1((1 -+ level)/2)``
    (Efron 1987).

    Parameters
    ----------
    draws
        Replicate estimates; ``nan`` entries are ignored, ``+inf`` entries
        count as above every finite one.
    point_estimate
        The estimate from the original data.
    acceleration
        The acceleration ``a`` (see :func:`jackknife_acceleration`).
    level
        Nominal coverage.

    Returns
    -------
    tuple
        ``(lower, upper, z0, status)``; the limits are ``nan`` and ``status``
        says why when the correction is undefined (every replicate on one
        side of the estimate, or too few replicates).

    References
    ----------
    Efron (1987), in the references of this module.

    Examples
    --------
    With no bias and no acceleration BCa is the percentile interval:

    >>> import numpy as np
    >>> lower, upper, z0, status = bca_limits(np.arange(1.0, 100.0), 50.0, 0.0, 0.9)
    >>> round(lower, 1), round(upper, 1), z0, status
    (5.9, 94.1, 0.0, 'ok')
    """
    values = _usable(draws)
    if values.size < 2:
        return math.nan, math.nan, math.nan, "fewer than two bootstrap replicates have an estimate"
    below = (np.count_nonzero(values < point_estimate) + 0.5 * np.count_nonzero(values == point_estimate)) / values.size
    if below <= 0.0 or below >= 1.0:
        side = "above" if below <= 0.0 else "below"
        return (
            math.nan,
            math.nan,
            math.nan,
            f"BCa bias correction undefined: every bootstrap estimate lies {side} the point estimate",
        )
    z0 = float(ndtri(below))
    z = ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))
    denominator = 1.0 - acceleration * (z0 + z)
    if np.any(denominator <= 0.0):
        return math.nan, math.nan, z0, f"BCa limits undefined for acceleration {acceleration:.4g}"
    probabilities = ndtr(z0 + (z0 + z) / denominator)
    lower, upper = _quantiles(values, probabilities)
    return float(lower), float(upper), z0, "ok"
