"""Convergence diagnostics for the Bayesian methods, via ArviZ (imported on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mse.bayes import backend
from mse.bayes.backend import foreign_calls, import_arviz
from mse.errors import ModelError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mse.results import Estimate

__all__ = ["mcmc_diagnostics", "plot_rank", "plot_trace"]


def _idata(result: Estimate) -> Any:
    if getattr(result, "idata", None) is None:
        raise ModelError(
            f"the {result.method!r} result holds no posterior samples; MCMC diagnostics apply to 'lcmcr', "
            "'bayes_loglinear' and 'bayesthresh' (dga is computed exactly, without sampling)."
        )
    return result.idata


def mcmc_diagnostics(result: Estimate, var_names: list[str] | None = None) -> pd.DataFrame:
    """R-hat, effective sample sizes and Monte Carlo errors of a Bayesian result.

    Parameters
    ----------
    result
        An estimate from a sampled Bayesian method (``"lcmcr"``,
        ``"bayes_loglinear"``, ``"bayesthresh"``).
    var_names
        Variables to report (default: every scalar variable of the posterior,
        ``N`` first). For the latent-class model these include ``n_classes``,
        the number of occupied classes.

    Returns
    -------
    pandas.DataFrame
        One row per variable: ``mean``, ``sd``, ``r_hat``, ``ess_bulk``,
        ``ess_tail``, ``mcse_mean``, and ``converged`` (by the rule every sampler
        applies, :data:`mse.bayes.backend.CONVERGENCE`: R-hat at most 1.01
        and bulk ESS at least 400, the thresholds of Vehtari et al. 2021).

    References
    ----------
    Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. & Bürkner, P.-C. (2021).
    Rank-normalization, folding, and localization: an improved R-hat for
    assessing convergence of MCMC. *Bayesian Analysis*, 16(2), 667-718.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=1)  # doctest: +SKIP
    >>> table = mse.mcmc_diagnostics(res)  # doctest: +SKIP
    >>> list(table.columns)  # doctest: +SKIP
    ['variable', 'mean', 'sd', 'r_hat', 'ess_bulk', 'ess_tail', 'mcse_mean', 'converged']
    """
    az = import_arviz()
    idata = _idata(result)
    posterior = idata.posterior
    if var_names is None:
        scalar = [name for name, values in posterior.data_vars.items() if values.ndim == 2]
        var_names = (["N"] if "N" in scalar else []) + [name for name in scalar if name != "N"]
    with foreign_calls():
        # Chains that never move make ArviZ divide by zero; the NaN it returns marks the row not converged.
        summary: pd.DataFrame = az.summary(idata, var_names=var_names, kind="all", round_to="none")  # type: ignore[assignment]
    table = summary[["mean", "sd", "r_hat", "ess_bulk", "ess_tail", "mcse_mean"]].copy()
    table["converged"] = backend.CONVERGENCE.converged_where(table["r_hat"], table["ess_bulk"])
    table.index.name = "variable"
    return table.reset_index()


def plot_trace(result: Estimate, var_names: list[str] | None = None, **kwargs: Any) -> Any:
    """Trace plots of the posterior (ArviZ's ``plot_trace``); returns its Axes array.

    ArviZ draws a grid of Axes (a density and a trace per variable), so this
    function makes its own figure rather than drawing on one ``ax``.

    Parameters
    ----------
    result
        A sampled Bayesian estimate, as for :func:`mcmc_diagnostics`.
    var_names
        Variables to plot (default ``["N"]``).
    **kwargs
        Passed to :func:`arviz.plot_trace`.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The Axes ArviZ drew, one row per variable.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=1)  # doctest: +SKIP
    >>> axes = mse.diagnostics.plot_trace(res)  # doctest: +SKIP
    >>> axes.shape  # doctest: +SKIP
    (1, 2)
    """
    az = import_arviz()
    with foreign_calls():
        # What ArviZ and matplotlib say while drawing (its API plans, a density of a constant chain) is about
        # the picture, not the result; convergence is reported by the estimate and mcmc_diagnostics.
        axes = az.plot_trace(_idata(result), var_names=var_names or ["N"], **kwargs)
    from matplotlib.ticker import MaxNLocator

    # A discrete N gets one histogram bar, and from ArviZ one tick label, per value: keep a few.
    for ax in np.ravel(axes):
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    return axes


def plot_rank(result: Estimate, var_names: list[str] | None = None, ax: Axes | None = None, **kwargs: Any) -> Any:
    """Rank plots of the chains (Vehtari et al. 2021): uniform bars mean the chains agree.

    Parameters
    ----------
    result, var_names
        As for :func:`plot_trace`.
    ax
        Axes to draw on (one per variable); ArviZ makes a figure by default.
    **kwargs
        Passed to :func:`arviz.plot_rank`.

    Returns
    -------
    matplotlib.axes.Axes or numpy.ndarray of them
        The Axes drawn on.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=1)  # doctest: +SKIP
    >>> figure, ax = plt.subplots()  # doctest: +SKIP
    >>> ax = mse.diagnostics.plot_rank(res, ax=ax)  # doctest: +SKIP
    """
    az = import_arviz()
    with foreign_calls():
        # As in plot_trace: warnings raised while drawing concern the picture only.
        return az.plot_rank(_idata(result), var_names=var_names or ["N"], ax=ax, **kwargs)
