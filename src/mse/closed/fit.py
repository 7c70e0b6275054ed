"""Fitting the closed-population models, their standard errors and checks.

The profile-likelihood interval of the log-linear members is the shared one of
:mod:`mse.loglinear.intervals.likelihood`; the behavioural models (Mb, Mbh) have their own
profile likelihood here, from the removal model.

The models are Poisson regressions on the observed cells (see
:mod:`mse.closed.designs`), fitted with :func:`mse.loglinear.fit.irls.fit_poisson`.
Conventions follow Rcapture (Baillargeon & Rivest 2007) so that results can be
compared with it:

- the point estimate is ``N = n + U`` with ``U`` the estimated number of people
  on no list (``exp(intercept)`` for the log-linear models, the tail of the
  geometric series of first captures for Mb and Mbh);
- the standard error is the unconditional one, ``Var(N) = g' Σ g + U``: the
  delta-method variance of ``U`` (``g`` its gradient, ``Σ`` the inverse
  Poisson information) plus the Poisson variance of the number never seen
  (Cormack 1989);
- deviance and degrees of freedom are those of the Poisson fit on the
  ``2**t - 1`` observed cells; ``AIC = -2 log L + 2p`` and
  ``BIC = -2 log L + p log n`` with ``L`` the Poisson likelihood of those cells.

A fit is *failed* (never reported as a number) when

1. the Newton iteration does not converge or the information matrix is singular;
2. the estimate of ``N`` is below the number observed, ``n`` (for Mb and Mbh this
   happens when first captures do not decline from list to list: the implied
   probability of first capture is negative and the geometric series of people
   never caught does not converge; Rcapture prints the negative number);
3. for the heterogeneity models with one column (Poisson2, Darroch, Gamma), the
   estimated first-order bias of ``N`` exceeds 10 % of ``N``. These models
   extrapolate a curve in the number of captures far below the data; with few
   recaptures the estimator of ``exp(intercept)`` is so skewed that its
   asymptotic bias (Cordeiro & McCullagh 1991, plus the lognormal term
   ``Σ_00 / 2``) is of the order of its standard error and the estimate cannot be
   trusted (Rivest & Lévesque 2001 discuss this small-sample bias). On the
   reference data sets this rule flags exactly the fits that Rcapture
   marks with a non-zero ``infoFit``.

References
----------
Baillargeon, S. & Rivest, L.-P. (2007). Rcapture: loglinear models for capture–recapture
in R. *Journal of Statistical Software* 19(5).

Cordeiro, G. M. & McCullagh, P. (1991). Bias correction in generalized linear models.
*Journal of the Royal Statistical Society B* 53, 629–643.

Cormack, R. M. (1989). Log-linear models for capture–recapture. *Biometrics* 45, 395–413.

Rivest, L.-P. & Lévesque, T. (2001). Improved log-linear model estimators of abundance in
capture–recapture experiments. *Canadian Journal of Statistics* 29, 555–572.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import betaln, expit, gammaln

from mse.closed.designs import ModelDesign
from mse.loglinear.fit.irls import fit_poisson
from mse.loglinear.intervals.likelihood import likelihood_ratio_interval

__all__ = [
    "BIAS_LIMIT",
    "ClosedFit",
    "behavioural_profile_interval",
    "behavioural_unseen",
    "fit_closed_model",
]

#: Largest acceptable estimated bias of ``N``, as a fraction of ``N``, for the one-column heterogeneity models.
BIAS_LIMIT = 0.10

OK = "ok"


@dataclass(frozen=True)
class ClosedFit:
    """One fitted closed-population model.

    Attributes
    ----------
    model : str
        Model name.
    estimate, se : float
        ``N`` and its standard error (``nan`` when the fit failed).
    unseen : float
        The estimated number on no list, as computed (may be negative for a failed fit).
    deviance, df, aic, bic : float
        Fit statistics of the Poisson regression on the observed cells.
    n_params : int
        Number of fitted coefficients (for Chao's models, the hinge columns kept).
    bias : float
        Estimated first-order bias of ``N`` (``nan`` when not computed).
    status : str
        ``"ok"`` or the reason the estimate does not exist.
    coef, cov : numpy.ndarray
        Coefficients and their covariance, for the columns in ``columns``.
    columns : tuple of int
        Columns of the model design that were used.
    """

    model: str
    estimate: float
    se: float
    unseen: float
    deviance: float
    df: int
    aic: float
    bic: float
    n_params: int
    bias: float
    status: str
    coef: np.ndarray = field(repr=False)
    cov: np.ndarray = field(repr=False)
    columns: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the estimate exists."""
        return self.status == OK

    def details(self) -> dict[str, Any]:
        """Plain values for :attr:`mse.Estimate.details`."""
        return {
            "se": self.se,
            "deviance": self.deviance,
            "df": self.df,
            "aic": self.aic,
            "bic": self.bic,
            "n_params": self.n_params,
            "bias": self.bias,
            "unseen_as_computed": self.unseen,
        }


def behavioural_unseen(coef: np.ndarray, t: int) -> tuple[float, np.ndarray]:
    """Number never caught under Mb/Mbh, and its gradient in the first three coefficients.

    With ``log mu = a + b (f - 1) + g (k - 1)`` (``f`` the list of first capture),
    the expected number first caught on list ``j`` is ``C q**(j-1)`` with
    ``C = exp(a) (1 + e**g)**(t-1)`` and ``q = e**b / (1 + e**g)``, the
    probability of not being caught on a list before the first capture. The
    number never caught is the tail ``C q**t / (1 - q)``, finite only when ``q < 1``.
    The formula is the analytic continuation for ``q > 1``, which is negative.
    """
    a, b, g = (float(c) for c in coef[:3])
    # In logs throughout: fits on the boundary have coefficients of several hundred, and
    # exp() of those overflows; an estimate too large for a float is infinite, not an error.
    s = float(expit(g))
    log_one_plus = float(np.logaddexp(0.0, g))
    log_q = b - log_one_plus
    q = math.exp(min(log_q, 700.0))
    if q == 1.0:  # also when log_q is a rounding error away from 0
        return math.inf, np.full(len(coef), np.nan)
    log_size = a + (t - 1) * log_one_plus + t * log_q - math.log(abs(math.expm1(min(log_q, 700.0))))
    unseen = math.copysign(math.exp(log_size) if log_size < 709.0 else math.inf, -log_q)
    gradient = np.zeros(len(coef))
    gradient[0] = unseen
    gradient[1] = unseen * (t + q / (1.0 - q))
    gradient[2] = unseen * (-s / (1.0 - q))
    return unseen, gradient


def _first_order_bias(design: np.ndarray, fitted: np.ndarray, cov: np.ndarray) -> float:
    """First-order bias of ``exp(intercept)`` in a Poisson log-linear model.

    Cordeiro & McCullagh (1991): for a canonical-link Poisson GLM the bias of the
    coefficients is ``-(1/2) Σ X' diag(mu) z`` with ``z_i = x_i' Σ x_i``. The bias of
    ``exp(a)`` adds the second-order term ``exp(a) Σ_00 / 2``.
    """
    leverage_like = np.einsum("ij,jk,ik->i", design, cov, design)
    coef_bias = -0.5 * cov @ (design.T @ (fitted * leverage_like))
    return float(coef_bias[0] + cov[0, 0] / 2.0)


def _fit(design: np.ndarray, y: np.ndarray):
    return fit_poisson(design, y, boundary_coef=1e3)


def _active_set_fit(design: ModelDesign, y: np.ndarray):
    """Maximum likelihood with Chao's hinge coefficients constrained to be non-negative.

    An active-set iteration: fit with the free hinges, drop the most negative,
    refit; then re-admit a dropped hinge whose score is positive (it would raise
    the likelihood), until the Karush–Kuhn–Tucker conditions hold.
    """
    base = [c for c in range(design.matrix.shape[1]) if c not in design.nonnegative]
    free = list(design.nonnegative)
    for _ in range(4 * (len(free) + 1)):
        columns = sorted(base + free)
        fit = _fit(design.matrix[:, columns], y)
        coef = fit.coef[0]
        hinge = [i for i, c in enumerate(columns) if c in design.nonnegative]
        negative = [i for i in hinge if coef[i] < 0]
        if negative:
            worst = min(negative, key=lambda i: coef[i])
            free.remove(columns[worst])
            continue
        residual = y - fit.fitted[0]
        dropped = [c for c in design.nonnegative if c not in free]
        scores = {c: float(residual @ design.matrix[:, c]) for c in dropped}
        readmit = [c for c, s in scores.items() if s > 1e-8 * (1.0 + y.sum())]
        if not readmit:
            return fit, tuple(columns)
        free.append(max(readmit, key=lambda c: scores[c]))
    return fit, tuple(columns)


def fit_closed_model(design: ModelDesign, y: np.ndarray) -> ClosedFit:
    """Fit one closed-population model to the observed-cell counts.

    Parameters
    ----------
    design
        From :func:`mse.closed.designs.model_design`.
    y
        Counts of the ``2**t - 1`` observed histories, in dense-count order.

    Returns
    -------
    ClosedFit
        With ``status`` ``"ok"`` or the reason the estimate does not exist (see
        the module notes for the checks).
    """
    y = np.asarray(y, dtype=float)
    n = float(y.sum())
    if design.nonnegative:
        fit, columns = _active_set_fit(design, y)
    else:
        columns = tuple(range(design.matrix.shape[1]))
        fit = _fit(design.matrix, y)
    matrix = design.matrix[:, list(columns)]
    coef, cov = fit.coef[0], fit.cov[0]
    p = len(columns)
    loglik = float(fit.loglik[0])
    deviance = float(fit.deviance[0])
    df = int(len(y) - p)
    aic = -2.0 * loglik + 2.0 * p
    bic = -2.0 * loglik + p * math.log(n)
    bias = math.nan
    status = OK
    if design.behavioural:
        unseen, gradient = behavioural_unseen(coef, design.t)
    else:
        # past exp(709) a float overflows: the number never seen is then infinite, not exp(700)
        unseen = math.exp(float(coef[0])) if float(coef[0]) < 709.0 else math.inf
        gradient = np.zeros(p)
        gradient[0] = unseen
    if not bool(fit.converged[0]):
        status = "the Newton iteration did not converge"
    elif bool(fit.boundary[0]) or not np.all(np.isfinite(cov)):
        status = "the information matrix is singular: the model is not identifiable on these data"
    elif not math.isfinite(unseen) or unseen < 0:
        if design.behavioural and unseen < 0:
            status = (
                f"estimate below the number observed (N = {n + unseen:.1f} < n = {n:.0f}): first captures do not "
                "decline from list to list, so the removal model implies a negative probability of first capture"
            )
        else:
            status = "the estimated number never seen is not finite"
    if status == OK and not design.behavioural and not design.nonnegative and design.name not in ("M0", "Mt"):
        bias = unseen * _first_order_bias(matrix, fit.fitted[0], cov)
        if abs(bias) > BIAS_LIMIT * (n + unseen):
            status = (
                f"unreliable: the estimated first-order bias of N ({bias:+.0f}) exceeds "
                f"{BIAS_LIMIT:.0%} of N ({n + unseen:.0f}); the heterogeneity curve is extrapolated far beyond "
                "the data (too few recaptures)"
            )
    with np.errstate(over="ignore", invalid="ignore"):
        # a fit far out on the boundary (everyone in one history) can overflow here: no standard error then
        variance = float(gradient @ cov @ gradient) + unseen if np.all(np.isfinite(gradient)) else math.nan
    se = math.sqrt(variance) if math.isfinite(variance) and variance >= 0 else math.nan
    estimate = n + unseen
    if status != OK:
        estimate, se = math.nan, math.nan
    return ClosedFit(
        model=design.name,
        estimate=estimate,
        se=se,
        unseen=unseen,
        deviance=deviance,
        df=df,
        aic=aic,
        bic=bic,
        n_params=p,
        bias=bias,
        status=status,
        coef=coef,
        cov=cov,
        columns=columns,
    )


# ---------------------------------------------------------------------- behavioural profile interval
def behavioural_profile_interval(
    first_captures: np.ndarray, estimate: float, level: float = 0.95, heterogeneous_first: bool = False
) -> tuple[float, float, str]:
    """Profile-likelihood interval for ``N`` under Mb (removal) or Mbh (removal from list 2 on).

    The behavioural models factorise into the removal likelihood of the
    first-capture counts ``u_j`` and a part for recaptures that does not involve
    ``N`` (Otis et al. 1978). For Mb, ``L(N, p) ∝ N!/(N-n)! p**n (1-p)**(U + t (N-n))``
    with ``U = Σ (j-1) u_j``, maximised in ``p`` in closed form; Mbh treats list 1
    separately (``u_1 ~ Binomial(N, p_1)``) and the removal model on lists 2..t.

    Returns
    -------
    lower, upper, status
    """
    u = np.asarray(first_captures, dtype=float)
    t = len(u)
    n = float(u.sum())

    def xlogy(a: float, b: float) -> float:
        return 0.0 if a == 0 else a * math.log(b)

    def loglik(N: float) -> float:
        value = float(gammaln(n) - betaln(n, N - n + 1.0))
        if heterogeneous_first:
            p1 = u[0] / N
            value += xlogy(u[0], p1) + xlogy(N - u[0], 1.0 - p1)
            successes = n - u[0]
            failures = float(np.arange(t - 1) @ u[1:]) + (t - 1) * (N - n)
        else:
            successes = n
            failures = float(np.arange(t) @ u) + t * (N - n)
        p = successes / (successes + failures)
        return value + xlogy(successes, p) + xlogy(failures, 1.0 - p)

    result = likelihood_ratio_interval(loglik, n, estimate, level)
    return result.lower, result.upper, result.status
