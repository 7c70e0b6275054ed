"""Log-linear estimators behind :func:`mse.estimate`.

``independence``, ``loglinear`` (a given model), ``stepwise`` (Chan et al.
2021), ``aic`` and ``bic`` (exhaustive over hierarchical models up to
``max_order``), ``bic_aic`` (forward by BIC then AIC), and ``bic_average``
(``N`` averaged over every hierarchical model by BIC weight, see
:mod:`mse.loglinear.search.averaging`). Each but the last fits the chosen
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

import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from mse.data.capture import CaptureData
from mse.errors import EstimabilityWarning, ModelError, warn
from mse.loglinear.covariates.estimators import covariate_estimate, uses_covariates
from mse.loglinear.fit.bias import bias_corrected_fit
from mse.loglinear.fit.model_fit import LoglinearFit, fit_model
from mse.loglinear.heterogeneity import record_heterogeneity
from mse.loglinear.intervals.likelihood import IntervalResult, profile_interval, wald_interval
from mse.loglinear.intervals.reported import reported_estimate
from mse.loglinear.search.averaging import bic_weights
from mse.loglinear.search.model_search import MAX_MODELS, bic_aic_search, exhaustive_search, stepwise_search
from mse.results import Estimate, ModelSearch

__all__ = ["aic", "bic", "bic_aic", "bic_average", "independence", "loglinear", "stepwise"]

INTERVALS = ("profile", "wald", "parametric_bootstrap", "bca", "bootstrap_top", "none")
BOOTSTRAP_INTERVALS = ("parametric_bootstrap", "bca", "bootstrap_top")
_BOOTSTRAP_OPTIONS = {"n_boot", "progress", "n_top", "candidates", "n_workers", "executor"}
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


#: Docstring parts every log-linear estimator shares; a line ``{name}`` in a docstring stands for one.
_SHARED_DOCS = {
    "{parameters}": """data
    The capture table (see the module notes for covariates).
level
    Confidence level of the interval.
interval
    ``"profile"`` (default), ``"wald"``, ``"parametric_bootstrap"``,
    ``"bca"``, ``"bootstrap_top"`` or ``"none"``.
random_seed
    Seed of the bootstrap intervals.""",
    "{options}": """**options
    The method's other options, documented with its class in
    :mod:`mse.methods` (:class:`mse.methods.Stepwise` for ``stepwise``, ...);
    anything else raises :class:`mse.ModelError`.""",
    "{returns}": """Returns
-------
Estimate
    ``N`` under the model, with its interval; a failed estimate, with the
    reason in ``status``, when it does not exist.""",
}

Estimator = TypeVar("Estimator", bound=Callable[..., Estimate])


def _documented(estimator: Estimator) -> Estimator:
    """Write the shared parts (:data:`_SHARED_DOCS`) into an estimator's docstring, at the indentation of their line."""
    lines: list[str] = []
    for line in inspect.cleandoc(estimator.__doc__ or "").splitlines():
        part = _SHARED_DOCS.get(line.strip())
        if part is None:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines += [indent + text if text else text for text in part.splitlines()]
    estimator.__doc__ = "\n".join(lines)
    return estimator


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
        record_heterogeneity(fit, model_name, details)


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
    limits = None
    if fit.ok:
        for message in _extended_mle_warnings(fit, model_name):
            warn(message, EstimabilityWarning)
        _check_heterogeneity(fit, model_name, details, options)
        if interval == "profile":
            limits = profile_interval(fit, level=level)
            details.update(limits.details)
            if limits.status != "ok":  # an infinite upper limit is not an "ok" interval
                warn(limits.status, EstimabilityWarning)
        elif interval == "wald":
            wald = wald_interval(fit, level)
            limits = IntervalResult(wald.lower, wald.upper)
        elif interval in BOOTSTRAP_INTERVALS:
            boot_method, boot_options = selection["method"], dict(selection["options"])
            if interval == "parametric_bootstrap":
                # The parametric bootstrap draws from the selected model and refits that model.
                boot_method, boot_options = "loglinear", {"model": fit.model}
                if selection["options"].get("bias_correction"):
                    boot_options["bias_correction"] = True
            for key in ("n_top", "candidates"):
                if key in options:
                    boot_options[key] = options[key]
            exhaustive = search is not None and search.details.get("search") == "exhaustive"
            ranked = search if exhaustive and "candidates" not in options else None
            limits = _bootstrap(
                data,
                interval,
                boot_method,
                boot_options,
                fit.estimate,
                level,
                random_seed,
                options,
                details,
                ranked=ranked,
            )
            if interval == "bootstrap_top" and ranked is not None:
                details["n_candidates"] = int((ranked.table["status"] == "ok").sum())
    return reported_estimate(
        fit.estimate,
        limits,
        observed=fit.observed,
        method=method,
        model=model_name,
        level=level,
        interval=interval,
        details=details,
        failure=None if fit.ok else fit.status,
        fit=fit,
    )


def _bootstrap(
    data: CaptureData,
    interval: str,
    method: str,
    boot_options: dict[str, Any],
    point_estimate: float,
    level: float,
    random_seed: int | None,
    options: dict[str, Any],
    details: dict[str, Any],
    *,
    ranked: ModelSearch | None = None,
) -> IntervalResult:
    """The bootstrap interval ``interval`` of ``method``, with its draws; its details go into ``details``.

    ``ranked`` is an exhaustive search of the data: it has ranked every candidate
    already, so the top-model bootstrap takes its best ones without refitting them.
    """
    from mse.loglinear.intervals.bootstrap import DEFAULT_N_TOP, bootstrap_interval, top_models_of_search

    if interval == "bootstrap_top" and ranked is not None:
        boot_options["candidates"] = top_models_of_search(ranked.table, options.get("n_top", DEFAULT_N_TOP))
        boot_options["n_top"] = None
    boot = bootstrap_interval(
        data,
        kind=interval,
        method=method,
        options=boot_options,
        point_estimate=point_estimate,
        level=level,
        n_boot=options.get("n_boot", 1000),
        random_seed=random_seed,
        progress=options.get("progress"),
        n_workers=options.get("n_workers"),
        executor=options.get("executor"),
    )
    details.update(boot.details)
    details["n_failed"] = boot.n_failed
    return IntervalResult(boot.lower, boot.upper, boot.status, draws=boot.draws)


@_documented
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
    {parameters}
    model
        The model (see :class:`mse.methods.Loglinear`).
    {options}

    {returns}

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


@_documented
def independence(data: CaptureData, *, level: float, interval: str | None, random_seed: int | None, **options: Any):
    """``N`` under the independence (main-effects) log-linear model, the ``Mt`` model of Rcapture.

    Parameters
    ----------
    {parameters}
    {options}

    {returns}

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


@_documented
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
    {parameters}
    p_threshold, max_order
        See :class:`mse.methods.Stepwise`.
    {options}

    {returns}

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


_CRITERION_DOC = """
The {CRITERION}-best hierarchical model up to ``max_order`` (default 3 for up to five lists, else 2).

Parameters
----------
{parameters}
max_order, max_models
    See :class:`mse.methods.{CRITERION}`.
{options}

{returns}

Examples
--------
>>> import mse
{example}
"""


def _by_criterion(criterion: str, example: str) -> Callable[..., Estimate]:
    """The estimator that picks the hierarchical model with the lowest ``criterion`` (``"aic"`` or ``"bic"``)."""

    def estimator(
        data: CaptureData,
        *,
        level: float,
        interval: str | None,
        random_seed: int | None,
        max_order: int | None = None,
        max_models: int | None = None,
        **options: Any,
    ) -> Estimate:
        return _criterion_estimator(criterion, data, level, interval, random_seed, max_order, max_models, options)

    estimator.__name__ = estimator.__qualname__ = criterion
    estimator.__doc__ = _CRITERION_DOC.replace("{CRITERION}", criterion.upper()).replace("{example}", example)
    return _documented(estimator)


aic = _by_criterion(
    "aic",
    """>>> res = mse.estimate(mse.load_dataset("korea"), method="aic", interval="wald")
>>> res.model, round(res.estimate, 1)
('b:c + c:d', 157.2)""",
)
bic = _by_criterion(
    "bic",
    """>>> res = mse.estimate(mse.load_dataset("kosovo"), method="bic", interval="wald")
>>> res.model, round(res.estimate)
('EXH:HRW + OSCE:HRW + EXH:ABA:OSCE', 10357)""",
)


@_documented
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
    {parameters}
    max_order
        See :class:`mse.methods.BICAIC`.
    {options}

    {returns}

    Examples
    --------
    >>> import mse
    >>> korea = mse.load_dataset("korea")
    >>> res = mse.estimate(korea, method="bic_aic", interval="wald")
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


AVERAGE_INTERVALS = ("bootstrap_top", "bca", "none")


def bic_average(
    data: CaptureData,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
    max_order: int | None = None,
    max_models: int | None = None,
    **options: Any,
) -> Estimate:
    """The BIC-weighted average of ``N`` over every hierarchical model up to ``max_order``.

    Parameters
    ----------
    data
        Capture histories (covariates are summed out).
    level, random_seed
        As for :func:`mse.estimate`.
    interval
        ``"bootstrap_top"`` (default): the people are resampled, the 60 best
        models by BIC on the data (``n_top=``) are refitted to every resample
        and averaged by their BIC weights there, and the limits are BCa
        (Silverman, Chan & Vincent 2024, with averaging in place of
        selection). ``"bca"`` refits every model in every resample (affordable
        up to four lists). ``"none"``: the point estimate only.
    max_order, max_models, **options
        The options of :class:`mse.methods.BICAverage`, where every option is
        documented; anything else raises :class:`mse.ModelError`.

    Returns
    -------
    Estimate
        ``model`` names the number of models and the heaviest one;
        ``details["weights"]`` holds the models with weight above 0.001
        (model, BIC, ``N``, weight) and ``details["effective_models"]`` the
        inverse of the sum of squared weights.

    References
    ----------
    The weights: Raftery (1995) and Buckland, Burnham & Augustin (1997), cited
    in :mod:`mse.loglinear.search.averaging`. The bootstrap: Silverman, B. W.,
    Chan, L. & Vincent, K. (2024). Bootstrapping multiple systems estimates to
    account for model selection. *Statistics and Computing* 34, 44.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="bic_average", interval="none")
    >>> round(res.estimate)
    13184
    """
    from mse.loglinear.intervals.bootstrap import check_reselection_affordable

    unknown = set(options) - {"n_boot", "n_top", "progress", "heterogeneity_check", "n_workers", "executor"}
    if unknown:
        raise ModelError(
            f"unknown option(s) {sorted(unknown)} for method 'bic_average'; valid options: "
            "['executor', 'heterogeneity_check', 'max_models', 'max_order', 'n_boot', 'n_top', 'n_workers', "
            "'progress']."
        )
    interval = "bootstrap_top" if interval is None else interval
    if interval not in AVERAGE_INTERVALS:
        raise ModelError(
            f"interval {interval!r} is not available for method 'bic_average' (an average has no single "
            f"model to profile); choose one of {AVERAGE_INTERVALS}."
        )
    data = data.collapse_covariates()
    limit = MAX_MODELS if max_models is None else int(max_models)
    n_boot = options.get("n_boot", 1000)
    if interval == "bca":
        check_reselection_affordable(
            data.lists, "bic_average", {"max_order": max_order, "max_models": limit}, n_boot, len(data.counts)
        )
    search = exhaustive_search(data, criterion="bic", max_order=max_order, max_models=limit)
    order = int(search.details["max_order"])
    if search.details.get("search") != "exhaustive":
        return Estimate.failed(
            method="bic_average",
            observed=data.n_observed,
            status=(
                f"more than {limit:,} models up to order {order}: an average needs every one of them; lower "
                "max_order, merge lists, or use method='bic' (whose search then goes greedy)"
            ),
            level=level,
            interval_method="" if interval == "none" else interval,
        )
    table = search.table.copy()
    usable = (table["status"] == "ok").to_numpy() & np.isfinite(table["estimate"].to_numpy(float))
    weights = bic_weights(table["bic"].to_numpy(float), usable)
    if not usable.any():
        return Estimate.failed(
            method="bic_average",
            observed=data.n_observed,
            status=search.details.get("no_model", "no model could be fitted (see details['search'])"),
            level=level,
            interval_method="" if interval == "none" else interval,
            details={"search": search.table},
        )
    table["weight"] = weights
    point = float((weights * np.nan_to_num(table["estimate"].to_numpy(float))).sum())
    heaviest = int(np.argmax(weights))
    details: dict[str, Any] = {
        "search": search.table,
        "weights": table.loc[weights > 1e-3, ["model", "bic", "estimate", "weight"]].reset_index(drop=True),
        "effective_models": float(1.0 / np.sum(weights**2)),
        "n_models": int(usable.sum()),
        "max_order": order,
    }
    model = (
        f"BIC average of {int(usable.sum())} models (heaviest: {table['model'].iloc[heaviest]}, "
        f"weight {weights[heaviest]:.2f})"
    )
    if options.get("heterogeneity_check", True):
        _check_heaviest_model(data, str(table["model"].iloc[heaviest]), details)
    limits = None
    if interval != "none":
        boot_options: dict[str, Any] = {"max_order": order, "max_models": limit}
        limits = _bootstrap(
            data, interval, "bic_average", boot_options, point, level, random_seed, options, details, ranked=search
        )
        details["n_candidates"] = int(usable.sum())
    return reported_estimate(
        point,
        limits,
        observed=data.n_observed,
        method="bic_average",
        model=model,
        level=level,
        interval=interval,
        details=details,
    )


def _check_heaviest_model(data: CaptureData, model: str, details: dict[str, Any]) -> None:
    """The heterogeneity check of the model with the most weight: a warning and ``details["heterogeneity"]``."""
    record_heterogeneity(fit_model(data, model), model, details)
