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
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln
from scipy.stats import chi2, norm

from mse.loglinear.design import Design
from mse.loglinear.fit import LoglinearFit
from mse.loglinear.irls import fit_poisson

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


class _Profile:
    """The multinomial profile log-likelihood of ``N`` for one model."""

    def __init__(self, fit: LoglinearFit) -> None:
        t = len(fit.lists)
        design = Design(t, fit.terms, include_empty=True)
        model_columns = design.column_mask(fit.terms)
        names = ["(intercept)", *fit.lists, *(":".join(fit.lists[i] for i in term) for term in design.terms)]
        finite = np.array([name in fit.coef for name in names])
        self.columns = model_columns & finite
        self.cells = np.concatenate([[True], fit.cells_used])
        self.design = design.matrix
        self.n = float(fit.observed)
        self.counts = np.concatenate([[0.0], np.asarray(fit.counts, dtype=float)])

    def __call__(self, big_n: float | np.ndarray) -> np.ndarray:
        values = np.atleast_1d(np.asarray(big_n, dtype=float))
        y = np.tile(self.counts, (len(values), 1))
        y[:, 0] = values - self.n
        fits = fit_poisson(self.design, y, column_mask=self.columns, cell_mask=self.cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = np.log(fits.fitted / values[:, None])
            terms = np.where(y > 0, y * log_p, 0.0)
        return gammaln(values + 1.0) - gammaln(values - self.n + 1.0) + np.where(self.cells, terms, 0.0).sum(axis=1)


def profile_interval(fit: LoglinearFit, level: float = 0.95) -> IntervalResult:
    """Rcapture's profile-likelihood interval for ``N`` (see the module notes).

    Returns ``upper = inf`` with a status saying so when the likelihood never
    drops below the cut-off above the estimate.
    """
    if not fit.ok:
        return IntervalResult(math.nan, math.nan, f"no profile interval: {fit.status}")
    profile = _Profile(fit)
    n = profile.n
    cut = chi2.ppf(level, df=1)
    scale = max(fit.se, 1.0) if math.isfinite(fit.se) else max(fit.dark_figure, 1.0)
    low_end = n + 1e-9
    hi_guess = fit.estimate + 10 * scale
    peak = minimize_scalar(
        lambda v: -float(profile(v)[0]),
        bounds=(low_end, max(hi_guess, fit.estimate * 2.0)),
        method="bounded",
        options={"xatol": 1e-6 * max(fit.estimate, 1.0)},
    )
    n_max = float(peak.x)
    l_max = float(profile(n_max)[0])

    def excess(v: float) -> float:
        return 2.0 * (l_max - float(profile(v)[0])) - cut

    details: dict[str, Any] = {"profile_maximum": n_max, "chi2_cutoff": float(cut)}
    status = "ok"
    if excess(low_end) <= 0:
        lower = n
        details["lower_at_observed"] = True
    else:
        lower = brentq(excess, low_end, n_max, xtol=1e-8 * n_max)
    step = 2.0 * scale
    upper_bracket = n_max + step
    while excess(upper_bracket) <= 0:
        step *= 2.0
        upper_bracket = n_max + step
        if upper_bracket > 1e4 * max(n_max, 1.0):
            upper_bracket = math.inf
            break
    if math.isinf(upper_bracket):
        upper = math.inf
        status = (
            "the profile likelihood does not fall below the cut-off above the estimate: the upper limit is infinite"
        )
    else:
        upper = brentq(excess, n_max, upper_bracket, xtol=1e-8 * n_max)
    return IntervalResult(float(lower), float(upper), status, details)
