"""The front door: :func:`estimate` builds a method from its name and options and fits it.

Every method is a class of :mod:`mse.methods` whose fields are its options;
``estimate(data, "stepwise", max_order=3)`` is
``mse.methods.Stepwise(max_order=3).fit(data)``. The classes name their
estimators (in ``mse.loglinear``, ``mse.closed``, ``mse.bayes``) as strings,
imported only when first used, so ``import mse`` stays fast and PyMC is never
imported unless a PyMC method runs. Method names are looked up in
:mod:`mse.methods.registry`: the built-in methods, those added with
:func:`register_method`, and those of installed packages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mse.data.capture import CaptureData
from mse.disclosure import DisclosurePolicy
from mse.errors import DataError, ModelError
from mse.methods.base import Method
from mse.methods.registry import METHODS, available_methods, method_class, register_method
from mse.options import check_level, check_random_seed
from mse.results import Estimate

__all__ = ["METHODS", "available_methods", "estimate", "register_method"]


def _method(method: str | Method | type[Method], options: Mapping[str, Any]) -> Method:
    """The method object that ``estimate(data, method, **options)`` fits."""
    if isinstance(method, Method):
        if options:
            raise ModelError(
                f"options {sorted(options)} were given beside the method object {method!r}; give them to its class "
                f"instead: {type(method).__name__}(..., {', '.join(f'{key}=...' for key in sorted(options))})."
            )
        return method
    if isinstance(method, type) and issubclass(method, Method):
        return method.from_options(options)
    return method_class(method).from_options(options)


def estimate(
    data: CaptureData,
    method: str | Method | type[Method] = "auto",
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    strict: bool = False,
    linkage_error: str | None = None,
    linkage_draws: int | None = None,
    **options: Any,
) -> Estimate:
    """Estimate the population size ``N`` from capture histories.

    Parameters
    ----------
    data
        The capture histories, a :class:`~mse.CaptureData`.
    method
        The method: a name (see :func:`available_methods`), for example
        ``"independence"``, ``"loglinear"`` (with ``model=``), ``"stepwise"``,
        ``"aic"``, ``"bic"``, ``"bic_aic"``, the closed-population models
        ``"M0"``, ``"Mt"``, ``"Mh_chao"``, ..., or the Bayesian ``"lcmcr"``,
        ``"dga"``, ``"bayes_loglinear"``, ``"bayesthresh"``; or a method
        object of :mod:`mse.methods` such as
        ``mse.methods.Stepwise(max_order=3)``, which holds its options.
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
    linkage_error
        For a table built from a linkage (:meth:`mse.CaptureData.from_linked`):
        ``"review"`` (the default there for the log-linear methods, and for
        ``auto`` when it chooses one, when the linkage carries a clerical
        review, :meth:`~mse.linkage.LinkageResult.with_review`) fits the
        model to the table of true histories that the review estimates;
        ``"rates"`` (the default for them without a review) corrects a
        log-linear model for the linkage's false- and missed-link rates
        (Di Consiglio & Tuoto);
        ``"resample"`` (the default for the other methods) re-estimates on
        link configurations drawn from the match probabilities and combines
        them by Rubin's rules; ``"ignore"``
        takes the links at the threshold as true. The correction, the naive
        estimate and the linkage's share of the variance are in
        ``details["linkage"]`` (see :mod:`mse.linkage.correction`). On any
        other table it must be ``None``.
    linkage_draws
        The link configurations of ``"resample"`` (default 20), or the
        bootstrap replicates of the review for ``"review"`` (default 200).
    **options
        The method's options (``model``, ``max_order``, ``p_threshold``,
        ``n_boot``, ...): the fields of its class in :mod:`mse.methods`,
        where each is documented (``help(mse.methods.Stepwise)``). Every
        method takes ``max_seconds``, a time budget (default none): a run
        that exceeds it stops and returns no numbers, with a status that
        starts with ``"cut short"`` (see :mod:`mse.budget`).

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
        For an unknown method; an unknown option or one of the wrong type
        (before any fitting; the message lists the valid options); a
        malformed model, a bad option value or a bad ``random_seed``
        (negative, a fraction, text or a bool).
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
    >>> same = mse.estimate(mse.load_dataset("kosovo"), mse.methods.Independence(), interval="profile")
    >>> same.estimate == res.estimate
    True
    """
    return _method(method, options).fit(
        data,
        level=level,
        interval=interval,
        random_seed=random_seed,
        strict=strict,
        linkage_error=linkage_error,
        linkage_draws=linkage_draws,
    )


#: What :func:`compare` compares: names, method objects or ``(name, options)`` pairs, or a mapping from labels.
Comparison = (
    Sequence[str | Method | tuple[str, dict[str, Any]]] | Mapping[str, Method | tuple[str, dict[str, Any]]] | None
)


def compare(
    data: CaptureData,
    methods: Comparison = None,
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
        Method names, method objects of :mod:`mse.methods`
        (``Stepwise(max_order=3)``), ``(name, options)`` pairs, or a mapping
        from a label to a method object or ``(name, options)``. Without a
        mapping, each row is labelled with the method and its options in words
        (:func:`mse.methods.labels.describe_method`). By default every available method that needs no
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
    mse.ResultTable
        A :class:`pandas.DataFrame` with columns ``label``, ``method``,
        ``model``, ``estimate``, ``lower``, ``upper``, ``level``,
        ``observed``, ``interval_method``, ``status``, ``seconds``. A
        method that fails or raises an :class:`~mse.MSEError` gets a row whose
        status says why; the comparison does not stop. The numbers are kept
        at full precision; a notebook or console shows them as the
        summaries do (people as whole numbers, a missing estimate as "no
        estimate", status in full, the disclosure policy under the table).

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
                "method": name if isinstance(name, str) else name.name,
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
    from mse.result_table import ResultTable

    table = ResultTable(pd.DataFrame(rows)[columns])
    if policy is not None and policy.active:
        # every row estimates the whole population: withhold only what could equal the count
        table = ResultTable(policy.protect_table(table, estimates="bound"))
        shown = policy.count(data.n_observed)
        table["status"] = [policy.scrub(text, float(data.n_observed), shown) for text in table["status"]]
        table.disclosure = policy.describe()
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
    methods: Comparison,
) -> list[tuple[str, str | Method, dict[str, Any]]]:
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
        from mse.methods.labels import describe_method

        return [(describe_method(name), name, {}) for name in chosen]
    if isinstance(methods, Mapping):
        return [
            (label, entry, {}) if isinstance(entry, Method) else (label, entry[0], dict(entry[1]))
            for label, entry in methods.items()
        ]
    from mse.methods.labels import describe_method

    plan: list[tuple[str, str | Method, dict[str, Any]]] = []
    for entry in methods:
        if isinstance(entry, str):
            plan.append((describe_method(entry), entry, {}))
        elif isinstance(entry, Method):
            plan.append((entry.label(), entry, {}))
        else:
            name, options = entry
            plan.append((describe_method(name, options), name, dict(options)))
    return _distinct_labels(plan)


def _distinct_labels(
    plan: list[tuple[str, str | Method, dict[str, Any]]],
) -> list[tuple[str, str | Method, dict[str, Any]]]:
    """Number repeated labels ("stepwise (2)"), so every row of the comparison and every plot label is its own."""
    seen: dict[str, int] = {}
    out = []
    for label, name, options in plan:
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label} ({seen[label]})", name, options))
    return out
