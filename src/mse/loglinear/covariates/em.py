"""EM for log-linear models when some records lack some covariate values.

A record whose covariate values are partly missing is *partially classified*:
it belongs to one of several complete cells (those that agree on the values it
has). Under missingness at random, the observed-data likelihood of the Poisson
log-linear model is

``sum_r y_r log mu_r + sum_g c_g log(sum_{r in g} mu_r) - sum_r mu_r``

over the fully classified counts ``y_r`` and the partially classified groups
``c_g``. The EM algorithm (Dempster, Laird & Rubin 1977; for capture–recapture
with covariates Zwane & van der Heijden 2007) alternates

* E-step: spread each group ``c_g`` over its compatible cells in proportion
  to the current fitted values, ``y_r + mu_r sum_{g ∋ r} c_g / sum_{s in g} mu_s``;
* M-step: refit the Poisson model to the completed table.

The M-step here takes a few Newton steps from the previous coefficients rather
than iterating to convergence (a generalised EM: each step still increases the
observed-data likelihood, because Newton with step halving increases the
complete-data likelihood), which makes the whole run about as cheap as one fit.
Iterations stop when the observed-data log-likelihood changes by less than
``tol`` (relative). Everything is vectorised over a batch of tables, so the
parametric bootstrap repeats EM for all replicates at once.

References
----------
Dempster, A. P., Laird, N. M. & Rubin, D. B. (1977). Maximum likelihood from
incomplete data via the EM algorithm. *JRSS B* 39(1), 1–38.

Zwane, E. N. & van der Heijden, P. G. M. (2007). Analysing capture–recapture data
when some variables of heterogeneous catchability are not collected or asked in all
registrations. *Statistics in Medicine* 26(5), 1069–1089.

van der Heijden, P. G. M., Whittaker, J., Cruyff, M., Bakker, B. & van der Vliet, R.
(2012). People born in the Middle East but residing in the Netherlands: invariant
population size estimates and the role of active and passive covariates. *Annals of
Applied Statistics* 6(3), 831–852.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaln

from mse.budget import checkpoint
from mse.loglinear.fit.irls import MAX_ETA, DesignInformation, newton_fit, precision_reached

__all__ = ["EMFits", "e_step", "fit_em", "observed_loglik"]


@dataclass(frozen=True)
class EMFits:
    """EM fits of one design to a batch of partially classified tables.

    Attributes
    ----------
    coef : ndarray, shape (B, p)
    fitted : ndarray, shape (B, n)
        Fitted means of the observable rows.
    filled : ndarray, shape (B, n)
        The completed counts of the last E-step (fully classified counts plus
        the expected share of every partially classified group).
    loglik : ndarray, shape (B,)
        Observed-data log-likelihood.
    converged, boundary : ndarray of bool, shape (B,)
    iterations : ndarray, shape (B,)
        EM iterations.
    cov : ndarray or None
        Inverse complete-data information at the end (only without missing values
        is it the observed information).
    """

    coef: np.ndarray
    fitted: np.ndarray
    filled: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    boundary: np.ndarray
    iterations: np.ndarray
    cov: np.ndarray | None = None


def observed_loglik(mu: np.ndarray, counts: np.ndarray, partial: Any, partial_counts: np.ndarray) -> np.ndarray:
    """Observed-data Poisson log-likelihood (with the ``log y!`` constants) for a batch of fitted means."""
    mu = np.atleast_2d(mu)
    counts = np.atleast_2d(counts)
    partial_counts = np.atleast_2d(partial_counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mu = np.log(np.where(mu > 0, mu, 1.0))
        value = (counts * log_mu - mu - gammaln(counts + 1.0)).sum(axis=1)
        if partial.shape[0]:
            group_mu = np.asarray(partial @ mu.T).T
            log_group = np.log(np.where(group_mu > 0, group_mu, 1.0))
            value = value + (partial_counts * log_group - gammaln(partial_counts + 1.0)).sum(axis=1)
    return value


def e_step(mu: np.ndarray, counts: np.ndarray, partial: Any, partial_counts: np.ndarray) -> np.ndarray:
    """Complete the table: spread each partially classified group over its rows in proportion to ``mu``.

    Parameters
    ----------
    mu
        ``(B, n)`` fitted means of the observable rows.
    counts
        ``(B, n)`` fully classified counts.
    partial, partial_counts
        ``(G, n)`` sparse 0/1 compatibility of each group with the rows, and ``(B, G)`` records per group.

    Returns
    -------
    ndarray, shape (B, n)
        Expected complete counts given the observed ones (a group whose rows all have ``mu = 0`` adds nothing).
    """
    group_mu = np.asarray(partial @ mu.T).T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(group_mu > 0, partial_counts / np.where(group_mu > 0, group_mu, 1.0), 0.0)
    return counts + mu * np.asarray(partial.T @ ratio.T).T


def fit_em(
    design: np.ndarray,
    counts: np.ndarray,
    partial: Any,
    partial_counts: np.ndarray,
    *,
    start: np.ndarray | None = None,
    max_iter: int = 2000,
    tol: float = 1e-10,
    newton_steps: int = 1,
    with_cov: bool = False,
    information: DesignInformation | None = None,
    on_progress: Callable[[float], object] | None = None,
) -> EMFits:
    """Fit a Poisson log-linear model by EM when part of the records are partially classified.

    Parameters
    ----------
    design
        ``(n, p)`` design over the observable rows.
    counts
        ``(n,)`` or ``(B, n)`` fully classified counts.
    partial
        ``(G, n)`` sparse 0/1 matrix: the rows each partially classified group is compatible with.
    partial_counts
        ``(G,)`` or ``(B, G)`` records in each group.
    start
        Starting coefficients (``(p,)`` or ``(B, p)``); default a fit to the
        table completed by spreading every group evenly.
    max_iter, tol
        EM iterations and the relative tolerance on the observed-data log-likelihood.
    newton_steps
        Newton steps per M-step.
    with_cov
        Return the inverse information of the completed table at the end.
    information
        The design's :class:`DesignInformation`, to reuse across calls.
    on_progress
        Told after each iteration the batch's mean fraction of the way to
        convergence (:func:`mse.loglinear.fit.irls.precision_reached`, 1 for a
        converged fit), for a progress bar; it does not change the fits.

    Returns
    -------
    EMFits
        Without partially classified records this is the ordinary Poisson fit
        (one M-step to convergence, no E-step).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> X = np.column_stack([np.ones(3), [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> none = sparse.csr_matrix((0, 3))
    >>> fit = fit_em(X, np.array([40.0, 30.0, 10.0]), none, np.zeros(0))
    >>> round(float(np.exp(fit.coef[0, 0])), 3)
    120.0
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    partial_counts = np.atleast_2d(np.asarray(partial_counts, dtype=float))
    batch = max(counts.shape[0], partial_counts.shape[0])
    counts = np.broadcast_to(counts, (batch, counts.shape[1]))
    info = information if information is not None else DesignInformation(design)
    if partial.shape[0] == 0 or not np.any(partial_counts > 0):
        fits = newton_fit(design, counts, start=start, with_cov=with_cov, information=info, on_progress=on_progress)
        return EMFits(
            fits.coef,
            fits.fitted,
            np.array(counts),
            fits.loglik,
            fits.converged,
            fits.boundary,
            np.zeros(batch, dtype=int),
            fits.cov,
        )
    partial_counts = np.broadcast_to(partial_counts, (batch, partial_counts.shape[1]))
    if start is None:
        filled = e_step(np.ones_like(counts), counts, partial, partial_counts)
        fits = newton_fit(design, filled, information=info, max_iter=50)
        coef = fits.coef
    else:
        coef = np.array(np.broadcast_to(np.asarray(start, dtype=float), (batch, design.shape[1])))
    mu = np.exp(np.minimum(coef @ design.T, MAX_ETA))
    loglik = observed_loglik(mu, counts, partial, partial_counts)
    filled = np.array(counts)
    converged = np.zeros(batch, dtype=bool)
    iterations = np.zeros(batch, dtype=int)
    boundary = np.zeros(batch, dtype=bool)
    active = np.arange(batch)
    reached = np.zeros(batch)
    for _ in range(max_iter):
        if active.size == 0:
            break
        checkpoint("running the EM algorithm")
        a_filled = e_step(mu[active], counts[active], partial, partial_counts[active])
        fits = newton_fit(design, a_filled, start=coef[active], max_iter=newton_steps, information=info)
        new_loglik = observed_loglik(fits.fitted, counts[active], partial, partial_counts[active])
        change = np.abs(new_loglik - loglik[active]) / (np.abs(new_loglik) + 1.0)
        filled[active], coef[active], mu[active] = a_filled, fits.coef, fits.fitted
        loglik[active], boundary[active] = new_loglik, fits.boundary
        iterations[active] += 1
        done = change < tol
        converged[active[done]] = True
        if on_progress is not None:
            reached[active] = np.maximum(reached[active], np.where(done, 1.0, precision_reached(change, tol)))
            on_progress(float(reached.mean()))
        active = active[~done]
    cov = None
    if with_cov:
        final = newton_fit(design, filled, start=coef, max_iter=1, with_cov=True, information=info)
        cov = final.cov
        boundary |= final.boundary
    return EMFits(coef, mu, filled, loglik, converged, boundary, iterations, cov)
