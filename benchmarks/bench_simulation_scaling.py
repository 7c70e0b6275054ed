"""Speed-up of a 500-replicate simulation study on 2 worker processes against 1.

    python benchmarks/bench_simulation_scaling.py                  # independence + parametric bootstrap
    python benchmarks/bench_simulation_scaling.py --method stepwise  # any installed method

The same study (same seed) runs on a one-process and on a two-process
:class:`~concurrent.futures.ProcessPoolExecutor`; the script checks that the
numbers are identical and reports the wall-clock times and the speed-up in
benchmarks/README.md. Each configuration is timed ``--repeats`` times and the
fastest run kept, which discounts interference from other work on the machine.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
# One BLAS thread per process: otherwise a single worker already uses both cores and the comparison is void.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import pandas as pd  # noqa: E402
from _common import machine, markdown, write_section  # noqa: E402

from mse.benchmark import run  # noqa: E402
from mse.simulate import Scenario  # noqa: E402

SCENARIO = Scenario(
    population_size=20_000,
    capture_probabilities=[0.15, 0.2, 0.25, 0.2],
    heterogeneity={"kind": "latent_class", "weights": [0.6, 0.4], "multipliers": [0.3, 2.5]},
    interactions={("A", "B"): 0.7},
    name="latent_class_dependent",
)


def timed(methods, n_replicates: int, workers: int) -> tuple[float, pd.DataFrame]:
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        pool.submit(int).result()  # start the workers before timing, as a long study amortises it
        start = time.perf_counter()
        result = run(
            SCENARIO, methods, n_replicates, random_seed=2026, executor=pool, n_workers=workers, progress=False
        )
        return time.perf_counter() - start, result.results


def quick() -> list[dict]:
    """A small run for ``run_all.py --quick``: 40 replicates on 1 and on 2 worker processes."""
    methods = [("independence", "independence", {"interval": "parametric_bootstrap", "n_boot": 2000})]
    one, first = timed(methods, 40, 1)
    two, second = timed(methods, 40, 2)
    identical = first.drop(columns="seconds").equals(second.drop(columns="seconds"))
    return [
        {
            "benchmark": "study runner, 1 vs 2 workers",
            "size": "40 replicates",
            "seconds": one + two,
            "result": f"speed-up {one / two:.2f}x, identical: {identical}",
            "target": "near-linear on 2 workers",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--method", default=None, help="an mse.estimate method (default: independence + bootstrap)")
    parser.add_argument("--n-boot", type=int, default=10000, help="bootstrap size of the default method")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    if args.method:
        methods = [args.method]
        label = args.method
    else:
        methods = [("independence", "independence", {"interval": "parametric_bootstrap", "n_boot": args.n_boot})]
        label = f"independence log-linear model + parametric bootstrap ({args.n_boot} refits)"

    times: dict[int, list[float]] = {1: [], 2: []}
    loads: dict[int, list[float]] = {1: [], 2: []}
    busy: dict[int, list[float]] = {1: [], 2: []}
    results = {}
    for _ in range(args.repeats):
        for workers in (1, 2):
            load_before = os.getloadavg()[0]
            seconds, results[workers] = timed(methods, args.replicates, workers)
            times[workers].append(seconds)
            # Share of the workers' wall time spent inside estimator fits: what the runner's overhead leaves.
            busy[workers].append(results[workers]["seconds"].sum() / (workers * seconds))
            loads[workers].append(load_before)
            print(f"{workers} worker(s): {seconds:.2f} s (load average before: {load_before:.1f})", flush=True)
    identical = results[1].drop(columns="seconds").equals(results[2].drop(columns="seconds"))
    best = {w: min(ts) for w, ts in times.items()}
    speedup = best[1] / best[2]
    occupancy = {w: max(b) for w, b in busy.items()}
    projected = 2 * occupancy[2] / occupancy[1]
    print(
        f"speed-up {speedup:.2f}x; identical results: {identical}; busy fraction {occupancy}; "
        f"speed-up on an idle machine (projected from the busy fractions) {projected:.2f}x"
    )
    if args.no_readme:
        return
    table = pd.DataFrame(
        {
            "workers": [1, 2],
            "best seconds": [best[1], best[2]],
            "all runs (s)": [", ".join(f"{t:.1f}" for t in times[w]) for w in (1, 2)],
            "1-min load before runs": [", ".join(f"{x:.1f}" for x in loads[w]) for w in (1, 2)],
            "speed-up": [1.0, speedup],
            "busy fraction (best)": [occupancy[1], occupancy[2]],
        }
    )
    body = (
        f"`python benchmarks/bench_simulation_scaling.py{' --method ' + args.method if args.method else ''}`: "
        f"{args.replicates} replicates of a 4-list scenario (N = {SCENARIO.population_size:,}, latent-class "
        f"heterogeneity, A:B dependence), method: {label}; best of {args.repeats} runs per configuration, worker "
        "processes started before timing, one BLAS thread per process.\n\n"
        + markdown(table, ".2f")
        + "\n\n`busy fraction`: the sum of the time spent inside estimator fits divided by workers x wall time, "
        "i.e. the share of the workers' time not lost to the runner (data generation, scheduling, transfer, idle "
        f"workers at the end). On an idle machine the speed-up is about 2 x busy(2) / busy(1) = {projected:.2f}x; "
        "the measured wall-clock speed-up is lower when other processes compete for the two cores."
        + f"\n\nResults identical on 1 and 2 workers: {identical}. Measured on {machine()}, "
        f"{datetime.date.today().isoformat()}, on a machine shared with other work: a load average above the "
        "number of cores means other processes competed for them, and the speed-up is then understated."
    )
    write_section("scaling", "Parallel speed-up of the study runner (1 vs 2 worker processes)", body)


if __name__ == "__main__":
    main()
