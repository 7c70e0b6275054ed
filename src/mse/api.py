"""The front door: :func:`estimate` dispatches a method name to its estimator.

Estimators live in their model families (``mse.loglinear``, ``mse.closed``,
``mse.bayes``) and are imported only when first asked for, so ``import mse``
stays fast and PyMC is never imported unless a PyMC method runs.

Every estimator has the signature ``fn(data, *, level, interval, random_seed,
**options) -> Estimate``. This module adds what all of them share: input
checks, provenance metadata and the record of warnings raised while fitting.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from mse.budget import run_within_budget
from mse.data.capture import CaptureData
from mse.disclosure import DisclosurePolicy
from mse.errors import DataError, EstimabilityError, ModelError, MSEDeprecationWarning
from mse.information import PRIOR_METHODS, information_problem, uninformative_estimate
from mse.options import check_level, check_random_seed
from mse.results import Estimate, provenance

__all__ = ["METHODS", "available_methods", "estimate"]

#: Method name -> "module:function" of its estimator, imported on first use.
METHODS: dict[str, str] = {
    # log-linear models (mse.loglinear)
    "independence": "mse.loglinear.estimators:independence",
    "loglinear": "mse.loglinear.estimators:loglinear",
    "stepwise": "mse.loglinear.estimators:stepwise",
    "aic": "mse.loglinear.estimators:aic",
    "bic": "mse.loglinear.estimators:bic",
    "bic_aic": "mse.loglinear.estimators:bic_aic",
    "bic_average": "mse.loglinear.estimators:bic_average",
    # the closed-population family (mse.closed)
    "M0": "mse.closed.estimators:m0",
    "Mt": "mse.closed.estimators:mt",
    "Mh_chao": "mse.closed.estimators:mh_chao",
    "Mh_poisson2": "mse.closed.estimators:mh_poisson2",
    "Mh_darroch": "mse.closed.estimators:mh_darroch",
    "Mh_gamma": "mse.closed.estimators:mh_gamma",
    "Mth_chao": "mse.closed.estimators:mth_chao",
    "Mth_poisson2": "mse.closed.estimators:mth_poisson2",
    "Mth_darroch": "mse.closed.estimators:mth_darroch",
    "Mth_gamma": "mse.closed.estimators:mth_gamma",
    "Mb": "mse.closed.estimators:mb",
    "Mbh": "mse.closed.estimators:mbh",
    "lincoln_petersen": "mse.closed.estimators:lincoln_petersen",
    "chapman": "mse.closed.estimators:chapman",
    "sample_coverage": "mse.closed.estimators:sample_coverage",
    # Bayesian models (mse.bayes)
    "lcmcr": "mse.bayes.latent_class.estimator:lcmcr",
    "dga": "mse.bayes.graphical.estimator:dga",
    "bayes_loglinear": "mse.bayes.loglinear:bayes_loglinear",
    "bayesthresh": "mse.bayes.loglinear:bayesthresh",
    # the default
    "auto": "mse.auto:auto",
}


def register_method(name: str, target: str) -> None:
    """Make ``target`` ("package.module:function") available as ``mse.estimate(method=name)``.

    Parameters
    ----------
    name
        The method name users pass to :func:`estimate`; an existing name is
        replaced.
    target
        ``"package.module:function"``; the module is imported on first use.
        The function takes ``(data, *, level, interval, random_seed,
        **options)`` and returns an :class:`~mse.Estimate`.

    Examples
    --------
    >>> import mse
    >>> from mse.api import METHODS, register_method
    >>> register_method("two_list_chapman", "mse.closed.estimators:chapman")
    >>> data = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])
    >>> round(mse.estimate(data, method="two_list_chapman").estimate, 3)
    114.545
    >>> del METHODS["two_list_chapman"]
    """
    METHODS[name] = target


def _is_installed(target: str) -> bool:
    module_name = target.split(":")[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def available_methods() -> list[str]:
    """The method names :func:`estimate` accepts.

    Returns
    -------
    list of str
        The registered methods whose module can be imported here (a method
        whose optional dependency is missing is left out).

    Examples
    --------
    >>> import mse
    >>> {"auto", "stepwise", "chapman"} <= set(mse.available_methods())
    True
    """
    return [name for name, target in METHODS.items() if _is_installed(target)]


def _resolve(method: str) -> Callable[..., Estimate]:
    target = METHODS.get(method)
    if target is None or not _is_installed(target):
        raise ModelError(f"unknown method {method!r}; choose one of {available_methods()}.")
    module_name, function_name = target.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def estimate(
    data: CaptureData,
    method: str = "auto",
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    strict: bool = False,
    **options: Any,
) -> Estimate:
    """Estimate the population size ``N`` from capture histories.

    Parameters
    ----------
    data
        The capture histories, a :class:`~mse.CaptureData`.
    method
        The estimator (see :func:`available_methods`): for example
        ``"independence"``, ``"loglinear"`` (with ``model=``), ``"stepwise"``,
        ``"aic"``, ``"bic"``, ``"bic_aic"``, the closed-population models
        ``"M0"``, ``"Mt"``, ``"Mh_chao"``, ..., or the Bayesian ``"lcmcr"``,
        ``"dga"``, ``"bayes_loglinear"``, ``"bayesthresh"``.
    level
        Nominal coverage of the interval, in (0, 1).
    interval
        How to compute the interval (``"wald"``, ``"profile"``,
        ``"parametric_bootstrap"``, ``"bca"``, ``"bootstrap_top"``,
        ``"posterior"``); each method has a default.
    random_seed
        Seed for every random step, recorded in ``result.metadata``: ``None``
        or a non-negative integer.
    strict
        If ``True``, raise :class:`~mse.EstimabilityError` instead of returning
        an estimate whose status is not ``"ok"``.
    **options
        Passed to the estimator (``model``, ``max_order``, ``p_threshold``,
        ``n_boot``, ...). ``max_seconds`` sets a time budget (default none):
        a run that exceeds it stops and returns no numbers, with a status
        that starts with ``"cut short"`` (see :mod:`mse.budget`).
        ``"lcmcr"`` takes ``max_seconds`` as its own option and keeps the
        draws it made, under a status that says the run was cut short.

    Returns
    -------
    Estimate
        ``status`` is ``"ok"`` or says why no estimate (or no interval) exists;
        an estimate that does not exist is ``nan``, never a plain number.

    Raises
    ------
    DataError
        If ``data`` is not a :class:`~mse.CaptureData`.
    ModelError
        For an unknown method, a malformed model, a bad option or a bad
        ``random_seed`` (negative, a fraction, text or a bool).
    EstimabilityError
        With ``strict=True``, when the estimate does not exist, including when
        the table carries no information about ``N`` at all (see
        :func:`mse.information.information_problem`).

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="independence", interval="profile")
    >>> round(res.estimate)
    7395
    """
    if not isinstance(data, CaptureData):
        raise DataError(
            f"estimate() needs a mse.CaptureData, got {type(data).__name__}; build one with "
            "mse.CaptureData.from_counts(...) or from_records(...)."
        )
    level = check_level(level)
    random_seed = check_random_seed(random_seed)
    estimator = _resolve(method)
    # Decided here, once for every method, so that no estimator can forget it.
    no_information = information_problem(data)
    if strict and no_information is not None:
        raise EstimabilityError(f"{method}: {no_information}")
    started = time.perf_counter()
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if no_information is not None and method not in PRIOR_METHODS:
                result = uninformative_estimate(data, method, no_information, level=float(level), options=options)
            else:
                result = run_within_budget(
                    estimator,
                    data,
                    method=method,
                    level=float(level),
                    interval=interval,
                    random_seed=random_seed,
                    options=options,
                    own_budget=method == "lcmcr",
                )
    except BaseException:
        # A deprecated option name is said even when the call fails: the error may name the setting by its new name.
        for record in caught:
            if issubclass(record.category, MSEDeprecationWarning):
                warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
        raise
    seconds = time.perf_counter() - started
    messages = list(result.warnings)
    for record in caught:
        message = str(record.message)
        # A deprecated option concerns the call, not the result: said to the caller, not kept with the result.
        if message not in messages and not issubclass(record.category, MSEDeprecationWarning):
            messages.append(message)
        warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    metadata = provenance(data, random_seed, {"method": method, "level": level, "interval": interval, **options})
    metadata.update(result.metadata)
    metadata["seconds"] = seconds
    result = result.with_updates(warnings=tuple(messages), metadata=metadata)
    if no_information is not None and method in PRIOR_METHODS:
        result = result.with_updates(
            status=f"{no_information}; the posterior of N shown is the prior speaking, not an estimate"
        )
    problem = _inconsistency(result) if result.ok else None
    if problem is not None:
        result = result.with_updates(status=f"not reported: {problem}")
    if strict and not result.ok:
        raise EstimabilityError(f"{method}: {result.status}")
    return result


def _inconsistency(result: Estimate) -> str | None:
    """Why the numbers of an ``"ok"`` result cannot be reported as they are, or ``None``.

    An estimate the user sees as ``"ok"`` must be finite, at least the number
    observed and inside a finite interval. Estimators are meant to say so
    themselves; this is the last line, so that no ``nan``, infinity or
    inverted interval ever reaches a report as ``"ok"``.
    """
    numbers = {"estimate": result.estimate, "lower": result.lower, "upper": result.upper}
    if not result.interval_method and math.isnan(result.lower) and math.isnan(result.upper):
        numbers = {"estimate": result.estimate}  # no interval was asked for (interval="none")
    nan = [name for name, value in numbers.items() if math.isnan(value)]
    if nan:
        return f"the {' and '.join(nan)} could not be computed (nan)"
    if math.isinf(result.estimate):
        return "the estimate is infinite: the data carry no information on the number never seen"
    slack = 1e-6 * max(1.0, abs(result.estimate))
    if result.estimate < result.observed - slack:
        return f"the estimate {result.estimate:.6g} is below the {result.observed} people observed"
    if len(numbers) == 1:
        return None
    if math.isinf(result.upper) or math.isinf(result.lower):
        return "the interval has no finite upper limit: the data cannot rule out an arbitrarily large population"
    if result.lower < result.observed - slack:
        return f"the lower limit {result.lower:.6g} is below the {result.observed} people observed"
    if not (result.lower - slack <= result.estimate <= result.upper + slack):
        return (
            f"the estimate {result.estimate:.6g} lies outside its interval [{result.lower:.6g}, {result.upper:.6g}] "
            "(a numerical failure at the edge of the parameter space)"
        )
    return None


def compare(
    data: CaptureData,
    methods: Sequence[str | tuple[str, dict[str, Any]]] | Mapping[str, tuple[str, dict[str, Any]]] | None = None,
    *,
    level: float = 0.95,
    random_seed: int | None = None,
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """Several methods side by side on the same data, one tidy row each.

    Parameters
    ----------
    data
        The capture histories.
    methods
        Method names, ``(name, options)`` pairs, or a mapping from a label to
        ``(name, options)``. By default every available method that needs no
        further options and suits the number of lists.
    level
        Nominal coverage of the intervals.
    random_seed
        Passed to every method, so the table is reproducible.
    policy
        For publication: a :class:`~mse.DisclosurePolicy` applied to the
        ``observed``, ``estimate``, ``lower`` and ``upper`` columns and to the
        numbers quoted in ``status``.

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``method``, ``model``, ``estimate``, ``lower``,
        ``upper``, ``level``, ``interval_method``, ``status``, ``seconds``. A
        method that fails or raises an :class:`~mse.MSEError` gets a row whose
        status says why; the comparison does not stop.

    Examples
    --------
    >>> import mse
    >>> table = mse.compare(mse.load_dataset("kosovo"), ["independence", "Mt"])  # doctest: +SKIP
    >>> table[["method", "estimate", "status"]]  # doctest: +SKIP
    >>> mse.compare(mse.load_dataset("kosovo"), ["independence"], policy=mse.DisclosurePolicy(round_to=100)).loc[
    ...     0, ["observed", "estimate"]].tolist()
    [4400, 7400]
    """
    from mse.errors import MSEError

    if not isinstance(data, CaptureData):
        raise DataError(f"compare() needs a mse.CaptureData, got {type(data).__name__}.")
    level = check_level(level)
    random_seed = check_random_seed(random_seed)
    plan = _comparison_plan(data, methods)
    rows = []
    for label, name, options in plan:
        started = time.perf_counter()
        try:
            result = estimate(data, name, level=level, random_seed=random_seed, **options)
            row = result.to_frame().iloc[0].to_dict()
        except MSEError as exc:
            row = {
                "method": name,
                "model": options.get("model", ""),
                "estimate": math.nan,
                "lower": math.nan,
                "upper": math.nan,
                "level": level,
                "observed": data.n_observed,
                "interval_method": "",
                "status": f"error: {exc}",
            }
        row["label"] = label
        row["seconds"] = time.perf_counter() - started
        rows.append(row)
    columns = [
        "label",
        "method",
        "model",
        "estimate",
        "lower",
        "upper",
        "level",
        "observed",
        "interval_method",
        "status",
        "seconds",
    ]
    table = pd.DataFrame(rows)[columns]
    if policy is not None and policy.active:
        # every row estimates the whole population: withhold only what could equal the count
        table = policy.protect_table(table, estimates="bound")
        shown = policy.count(data.n_observed)
        table["status"] = [policy.scrub(text, float(data.n_observed), shown) for text in table["status"]]
    return table


#: Methods compared by default, in order, with the smallest number of lists each needs.
DEFAULT_COMPARISON: tuple[tuple[str, int], ...] = (
    ("independence", 2),
    ("stepwise", 3),
    ("bic", 3),
    ("bic_aic", 3),
    ("Mt", 2),
    ("Mh_chao", 3),
    ("Mth_chao", 3),
    ("sample_coverage", 3),
    ("chapman", 2),
    ("dga", 3),
    ("lcmcr", 3),
)


def _comparison_plan(
    data: CaptureData,
    methods: Sequence[str | tuple[str, dict[str, Any]]] | Mapping[str, tuple[str, dict[str, Any]]] | None,
) -> list[tuple[str, str, dict[str, Any]]]:
    if methods is None:
        available = set(available_methods())
        chosen = [
            name
            for name, min_lists in DEFAULT_COMPARISON
            if name in available
            and data.n_lists >= min_lists
            and not (name == "chapman" and data.n_lists != 2)
            and not (name == "dga" and data.n_lists > 7)
        ]
        return [(name, name, {}) for name in chosen]
    if isinstance(methods, Mapping):
        return [(label, name, dict(options)) for label, (name, options) in methods.items()]
    plan: list[tuple[str, str, dict[str, Any]]] = []
    for entry in methods:
        if isinstance(entry, str):
            plan.append((entry, entry, {}))
        else:
            name, options = entry
            label = f"{name} {options}" if options else name
            plan.append((label, name, dict(options)))
    return plan
