"""Fit one log-linear model on a lists x covariates table.

The observable rows are independent Poisson counts with ``log mu = X beta``
(the design of :class:`mse.loglinear.covariates.CovariateDesign`); the dark
figure of covariate cell ``k`` is ``exp(x0_k beta)``, with ``x0_k`` the
design row of the all-zero history in that cell, and ``N`` is the number
observed plus the sum of the dark figures. With partially classified records
the fit is by EM (:mod:`mse.loglinear.em`).

Information criteria follow :mod:`mse.loglinear.fit`: ``AIC = -2 log L + 2 p``
and ``BIC = -2 log L + p log n``, with ``L`` the (observed-data) Poisson
likelihood of the observable rows, ``p`` the number of coefficients including
the intercept and ``n`` the number of people observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from mse.loglinear.covariates import CovariateDesign, CovariateTable
from mse.loglinear.em import e_step, fit_em
from mse.loglinear.irls import MAX_ETA
from mse.loglinear.terms import Term, format_covariate_model

__all__ = ["CovariateFit", "fit_covariate_model", "warm_start"]


@dataclass(frozen=True)
class CovariateFit:
    """A fitted log-linear model on lists x covariates.

    Attributes
    ----------
    model : str
        The model in term syntax (interaction terms; main effects are implied).
    terms : frozenset of tuple of int
        Interaction terms over factors (lists ``0..t-1``, covariates ``t..``).
    estimate : float
        ``N``; ``nan`` when ``status`` is not ``"ok"``.
    dark : ndarray, shape (K,)
        Estimated number on no list in each complete covariate cell.
    observed_cells : ndarray, shape (K,)
        People observed in each cell (partially classified records spread by EM).
    coef : ndarray
        Coefficients in the order of ``names``.
    fitted, filled : ndarray
        Fitted means and completed counts of the observable rows.
    loglik, aic, bic, deviance : float
        Deviance is that of the completed table.
    n_params, df : int
    em_iterations : int
        0 when nothing is missing.
    """

    model: str
    terms: frozenset[Term]
    table: CovariateTable = field(repr=False)
    names: list[str] = field(repr=False)
    design: np.ndarray = field(repr=False)
    dark_design: np.ndarray = field(repr=False)
    coef: np.ndarray = field(repr=False)
    cov: np.ndarray | None = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    filled: np.ndarray = field(repr=False)
    dark: np.ndarray = field(repr=False)
    observed_cells: np.ndarray = field(repr=False)
    estimate: float
    loglik: float
    aic: float
    bic: float
    deviance: float
    n_params: int
    df: int
    status: str
    boundary: bool
    em_iterations: int

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def observed(self) -> int:
        return self.table.n_observed

    @property
    def dark_figure(self) -> float:
        return float(self.dark.sum())

    def coefficients(self) -> dict[str, float]:
        return {name: float(value) for name, value in zip(self.names, self.coef)}

    def strata(self) -> pd.DataFrame:
        """One row per complete covariate cell: the covariates, ``observed`` and ``estimate``."""
        frame = self.table.cells.copy()
        frame["observed"] = self.observed_cells
        frame["estimate"] = self.observed_cells + self.dark
        return frame

    def wald(self, level: float) -> tuple[float, float]:
        """Log-normal interval for ``N`` from the delta-method variance of the fitted total dark figure ``D``.

        ``var(log D) = g' V g / D**2`` with ``g = sum_k d_k x0_k`` the gradient of ``D``
        and ``V`` the inverse information; ``N`` lies in ``n + D exp(+/- z se)``.
        Without covariates this is the Wald interval of :mod:`mse.loglinear.intervals`.
        """
        if not self.ok or self.cov is None or self.table.has_missing:
            return math.nan, math.nan
        gradient = self.dark @ self.dark_design
        variance = float(gradient @ self.cov @ gradient)
        if not math.isfinite(variance) or variance <= 0:
            return math.nan, math.nan
        se_log = math.sqrt(variance) / self.dark_figure
        z = norm.ppf(0.5 + level / 2.0)
        log_dark = math.log(self.dark_figure)
        return self.observed + math.exp(log_dark - z * se_log), self.observed + math.exp(log_dark + z * se_log)

    def details(self) -> dict[str, Any]:
        """Plain values for :attr:`mse.Estimate.details`."""
        se = math.nan
        if self.cov is not None and not self.table.has_missing:
            gradient = self.dark @ self.dark_design
            se = math.sqrt(max(float(gradient @ self.cov @ gradient) + self.dark_figure, 0.0))
        return {
            "se": se,
            "dark_figure": self.dark_figure,
            "deviance": self.deviance,
            "df": self.df,
            "n_params": self.n_params,
            "loglik": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "coef": self.coefficients(),
            "covariates": list(self.table.covariates),
            "em_iterations": self.em_iterations,
            "n_partially_classified": round(float(self.table.partial_counts.sum())),
            "boundary": self.boundary,
        }


def warm_start(names: list[str], previous: CovariateFit | None) -> np.ndarray | None:
    """Coefficients of ``previous`` placed at the columns of ``names`` (0 for new columns)."""
    if previous is None:
        return None
    known = previous.coefficients()
    return np.array([known.get(name, 0.0) for name in names])


def fit_covariate_model(
    table: CovariateTable,
    design: CovariateDesign,
    terms: frozenset[Term],
    *,
    start_from: CovariateFit | None = None,
    with_cov: bool = True,
) -> CovariateFit:
    """Fit a log-linear model with covariates by Poisson maximum likelihood (EM when values are missing).

    Parameters
    ----------
    table, design
        The lists x covariates table and its design.
    terms
        Interaction terms (see :func:`mse.loglinear.terms.parse_model` with ``covariates``).
    start_from
        A fit of a nearby model to start from.
    with_cov
        Compute the inverse information (for Wald intervals).

    Returns
    -------
    CovariateFit
        Fit problems never raise: ``status`` says why the estimate does not exist.

    References
    ----------
    van der Heijden, P. G. M., Whittaker, J., Cruyff, M., Bakker, B. & van der Vliet, R.
    (2012). *Annals of Applied Statistics* 6(3), 831–852.
    """
    X, X_dark, names, _owner = design.matrices(terms)
    fits = fit_em(
        X,
        table.counts,
        table.partial,
        table.partial_counts,
        start=warm_start(names, start_from),
        with_cov=with_cov,
    )
    coef = fits.coef[0]
    fitted = fits.fitted[0]

    if table.has_missing:
        filled = e_step(fits.fitted, table.counts[None, :], table.partial, table.partial_counts[None, :])[0]
    else:
        filled = np.asarray(table.counts, dtype=float)
    with np.errstate(over="ignore"):
        dark = np.exp(np.minimum(X_dark @ coef, MAX_ETA))
    n_params = X.shape[1]
    n = table.n_observed
    loglik = float(fits.loglik[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            filled > 0, filled * np.log(np.where(filled > 0, filled, 1.0) / np.where(fitted > 0, fitted, 1)), 0
        )
    deviance = float(2.0 * (ratio - (filled - fitted)).sum())
    status = "ok"
    model = format_covariate_model(terms, design.factors)
    if not fits.converged[0]:
        status = f"the fit of model {model!r} did not converge"
    elif not np.all(np.isfinite(dark)) or dark.sum() > 1e12:
        status = f"the dark figure under model {model!r} is not finite (the MLE does not exist)"
    elif with_cov and np.linalg.matrix_rank(X) < n_params:
        status = f"model {model!r} is not identifiable: its design has dependent columns"
    estimate = n + float(dark.sum()) if status == "ok" else math.nan
    return CovariateFit(
        model=model,
        terms=frozenset(terms),
        table=table,
        names=names,
        design=X,
        dark_design=X_dark,
        coef=coef,
        cov=None if fits.cov is None else fits.cov[0],
        fitted=fitted,
        filled=filled,
        dark=dark,
        observed_cells=table.cell_totals(filled),
        estimate=estimate,
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * n_params,
        bic=-2.0 * loglik + n_params * math.log(n),
        deviance=deviance,
        n_params=n_params,
        df=int(table.n_rows - n_params),
        status=status,
        boundary=bool(fits.boundary[0]),
        em_iterations=int(fits.iterations[0]),
    )
