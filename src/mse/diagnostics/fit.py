"""Goodness of fit of a log-linear model, and the influence of each capture history.

A log-linear estimate extrapolates from the observed cells to the unobserved
one; if the model does not fit the observed cells, there is little reason to
trust the extrapolation. Conversely a good fit is no proof: the all-zero cell
is never observed, and many models fit the observed cells equally well.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mse.data.capture import CaptureData
from mse.errors import ModelError

__all__ = ["goodness_of_fit"]


def _fit_from(result: Any, model: Any) -> Any:
    from mse.loglinear.fit import LoglinearFit, fit_model
    from mse.results import Estimate

    if isinstance(result, LoglinearFit):
        return result
    if isinstance(result, CaptureData):
        return fit_model(result, "independence" if model is None else model)
    if isinstance(result, Estimate):
        cells = result.details.get("cells")
        lists = result.details.get("lists")
        if cells is None or lists is None:
            raise ModelError(
                f"goodness_of_fit needs a log-linear result; method {result.method!r} has no fitted cells. "
                "Pass the data and a model instead: mse.goodness_of_fit(data, model='A:B + B:C')."
            )
        observed = cells[cells["observed"] > 0]
        data = CaptureData.from_patterns(dict(zip(observed["history"], observed["observed"])), lists=lists)
        return fit_model(data, result.model or "independence")
    raise ModelError(
        f"goodness_of_fit takes a log-linear Estimate, a fitted model, or CaptureData with model=...; "
        f"got {type(result).__name__}."
    )


def _residuals(observed: np.ndarray, fitted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = (observed - fitted) / np.sqrt(fitted)
        log_term = np.where(observed > 0, observed * np.log(np.where(observed > 0, observed, 1.0) / fitted), 0.0)
        deviance = np.sign(observed - fitted) * np.sqrt(np.maximum(2.0 * (log_term - (observed - fitted)), 0.0))
    return pearson, deviance


def goodness_of_fit(result: Any, model: Any = None, *, influence: bool = True) -> dict[str, Any]:
    """How well a log-linear model fits the observed cells, and which histories drive the estimate.

    Parameters
    ----------
    result
        An :class:`~mse.Estimate` from a log-linear method (``"independence"``,
        ``"loglinear"``, ``"stepwise"``, ``"aic"``, ``"bic"``, ``"bic_aic"``),
        a fitted model, or a :class:`~mse.CaptureData` together with ``model``.
    model
        The model to fit when ``result`` is data (default: independence).
    influence
        Also refit the model without each observed history (its people removed
        from the data) and report the estimate without it.

    Returns
    -------
    dict
        ``deviance``, ``pearson`` (Pearson's X²), ``df``, ``p_value`` (of the
        deviance on ``df`` degrees of freedom; ``nan`` when ``df`` is 0),
        ``pearson_p_value``, ``estimate``, and ``cells``: a DataFrame with one
        row per observable history (``history``, ``observed``, ``fitted``,
        ``pearson_residual``, ``deviance_residual``, ``used``, and with
        ``influence`` also ``estimate_without`` and ``change``, the estimate
        without that history minus the estimate). Cells dropped by the
        extended MLE (fitted at 0) have no residuals.

    References
    ----------
    Bishop, Y. M. M., Fienberg, S. E. & Holland, P. W. (1975). *Discrete
    Multivariate Analysis*. MIT Press, chapter 6.

    Examples
    --------
    >>> import mse
    >>> fit = mse.goodness_of_fit(mse.load_dataset("kosovo"), model="independence", influence=False)
    >>> round(fit["deviance"], 3), fit["df"]
    (245.939, 10)
    """
    from scipy.stats import chi2

    from mse.loglinear.fit import fit_model

    fit = _fit_from(result, model)
    cells = fit.cells()
    used = cells["used"].to_numpy()
    observed = cells["observed"].to_numpy(dtype=float)
    fitted = cells["fitted"].to_numpy(dtype=float)
    pearson, deviance = _residuals(observed, fitted)
    cells["pearson_residual"] = np.where(used, pearson, np.nan)
    cells["deviance_residual"] = np.where(used, deviance, np.nan)
    pearson_statistic = float(np.nansum(np.where(used, pearson**2, 0.0)))
    df = int(fit.df)
    summary: dict[str, Any] = {
        "model": fit.model,
        "estimate": fit.estimate,
        "deviance": float(fit.deviance),
        "pearson": pearson_statistic,
        "df": df,
        "p_value": float(chi2.sf(fit.deviance, df)) if df > 0 else math.nan,
        "pearson_p_value": float(chi2.sf(pearson_statistic, df)) if df > 0 else math.nan,
        "status": fit.status,
    }
    if influence:
        lists = list(fit.lists)
        present = dict(zip(cells["history"][observed > 0], observed[observed > 0].astype(int)))
        without = np.full(len(cells), np.nan)
        for row, history in enumerate(cells["history"]):
            if observed[row] == 0 or len(present) == 1:
                continue
            rest = {h: c for h, c in present.items() if h != history}
            refit = fit_model(CaptureData.from_patterns(rest, lists=lists), fit.model)
            without[row] = refit.estimate
        cells["estimate_without"] = without
        cells["change"] = without - fit.estimate
    summary["cells"] = cells
    return summary
