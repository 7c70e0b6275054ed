"""Fit one hierarchical log-linear model to a capture table.

The observable ``2**t - 1`` cell counts are modelled as independent Poisson
counts with ``log mu = X beta`` (Fienberg 1972; Bishop, Fienberg & Holland
1975). The intercept is the log of the expected number of people on no list,
so ``N = n + exp(beta_0)``.

Extended MLE and parameter counting
-----------------------------------
A term whose lists never appear together (zero observed margin) has its MLE at
minus infinity: the cells containing it are fitted at 0. Following Chan,
Silverman & Vincent (2021) such terms are fitted at minus infinity by dropping
those cells, and the remaining terms are fitted as usual. The residual degrees
of freedom are the cells kept minus the finite parameters. For AIC, BIC and
AICc, ``n_params`` counts *every* parameter of the model, including the ones at
minus infinity: this is what an ordinary GLM fit of the same model counts, and
it reproduces SparseMSE's adjusted AIC and Rcapture's model rankings.

Where the MLE does not exist for another reason (empty cells that a
combination of parameters can push to 0 although every term's lists are seen
together), the existence program of :mod:`mse.loglinear.fit.existence` finds the
cells fitted at 0 and the model is fitted on the other cells, the facial set,
with a basis of its columns there: this is the extended MLE in general
(Fienberg & Rinaldo 2012). ``N`` is reported when the facial set determines
the intercept, i.e. when the unobserved cell does not move with the diverging
parameters; otherwise the fit fails with a status that says so.

Information criteria follow the R packages: ``AIC = -2 log L + 2 p``,
``BIC = -2 log L + p log n`` and ``AICc = AIC + 2 p (p + 1) / (n - p - 1)``,
with ``L`` the Poisson likelihood of the observed cells, ``p`` the number of
parameters including the intercept and ``n`` the number of people observed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mse._readonly import CopyOnRead, ReadOnlyMapping
from mse.data.capture import CaptureData
from mse.loglinear.fit.existence import EstimabilityReport, model_estimability
from mse.loglinear.fit.irls import PoissonFits, fit_poisson
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.table import build_table, cell_histories
from mse.loglinear.model.terms import ModelSpec, Term, format_model, parse_model

__all__ = ["LoglinearFit", "ModelFit", "fit_model", "fitted_design", "information_criteria", "population_from_fits"]


def information_criteria(
    loglik: np.ndarray | float, n_params: np.ndarray | float, n_observed: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AIC, BIC and AICc (see the module notes for the conventions).

    Parameters
    ----------
    loglik
        Maximised log-likelihoods.
    n_params
        Numbers of parameters estimated.
    n_observed
        Numbers of people observed (the ``n`` of BIC and AICc).

    Returns
    -------
    aic, bic, aicc : numpy.ndarray
        Broadcast over the arguments; AICc is ``inf`` where ``n - p - 1 <= 0``.

    Examples
    --------
    >>> aic, bic, aicc = information_criteria(-10.0, 3, 100)
    >>> float(aic), round(float(bic), 4), float(aicc)  # 20 + 2 * 3, 20 + 3 log 100, aic + 2 * 3 * 4 / 96
    (26.0, 33.8155, 26.25)
    """
    loglik = np.asarray(loglik, dtype=float)
    p = np.asarray(n_params, dtype=float)
    n = np.asarray(n_observed, dtype=float)
    aic = -2.0 * loglik + 2.0 * p
    with np.errstate(divide="ignore", invalid="ignore"):
        bic = -2.0 * loglik + p * np.log(n)
        aicc = np.where(n - p - 1 > 0, aic + 2.0 * p * (p + 1) / (n - p - 1), np.inf)
    return aic, bic, aicc


def population_from_fits(fits: PoissonFits, n_observed: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``N = n + exp(beta_0)`` and its standard error for a batch of fits.

    The standard error is ``sqrt(m^2 var(beta_0) + m)`` with ``m = exp(beta_0)``
    the dark figure: the delta-method variance of the fitted dark figure plus
    the Poisson variance of the dark figure itself (Cormack 1989; the convention
    of Rcapture).

    Parameters
    ----------
    fits
        Poisson fits from :func:`mse.loglinear.fit.irls.fit_poisson`; column 0 of
        their design is the intercept.
    n_observed
        The number of people observed, one per fit or shared.

    Returns
    -------
    estimate, se : numpy.ndarray
        ``N`` and its standard error, one per fit.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.model.design import Design
    >>> from mse.loglinear.fit.irls import fit_poisson
    >>> data = mse.load_dataset("korea")
    >>> fits = fit_poisson(Design(data.n_lists, []).matrix, data.dense_counts()[1:].astype(float))
    >>> estimate, se = population_from_fits(fits, data.n_observed)
    >>> estimate.round(1), se.round(2)
    (array([142.]), array([6.3]))
    """
    with np.errstate(over="ignore", invalid="ignore"):
        dark = np.exp(fits.coef[:, 0])
        se = np.sqrt(dark**2 * fits.cov[:, 0, 0] + dark)
    return np.asarray(n_observed, dtype=float) + dark, se


@dataclass(frozen=True, kw_only=True)
class ModelFit:
    """What every fitted log-linear model reports, on the lists alone or on lists x covariates.

    The estimate of ``N`` is the number observed plus the fitted dark figure,
    the expected number of people on no list.

    Attributes
    ----------
    model : str
        The model in term syntax.
    terms : frozenset of tuple of int
        Its interaction terms over the factors (lists ``0 .. t-1``, then covariates).
    observed : int
        People observed.
    estimate, se : float
        ``N`` and its standard error.
    dark_figure : float
        The fitted number of people on no list.
    log_dark_se : float
        Standard error of the log of the dark figure (used by the Wald interval).
    deviance : float
        Poisson deviance of the fit.
    df, n_params : int
        Residual degrees of freedom and parameters of the model.
    loglik, aic, bic : float
        Maximised Poisson log-likelihood and the criteria (``AIC = -2 log L + 2 p``,
        ``BIC = -2 log L + p log n``).
    coef : mapping
        Estimated coefficients by name, in the order of :attr:`coef_names`.
    cov : ndarray or None
        Their covariance matrix (the inverse observed information), in the same order.
    fitted : ndarray
        Fitted means of the observable cells.
    status : str
        ``"ok"`` or why the estimate does not exist.

    Examples
    --------
    >>> import mse
    >>> fit = fit_model(mse.load_dataset("korea"), "independence")
    >>> isinstance(fit, ModelFit), fit.ok, fit.coef_names[:2]
    (True, True, ('(intercept)', 'b'))
    """

    model: str
    terms: frozenset[Term]
    observed: int
    estimate: float
    se: float
    dark_figure: float
    log_dark_se: float
    deviance: float
    df: int
    n_params: int
    loglik: float
    aic: float
    bic: float
    coef: Mapping[str, float]
    cov: np.ndarray | None = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    status: str

    @property
    def ok(self) -> bool:
        """Whether the estimate exists (``status == "ok"``)."""
        return self.status == "ok"

    @property
    def coef_names(self) -> tuple[str, ...]:
        """Names of the coefficients, in the order of :attr:`coefficients` and :attr:`cov`."""
        return tuple(self.coef)

    @property
    def coefficients(self) -> np.ndarray:
        """The coefficients as an array (read-only), in the order of :attr:`coef_names`."""
        values = np.array([self.coef[name] for name in self.coef], dtype=float)
        values.flags.writeable = False
        return values

    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors of :attr:`coefficients`: square roots of the diagonal of :attr:`cov`."""
        if self.cov is None:
            values = np.full(len(self.coef), np.nan)
        else:
            with np.errstate(invalid="ignore"):
                values = np.sqrt(np.diag(self.cov))
        values.flags.writeable = False
        return values

    def coef_table(self) -> pd.DataFrame:
        """One row per coefficient: ``estimate``, ``se`` and ``z`` (estimate / se), indexed by name.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import mse
        >>> from mse.loglinear.fit.model_fit import fit_model
        >>> fit_model(mse.load_dataset("korea"), "b:c").coef_table().round(3).loc["b:c"].tolist()
        [5.412, 0.611, 8.852]
        """
        estimate, se = self.coefficients, self.std_errors
        with np.errstate(divide="ignore", invalid="ignore"):
            z = estimate / se
        return pd.DataFrame({"estimate": estimate, "se": se, "z": z}, index=pd.Index(self.coef_names, name="term"))

    def details(self) -> dict[str, Any]:
        """Plain values for :attr:`mse.Estimate.details`.

        Returns
        -------
        dict
            The standard error, dark figure, deviance, criteria and coefficients.

        Examples
        --------
        >>> import mse
        >>> round(fit_model(mse.load_dataset("korea"), "independence").details()["deviance"], 2)
        138.55
        """
        return {
            "se": self.se,
            "dark_figure": self.dark_figure,
            "log_dark_se": self.log_dark_se,
            "deviance": self.deviance,
            "df": self.df,
            "n_params": self.n_params,
            "loglik": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "coef": dict(self.coef),
        }


@dataclass(frozen=True, kw_only=True)
class LoglinearFit(ModelFit):
    """A fitted hierarchical log-linear model of the lists (a :class:`ModelFit`).

    Attributes
    ----------
    model : str
        The model in term syntax.
    estimate, se : float
        ``N = n + exp(beta_0)`` and its standard error; ``nan`` when ``status`` is not ``"ok"``.
    dark_figure : float
        ``exp(beta_0)``.
    log_dark_se : float
        Standard error of ``beta_0`` (used by the Wald interval).
    deviance, df : float, int
        Poisson deviance over the cells kept and residual degrees of freedom.
    n_params : int
        Parameters of the model, including those fitted at minus infinity.
    n_params_finite : int
        Parameters actually estimated.
    loglik, aic, bic, aicc : float
    coef : mapping
        Finite coefficients by name (``"(intercept)"``, list names, ``"A:B"``,
        ...), in the order of :attr:`coef_names`; read-only.
    cov : ndarray or None
        Covariance matrix of the coefficients in ``coef`` (the inverse
        observed information, as ``cov_params()`` of a Poisson GLM), in the
        same order; ``None`` for fits made before it was kept.
    counts : ndarray
        Observed counts of the ``2**t - 1`` observable cells.
    fitted : ndarray
        Fitted means of the ``2**t - 1`` observable cells (0 where dropped).
    cells_used : ndarray of bool
        Cells kept by the extended MLE.
    infinite_terms : tuple of str
        Terms whose parameters are infinite in the extended MLE: terms whose
        lists never overlap, and the parameters a boundary MLE sends off
        (see ``diverging_terms``).
    zero_fitted_cells : tuple of str
        Empty cells the existence program fits at 0 (the MLE does not exist;
        the extended MLE fits the other cells).
    diverging_terms : dict of str to str
        For such a boundary MLE, each parameter the other cells do not
        determine and the way it runs off (``"-inf"``, ``"+inf"``, ``"inf"``),
        in this library's 0/1 coding (a term's column is 1 on the histories
        holding all its lists).
    status : str
        ``"ok"`` or why the estimate does not exist / cannot be trusted.
    estimability : EstimabilityReport
    count_adjustment : ndarray or None
        The frequency modification added to ``counts`` by the bias-reduced
        estimator (:func:`mse.loglinear.bias_corrected_fit`); ``None`` for the MLE.
    search : pandas.DataFrame or None
        The table of the model search that chose this model (one row per
        model considered), ``None`` when no search was made. Each read returns a copy.

    The fit is immutable: its arrays are read-only and ``coef`` cannot be
    changed. ``estimability`` is ``None`` for a fit read back by
    :func:`mse.load_result` (the existence program's working is not saved;
    its conclusions are in ``infinite_terms``, ``zero_fitted_cells`` and
    ``status``).

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.fit.model_fit import fit_model
    >>> fit = fit_model(mse.load_dataset("korea"), "independence")
    >>> fit.status, round(fit.estimate, 1), round(fit.deviance, 2), fit.df
    ('ok', 142.0, 138.55, 3)
    """

    lists: tuple[str, ...]
    n_params_finite: int
    aicc: float
    counts: np.ndarray = field(repr=False)
    cells_used: np.ndarray = field(repr=False)
    infinite_terms: tuple[str, ...]
    converged: bool
    iterations: int
    estimability: EstimabilityReport | None = field(repr=False, compare=False)
    zero_fitted_cells: tuple[str, ...] = ()
    diverging_terms: Mapping[str, str] = field(default_factory=dict)
    count_adjustment: np.ndarray | None = field(default=None, repr=False)
    search: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen fields are not enough: the arrays and mappings they hold are frozen too (see mse._readonly).
        for name in ("counts", "fitted", "cells_used", "count_adjustment", "cov"):
            value = getattr(self, name)
            if value is not None:
                array = np.array(value, dtype=bool if name == "cells_used" else float, copy=True)
                array.flags.writeable = False
                object.__setattr__(self, name, array)
        object.__setattr__(self, "coef", ReadOnlyMapping(self.coef))
        object.__setattr__(self, "diverging_terms", ReadOnlyMapping(self.diverging_terms))
        object.__setattr__(self, "infinite_terms", tuple(self.infinite_terms))
        object.__setattr__(self, "zero_fitted_cells", tuple(self.zero_fitted_cells))

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickled numpy arrays come back writeable: freeze them again.
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__post_init__()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LoglinearFit):
            return NotImplemented
        scalars = (
            "model", "terms", "lists", "observed", "df", "n_params", "n_params_finite", "infinite_terms",
            "status", "converged", "iterations", "zero_fitted_cells",
        )  # fmt: skip
        if any(getattr(self, name) != getattr(other, name) for name in scalars):
            return False
        if dict(self.diverging_terms) != dict(other.diverging_terms) or list(self.coef) != list(other.coef):
            return False
        numbers = ("estimate", "se", "dark_figure", "log_dark_se", "deviance", "loglik", "aic", "bic", "aicc")
        arrays = [(getattr(self, n), getattr(other, n)) for n in numbers]
        arrays += [(self.coefficients, other.coefficients)]
        arrays += [(getattr(self, n), getattr(other, n)) for n in ("counts", "fitted", "cells_used")]
        arrays += [(getattr(self, n), getattr(other, n)) for n in ("count_adjustment", "cov")]
        for mine, theirs in arrays:
            if (mine is None) != (theirs is None):
                return False
            if mine is not None and not np.array_equal(np.asarray(mine), np.asarray(theirs), equal_nan=True):
                return False
        return True


    # ------------------------------------------------------------------ residuals
    @property
    def pearson_residuals(self) -> np.ndarray:
        """``(y - mu) / sqrt(mu)`` per observable cell; ``nan`` where the extended MLE drops the cell."""
        return self._residuals()[0]

    @property
    def deviance_residuals(self) -> np.ndarray:
        """Signed square roots of each cell's contribution to the deviance; ``nan`` where the cell is dropped."""
        return self._residuals()[1]

    def _residuals(self) -> tuple[np.ndarray, np.ndarray]:
        observed, fitted, used = self.counts, self.fitted, self.cells_used
        with np.errstate(divide="ignore", invalid="ignore"):
            pearson = (observed - fitted) / np.sqrt(fitted)
            ratio = np.where(observed > 0, observed, 1.0) / fitted
            log_term = np.where(observed > 0, observed * np.log(ratio), 0.0)
            deviance = np.sign(observed - fitted) * np.sqrt(np.maximum(2.0 * (log_term - (observed - fitted)), 0.0))
        pearson, deviance = np.where(used, pearson, np.nan), np.where(used, deviance, np.nan)
        pearson.flags.writeable = False
        deviance.flags.writeable = False
        return pearson, deviance

    def details(self) -> dict[str, Any]:
        """Plain values for :attr:`mse.Estimate.details`: those of :meth:`ModelFit.details` and the fit's conclusions.

        Returns
        -------
        dict

        Examples
        --------
        >>> import mse
        >>> fit_model(mse.load_dataset("korea"), "independence").details()["estimator"]
        'maximum likelihood'
        """
        return {
            **super().details(),
            "n_params_finite": self.n_params_finite,
            "aicc": self.aicc,
            "infinite_terms": list(self.infinite_terms),
            "zero_fitted_cells": list(self.zero_fitted_cells),
            "diverging_terms": dict(self.diverging_terms),
            "iterations": self.iterations,
            "lists": list(self.lists),
            "cells": self.cells(),
            "bias_correction": self.count_adjustment is not None,
            "estimator": (
                "maximum likelihood"
                if self.count_adjustment is None
                else "bias-reduced (Rivest & Lévesque 2001 frequency modification)"
            ),
        }

    def cells(self) -> pd.DataFrame:
        """Observed and fitted count of every observable history (``used`` is False where the extended MLE drops it)."""
        histories = ["".join("1" if bit else "0" for bit in row) for row in cell_histories(len(self.lists))]
        frame = pd.DataFrame(
            {"history": histories, "observed": self.counts, "fitted": self.fitted, "used": self.cells_used}
        )
        if self.count_adjustment is not None:
            frame["adjustment"] = self.count_adjustment
        return frame


def fit_model(data: CaptureData, model: ModelSpec = "independence") -> LoglinearFit:
    """Fit a hierarchical log-linear model by Poisson maximum likelihood.

    Parameters
    ----------
    data
        The capture histories; covariates are summed out.
    model
        ``"independence"``, ``"all two-way"``, ``"A:B + B:C"``, ... (see :mod:`mse.loglinear.model.terms`).

    Returns
    -------
    LoglinearFit
        A fit whose ``status`` is ``"ok"``, or says why the estimate does not
        exist (not identifiable, MLE on the boundary with ``N`` not
        identifiable on the other cells, no convergence); then ``estimate``
        and ``se`` are ``nan``. Fit problems never raise. Where the MLE does
        not exist but ``N`` is identifiable on the facial set, ``estimate`` is
        the extended MLE and ``infinite_terms``, ``diverging_terms`` and
        ``zero_fitted_cells`` say which parameters are infinite and which
        cells are fitted at 0.

    Raises
    ------
    ModelError
        For a malformed model or unknown lists.

    References
    ----------
    Fienberg, S. E. (1972). The multiple recapture census for closed populations and
    incomplete 2^k contingency tables. *Biometrika* 59(3), 591–603.

    Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation for
    sparse capture data. *JASA* 116(535), 1297–1306.

    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.fit.model_fit import fit_model
    >>> fit = fit_model(mse.load_dataset("kosovo"), "independence")
    >>> round(fit.estimate, 1), round(fit.deviance, 3), fit.df
    (7394.6, 245.939, 10)
    """
    table = build_table(data, covariates=[])
    lists = table.lists
    terms = parse_model(model, lists)
    counts = table.counts
    design = Design(table, terms)
    full_columns = design.column_mask(terms)
    columns, cells = extended_masks(design, full_columns, counts)
    columns, cells = columns[0], cells[0]
    report = model_estimability(design, terms, counts, lists)
    face = report.face
    on_face = face is not None and not face.exists and report.extended_reason == "ok"
    if on_face:
        assert face is not None
        # the extended MLE: the facial set's cells and a basis of the model's columns on them
        kept_cells, kept_columns = np.flatnonzero(cells), np.flatnonzero(columns)
        cells = cells.copy()
        cells[kept_cells[face.zero_fitted]] = False
        columns = np.zeros_like(columns)
        columns[kept_columns[face.basis]] = True
    fits = fit_poisson(design.matrix, counts, column_mask=columns, cell_mask=cells)
    columns, cells = columns[None, :], cells[None, :]
    n = table.n_observed
    estimate, se = population_from_fits(fits, n)
    n_params = int(full_columns.sum())
    aic, bic, aicc = information_criteria(fits.loglik, n_params, n)
    status = report.extended_reason
    if status != "ok":
        pass
    elif not fits.converged[0]:
        status = f"the Newton iteration for model {format_model(terms, lists)!r} did not converge"
    elif fits.boundary[0]:
        status = f"the fit of model {format_model(terms, lists)!r} is on the boundary (information matrix singular)"
    names = design.column_names()
    kept = np.flatnonzero(columns[0])
    coef = {names[k]: float(fits.coef[0, k]) for k in kept}
    cov = fits.cov[0][np.ix_(kept, kept)]
    ok = status == "ok"
    return LoglinearFit(
        model=format_model(terms, lists),
        terms=terms,
        lists=lists,
        observed=n,
        estimate=float(estimate[0]) if ok else math.nan,
        se=float(se[0]) if ok else math.nan,
        dark_figure=float(np.exp(fits.coef[0, 0])) if ok else math.nan,
        log_dark_se=float(np.sqrt(fits.cov[0, 0, 0])) if ok else math.nan,
        deviance=float(fits.deviance[0]),
        df=int(fits.df[0]),
        n_params=n_params,
        n_params_finite=int(columns[0].sum()),
        loglik=float(fits.loglik[0]),
        aic=float(aic[0]),
        bic=float(bic[0]),
        aicc=float(aicc[0]),
        coef=coef,
        counts=counts,
        fitted=fits.fitted[0],
        cells_used=cells[0],
        infinite_terms=(*report.infinite_terms, *(report.diverging_terms if on_face else ())),
        status=status,
        converged=bool(fits.converged[0]),
        iterations=int(fits.iterations[0]),
        estimability=report,
        zero_fitted_cells=tuple(report.zero_fitted_cells) if on_face else (),
        diverging_terms=dict(report.diverging_terms) if on_face else {},
        cov=cov,
    )


def fitted_design(fit: LoglinearFit) -> tuple[Design, np.ndarray, np.ndarray]:
    """The design of a fit's model, the columns the fit estimates and the cells it fits.

    Refits of the same model (the profile likelihood, the bias-reduced
    estimate) use these: a term fitted at minus infinity has no finite
    coefficient and its cells are left out, and the extended MLE on a facial
    set keeps only the basis columns it estimated.

    Parameters
    ----------
    fit
        A fit from :func:`fit_model`.

    Returns
    -------
    design : Design
        The design of the model's terms over the observable cells.
    columns, cells : ndarray of bool
        The columns of the fit's finite coefficients and the cells it fits.

    Examples
    --------
    >>> import mse
    >>> design, columns, cells = fitted_design(fit_model(mse.load_dataset("korea"), "b:c"))
    >>> design.matrix.shape, int(columns.sum()), int(cells.sum())
    ((7, 5), 5, 7)
    """
    design = Design(len(fit.lists), fit.terms)
    columns = np.array([name in fit.coef for name in design.column_names(fit.lists)])
    return design, columns, np.asarray(fit.cells_used, dtype=bool)


# A DataFrame cannot be made read-only, so the search table is kept privately and
# handed out as a new copy on every read (as for mse.Estimate.strata).
setattr(LoglinearFit, "search", CopyOnRead("search"))  # noqa: B010
