"""The review correction's bootstrap variance against the variance over repeated reviews of one linkage.

The review correction (``linkage_error="review"``) takes the variance that
reviewing a sample adds to ``log N`` from a rescaled bootstrap of the reviewed
records (:meth:`mse.linkage.review.ReviewedTable.replicates`). This checks it
against the truth it estimates: one linkage of known quality
(:func:`mse.linkage.scored_linkage.simulate_linkage`, 2,000 people on three
lists, 2,095 records, 22 % of the 709 true matches missed and 18 % of the 670
links false), reviewed
``--reviews`` times, each time ``n`` records drawn afresh from each list and
answered from the truth. For each ``n``: the variance of ``log N`` (the
independence model refitted to each reviewed table) over the reviews, and
the mean of the bootstrap variances (200 replicates each). A ratio near 1
means the interval's review part is right; below 1, too narrow.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_linkage_review.py --reviews 300
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

SIZES = (20, 40, 100, 200)


def _truth(linkage) -> pd.DataFrame:
    """Every record's matches from the ids ``"<list>:<person>"`` of :func:`simulate_linkage`."""
    ids = linkage.records["record_id"]
    person = ids.str.split(":").str[1].to_numpy()
    records_of = ids.groupby(person).apply(tuple).to_dict()
    return pd.DataFrame(
        {"record_id": ids, "matches": [tuple(r for r in records_of[p] if r != i) for i, p in zip(ids, person)]}
    ).set_index("record_id")


def _log_n(counts: np.ndarray) -> np.ndarray:
    from mse.loglinear.fit.batch import evaluate_models
    from mse.loglinear.model.design import Design

    design = Design(3, [])
    return np.log(evaluate_models(design, design.column_mask([]), np.atleast_2d(counts), extended=True).estimate)


def compare(sizes=SIZES, reviews: int = 300, replicates: int = 200, seed: int = 6) -> pd.DataFrame:
    """One row per review size: the variance of ``log N`` over reviews and the mean bootstrap variance."""
    from mse.linkage.review import reviewed_table
    from mse.linkage.scored_linkage import simulate_linkage

    linkage = simulate_linkage(2000, (0.3, 0.35, 0.4), c=0.15, d=0.4, random_seed=seed)
    truth = _truth(linkage)
    rows = []
    for n in sizes:
        started = time.perf_counter()
        rng = np.random.default_rng([seed, n])
        estimates, bootstrap = [], []
        for k in range(reviews):
            sample = linkage.review_sample(n, random_seed=int(rng.integers(2**31)))
            table = reviewed_table(linkage, truth.loc[sample["record_id"]].reset_index())
            estimates.append(_log_n(table.counts)[0])
            bootstrap.append(np.var(_log_n(table.replicates(replicates, random_seed=k)), ddof=1))
        empirical = float(np.var(estimates, ddof=1))
        rows.append(
            {
                "records per list": n,
                "reviews": reviews,
                "variance over reviews": empirical,
                "mean bootstrap variance": float(np.mean(bootstrap)),
                "ratio": float(np.mean(bootstrap)) / empirical,
                # the variance of a sample variance of normal values: 2 sigma^4 / (k - 1)
                "ratio MC se": float(np.sqrt(2.0 / (reviews - 1))),
                "seconds": time.perf_counter() - started,
            }
        )
    return pd.DataFrame(rows)


def quick() -> list[dict]:
    """For ``benchmarks/run_all.py --quick``: 40 reviews of 40 records per list."""
    started = time.perf_counter()
    row = compare(sizes=(40,), reviews=40, replicates=100).iloc[0]
    return [
        {
            "benchmark": "review correction: bootstrap against repeated reviews",
            "size": "40 reviews of 40 records per list, 3 lists, 2,000 people",
            "seconds": time.perf_counter() - started,
            "result": f"variance ratio {row['ratio']:.2f}",
            "target": "ratio near 1",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=300)
    args = parser.parse_args()
    with pd.option_context("display.width", 160):
        print(compare(reviews=args.reviews).round(6).to_string(index=False))


if __name__ == "__main__":
    main()
