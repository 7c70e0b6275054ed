"""Log-linear estimators behind :func:`mse.estimate`.

``independence``, ``loglinear`` (a given model), ``stepwise`` (Chan et al.
2021), ``aic`` and ``bic`` (exhaustive over hierarchical models up to
``max_order``), ``bic_aic`` (forward by BIC then AIC). Each fits the chosen
model by Poisson maximum likelihood (:func:`mse.loglinear.fit_model`) and
adds an interval: ``"profile"`` (default; Rcapture's convention), ``"wald"``
(log-normal on the dark figure), or a bootstrap (``"parametric_bootstrap"``,
``"bca"``, ``"bootstrap_top"``) that repeats the whole selection in every
replicate. ``bias_correction=True`` replaces the MLE of ``N`` under the chosen
model by the bias-reduced estimator of Rivest & Lévesque (2001)
(:mod:`mse.loglinear.fit.bias`); the selection itself is unchanged. An estimate
that does not exist comes back with a status saying why and ``nan`` numbers
(``mse.estimate(..., strict=True)`` raises instead).

Data with covariates go to the models on lists x covariates of
:mod:`mse.loglinear.covariates.estimators` (``independence``, ``loglinear``,
``aic``, ``bic``, ``bic_aic``), unless ``covariates=[]`` asks for the
covariates to be summed out; ``stepwise`` always sums them out.

Every estimate without covariates checks its model for capture heterogeneity
it does not capture (:mod:`mse.loglinear.heterogeneity`): the outcome goes to
``details["heterogeneity"]``, and evidence at the 5 % level to a
:class:`mse.HeterogeneityWarning`. ``heterogeneity_check=False`` switches it off.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from mse.data.capture import CaptureData
from mse.errors import EstimabilityWarning, ModelError
from mse.loglinear.covariates.estimators import covariate_estimate, uses_covariates
from mse.loglinear.fit.bias import bias_corrected_fit
from mse.loglinear.fit.model_fit import LoglinearFit, fit_model
from mse.loglinear.heterogeneity import record_heterogeneity
from mse.loglinear.intervals.likelihood import profile_interval, wald_interval
from mse.loglinear.search.model_search import bic_aic_search, exhaustive_search, stepwise_search
from mse.results import Estimate, ModelSearch

__all__ = ["aic", "bic", "bic_aic", "independence", "loglinear", "stepwise"]

INTERVALS = ("profile", "wald", "parametric_bootstrap", "bca", "bootstrap_top", "none")
BOOTSTRAP_INTERVALS = ("parametric_bootstrap", "bca", "bootstrap_top")
_BOOTSTRAP_OPTIONS = {"n_boot", "progress", "n_top", "candidates"}
_CHECK_OPTIONS = {"heterogeneity_check"}


def _check_options(method: str, options: dict[str, Any], allowed: set[str]) -> None:
    valid = allowed | _BOOTSTRAP_OPTIONS | _CHECK_OPTIONS | {"bias_correction"}
    unknown = set(options) - valid
    if unknown:
        raise ModelError(f"unknown option(s) {sorted(unknown)} for method {method!r}; valid options: {sorted(valid)}.")


def _check_interval(interval: str | None) -> str:
    interval = "profile" if interval is None else interval
    if interval not in INTERVALS:
        raise ModelError(f"interval {interval!r} is not available for log-linear models; choose one of {INTERVALS}.")
    return interval


def _extended_mle_warnings(fit: LoglinearFit, model_name: str) -> list[str]:
    """What an extended MLE means, one message per reason: never-overlapping lists, and a boundary MLE.

    References
    ----------
    Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation for
    sparse capture data. *JASA* 116(535), 1297–1306.

    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.
    """
    messages = []
    overlap_terms = [term for term in fit.infinite_terms if term not in fit.diverging_terms]
    if overlap_terms:
        messages.append(
            f"model {model_name!r}: term(s) {', '.join(overlap_terms)} fitted at minus infinity because "
            "their lists never overlap (extended MLE; their cells are fitted at 0)."
        )
    if fit.diverging_terms:
        words = {"-inf": "at minus infinity", "+inf": "at plus infinity", "inf": "infinite"}
        ways = ", ".join(f"{term} {words[way]}" for term, way in fit.diverging_terms.items())
        messages.append(
            f"model {model_name!r}: the maximum-likelihood estimate does not exist: the empty cell(s) "
            f"{', '.join(fit.zero_fitted_cells)} can be fitted at 0 only with infinite parameters (terms "
            f"{', '.join(fit.diverging_terms)}: {ways}). The estimate is the extended MLE (Fienberg & Rinaldo "
            "2012): those cells are fitted at 0 and the model is fitted to the other cells, which determine N. It "
            "treats those capture histories as ones no one has; if that is implausible, choose a model without "
            "these terms."
        )
    return messages


def _check_heterogeneity(fit: LoglinearFit, model_name: str, details: dict[str, Any], options: dict[str, Any]) -> None:
    if options.get("heterogeneity_check", True):
        record_heterogeneity(fit, model_name, details, stacklevel=4)


def _bias_correction(options: dict[str, Any]) -> bool:
    """Pop and check ``bias_correction``."""
    value = options.pop("bias_correction", False)
    if not isinstance(value, (bool, np.bool_)):
        raise ModelError(f"bias_correction must be True or False, got {value!r}.")
    return bool(value)


def _no_covariates(bias_correction: bool) -> None:
    if bias_correction:
        raise ModelError(
            "bias_correction is available for log-linear models without covariates; "
            "pass covariates=[] to sum the covariates out."
        )


def _flag(bias_correction: bool) -> dict[str, bool]:
    """The option as passed on to the bootstrap's re-selection (absent when off)."""
    return {"bias_correction": True} if bias_correction else {}


def _corrected(fit: LoglinearFit, bias_correction: bool) -> LoglinearFit:
    return bias_corrected_fit(fit) if bias_correction else fit


def _finish(
    data: CaptureData,
    fit: LoglinearFit,
    *,
    method: str,
    model_name: str,
    level: float,
    interval: str,
    random_seed: int | None,
    selection: dict[str, Any],
    options: dict[str, Any],
    search: ModelSearch | None = None,
) -> Estimate:
    details: dict[str, Any] = fit.details()
    if search is not None:
        fit = replace(fit, search=search.table)
        details["search"] = search.table
        details.update({f"search_{k}": v for k, v in search.details.items() if isinstance(v, (str, int, float))})
    estimability = fit.estimability
    assert estimability is not None  # a fit just made, not one read from a file
    details["non_overlapping_pairs"] = [":".join(pair) for pair in estimability.non_overlapping_pairs]
    if not fit.ok:
        return Estimate.failed(
            method=method,
            observed=data.n_observed,
            status=fit.status,
            level=level,
            model=model_name,
            interval_method=interval,
            details=details,
            fit=fit,
        )
    for message in _extended_mle_warnings(fit, model_name):
        warnings.warn(message, EstimabilityWarning, stacklevel=3)
    _check_heterogeneity(fit, model_name, details, options)
    lower = upper = math.nan
    status = "ok"
    draws = None
    if interval == "profile":
        result = profile_interval(fit, level=level)
        lower, upper = result.lower, result.upper
        details.update(result.details)
        if result.status != "ok":
            warnings.warn(result.status, EstimabilityWarning, stacklevel=3)
            status = result.status  # an infinite upper limit is not an "ok" interval
    elif interval == "wald":
        result = wald_interval(fit, level)
        lower, upper = result.lower, result.upper
    elif interval in BOOTSTRAP_INTERVALS:
        from mse.loglinear.intervals.bootstrap import bootstrap_interval

        boot_method, boot_options = selection["method"], dict(selection["options"])
        if interval == "parametric_bootstrap":
            # The parametric bootstrap draws from the selected model and refits that model.
            boot_method, boot_options = "loglinear", {"model": fit.model}
            if selection["options"].get("bias_correction"):
                boot_options["bias_correction"] = True
        for key in ("n_top", "candidates"):
            if key in options:
                boot_options[key] = options[key]
        n_candidates = None
        if (
            interval == "bootstrap_top"
            and "candidates" not in options
            and search is not None
            and search.details.get("search") == "exhaustive"
        ):
            # the exhaustive search has ranked every candidate already: pass its best ones, unrefitted
            from mse.loglinear.intervals.bootstrap import DEFAULT_N_TOP, top_models_of_search

            n_candidates = int((search.table["status"] == "ok").sum())
            boot_options["candidates"] = top_models_of_search(search.table, options.get("n_top", DEFAULT_N_TOP))
            boot_options["n_top"] = None
        boot = bootstrap_interval(
            data,
            kind=interval,
            method=boot_method,
            options=boot_options,
            point_estimate=fit.estimate,
            level=level,
            n_boot=options.get("n_boot", 1000),
            random_seed=random_seed,
            progress=options.get("progress"),
        )
        lower, upper, draws = boot.lower, boot.upper, boot.draws
        details.update(boot.details)
        details["n_failed"] = boot.n_failed
        if n_candidates is not None:
            details["n_candidates"] = n_candidates
        if boot.status != "ok":
            status = boot.status
    return Estimate(
        estimate=fit.estimate,
        lower=float(lower),
        upper=float(upper),
        level=level,
        observed=data.n_observed,
        method=method,
        model=model_name,
        interval_method="" if interval == "none" else interval,
        status=status,
        draws=draws,
        details=details,
        fit=fit,
    )


def loglinear(
    data: CaptureData,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
    model: Any = None,
    **options: Any,
) -> Estimate:
    """``N`` under a given hierarchical log-linear model (``model="A:B + B:C"``).

    Parameters
    ----------
    data
        The capture table (see the module notes for covariates).
    level
        Confidence level of the interval.
    interval
        ``"profile"`` (default), ``"wald"``, ``"parametric_bootstrap"``,
        ``"bca"``, ``"bootstrap_top"`` or ``"none"``.
    random_seed
        Seed of the bootstrap intervals.
    model
        The model: a string of terms (``"A:B + B:C"``, ``"all two-way"``) or a
        sequence of tuples of list names.
    **options
        ``bias_correction``, ``heterogeneity_check``, and for the bootstrap
        intervals ``n_boot``, ``progress``, ``n_top``, ``candidates``; anything
        else raises :class:`mse.ModelError`.

    Returns
    -------
    Estimate
        ``N`` under the model, with its interval; a failed estimate, with the
        reason in ``status``, when it does not exist.

    Raises
    ------
    ModelError
        Without ``model``, for a malformed model, an unknown interval or option.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="loglinear", model="all two-way", interval="wald")
    >>> round(res.estimate)
    14402
    """
    bias_correction = _bias_correction(options)
    if uses_covariates(data, options):
        _no_covariates(bias_correction)
        return covariate_estimate(
            data,
            method="loglinear",
            level=level,
            interval=interval,
            random_seed=random_seed,
            model=model,
            options=options,
        )
    _check_options("loglinear", options, set())
    if model is None:
        raise ModelError("method 'loglinear' needs model=..., e.g. model='A:B + B:C' or model='all two-way'.")
    interval = _check_interval(interval)
    data = data.collapse_covariates()
    fit = _corrected(fit_model(data, model), bias_correction)
    return _finish(
        data,
        fit,
        method="loglinear",
        model_name=fit.model,
        level=level,
        interval=interval,
        random_seed=random_seed,
        selection={"method": "loglinear", "options": {"model": fit.model, **_flag(bias_correction)}},
        options=options,
    )


def independence(data: CaptureData, *, level: float, interval: str | None, random_seed: int | None, **options: Any):
    """``N`` under the independence (main-effects) log-linear model, the ``Mt`` model of Rcapture.

    Parameters
    ----------
    data
        The capture table (see the module notes for covariates).
    level
        Confidence level of the interval.
    interval
        ``"profile"`` (default), ``"wald"``, ``"parametric_bootstrap"``,
        ``"bca"``, ``"bootstrap_top"`` or ``"none"``.
    random_seed
        Seed of the bootstrap intervals.
    **options
        ``bias_correction``, ``heterogeneity_check``, and for the bootstrap
        intervals ``n_boot``, ``progress``, ``n_top``, ``candidates``; anything
        else raises :class:`mse.ModelError`.

    Returns
    -------
    Estimate
        ``N`` under the model, with its interval; a failed estimate, with the
        reason in ``status``, when it does not exist.

    Examples
    --------
    >>> import mse
    >>> round(mse.estimate(mse.load_dataset("uk2013"), method="independence").estimate)
    12214
    """
    bias_correction = _bias_correction(options)
    if uses_covariates(data, options):
        _no_covariates(bias_correction)
        return covariate_estimate(
            data, method="independence", level=level, interval=interval, random_seed=random_seed, options=options
        )
    _check_options("independence", options, set())
    interval = _check_interval(interval)
    data = data.collapse_covariates()
    fit = _corrected(fit_model(data, "independence"), bias_correction)
    return _finish(
        data,
        fit,
        method="independence",
        model_name="independence",
        level=level,
        interval=interval,
        random_seed=random_seed,
        selection={"method": "independence", "options": _flag(bias_correction)},
        options=options,
    )


def _selected(
    data: CaptureData,
    search: ModelSearch,
    *,
    method: str,
    level: float,
    interval: str,
    random_seed: int | None,
    selection_options: dict[str, Any],
    options: dict[str, Any],
) -> Estimate:
    if not search.best:
        return Estimate.failed(
            method=method,
            observed=data.n_observed,
            status=search.details.get(
                "no_model", "no model in the search could be fitted (every candidate failed; see details['search'])"
            ),
            level=level,
            interval_method=interval,
            details={"search": search.table},
        )
    bias_correction = bool(selection_options.get("bias_correction", False))
    fit = _corrected(fit_model(data, search.best), bias_correction)
    return _finish(
        data,
        fit,
        method=method,
        model_name=search.best,
        level=level,
        interval=interval,
        random_seed=random_seed,
        selection={"method": method, "options": selection_options},
        options=options,
        search=search,
    )


def stepwise(
    data: CaptureData,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
    p_threshold: float = 0.02,
    max_order: int | None = None,
    **options: Any,
) -> Estimate:
    """Chan et al.'s (2021) stepwise selection (``p_threshold=0.02``), then ``N`` under the chosen model.

    The model is named by its terms in the order they were added. ``max_order``
    (default 2, Chan et al.'s pairs) lets the search go on to three-way and
    higher terms whose sub-terms are all in (see
    :func:`mse.loglinear.search.model_search.stepwise_paths`); the bootstrap intervals
    repeat the same search in every replicate.

    Parameters
    ----------
    data
        The capture table (see the module notes for covariates).
    level
        Confidence level of the interval.
    interval
        ``"profile"`` (default), ``"wald"``, ``"parametric_bootstrap"``,
        ``"bca"``, ``"bootstrap_top"`` or ``"none"``.
    random_seed
        Seed of the bootstrap intervals.
    p_threshold
        A term enters while its p-value is below this.
    max_order
        Highest order of the terms the search may add.
    **options
        ``bias_correction``, ``heterogeneity_check``, and for the bootstrap
        intervals ``n_boot``, ``progress``, ``n_top``, ``candidates``; anything
        else raises :class:`mse.ModelError`.

    Returns
    -------
    Estimate
        ``N`` under the model, with its interval; a failed estimate, with the
        reason in ``status``, when it does not exist.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("korea"), method="stepwise", interval="wald")
    >>> res.model, round(res.estimate, 1)
    ('b:c', 268.8)
    """
    options.pop("covariates", None)
    bias_correction = _bias_correction(options)
    _check_options("stepwise", options, set())
    interval = _check_interval(interval)
    data = data.collapse_covariates()
    search = stepwise_search(data, p_threshold=p_threshold, max_order=max_order)
    return _selected(
        data,
        search,
        method="stepwise",
        level=level,
        interval=interval,
        random_seed=random_seed,
        selection_options={
            "p_threshold": p_threshold,
            "max_order": search.details["max_order"],
            **_flag(bias_correction),
        },
        options=options,
    )


def _criterion_estimator(
    criterion: str,
    data: CaptureData,
    level: float,
    interval: str | None,
    random_seed: int | None,
    max_order: int | None,
    max_models: int | None,
    options: dict[str, Any],
) -> Estimate:
    bias_correction = _bias_correction(options)
    if uses_covariates(data, options):
        _no_covariates(bias_correction)
        if max_models is not None:
            raise ModelError("max_models does not apply to models with covariates; use max_exhaustive_terms.")
        return covariate_estimate(
            data,
            method=criterion,
            level=level,
            interval=interval,
            random_seed=random_seed,
            options={**options, "max_order": max_order},
        )
    _check_options(criterion, options, {"extended_mle"})
    interval = _check_interval(interval)
    data = data.collapse_covariates()
    extra: dict[str, Any] = {} if max_models is None else {"max_models": max_models}
    if "extended_mle" in options:
        extra["extended_mle"] = bool(options.pop("extended_mle"))
    if interval == "bca":
        # Refuse an unaffordable re-selection before spending time on the search itself.
        from mse.loglinear.intervals.bootstrap import check_reselection_affordable

        check_reselection_affordable(
            data.lists,
            criterion,
            {"max_order": max_order, **extra},
            int(options.get("n_boot", 1000)),
            len(data.counts),
        )
    search = exhaustive_search(data, criterion=criterion, max_order=max_order, **extra)
    search = ModelSearch(search.table, search.best, criterion, criterion, details=search.details)
    return _selected(
        data,
        search,
        method=criterion,
        level=level,
        interval=interval,
        random_seed=random_seed,
        selection_options={"max_order": search.details.get("max_order", max_order), **extra, **_flag(bias_correction)},
        options=options,
    )


def aic(
    data: CaptureData,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
    max_order: int | None = None,
    max_models: int | None = None,
    **options: Any,
) -> Estimate:
    """The AIC-best hierarchical model up to ``max_order`` (default 3 for up to five lists, else 2).

    Parameters
    ----------
    data
        The capture table (see the module notes for covariates).
    level
        Confidence level of the interval.
    interval
        ``"profile"`` (default), ``"wald"``, ``"parametric_bootstrap"``,
        ``"bca"``, ``"bootstrap_top"`` or ``"none"``.
    random_seed
        Seed of the bootstrap intervals.
    max_order
        Highest order of interaction searched.
    max_models
        Most models fitted one by one; with more, the search is greedy (see
        :func:`mse.loglinear.search.model_search.exhaustive_search`). Not for data with covariates.
    **options
        ``extended_mle`` (see :func:`mse.loglinear.search.model_search.exhaustive_search`),
        ``bias_correction``, ``heterogeneity_check``, and for the bootstrap
        intervals ``n_boot``, ``progress``, ``n_top``, ``candidates``; anything
        else raises :class:`mse.ModelError`.

    Returns
    -------
    Estimate
        ``N`` under the model, with its interval; a failed estimate, with the
        reason in ``status``, when it does not exist.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("korea"), method="aic", interval="wald")
    >>> res.model, round(res.estimate, 1)
    ('b:c + c:d', 157.2)
    """
    return _criterion_estimator("aic", data, level, interval, random_seed, max_order, max_models, options)


def bic(
    data: CaptureData,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
    max_order: int | None = None,
    max_models: int | None = None,
    **options: Any,
) -> Estimate:
    """The BIC-best hierarchical model up to ``max_order`` (default 3 for up to five lists, else 2).

    Parameters
    ----------
    data
        The capture table (see the module notes for covariates).
    level
        Confidence level of the interval.
    interval
        ``"profile"`` (default), ``"wald"``, ``"parametric_bootstrap"``,
        ``"bca"``, ``"bootstrap_top"`` or ``"none"``.
    random_seed
        Seed of the bootstrap intervals.
    max_order
        Highest order of interaction searched.
    max_models
        Most models fitted one by one; with more, the search is greedy (see
        :func:`mse.loglinear.search.model_search.exhaustive_search`). Not for data with covariates.
    **options
        ``extended_mle`` (see :func:`mse.loglinear.search.model_search.exhaustive_search`),
        ``bias_correction``, ``heterogeneity_check``, and for the bootstrap
        intervals ``n_boot``, ``progress``, ``n_top``, ``candidates``; anything
        else raises :class:`mse.ModelError`.

    Returns
    -------
    Estimate
        ``N`` under the model, with its interval; a failed estimate, with the
        reason in ``status``, when it does not exist.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="bic", interval="wald")
    >>> res.model, round(res.estimate)
    ('EXH:HRW + OSCE:HRW + EXH:ABA:OSCE', 10357)
    """
    return _criterion_estimator("bic", data, level, interval, random_seed, max_order, max_models, options)


def bic_aic(
    data: CaptureData,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
    max_order: int | None = 2,
    **options: Any,
) -> Estimate:
    """Forward selection by BIC from independence, then on by AIC (the Dutch recipe; Cruyff et al. 2017).

    Parameters
    ----------
    data
        The capture table (see the module notes for covariates).
    level
        Confidence level of the interval.
    interval
        ``"profile"`` (default), ``"wald"``, ``"parametric_bootstrap"``,
        ``"bca"``, ``"bootstrap_top"`` or ``"none"``.
    random_seed
        Seed of the bootstrap intervals.
    max_order
        Highest order of the terms the search may add.
    **options
        ``bias_correction``, ``heterogeneity_check``, and for the bootstrap
        intervals ``n_boot``, ``progress``, ``n_top``, ``candidates``; anything
        else raises :class:`mse.ModelError`.

    Returns
    -------
    Estimate
        ``N`` under the model, with its interval; a failed estimate, with the
        reason in ``status``, when it does not exist.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("korea"), method="bic_aic", interval="wald")
    >>> res.model, round(res.estimate, 1)
    ('b:c + c:d', 157.2)
    """
    bias_correction = _bias_correction(options)
    if uses_covariates(data, options):
        _no_covariates(bias_correction)
        return covariate_estimate(
            data,
            method="bic_aic",
            level=level,
            interval=interval,
            random_seed=random_seed,
            options={**options, "max_order": max_order},
        )
    _check_options("bic_aic", options, set())
    interval = _check_interval(interval)
    data = data.collapse_covariates()
    search = bic_aic_search(data, max_order=max_order)
    return _selected(
        data,
        search,
        method="bic_aic",
        level=level,
        interval=interval,
        random_seed=random_seed,
        selection_options={"max_order": search.details.get("max_order", max_order), **_flag(bias_correction)},
        options=options,
    )
