"""Timings of pseudonymisation at source and of the simulated agency records.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_pseudonymise.py                 # 10,000 / 100,000 / 1,000,000 records
    PYTHONPATH=src python benchmarks/bench_pseudonymise.py --sizes 100000 --repeats 5

For each size, one agency's records of that many people (with typing errors,
missing fields, swapped dates and particle variants, from
:func:`mse.linkage.simulate_records`) are pseudonymised with all five fields;
the caches of normalised values and phonetic codes are emptied before each
call, so every call does the whole work. Median wall-clock and CPU seconds of
``repeats`` calls are shown, with the number of distinct values that had to be
normalised and hashed, and the time to simulate the records.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

TARGET = "100,000 records in seconds, not minutes"
ERRORS = {"typo": 0.05, "missing": 0.02, "swap": 0.02, "particle": 0.1}


def _records(size: int) -> Any:
    from mse.linkage import RecordErrors, simulate_records

    started = time.perf_counter()
    # Everybody on the first list, so the frame has exactly ``size`` records.
    sim = simulate_records(size, {"agency": 1.0, "other": 0.01}, errors=RecordErrors(**ERRORS), random_seed=1)
    return sim, time.perf_counter() - started


def _clear_caches() -> None:
    from mse.linkage import normalise, phonetic

    for function in (
        normalise._first_name,
        normalise._last_name,
        normalise._date_from_text,
        normalise._nationality,
        phonetic.phonetic_code,
    ):
        function.cache_clear()


def measure(size: int, repeats: int) -> dict[str, Any]:
    """Median wall and CPU seconds of pseudonymising ``size`` records, with the simulation time."""
    from mse.linkage import pseudonymise

    sim, simulated = _records(size)
    frame = sim.frames["agency"]
    key = os.urandom(32)
    wall, cpu = [], []
    for _ in range(repeats):
        _clear_caches()
        started, started_cpu = time.perf_counter(), time.process_time()
        tokens = pseudonymise(frame, key=key, fields=sim.fields, list_name="agency", keep=list(sim.covariates))
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    distinct = sum(int(frame[column].nunique()) for column in sim.fields.values())
    return {
        "records": len(tokens),
        "distinct": distinct,
        "wall": statistics.median(wall),
        "cpu": statistics.median(cpu),
        "simulate": simulated,
    }


def quick() -> list[dict]:
    """20,000 records, the median of three calls."""
    row = measure(20_000, 3)
    return [
        {
            "benchmark": "pseudonymise, five fields",
            "size": f"{row['records']:,} records",
            "seconds": row["wall"],
            "result": f"{row['records'] / row['wall']:,.0f} records/s; simulate {row['simulate']:.2f} s",
            "target": TARGET,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    print("| records | distinct values | pseudonymise: wall / CPU (median) | records per s | simulate |")
    print("|---:|---:|---|---:|---:|")
    for size in args.sizes:
        row = measure(size, args.repeats)
        print(
            f"| {row['records']:,} | {row['distinct']:,} | {row['wall']:.2f} s / {row['cpu']:.2f} s | "
            f"{row['records'] / row['wall']:,.0f} | {row['simulate']:.2f} s |"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
