"""The table of closed-population models, like Rcapture's ``closedp.t``."""

from __future__ import annotations

import pandas as pd

from mse.closed.designs import MODELS, model_design
from mse.closed.fit import fit_closed_model
from mse.data.capture import CaptureData
from mse.errors import DataError

__all__ = ["closed_population_models"]


def closed_population_models(data: CaptureData) -> pd.DataFrame:
    """Fit M0, Mt, Mh and Mth (Chao LB, Poisson2, Darroch, Gamma 3.5), Mb and Mbh.

    Parameters
    ----------
    data
        Capture histories from at least two lists (covariates are collapsed).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model``, ``estimate``, ``se``, ``deviance``, ``df``,
        ``aic``, ``bic``, ``n_params`` and ``status``. A fit that fails its checks
        (no convergence, an estimate below the number observed, or an unreliable
        heterogeneity extrapolation; see :mod:`mse.closed.fit`) has ``nan``
        estimate and s.e. and the reason in ``status``; its deviance, df, AIC and
        BIC are still reported, since they describe the fit, not the estimate.

    Raises
    ------
    DataError
        If ``data`` is not a :class:`~mse.CaptureData`.

    References
    ----------
    Baillargeon, S. & Rivest, L.-P. (2007). Rcapture: loglinear models for capture–recapture
    in R. *Journal of Statistical Software* 19(5).

    Examples
    --------
    >>> import mse
    >>> table = mse.closed_population_models(mse.load_dataset("kosovo"))
    >>> table.set_index("model").loc["Mt", ["estimate", "df"]].round(1).tolist()
    [7394.6, 10.0]
    """
    if not isinstance(data, CaptureData):
        raise DataError(f"closed_population_models needs a mse.CaptureData, got {type(data).__name__}.")
    data = data.collapse_covariates()
    cells = data.dense_counts()[1:].astype(float)
    rows = []
    for name in MODELS:
        fit = fit_closed_model(model_design(name, data.n_lists, data.lists), cells)
        rows.append(
            {
                "model": name,
                "estimate": fit.estimate,
                "se": fit.se,
                "deviance": fit.deviance,
                "df": fit.df,
                "aic": fit.aic,
                "bic": fit.bic,
                "n_params": fit.n_params,
                "status": fit.status,
            }
        )
    return pd.DataFrame(rows)
