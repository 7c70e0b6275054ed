"""Fit one log-linear model on a lists x covariates table.

The observable rows are independent Poisson counts with ``log mu = X beta``
(the design of :class:`mse.loglinear.model.design.Design`); the dark
figure of covariate cell ``k`` is ``exp(x0_k beta)``, with ``x0_k`` the
design row of the all-zero history in that cell, and ``N`` is the number
observed plus the sum of the dark figures. With partially classified records
the fit is by EM (:mod:`mse.loglinear.covariates.em`).

Information criteria follow :mod:`mse.loglinear.fit.model_fit`: ``AIC = -2 log L + 2 p``
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

from mse.loglinear.covariates.em import e_step, fit_em
from mse.loglinear.fit.irls import MAX_ETA
from mse.loglinear.fit.model_fit import ModelFit, information_criteria
from mse.loglinear.model.design import Design
from mse.loglinear.model.table import CaptureTable
from mse.loglinear.model.terms import Term, format_covariate_model

__all__ = ["CovariateFit", "fit_covariate_model", "warm_start"]


@dataclass(frozen=True, kw_only=True)
class CovariateFit(ModelFit):
    """A fitted log-linear model on lists x covariates (a :class:`~mse.loglinear.fit.model_fit.ModelFit`).

    The standard errors (``se``, ``log_dark_se``) are ``nan`` when some
    records lack covariate values: the information of the completed table is
    not that of the observed one.

    Attributes
    ----------
    table : CaptureTable
        The lists x covariates table fitted.
    design, dark_design : ndarray
        The model's design over the observable rows and over the unobserved
        history of every complete covariate cell.
    dark : ndarray, shape (K,)
        Estimated number on no list in each complete covariate cell.
    observed_cells : ndarray, shape (K,)
        People observed in each cell (partially classified records spread by EM).
    filled : ndarray
        Completed counts of the observable rows (the deviance is that of the completed table).
    boundary : bool
        Some coefficient diverges.
    em_iterations : int
        0 when nothing is missing.
    """

    table: CaptureTable = field(repr=False)
    design: np.ndarray = field(repr=False)
    dark_design: np.ndarray = field(repr=False)
    filled: np.ndarray = field(repr=False)
    dark: np.ndarray = field(repr=False)
    observed_cells: np.ndarray = field(repr=False)
    boundary: bool
    em_iterations: int

    def strata(self) -> pd.DataFrame:
        """One row per complete covariate cell: the covariates, ``observed``, ``allocated`` and ``estimate``.

        ``observed`` counts the people seen whose covariate values are all
        known (whole people); ``allocated`` is the expected number of people
        with missing values that EM places in the cell (0 without missing
        values); ``estimate`` adds the cell's dark figure to both.
        """
        frame = self.table.cells.copy()
        known = self.table.cell_totals(self.table.counts)
        frame["observed"] = np.rint(known).astype(np.int64)
        frame["allocated"] = self.observed_cells - known
        frame["estimate"] = self.observed_cells + self.dark
        return frame

    def details(self) -> dict[str, Any]:
        """Plain values for :attr:`mse.Estimate.details`."""
        return {
            **super().details(),
            "covariates": list(self.table.covariates),
            "em_iterations": self.em_iterations,
            "n_partially_classified": round(float(self.table.partial_counts.sum())),
            "boundary": self.boundary,
        }


def warm_start(names: list[str], previous: CovariateFit | None) -> np.ndarray | None:
    """Coefficients of ``previous`` placed at the columns of ``names`` (0 for new columns)."""
    if previous is None:
        return None
    return np.array([previous.coef.get(name, 0.0) for name in names])


def _dark_figure_errors(
    dark: np.ndarray, dark_design: np.ndarray, cov: np.ndarray | None, table: CaptureTable
) -> tuple[float, float]:
    """Standard errors of ``N`` and of the log of the total dark figure ``D`` (delta method).

    ``var(D) = g' V g`` with ``g = sum_k d_k x0_k`` the gradient of ``D`` and ``V``
    the inverse information; ``N`` adds the Poisson variance ``D`` of the dark
    figure itself. Without covariates these are the errors of
    :func:`mse.loglinear.fit.model_fit.population_from_fits`.
    """
    if cov is None or table.has_missing:
        return math.nan, math.nan
    gradient = dark @ dark_design
    variance = float(gradient @ cov @ gradient)
    total = float(dark.sum())
    se = math.sqrt(max(variance + total, 0.0))
    if not math.isfinite(variance) or variance <= 0:
        return se, math.nan
    return se, math.sqrt(variance) / total


def fit_covariate_model(
    table: CaptureTable,
    design: Design,
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
        Interaction terms (see :func:`mse.loglinear.model.terms.parse_model` with ``covariates``).
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
    model = format_covariate_model(terms, table.factors)
    if not fits.converged[0]:
        status = f"the fit of model {model!r} did not converge"
    elif not np.all(np.isfinite(dark)) or dark.sum() > 1e12:
        status = f"the dark figure under model {model!r} is not finite (the MLE does not exist)"
    elif with_cov and np.linalg.matrix_rank(X) < n_params:
        status = f"model {model!r} is not identifiable: its design has dependent columns"
    estimate = n + float(dark.sum()) if status == "ok" else math.nan
    cov = None if fits.cov is None else fits.cov[0]
    se, log_dark_se = _dark_figure_errors(dark, X_dark, cov, table)
    aic, bic, _aicc = information_criteria(loglik, n_params, n)
    return CovariateFit(
        model=model,
        terms=frozenset(terms),
        observed=n,
        estimate=estimate,
        se=se,
        dark_figure=float(dark.sum()),
        log_dark_se=log_dark_se,
        deviance=deviance,
        df=int(table.n_rows - n_params),
        n_params=n_params,
        loglik=loglik,
        aic=float(aic),
        bic=float(bic),
        coef=dict(zip(names, coef.tolist())),
        cov=cov,
        fitted=fitted,
        status=status,
        table=table,
        design=X,
        dark_design=X_dark,
        filled=filled,
        dark=dark,
        observed_cells=table.cell_totals(filled),
        boundary=bool(fits.boundary[0]),
        em_iterations=int(fits.iterations[0]),
    )
