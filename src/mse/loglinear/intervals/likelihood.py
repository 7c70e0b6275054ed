"""Confidence intervals for ``N`` under a fixed log-linear model: Wald and profile likelihood.

``wald``
    Log-normal on the dark figure: ``n + exp(beta_0 +/- z se(beta_0))``, the
    interval of SparseMSE's ``estimatepopulation.0`` (Chan et al. 2021). It
    never goes below ``n``.
``profile``
    Profile likelihood for ``N`` in the multinomial model (Cormack 1992; the
    convention of Rcapture's ``closedpCI.t``, Baillargeon & Rivest 2007). One
    implementation, :func:`profile_interval`, serves every model written as a
    Poisson regression on the observed cells: the hierarchical log-linear
    models (given their :class:`~mse.loglinear.LoglinearFit`) and the
    closed-population family (:mod:`mse.closed`, given a design and counts).

For each ``N`` the unobserved cell holds ``N - n``, the model is refitted to
the full ``2**t`` table and the multinomial log-likelihood

``lgamma(N + 1) - lgamma(N - n + 1) - sum_w lgamma(n_w + 1) + sum_w n_w log(mu_w / N)``

(zero cell included) is profiled; the interval holds every ``N`` whose
likelihood-ratio statistic is at most the chi-squared(1) quantile. ``N`` is
treated as continuous; the point estimate stays the Poisson one and the
profile maximum is reported in the details. The log-likelihood is written to
stay accurate when ``N`` is far above ``n``: the falling factorial through
``betaln`` and the unobserved cell's ``log(mu_0 / N)`` as ``log1p`` of minus
the observed share (the fitted total equals ``N`` because the intercept is in
the model). When the likelihood never falls below the cut-off above the
maximum, the upper limit is infinite and the status says so.

References
----------
Cormack, R. M. (1992). Interval estimation for mark–recapture studies of closed
populations. *Biometrics* 48(2), 567–576.

Baillargeon, S. & Rivest, L.-P. (2007). Rcapture: loglinear models for
capture–recapture in R. *Journal of Statistical Software* 19(5).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
from scipy import optimize

# The quantiles come from scipy.special, which is what scipy.stats' chi2.ppf and norm.ppf evaluate
# (bit for bit); importing scipy.stats would add most of a second to the first estimate in a process.
from scipy.special import betaln, gammaincinv, gammaln, ndtri

from mse.loglinear.fit.irls import fit_poisson
from mse.loglinear.fit.model_fit import LoglinearFit, ModelFit, fitted_design

__all__ = [
    "NO_UPPER_LIMIT",
    "IntervalResult",
    "ProfileInterval",
    "likelihood_ratio_interval",
    "multinomial_profile",
    "profile_interval",
    "wald_interval",
]

#: Status of an interval whose upper limit is infinite.
NO_UPPER_LIMIT = (
    "the profile likelihood does not fall below the cut-off above the estimate: the interval has no finite upper limit"
)

# Coefficient size beyond which the solver calls a fit a boundary fit. The profile refits
# models already checked at N-hat; a generous bound lets them converge fully.
_BOUNDARY_COEF = 1e3
# The upper limit is searched by doubling the distance from the maximum this many times
# (about 1e12 times the distance from n to the maximum) before it is declared infinite.
_DOUBLINGS = 40


@dataclass(frozen=True)
class ProfileInterval:
    """A profile-likelihood interval for ``N``.

    Attributes
    ----------
    lower, upper : float
        The limits; ``upper`` is ``inf`` when the likelihood never falls below the cut-off.
    maximum : float
        ``N`` at the maximum of the profile likelihood (continuous ``N``).
    cutoff : float
        The chi-squared(1) quantile at the level.
    lower_at_observed : bool
        Whether the lower limit is ``n`` because the likelihood at ``N = n`` is within the cut-off.
    status : str
        ``"ok"`` or why the interval is open.
    """

    lower: float
    upper: float
    maximum: float
    cutoff: float
    lower_at_observed: bool
    status: str

    def details(self) -> dict[str, float | bool]:
        """Plain values for :attr:`mse.Estimate.details`."""
        return {
            "profile_maximum": self.maximum,
            "chi2_cutoff": self.cutoff,
            "lower_at_observed": self.lower_at_observed,
        }


def multinomial_profile(
    design: np.ndarray, y: np.ndarray, zero_row: np.ndarray | None = None
) -> Callable[[float], float]:
    """The multinomial profile log-likelihood of ``N`` for one model (see the module notes).

    Parameters
    ----------
    design
        Design on the observed cells, shape ``(cells, p)``, intercept in column 0.
    y
        Counts of those cells.
    zero_row
        Design row of the unobserved history (default: 1 for the intercept, 0 elsewhere).

    Returns
    -------
    callable
        ``N -> log L(N)`` for ``N >= n``.
    """
    design = np.asarray(design, dtype=float)
    y = np.asarray(y, dtype=float)
    if zero_row is None:
        zero_row = np.zeros(design.shape[1])
        zero_row[0] = 1.0
    full = np.vstack([zero_row, design])
    n = float(y.sum())
    constant = float(gammaln(y + 1.0).sum())
    positive = y > 0

    def loglik(big_n: float) -> float:
        fit = fit_poisson(full, np.concatenate([[big_n - n], y]), boundary_coef=_BOUNDARY_COEF)
        share = fit.fitted[0, 1:] / big_n
        observed_terms = float(np.where(positive, y * np.log(np.where(positive, share, 1.0)), 0.0).sum())
        # the observed share can round to exactly 1 for counts near 10**9: keep log1p finite
        largest_share = math.nextafter(1.0, 0.0)
        unobserved_term = (big_n - n) * math.log1p(-min(float(share.sum()), largest_share)) if big_n > n else 0.0
        falling_factorial = float(gammaln(n) - betaln(n, big_n - n + 1.0)) if n > 0 else 0.0
        return falling_factorial - constant + observed_terms + unobserved_term

    return loglik


def likelihood_ratio_interval(
    loglik: Callable[[float], float], n: float, estimate: float, level: float = 0.95
) -> ProfileInterval:
    """Limits where ``2 (max - loglik(N))`` crosses the chi-squared(1) quantile, for ``N >= n``.

    The maximum is searched on ``log(N - n)``, which keeps the search well
    scaled whether the dark figure is 5 or 5 million.

    Parameters
    ----------
    loglik
        Profile log-likelihood of ``N`` (continuous), defined for ``N >= n``.
    n
        Number observed: the smallest possible ``N``.
    estimate
        The point estimate, to place the search.
    level
        Coverage.

    Returns
    -------
    ProfileInterval

    Examples
    --------
    A binomial likelihood in disguise: ``N`` people, each seen with probability 1/2, ``n = 50`` seen.

    >>> from scipy.special import gammaln
    >>> import math
    >>> def loglik(big_n):
    ...     return float(gammaln(big_n + 1) - gammaln(big_n - 49)) + big_n * math.log(0.5)
    >>> result = likelihood_ratio_interval(loglik, 50.0, 100.0)
    >>> bool(result.lower < 100.0 < result.upper), result.status
    (True, 'ok')
    """
    cutoff = float(2.0 * gammaincinv(0.5, level))  # the chi-squared(1) quantile
    scale = max(estimate - n, 1.0)
    peak = optimize.minimize_scalar(
        lambda u: -loglik(n + math.exp(u)),
        bounds=(math.log(scale) - 12.0, math.log(scale) + 12.0),
        method="bounded",
        options={"xatol": 1e-9},
    )
    n_max = n + math.exp(peak.x)
    top = -float(peak.fun)

    def excess(big_n: float) -> float:
        return 2.0 * (top - loglik(big_n)) - cutoff

    at_observed = excess(n) <= 0
    lower = float(n) if at_observed else float(optimize.brentq(excess, n, n_max, xtol=1e-8 * n_max))
    upper = math.inf
    step = max(n_max - n, 1.0)
    previous = n_max
    for _ in range(_DOUBLINGS):
        candidate = previous + step
        if excess(candidate) > 0:
            upper = float(optimize.brentq(excess, previous, candidate, xtol=1e-8 * candidate))
            break
        previous, step = candidate, step * 2.0
    status = "ok" if math.isfinite(upper) else NO_UPPER_LIMIT
    return ProfileInterval(lower, upper, n_max, cutoff, at_observed, status)


@dataclass(frozen=True)
class IntervalResult:
    """Interval limits for ``N``, a status, method-specific details and, for a bootstrap, the replicates."""

    lower: float
    upper: float
    status: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)
    draws: np.ndarray | None = field(default=None, repr=False)


def wald_interval(fit: ModelFit, level: float = 0.95) -> IntervalResult:
    """Log-normal interval on the dark figure ``D``: ``n + D exp(+/- z se(log D))``.

    Without covariates ``log D = beta_0``; with covariates ``D`` sums the dark
    figures of the covariate cells and ``se(log D)`` comes from the delta method.
    """
    if not fit.ok or not math.isfinite(fit.log_dark_se):
        return IntervalResult(math.nan, math.nan, f"no Wald interval: {fit.status}")
    z = float(ndtri(0.5 + level / 2.0))
    log_dark = math.log(fit.dark_figure)
    return IntervalResult(
        fit.observed + math.exp(log_dark - z * fit.log_dark_se),
        fit.observed + math.exp(log_dark + z * fit.log_dark_se),
    )


@overload
def profile_interval(model: LoglinearFit, level: float = 0.95) -> IntervalResult: ...


@overload
def profile_interval(
    model: np.ndarray,
    y: np.ndarray,
    estimate: float,
    level: float = 0.95,
    zero_row: np.ndarray | None = None,
) -> ProfileInterval: ...


def profile_interval(model: Any, *args: Any, **kwargs: Any) -> IntervalResult | ProfileInterval:
    """Profile-likelihood interval for ``N`` (see the module notes).

    Called as ``profile_interval(fit, level=0.95)`` with a fitted hierarchical
    log-linear model, or as ``profile_interval(design, y, estimate, level=0.95,
    zero_row=None)`` with any model written as a Poisson regression on the
    observed cells; both run the same profile likelihood.

    Parameters
    ----------
    model
        A :class:`~mse.loglinear.LoglinearFit`, or the design on the observed
        cells the model fits, shape ``(cells, p)``, intercept in column 0, only
        the columns the model estimates.
    y
        With a design: the counts of its cells.
    estimate
        With a design: the point estimate (to place the search).
    level
        Coverage.
    zero_row
        With a design: its row for the unobserved history (default: 1 for the
        intercept, 0 elsewhere).

    Returns
    -------
    IntervalResult or ProfileInterval
        An :class:`IntervalResult` for a fit: its model's finite columns on the
        cells the extended MLE keeps are profiled; a bias-reduced fit profiles
        the likelihood of its modified frequencies and shifts the limits back;
        a failed fit gives ``nan`` limits and a status saying why. A
        :class:`ProfileInterval` for a design. Either way ``upper`` is ``inf``,
        with a status saying so, when the likelihood never drops below the
        cut-off above the estimate.

    References
    ----------
    Cormack, R. M. (1992). Interval estimation for mark–recapture studies of closed
    populations. *Biometrics* 48(2), 567–576.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(3), [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    >>> result = profile_interval(X, np.array([30.0, 40.0, 10.0]), 200.0)
    >>> bool(result.lower < 200.0 < result.upper), result.status
    (True, 'ok')
    """
    if isinstance(model, LoglinearFit):
        return _fit_profile_interval(model, *args, **kwargs)
    return _design_profile_interval(model, *args, **kwargs)


def _design_profile_interval(
    design: np.ndarray, y: np.ndarray, estimate: float, level: float = 0.95, zero_row: np.ndarray | None = None
) -> ProfileInterval:
    y = np.asarray(y, dtype=float)
    return likelihood_ratio_interval(multinomial_profile(design, y, zero_row), float(y.sum()), estimate, level)


def _fit_profile_interval(fit: LoglinearFit, level: float = 0.95) -> IntervalResult:
    if not fit.ok:
        return IntervalResult(math.nan, math.nan, f"no profile interval: {fit.status}")
    design, columns, cells = fitted_design(fit)
    counts = np.asarray(fit.counts, dtype=float)
    if fit.count_adjustment is None:
        result = _design_profile_interval(design.matrix[np.ix_(cells, columns)], counts[cells], fit.estimate, level)
        return IntervalResult(result.lower, result.upper, result.status, result.details())
    # The bias-reduced estimate maximises the likelihood of the modified frequencies y + c, whose
    # total is n + sum(c): profile that likelihood and shift its limits back by sum(c).
    adjusted = counts + np.asarray(fit.count_adjustment, dtype=float)
    shift = float(adjusted[cells].sum() - counts[cells].sum())
    result = _design_profile_interval(
        design.matrix[np.ix_(cells, columns)], adjusted[cells], fit.estimate + shift, level
    )
    details = {**result.details(), "profile_maximum": result.maximum - shift, "profile_shift": shift}
    return IntervalResult(max(result.lower - shift, fit.observed), result.upper - shift, result.status, details)
