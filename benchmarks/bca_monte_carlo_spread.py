"""Monte Carlo spread of the stepwise BCa limits, for the tolerances of the comparison with SparseMSE.

SparseMSE's ``estimatepopulation(zdat, nboot=1000, pthresh=0.02, iseed=1234)``
and ``mse`` draw different bootstrap replicates (R's and NumPy's random
streams), so their BCa limits differ by Monte Carlo error even when both
compute the same interval. The 95 % lower limit sits at about the 0.2 %
quantile of the replicate distribution (the second or third smallest of 1,000
estimates), so that error is large and skewed.

For each data set this script

1. runs the BCa bootstrap with stepwise re-selection (1,000 replicates) for
   ``--seeds`` seeds and pools the replicate estimates (20,000 by default),
   an accurate picture of the bootstrap distribution ``G``;
2. draws pairs of independent runs of 1,000 replicates from the pooled
   estimates and computes both runs' BCa limits (same point estimate and
   acceleration): the relative difference between two such runs is the Monte
   Carlo error of comparing two correct implementations;
3. prints its 99 % two-sided band for each limit (95 % and 80 % intervals)
   and where SparseMSE's limits fall relative to ``mse``'s limits with seed 1234.

The tolerances in ``tests/loglinear/intervals/test_bootstrap.py::R_BCA`` are the 99 %
bands printed here.

Run: PYTHONPATH=src python benchmarks/bca_monte_carlo_spread.py [--seeds 20] [name ...]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import mse
from mse.loglinear.intervals.bootstrap import bca_limits, bootstrap_interval
from mse.loglinear.search.reselection import select_batch

# SparseMSE 2.0.1 estimatepopulation(zdat, nboot=1000, pthresh=0.02, iseed=1234): BCa 95 % and 80 % limits
# (tests/reference/reference_estimates.csv, the 80 % ones in its notes).
R_LIMITS = {
    "kosovo": {0.95: (12595.84, 16527.495), 0.80: (13117.2, 15641.0)},
    "western_us": {0.95: (1293.2139, 3672.0366), 0.80: (1343.3, 2998.5)},
    "uk2013": {0.95: (9266.9578, 14306.758), 0.80: (9682.3, 12576.5)},
    "uk2013_5": {0.95: (8784.7799, 14700.549), 0.80: (9623.9, 12531.1)},
    "korea": {0.95: (123.34152, 440.34631), 0.80: (214.2, 394.6)},
}


def spread(name: str, n_seeds: int, n_pairs: int = 5000, n_boot: int = 1000) -> None:
    data = mse.load_dataset(name)
    observed = data.dense_counts()[1:]
    point = float(select_batch(observed[None, :], data.lists, "stepwise").estimate[0])
    runs = [
        bootstrap_interval(
            data,
            kind="bca",
            method="stepwise",
            options={},
            point_estimate=point,
            n_boot=n_boot,
            random_seed=seed,
            progress=False,
        )
        for seed in [1234, *range(n_seeds)]
    ]
    reference = runs[0]
    acceleration = reference.details["acceleration"]
    pooled = np.concatenate([run.draws for run in runs[1:]])
    pooled = pooled[np.isfinite(pooled)]
    print(
        f"{name}: estimate {point:,.1f}, acceleration {acceleration:.5f}, {pooled.size:,} pooled replicates, "
        f"bootstrap median {np.median(pooled):,.1f}"
    )
    for level in (0.95, 0.80):
        rng = np.random.default_rng(0)
        limits = np.array(
            [bca_limits(rng.choice(pooled, n_boot), point, acceleration, level)[:2] for _ in range(2 * n_pairs)]
        )
        median = np.nanmedian(limits, axis=0)
        difference = (limits[:n_pairs] - limits[n_pairs:]) / median
        band = np.nanquantile(difference, [0.005, 0.995], axis=0)
        ours = bca_limits(reference.draws, point, acceleration, level)[:2]
        for k, label in enumerate(("lower", "upper")):
            r_value = R_LIMITS[name][level][k]
            observed_difference = (ours[k] - r_value) / median[k]
            share = float(np.mean(np.abs(difference[:, k]) >= abs(observed_difference)))
            print(
                f"  {level:.0%} {label}: median over runs {median[k]:,.1f}; mse (seed 1234) {ours[k]:,.1f}, "
                f"SparseMSE {r_value:,.1f}, difference {observed_difference:+.1%}; 99 % band of the difference "
                f"of two runs [{band[0, k]:+.1%}, {band[1, k]:+.1%}]; two runs differ at least this much in "
                f"{share:.1%} of pairs"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(R_LIMITS))
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    for name in args.names:
        spread(name, args.seeds)


if __name__ == "__main__":
    main()
