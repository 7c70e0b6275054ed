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

``--fixed`` times the same bootstrap with the fixed stepwise model (no
selection), which isolates the cost of resampling, refitting and the
jackknife from the cost of the search. ``--top`` times the top-model
bootstrap of Silverman, Chan & Vincent (2024) for the BIC choice among all
32,768 two-way models (the BCa bootstrap of that exhaustive search is refused
as too costly).
"""

from __future__ import annotations

import argparse
import os
import platform
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
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.system()}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; load average {os.getloadavg()[0]:.2f}"
    )
    data = mse.load_dataset("uk2013")
    progress = not args.no_progress
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
