"""Effective samples of N per second for the default ``method="lcmcr"`` fit.

Times the whole default fit (``mse.estimate(data, method="lcmcr")``: warm-up,
adaptive sampling until R-hat of N <= 1.01 and bulk ESS >= 400 or the 60 s
budget, InferenceData and convergence checks) by wall-clock and CPU time, and
reports bulk ESS of N per wall-clock second, R-hat, the posterior median and
the 95 % interval. ArviZ is imported once before timing (its import takes 1-4 s
on the benchmark machine and is paid once per Python session). The machine's
load average is printed, since other processes share the cores.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_lcmcr.py kosovo uk2013_5 netherlands
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import mse


def main(names: list[str], seeds: tuple[int, ...] = (1, 2, 3, 4)) -> None:
    started = time.perf_counter()
    import arviz  # noqa: F401  (imported once, outside the timings)

    print(f"importing arviz: {time.perf_counter() - started:.1f} s; load average {os.getloadavg()}")
    print("| data | seed | wall s | CPU s | draws/chain | stop | median | 95 % interval | R-hat | bulk ESS | ESS/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        data = mse.load_dataset(name)
        for seed in seeds:
            wall, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = mse.estimate(data, method="lcmcr", random_seed=seed)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            ess = res.details["ess"]
            print(
                f"| {name} | {seed} | {wall:.1f} | {cpu:.1f} | {res.details['n_draws']} | "
                f"{res.details['stop_reason']} | {res.estimate:,.0f} | [{res.lower:,.0f}, {res.upper:,.0f}] "
                f"| {res.details['rhat']:.3f} | {ess:.0f} | {ess / wall:.0f} |",
                flush=True,
            )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["kosovo", "uk2013_5", "netherlands"])
