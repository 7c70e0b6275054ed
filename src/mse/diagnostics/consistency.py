"""Known-truth checks: estimate the size of each list from the others.

Binette & Steorts (2022) turn every list into a population of known size:
the people on list ``L`` are a population of ``|L|`` people, of whom the other
lists see some. Estimating ``|L|`` from the other lists, restricted to the
members of ``L``, is an MSE problem with a known answer. A method that misses
these truths badly should not be trusted on the real dark figure (though
doing well here is no proof, since ``L`` is itself a selected population).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData
from mse.diagnostics._rerun import no_estimate, rerun
from mse.errors import DataError

__all__ = ["internal_consistency", "list_as_population", "trajectory"]

_COLUMNS = [
    "list",
    "truth",
    "observed",
    "estimate",
    "lower",
    "upper",
    "covered",
    "log_relative_bias",
    "status",
]


def list_as_population(data: CaptureData, name: str) -> tuple[int, CaptureData | None]:
    """The members of list ``name`` as a population, seen by the other lists.

    Parameters
    ----------
    data
        Capture histories on at least three lists.
    name
        The list whose members play the population of known size.

    Returns
    -------
    truth : int
        The number of people on list ``name``.
    restricted : CaptureData or None
        Their capture histories on the other lists that see any of them
        (people on no other list left out, as in any MSE table); ``None``
        when fewer than two other lists see them.

    Raises
    ------
    DataError
        When ``name`` is not a list of ``data`` or there are fewer than three lists.

    Examples
    --------
    >>> import mse
    >>> from mse.diagnostics import list_as_population
    >>> truth, restricted = list_as_population(mse.load_dataset("hepatitis_a"), "P")
    >>> truth, restricted.lists, restricted.n_observed
    (135, ('Q', 'E'), 66)
    """
    if name not in data.lists:
        raise DataError(f"unknown list {name!r}; the lists are {list(data.lists)}.")
    if data.n_lists < 3:
        raise DataError("the internal-consistency check needs at least three lists (one as truth, two to estimate).")
    column = data.lists.index(name)
    histories = np.asarray(data.histories)
    members = histories[:, column] == 1
    truth = int(np.asarray(data.counts)[members].sum())
    others = [i for i in range(data.n_lists) if i != column]
    seen = members & (histories[:, others].sum(axis=1) > 0)
    if not seen.any():
        return truth, None
    # Lists that none of the members are on carry nothing here: leave them out.
    others = [i for i in others if (histories[seen][:, i] > 0).any()]
    if len(others) < 2:
        return truth, None
    frame = pd.DataFrame(histories[seen][:, others], columns=[data.lists[i] for i in others])
    frame["count"] = np.asarray(data.counts)[seen]
    restricted = CaptureData.from_counts(frame, lists=list(frame.columns[:-1]))
    return truth, restricted


def internal_consistency(
    data: CaptureData,
    method: str = "independence",
    *,
    min_observed: int = 30,
    level: float = 0.95,
    random_seed: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Binette & Steorts' known-truth check: each list in turn is the population.

    For each list, :func:`list_as_population` makes its members a population
    of known size seen by the other lists; ``method`` estimates that size,
    and the row compares the estimate with the truth. A list on which the
    method raises an error is a row with ``nan`` numbers and the error in
    ``status``.

    Parameters
    ----------
    data
        Capture histories on at least three lists (covariates are summed out).
    method, options
        The estimator to check, as for :func:`mse.estimate`.
    min_observed
        Lists whose members are seen fewer than this many times by the other
        lists are reported with a status instead of an estimate: too few to
        say anything.
    level, random_seed
        Passed to :func:`mse.estimate`.

    Returns
    -------
    pandas.DataFrame
        One row per list: ``list``, ``truth``, ``observed``, ``estimate``,
        ``lower``, ``upper``, ``covered`` (whether the interval holds the
        truth), ``log_relative_bias`` (``log(estimate / truth)``), ``status``.

    References
    ----------
    Binette, O. & Steorts, R. C. (2022). On the reliability of multiple systems
    estimation for the quantification of modern slavery. *Journal of the Royal
    Statistical Society A*, 185(2), 640-676.

    Examples
    --------
    >>> import mse
    >>> table = mse.internal_consistency(mse.load_dataset("uk2013_5"), method="independence")  # doctest: +SKIP
    >>> table.set_index("list").loc["NG", ["truth", "observed"]].tolist()  # doctest: +SKIP
    [567, 104]
    """
    data = data.collapse_covariates()
    rows = []
    for name in data.lists:
        truth, restricted = list_as_population(data, name)
        observed = 0 if restricted is None else restricted.n_observed
        if restricted is None or observed < min_observed:
            numbers = no_estimate(f"only {observed} members seen by the other lists (min_observed={min_observed})")
        else:
            numbers = rerun(restricted, method, level=level, random_seed=random_seed, **options)
        rows.append({"list": name, "truth": truth, "observed": observed, **_scored(truth=truth, **numbers)})
    return pd.DataFrame(rows, columns=_COLUMNS)


def trajectory(
    data: CaptureData,
    method: str = "independence",
    *,
    order: Sequence[str] | None = None,
    level: float = 0.95,
    random_seed: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Estimates as lists accumulate: first two lists, then three, and so on.

    A stable method's estimates settle as information accrues; estimates that
    keep climbing with every list suggest heterogeneity the model misses.

    Parameters
    ----------
    data
        Capture histories (covariates are summed out).
    method, options
        The estimator, as for :func:`mse.estimate`.
    order
        The order in which lists are added (default: the data's order).

    Returns
    -------
    pandas.DataFrame
        One row per step: ``n_lists``, ``lists``, ``observed``, ``estimate``,
        ``lower``, ``upper``, ``status``.

    References
    ----------
    Binette & Steorts (2022), as for :func:`internal_consistency`.

    Examples
    --------
    >>> import mse
    >>> steps = mse.trajectory(mse.load_dataset("kosovo"), method="independence")
    >>> steps[["lists", "estimate"]].round(0)
                  lists  estimate
    0           EXH+ABA    7242.0
    1      EXH+ABA+OSCE    7393.0
    2  EXH+ABA+OSCE+HRW    7395.0
    """
    data = data.collapse_covariates()
    order = list(data.lists if order is None else order)
    if sorted(order) != sorted(data.lists):
        raise DataError(f"order must list every list once: {list(data.lists)}.")
    rows = []
    for k in range(2, len(order) + 1):
        kept = order[:k]
        subset = data.drop_lists([n for n in data.lists if n not in kept]) if k < data.n_lists else data
        row = {"n_lists": k, "lists": "+".join(kept), "observed": subset.n_observed}
        rows.append({**row, **rerun(subset, method, level=level, random_seed=random_seed, **options)})
    return pd.DataFrame(rows, columns=["n_lists", "lists", "observed", "estimate", "lower", "upper", "status"])


def _scored(estimate: float, lower: float, upper: float, truth: int, status: str) -> dict[str, Any]:
    """The row's numbers with whether the interval covers ``truth`` and the log relative bias (``nan`` if none)."""
    finite = math.isfinite(estimate) and estimate > 0
    covered: Any = pd.NA
    if not (math.isnan(lower) or math.isnan(upper)):
        covered = bool(lower <= truth <= upper)
    return {
        "estimate": estimate,
        "lower": lower,
        "upper": upper,
        "covered": covered,
        "log_relative_bias": math.log(estimate / truth) if finite and truth > 0 else math.nan,
        "status": status,
    }
