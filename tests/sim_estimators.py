"""Closed-form estimators used by the simulation and benchmark tests.

They have the estimator signature of :func:`mse.estimate` so the benchmark
runner can call them, and are defined at module level so they can be sent to
worker processes.
"""

from __future__ import annotations

import math

from scipy import stats

from mse import Estimate


def lincoln_petersen(data, *, level, interval, random_seed, **options):
    """Chapman's estimator for two lists with a Wald interval (Seber 1982, eqs 3.7 and 3.9)."""
    if options:
        raise ValueError(f"unknown options {sorted(options)}")
    if data.n_lists != 2:
        raise ValueError("two lists only")
    table = data.collapse_covariates().dense_counts()  # cells 00, 01, 10, 11
    n1 = int(table[2] + table[3])
    n2 = int(table[1] + table[3])
    m = int(table[3])
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    half = stats.norm.ppf(0.5 + level / 2) * math.sqrt(variance)
    return Estimate(
        estimate=estimate,
        lower=estimate - half,
        upper=estimate + half,
        level=level,
        observed=data.n_observed,
        method="test_lincoln",
        model="independence",
        interval_method="wald",
        details={"se": math.sqrt(variance)},
    )


def always_fails(data, *, level, interval, random_seed, **options):
    """An estimator with a bug: raises for every data set."""
    raise ZeroDivisionError("deliberate failure")


def fails_on_odd_seeds(data, *, level, interval, random_seed, **options):
    """Fails on about half the replicates, succeeding (with Chapman) on the rest."""
    if random_seed % 2:
        raise RuntimeError(f"odd seed {random_seed}")
    return lincoln_petersen(data, level=level, interval=interval, random_seed=random_seed)
