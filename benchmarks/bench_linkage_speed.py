"""Speed and accuracy of mse.linkage.link on DuckDB: about 1,500 records of three lists.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_linkage_speed.py             # 2,000 and 6,000 people, 5 runs each
    PYTHONPATH=src python benchmarks/bench_linkage_speed.py --repeats 3

A simulation study calls ``link`` once per replicate (about 100 replicates),
so one call on about 1,500 records should take a few seconds. The records are
those of :func:`mse.linkage.simulate_records` (Dutch and other names with
realistic frequencies; three agencies registering a person with probability
0.3, 0.25 and 0.2), written with typing errors in 3 % of the fields, 2 %
missing, 3 % day-month swaps and 5 % surname particles moved, pseudonymised by
:func:`mse.linkage.pseudonymise`. Each row gives the median wall-clock time of
``repeats`` calls after one warm-up call (which imports Splink and DuckDB),
and the precision and recall of the links at probability 0.5 against the
true people.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

TARGET = "about 1,500 records of 3 lists: a few seconds per call on DuckDB"
CAPTURE = {"police": 0.3, "ngo": 0.25, "shelter": 0.2}


def _records(people: int, seed: int):
    """Token frames of simulated agencies' records and the person of each record id."""
    import pandas as pd

    from mse.linkage import RecordErrors, pseudonymise, simulate_records

    errors = RecordErrors(typo=0.03, missing=0.02, swap=0.03, particle=0.05)
    sim = simulate_records(people, CAPTURE, errors=errors, random_seed=seed)
    frames = {
        name: pseudonymise(frame, key=b"benchmark key " * 3, fields=sim.fields, list_name=name, keep=sim.covariates)
        for name, frame in sim.frames.items()
    }
    rows = pd.concat([f.assign(row=range(len(f)))[["record_id", "list", "row"]] for f in frames.values()])
    truth = rows.merge(sim.truth, on=["list", "row"]).set_index("record_id")["person_id"]
    return frames, truth


def _quality(pairs, truth) -> tuple[float, float]:
    linked = pairs[pairs["match_probability"] >= 0.5]
    same = truth.loc[linked["record_id_l"]].to_numpy() == truth.loc[linked["record_id_r"]].to_numpy()
    sizes = truth.value_counts()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    return float(same.mean()), float(same.sum()) / true_pairs


def measure(people: int, repeats: int, seed: int = 1) -> dict[str, object]:
    """Median seconds of ``link`` on the records of ``people`` simulated people, and the links' quality."""
    from mse.linkage import link

    frames, truth = _records(people, seed)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        link(frames, random_seed=seed)  # warm-up: imports Splink and DuckDB
        for _ in range(repeats):
            start = time.perf_counter()
            result = link(frames, random_seed=seed)
            times.append(time.perf_counter() - start)
    precision, recall = _quality(result.pairs, truth)
    return {
        "records": result.n_records,
        "seconds": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "pairs": len(result.pairs),
        "precision": precision,
        "recall": recall,
        "people_found": result.n_clusters,
        "people_seen": int(truth.nunique()),
        "em_iterations": result.metadata["em_iterations"],
    }


def quick() -> list[dict[str, object]]:
    """One call on about 1,500 records (2,000 simulated people, three lists)."""
    row = measure(2000, repeats=1)
    return [
        {
            "benchmark": "linkage: mse.linkage.link on DuckDB",
            "size": f"{row['records']:,} records, 3 lists",
            "seconds": float(row["seconds"]),  # type: ignore[arg-type]
            "result": f"precision {row['precision']:.3f}, recall {row['recall']:.3f}",
            "target": TARGET,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--people", type=int, nargs="*", default=[2000, 6000])
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(
        "| people | records | median s (min-max) | candidate pairs >= 0.001 | precision | recall "
        "| people found / seen | EM iterations |"
    )
    print("|---:|---:|---|---:|---:|---:|---|---|")
    for people in args.people:
        row = measure(people, args.repeats)
        print(
            f"| {people:,} | {row['records']:,} | {row['seconds']:.2f} ({row['min']:.2f}-{row['max']:.2f}) | "
            f"{row['pairs']:,} | {row['precision']:.3f} | {row['recall']:.3f} | "
            f"{row['people_found']:,} / {row['people_seen']:,} | {row['em_iterations']} |"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
