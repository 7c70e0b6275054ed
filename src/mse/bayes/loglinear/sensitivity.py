"""Prior sensitivity of the Bayesian log-linear estimators: refit over a range of prior variances.

The interaction prior is the one choice in Silverman's (2020) analysis that
the data cannot overrule when lists overlap little; a table (and plot) of the
estimate against the prior scale shows how much the answer leans on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData
from mse.errors import ModelError

__all__ = ["plot_prior_sensitivity", "prior_sensitivity_loglinear"]

_METHODS = ("bayes_loglinear", "bayesthresh")


def prior_sensitivity_loglinear(
    data: CaptureData,
    prior_sds: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
    *,
    method: str = "bayes_loglinear",
    level: float = 0.95,
    random_seed: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Refit a Bayesian log-linear estimator for each prior standard deviation of the interactions.

    Parameters
    ----------
    data
        Capture histories.
    prior_sds
        Prior standard deviations of the interactions; ``math.inf`` stands for the flat prior.
    method
        ``"bayes_loglinear"`` (one model, ``model=`` option) or ``"bayesthresh"`` (thresholding redone at each
        prior scale, so the terms kept may change).
    level
        Coverage of the equal-tailed posterior intervals.
    random_seed
        The same seed is used for every refit, so differences between rows come from the prior.
    **options
        Passed to the estimator (``model``, ``threshold``, ``draws``, ``tune``, ``chains``, ...), except the prior.

    Returns
    -------
    pandas.DataFrame
        One row per prior scale: ``prior_sd``, ``prior_var``, ``estimate``, ``lower``, ``upper``, ``model``,
        ``rhat``, ``ess``, ``status``. A fit that fails is recorded in ``status`` (numbers ``nan``), not raised.

    Raises
    ------
    ModelError
        For an unknown method, an empty or non-positive list of scales, or prior options in ``options``.

    References
    ----------
    Silverman, B. W. (2020). Multiple-systems analysis for the quantification of modern slavery: classical and
    Bayesian approaches. *Journal of the Royal Statistical Society A* 183(3), 691–736 (section 6).

    Examples
    --------
    >>> import mse
    >>> from mse.bayes.loglinear import prior_sensitivity_loglinear
    >>> table = prior_sensitivity_loglinear(mse.load_dataset("kosovo"), [0.5, 1, 2], random_seed=1)  # doctest: +SKIP
    >>> list(table.columns[:5])  # doctest: +SKIP
    ['prior_sd', 'prior_var', 'estimate', 'lower', 'upper']
    """
    from mse.bayes.loglinear.estimators import bayes_loglinear, bayesthresh

    if method not in _METHODS:
        raise ModelError(f"method must be one of {list(_METHODS)}, got {method!r}.")
    clash = sorted({"prior", "prior_sd", "prior_var"} & set(options))
    if clash:
        raise ModelError(f"prior_sensitivity_loglinear sets the prior itself; remove {clash} (use prior_sds=).")
    scales = [float(s) for s in prior_sds]
    if not scales or any(not (s > 0) for s in scales):
        raise ModelError(
            f"prior_sds must be a non-empty sequence of positive numbers (inf for flat), got {prior_sds!r}."
        )
    estimator = bayes_loglinear if method == "bayes_loglinear" else bayesthresh
    rows = []
    for sd in scales:
        prior_options: dict[str, Any] = {"prior": "flat"} if math.isinf(sd) else {"prior_sd": sd}
        result = estimator(data, level=level, interval=None, random_seed=random_seed, **prior_options, **options)
        rows.append(
            {
                "prior_sd": sd,
                "prior_var": sd**2,
                "estimate": result.estimate,
                "lower": result.lower,
                "upper": result.upper,
                "model": result.model,
                "rhat": result.details.get("rhat", math.nan),
                "ess": result.details.get("ess_bulk", math.nan),
                "status": result.status,
            }
        )
    return pd.DataFrame(rows)


def plot_prior_sensitivity(table: pd.DataFrame, *, ax: Any = None, observed: int | None = None) -> Any:
    """Plot the estimate and interval against the prior standard deviation (log scale).

    Parameters
    ----------
    table
        The output of :func:`prior_sensitivity_loglinear`.
    ax
        Matplotlib Axes to draw on; a new figure's Axes by default.
    observed
        If given, a dashed line at the number observed (the lower bound of any estimate).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"prior_sd": [0.5, 1.0], "estimate": [10.0, 12.0], "lower": [8.0, 9.0],
    ...                       "upper": [13.0, 16.0]})
    >>> ax = plot_prior_sensitivity(table)
    >>> ax.get_xlabel()
    'prior standard deviation of the interactions'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    finite = table[np.isfinite(table["prior_sd"].to_numpy(dtype=float))]
    estimate = finite["estimate"].to_numpy(dtype=float)
    error = np.vstack(
        [estimate - finite["lower"].to_numpy(dtype=float), finite["upper"].to_numpy(dtype=float) - estimate]
    )
    ax.errorbar(finite["prior_sd"], estimate, yerr=error, fmt="o", capsize=3, label="posterior median and interval")
    flat = table[~np.isfinite(table["prior_sd"].to_numpy(dtype=float))]
    if len(flat):
        row = flat.iloc[0]
        ax.axhspan(row["lower"], row["upper"], color="0.9", zorder=0, label="flat prior interval")
        ax.axhline(row["estimate"], color="0.5", lw=1)
    if observed is not None:
        ax.axhline(observed, color="k", ls="--", lw=1, label="observed")
    ax.set_xscale("log")
    ax.set_xlabel("prior standard deviation of the interactions")
    ax.set_ylabel("population size N")
    ax.legend(fontsize="small")
    return ax
