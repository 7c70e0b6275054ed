"""Speed and accuracy of mse.linkage.link on DuckDB: about 1,500 records of three lists.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_linkage_speed.py             # 1,000 and 3,000 people, 5 runs each
    PYTHONPATH=src python benchmarks/bench_linkage_speed.py --repeats 3

A simulation study calls ``link`` once per replicate (about 100 replicates),
so one call on about 1,500 records should take a few seconds. The records are
synthetic people, each on each of three lists with probability 0.5, with
typing errors in names (3 %), day-month swaps (3 %) and missing fields (2 %),
pseudonymised as the linkage contract says (``tests/linkage/linkage_people.py``).
Each row gives the median wall-clock time of ``repeats`` calls after one
warm-up call (which imports Splink and DuckDB), and the precision and recall
of the links at probability 0.5 against the true people.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

TARGET = "about 1,500 records of 3 lists: a few seconds per call on DuckDB"
_PEOPLE = Path(__file__).resolve().parents[1] / "tests" / "linkage"


def _frames(people: int, seed: int):
    if str(_PEOPLE) not in sys.path:
        sys.path.insert(0, str(_PEOPLE))
    from linkage_people import token_frames

    return token_frames(people, seed=seed)


def measure(people: int, repeats: int, seed: int = 1) -> dict[str, object]:
    """Median seconds of ``link`` on the records of ``people`` synthetic people, and the links' quality."""
    frames, truth = _frames(people, seed)
    from linkage_people import link_quality

    from mse.linkage import link

    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        link(frames, random_seed=seed)  # warm-up: imports Splink and DuckDB
        for _ in range(repeats):
            start = time.perf_counter()
            result = link(frames, random_seed=seed)
            times.append(time.perf_counter() - start)
    precision, recall = link_quality(result.pairs, truth)
    return {
        "records": result.n_records,
        "seconds": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "pairs": len(result.pairs),
        "precision": precision,
        "recall": recall,
        "em_iterations": result.metadata["em_iterations"],
    }


def quick() -> list[dict[str, object]]:
    """One call on about 1,500 records (1,000 people, three lists)."""
    row = measure(1000, repeats=1)
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
    parser.add_argument("--people", type=int, nargs="*", default=[1000, 3000])
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print("| people | records | median s (min-max) | candidate pairs >= 0.001 | precision | recall | EM iterations |")
    print("|---:|---:|---|---:|---:|---:|---|")
    for people in args.people:
        row = measure(people, args.repeats)
        print(
            f"| {people:,} | {row['records']:,} | {row['seconds']:.2f} ({row['min']:.2f}-{row['max']:.2f}) | "
            f"{row['pairs']:,} | {row['precision']:.3f} | {row['recall']:.3f} | {row['em_iterations']} |"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
