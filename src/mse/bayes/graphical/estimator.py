"""``mse.estimate(data, method="dga")``: Bayesian model averaging over decomposable graphs.

Madigan & York (1997) average the population size over every decomposable
graphical model of the lists, each with a hyper-Dirichlet prior on the cell
probabilities (Dawid & Lauritzen, 1993). Marginal likelihoods are in closed
form, so the joint posterior of (graph, N) is computed exactly on a grid of
N, without sampling. This is the model behind R's dga package, extended here
from 5 to 7 lists.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mse.bayes.backend import sampler_options
from mse.bayes.graphical.graphs import MAX_LISTS, DecomposableGraphs, decomposable_graphs
from mse.bayes.graphical.marginal import subset_statistics
from mse.bayes.graphical.posterior import MAX_TAIL_MASS, GridPosterior, grid_posterior, make_prior
from mse.bayes.modes import describe_modes, find_modes, modes_frame
from mse.data.capture import CaptureData
from mse.errors import ConvergenceWarning, DataError, ModelError, MultimodalityWarning, warn
from mse.results import Estimate

__all__ = ["DEFAULT_DRAWS", "MAX_OBSERVED", "dga", "fit_dga"]

#: Most people observed: the grid of N ends at 10**12, and must reach a thousand times beyond n.
MAX_OBSERVED = 10**9

#: Number of posterior draws of N returned in ``Estimate.draws``.
DEFAULT_DRAWS = 4000

#: Graph-table rows are listed in full up to this many graphs; beyond, only those above TABLE_MIN_PROBABILITY.
TABLE_ALL_GRAPHS = 20_000
TABLE_MIN_PROBABILITY = 1e-12

_OPTIONS = ("delta", "prior", "prior_params", "max_n", "draws", "max_points")


def _check_data(data: CaptureData) -> CaptureData:
    if not isinstance(data, CaptureData):
        raise DataError(f"dga needs a mse.CaptureData, got {type(data).__name__}.")
    if data.covariates:
        data = data.collapse_covariates()
    if data.n_lists > MAX_LISTS:
        raise ModelError(
            f"dga averages over every decomposable graph, which is feasible for at most {MAX_LISTS} lists "
            f"(617,675 graphs); these data have {data.n_lists} lists. Merge related lists first, for example "
            "data.merge_lists(['A', 'B']), or drop lists with data.drop_lists([...])."
        )
    if data.n_lists < 2:
        raise ModelError("dga needs at least two lists.")
    if data.n_observed > MAX_OBSERVED:
        raise ModelError(
            f"dga sums its posterior in double precision over N up to 10**12, which leaves too little room above "
            f"{data.n_observed:,} people observed (at most {MAX_OBSERVED:,}); the log-gamma terms also lose "
            "precision there. Use a log-linear method (method='bic' or 'stepwise'), or estimate a smaller "
            "population, for example by region."
        )
    return data


def _check_number(name: str, value: Any, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ModelError(f"{name} must be a positive number, got {value!r}.")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ModelError(f"{name} must be a positive finite number, got {value!r}.")
    if integer and float(value) != int(value):
        raise ModelError(f"{name} must be a whole number, got {value!r}.")
    return float(value)


def _graph_table(graphs: DecomposableGraphs, posterior: GridPosterior, names: tuple[str, ...]) -> pd.DataFrame:
    probability = posterior.graph_probability
    order = np.argsort(-probability, kind="stable")
    if graphs.n_graphs > TABLE_ALL_GRAPHS:
        order = order[probability[order] >= TABLE_MIN_PROBABILITY]
    return pd.DataFrame(
        {
            "graph": graphs.all_terms(names, order),
            "probability": probability[order],
            "mean_N": posterior.graph_mean[order],
        }
    )


def fit_dga(
    data: CaptureData,
    *,
    delta: float | None = None,
    prior: str = "1/N",
    prior_params: Mapping[str, Any] | None = None,
    max_n: int | None = None,
    max_points: int = 20_000,
    level: float = 0.95,
) -> tuple[GridPosterior, DecomposableGraphs, float]:
    """The exact posterior of (graph, N) on a grid; the numerical core of :func:`dga`.

    The grid is refined until the median and the limits of the ``level``
    interval are settled.

    Parameters
    ----------
    data
        Capture histories from 2 to 7 lists.
    delta, prior, prior_params, max_n, max_points
        As the options of :func:`dga` (``delta`` defaults to ``2**-t``).
    level
        Probability of the equal-tailed interval whose limits the grid settles.

    Returns
    -------
    posterior : GridPosterior
        The posterior of ``N`` on the grid, and of the graphs.
    graphs : DecomposableGraphs
        The graphs enumerated, in the order of the posterior's graph arrays.
    delta : float
        The hyper-Dirichlet weight used.

    Examples
    --------
    >>> import mse
    >>> from mse.bayes.graphical import fit_dga
    >>> posterior, graphs, delta = fit_dga(mse.load_dataset("korea"))
    >>> len(graphs.edges), delta, round(float(posterior.probability.sum()), 6)
    (8, 0.125, 1.0)
    """
    data = _check_data(data)
    t = data.n_lists
    delta = 2.0**-t if delta is None else _check_number("delta", delta)
    prior_on_n = make_prior(prior, prior_params)
    if max_n is not None:
        max_n = int(_check_number("max_n", max_n, integer=True))
        if max_n < data.n_observed:
            raise ModelError(f"max_n ({max_n}) is below the number of people observed ({data.n_observed}).")
    max_points = int(_check_number("max_points", max_points, integer=True))
    codes = np.asarray(data.histories, dtype=np.int64) @ (1 << np.arange(t, dtype=np.int64))
    stats = subset_statistics(codes, data.counts, t, delta)
    graphs = decomposable_graphs(t)
    tail = (1.0 - level) / 2.0
    posterior = grid_posterior(
        graphs.coefficients, stats, prior_on_n, max_n=max_n, max_points=max_points, quantiles=(tail, 0.5, 1.0 - tail)
    )
    return posterior, graphs, delta


def dga(
    data: CaptureData,
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    **options: Any,
) -> Estimate:
    """Population size by Bayesian model averaging over decomposable graphical models.

    Every decomposable graph on the ``t`` lists (8, 61, 822, 18,154 and 617,675
    graphs for 3 to 7 lists) is a log-linear model of list dependence. Each
    gets a hyper-Dirichlet prior on its cell probabilities (Dawid & Lauritzen,
    1993) in which every cell of the complete ``2**t`` table has Dirichlet
    weight ``delta``; its marginal likelihood is then in closed form (Madigan
    & York, 1997). The graphs are equally likely a priori. The joint posterior
    of (graph, ``N``) is computed exactly on a grid of ``N`` that grows until
    the posterior mass beyond it is below 1e-10, so there is no Monte Carlo
    error in the estimate or the interval.

    Parameters
    ----------
    data
        Capture histories from 2 to 7 lists; covariates are summed over.
    level
        Probability of the equal-tailed posterior interval.
    interval
        ``None`` or ``"posterior"`` (the only interval this method has).
    random_seed
        Seed for ``draws``, the only random output.
    **options
        The options of :class:`mse.methods.DGA`, where each is documented
        with its default: ``delta``, ``prior``, ``prior_params``, ``max_n``,
        ``draws`` (the former name ``n_draws`` still works, with an
        :class:`~mse.MSEDeprecationWarning`) and ``max_points``.

    Returns
    -------
    Estimate
        ``estimate`` is the posterior median of ``N``; ``lower``/``upper`` the
        equal-tailed interval; ``draws`` are ``draws`` draws from the exact
        grid posterior. ``details`` holds ``graphs`` (a DataFrame: ``graph``
        in term syntax, posterior ``probability``, ``mean_N`` = posterior mean
        of ``N`` given the graph, most probable first; with more than 20,000
        graphs only those above 1e-12), ``posterior_mean``, ``posterior`` (a
        DataFrame of the grid: ``N``, ``lower``, ``upper``, ``probability``),
        ``delta``, ``prior``, ``prior_params``, ``n_graphs``, ``tail_mass``,
        ``grid_max``, ``grid_nodes`` (points where the density was computed
        exactly) and ``modes`` (a DataFrame: ``N`` at each separated mode of
        the posterior, the ``lower`` and ``upper`` ends of its region and its
        ``share`` of the mass; one row for a unimodal posterior).
        The status is not ``"ok"`` when the posterior is improper: a flat
        prior with ``delta <= 1 / (2**t - 1)`` leaves the saturated graph's
        posterior of ``N`` without a finite total (set ``max_n`` or use a
        larger ``delta`` or another prior).

    Raises
    ------
    ModelError
        For more than 7 lists, more than 10**9 people observed, unknown
        options or invalid values.

    Warns
    -----
    MultimodalityWarning
        When the posterior of ``N`` has separated modes (typically graphs
        that place ``N`` far apart); the message names each mode and its
        share of the mass.
    ConvergenceWarning
        When ``max_points`` nodes were not enough to settle the median and
        limits (the status then says so too).

    Notes
    -----
    ``posterior_mean`` is the mean over the grid. Under the default prior the
    saturated graph's posterior density of ``N`` falls only like
    ``N**(-1 - delta (2**t - 1))``, so the mean of the untruncated posterior
    may not exist even when its weight is tiny; the median and interval do not
    have this problem.

    References
    ----------
    Madigan, D. and York, J. C. (1997). Bayesian methods for estimation of the
    size of a closed population. *Biometrika* 84(1), 19-31.

    Dawid, A. P. and Lauritzen, S. L. (1993). Hyper Markov laws in the
    statistical analysis of decomposable graphical models. *Annals of
    Statistics* 21(3), 1272-1317.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="dga", random_seed=1)
    >>> round(res.estimate), round(res.lower), round(res.upper)
    (12595, 9827, 16544)
    >>> res.details["graphs"].head(2)
                              graph  probability        mean_N
    0  EXH:ABA:OSCE + EXH:OSCE:HRW     0.985...  ...
    1      EXH:ABA:OSCE + OSCE:HRW     0.010...  ...
    """
    given_as = "n_draws" if "n_draws" in options else "draws"
    options = sampler_options(options, "dga")
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ModelError(f"unknown option(s) {unknown} for method 'dga'; valid options are {list(_OPTIONS)}.")
    if interval not in (None, "posterior"):
        raise ModelError(f"method 'dga' gives only the posterior interval (interval='posterior'), got {interval!r}.")
    data = _check_data(data)
    n_draws = int(_check_number(given_as, options.get("draws", DEFAULT_DRAWS), integer=True))
    prior = options.get("prior", "1/N")
    prior_params = options.get("prior_params")
    posterior, graphs, delta = fit_dga(
        data,
        delta=options.get("delta"),
        prior=prior,
        prior_params=prior_params,
        max_n=options.get("max_n"),
        max_points=options.get("max_points", 20_000),
        level=level,
    )
    t = data.n_lists
    model = f"average over {graphs.n_graphs:,} decomposable graphs"
    details: dict[str, Any] = {
        "delta": delta,
        "prior": prior,
        "prior_params": dict(prior_params or {}),
        "n_graphs": graphs.n_graphs,
        "tail_mass": posterior.tail_mass,
        "grid_max": float(posterior.population[-1]),
    }
    failed = functools.partial(
        Estimate.failed,
        method="dga",
        observed=data.n_observed,
        level=level,
        model=model,
        interval_method="posterior",
        details=details,
    )
    if posterior.improper:
        return failed(
            status=(
                f"the posterior of N is improper: with prior {prior!r} and delta={delta:g} the saturated graph "
                f"leaves infinite mass at large N (needs delta > 1/(2**t - 1) = {1 / (2**t - 1):.4g} for a flat "
                "prior); set max_n to truncate the prior, use a larger delta, or use prior='1/N'."
            ),
        )
    if posterior.tail_mass > MAX_TAIL_MASS:
        return failed(
            status=(
                f"the posterior of N has mass {posterior.tail_mass:.2g} beyond N = {posterior.population[-1]:.3g}; "
                "it is too heavy-tailed to summarise. Use a larger delta, or set max_n to truncate the prior."
            ),
        )
    median, lower, upper = posterior.interval(level)
    table = _graph_table(graphs, posterior, data.lists)
    modes = find_modes(posterior.population, posterior.probability)
    messages: list[str] = []
    status = "ok"
    if len(modes) > 1:
        messages.append(describe_modes("dga", modes))
        warn(messages[-1], MultimodalityWarning)
    if not posterior.resolved:
        status = (
            f"the grid of N was not refined enough to settle the median and limits: {posterior.n_nodes} nodes "
            "reached the limit set by max_points; rerun with a larger max_points"
        )
        messages.append(f"dga: {status}.")
        warn(messages[-1], ConvergenceWarning)
    details.update(
        graphs=table,
        posterior_mean=posterior.mean,
        posterior=pd.DataFrame(
            {
                "N": posterior.population,
                "lower": posterior.lower_edge,
                "upper": posterior.upper_edge,
                "probability": posterior.probability,
            }
        ),
        top_graph=table["graph"].iloc[0],
        top_probability=float(table["probability"].iloc[0]),
        n_lists=t,
        modes=modes_frame(modes),
        grid_nodes=posterior.n_nodes,
    )
    draws = posterior.sample(n_draws, np.random.default_rng(random_seed))
    return Estimate(
        estimate=median,
        lower=lower,
        upper=upper,
        level=level,
        observed=data.n_observed,
        method="dga",
        model=model,
        interval_method="posterior",
        status=status,
        warnings=tuple(messages),
        draws=draws,
        details=details,
        metadata={"draws": n_draws, "n_draws": n_draws},
    )
