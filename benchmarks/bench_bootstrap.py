"""Time the BCa bootstrap with stepwise re-selection on uk2013 (1,000 replicates).

Target: under 30 s on the reference machine (2 cores, 24 GiB, Linux, Python 3.11).
SparseMSE's ``estimatepopulation(zdat, nboot=1000, pthresh=0.02, iseed=1234)``
takes about 210 s for the same work on that machine.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_bootstrap.py            # stepwise + BCa
    PYTHONPATH=src python benchmarks/bench_bootstrap.py --fixed    # also: a fixed model refitted per replicate
    PYTHONPATH=src python benchmarks/bench_bootstrap.py --top      # also: BIC over all models + bootstrap_top
    PYTHONPATH=src python benchmarks/bench_bootstrap.py --default  # also: stepwise up to three-way terms + BCa
    PYTHONPATH=src python benchmarks/bench_bootstrap.py --average  # also: bic_average + bootstrap_top
    PYTHONPATH=src python benchmarks/bench_bootstrap.py --workers  # also: 1 vs 2 worker processes
    PYTHONPATH=src python benchmarks/bench_bootstrap.py --median 5 --n-boot 10000  # median of 5 runs, and bar moves

``--workers`` times stepwise + BCa with ``--workers-n-boot`` replicates (default
10,000, so that starting processes does not dominate) on one worker process
and on two (``bootstrap_interval(..., executor=...)``, the processes started
before timing), checks that the intervals are identical, and reports the busy
fraction: the seconds the workers spent evaluating chunks of replicates,
divided by workers x wall time. Run it with ``OPENBLAS_NUM_THREADS=1`` so that
each process uses one core.

``--median N`` times stepwise + BCa ``N`` times in this process (no bar
drawn) and prints the median wall and CPU seconds, and how many times the
progress bar moves over the run (a bar that records its updates stands in
for the drawn one; chunks of 250 replicates alone would move it
``n_boot / 250`` times).

``--fixed`` times the same bootstrap with the fixed stepwise model (no
selection), which isolates the cost of resampling, refitting and the
jackknife from the cost of the search. ``--top`` times the top-model
bootstrap of Silverman, Chan & Vincent (2024) for the BIC choice among all
32,768 two-way models (the BCa bootstrap of that exhaustive search is refused
as too costly).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import platform
import statistics
import time

import numpy as np

import mse
from mse.loglinear.intervals.bootstrap import bootstrap_interval
from mse.loglinear.search.reselection import select_batch

# The model SparseMSE's stepwise selects on uk2013 (tests/reference/reference_estimates.csv).
UK2013_STEPWISE = "PF:NCA + LA:NG + NG:GP + LA:PF + PF:GP + GO:GP + NG:GO"
# SparseMSE estimatepopulation(zdat, nboot=1000, pthresh=0.02, iseed=1234): BCa 95 % limits.
R_LIMITS = (9266.9578, 14306.758)


def _time(
    label: str,
    data: mse.CaptureData,
    method: str,
    options: dict,
    n_boot: int,
    seed: int,
    progress: bool,
    kind: str = "bca",
) -> None:
    start = time.perf_counter()
    observed = data.dense_counts()[1:]
    point = float(select_batch(observed[None, :], data.lists, method, **options).estimate[0])
    result = bootstrap_interval(
        data,
        kind=kind,
        method=method,
        options=options,
        point_estimate=point,
        n_boot=n_boot,
        random_seed=seed,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    print(
        f"{label}: {seconds:.1f} s for {n_boot} replicates + jackknife; estimate {point:,.1f}; "
        f"BCa {result.lower:,.1f} - {result.upper:,.1f}"
        + (f" (R: {R_LIMITS[0]:,.1f} - {R_LIMITS[1]:,.1f})" if method == "stepwise" else "")
        + f"; failed {result.n_failed}; acceleration {result.details['acceleration']:.5f}; status {result.status}"
    )


def _timed_call(fn, *args):
    started, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, time.perf_counter() - started, time.process_time() - cpu


class TimedProcessPool(concurrent.futures.Executor):
    """A process pool that adds up the seconds its tasks spend working (for the busy fraction)."""

    def __init__(self, n_workers: int) -> None:
        self.n_workers = n_workers
        self.pool = concurrent.futures.ProcessPoolExecutor(max_workers=n_workers)
        self.busy = 0.0
        self.cpu = 0.0
        # start every worker before anything is timed
        list(self.pool.map(abs, range(4 * n_workers)))

    def submit(self, fn, /, *args, **kwargs):
        inner = self.pool.submit(_timed_call, fn, *args)
        outer: concurrent.futures.Future = concurrent.futures.Future()

        def relay(done: concurrent.futures.Future) -> None:
            try:
                value, seconds, cpu = done.result()
            except BaseException as exc:  # handed on to whoever waits for the outer future
                outer.set_exception(exc)
                return
            self.busy += seconds
            self.cpu += cpu
            outer.set_result(value)

        inner.add_done_callback(relay)
        return outer

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def worker_rows(n_boot: int, seed: int, repeats: int) -> list[dict]:
    """Stepwise + BCa on uk2013 with ``n_boot`` replicates on 1 and 2 worker processes: wall, busy, speed-up."""
    data = mse.load_dataset("uk2013")
    observed = data.dense_counts()[1:]
    point = float(select_batch(observed[None, :], data.lists, "stepwise").estimate[0])
    arguments = dict(kind="bca", method="stepwise", options={}, point_estimate=point, n_boot=n_boot, random_seed=seed)
    walls: dict[int, list[float]] = {1: [], 2: []}
    busy: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    limits = {}
    for _ in range(repeats):
        for workers in (1, 2):
            with TimedProcessPool(workers) as pool:
                started = time.perf_counter()
                result = bootstrap_interval(data, executor=pool, progress=False, **arguments)
                wall = time.perf_counter() - started
            walls[workers].append(wall)
            busy[workers].append(pool.busy / (workers * wall))
            cpu[workers].append(pool.cpu / (workers * wall))
            limits[workers] = (result.lower, result.upper, result.draws)
    identical = limits[1][:2] == limits[2][:2] and np.array_equal(limits[1][2], limits[2][2], equal_nan=True)
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    return [
        {
            "benchmark": f"stepwise + BCa, uk2013, {workers} worker process{'es' if workers > 1 else ''}",
            "size": f"{n_boot:,} replicates",
            "seconds": statistics.median(walls[workers]),
            "result": (
                f"runs {', '.join(f'{w:.1f}' for w in walls[workers])} s; busy fraction "
                f"{statistics.median(busy[workers]):.2f} (on a core: {statistics.median(cpu[workers]):.2f}); "
                f"speed-up {one / statistics.median(walls[workers]):.2f}x; "
                f"identical on 1 and 2 workers: {identical}"
            ),
            "target": "near-linear speed-up on 2 workers" if workers == 2 else "",
        }
        for workers in (1, 2)
    ] + [{"benchmark": "speed-up", "size": "", "seconds": two, "result": f"{one / two:.2f}x", "target": ""}]


def _stepwise_bca(data: mse.CaptureData, n_boot: int, seed: int, progress: bool | None) -> tuple[float, float]:
    observed = data.dense_counts()[1:]
    point = float(select_batch(observed[None, :], data.lists, "stepwise").estimate[0])
    result = bootstrap_interval(
        data,
        kind="bca",
        method="stepwise",
        options={},
        point_estimate=point,
        n_boot=n_boot,
        random_seed=seed,
        progress=progress,
    )
    return result.lower, result.upper


def bar_moves(n_boot: int, seed: int = 1234) -> tuple[int, int, tuple[float, float]]:
    """How many times the bar of stepwise + BCa on uk2013 moves, the count it ends at, and the limits."""
    from mse.loglinear.intervals import bootstrap as bootstrap_module

    class Recording:
        def __init__(self, total: int | None, **_: object) -> None:
            self.steps: list[int] = []

        def __enter__(self) -> Recording:
            return self

        def __exit__(self, *_: object) -> None:
            pass

        def update(self, n: int = 1, *, note: str | None = None) -> None:
            self.steps.append(n)

    bars: list[Recording] = []

    def recording(total: int | None, **kwargs: object) -> Recording:
        bars.append(Recording(total))
        return bars[-1]

    drawn = bootstrap_module.ProgressBar
    bootstrap_module.ProgressBar = recording
    try:
        limits = _stepwise_bca(mse.load_dataset("uk2013"), n_boot, seed, None)
    finally:
        bootstrap_module.ProgressBar = drawn
    return len(bars[0].steps), sum(bars[0].steps), limits


def median_rows(n_boot: int, seed: int, repeats: int) -> list[dict]:
    """Stepwise + BCa on uk2013, ``repeats`` times in this process: median wall and CPU seconds, bar moves."""
    data = mse.load_dataset("uk2013")
    walls, cpus = [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        limits = _stepwise_bca(data, n_boot, seed, False)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    moves, count, _ = bar_moves(n_boot, seed)
    return [
        {
            "benchmark": "stepwise + BCa, uk2013, median of runs",
            "size": f"{n_boot:,} replicates x {repeats}",
            "seconds": statistics.median(walls),
            "result": (
                f"wall {', '.join(f'{w:.2f}' for w in walls)} s; CPU median {statistics.median(cpus):.2f} s; "
                f"limits {limits[0]!r}, {limits[1]!r}; bar moves {moves} times and ends at {count:,}"
            ),
            "target": "",
        }
    ]


def quick() -> list[dict]:
    """Stepwise + BCa on uk2013 with 1,000 replicates (the issue's size), in this process, once."""
    data = mse.load_dataset("uk2013")
    started = time.perf_counter()
    observed = data.dense_counts()[1:]
    point = float(select_batch(observed[None, :], data.lists, "stepwise").estimate[0])
    lower, upper = _stepwise_bca(data, 1000, 1234, False)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    moves, count, _ = bar_moves(1000)
    return [
        {
            "benchmark": "stepwise + BCa, uk2013",
            "size": "1,000 replicates",
            "seconds": seconds,
            "result": f"{point:,.0f} [{lower:,.0f}, {upper:,.0f}]",
            "target": "< 5 s on one core",
        },
        {
            "benchmark": "stepwise + BCa, uk2013: progress bar moves",
            "size": "1,000 replicates",
            "seconds": time.perf_counter() - started,
            "result": f"{moves} moves, ends at {count:,}",
            "target": "at least 20 moves, ends at 1,000",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--fixed", action="store_true", help="also time fixed-model refits")
    parser.add_argument(
        "--top", action="store_true", help="also time the top-model bootstrap of the all-models BIC choice"
    )
    parser.add_argument(
        "--default", action="store_true", help="also time the default rule: stepwise up to three-way terms + BCa"
    )
    parser.add_argument(
        "--average", action="store_true", help="also time the BIC average over all two-way models + bootstrap_top"
    )
    parser.add_argument("--workers", action="store_true", help="also time 1 vs 2 worker processes")
    parser.add_argument("--workers-n-boot", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of the --workers runs")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--median", type=int, default=0, help="time stepwise + BCa this many times; print the median")
    args = parser.parse_args()

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.system()}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; load average {os.getloadavg()[0]:.2f}"
    )
    data = mse.load_dataset("uk2013")
    progress = not args.no_progress
    if args.median:
        for row in median_rows(args.n_boot, args.seed, args.median):
            print(f"{row['benchmark']}: {row['size']}, median {row['seconds']:.2f} s; {row['result']}")
        return
    _time("uk2013 stepwise + BCa", data, "stepwise", {}, args.n_boot, args.seed, progress)
    if args.default:
        _time(
            "uk2013 stepwise up to three-way terms + BCa (the default rule)",
            data,
            "stepwise",
            {"max_order": 3},
            args.n_boot,
            args.seed,
            progress,
        )
    if args.fixed:
        _time(
            "uk2013 fixed stepwise model + BCa",
            data,
            "loglinear",
            {"model": UK2013_STEPWISE},
            args.n_boot,
            args.seed,
            progress,
        )
    if args.top:
        # Ranks all 32,768 two-way models on uk2013 by BIC (the point estimate's exhaustive search and
        # the ranking), then refits the best 60 in every replicate and the jackknife.
        _time(
            "uk2013 BIC over all two-way models + bootstrap_top (n_top=60)",
            data,
            "bic",
            {"max_order": 2},
            args.n_boot,
            args.seed,
            progress,
            kind="bootstrap_top",
        )
    if args.workers:
        for row in worker_rows(args.workers_n_boot, args.seed, args.repeats):
            print(f"{row['benchmark']}: {row['size']}, median {row['seconds']:.1f} s; {row['result']}")
    if args.average:
        start = time.perf_counter()
        result = mse.estimate(
            data, method="bic_average", max_order=2, n_boot=args.n_boot, random_seed=args.seed, progress=progress
        )
        print(
            f"uk2013 BIC average over all two-way models + bootstrap_top: {time.perf_counter() - start:.1f} s; "
            f"estimate {result.estimate:,.1f}; [{result.lower:,.1f}, {result.upper:,.1f}]; status {result.status}"
        )


if __name__ == "__main__":
    main()
