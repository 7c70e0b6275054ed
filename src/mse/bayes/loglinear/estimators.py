"""The estimators ``method="bayes_loglinear"`` and ``method="bayesthresh"`` of :func:`mse.estimate`.

``bayes_loglinear`` fits one log-linear model (default: every two-way
interaction) under normal or flat priors and reports the posterior median of
``N`` with an equal-tailed interval. ``bayesthresh`` is Silverman's (2020)
Bayesian thresholding: fit every two-way interaction under ``N(0, 1)``
priors, keep the terms whose posterior mean is at least ``threshold``
posterior standard deviations from zero, and refit the model made of those
terms (with the same prior). The priors, the population size and the handling
of lists that never overlap are described in :mod:`mse.bayes.loglinear.posterior`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mse._deferred import raw
from mse.bayes.backend import sampler_options
from mse.bayes.modes import describe_modes, find_modes, modes_frame
from mse.data.capture import CaptureData
from mse.errors import EstimabilityError, ModelError, MultimodalityWarning, warn
from mse.loglinear.model.terms import format_model, hierarchical_closure, parse_model
from mse.results import Estimate

from .posterior import MAIN_EFFECT_SD, LoglinearPosterior, Prior, fit_posterior

__all__ = ["bayes_loglinear", "bayesthresh"]

_COMMON_OPTIONS = (
    "model",
    "prior",
    "prior_sd",
    "prior_var",
    "main_sd",
    "dark_figure",
    "draws",
    "tune",
    "chains",
    "cores",
    "sampler",
)
_THRESH_OPTIONS = (*_COMMON_OPTIONS, "threshold")
#: Posterior quantiles of ``N`` kept in ``details`` (those the R reference reports).
_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)


def _check_options(method: str, options: dict[str, Any], valid: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ModelError(f"unknown option(s) {unknown} for method {method!r}; valid options are {list(valid)}.")


def _check_interval(method: str, interval: str | None) -> None:
    if interval not in (None, "posterior"):
        raise ModelError(
            f"method {method!r} gives posterior intervals only; use interval='posterior' (or leave it unset), "
            f"got {interval!r}."
        )


def _prior(options: dict[str, Any]) -> Prior:
    return Prior.from_options(
        prior=options.get("prior", "normal"),
        prior_sd=options.get("prior_sd"),
        prior_var=options.get("prior_var"),
        main_sd=options.get("main_sd", MAIN_EFFECT_SD),
    )


def _sampler_settings(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "draws": options.get("draws", 1000),
        "tune": options.get("tune", 500),
        "chains": options.get("chains", 4),
        "cores": options.get("cores", 1),
        "dark_figure": options.get("dark_figure", "expected"),
        "sampler": options.get("sampler", "hmc"),
    }


def _estimate_from(posterior: LoglinearPosterior, *, method: str, level: float, details: dict[str, Any]) -> Estimate:
    median, lower, upper = posterior.interval(level)
    draws = posterior.population.reshape(-1)
    quantiles = np.quantile(draws, _QUANTILES)
    modes = find_modes(draws, n_effective=posterior.ess_bulk)
    messages = [f"{posterior.model}: {p}" for p in posterior.convergence_problems()]
    if len(modes) > 1:
        messages.append(describe_modes(method, modes, of="draws"))
        warn(messages[-1], MultimodalityWarning)
    details = {
        "se": float(draws.std(ddof=1)),
        "mean": float(draws.mean()),
        "quantiles": {f"{100 * q:g}%": float(v) for q, v in zip(_QUANTILES, quantiles)},
        "rhat": posterior.rhat,
        "ess_bulk": posterior.ess_bulk,
        "ess_tail": posterior.ess_tail,
        "divergences": posterior.divergences,
        "infinite_terms": list(posterior.infinite_terms),
        "coefficients": posterior.coefficient_table(),
        "modes": modes_frame(modes),
        **posterior.prior.describe(),
        **posterior.sampler,
        **details,
    }
    return Estimate(
        estimate=median,
        lower=lower,
        upper=upper,
        level=level,
        observed=posterior.observed,
        method=method,
        model=posterior.model,
        interval_method="posterior",
        # Numbers from chains that have not converged are reported, but not as "ok".
        status="ok"
        if not posterior.convergence_problems()
        else "not converged: " + "; ".join(posterior.convergence_problems()),
        warnings=tuple(messages),
        draws=draws,
        idata=raw(posterior, "idata"),  # packed for ArviZ when first read
        details=details,
    )


def bayes_loglinear(
    data: CaptureData,
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    **options: Any,
) -> Estimate:
    """Population size from the posterior of one Bayesian log-linear model.

    Hamiltonian Monte Carlo samples the model's coefficients, whitened at the
    posterior mode (see :func:`~mse.bayes.loglinear.fit_posterior`; PyMC's
    NUTS with ``sampler="pymc"``); each draw of ``N`` is the number observed
    plus the expected (or a sampled) number of people on no list.

    Parameters
    ----------
    data
        Capture histories; covariates are summed out.
    level
        Coverage of the equal-tailed posterior interval.
    interval
        ``"posterior"`` (the default; the only choice).
    random_seed
        Seed of the sampler.
    **options
        The options of :class:`mse.methods.BayesLoglinear`, where each is
        documented with its default (``model``, the prior, ``dark_figure``,
        ``sampler`` and its settings; ``n_draws``, ``n_burnin`` and ``n_chains`` are
        taken as deprecated aliases of ``draws``, ``tune`` and ``chains``).

    Returns
    -------
    Estimate
        Posterior median of ``N``, equal-tailed interval, ``draws`` of ``N`` and ``idata`` (with ``N`` and one
        variable per coefficient, named like ``"LA:NG"``). ``details`` holds the posterior mean, standard
        deviation (``se``) and quantiles of ``N``, R-hat and effective sample sizes of ``N``, divergences, the
        prior, the coefficient table and ``modes`` (one row per separated mode of the draws of ``N``). With a
        flat prior and no maximum-likelihood estimate the result is a failed estimate (numbers ``nan``,
        ``status`` says why).

    Raises
    ------
    ModelError
        For an interval other than ``"posterior"``, an unknown option, a malformed model or prior.

    Warns
    -----
    ConvergenceWarning
        When R-hat of ``N`` exceeds 1.01, its effective sample size is below 400 (the shared rule,
        :data:`mse.bayes.backend.CONVERGENCE`), or the sampler diverged.
    MultimodalityWarning
        When the draws of ``N`` fall in separated modes; the message names each one and its share.

    References
    ----------
    Silverman, B. W. (2020). Multiple-systems analysis for the quantification of modern slavery: classical and
    Bayesian approaches. *Journal of the Royal Statistical Society A* 183(3), 691–736.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="bayes_loglinear", random_seed=1)  # doctest: +SKIP
    >>> res.estimate, res.lower, res.upper  # doctest: +SKIP
    """
    _check_interval("bayes_loglinear", interval)
    options = sampler_options(options, "bayes_loglinear")
    _check_options("bayes_loglinear", options, _COMMON_OPTIONS)
    prior = _prior(options)
    model = options.get("model", "all two-way")
    parse_model(model, data.lists)  # a malformed model is the caller's error, raised before any sampling
    try:
        posterior = fit_posterior(data, model, prior, random_seed=random_seed, **_sampler_settings(options))
    except EstimabilityError as error:
        return Estimate.failed(
            method="bayes_loglinear",
            observed=data.n_observed,
            status=str(error),
            level=level,
            model=format_model(parse_model(model, data.lists), data.lists),
            interval_method="posterior",
            details=prior.describe(),
        )
    return _estimate_from(posterior, method="bayes_loglinear", level=level, details={})


def bayesthresh(
    data: CaptureData,
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    **options: Any,
) -> Estimate:
    """Silverman's (2020) Bayesian thresholding of interactions, then a Bayesian fit of the terms kept.

    Every candidate interaction (default: all two-way) is fitted with an ``N(0, prior_sd**2)`` prior; a term is
    kept when ``|posterior mean| / posterior sd >= threshold`` (terms of three or more lists bring their sub-terms,
    so the model stays hierarchical). The model of the kept terms is then refitted with the same prior and ``N`` is
    read from that posterior. Model choice is not averaged over: the interval is conditional on the terms kept.

    Parameters
    ----------
    data, level, interval
        As in :func:`bayes_loglinear`.
    random_seed
        Seed; the two fits get independent streams derived from it.
    **options
        The options of :class:`mse.methods.BayesThresh`: ``threshold`` and
        those of :func:`bayes_loglinear`.

    Returns
    -------
    Estimate
        As :func:`bayes_loglinear`; ``model`` is the model of the terms kept, ``details["retained_terms"]`` lists
        them and ``details["thresholding"]`` is the first fit's table (term, mean, sd, ratio, retained).

    Raises
    ------
    ModelError
        For an interval other than ``"posterior"``, an unknown option, a malformed model, prior or threshold.

    Warns
    -----
    ConvergenceWarning
        When either fit has R-hat of ``N`` above 1.01, an effective sample size below 400, or divergences.

    References
    ----------
    Silverman (2020), as for :func:`bayes_loglinear`.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="bayesthresh", random_seed=1)  # doctest: +SKIP
    >>> res.model  # doctest: +SKIP
    'EXH:ABA + EXH:OSCE + EXH:HRW + ABA:OSCE + OSCE:HRW'
    """
    _check_interval("bayesthresh", interval)
    options = sampler_options(options, "bayesthresh")
    _check_options("bayesthresh", options, _THRESH_OPTIONS)
    prior = _prior(options)
    threshold = options.get("threshold", 2.0)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold >= 0:
        raise ModelError(f"threshold must be a non-negative number, got {threshold!r}.")
    lists = data.lists
    candidates = parse_model(options.get("model", "all two-way"), lists)
    settings = _sampler_settings(options)
    first_seed, second_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(random_seed).spawn(2))

    def failed(stage: str, error: Exception, terms: Any, details: dict[str, Any]) -> Estimate:
        return Estimate.failed(
            method="bayesthresh",
            observed=data.n_observed,
            status=f"{stage}: {error}",
            level=level,
            model=format_model(terms, lists),
            interval_method="posterior",
            details={**prior.describe(), **details},
        )

    try:
        first = fit_posterior(data, candidates, prior, random_seed=first_seed, **settings)
    except EstimabilityError as error:
        return failed("thresholding fit", error, candidates, {})
    table = first.coefficient_table()
    table = table[table["term"].str.contains(":")].reset_index(drop=True)
    table["retained"] = table["ratio"].abs() >= threshold
    by_name = {":".join(lists[i] for i in term): term for term in candidates}
    kept = hierarchical_closure(by_name[name] for name in table.loc[table["retained"], "term"])
    retained = [":".join(lists[i] for i in term) for term in sorted(kept, key=lambda u: (len(u), u))]
    details: dict[str, Any] = {
        "threshold": float(threshold),
        "retained_terms": retained,
        "thresholding": table,
        "first_fit": {"rhat": first.rhat, "ess_bulk": first.ess_bulk, "divergences": first.divergences},
    }
    try:
        second = fit_posterior(data, kept, prior, random_seed=second_seed, **settings)
    except EstimabilityError as error:
        return failed("refit of the terms kept", error, kept, details)
    result = _estimate_from(second, method="bayesthresh", level=level, details=details)
    first_problems = tuple(f"thresholding fit: {p}" for p in first.convergence_problems())
    status = result.status
    if first_problems and result.ok:
        # The terms kept rest on the first fit: if it has not converged, neither has the answer.
        status = "not converged: " + "; ".join(first_problems)
    return result.with_updates(warnings=first_problems + result.warnings, status=status)
