"""Run every method on every replicate of every scenario, anywhere, reproducibly.

The unit of work is a chunk: a few replicates of one scenario, each generated
once and given to every method. Chunks run on whatever executor the caller
passes (local processes by default, any ``concurrent.futures.Executor``, or a
Dask cluster) and are written to disk as they finish, so a long study keeps
memory flat and can be resumed. Every replicate draws its data and its
estimator seed from its own child of one :class:`numpy.random.SeedSequence`,
keyed by (scenario index, replicate), so the numbers do not depend on the
executor, the number of workers, the chunk size or the order tasks finish.

Nor do they depend on the speed of the machines: a fit runs as long as its
method's options say, in draws, iterations or replicates, and the runner sets
no time limit of its own. A time budget given in a method's options (such as
``max_seconds`` of ``"lcmcr"``) is applied per fit, and a fit it stops early
is recorded as such in its row's ``status`` and counted in the summary's
``n_cut_short``.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mse.benchmark.executors import open_pool
from mse.benchmark.metrics import summarise
from mse.errors import ModelError
from mse.methods.base import Method
from mse.options import check_level, check_random_seed
from mse.progress_bars import ProgressBar
from mse.simulate.generate import Truth, generate
from mse.simulate.scenario import Scenario

__all__ = ["RESULT_COLUMNS", "BenchmarkResult", "MethodSpec", "replicate_seeds", "run"]

#: Columns of :attr:`BenchmarkResult.results`, in order.
RESULT_COLUMNS = [
    "scenario",
    "method",
    "replicate",
    "seed",
    "truth",
    "observed",
    "estimate",
    "lower",
    "upper",
    "status",
    "seconds",
    "model",
]
_INT_COLUMNS = ["replicate", "seed", "truth"]
_FLOAT_COLUMNS = ["observed", "estimate", "lower", "upper", "seconds"]
_TEXT_COLUMNS = ["scenario", "method", "status", "model"]


@dataclass(frozen=True)
class MethodSpec:
    """One method of a study: a label for the tables, the estimator, and its options.

    ``estimator`` is a method name for :func:`mse.estimate`, a method object
    of :mod:`mse.methods` (``Stepwise(max_order=3)``, its options inside it),
    or a function with the estimator signature
    ``fn(data, *, level, interval, random_seed, **options)`` (module-level
    functions travel to worker processes; lambdas do not).

    Parameters
    ----------
    label
        The method's name in the tables.
    estimator
        A method name, a method object or an estimator function, as above.
    options
        Keyword options passed to the estimator (for a method object, only
        ``interval``).

    Examples
    --------
    :func:`run` builds these from what it is given; the entry of a study's
    provenance is:

    >>> from mse.benchmark import MethodSpec
    >>> MethodSpec("stepwise, profile", "stepwise", {"interval": "profile"}).describe()
    {'label': 'stepwise, profile', 'estimator': 'stepwise', 'options': {'interval': "'profile'"}}
    """

    label: str
    estimator: str | Method | Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        if isinstance(self.estimator, (str, Method)):
            target = str(self.estimator) if isinstance(self.estimator, str) else repr(self.estimator)
        else:
            target = f"{getattr(self.estimator, '__module__', '?')}:{getattr(self.estimator, '__qualname__', '?')}"
        return {"label": self.label, "estimator": target, "options": {k: repr(v) for k, v in self.options.items()}}


def _method_spec(label: str | None, estimator: Any, options: Any) -> MethodSpec:
    name: str
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise ModelError(f"method options must be a dict, got {options!r}.")
    if isinstance(estimator, str):
        from mse.api import available_methods

        if estimator not in available_methods():
            raise ModelError(f"unknown method {estimator!r}; choose one of {available_methods()} or pass a function.")
        name = label or estimator
        return MethodSpec(name, estimator, dict(options))
    if isinstance(estimator, Method):
        return MethodSpec(label or estimator.name, estimator, dict(options))
    if callable(estimator):
        name = label or str(getattr(estimator, "__name__", "method"))
        return MethodSpec(name, estimator, dict(options))
    raise ModelError(f"a method must be a name, a mse.methods object or an estimator function, got {estimator!r}.")


def _normalise_methods(methods: Any) -> list[MethodSpec]:
    specs: list[MethodSpec] = []
    if isinstance(methods, (str, Method)) or callable(methods):
        methods = [methods]
    if isinstance(methods, Mapping):
        for label, value in methods.items():
            if isinstance(value, tuple) and len(value) == 2:
                specs.append(_method_spec(str(label), value[0], value[1]))
            else:
                specs.append(_method_spec(str(label), value, None))
    elif isinstance(methods, Iterable):
        for item in methods:
            if isinstance(item, MethodSpec):
                specs.append(item)
            elif isinstance(item, tuple) and len(item) == 3:
                specs.append(_method_spec(str(item[0]), item[1], item[2]))
            elif isinstance(item, tuple) and len(item) == 2:
                specs.append(_method_spec(None, item[0], item[1]))
            else:
                specs.append(_method_spec(None, item, None))
    else:
        raise ModelError(f"methods must be names, (label, name, options) triples or a dict, got {methods!r}.")
    if not specs:
        raise ModelError("methods is empty; give at least one method.")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ModelError(f"method labels must be unique, got {labels}; label repeats as (label, name, options).")
    return specs


def _normalise_scenarios(scenarios: Any) -> list[tuple[str, Scenario]]:
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    if isinstance(scenarios, Mapping):
        pairs = [(str(label), s) for label, s in scenarios.items()]
    else:
        pairs = [
            (s.name or f"scenario_{i}", s) if isinstance(s, Scenario) else ("", s) for i, s in enumerate(scenarios)
        ]
    for label, s in pairs:
        if not isinstance(s, Scenario):
            raise ModelError(f"scenarios must be mse.simulate.Scenario objects, got {type(s).__name__} ({label!r}).")
    if not pairs:
        raise ModelError("scenarios is empty; give at least one Scenario.")
    labels = [label for label, _ in pairs]
    if len(set(labels)) != len(labels):
        raise ModelError(f"scenario labels must be unique, got {labels}; name them or pass a dict label -> Scenario.")
    return pairs


def replicate_seeds(random_seed: int, scenario_index: int, replicate: int) -> tuple[np.random.SeedSequence, int]:
    """The data seed and the integer estimator seed of one replicate.

    Both come from ``SeedSequence(random_seed, spawn_key=(scenario_index, replicate))``,
    so a replicate's numbers depend on nothing but these three integers.

    Parameters
    ----------
    random_seed
        The study's seed.
    scenario_index
        Position of the scenario in the study.
    replicate
        Number of the replicate within the scenario.

    Returns
    -------
    data_seed : numpy.random.SeedSequence
        The seed of :func:`mse.simulate.generate` for this replicate.
    method_seed : int
        The ``random_seed`` given to every estimator on this replicate.

    Examples
    --------
    >>> from mse.benchmark import replicate_seeds
    >>> data_seed, method_seed = replicate_seeds(1, 0, 0)
    >>> method_seed
    2784763651
    >>> replicate_seeds(1, 0, 1)[1] == method_seed
    False
    """
    data_seed, method_seed = np.random.SeedSequence(random_seed, spawn_key=(scenario_index, replicate)).spawn(2)
    return data_seed, int(method_seed.generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class _Chunk:
    scenario_label: str
    scenario_index: int
    scenario: Scenario
    replicates: tuple[int, ...]
    methods: tuple[MethodSpec, ...]
    random_seed: int
    level: float


def _failed_row(status: str) -> dict[str, Any]:
    return {
        "observed": math.nan,
        "estimate": math.nan,
        "lower": math.nan,
        "upper": math.nan,
        "status": status,
        "model": "",
    }


def _fit(method: MethodSpec, data: Any, seed: int, level: float) -> dict[str, Any]:
    options = dict(method.options)
    with warnings.catch_warnings():
        # A study fits thousands of models; their warnings would drown the terminal. Status records failures.
        warnings.simplefilter("ignore")
        if isinstance(method.estimator, (str, Method)):
            import mse

            result = mse.estimate(data, method=method.estimator, level=level, random_seed=seed, **options)
        else:
            interval = options.pop("interval", None)
            result = method.estimator(data, level=level, interval=interval, random_seed=seed, **options)
    return {
        "observed": float(result.observed),
        "estimate": float(result.estimate),
        "lower": float(result.lower),
        "upper": float(result.upper),
        "status": str(result.status),
        "model": str(result.model or ""),
    }


def run_chunk(chunk: _Chunk) -> list[dict[str, Any]]:
    """Generate each replicate of ``chunk`` once and fit every method to it; never raises for one bad fit."""
    rows = []
    for replicate in chunk.replicates:
        data_seed, seed = replicate_seeds(chunk.random_seed, chunk.scenario_index, replicate)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data, _ = generate(chunk.scenario, data_seed)
        except Exception as exc:  # e.g. nobody observed: every method fails on this replicate
            data = None
            generation_error = f"generation failed: {type(exc).__name__}: {exc}"
        for method in chunk.methods:
            base = {
                "scenario": chunk.scenario_label,
                "method": method.label,
                "replicate": replicate,
                "seed": seed,
                "truth": chunk.scenario.population_size,
            }
            start = time.perf_counter()
            if data is None:
                outcome = _failed_row(generation_error)
            else:
                try:
                    outcome = _fit(method, data, seed, chunk.level)
                except Exception as exc:  # recorded per replicate; one failure must not stop a study
                    outcome = _failed_row(f"error: {type(exc).__name__}: {exc}")
            rows.append({**base, **outcome, "seconds": time.perf_counter() - start})
    return rows


def _tidy(rows: pd.DataFrame) -> pd.DataFrame:
    frame = rows.reindex(columns=RESULT_COLUMNS)
    for column in _TEXT_COLUMNS:
        frame[column] = frame[column].fillna("").astype(str)
    for column in _INT_COLUMNS:
        frame[column] = frame[column].astype(np.int64)
    for column in _FLOAT_COLUMNS:
        frame[column] = frame[column].astype(float)
    return frame


class _Store:
    """Finished chunks on disk: one CSV appended to, or a directory of Parquet parts."""

    def __init__(self, path: str | os.PathLike[str], study: dict[str, Any]) -> None:
        self.path = Path(path)
        self.parquet = self.path.suffix == ".parquet"
        if self.parquet:
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise ModelError("Parquet output needs pyarrow; install it or write to a .csv file.") from None
        elif self.path.suffix != ".csv":
            raise ModelError(f"output must end in .csv or .parquet, got {str(self.path)!r}.")
        self.study_file = self.path.with_name(self.path.name + ".study.json")
        if self.study_file.exists():
            stored = json.loads(self.study_file.read_text())
            if stored != study:
                raise ModelError(
                    f"{self.path} holds results of a different study (other scenarios, methods, seed or level); "
                    "resume only with the same settings, or write to a new output file."
                )
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.study_file.write_text(json.dumps(study, indent=1))
        if not self.parquet:
            self._drop_partial_line()

    def _drop_partial_line(self) -> None:
        """Cut a last line left unfinished by an interrupted write, so new rows start on a line of their own."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            tail_start = max(0, size - 65536)
            handle.seek(tail_start)
            tail = handle.read()
            if tail.endswith(b"\n"):
                return
            cut = tail.rfind(b"\n")
            handle.truncate(tail_start + cut + 1 if cut >= 0 else 0)

    def load(self) -> pd.DataFrame:
        if self.parquet:
            parts = sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []
            if not parts:
                return pd.DataFrame(columns=RESULT_COLUMNS)
            return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        if not self.path.exists() or self.path.stat().st_size == 0:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        return pd.read_csv(
            self.path,
            dtype={c: str for c in _TEXT_COLUMNS},
            keep_default_na=False,
            na_values={c: ["", "nan", "NaN"] for c in _FLOAT_COLUMNS},
            on_bad_lines="skip",
        )

    def append(self, rows: list[dict[str, Any]], chunk: _Chunk) -> None:
        frame = _tidy(pd.DataFrame(rows))
        if self.parquet:
            self.path.mkdir(parents=True, exist_ok=True)
            name = f"part-{chunk.scenario_index:05d}-{chunk.replicates[0]:08d}.parquet"
            frame.to_parquet(self.path / (name + ".tmp"), index=False)
            os.replace(self.path / (name + ".tmp"), self.path / name)
            return
        header = not self.path.exists() or self.path.stat().st_size == 0
        text = frame.to_csv(index=False, header=header)
        # One write per chunk, so an interrupted study leaves at worst one partial line, which load() skips.
        with open(self.path, "a", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()


def _finished(frame: pd.DataFrame, methods: Sequence[MethodSpec]) -> set[tuple[str, int]]:
    """(scenario, replicate) pairs with a complete row for every method."""
    if frame.empty:
        return set()
    frame = frame.dropna(subset=["replicate", "seconds"])
    frame = frame[frame["method"].isin([m.label for m in methods])]
    counts = frame.groupby(["scenario", "replicate"])["method"].nunique()
    complete = counts[counts == len(methods)].index
    return {(str(s), int(r)) for s, r in zip(complete.get_level_values(0), complete.get_level_values(1))}


@dataclass
class BenchmarkResult:
    """The outcome of :func:`run`.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per scenario, method and replicate with the columns of
        :data:`RESULT_COLUMNS`: ``seed`` is the integer given to the estimator,
        ``truth`` the population size, ``status`` ``"ok"`` or why the fit failed
        (``"cut short by the time budget ..."`` when a ``max_seconds`` in the
        method's options stopped it early), ``seconds`` the wall time of the
        fit (reported only; it decides nothing).
    scenarios : dict
        Label -> :class:`~mse.simulate.Scenario`.
    methods : list of MethodSpec
    random_seed : int
    level : float
    output : pathlib.Path or None
        Where the rows were streamed.

    Examples
    --------
    >>> from mse.simulate import Scenario
    >>> from mse.benchmark import SerialExecutor, run
    >>> study = run(Scenario(500, [0.3, 0.4, 0.5], name="independent"), ["independence"],
    ...             n_replicates=5, random_seed=1, executor=SerialExecutor(), progress=False)
    >>> study.results.shape
    (5, 12)
    >>> data, truth = study.replicate_data("independent", 0)  # the data of replicate 0, again
    >>> truth.population_size
    500
    """

    results: pd.DataFrame
    scenarios: dict[str, Scenario]
    methods: list[MethodSpec]
    random_seed: int
    level: float
    output: Path | None = None

    def summary(self) -> pd.DataFrame:
        """Per scenario and method: bias, relative and log-relative bias, RMSE, coverage, width, failures, time.

        See :func:`mse.benchmark.metrics.summarise`.
        """
        return summarise(self.results)

    def replicate_data(self, scenario: str, replicate: int) -> tuple[Any, Truth]:
        """Regenerate the data and truth of one replicate (for example, to study a failure)."""
        labels = list(self.scenarios)
        if scenario not in self.scenarios:
            raise ModelError(f"unknown scenario {scenario!r}; the study has {labels}.")
        data_seed, _ = replicate_seeds(self.random_seed, labels.index(scenario), replicate)
        return generate(self.scenarios[scenario], data_seed)


def _default_chunk_size(n_replicates: int, n_workers: int) -> int:
    # About eight chunks per worker keeps the last-chunk imbalance small while per-task overhead stays negligible.
    return int(min(100, max(1, math.ceil(n_replicates / (8 * n_workers)))))


def run(
    scenarios: Scenario | Sequence[Scenario] | Mapping[str, Scenario],
    methods: Any,
    n_replicates: int,
    random_seed: int,
    executor: Any = None,
    *,
    level: float = 0.95,
    output: str | os.PathLike[str] | None = None,
    chunk_size: int | None = None,
    n_workers: int | None = None,
    progress: bool | None = None,
) -> BenchmarkResult:
    """Fit every method to every replicate of every scenario and collect the results.

    Parameters
    ----------
    scenarios
        One :class:`~mse.simulate.Scenario`, a sequence of them (labelled by
        their ``name``, else ``scenario_0``, ...), or a dict label -> Scenario.
    methods
        What to fit, each fit running as long as its options say (no time limit
        unless an option such as ``max_seconds`` sets one):
        method names of :func:`mse.estimate` (``["bic", "Mt"]``), method
        objects of :mod:`mse.methods` (``[mse.methods.Stepwise(max_order=3)]``),
        ``(label, name, options)`` triples (``("bic_profile", "bic",
        {"interval": "profile"})``), or a dict label -> name, label -> (name,
        options) or label -> estimator function. A function must have the
        estimator signature ``fn(data, *, level, interval, random_seed,
        **options)`` and live at module level so it can be sent to workers.
    n_replicates
        Data sets drawn per scenario.
    random_seed
        The seed of the whole study. Replicate ``r`` of the ``s``-th scenario
        uses ``SeedSequence(random_seed, spawn_key=(s, r))``, so the same seed
        gives the same numbers on any executor and any number of workers, and
        increasing ``n_replicates`` adds replicates without changing earlier ones.
    executor
        Where to run: ``None`` starts a :class:`~concurrent.futures.ProcessPoolExecutor`
        on ``n_workers`` local processes (default: every core) and closes it
        afterwards; any :class:`concurrent.futures.Executor` is used as given
        (:class:`~mse.benchmark.SerialExecutor` runs in this process); a
        ``dask.distributed.Client`` sends the work to its cluster.
    level
        Nominal coverage of the intervals.
    output
        A ``.csv`` file (or, with pyarrow installed, a ``.parquet`` directory)
        to which finished chunks are appended as they arrive. If it already
        holds results of the same study (same scenarios, methods, seed and
        level, recorded in ``<output>.study.json``), finished replicates are
        skipped: an interrupted study resumes where it stopped.
    chunk_size
        Replicates per task; by default about eight tasks per worker.
    n_workers
        Local processes for the default executor (and the basis of the default
        chunk size).
    progress
        Show a progress bar on standard error: ``True`` always, ``False``
        never, ``None`` (default) when standard error is a terminal and the
        study is expected to take more than a few seconds.

    Returns
    -------
    BenchmarkResult
        ``.results`` (one row per scenario, method and replicate, sorted) and
        ``.summary()``.

    Raises
    ------
    ModelError
        For an unknown method name, malformed scenarios or methods, or an
        ``output`` that holds a different study. A failure inside one fit is
        never raised: it is recorded in that row's ``status`` as
        ``"error: <type>: <message>"``.

    Notes
    -----
    **Running on a cluster with Dask.** Install the optional extra
    (``pip install "mse[dask]"``), start a scheduler and workers on the
    cluster (for example with ``dask-jobqueue`` on SLURM, or ``dask scheduler``
    and ``dask worker <address>`` by hand), make sure ``mse`` is installed in
    the workers' environment, then pass a client::

        from dask.distributed import Client
        client = Client("tcp://scheduler-host:8786")
        result = mse.benchmark.run(scenarios, ["bic", "lcmcr"], n_replicates=1000,
                                   random_seed=2026, executor=client, output="study.csv")

    The numbers are the same as a serial run with the same seed. Tasks are
    chunks of ``chunk_size`` replicates; finished chunks stream back to this
    process and into ``output``, so a study interrupted by a lost job resumes
    when run again. A method of another package is found on the workers by
    name when the package declares it under the ``mse.methods`` entry point
    and is installed there (see :mod:`mse.methods.registry`).

    Examples
    --------
    >>> from mse.simulate import Scenario
    >>> from mse.benchmark import run, SerialExecutor
    >>> study = run(Scenario(2000, [0.3, 0.4, 0.5], name="independent"), ["independence", "Mt"],
    ...             n_replicates=100, random_seed=1, executor=SerialExecutor())  # doctest: +SKIP
    >>> study.summary()[["scenario", "method", "relative_bias", "coverage"]]  # doctest: +SKIP
    """
    scenario_pairs = _normalise_scenarios(scenarios)
    method_specs = _normalise_methods(methods)
    if isinstance(n_replicates, bool) or not isinstance(n_replicates, (int, np.integer)) or n_replicates < 1:
        raise ModelError(f"n_replicates must be a positive integer, got {n_replicates!r}.")
    if random_seed is None or check_random_seed(random_seed) is None:
        raise ModelError("random_seed must be a non-negative whole number (a study must be reproducible), got None.")
    level = check_level(level)
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1):
        raise ModelError(f"chunk_size must be a positive integer, got {chunk_size!r}.")

    study = {
        "random_seed": int(random_seed),
        "level": float(level),
        "scenarios": [{"label": label, "scenario": s.to_dict()} for label, s in scenario_pairs],
        "methods": [m.describe() for m in method_specs],
    }
    store = _Store(output, study) if output is not None else None
    done = _finished(store.load(), method_specs) if store is not None else set()

    pool = open_pool(executor, n_workers)
    size = chunk_size or _default_chunk_size(n_replicates, pool.n_workers)
    chunks = []
    for index, (label, scenario) in enumerate(scenario_pairs):
        todo = [r for r in range(int(n_replicates)) if (label, r) not in done]
        for start in range(0, len(todo), size):
            chunks.append(
                _Chunk(
                    label,
                    index,
                    scenario,
                    tuple(todo[start : start + size]),
                    tuple(method_specs),
                    int(random_seed),
                    float(level),
                )
            )

    bar = ProgressBar(sum(len(c.replicates) for c in chunks), label="replicates", enabled=progress)
    collected: list[dict[str, Any]] = []
    with pool:
        futures = {pool.submit(run_chunk, chunk): chunk for chunk in chunks}
        for future in pool.as_completed(futures):
            # Dropping each finished future releases its rows, so memory stays flat when streaming to disk.
            chunk = futures.pop(future)
            rows = future.result()
            if store is not None:
                store.append(rows, chunk)
            else:
                collected.extend(rows)
            bar.update(len(chunk.replicates))
    bar.close()

    frame = store.load() if store is not None else pd.DataFrame(collected, columns=RESULT_COLUMNS)
    frame = _tidy(frame.dropna(subset=[*_INT_COLUMNS, "seconds"]))
    scenario_order = {label: i for i, (label, _) in enumerate(scenario_pairs)}
    method_order = {m.label: i for i, m in enumerate(method_specs)}
    frame = frame[frame["scenario"].isin(scenario_order) & frame["method"].isin(method_order)]
    frame = frame[frame["replicate"] < n_replicates]
    frame = frame.drop_duplicates(subset=["scenario", "method", "replicate"], keep="first")
    frame = (
        frame.assign(_s=frame["scenario"].map(scenario_order), _m=frame["method"].map(method_order))
        .sort_values(["_s", "replicate", "_m"], kind="stable")
        .drop(columns=["_s", "_m"])
        .reset_index(drop=True)
    )
    return BenchmarkResult(
        results=frame,
        scenarios=dict(scenario_pairs),
        methods=method_specs,
        random_seed=int(random_seed),
        level=float(level),
        output=store.path if store is not None else None,
    )
