"""Model search plus 1,000 parametric-bootstrap replicates for a 6-list table with covariates.

The table is ``netherlands_synthetic``: 6 lists x year (6) x sex (2) x age (2) x
nationality (2) x form (4) = 192 covariate cells, 12,096 observable rows.
Two runs: the complete records (nothing missing) and the shipped data with
missing covariate values (EM in the fit, the search and every replicate).
Target: under 2 minutes each on 2 cores.

Run with ``PYTHONPATH=src python benchmarks/bench_covariates.py [n_boot]``.
"""

from __future__ import annotations

import sys
import time

import mse
from mse.data.synthetic import netherlands_synthetic


def run(label: str, data: mse.CaptureData, n_boot: int) -> None:
    start = time.perf_counter()
    res = mse.estimate(data, method="bic_aic", n_boot=n_boot, random_seed=1)
    elapsed = time.perf_counter() - start
    truth = mse.load_truth("netherlands_synthetic")["N"].sum()
    print(
        f"{label}: {elapsed:.1f} s  | N = {res.estimate:,.0f} [{res.lower:,.0f}, {res.upper:,.0f}] (truth {truth:,}) "
        f"| {len(res.details['search']) - 1} terms added | {res.details['n_failed']} failed replicates"
    )


def quick() -> list[dict]:
    """A small run for ``run_all.py --quick``: the complete records with 50 replicates."""
    data = netherlands_synthetic().complete
    start = time.perf_counter()
    res = mse.estimate(data, method="bic_aic", n_boot=50, random_seed=1)
    return [
        {
            "benchmark": "covariates: bic_aic + parametric bootstrap",
            "size": "netherlands_synthetic, 50 replicates",
            "seconds": time.perf_counter() - start,
            "result": f"N = {res.estimate:,.0f} [{res.lower:,.0f}, {res.upper:,.0f}]",
            "target": "1,000 replicates under 2 minutes",
        }
    ]


def main() -> None:
    n_boot = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    population = netherlands_synthetic()
    run("complete records", population.complete, n_boot)
    run("with missing values (EM)", population.data, n_boot)


if __name__ == "__main__":
    main()
