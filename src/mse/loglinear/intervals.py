"""Confidence intervals for ``N`` under a fixed log-linear model: Wald and profile likelihood.

``wald``
    Log-normal on the dark figure: ``n + exp(beta_0 +/- z se(beta_0))``, the
    interval of SparseMSE's ``estimatepopulation.0`` (Chan et al. 2021). It
    never goes below ``n``.
``profile``
    Profile likelihood for ``N`` in the multinomial model (Cormack 1992; the
    convention of Rcapture, Baillargeon & Rivest 2007): for each ``N`` the
    all-zero cell holds ``N - n``, the model is fitted to the full table, and
    the multinomial log-likelihood
    ``lgamma(N + 1) - lgamma(N - n + 1) + sum_w n_w log(mu_w / N)``
    (over every cell, the empty one included) is profiled; the interval holds
    every ``N`` whose likelihood-ratio statistic is at most the chi-squared(1)
    quantile. ``N`` is treated as continuous. The point estimate stays the
    Poisson one; the profile maximum is reported in ``details``.

References
----------
Cormack, R. M. (1992). Interval estimation for mark–recapture studies of closed
populations. *Biometrics* 48(2), 567–576.

Baillargeon, S. & Rivest, L.-P. (2007). Rcapture: loglinear models for
capture–recapture in R. *Journal of Statistical Software* 19(5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import norm

from mse.loglinear.design import Design
from mse.loglinear.fit import LoglinearFit
from mse.loglinear.profile import profile_interval as shared_profile_interval

__all__ = ["IntervalResult", "profile_interval", "wald_interval"]


@dataclass(frozen=True)
class IntervalResult:
    """Interval limits for ``N``, a status and method-specific details."""

    lower: float
    upper: float
    status: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)


def wald_interval(fit: LoglinearFit, level: float = 0.95) -> IntervalResult:
    """Log-normal interval on the dark figure, ``n + exp(beta_0 +/- z se)``."""
    if not fit.ok or not math.isfinite(fit.log_dark_se):
        return IntervalResult(math.nan, math.nan, f"no Wald interval: {fit.status}")
    z = norm.ppf(0.5 + level / 2.0)
    log_dark = math.log(fit.dark_figure)
    return IntervalResult(
        fit.observed + math.exp(log_dark - z * fit.log_dark_se),
        fit.observed + math.exp(log_dark + z * fit.log_dark_se),
    )


def profile_interval(fit: LoglinearFit, level: float = 0.95) -> IntervalResult:
    """Rcapture's profile-likelihood interval for ``N`` (see the module notes).

    The model's finite columns on the cells the extended MLE keeps go to
    :func:`mse.loglinear.profile.profile_interval`. Returns ``upper = inf``
    with a status saying so when the likelihood never drops below the cut-off
    above the estimate.
    """
    if not fit.ok:
        return IntervalResult(math.nan, math.nan, f"no profile interval: {fit.status}")
    design = Design(len(fit.lists), fit.terms)
    names = ["(intercept)", *fit.lists, *(":".join(fit.lists[i] for i in term) for term in design.terms)]
    finite = np.array([name in fit.coef for name in names])
    columns = design.column_mask(fit.terms) & finite
    cells = np.asarray(fit.cells_used, dtype=bool)
    counts = np.asarray(fit.counts, dtype=float)
    if fit.count_adjustment is None:
        result = shared_profile_interval(design.matrix[np.ix_(cells, columns)], counts[cells], fit.estimate, level)
        return IntervalResult(result.lower, result.upper, result.status, result.details())
    # The bias-reduced estimate maximises the likelihood of the modified frequencies y + c, whose
    # total is n + sum(c): profile that likelihood and shift its limits back by sum(c).
    adjusted = counts + np.asarray(fit.count_adjustment, dtype=float)
    shift = float(adjusted[cells].sum() - counts[cells].sum())
    result = shared_profile_interval(
        design.matrix[np.ix_(cells, columns)], adjusted[cells], fit.estimate + shift, level
    )
    details = {**result.details(), "profile_maximum": result.maximum - shift, "profile_shift": shift}
    return IntervalResult(max(result.lower - shift, fit.observed), result.upper - shift, result.status, details)
