"""Effective samples of N per second for the default ``method="lcmcr"`` fit.

Measures the whole default fit (``mse.estimate(data, method="lcmcr")``: sampler,
InferenceData and convergence checks) by wall-clock time, and reports bulk ESS
of N per second, R-hat, the posterior median and the 95 % interval.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_lcmcr.py kosovo uk2013_5 netherlands
"""

from __future__ import annotations

import sys
import time
import warnings

import mse


def main(names: list[str], seed: int = 1) -> None:
    print("| data | seconds | median | 95 % interval | R-hat | bulk ESS of N | ESS/s |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        data = mse.load_dataset(name)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mse.estimate(data, method="lcmcr", random_seed=seed)
        seconds = time.perf_counter() - started
        ess = res.details["ess"]
        print(
            f"| {name} | {seconds:.1f} | {res.estimate:,.0f} | [{res.lower:,.0f}, {res.upper:,.0f}] "
            f"| {res.details['rhat']:.3f} | {ess:.0f} | {ess / seconds:.0f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["kosovo", "uk2013_5", "netherlands"])
