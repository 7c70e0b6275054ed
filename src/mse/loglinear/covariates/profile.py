"""Profile-likelihood interval for ``N`` under a fixed log-linear model with covariates.

With covariates the people on no list fall in ``K`` unobserved cells, one per
complete covariate cell, of which only the sum ``N - n`` is implied by ``N``.
For a given ``N`` the observed data are therefore the observable rows, the
groups of partially classified records and one more group: the ``N - n``
unseen people, compatible with every unobserved cell. The multinomial
log-likelihood of ``N`` is

``log N! - sum_u log c_u! + sum_u c_u log(mu_u / N)``

over these units ``u`` (rows and groups, with ``mu_u`` the fitted mean of a
row or the sum over a group's rows), maximised over the model's coefficients
by the EM algorithm of :mod:`mse.loglinear.covariates.em` with the unseen
people as one more partially classified group. As the intercept makes the
fitted total equal ``N``, this is the Poisson observed-data log-likelihood
plus ``log N! + N - N log N``. The limits are found by
:func:`mse.loglinear.intervals.likelihood.likelihood_ratio_interval`, as for
the table of the lists alone (Cormack 1992). With only the main effects of
the covariates the covariates carry no information about ``N`` and the
interval is that of the lists alone.

The interval is that of the model as given: a model chosen by a search needs
the bootstrap that repeats the search (``interval="bca"``).

References
----------
Cormack, R. M. (1992). Interval estimation for mark–recapture studies of closed
populations. *Biometrics* 48(2), 567–576.

Zwane, E. N. & van der Heijden, P. G. M. (2007). *Statistics in Medicine* 26(5), 1069–1089.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.special import gammaln

from mse.loglinear.covariates.em import fit_em, observed_loglik
from mse.loglinear.covariates.model_fit import CovariateFit
from mse.loglinear.fit.irls import DesignInformation
from mse.loglinear.intervals.likelihood import IntervalResult, likelihood_ratio_interval

__all__ = ["covariate_profile_interval"]


def covariate_profile_interval(fit: CovariateFit, level: float = 0.95) -> IntervalResult:
    """Profile-likelihood interval for ``N`` under the model of ``fit`` (see the module notes).

    Parameters
    ----------
    fit
        A fitted model with covariates.
    level
        Coverage.

    Returns
    -------
    IntervalResult
        ``nan`` limits with a status when the fit failed; an infinite upper
        limit, with a status saying so, when the likelihood never falls below
        the cut-off. The profile maximum is in ``details``.

    References
    ----------
    Cormack (1992), in the references of this module.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.covariates.model_fit import fit_covariate_model
    >>> from mse.loglinear.model import Design, build_table
    >>> data = mse.load_dataset("spina_bifida_ethnicity")  # three lists, one covariate
    >>> table = build_table(data)
    >>> fit = fit_covariate_model(table, Design(table), frozenset())
    >>> result = covariate_profile_interval(fit)
    >>> bool(result.lower < fit.estimate < result.upper), result.status
    (True, 'ok')
    """
    if not fit.ok:
        return IntervalResult(math.nan, math.nan, f"no profile interval: {fit.status}")
    table = fit.table
    n = float(table.n_observed)
    # The observable rows, then the K unobserved cells; the unseen people are the last group.
    design = np.vstack([fit.design, fit.dark_design])
    counts = np.concatenate([table.counts, np.zeros(table.n_cells)])
    n_rows = table.n_rows
    dark_group = sparse.csr_matrix(
        (np.ones(table.n_cells), (np.zeros(table.n_cells, dtype=int), n_rows + np.arange(table.n_cells))),
        shape=(1, n_rows + table.n_cells),
    )
    groups = sparse.vstack(
        [sparse.hstack([table.partial, sparse.csr_matrix((table.partial.shape[0], table.n_cells))]), dark_group]
    ).tocsr()
    information = DesignInformation(design)
    start = [np.array(list(fit.coef.values()))]

    def loglik(big_n: float) -> float:
        group_counts = np.append(table.partial_counts, max(big_n - n, 0.0))
        em = fit_em(design, counts, groups, group_counts, start=start[0], information=information)
        if np.all(np.isfinite(em.coef[0])):
            start[0] = em.coef[0]  # the next N is close: start there
        poisson = float(observed_loglik(em.fitted, counts, groups, group_counts)[0])
        return poisson + float(gammaln(big_n + 1.0)) + big_n - big_n * math.log(big_n)

    result = likelihood_ratio_interval(loglik, n, fit.estimate, level)
    return IntervalResult(result.lower, result.upper, result.status, result.details())
