"""Goodness of fit of a log-linear model, and the influence of each capture history.

A log-linear estimate extrapolates from the observed cells to the unobserved
one; if the model does not fit the observed cells, there is little reason to
trust the extrapolation. Conversely a good fit is no proof: the all-zero cell
is never observed, and many models fit the observed cells equally well.

The statistics are read from the fit an :class:`~mse.Estimate` keeps
(``result.fit``), a saved and loaded one included, without refitting. The
influence of each history (the estimate refitted without its people) is one
batched solve over all histories (:func:`mse.loglinear.fit.batch.evaluate_models`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mse._readonly import CopyOnRead
from mse.data.capture import CaptureData
from mse.errors import ModelError

__all__ = ["GoodnessOfFit", "goodness_of_fit"]

_KEYS = ("model", "estimate", "deviance", "pearson", "df", "p_value", "pearson_p_value", "status", "cells")


@dataclass(frozen=True, eq=False)
class GoodnessOfFit(Mapping[str, Any]):
    """How well a log-linear model fits the observed cells; returned by :func:`goodness_of_fit`.

    It is also a read-only mapping with the keys of the dictionary
    ``goodness_of_fit`` used to return (``fit["deviance"]``, ``fit["cells"]``,
    ``dict(fit)``), so code written for that keeps working.

    Attributes
    ----------
    model : str
        The model in term syntax.
    estimate : float
        ``N`` under the model (``nan`` when it does not exist).
    deviance, pearson : float
        The deviance and Pearson's X² over the cells the fit uses.
    df : int
        Residual degrees of freedom.
    p_value, pearson_p_value : float
        Chi-squared tail probabilities of ``deviance`` and ``pearson`` on
        ``df`` degrees of freedom; ``nan`` when ``df`` is 0.
    status : str
        ``"ok"`` or why the model has no estimate.
    cells : pandas.DataFrame
        One row per observable history (see :func:`goodness_of_fit`); each read returns a copy.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("korea"), method="independence", interval="none")
    >>> gof = mse.goodness_of_fit(res)
    >>> gof.df, round(gof.deviance, 2), gof["df"] == gof.df
    (3, 138.55, True)
    """

    model: str
    estimate: float
    deviance: float
    pearson: float
    df: int
    p_value: float
    pearson_p_value: float
    status: str
    cells: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table of cells: one row per observable history, with residuals (and influence)."""
        return self.cells

    def __getitem__(self, key: str) -> Any:
        if key not in _KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GoodnessOfFit):
            return NotImplemented
        same = all(
            (a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
            for a, b in ((self[k], other[k]) for k in _KEYS if k != "cells")
        )
        return same and self.cells.equals(other.cells)

    __hash__ = None  # type: ignore[assignment]


# The table is kept privately and handed out as a copy on every read (see mse._readonly).
setattr(GoodnessOfFit, "cells", CopyOnRead("cells"))  # noqa: B010


def _fit_from(result: Any, model: Any) -> Any:
    from mse.loglinear.fit.model_fit import LoglinearFit, fit_model
    from mse.results import Estimate

    if isinstance(result, LoglinearFit):
        return _maximum_likelihood(result)
    if isinstance(result, CaptureData):
        return fit_model(result, "independence" if model is None else model)
    if isinstance(result, Estimate):
        if isinstance(result.fit, LoglinearFit):
            return _maximum_likelihood(result.fit)
        cells = result.details.get("cells")
        lists = result.details.get("lists")
        if cells is None or lists is None:
            raise ModelError(
                f"goodness_of_fit needs a log-linear result; method {result.method!r} has no fitted cells. "
                "Pass the data and a model instead: mse.goodness_of_fit(data, model='A:B + B:C')."
            )
        # A result without its fit (made by hand, or by another family that keeps cells): refit from the cells.
        observed = cells[cells["observed"] > 0]
        data = CaptureData.from_patterns(dict(zip(observed["history"], observed["observed"])), lists=lists)
        return fit_model(data, result.model or "independence")
    raise ModelError(
        f"goodness_of_fit takes a log-linear Estimate, a fitted model, or CaptureData with model=...; "
        f"got {type(result).__name__}."
    )


def _maximum_likelihood(fit: Any) -> Any:
    """The MLE behind ``fit``: a bias-reduced fit's fitted values are those of the modified counts."""
    if fit.count_adjustment is None:
        return fit
    from mse.loglinear.fit.model_fit import fit_model

    histories = fit.cells()["history"]
    present = fit.counts > 0
    data = CaptureData.from_patterns(
        dict(zip(histories[present], fit.counts[present].astype(np.int64))), lists=list(fit.lists)
    )
    return fit_model(data, fit.model)


def _estimates_without_each_history(fit: Any) -> np.ndarray:
    """``N`` refitted without the people of each observed history (``nan`` where it does not exist).

    One batched solve: row ``k`` is the table with cell ``k`` emptied, fitted
    with the extended MLE as a single model is (:func:`mse.loglinear.fit_model`).
    """
    from mse.loglinear.fit.batch import evaluate_models
    from mse.loglinear.model.design import Design

    counts = np.asarray(fit.counts, dtype=float)
    without = np.full(counts.size, np.nan)
    rows = np.flatnonzero(counts > 0)
    if rows.size <= 1:
        return without  # without its only history the table is empty
    tables = np.repeat(counts[None, :], rows.size, axis=0)
    tables[np.arange(rows.size), rows] = 0.0
    design = Design(len(fit.lists), fit.terms)
    batch = evaluate_models(design, design.column_mask(fit.terms), tables, extended=True)
    without[rows] = batch.estimate
    return without


def goodness_of_fit(result: Any, model: Any = None, *, influence: bool = True) -> GoodnessOfFit:
    """How well a log-linear model fits the observed cells, and which histories drive the estimate.

    Parameters
    ----------
    result
        An :class:`~mse.Estimate` from a log-linear method (``"independence"``,
        ``"loglinear"``, ``"stepwise"``, ``"aic"``, ``"bic"``, ``"bic_aic"``),
        also one read back by :func:`mse.load_result`; a fitted model; or a
        :class:`~mse.CaptureData` together with ``model``. A result's own fit
        is read, not refitted; for a bias-reduced result the statistics are
        those of the maximum-likelihood fit of the same model.
    model
        The model to fit when ``result`` is data (default: independence).
    influence
        Also refit the model without each observed history (its people removed
        from the data) and report the estimate without it.

    Returns
    -------
    GoodnessOfFit
        ``deviance``, ``pearson`` (Pearson's X²), ``df``, ``p_value`` (of the
        deviance on ``df`` degrees of freedom; ``nan`` when ``df`` is 0),
        ``pearson_p_value``, ``estimate``, ``model``, ``status``, and
        ``cells``: a DataFrame with one row per observable history
        (``history``, ``observed``, ``fitted``, ``used``,
        ``pearson_residual``, ``deviance_residual``, and with ``influence``
        also ``estimate_without`` and ``change``, the estimate without that
        history minus the estimate). Cells dropped by the extended MLE
        (fitted at 0) have no residuals. The fields read as keys too
        (``fit["deviance"]``), and ``to_frame()`` gives the cells.

    References
    ----------
    Bishop, Y. M. M., Fienberg, S. E. & Holland, P. W. (1975). *Discrete
    Multivariate Analysis*. MIT Press, chapter 6.

    Examples
    --------
    >>> import mse
    >>> fit = mse.goodness_of_fit(mse.load_dataset("kosovo"), model="independence", influence=False)
    >>> round(fit.deviance, 3), fit.df, fit["df"]
    (245.939, 10, 10)
    """
    from scipy.stats import chi2

    fit = _fit_from(result, model)
    cells = fit.cells()
    pearson, deviance = fit.pearson_residuals, fit.deviance_residuals
    cells["pearson_residual"] = pearson
    cells["deviance_residual"] = deviance
    pearson_statistic = float(np.nansum(pearson**2))
    df = int(fit.df)
    if influence:
        without = _estimates_without_each_history(fit)
        cells["estimate_without"] = without
        cells["change"] = without - fit.estimate
    return GoodnessOfFit(
        model=fit.model,
        estimate=fit.estimate,
        deviance=float(fit.deviance),
        pearson=pearson_statistic,
        df=df,
        p_value=float(chi2.sf(fit.deviance, df)) if df > 0 else math.nan,
        pearson_p_value=float(chi2.sf(pearson_statistic, df)) if df > 0 else math.nan,
        status=fit.status,
        cells=cells,
    )
