"""Awkward capture tables and the results contract, for testing estimators.

Real lists of trafficking victims or conflict deaths are tiny, sparse and
strange: most capture histories unseen, lists that never overlap, a list with
one person on it, counts in the millions next to counts of one. This module
builds such tables on purpose, so that an estimator (one of the library's or
one registered with :func:`mse.api.register_method`) can be checked against
the contract every method of :func:`mse.estimate` keeps:

* it returns an :class:`~mse.Estimate` whose status is ``"ok"`` and whose
  numbers are finite and consistent (``observed <= lower <= estimate <= upper``),
* or it returns a status other than ``"ok"`` that says why,
* or it raises an :class:`~mse.MSEError` whose message says what to do;

and in every case only the library's own warnings (:class:`~mse.MSEWarning`
and its subclasses) reach the caller. Anything else (another exception type,
``nan`` or ``inf`` reported as ``"ok"``, a call that does not return, a raw
NumPy, PyMC, PyTensor or ArviZ warning) is a bug.

:func:`awkward_table` builds one table from a kind, a number of lists and a
seed, so a failing table can be rebuilt exactly from those three values.
:func:`awkward_tables` is a `hypothesis <https://hypothesis.readthedocs.io>`_
strategy over the same tables (hypothesis is needed only for that function).

Examples
--------
>>> from mse.testing import awkward_table, check_estimate
>>> import mse
>>> data = awkward_table("disjoint", 3, seed=1)
>>> data.overlaps()["overlap"].sum()
np.int64(0)
>>> check_estimate(mse.estimate(data, method="Mt"), data)
[]
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData
from mse.errors import MSEError, MSEWarning

__all__ = [
    "AWKWARD_KINDS",
    "CSV_KINDS",
    "FOUR_LIST_DGA",
    "FUNCTIONS",
    "HEAVY_KINDS",
    "SAVED_FILE_CORRUPTIONS",
    "SCENARIO_TEXTS",
    "SMALL_BUDGETS",
    "VARIANTS",
    "CallTimeout",
    "Outcome",
    "awkward_csv",
    "awkward_table",
    "awkward_tables",
    "check_cli",
    "check_error",
    "check_estimate",
    "check_loaded",
    "check_saved_file",
    "cli_arguments",
    "corrupt_saved_result",
    "corrupted_saved_files",
    "run_cli",
    "run_target",
    "saved_result",
    "target_options",
    "time_limit",
]

#: The kinds of awkward table :func:`awkward_table` builds.
AWKWARD_KINDS: tuple[str, ...] = (
    "typical",  # Poisson counts from a heterogeneous population: the ordinary case
    "sparse",  # a handful of histories seen, every other cell zero
    "disjoint",  # lists that never overlap: everyone is on exactly one list
    "singleton_list",  # one list has exactly one person on it
    "one_history",  # a single observed capture history
    "one_list",  # everyone on the same single list, the other lists empty
    "huge",  # counts from 1 up to 10**9 in the same table
    "tiny",  # ten people or fewer in all
    "saturated",  # every observable history seen exactly once
    "nested",  # everyone on the second list is also on the first
    "covariates",  # a categorical covariate with levels nobody has
    "single_person",  # one person in all: no information about N
    "one_pair",  # only the first two lists overlap; everyone else is on one list
    "complete_list",  # everyone is on the first list: no log-linear model has an MLE
    "four_list_dga",  # the four-list table on which dga raised ValueError (large counts elsewhere)
    "n3000",  # a heterogeneous table of 3,000 people seen (dga raised on one with seven lists)
    "many_levels",  # a covariate with 1,000 levels over 20,000 records
)

#: Kinds with tens of thousands of people or records: the large fuzz profile uses them on
#: every entry point; the fast one only where they found a bug.
HEAVY_KINDS: frozenset[str] = frozenset({"four_list_dga", "many_levels"})

#: The four-list table on which ``dga`` raised ``ValueError`` (kind ``"four_list_dga"`` with four lists).
FOUR_LIST_DGA: dict[str, int] = {
    "0001": 16897,
    "0010": 4574,
    "0011": 846,
    "0100": 26319,
    "0101": 4770,
    "0110": 1273,
    "0111": 247,
    "1000": 13688,
    "1001": 2423,
    "1010": 667,
    "1011": 119,
    "1100": 3805,
    "1101": 721,
    "1110": 178,
    "1111": 37,
}


def _history_codes(rng: np.random.Generator, n_lists: int, size: int) -> np.ndarray:
    """``size`` distinct non-zero histories of ``n_lists`` bits (as integers), or as many as exist."""
    n_cells = 2**n_lists - 1
    size = min(size, n_cells)
    return 1 + rng.choice(n_cells, size=size, replace=False)


def _bits(codes: np.ndarray, n_lists: int) -> np.ndarray:
    """Histories as rows of 0/1 with the first list as the most significant bit."""
    shifts = np.arange(n_lists - 1, -1, -1)
    return ((np.asarray(codes)[:, None] >> shifts) & 1).astype(np.int64)


def _typical(rng: np.random.Generator, n_lists: int, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    size = int(rng.integers(20, 3000)) if size is None else size
    capture = rng.uniform(0.03, 0.6, size=n_lists)
    # Two latent classes of people with different catchability.
    catchability = np.where(rng.random(size) < 0.3, 2.0, 0.5)
    p = np.clip(capture[None, :] * catchability[:, None], 0.0, 0.95)
    seen = (rng.random((size, n_lists)) < p).astype(np.int64)
    seen = seen[seen.sum(axis=1) > 0]
    if seen.shape[0] == 0:
        seen = np.eye(n_lists, dtype=np.int64)[:1]
    histories, counts = np.unique(seen, axis=0, return_counts=True)
    return histories, counts.astype(np.int64)


def _table(kind: str, rng: np.random.Generator, n_lists: int) -> tuple[np.ndarray, np.ndarray]:
    if kind == "typical":
        return _typical(rng, n_lists)
    if kind == "sparse":
        codes = _history_codes(rng, n_lists, int(rng.integers(1, 5)))
        return _bits(codes, n_lists), rng.integers(1, 6, size=codes.size)
    if kind == "disjoint":
        eye = np.eye(n_lists, dtype=np.int64)
        counts = rng.integers(1, 1000, size=n_lists)
        if n_lists > 2 and rng.random() < 0.3:
            counts[rng.integers(n_lists)] = 0  # and one list empty as well
        return eye, counts
    if kind == "singleton_list":
        histories, counts = _typical(rng, n_lists)
        alone = int(rng.integers(n_lists))
        keep = histories[:, alone] == 0
        histories, counts = histories[keep], counts[keep]
        single = np.zeros((1, n_lists), dtype=np.int64)
        single[0, alone] = 1
        if rng.random() < 0.5:  # the one person may be on another list too
            single[0, (alone + 1) % n_lists] = 1
        return np.vstack([histories, single]), np.concatenate([counts, [1]])
    if kind == "one_history":
        codes = _history_codes(rng, n_lists, 1)
        return _bits(codes, n_lists), np.array([int(10 ** rng.uniform(0, 6))])
    if kind == "one_list":
        history = np.zeros((1, n_lists), dtype=np.int64)
        history[0, int(rng.integers(n_lists))] = 1
        return history, np.array([int(rng.integers(1, 10_000))])
    if kind == "huge":
        histories, counts = _typical(rng, n_lists)
        scale = 10 ** rng.uniform(3, 9, size=counts.size)
        counts = np.minimum(np.maximum(np.round(counts * scale), 1), 10**9).astype(np.int64)
        counts[int(rng.integers(counts.size))] = 1
        return histories, counts
    if kind == "tiny":
        codes = _history_codes(rng, n_lists, int(rng.integers(1, 8)))
        counts = rng.multinomial(int(rng.integers(codes.size, 11)) - codes.size, np.full(codes.size, 1 / codes.size))
        return _bits(codes, n_lists), counts + 1
    if kind == "saturated":
        codes = np.arange(1, 2**n_lists)
        return _bits(codes, n_lists), np.ones(codes.size, dtype=np.int64)
    if kind == "nested":
        histories, counts = _typical(rng, n_lists)
        histories = histories.copy()
        histories[:, 0] = np.maximum(histories[:, 0], histories[:, 1])
        return histories, counts
    if kind == "single_person":
        codes = _history_codes(rng, n_lists, 1)
        return _bits(codes, n_lists), np.array([1])
    if kind == "one_pair":
        eye = np.eye(n_lists, dtype=np.int64)
        pair = np.zeros((1, n_lists), dtype=np.int64)
        pair[0, :2] = 1
        return np.vstack([eye, pair]), np.concatenate([rng.integers(1, 500, size=n_lists), [int(rng.integers(1, 50))]])
    if kind == "complete_list":
        codes = _history_codes(rng, n_lists, int(rng.integers(2, 9)))
        histories = _bits(codes, n_lists)
        histories[:, 0] = 1
        histories, index = np.unique(histories, axis=0, return_inverse=True)
        counts = np.bincount(index.ravel(), weights=rng.integers(1, 8, size=index.size)).astype(np.int64)
        return histories, counts
    if kind == "four_list_dga":
        if n_lists == 4:
            histories = np.array([[int(b) for b in key] for key in FOUR_LIST_DGA], dtype=np.int64)
            return histories, np.array(list(FOUR_LIST_DGA.values()), dtype=np.int64)
        return _typical(rng, n_lists, size=80_000)
    if kind == "n3000":
        histories, counts = _typical(rng, n_lists, size=40_000)
        people = rng.permutation(np.repeat(np.arange(len(counts)), counts))[:3000]
        rows, counts = np.unique(people, return_counts=True)
        return histories[rows], counts.astype(np.int64)
    if kind == "many_levels":
        return _typical(rng, n_lists, size=60_000)
    raise ValueError(f"unknown kind {kind!r}; choose one of {AWKWARD_KINDS}")


def awkward_table(kind: str, n_lists: int, seed: int) -> CaptureData:
    """One awkward capture table, rebuilt exactly from ``(kind, n_lists, seed)``.

    Parameters
    ----------
    kind
        One of :data:`AWKWARD_KINDS`.
    n_lists
        The number of lists, 2 or more (the dense table has ``2**n_lists`` cells).
    seed
        Seed of the random choices within the kind.

    Returns
    -------
    CaptureData
        Lists are named ``L0``, ``L1``, ...; kind ``"covariates"`` adds a
        categorical ``group`` with levels ``a``, ``b``, ``c`` and ``d``, of
        which nobody has ``d`` (and sometimes ``c``); kind ``"many_levels"``
        a ``region`` with up to 1,000 levels. Warnings about empty
        lists are not raised here: the table is awkward on purpose.

    Examples
    --------
    >>> from mse.testing import awkward_table
    >>> awkward_table("one_list", 4, seed=0).to_frame()
       L0  L1  L2  L3  count
    0   1   0   0   0    517
    """
    if n_lists < 2:
        raise ValueError("an awkward table needs at least two lists")
    rng = np.random.default_rng([seed, n_lists, AWKWARD_KINDS.index(kind) if kind in AWKWARD_KINDS else 99])
    lists = [f"L{i}" for i in range(n_lists)]
    covariate = kind == "covariates"
    histories, counts = _table("typical" if covariate else kind, rng, n_lists)
    frame = pd.DataFrame(histories, columns=lists)
    covariates: list[str] = []
    if covariate:
        used = ["a", "b"] if rng.random() < 0.5 else ["a", "b", "c"]
        frame["group"] = pd.Categorical(rng.choice(used, size=len(frame)), categories=["a", "b", "c", "d"])
        covariates = ["group"]
    if kind == "many_levels":
        # one row per person, 20,000 of them, spread over 1,000 regions
        people = np.repeat(np.arange(len(frame)), counts)[:20_000]
        frame = frame.iloc[people].reset_index(drop=True)
        frame["region"] = [f"r{r:04d}" for r in rng.integers(0, 1000, size=len(frame))]
        counts = np.ones(len(frame), dtype=np.int64)
        covariates = ["region"]
    frame["count"] = np.asarray(counts, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CaptureData.from_counts(frame, lists=lists, covariates=covariates)


def awkward_tables(
    min_lists: int = 2,
    max_lists: int = 10,
    kinds: Sequence[str] | None = None,
) -> Any:
    """A hypothesis strategy of :func:`awkward_table` tables.

    Parameters
    ----------
    min_lists, max_lists
        Range of the number of lists.
    kinds
        The kinds to draw from (default: every one of :data:`AWKWARD_KINDS`
        but the :data:`HEAVY_KINDS`, which the fast fuzz tests name explicitly).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of :class:`~mse.CaptureData`. A failing example is reported by
        hypothesis with the kind, number of lists and seed that rebuild it.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from mse.testing import awkward_tables
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(awkward_tables(max_lists=4))
    ... def test_observed_is_positive(data):
    ...     assert data.n_observed > 0
    >>> test_observed_is_positive()
    """
    from hypothesis import strategies as st

    chosen = tuple(kinds or (kind for kind in AWKWARD_KINDS if kind not in HEAVY_KINDS))
    return st.builds(
        awkward_table,
        kind=st.sampled_from(chosen),
        n_lists=st.integers(min_lists, max_lists),
        seed=st.integers(0, 2**32 - 1),
    )


def _close_enough(low: float, high: float) -> bool:
    """``low <= high`` up to rounding of the root finders."""
    return low <= high + 1e-6 * max(1.0, abs(high))


def check_estimate(result: Any, data: CaptureData, observed: int | None = None) -> list[str]:
    """The ways ``result`` breaks the results contract (an empty list when it keeps it).

    Parameters
    ----------
    result
        What :func:`mse.estimate` returned.
    data
        The data it was given.
    observed
        The number of people the estimate should report as observed, if not
        ``data.n_observed`` (two-list methods given ``lists=`` see fewer).

    Returns
    -------
    list of str
        One message per broken rule: an ``"ok"`` result must have finite
        ``estimate``, ``lower`` and ``upper`` with
        ``observed <= lower <= estimate <= upper`` and ``observed`` equal to
        ``data.n_observed``; any other status must be a reason (a sentence,
        not an empty string). A table that carries no information about ``N``
        (see :func:`mse.information.information_problem`) never has an
        ``"ok"`` result, whatever the method: a subset of its lists has none either.
    """
    from mse.information import information_problem
    from mse.result_schema import contract_problems
    from mse.results import Estimate

    if not isinstance(result, Estimate):
        return [f"returned {type(result).__name__}, not an Estimate"]
    problems = []
    expected = data.n_observed if observed is None else observed
    if result.observed != expected:
        problems.append(f"observed is {result.observed}, expected {expected}")
    if result.status == "ok":
        no_information = information_problem(data)
        if no_information is not None:
            problems.append(f"status 'ok' on a table with {no_information}")
    return problems + contract_problems(result)


def check_error(error: BaseException) -> list[str]:
    """The ways a raised exception breaks the contract (an empty list when it keeps it).

    Only :class:`~mse.MSEError` subclasses may be raised, with a message long
    enough to say what is wrong and what to do.
    """
    if not isinstance(error, MSEError):
        return [f"raised {type(error).__name__}: {error}"]
    if len(str(error).strip()) < 20:
        return [f"{type(error).__name__} message {str(error)!r} does not say what to do"]
    return []


# ---------------------------------------------------------------------- calling every entry point
#: Options that keep each method's work small enough to call it on thousands of tables.
SMALL_BUDGETS: dict[str, dict[str, Any]] = {
    "loglinear": {"model": "all two-way"},
    "aic": {"max_models": 200},
    "bic": {"max_models": 200},
    "sample_coverage": {"n_boot": 20},
    "lcmcr": {"K": 5, "chains": 2, "draws": 200, "tune": 100},
    "dga": {"draws": 200},
    "auto": {"n_boot": 100, "progress": False},
    "bayes_loglinear": {"draws": 50, "tune": 50, "chains": 2, "cores": 1},
    "bayesthresh": {"draws": 50, "tune": 50, "chains": 2, "cores": 1},
}

#: Option settings of :func:`mse.estimate` fuzzed as targets of their own: label -> (method, options).
#: ``max_order`` is capped at ``t - 1`` for the table at hand (see :func:`target_options`).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "stepwise_three_way": ("stepwise", {"max_order": 3, "interval": "bca", "n_boot": 50, "progress": False}),
    "stepwise_bias_reduced": (
        "stepwise",
        {"bias_correction": True, "interval": "bca", "n_boot": 50, "progress": False},
    ),
    "loglinear_bias_reduced": ("loglinear", {"model": "all two-way", "bias_correction": True}),
    "bic_average": ("bic_average", {"max_models": 200, "n_boot": 50, "progress": False}),
}

#: Entry points other than :func:`mse.estimate` that the contract covers.
FUNCTIONS: tuple[str, ...] = (
    "select_model:stepwise",
    "select_model:bic",
    "select_model:bic_aic",
    "check_estimability",
    "goodness_of_fit",
    "internal_consistency",
)


class CallTimeout(BaseException):
    """A call ran past its time limit (a :class:`BaseException`, so no ``except Exception`` swallows it)."""


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CallTimeout` in the block after ``seconds`` of wall time.

    Uses ``SIGALRM``, so it works in the main thread on POSIX systems only;
    elsewhere (and with ``seconds=None``) the block runs without a limit. It
    interrupts Python code, not a single long call into compiled code: run the
    call in a separate process as well where that matters.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    if seconds is None or not hasattr(signal, "SIGALRM") or not main_thread:
        yield
        return

    def _expired(signum: int, frame: Any) -> None:
        raise CallTimeout(f"the call did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Outcome:
    """What one call did: ``kind`` is ``"ok"``, ``"status"`` (a reason instead of a number),
    ``"error"`` (an :class:`~mse.MSEError`), ``"other"`` (any other exception), ``"violation"``
    (an ``"ok"`` result that breaks the contract), ``"foreign_warning"`` (a warning that is not an
    :class:`~mse.MSEWarning` escaped the call) or ``"timeout"``; ``message`` says more."""

    target: str
    kind: str
    message: str = ""
    seconds: float = 0.0

    @property
    def acceptable(self) -> bool:
        """Whether the call kept the contract."""
        return self.kind in ("ok", "status", "error")


def target_options(target: str, data: CaptureData) -> dict[str, Any]:
    """The options :func:`run_target` passes to ``target`` for ``data`` (small budgets)."""
    options = dict(VARIANTS[target][1] if target in VARIANTS else SMALL_BUDGETS.get(target, {}))
    if "max_order" in options:
        options["max_order"] = max(1, min(int(options["max_order"]), data.n_lists - 1))
    if target in ("chapman", "lincoln_petersen") and data.n_lists > 2:
        options["lists"] = data.lists[:2]
    return options


def _check_search(search: Any, data: CaptureData) -> tuple[str, list[str]]:
    from mse.results import ModelSearch

    if not isinstance(search, ModelSearch):
        return "violation", [f"returned {type(search).__name__}, not a ModelSearch"]
    table = search.table
    problems = [f"search table lacks column {c!r}" for c in ("model", "status", "estimate") if c not in table.columns]
    if problems:
        return "violation", problems
    ok = table["status"] == "ok"
    values = table.loc[ok, "estimate"].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        problems.append("a model with status 'ok' in the search table has a non-finite estimate")
    elif np.any(values < data.n_observed * (1 - 1e-9)):
        problems.append("a model with status 'ok' in the search table has an estimate below n")
    bad_reasons = [s for s in table.loc[~ok, "status"] if not isinstance(s, str) or len(s.strip()) < 10]
    if bad_reasons:
        problems.append(f"failed models without a reason: {bad_reasons[:3]}")
    if not isinstance(search.best, str):
        problems.append(f"best is {search.best!r}, not a string")
    kind = "ok" if search.best else "status"
    return ("violation" if problems else kind), problems


def _check_fit_summary(summary: Any, data: CaptureData) -> tuple[str, list[str]]:
    status = summary.get("status")
    if not isinstance(status, str) or not status.strip():
        return "violation", [f"goodness_of_fit status {status!r} is not a reason"]
    if status != "ok":
        return "status", []
    problems = []
    for name in ("deviance", "pearson", "estimate"):
        if not math.isfinite(summary[name]):
            problems.append(f"status 'ok' with {name} = {summary[name]!r}")
    if summary["deviance"] < -1e-6 * max(1.0, data.n_observed):
        problems.append(f"negative deviance {summary['deviance']!r}")
    p_value = summary["p_value"]
    if not (math.isnan(p_value) if summary["df"] == 0 else 0.0 <= p_value <= 1.0):
        problems.append(f"p-value {p_value!r} with {summary['df']} degrees of freedom")
    if math.isfinite(summary["estimate"]) and summary["estimate"] < data.n_observed * (1 - 1e-9):
        problems.append(f"estimate {summary['estimate']!r} below n = {data.n_observed}")
    return ("violation" if problems else "ok"), problems


def _check_consistency(table: Any, data: CaptureData) -> tuple[str, list[str]]:
    problems = []
    if len(table) != data.n_lists:
        problems.append(f"{len(table)} rows for {data.n_lists} lists")
    for row in table.itertuples():
        if row.status == "ok":
            values = (row.estimate, row.lower, row.upper)
            if not all(math.isfinite(v) for v in values):
                problems.append(f"list {row.list}: status 'ok' with estimate/lower/upper {values}")
            elif not (_close_enough(row.lower, row.estimate) and _close_enough(row.estimate, row.upper)):
                problems.append(f"list {row.list}: estimate outside its interval {values}")
        elif not isinstance(row.status, str) or len(row.status.strip()) < 10:
            problems.append(f"list {row.list}: status {row.status!r} does not say why")
    kind = "ok" if (table["status"] == "ok").any() else "status"
    return ("violation" if problems else kind), problems


def _call(target: str, data: CaptureData, random_seed: int | None) -> tuple[str, list[str]]:
    import mse
    from mse.loglinear.fit.existence import check_estimability
    from mse.loglinear.search.model_search import select_model

    if target.startswith("select_model:"):
        method = target.split(":", 1)[1]
        search_options: dict[str, Any] = {"max_models": 200} if method == "bic" else {}
        return _check_search(select_model(data, method=method, **search_options), data)
    if target == "check_estimability":
        report = check_estimability(data, model="independence")
        if not isinstance(report.mle_exists, bool) or not isinstance(report.identifiable, bool):
            return "violation", ["mle_exists and identifiable must be booleans"]
        if report.ok:
            return "ok", []
        reason = report.reason
        return ("status", []) if isinstance(reason, str) and len(reason) >= 10 else ("violation", [repr(reason)])
    if target == "goodness_of_fit":
        return _check_fit_summary(mse.goodness_of_fit(data, model="independence", influence=data.n_lists <= 5), data)
    if target == "internal_consistency":
        table = mse.internal_consistency(data, method="independence", min_observed=5, random_seed=random_seed)
        return _check_consistency(table, data)
    options = target_options(target, data)
    method = VARIANTS[target][0] if target in VARIANTS else target
    result = mse.estimate(data, method=method, random_seed=random_seed, **options)
    observed = None
    if "lists" in options:
        observed = data.drop_lists([name for name in data.lists if name not in options["lists"]]).n_observed
    problems = check_estimate(result, data, observed=observed)
    if problems:
        return "violation", problems
    return ("ok" if result.status == "ok" else "status"), []


def _foreign_warnings(recorded: list[warnings.WarningMessage]) -> str:
    """The warnings in ``recorded`` that are not the library's own, described for a report ("" if none)."""
    foreign = [w for w in recorded if not issubclass(w.category, MSEWarning)]
    return "; ".join(
        f"{w.category.__name__}: {str(w.message).strip()[:120]} "
        f"(at {w.filename.rsplit('site-packages/', 1)[-1]}:{w.lineno})"
        for w in foreign[:3]
    )


def run_target(
    target: str,
    data: CaptureData,
    *,
    timeout: float | None = 120.0,
    random_seed: int | None = 1,
) -> Outcome:
    """Call one entry point on ``data`` and sort what happened into an :class:`Outcome`.

    Every warning raised by the call is recorded: one that is not an
    :class:`~mse.MSEWarning` makes the outcome ``"foreign_warning"``, which is
    not acceptable.

    Parameters
    ----------
    target
        A method of :func:`mse.estimate` (called with :data:`SMALL_BUDGETS`) or
        one of :data:`FUNCTIONS`.
    data
        The table.
    timeout
        Seconds before the call counts as hanging (see :func:`time_limit`).
    random_seed
        Passed to every random step.

    Examples
    --------
    >>> from mse.testing import awkward_table, run_target
    >>> run_target("chapman", awkward_table("disjoint", 2, seed=0)).kind
    'status'
    """
    started = time.perf_counter()
    recorded: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always")
            with time_limit(timeout):
                kind, problems = _call(target, data, random_seed)
        message = "; ".join(problems)
    except CallTimeout as exc:
        kind, message = "timeout", str(exc)
    except Exception as exc:
        problems = check_error(exc)
        kind = "other" if problems and not isinstance(exc, MSEError) else ("violation" if problems else "error")
        message = problems[0] if problems else f"{type(exc).__name__}: {exc}"
        if kind == "other":
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            message += f" (at {frame.filename.rsplit('/src/', 1)[-1]}:{frame.lineno})"
    foreign = _foreign_warnings(recorded)
    if foreign and kind in ("ok", "status", "error"):
        # The call kept the results contract, but a warning the user cannot act on reached them.
        kind, message = "foreign_warning", foreign
    return Outcome(target, kind, message, time.perf_counter() - started)


# ---------------------------------------------------------------------- saved files
#: The ways :func:`corrupt_saved_result` damages or edits a saved result.
SAVED_FILE_CORRUPTIONS: tuple[str, ...] = (
    "truncate",  # cut at a random byte, as an interrupted copy does
    "flip_bytes",  # a few random bytes changed
    "delete_key",  # a key removed, at the top level or inside details, metadata, strata, draws
    "rename_key",  # a key renamed
    "change_type",  # a value replaced by one of another JSON type
    "out_of_range",  # a number replaced by a negative, fractional, zero, huge or out-of-range one
    "deep_nesting",  # a value replaced by lists or objects nested up to thousands deep
    "huge_number",  # a number written as 1e999, -1e999, 1e-999 or an integer of thousands of digits
    "non_finite_literal",  # NaN, Infinity or -Infinity written where save writes a number
    "wrong_top_level",  # the file is a list, a number, a string, null, or the result wrapped in something
    "duplicate_key",  # a key repeated with another value (json keeps the last)
    "edit_numbers",  # estimate, limits, level or observed scaled or swapped, keeping the format
    "edit_fit",  # the saved log-linear fit: arrays cut short, names repeated, counts or model or lists changed
    "edit_frames",  # a saved table: a column type changed, a column cut short, a name repeated, a value replaced
)

#: Values :func:`corrupt_saved_result` puts where another type was.
_OTHER_TYPES: tuple[Any, ...] = (None, True, False, "text", "", "inf", "nan", 3.7, -1, 0, [], {}, [1, "a"], {"a": 1})
_OUT_OF_RANGE: tuple[Any, ...] = (-5, -1e-9, 0, 0.5, 1, 1.0, 7, 3.7, 1e308, -1e308, 2**60, -(2**60), 10**20)


def _random_path(rng: np.random.Generator, payload: Any) -> list[Any]:
    """A path to a random value: a top-level key, then (sometimes) deeper into its containers."""
    path: list[Any] = []
    node = payload
    while isinstance(node, (dict, list)) and len(node) and (not path or rng.random() < 0.6):
        key = list(node)[int(rng.integers(len(node)))] if isinstance(node, dict) else int(rng.integers(len(node)))
        path.append(key)
        node = node[key]
    return path


def _replace_at(payload: Any, path: list[Any], value: Any) -> None:
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def _number_positions(text: str) -> list[tuple[int, int]]:
    """Spans of the JSON numbers in ``text`` that are values, not digits inside a string.

    ``save`` indents its JSON, so every value stands at the end of its own line;
    in other layouts, any number after a ``:``, ``[`` or ``,`` (some inside strings).
    """
    spans = [m.span(1) for m in re.finditer(rf"(?:: |^\s*)({_NUMBER}),?$", text, re.M)]
    return spans or [m.span(1) for m in re.finditer(rf"[:\[,]\s*({_NUMBER})", text)]


def corrupt_saved_result(content: bytes, kind: str, seed: int) -> bytes:
    """A damaged or edited copy of a file written by :meth:`mse.Estimate.save`, rebuilt exactly from ``(kind, seed)``.

    Parameters
    ----------
    content
        The bytes of a saved result.
    kind
        One of :data:`SAVED_FILE_CORRUPTIONS`.
    seed
        Seed of the random choices within the kind (which byte, which key, which value).

    Returns
    -------
    bytes
        What a hostile or unlucky user may hand to :func:`mse.load_result`. Some
        edits leave a valid result (a renamed key of ``metadata``, an estimate
        scaled within its interval); the contract is that loading either gives
        a result that keeps the results contract or raises :class:`~mse.DataError`.

    Examples
    --------
    >>> import json, mse
    >>> res = mse.Estimate(estimate=120.0, lower=100.0, upper=150.0, level=0.95, observed=80, method="demo")
    >>> content = json.dumps({**res.to_dict(), "format": "mse.Estimate/1"}).encode()
    >>> corrupt_saved_result(content, "wrong_top_level", seed=0) == corrupt_saved_result(content, "wrong_top_level", 0)
    True
    """
    if kind not in SAVED_FILE_CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose one of {SAVED_FILE_CORRUPTIONS}")
    rng = np.random.default_rng([seed, SAVED_FILE_CORRUPTIONS.index(kind)])
    if kind == "truncate":
        return content[: int(rng.integers(len(content)))]
    if kind == "flip_bytes":
        damaged = bytearray(content)
        for _ in range(int(rng.integers(1, 9))):
            damaged[int(rng.integers(len(damaged)))] ^= int(rng.integers(1, 256))
        return bytes(damaged)
    text = content.decode("utf-8")
    if kind == "non_finite_literal":
        spans = _number_positions(text)
        start, end = spans[int(rng.integers(len(spans)))]
        literal = ("NaN", "Infinity", "-Infinity")[int(rng.integers(3))]
        return (text[:start] + literal + text[end:]).encode()
    if kind == "huge_number":
        spans = _number_positions(text)
        start, end = spans[int(rng.integers(len(spans)))]
        huge = ("1e999", "-1e999", "1e-999", "1" + "0" * int(rng.integers(300, 20_000)))[int(rng.integers(4))]
        return (text[:start] + huge + text[end:]).encode()
    if kind == "duplicate_key":
        payload = json.loads(text)
        key = list(payload)[int(rng.integers(len(payload)))]
        other = _OTHER_TYPES[int(rng.integers(len(_OTHER_TYPES)))]
        # Text-level, since a dict cannot hold a key twice: the repeat goes first, so json would keep the original.
        return ("{" + json.dumps(key) + ": " + json.dumps(other) + ", " + text.lstrip()[1:]).encode()
    payload = json.loads(text)
    if kind == "wrong_top_level":
        choices: list[Any] = [[], None, 3, "result", [payload], {"result": payload}, [1, 2, 3]]
        return json.dumps(choices[int(rng.integers(len(choices)))]).encode()
    if kind == "edit_numbers":
        names = ["estimate", "lower", "upper", "level", "observed"]
        first, second = rng.choice(names, size=2, replace=False)
        if rng.random() < 0.5:
            payload[first], payload[second] = payload[second], payload[first]
        elif isinstance(payload[first], (int, float)) and not isinstance(payload[first], bool):
            payload[first] = payload[first] * float(rng.choice([0.0, 0.5, 0.999, 1.001, 2.0, -1.0]))
        return json.dumps(payload, indent=1).encode()
    if kind == "edit_fit" and isinstance(payload.get("fit"), dict):
        _edit_fit(rng, payload["fit"])
        return json.dumps(payload, indent=1).encode()
    if kind in ("edit_fit", "edit_frames"):
        tables = [table for table in (payload.get("frames") or {}).values() if isinstance(table, dict)]
        fit = payload.get("fit")
        if isinstance(fit, dict) and isinstance(fit.get("search"), dict):
            tables.append(fit["search"])
        if tables:
            _edit_table(rng, tables[int(rng.integers(len(tables)))])
            return json.dumps(payload, indent=1).encode()
        kind = "change_type"  # a file without a fit or tables: edit something else
    path = _random_path(rng, payload)
    if kind == "delete_key" or kind == "rename_key":
        parent: Any = payload
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict):
            value = parent.pop(path[-1])
            if kind == "rename_key":
                parent[str(path[-1]).upper() if rng.random() < 0.5 else f"{path[-1]}_"] = value
        else:
            del parent[path[-1]]
    elif kind == "change_type":
        _replace_at(payload, path, _OTHER_TYPES[int(rng.integers(len(_OTHER_TYPES)))])
    elif kind == "out_of_range":
        _replace_at(payload, path, _OUT_OF_RANGE[int(rng.integers(len(_OUT_OF_RANGE)))])
    elif kind == "deep_nesting":
        depth = int(rng.integers(30, 5000))
        opener, closer = ("[", "]") if rng.random() < 0.5 else ('{"a": ', "}")
        marker = "__nested__"
        _replace_at(payload, path, marker)
        nested = opener * depth + "1" + closer * depth
        return json.dumps(payload, indent=1).replace(json.dumps(marker), nested, 1).encode()
    return json.dumps(payload, indent=1).encode()


def _edit_fit(rng: np.random.Generator, fit: dict[str, Any]) -> None:
    """One edit of a saved log-linear fit that a careless hand or a buggy writer could make."""
    keys = ("counts", "fitted", "cells_used", "coef", "cov", "coef_names")
    arrays = [k for k in keys if isinstance(fit.get(k), list)]
    choice = int(rng.integers(8))
    if choice == 0 and arrays:  # an array cut short (or a covariance row)
        key = arrays[int(rng.integers(len(arrays)))]
        target = fit[key]
        if key == "cov" and target and isinstance(target[0], list) and rng.random() < 0.5:
            target = target[int(rng.integers(len(target)))]
        if target:
            target.pop()
    elif choice == 1 and isinstance(fit.get("coef_names"), list) and len(fit["coef_names"]) > 1:
        fit["coef_names"][0] = fit["coef_names"][-1] if rng.random() < 0.5 else "not:a:term"
    elif choice == 2 and isinstance(fit.get("counts"), list) and fit["counts"]:
        i = int(rng.integers(len(fit["counts"])))
        fit["counts"][i] = [-1, 0.5, 10**6, None, "inf"][int(rng.integers(5))]
    elif choice == 3:
        fit["model"] = ["", "A:B", "independence + :", "X:Y:Z", "all two-way", "independence"][int(rng.integers(6))]
    elif choice == 4 and isinstance(fit.get("lists"), list) and fit["lists"]:
        lists = fit["lists"]
        edit = int(rng.integers(3))
        if edit == 0:
            lists.pop()
        elif edit == 1:
            lists[-1] = lists[0]
        else:
            lists.append("EXTRA")
    elif choice == 5 and isinstance(fit.get("fitted"), list) and fit["fitted"]:
        i = int(rng.integers(len(fit["fitted"])))
        fit["fitted"][i] = [-1.0, 0.0, 1e300, None, "-inf"][int(rng.integers(5))]
    elif choice == 6:
        key = ["observed", "df", "n_params", "iterations", "estimate", "status"][int(rng.integers(6))]
        fit[key] = _OTHER_TYPES[int(rng.integers(len(_OTHER_TYPES)))]
    else:
        key = list(fit)[int(rng.integers(len(fit)))]
        del fit[key]


def _edit_table(rng: np.random.Generator, table: dict[str, Any]) -> None:
    """One edit of a saved table (``frames`` or a fit's search table)."""
    columns, dtypes, data = table.get("columns"), table.get("dtypes"), table.get("data")
    if not (isinstance(columns, list) and isinstance(dtypes, list) and isinstance(data, list) and columns and data):
        table.clear()
        return
    j = int(rng.integers(min(len(columns), len(dtypes), len(data))))
    choice = int(rng.integers(6))
    if choice == 0:
        dtypes[j] = ["int64", "bool", "float64", "category", "str", "datetime64[ns]"][int(rng.integers(6))]
    elif choice == 1 and isinstance(data[j], list) and data[j]:
        data[j].pop()
    elif choice == 2 and len(columns) > 1:
        columns[j] = columns[(j + 1) % len(columns)]
    elif choice == 3 and isinstance(data[j], list) and data[j]:
        data[j][int(rng.integers(len(data[j])))] = _OTHER_TYPES[int(rng.integers(len(_OTHER_TYPES)))]
    elif choice == 4:
        table["index"] = [0] if rng.random() < 0.5 else "rows"
    else:
        data.pop()


def check_loaded(result: Any) -> list[str]:
    """The ways a result read back by :func:`mse.load_result` is not one a user can rely on (empty when fine).

    Beyond the results contract, the result must be usable as any other: its
    fields of the documented types, and its views (``summary``, ``to_frame``,
    ``to_json``, ``se``, ``breakdown`` by each covariate, and for a log-linear
    fit ``goodness_of_fit`` and the coefficient table) must not raise.
    """
    from mse.result_schema import contract_problems
    from mse.results import Estimate

    if not isinstance(result, Estimate):
        return [f"load_result returned {type(result).__name__}, not an Estimate"]
    problems = contract_problems(result)
    if not (isinstance(result.observed, int) and not isinstance(result.observed, bool) and result.observed >= 0):
        problems.append(f"observed is {result.observed!r}, not a count of people")
    if not (isinstance(result.level, float) and 0.0 < result.level < 1.0):
        problems.append(f"level is {result.level!r}")
    if not (isinstance(result.warnings, tuple) and all(isinstance(w, str) for w in result.warnings)):
        problems.append(f"warnings is {result.warnings!r}, not a tuple of messages")
    if result.draws is not None and (result.draws.ndim != 1 or result.draws.flags.writeable):
        problems.append("draws is not a read-only vector")
    views: list[tuple[str, Any]] = [
        ("summary()", result.summary),
        ("to_frame()", result.to_frame),
        ("to_json()", result.to_json),
        ("se", lambda: result.se),
    ]
    if result.fit is not None:
        import mse

        views.append(("goodness_of_fit(result)", lambda: mse.goodness_of_fit(result)))
        views.append(("fit.coef_table()", lambda: result.fit.coef_table()))
    if result.strata is not None:
        views.extend((f"breakdown({c!r})", lambda c=c: result.breakdown(c)) for c in result.strata_covariates)
    for name, view in views:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                view()
        except Exception as exc:
            problems.append(f"loaded, but {name} raised {type(exc).__name__}: {exc}")
    return problems


def check_saved_file(content: bytes, *, max_bytes: int | None = None) -> Outcome:
    """Load ``content`` as a saved result and sort what happened into an :class:`Outcome`.

    ``"ok"``: it loaded and passes :func:`check_loaded`; ``"error"``: a
    :class:`~mse.DataError` whose message says what to do; anything else
    (another exception, a result that breaks the contract, an error with a
    message too short to help) breaks the contract of :func:`mse.load_result`.

    Examples
    --------
    >>> from mse.testing import check_saved_file
    >>> check_saved_file(b"[]").kind
    'error'
    """
    from mse.errors import DataError
    from mse.results import load_result

    started = time.perf_counter()
    handle, name = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        try:
            result = load_result(name, max_bytes=max_bytes)
        except DataError as exc:
            problems = check_error(exc)
            kind = "violation" if problems else "error"
            message = problems[0] if problems else str(exc)
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            kind = "other"
            message = f"{type(exc).__name__}: {exc} (at {frame.filename.rsplit('/src/', 1)[-1]}:{frame.lineno})"
        else:
            problems = check_loaded(result)
            kind = "violation" if problems else "ok"
            message = "; ".join(problems)
    finally:
        os.unlink(name)
    return Outcome("load_result", kind, message[:500], time.perf_counter() - started)


def saved_result(target: str, data: CaptureData, *, random_seed: int | None = 1) -> bytes:
    """The bytes :meth:`mse.Estimate.save` writes for ``target`` on ``data`` (with :data:`SMALL_BUDGETS`).

    Raises
    ------
    MSEError
        When the method refuses the table (callers skip such tables).
    """
    import mse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mse.estimate(data, method=target, random_seed=random_seed, **target_options(target, data))
    handle, name = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    try:
        result.save(name)
        with open(name, "rb") as file:
            return file.read()
    finally:
        os.unlink(name)


def corrupted_saved_files(contents: Sequence[bytes]) -> Any:
    """A hypothesis strategy of :func:`corrupt_saved_result` copies of the given saved files.

    A failing example is reported by hypothesis with the file's index, the
    corruption and the seed that rebuild it.
    """
    from hypothesis import strategies as st

    return st.builds(
        corrupt_saved_result,
        content=st.sampled_from(list(contents)),
        kind=st.sampled_from(SAVED_FILE_CORRUPTIONS),
        seed=st.integers(0, 2**32 - 1),
    )


# ---------------------------------------------------------------------- the command line
#: Kinds of awkward CSV file :func:`awkward_csv` writes.
CSV_KINDS: tuple[str, ...] = (
    "good",  # an ordinary table of counts on lists A, B, C
    "two_lists",  # lists A and B only
    "empty",  # a file of no bytes
    "blank_lines",  # only line breaks
    "header_only",  # column names and no rows
    "huge_count",  # a count of 2**64 - 1
    "big_int",  # a count of 23 digits
    "overflow_total",  # three counts of 2**62
    "negative",  # a count of -3
    "fraction",  # a count of 2.5
    "non_numeric",  # a count that is text
    "missing_count",  # an empty count cell
    "no_count_column",  # the count column is called n
    "semicolon",  # ; as the delimiter
    "tab",  # tabs as the delimiter
    "bom",  # a UTF-8 byte-order mark and CRLF line ends
    "ragged",  # a row with too many fields
    "binary",  # bytes that are not UTF-8
    "latin1",  # a list name in Latin-1
    "bad_list_name",  # list names holding ':' and '+'
    "non_binary_list",  # a list column holding 2
    "all_zero",  # a row on no list
    "covariate",  # a covariate column sex with a missing value
    "records",  # one row per person, with a column of names
    "records_yes",  # one row per person, yes/no with odd case, spaces and blanks
    "spaces",  # a space after every comma, in the header too
    "quoted",  # quoted fields, one holding a comma and a line break
    "duplicate_columns",  # the same column name twice
    "index_column",  # an unnamed first column of row numbers, as DataFrame.to_csv writes
    "na_text",  # NA and null in a list column
)


def awkward_csv(kind: str, path: Any, seed: int = 0) -> Any:
    """Write one awkward CSV file of ``kind`` (one of :data:`CSV_KINDS`) to ``path``; returns ``path``.

    The file is rebuilt exactly from ``(kind, seed)``; the readable kinds
    (``"good"``, ``"semicolon"``, ``"tab"``, ``"bom"``, ``"spaces"``) hold the
    same table for the same seed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = awkward_csv("semicolon", pathlib.Path(tempfile.mkdtemp()) / "t.csv")
    >>> path.read_text().splitlines()[0]
    'A;B;C;count'
    """
    from pathlib import Path

    if kind not in CSV_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {CSV_KINDS}")
    rng = np.random.default_rng([seed, CSV_KINDS.index(kind)])
    # The same counts for every kind, so that readable kinds are the same table written differently.
    counts = [int(c) for c in np.random.default_rng(seed).integers(1, 60, size=7)]
    rows = [f"{h[0]},{h[1]},{h[2]},{c}" for h, c in zip(["100", "010", "001", "110", "101", "011", "111"], counts)]
    good = "A,B,C,count\n" + "\n".join(rows) + "\n"
    texts: dict[str, str | bytes] = {
        "good": good,
        "two_lists": f"A,B,count\n1,0,{counts[0]}\n0,1,{counts[1]}\n1,1,{counts[2]}\n",
        "empty": "",
        "blank_lines": "\n\n\n",
        "header_only": "A,B,C,count\n",
        "huge_count": good.replace(f",{counts[0]}\n", f",{2**64 - 1}\n", 1),
        "big_int": good.replace(f",{counts[0]}\n", ",99999999999999999999999\n", 1),
        "overflow_total": f"A,B,count\n1,0,{2**62}\n0,1,{2**62}\n1,1,{2**62}\n",
        "negative": good.replace(f",{counts[1]}\n", ",-3\n", 1),
        "fraction": good.replace(f",{counts[1]}\n", ",2.5\n", 1),
        "non_numeric": good.replace(f",{counts[1]}\n", ",many\n", 1),
        "missing_count": good.replace(f",{counts[1]}\n", ",\n", 1),
        "no_count_column": good.replace("count", "n", 1),
        "semicolon": good.replace(",", ";"),
        "tab": good.replace(",", "\t"),
        "bom": "\ufeff" + good.replace("\n", "\r\n"),
        "ragged": good + "1,0,0,4,9\n",
        "binary": bytes(rng.integers(128, 256, size=64).astype(np.uint8)),
        "latin1": good.replace("A,", "Ä,", 1).encode("latin-1"),
        "bad_list_name": good.replace("A,B,", "A:1,B+2,", 1),
        "non_binary_list": good.replace("\n1,0,0,", "\n2,0,0,", 1),
        "all_zero": good + "0,0,0,5\n",
        "covariate": "A,B,sex,count\n1,0,f,4\n0,1,m,3\n1,1,,2\n1,0,m,5\n",
        "records": "name,A,B\n" + "".join(f"Person {i},{i % 2},{1 - i % 2 or (i // 2) % 2}\n" for i in range(8)),
        "records_yes": "A,B\nyes,no\nYes ,yes\n YES,\nno,YES\n" + ("y,yes\n" if rng.random() < 0.5 else ""),
    }
    texts["spaces"] = good.replace(",", ", ")
    texts["quoted"] = '"A","B","C","count"\n' + "\n".join(rows) + '\n"1","1","0","7"\n' + '1,0,1,"3"\n'
    texts["duplicate_columns"] = good.replace("A,B,C,", "A,B,A,", 1)
    texts["index_column"] = ",A,B,C,count\n" + "".join(f"{i},{row}\n" for i, row in enumerate(rows))
    texts["na_text"] = good.replace("\n1,0,0,", "\nNA,0,0,", 1).replace("\n0,1,0,", "\nnull,1,0,", 1)
    text = texts[kind]
    path = Path(path)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


#: Scenario files for ``mse simulate``, good and bad.
SCENARIO_TEXTS: tuple[str, ...] = (
    '{"population_size": 500, "capture_probabilities": [0.3, 0.4, 0.5]}',
    '{"capture_probabilities": [0.3, 0.4]}',
    '{"population_size": 1e30, "capture_probabilities": [0.3, 0.4]}',
    '{"population_size": -5, "capture_probabilities": [0.3, 0.4]}',
    '{"population_size": 100, "capture_probabilities": [0.3, 1.5]}',
    '{"population_size": 100, "capture_probabilities": [0.3, 0.4], "lists": ["A:1", "B"]}',
    '{"population_size": 100, "capture_probabilities": [0.3, 0.4], "colour": "red"}',
    "{population_size: 100",
    "[1, 2, 3]",
    "",
)


def _pick(rng: np.random.Generator, options: Sequence[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _value(rng: np.random.Generator, valid: Sequence[Any], invalid: Sequence[Any]) -> Any:
    """A valid value three times in four, so that a call with several options still often succeeds."""
    return _pick(rng, valid if rng.random() < 0.75 else invalid)


def cli_arguments(index: int, directory: Any, *, studies: bool = False) -> list[str]:
    """Random arguments of the ``mse`` command, valid and invalid, rebuilt exactly from ``index``.

    Parameters
    ----------
    index
        Seed of the choices; any file the arguments name is written into
        ``directory`` (an awkward CSV of :data:`CSV_KINDS`, or a scenario of
        :data:`SCENARIO_TEXTS`).
    directory
        Where to write files.
    studies
        Whether ``mse simulate`` may run a (tiny) simulation study, which
        starts a worker process; otherwise it only writes one data set.

    Returns
    -------
    list of str
        The arguments, without the program name. Methods are drawn from the
        fast ones, so that a call takes well under a second.
    """
    from pathlib import Path

    rng = np.random.default_rng([index, 7919])
    directory = Path(directory)
    seeds, bad_seeds = ["0", "7", "99999999999999999999"], ["-1", "abc", "1.5"]
    command = _pick(
        rng, ["estimate"] * 5 + ["describe", "compare", "compare", "diagnose", "simulate", "datasets", "report"]
    )
    if command == "datasets":
        return ["datasets", *(["--json"] if rng.random() < 0.5 else [])]
    if command == "simulate":
        scenario = directory / f"scenario_{index}.json"
        scenario.write_text(_value(rng, SCENARIO_TEXTS[:1], SCENARIO_TEXTS[1:]), encoding="utf-8")
        argv = ["simulate", str(scenario)]
        if rng.random() < 0.1:
            argv.append(str(directory / "missing.json"))  # a second positional argument: a usage mistake
        target = _value(rng, ["out.csv"], ["no_such_dir/out.csv", "file_not_dir/out.csv"])
        if target.startswith("file_not_dir"):
            (directory / "file_not_dir").write_text("")
        if not studies or rng.random() < 0.7:
            argv += ["--generate", str(directory / f"{index}_{target}")]
        else:
            argv += ["--replicates", _value(rng, ["2"], ["0", "x"]), "--workers", "1", "--methods", "independence"]
        if rng.random() < 0.5:
            argv += ["--seed", _value(rng, seeds, bad_seeds)]
        if rng.random() < 0.2:
            argv.append("--json")
        return argv
    argv = [command]
    source = rng.random()
    # Half the files are readable tables, so that the options after the file get exercised too.
    readable = ("good", "two_lists", "covariate", "records", "records_yes", "semicolon", "tab", "bom")
    kind = _pick(rng, readable if rng.random() < 0.5 else CSV_KINDS)
    if source < 0.75 or source > 0.97:
        path = awkward_csv(kind, directory / f"table_{index}.csv", seed=index)
        argv += ["--csv", str(path)]
    if source >= 0.75:
        argv += ["--dataset", _pick(rng, ["kosovo", "korea", "artificial_3", "atlantis"])]
    if source > 0.92 and source <= 0.97:
        argv = [command]  # neither --csv nor --dataset
    records = (kind.startswith("records") and rng.random() < 0.8) or rng.random() < 0.05
    if records:
        argv.append("--records")
    if rng.random() < 0.3:
        argv += ["--lists", _value(rng, ["A,B", "A,B,C"], ["A,count", "A,Z", ",", "A,A", "A"])]
    if (kind == "covariate" and rng.random() < 0.8) or rng.random() < 0.05:
        argv += ["--covariates", _value(rng, ["sex"], ["Z", "A", "count"])]
    if rng.random() < 0.1:
        argv += ["--count", _pick(rng, ["n", "A", "count"])]
    if (kind == "records_yes" and rng.random() < 0.8) or rng.random() < 0.05:
        argv += ["--present", _value(rng, ["yes", "YES"], ["1", "x", ""])]
    levels, bad_levels = ["0.95", "0.8"], ["0", "1", "95", "abc", "nan", "-0.5"]
    if command in ("estimate", "report") and rng.random() < 0.15:
        argv += ["--by", _value(rng, ["sex"], ["Z", "A", "sex,sex", ""])]
    if command == "estimate" and rng.random() < 0.1:
        population = directory / f"population_{index}.csv"
        good, bad = ["sex,population\nf,1000\nm,900\n"], ["sex,people\nf,1\n", "sex,population\nf,-3\n", ""]
        population.write_text(_value(rng, good, bad), encoding="utf-8")
        argv += ["--population", str(population)]
    if command == "estimate" and rng.random() < 0.05:
        argv += ["--save", str(directory / _value(rng, [f"saved_{index}.json"], ["no_such_dir/saved.json"]))]
    if command == "report":
        argv += ["--method", _value(rng, ["independence", "Mt", "chapman"], ["bogus"])]
        argv += ["--output", str(directory / _value(rng, [f"report_{index}.html"], ["no_such_dir/report.html"]))]
        if rng.random() < 0.2:
            argv += ["--change", _value(rng, ["sex:f:m"], ["sex", "sex::m", "Z:1:2", "sex:f:nobody"])]
        if rng.random() < 0.2:
            argv += ["--suppress-below", _value(rng, ["5", "1"], ["x", "0"])]
        return argv  # the report prints one line about the file it wrote, never JSON
    if command == "estimate":
        method = _value(rng, ["independence", "chapman", "Mt", "M0", "stepwise", "loglinear"], ["bogus", ""])
        argv += ["--method", method]
        if method == "loglinear" or rng.random() < 0.1:
            argv += ["--model", _value(rng, ["A:B", "all two-way", "independence"], ["A:Z", "", "A:B+", "A:A"])]
        if rng.random() < 0.2:
            argv += ["--interval", _value(rng, ["wald", "profile", "parametric_bootstrap"], ["bogus"])]
            argv += ["--n-boot", _value(rng, ["20"], ["0", "-5", "x"])]
        if rng.random() < 0.2:
            argv += ["--level", _value(rng, levels, bad_levels)]
        if rng.random() < 0.2:
            argv += ["--seed", _value(rng, seeds, bad_seeds)]
        if rng.random() < 0.1:
            argv += ["--max-order", _value(rng, ["1", "2"], ["0", "x"])]
        if rng.random() < 0.1:
            argv += ["--p-threshold", _value(rng, ["0.02", "0.5"], ["2", "-1", "nan", "x"])]
        if rng.random() < 0.1:
            argv += ["--option", _value(rng, ["model=A:B"], ["bogus=1", "x", "=", "n_boot=abc"])]
        if rng.random() < 0.1:
            argv += ["--suppress-below", _value(rng, ["5", "1"], ["x", "0", "-2"])]
        if rng.random() < 0.1:
            argv += ["--round-to", _value(rng, ["10", "1"], ["x", "0", "-10"])]
    elif command == "compare":
        argv += ["--methods", _value(rng, ["independence,Mt", "chapman", "M0", "Mt,stepwise"], ["independence,bogus"])]
        if rng.random() < 0.2:
            argv += ["--level", _value(rng, levels, bad_levels)]
        if rng.random() < 0.2:
            argv += ["--seed", _value(rng, seeds, bad_seeds)]
        if rng.random() < 0.1:
            argv += ["--round-to", _value(rng, ["10", "1"], ["x", "0", "-10"])]
    elif command == "diagnose":
        argv += ["--method", _value(rng, ["independence", "Mt"], ["bogus"])]
        if rng.random() < 0.2:
            argv += ["--model", _value(rng, ["A:B"], ["A:Z", ""])]
        if rng.random() < 0.2:
            argv += ["--seed", _value(rng, seeds, bad_seeds)]
    if command != "describe" and rng.random() < 0.3:
        argv.append("--json")
    if rng.random() < 0.03:
        argv.append("--bogus-flag")
    return argv


def check_cli(argv: Sequence[str], status: Any, out: str, err: str) -> list[str]:
    """The ways one run of the ``mse`` command breaks its contract (an empty list when it keeps it).

    The contract: exit status 0 with something on standard output (valid JSON
    with ``--json``); or, for ``mse estimate`` only, status 1 with a result
    whose status is not "ok"; or status 2 with exactly one error line on
    standard error. Standard error never holds a traceback, and every line on
    it comes from the command (``mse: warning: ...``, ``mse: error: ...``, or
    the argument parser's one-line usage error).
    """
    import json

    problems = []
    reported = argv and argv[0] == "report" and status in (0, 1) and not ("--help" in argv or "-h" in argv)
    if reported and not out.startswith("wrote "):
        problems.append("mse report ended without saying which file it wrote")
    if "Traceback" in err or "Traceback" in out:
        problems.append("a traceback was printed")
    lines = err.splitlines()
    strangers = [line for line in lines if not line.startswith("mse")]
    if strangers:
        problems.append(f"standard error holds lines not from the command: {strangers[:2]}")
    errors = [line for line in lines if ": error: " in line]
    asked_help = "--help" in argv or "-h" in argv or "--version" in argv
    asked_json = "--json" in argv and not asked_help
    if status == 0:
        if errors:
            problems.append("exit status 0 with an error message")
        if not out.strip():
            problems.append("exit status 0 with nothing on standard output")
        elif asked_json:
            try:
                payload = json.loads(out)
            except ValueError:
                problems.append("--json output is not JSON")
            else:
                if argv[0] == "estimate" and payload.get("status") != "ok":
                    problems.append(f"exit status 0 with status {payload.get('status')!r}")
        elif argv and argv[0] == "estimate" and not asked_help and "status:           ok" not in out:
            problems.append("exit status 0 without status 'ok' in the summary")
    elif status == 1:
        if argv and argv[0] == "report":
            pass  # the page is written and says why the estimate does not exist, as mse estimate's exit 1 does
        elif not argv or argv[0] != "estimate":
            problems.append(f"exit status 1 from {argv[0] if argv else 'mse'}")
        elif asked_json:
            try:
                if json.loads(out).get("status") == "ok":
                    problems.append("exit status 1 with status 'ok'")
            except ValueError:
                problems.append("--json output is not JSON")
        elif "status:" not in out or "status:           ok\n" in out:
            problems.append("exit status 1 without a status that says why")
    elif status == 2:
        if len(errors) != 1 or not lines or ": error: " not in lines[-1]:
            problems.append(f"exit status 2 without exactly one error line: {lines[-3:]}")
    else:
        problems.append(f"exit status {status!r}")
    return problems


def run_cli(argv: Sequence[str], *, timeout: float | None = 60.0) -> Outcome:
    """Run ``mse`` with ``argv`` in this process and sort what happened into an :class:`Outcome`.

    ``kind`` is ``"ok"`` (exit 0), ``"status"`` (exit 1: an estimate that
    does not exist), ``"error"`` (exit 2 with one line), ``"violation"`` (a
    broken contract, see :func:`check_cli`), ``"other"`` (an exception escaped
    :func:`mse.cli.main`) or ``"timeout"``.

    Examples
    --------
    >>> run_cli(["estimate", "--dataset", "kosovo", "--seed", "-1"]).kind
    'error'
    """
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from mse.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    target = " ".join(argv)
    try:
        with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings():
            with time_limit(timeout):
                try:
                    status: Any = main(list(argv))
                except SystemExit as exit_:
                    status = exit_.code
    except CallTimeout as exc:
        return Outcome(target, "timeout", str(exc), time.perf_counter() - started)
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"{type(exc).__name__}: {exc} (at {frame.filename.rsplit('/src/', 1)[-1]}:{frame.lineno})"
        return Outcome(target, "other", message, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    problems = check_cli(argv, status, out.getvalue(), err.getvalue())
    if problems:
        return Outcome(target, "violation", "; ".join(problems) + f" | stderr: {err.getvalue()[-300:]!r}", seconds)
    kind = {0: "ok", 1: "status", 2: "error"}[status]
    return Outcome(target, kind, err.getvalue().strip()[-200:], seconds)
