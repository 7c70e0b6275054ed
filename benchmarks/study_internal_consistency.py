"""Binette & Steorts' known-truth check for every method on the published tables.

    python benchmarks/study_internal_consistency.py
    python benchmarks/study_internal_consistency.py --methods independence stepwise dga

Each list of each data set in turn is a population of known size; the other
lists, restricted to its members, estimate it (``mse.internal_consistency``).
The summary reports, per method, over all (data set, list) cases with at
least ``--min-observed`` members seen: the median absolute log relative
error, the mean log relative bias, how often the nominal 95 % interval held
the truth, and how often no estimate was returned.

Reference: Binette, O. and Steorts, R. C. (2022). On the reliability of
multiple systems estimation for the quantification of modern slavery. JRSS A
185(2), 640-676.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
import pandas as pd
from _common import available, machine, markdown, write_section

import mse

DATASETS = ["uk2013_5", "netherlands_5", "kosovo", "western_us", "new_orleans_5", "australia"]
METHODS = ["independence", "stepwise", "bic", "Mth_chao", "sample_coverage", "dga", "lcmcr"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    parser.add_argument("--methods", nargs="*", default=METHODS)
    parser.add_argument("--min-observed", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--output", default=str(Path(__file__).with_name("results") / "internal_consistency.csv"))
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--from-csv", help="summarise per-case rows written by an earlier run instead of refitting")
    args = parser.parse_args()

    if args.from_csv:
        cases = pd.read_csv(args.from_csv)
        cases["covered"] = cases["covered"].map({True: True, False: False, "True": True, "False": False})
    else:
        cases = run_cases(args)
    summarise(cases, args)


def run_cases(args: argparse.Namespace) -> pd.DataFrame:
    methods, missing = available(args.methods)
    if missing:
        print(f"skipping methods not in this version: {missing}")
    rows = []
    for name in args.datasets:
        data = mse.load_dataset(name)
        for method in methods:
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = mse.internal_consistency(
                    data, method=method, min_observed=args.min_observed, random_seed=args.seed
                )
            table.insert(0, "method", method)
            table.insert(0, "dataset", name)
            table["seconds"] = (time.perf_counter() - started) / len(table)
            rows.append(table)
            print(f"{name:>14} {method:>16}: {time.perf_counter() - started:6.1f} s", flush=True)
    cases = pd.concat(rows, ignore_index=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    cases.to_csv(args.output, index=False)
    return cases


def summarise(cases: pd.DataFrame, args: argparse.Namespace) -> None:
    eligible = cases[~cases["status"].str.startswith("only ")]
    summary = (
        eligible.assign(
            ok=eligible["status"] == "ok",
            abs_log=np.abs(eligible["log_relative_bias"]),
            covered=eligible["covered"].map(lambda v: float(v) if isinstance(v, bool) else np.nan),
        )
        .groupby("method", sort=False)
        .agg(
            cases=("ok", "size"),
            failure_rate=("ok", lambda ok: 1.0 - ok.mean()),
            median_abs_log_error=("abs_log", "median"),
            mean_log_relative_bias=("log_relative_bias", "mean"),
            coverage=("covered", "mean"),
            seconds_per_case=("seconds", "mean"),
        )
        .reset_index()
    )
    table = markdown(summary)
    print(table)
    if args.no_readme:
        return
    body = (
        f"`python benchmarks/study_internal_consistency.py`: every list of {', '.join(args.datasets)} as a "
        f"population of known size, estimated from the other lists (cases with at least {args.min_observed} "
        "members seen). `median_abs_log_error`: median of |log(estimate / truth)|; `coverage`: share of 95 % "
        "intervals holding the truth; `failure_rate`: share of cases with no estimate.\n\n"
        + table
        + f"\n\nMeasured on {machine()}, {datetime.date.today().isoformat()}. Per-case rows: "
        f"`{Path(args.output).name}`."
    )
    write_section(
        "internal_consistency", "Binette & Steorts (2022): each list as a population of known size", body
    )


if __name__ == "__main__":
    main()
