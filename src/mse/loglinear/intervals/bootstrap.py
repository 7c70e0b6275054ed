"""Bootstrap intervals for log-linear population-size estimates.

Three kinds of interval, all reproducible from ``random_seed`` and all
working on the aggregated table (``2**t - 1`` observed cell counts per
replicate), never on one row per person:

``"parametric_bootstrap"``
    The model is held fixed. It is fitted once; tables are drawn from the
    fitted model, the fixed model is refitted to each and the percentile
    interval of the replicate estimates is reported. This describes the
    sampling error *given the model* and ignores model choice.
``"bca"``
    The nonparametric bootstrap of Chan, Silverman & Vincent (2021, §3.3):
    the ``n`` observed people are resampled (a multinomial draw over the
    observed cells), the *whole* model selection is repeated in every
    replicate, and the limits are Efron's (1987) bias-corrected and
    accelerated (BCa) percentiles, with the acceleration from the jackknife
    over people (grouped by their capture history).
``"bootstrap_top"``
    The bootstrap of Silverman, Chan & Vincent (2024): the hierarchical
    models are ranked by BIC on the original data, the best ``n_top`` are
    refitted to every resample and each replicate takes its BIC-best one;
    BCa limits as for ``"bca"``.

A replicate in which no one is on more than one list carries no information
about ``N`` beyond ``N >= n``: the likelihood increases without bound in
``N`` whatever the model, so its estimate is ``+inf``, not missing. Such
replicates are kept in ``draws`` as ``inf`` and take part in the limits (an
infinite draw is above every finite one), counted in ``details["n_infinite"]``.
With small, sparse tables they are common (three lists with capture
probability 0.08 and ``N = 300``: 3 % of the resamples on average, more than
10 % for one table in twelve), and dropping
them, as was done before, pulled the upper limit down exactly when it should
be largest. When the upper limit comes out infinite, ``status`` says so.

Replicates whose estimate does not exist for another reason (the selection
or the fit fails) are recorded as ``nan`` in ``draws`` with their reasons in
``details["failure_reasons"]``; they are left out of the limits. When more
than :data:`FAILURE_THRESHOLD` of them fail, ``status`` says so: the limits
then describe the resamples in which the estimate exists, which can be a very
different distribution.

The selection itself (``select_batch`` and ``fit_models_batch``) lives in
:mod:`mse.loglinear.search.reselection`; this module only resamples, drives it over
chunks of replicates and turns the replicate estimates into limits.

References
----------
Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the
American Statistical Association* 82(397), 171–185.

Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems
estimation for sparse capture data: inferential challenges when there are
nonoverlapping lists. *Journal of the American Statistical Association*
116(535), 1297–1306.

Silverman, B. W., Chan, L. & Vincent, K. (2024). Bootstrapping multiple
systems estimates to account for model selection. *Statistics and
Computing* 34, 44.
"""

from __future__ import annotations

import concurrent.futures
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mse.bootstrap_limits import bca_limits, jackknife_acceleration, percentile_limits
from mse.budget import checkpoint
from mse.data.capture import CaptureData
from mse.errors import ModelError
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.model.table import cell_histories
from mse.loglinear.model.terms import Terms, format_model
from mse.loglinear.search.model_search import MAX_MODELS, check_max_order, enumerate_models
from mse.loglinear.search.reselection import (
    Progress,
    averaged_models_batch,
    best_models_batch,
    fit_models_batch,
    parse_models,
    select_batch,
)
from mse.options import check_level, check_random_seed
from mse.progress_bars import ChunkProgress, ProgressBar

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_N_TOP",
    "FAILURE_THRESHOLD",
    "KINDS",
    "MAX_RESELECTION_FITS",
    "BootstrapResult",
    "bca_limits",
    "bootstrap_interval",
    "hierarchical_models",
    "jackknife_acceleration",
    "percentile_limits",
    "top_models_of_search",
]

#: The interval kinds :func:`bootstrap_interval` computes.
KINDS: tuple[str, ...] = ("parametric_bootstrap", "bca", "bootstrap_top")

#: Above this fraction of failed replicates the result's status is not "ok".
FAILURE_THRESHOLD = 0.10

#: Default number of BIC-top models refitted per replicate by ``"bootstrap_top"``.
DEFAULT_N_TOP = 60

#: Replicates passed to the selection at once: bounds memory. Smaller chunks cost time (100 instead of
#: 250: stepwise + BCa with 10,000 replicates on uk2013 took 9.2 s instead of 6.0-7.1 s), so the progress
#: bar is not paced by them: the selection reports its progress within a chunk (``on_progress``). The
#: limits do not depend on the chunk size (tests/loglinear/intervals/test_bootstrap.py).
CHUNK_SIZE = 250

#: Most model fits a BCa bootstrap of an exhaustive ``"aic"``/``"bic"`` search may need (models times
#: replicates and jackknife tables). At 100-400 microseconds per fit this is a few minutes; the
#: 32,768 two-way models of six lists times 1,000 replicates would take hours.
MAX_RESELECTION_FITS = 2_000_000

# Below this many seconds of expected work the automatic progress bar stays hidden.
_PROGRESS_SECONDS = 3.0


@dataclass(frozen=True)
class BootstrapResult:
    """Limits and replicate estimates of one bootstrap interval.

    Attributes
    ----------
    lower, upper : float
        The interval limits for ``N``; ``nan`` when no interval exists.
    draws : ndarray, shape (n_boot,)
        The replicate estimates of ``N``, ``nan`` where a replicate failed.
    n_failed : int
        Number of failed replicates (left out of the limits).
    status : str
        ``"ok"``, or why the interval is missing or not to be trusted.
    details : dict
        Everything else: the seed, the bias correction ``z0`` and
        acceleration, the percentile limits, failure reasons, how often each
        model was selected, the jackknife estimates, ...

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.intervals.bootstrap import bootstrap_interval
    >>> boot = bootstrap_interval(mse.load_dataset("korea"), kind="parametric_bootstrap", method="independence",
    ...                           options={}, point_estimate=142.0, n_boot=200, random_seed=1)
    >>> boot.status, boot.draws.shape, boot.n_failed, round(boot.lower, 1), round(boot.upper, 1)
    ('ok', (200,), 0, 128.5, 153.2)
    """

    lower: float
    upper: float
    draws: np.ndarray
    n_failed: int
    status: str
    details: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- limits
# ---------------------------------------------------------------------------- models
def hierarchical_models(lists: Sequence[str], max_order: int = 2) -> tuple[str, ...]:
    """Every hierarchical log-linear model with interactions up to ``max_order`` lists, in term syntax.

    The candidates of ``"bootstrap_top"``: the models of
    :func:`mse.loglinear.search.model_search.enumerate_models` (with ``max_order=2`` the
    ``2**(t(t-1)/2)`` graphs on the lists), named by
    :func:`mse.loglinear.model.terms.format_model`.

    Parameters
    ----------
    lists
        The list names.
    max_order
        Highest interaction order (at most ``t - 1``: the saturated model has
        no estimate).

    Returns
    -------
    tuple of str
        Models in term syntax, independence first.

    Raises
    ------
    ModelError
        When there would be more than :data:`mse.loglinear.search.model_search.MAX_MODELS`
        models; pass fewer lists, a lower ``max_order`` or an explicit list
        of candidates instead.

    Examples
    --------
    >>> hierarchical_models(["A", "B", "C"])
    ('independence', 'A:B', 'A:C', 'A:B + A:C', 'B:C', 'A:B + B:C', 'A:C + B:C', 'all two-way')
    >>> len(hierarchical_models(["A", "B", "C", "D"], max_order=3))
    113
    """
    return tuple(format_model(model, lists) for model in _enumerate(lists, max_order))


def _enumerate(lists: Sequence[str], max_order: int | None) -> list[Terms]:
    t = len(lists)
    order = max(1, min(int(2 if max_order is None else max_order), t - 1))
    models = enumerate_models(t, order)
    if models is None:
        raise ModelError(
            f"more than {MAX_MODELS:,} hierarchical models of {t} lists up to order {order}; "
            "lower max_order or pass the candidate models explicitly (candidates=[...])."
        )
    return models


# ---------------------------------------------------------------------------- replicates
#: ``evaluate(counts, on_progress=None) -> (estimates, models, statuses)`` for a block of replicates.
Evaluator = Callable[..., tuple[np.ndarray, Sequence[str], np.ndarray]]


# The evaluators are classes rather than closures so that they can be sent to worker processes.
@dataclass(frozen=True)
class _Selection:
    """Repeat ``method`` (with ``options``) on a block of count vectors."""

    lists: tuple[str, ...]
    method: str
    options: dict[str, Any]

    def __call__(
        self, counts: np.ndarray, on_progress: Progress | None = None
    ) -> tuple[np.ndarray, Sequence[str], np.ndarray]:
        selection = select_batch(counts, self.lists, self.method, on_progress=on_progress, **self.options)
        return (
            np.asarray(selection.estimate, dtype=float),
            tuple(selection.model),
            np.asarray(selection.status, dtype=object),
        )


@dataclass(frozen=True)
class _TopModels:
    """Refit ``models`` to a block of count vectors; keep each row's BIC-best fit, or average by BIC weight."""

    lists: tuple[str, ...]
    models: tuple[Terms, ...]
    bias_correction: bool = False
    average: bool = False

    def __call__(
        self, counts: np.ndarray, on_progress: Progress | None = None
    ) -> tuple[np.ndarray, Sequence[str], np.ndarray]:
        if self.average:
            selection = averaged_models_batch(counts, self.lists, self.models, on_progress=on_progress)
        else:
            selection = best_models_batch(
                counts,
                self.lists,
                self.models,
                "bic",
                bias_correction=self.bias_correction,
                on_progress=on_progress,
            )
        return selection.estimate, selection.model, np.asarray(selection.status, dtype=object)


def _select_evaluator(lists: Sequence[str], method: str, options: dict[str, Any]) -> Evaluator:
    """Repeat ``method`` (with ``options``) on a block of count vectors."""
    return _Selection(tuple(lists), method, dict(options))


def _top_models_evaluator(
    lists: Sequence[str], models: Sequence[Terms], bias_correction: bool = False, *, average: bool = False
) -> Evaluator:
    """Refit ``models`` to a block of count vectors; keep each row's BIC-best fit, or average by BIC weight."""
    return _TopModels(tuple(lists), tuple(models), bool(bias_correction), average)


def _open_executor(executor: Any, n_workers: int | None) -> tuple[Any, bool]:
    """Where the chunks of replicates run: ``(executor or None for this process, whether it is ours to close)``.

    Raises
    ------
    ModelError
        For an ``executor`` without ``submit`` or an ``n_workers`` that is not a positive integer.
    """
    if executor is not None:
        if not callable(getattr(executor, "submit", None)):
            raise ModelError(
                "executor must be a concurrent.futures.Executor or a dask.distributed.Client, "
                f"got {type(executor).__name__}."
            )
        return executor, False
    if n_workers is None:
        return None, False
    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) or n_workers < 1:
        raise ModelError(f"n_workers must be a positive integer or None, got {n_workers!r}.")
    if n_workers == 1:
        return None, False
    return concurrent.futures.ProcessPoolExecutor(max_workers=int(n_workers)), True


def _run_replicates(
    counts: np.ndarray, evaluate: Evaluator, progress: bool | None, label: str, executor: Any = None
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Evaluate every row of ``counts`` in chunks of :data:`CHUNK_SIZE`, here or on ``executor``.

    The chunks are the same whatever runs them, and every replicate was drawn
    before, so the result does not depend on the executor or its number of workers.
    In this process the bar also moves within a chunk, as the selection reports
    its progress; on an executor it moves once per chunk (a callback does not
    cross to another process).
    """
    n = counts.shape[0]
    estimates = np.full(n, math.nan)
    models: list[str] = [""] * n
    statuses = np.empty(n, dtype=object)
    blocks = [slice(start, min(start + CHUNK_SIZE, n)) for start in range(0, n, CHUNK_SIZE)]
    futures = [] if executor is None else [executor.submit(evaluate, counts[block]) for block in blocks]
    with ProgressBar(n, label=label, enabled=progress, min_seconds=_PROGRESS_SECONDS) as bar:
        try:
            for k, block in enumerate(blocks):
                checkpoint(f"{label} (replicate {block.start:,} of {n:,})")
                within = ChunkProgress(bar, block.stop - block.start)
                if executor is None:
                    values, names, status = evaluate(counts[block], on_progress=within)
                else:
                    values, names, status = futures[k].result()
                estimates[block] = values
                models[block] = list(names)
                statuses[block] = status
                within.finish()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return estimates, models, statuses


def _failed_mask(estimates: np.ndarray, statuses: np.ndarray) -> np.ndarray:
    return ~np.isfinite(estimates) | (statuses != "ok")


def _failure_reasons(estimates: np.ndarray, statuses: np.ndarray) -> dict[str, int]:
    reasons: Counter[str] = Counter()
    for value, status in zip(estimates, statuses):
        if status != "ok":
            reasons[str(status)] += 1
        elif not math.isfinite(value):
            reasons["estimate not finite"] += 1
    return dict(reasons.most_common())


def _jackknife_counts(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One table per observed history with one person of that history left out."""
    cells = np.flatnonzero(observed)
    tables = np.repeat(observed[None, :], cells.size, axis=0)
    tables[np.arange(cells.size), cells] -= 1
    return tables, cells


def _nonparametric_counts(observed: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Resample the ``n`` observed people: a multinomial over the observed cells, all replicates at once."""
    n = int(observed.sum())
    return rng.multinomial(n, observed / n, size=n_boot)


def _check_arguments(kind: str, level: float, n_boot: int) -> None:
    if kind not in KINDS:
        raise ModelError(f"unknown bootstrap interval {kind!r}; choose one of {list(KINDS)}.")
    check_level(level)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ModelError(f"n_boot must be an integer of at least 2 (1000 is usual), got {n_boot!r}.")


def _unbounded(tables: np.ndarray) -> np.ndarray:
    """Tables in which no one is on two or more lists (and someone is seen): ``N`` is unbounded there."""
    t = (tables.shape[1] + 1).bit_length() - 1
    overlapping = cell_histories(t).sum(axis=1) >= 2
    return (tables[:, overlapping].sum(axis=1) == 0) & (tables.sum(axis=1) > 0)


def _replicate_draws(
    tables: np.ndarray, draws: np.ndarray, statuses: np.ndarray, details: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Failed replicates as ``nan``, replicates without any overlap as ``+inf``; returns ``(draws, failed)``."""
    unbounded = _unbounded(tables)
    failed = _failed_mask(draws, statuses) & ~unbounded
    draws = np.where(failed, math.nan, draws)
    draws = np.where(unbounded, math.inf, draws)
    details["n_infinite"] = int(unbounded.sum())
    return draws, failed


def _summarise(
    draws: np.ndarray, statuses: np.ndarray, models: Sequence[str], details: dict[str, Any], failed: np.ndarray
) -> tuple[int, str]:
    n_failed = int(failed.sum())
    finite = draws[np.isfinite(draws)]
    details["n_failed"] = n_failed
    details["failure_reasons"] = _failure_reasons(draws[failed], statuses[failed])
    usable = draws[~np.isnan(draws)]  # infinite draws count for the median; the SE is of the finite ones
    details["bootstrap_median"] = float(np.median(usable)) if usable.size else math.nan
    details["bootstrap_se"] = float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan
    chosen = Counter(model for model, value in zip(models, draws) if math.isfinite(value) and model)
    details["model_frequencies"] = dict(chosen.most_common(20))
    status = "ok"
    if n_failed > FAILURE_THRESHOLD * draws.size:
        status = (
            f"{n_failed} of {draws.size} bootstrap replicates have no estimate (more than "
            f"{FAILURE_THRESHOLD:.0%}); the limits describe only the replicates with one and may be unreliable"
        )
    return n_failed, status


def _with_failure(status: str, limit_status: str, upper: float, details: dict[str, Any]) -> str:
    """The result's status: a missing limit first, then an infinite upper limit, then too many failures."""
    if limit_status != "ok":
        return limit_status
    n_infinite = int(details.get("n_infinite", 0))
    if n_infinite and math.isinf(upper):
        unbounded = (
            f"upper limit infinite: in {n_infinite} of {details['n_boot']} bootstrap replicates no one is on "
            "more than one list, so N is unbounded there (counted as infinite estimates)"
        )
        return unbounded if status == "ok" else f"{unbounded}; {status}"
    return status


# ---------------------------------------------------------------------------- the three kinds
@dataclass(frozen=True)
class _Run:
    """What every kind of bootstrap works from: the table, the estimate, the size of the run and where it runs."""

    table: CaptureData
    observed: np.ndarray
    point_estimate: float
    level: float
    n_boot: int
    rng: np.random.Generator
    progress: bool | None
    details: dict[str, Any]
    executor: Any


def _parametric(run: _Run, method: str, options: dict[str, Any]) -> BootstrapResult:
    table, observed, n_boot, details = run.table, run.observed, run.n_boot, run.details
    if "model" in options and options["model"] is not None:
        model = options["model"]
    elif method == "independence":
        model = "independence"
    else:
        raise ModelError(
            f"the parametric bootstrap refits one fixed model, but method {method!r} selects one; "
            "pass the selected model as model=... (or use interval='bca' or 'bootstrap_top', "
            "which repeat the selection)."
        )
    fit = fit_model(table, model)
    model_name = fit.model
    details["model"] = model_name
    if not fit.ok:
        status = f"the fixed model has no estimate on the observed table: {fit.status}"
        return BootstrapResult(math.nan, math.nan, np.full(n_boot, math.nan), n_boot, status, details)
    fitted, unobserved = fit.fitted, fit.dark_figure
    # N is a fixed unknown in capture-recapture, so the whole table (unobserved
    # cell included) is drawn as a multinomial of size N-hat; independent Poisson
    # cells would add the variance of a random total (about N) to the spread.
    n_hat = float(observed.sum()) + unobserved
    size = max(round(n_hat), int(observed.sum()))
    probabilities = np.concatenate([[unobserved], fitted]) / n_hat
    probabilities = np.clip(probabilities, 0.0, None)
    probabilities /= probabilities.sum()
    tables = run.rng.multinomial(size, probabilities, size=n_boot)[:, 1:]
    details["resampling"] = "parametric: multinomial over all 2**t cells with N fixed at the fitted estimate"
    details["fitted_estimate"] = n_hat
    details["multinomial_size"] = size
    evaluate = _select_evaluator(table.lists, "loglinear", {"model": model_name})
    draws, models, statuses = _run_replicates(tables, evaluate, run.progress, "parametric bootstrap", run.executor)
    draws, failed = _replicate_draws(tables, draws, statuses, details)
    n_failed, status = _summarise(draws, statuses, models, details, failed)
    lower, upper = percentile_limits(draws, run.level)
    details["percentile_limits"] = (lower, upper)
    limit_status = "ok" if not math.isnan(lower) else "fewer than two bootstrap replicates have an estimate"
    return BootstrapResult(lower, upper, draws, n_failed, _with_failure(status, limit_status, upper, details), details)


def _resampled_bca(run: _Run, evaluate: Evaluator, label: str) -> BootstrapResult:
    observed, details, executor = run.observed, run.details, run.executor
    tables = _nonparametric_counts(observed, run.n_boot, run.rng)
    details["resampling"] = "nonparametric: multinomial resampling of the n observed people"
    jack_tables, cells = _jackknife_counts(observed)
    # the jackknife goes to the executor first, so that it runs beside the replicates
    jackknife = None if executor is None else executor.submit(evaluate, jack_tables)
    draws, models, statuses = _run_replicates(tables, evaluate, run.progress, label, executor)
    draws, failed = _replicate_draws(tables, draws, statuses, details)
    n_failed, status = _summarise(draws, statuses, models, details, failed)

    jack_estimates, _, jack_statuses = evaluate(jack_tables) if jackknife is None else jackknife.result()
    jack_estimates = np.where(
        _failed_mask(jack_estimates, np.asarray(jack_statuses, dtype=object)), math.nan, jack_estimates
    )
    weights = observed[cells]
    acceleration = jackknife_acceleration(jack_estimates, weights)
    histories = cell_histories((observed.size + 1).bit_length() - 1).astype(int)
    details["jackknife"] = {
        "histories": ["".join(map(str, histories[c])) for c in cells],
        "counts": weights.tolist(),
        "estimates": jack_estimates.tolist(),
        "n_failed": int(np.count_nonzero(~np.isfinite(jack_estimates))),
    }
    details["acceleration"] = acceleration
    lower, upper, z0, limit_status = bca_limits(draws, run.point_estimate, acceleration, run.level)
    details["z0"] = z0
    details["percentile_limits"] = percentile_limits(draws, run.level)
    return BootstrapResult(lower, upper, draws, n_failed, _with_failure(status, limit_status, upper, details), details)


def _rank_by_bic(
    observed: np.ndarray, lists: Sequence[str], candidates: Sequence[Any]
) -> tuple[list[Terms], np.ndarray]:
    """Candidates that fit the original table, best BIC first, with their BIC values (one batched solve)."""
    parsed = parse_models(candidates, lists)
    estimate, bic, status = fit_models_batch(observed[None, :], lists, parsed)
    usable = (status[0] == "ok") & np.isfinite(estimate[0]) & np.isfinite(bic[0])
    bics = np.where(usable, bic[0], np.inf)
    order = np.argsort(bics, kind="stable")
    order = order[np.isfinite(bics[order])]
    return [parsed[i] for i in order], bics[order]


def top_models_of_search(table: Any, n_top: int | None) -> list[str]:
    """The ``n_top`` best models by BIC among the fitted rows of an exhaustive search table.

    The top-model bootstrap ranks the candidates by BIC on the original data;
    an exhaustive search has already fitted every one of them, so its table
    gives the ranking without refitting (the fitted rows are those the search
    could choose, so ``extended_mle=False`` is respected too).

    Parameters
    ----------
    table
        The table of an exhaustive search (:func:`mse.select_model` with
        ``method="aic"`` or ``"bic"``).
    n_top
        How many models to keep; ``None`` keeps every fitted one.

    Returns
    -------
    list of str
        The models in term syntax, lowest BIC first.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.intervals.bootstrap import top_models_of_search
    >>> search = mse.select_model(mse.load_dataset("hepatitis_a"), method="bic")
    >>> top_models_of_search(search.table, 2)
    ['all two-way', 'independence']
    """
    fitted = table[(table["status"] == "ok") & np.isfinite(table["bic"].to_numpy(float))]
    ranked = fitted.sort_values("bic", kind="stable")["model"].tolist()
    return ranked if n_top is None else ranked[: int(n_top)]


def check_reselection_affordable(
    lists: Sequence[str], method: str, options: dict[str, Any], n_boot: int, n_histories: int
) -> None:
    """Refuse a BCa bootstrap of an exhaustive search that would take hours."""
    t = len(lists)
    order = check_max_order(options.get("max_order"), t)
    models = enumerate_models(t, order, int(options.get("max_models", MAX_MODELS)))
    n_models = MAX_MODELS if models is None else len(models)
    fits = n_models * (n_boot + n_histories)
    if models is None or fits > MAX_RESELECTION_FITS:
        raise ModelError(
            f"interval='bca' with method={method!r} repeats the exhaustive search over "
            f"{'more than ' if models is None else ''}{n_models:,} models (max_order={order}) in each of "
            f"{n_boot:,} replicates and {n_histories} jackknife tables: {fits:,} model fits, hours of work "
            f"(the limit is {MAX_RESELECTION_FITS:,}). Use interval='bootstrap_top', which refits only the "
            "best models by BIC in every replicate (Silverman, Chan & Vincent 2024), or method='stepwise' "
            "with interval='bca'; or lower max_order or n_boot."
        )


# ---------------------------------------------------------------------------- entry point
def bootstrap_interval(
    data: CaptureData,
    *,
    kind: str,
    method: str,
    options: dict[str, Any],
    point_estimate: float,
    level: float = 0.95,
    n_boot: int = 1000,
    random_seed: int | None = None,
    progress: bool | None = None,
    n_workers: int | None = None,
    executor: Any = None,
) -> BootstrapResult:
    """A bootstrap interval for the population size from a log-linear estimator.

    Parameters
    ----------
    data
        The capture histories; covariates are summed out.
    kind
        ``"parametric_bootstrap"``, ``"bca"`` or ``"bootstrap_top"`` (see the
        module notes).
    method
        The log-linear method that produced ``point_estimate``
        (``"independence"``, ``"loglinear"``, ``"stepwise"``, ``"aic"``,
        ``"bic"``, ``"bic_aic"``); ``"bca"`` repeats it in every replicate.
    options
        The method's options, passed on to the selection in every replicate.
        ``"parametric_bootstrap"`` uses ``options["model"]`` (independence
        for ``method="independence"``). ``"bootstrap_top"`` also reads
        ``n_top`` (default :data:`DEFAULT_N_TOP`, ``None`` for every
        candidate), ``candidates`` (model strings to rank; default every
        hierarchical model up to ``max_order``) and ``max_order`` (default 2).
    point_estimate
        The estimate of ``N`` from the original data.
    level
        Nominal coverage of the interval.
    n_boot
        Number of bootstrap replicates.
    random_seed
        Seed for :func:`numpy.random.default_rng`; the same seed gives the
        same replicates. With ``None`` fresh entropy is used and recorded in
        ``details["seed_entropy"]`` so the run can be repeated.
    progress
        ``False`` never shows a progress bar, ``True`` always does (on
        standard error); ``None`` shows one when standard error is a terminal
        and the run is expected to take more than a few seconds.
    n_workers
        Spread the chunks of replicates (and the jackknife) over this many
        local worker processes, started for the call and closed after it;
        ``None`` or 1 evaluates them in this process.
    executor
        Or run them on this ``concurrent.futures.Executor`` or
        ``dask.distributed.Client`` (left open; ``n_workers`` is then ignored).
        Every replicate is drawn here from ``random_seed`` before any is
        evaluated, and the chunks are the same on any executor, so the result
        does not depend on where or on how many workers it ran.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ModelError
        For an unknown ``kind``, a ``level`` outside (0, 1), fewer than two
        replicates, a parametric bootstrap of a selection method without
        a fixed ``model``, or ``"bca"`` with ``method="aic"``/``"bic"`` when the
        exhaustive search repeated in every replicate would need more than
        :data:`MAX_RESELECTION_FITS` model fits (six lists: use
        ``"bootstrap_top"``).

    Notes
    -----
    *Parametric bootstrap.* The fixed model is fitted once; each replicate is
    a multinomial table of size ``round(N-hat)`` over all ``2**t`` cells with
    the fitted cell probabilities (the unobserved cell included), of which
    the observed part is kept and refitted. ``N`` is held fixed, as in the
    capture–recapture likelihood, because drawing independent Poisson cells
    would add the variance of a Poisson total (about ``N``) that is not part
    of the error in estimating a fixed ``N``. Limits: percentiles.

    *BCa.* The ``n`` observed people are resampled with replacement, which is
    a multinomial draw of size ``n`` over the observed cells with
    probabilities ``n_h / n``; ``method`` is rerun on every replicate so the
    interval reflects model choice (Chan, Silverman & Vincent 2021, §3.3).
    ``z0`` comes from the proportion of replicates below the point estimate
    and the acceleration from the jackknife: leaving out one person of
    history ``h`` gives the same estimate for all ``n_h`` such people, so the
    jackknife needs one refit per distinct history, weighted by ``n_h``.
    Resampling people holds ``n`` fixed, so the interval leaves out the
    binomial variation of ``n`` about ``N (1 - p0)`` (``p0`` the chance of
    being on no list). When most of the population is unobserved, as is usual
    in multiple-systems estimation, that share of the variance is small: in
    simulations with three independent lists and ``p0 = 0.61`` the 95 % BCa
    interval covered ``N`` in about 92 % of tables. When capture
    probabilities are high (``p0`` near 0.2) coverage fell to about 85 %;
    there the parametric bootstrap or the profile interval is the better
    choice.

    *Top-model bootstrap.* Following Silverman, Chan & Vincent (2024), the
    candidate models are ranked by BIC on the original data; in every
    resample only the best ``n_top`` of them are refitted and the one with
    the lowest BIC is used (for ``method="bic_average"``, their BIC-weighted
    average of ``N``). Restricting the search this way makes the
    bootstrap of an all-models BIC choice affordable; the default ``n_top=60``
    is the finite setting of the paper's computational appendix (the
    MultipleSystemsEstimation vignette reproducing it), and ``n_top=None``
    refits every candidate. Limits: BCa, with the jackknife repeating the
    same restricted choice.

    Replicates are generated for all ``n_boot`` at once (so the draws do not
    depend on the chunk size) and evaluated in chunks of
    :data:`CHUNK_SIZE`, one task per chunk on ``executor`` or the
    ``n_workers`` processes. Worker processes pay off when the replicates
    take more than a few seconds (a start costs about a second): many
    replicates, an exhaustive re-selection, ``"bootstrap_top"``.

    *Cost.* Every selection rule is vectorised over replicates
    (:func:`mse.loglinear.search.reselection.select_batch`). Stepwise and
    ``"bic_aic"`` re-selection cost a few milliseconds per replicate on six
    lists (1,000 replicates of uk2013 with stepwise: about 10-20 s). ``"aic"``
    and ``"bic"`` refit every candidate model in every replicate, at about
    0.1-0.4 ms per model fit: 1,000 replicates of the 113 models of four lists
    (order 3) take seconds, of the 1,024 two-way models of five lists one to
    two minutes, but of the 32,768 two-way models of six lists (or the 6,212
    models of five lists up to order 3) hours, so ``"bca"`` refuses these
    (more than :data:`MAX_RESELECTION_FITS` fits) and recommends
    ``"bootstrap_top"``, whose cost is one exhaustive search on the original
    table plus ``n_top`` fits per replicate (12-30 s for six lists and 1,000
    replicates on a shared two-core machine, the point estimate's search
    included).

    References
    ----------
    Efron (1987); Chan, Silverman & Vincent (2021); Silverman, Chan & Vincent
    (2024): in the references of this module.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.intervals.bootstrap import bootstrap_interval
    >>> data = mse.load_dataset("kosovo")
    >>> result = bootstrap_interval(data, kind="bca", method="stepwise", options={},
    ...                             point_estimate=14341.7, random_seed=1)  # doctest: +SKIP
    >>> result.lower, result.upper  # doctest: +SKIP
    """
    _check_arguments(kind, level, n_boot)
    n_boot = int(n_boot)
    level = float(level)
    options = dict(options or {})
    table = data.collapse_covariates()
    lists = table.lists
    observed = table.dense_counts()[1:].astype(np.int64)
    seed_sequence = np.random.SeedSequence(check_random_seed(random_seed))
    rng = np.random.default_rng(seed_sequence)
    details: dict[str, Any] = {
        "kind": kind,
        "method": method,
        "level": level,
        "n_boot": n_boot,
        "random_seed": random_seed,
        "seed_entropy": seed_sequence.entropy,
        "point_estimate": float(point_estimate),
    }
    if not math.isfinite(point_estimate):
        return BootstrapResult(
            math.nan,
            math.nan,
            np.full(n_boot, math.nan),
            0,
            "no interval: the point estimate does not exist",
            details,
        )

    if kind == "bca" and method in ("aic", "bic", "bic_average"):
        check_reselection_affordable(lists, method, options, n_boot, int(np.count_nonzero(observed)))
    pool, owned = _open_executor(executor, n_workers)
    try:
        run = _Run(table, observed, point_estimate, level, n_boot, rng, progress, details, pool)
        return _bootstrap_kind(kind, run, method, options)
    finally:
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)


def _bootstrap_kind(kind: str, run: _Run, method: str, options: dict[str, Any]) -> BootstrapResult:
    lists, observed, n_boot, details = run.table.lists, run.observed, run.n_boot, run.details
    if kind == "parametric_bootstrap":
        return _parametric(run, method, options)

    if kind == "bca":
        return _resampled_bca(run, _select_evaluator(lists, method, options), "BCa bootstrap")

    n_top = options.pop("n_top", DEFAULT_N_TOP)
    candidates = options.pop("candidates", None)
    if candidates is None:
        candidates = _enumerate(lists, options.get("max_order", 2))
    ranked, bics = _rank_by_bic(observed, lists, list(candidates))
    if not ranked:
        return BootstrapResult(
            math.nan, math.nan, np.full(n_boot, math.nan), n_boot, "no candidate model fits the observed table", details
        )
    if n_top is not None:
        if isinstance(n_top, bool) or int(n_top) < 1:
            raise ModelError(f"n_top must be a positive integer or None (every candidate), got {n_top!r}.")
        ranked, bics = ranked[: int(n_top)], bics[: int(n_top)]
    details["n_candidates"] = len(candidates)
    details["top_models"] = dict(zip((format_model(model, lists) for model in ranked), bics.tolist()))
    evaluate = _top_models_evaluator(
        lists, ranked, bool(options.get("bias_correction", False)), average=method == "bic_average"
    )
    return _resampled_bca(run, evaluate, "top-model bootstrap")
