"""Linkage corrections on simulated linkages of known truth: bias, coverage, and how many configurations.

Two studies, on linkages made by ``mse.linkage.scored_linkage.simulate_linkage``
(people on lists with known capture probabilities, one record per person and
list, candidate pairs scored by a calibrated model: true matches
``p ~ Beta(c + 1, d)``, ``round(M d / c)`` non-matching pairs
``p ~ Beta(c, d + 1)``):

1. ``--draws``: how the Rubin variance of ``"resample"`` settles with the
   number of configurations ``M`` (``linkage_draws``). One three-list linkage,
   ``--seeds`` seeds for each ``M``; the spread over seeds of the total
   variance of ``log N`` and of the upper limit, and the time per estimate.
2. ``--bias``: the naive table, ``"resample"`` and ``"rates"`` over
   ``--replicates`` linkages of two and of three lists: mean estimate, its
   Monte Carlo standard error, and the coverage of the 95 % intervals.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_linkage_correction.py --draws --bias
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings

import numpy as np
import pandas as pd


def simulate(seed, n_people=1500, capture=(0.3, 0.35, 0.4), c=0.2, d=0.2, one_to_one=False):
    """A linkage of ``len(capture)`` lists (:func:`mse.linkage.scored_linkage.simulate_linkage`)."""
    from mse.linkage.scored_linkage import simulate_linkage

    return simulate_linkage(n_people, capture, c=c, d=d, one_to_one=one_to_one, random_seed=seed)


def draws_study(seeds: int, sizes=(5, 10, 20, 50, 100)) -> list[dict]:
    """The spread over seeds of Rubin's total variance and upper limit, for each number of configurations."""
    import mse

    data = mse.CaptureData.from_linked(simulate(1))
    rows = []
    for m in sizes:
        totals, widths, logs, shares, seconds = [], [], [], [], []
        for seed in range(seeds):
            started = time.perf_counter()
            res = mse.estimate(data, "independence", linkage_draws=m, random_seed=seed, heterogeneity_check=False)
            seconds.append(time.perf_counter() - started)
            totals.append(res.details["linkage"]["total"])
            widths.append(res.upper - res.lower)
            logs.append(math.log(res.estimate))
            shares.append(res.details["linkage"]["linkage_share"])
        rows.append(
            {
                "draws": m,
                "cv_total_variance": statistics.stdev(totals) / statistics.mean(totals),
                "cv_width": statistics.stdev(widths) / statistics.mean(widths),
                # the Monte Carlo error of the point estimate, in units of its own standard error
                "sd_estimate_over_se": statistics.stdev(logs) / math.sqrt(statistics.mean(totals)),
                "mean_linkage_share": statistics.mean(shares),
                "seconds": statistics.median(seconds),
            }
        )
    return rows


def bias_study(replicates: int) -> list[dict]:
    """Mean estimate, Monte Carlo error and coverage of the naive table, resample and rates."""
    import mse

    settings = [
        ("two lists, one-to-one", 2000, dict(n_people=2000, capture=(0.4, 0.5), c=0.5, d=0.2, one_to_one=True)),
        ("three lists", 1500, dict(c=0.2, d=0.2)),
        ("three lists, fewer errors", 1500, dict(c=0.05, d=0.05)),
    ]
    rows = []
    for label, truth, options in settings:
        found: dict[str, list[tuple[float, bool]]] = {"ignore": [], "resample": [], "rates": []}
        for replicate in range(replicates):
            data = mse.CaptureData.from_linked(simulate(10_000 + replicate, **options))
            for correction in found:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = mse.estimate(
                        data, "independence", interval="wald", linkage_error=correction, random_seed=replicate
                    )
                found[correction].append((res.estimate, res.lower <= truth <= res.upper))
        for correction, values in found.items():
            estimates = np.array([v[0] for v in values])
            rows.append(
                {
                    "linkage": label,
                    "truth": truth,
                    "correction": correction,
                    "mean": float(estimates.mean()),
                    "mc_se": float(estimates.std(ddof=1) / math.sqrt(len(estimates))),
                    "relative_bias": float(estimates.mean() / truth - 1),
                    "coverage": float(np.mean([v[1] for v in values])),
                }
            )
    return rows


def quick() -> list[dict]:
    """A small run for ``benchmarks/run_all.py --quick``: 20 configurations of one linkage, 5 seeds."""
    row = draws_study(5, sizes=(20,))[0]
    return [
        {
            "benchmark": "linkage correction: resample, independence model",
            "size": "3 lists, 1,500 people, 20 configurations",
            "seconds": row["seconds"],
            "result": f"linkage share of the variance {row['mean_linkage_share']:.0%}",
            "target": "",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", action="store_true", help="how the variance settles with linkage_draws")
    parser.add_argument("--bias", action="store_true", help="bias and coverage of the corrections")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--replicates", type=int, default=200)
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    if args.draws:
        print(pd.DataFrame(draws_study(args.seeds)).round(4).to_string(index=False))
    if args.bias:
        print(pd.DataFrame(bias_study(args.replicates)).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
