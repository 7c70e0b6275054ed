"""How often the heterogeneity check of the log-linear estimators fires, on the grid study's scenarios.

    python benchmarks/study_heterogeneity_check.py                 # 200 replicates per cell, local cores
    python benchmarks/study_heterogeneity_check.py --replicates 1000 --dask tcp://host:8786

The scenarios are those of ``study_grid.py`` (four lists, N = 2000). In the
homogeneous cells (``none/...``) the selected model can be right, and the
rate at which the check fires is its false-alarm rate (nominal 5 %); in the
others it is its power. The check runs on the model each method selects, as
in ``mse.estimate``. Also reports the check on the bundled data sets with
three lists or more. Writes a section of benchmarks/README.md.
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
from _common import add_executor_arguments, machine, make_executor, markdown, write_section
from study_grid import grid

import mse
from mse.benchmark import run
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.heterogeneity import heterogeneity_check
from mse.results import Estimate

METHODS = ["stepwise", "bic", "auto"]


def _checked(method: str, data: mse.CaptureData, level: float, random_seed: int | None) -> Estimate:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mse.estimate(data, method=method, interval="none", level=level, random_seed=random_seed)
    check = result.details.get("heterogeneity", {})
    # The runner keeps one text column per fit: the check's p-value travels in it, before the model.
    return result.with_updates(model=f"p={check.get('p_value', float('nan')):.6g}; {result.model}")


def stepwise_checked(data, *, level, interval, random_seed, **options):
    """``mse.estimate(method="stepwise")`` with the check's p-value in ``model``."""
    return _checked("stepwise", data, level, random_seed)


def bic_checked(data, *, level, interval, random_seed, **options):
    """``mse.estimate(method="bic")`` with the check's p-value in ``model``."""
    return _checked("bic", data, level, random_seed)


def auto_checked(data, *, level, interval, random_seed, **options):
    """``mse.estimate(method="auto")`` (stepwise up to three-way terms) with the check's p-value in ``model``."""
    return _checked("auto", data, level, random_seed)


ESTIMATORS = {"stepwise": stepwise_checked, "bic": bic_checked, "auto": auto_checked}


def firing_rates(results: pd.DataFrame, order: list[str], alpha: float = 0.05) -> pd.DataFrame:
    """Share of replicates in which the check fires, per scenario and method (untestable fits count as silent)."""
    frame = results.copy()
    frame["p_value"] = frame["model"].str.extract(r"^p=([^;]*);")[0].astype(float)
    frame["fired"] = frame["p_value"] < alpha
    frame["untestable"] = frame["p_value"].isna()
    rates = frame.groupby(["scenario", "method"])[["fired", "untestable"]].mean().reset_index()
    wide = rates.pivot(index="scenario", columns="method", values=["fired", "untestable"])
    out = pd.DataFrame(index=order)
    for method in METHODS:
        if ("fired", method) in wide.columns:
            out[f"{method} fires"] = wide[("fired", method)]
            out[f"{method} untestable"] = wide[("untestable", method)]
    out.index.name = "scenario"
    return out.reset_index()


def real_data() -> pd.DataFrame:
    """The check on every bundled data set with three lists or more (covariates summed out)."""
    rows = []
    for name in mse.list_datasets()["name"]:
        data = mse.load_dataset(name)
        if data.n_lists < 3:
            continue
        for method in METHODS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = mse.estimate(data, method=method, interval="none", covariates=[])
            check = result.details.get("heterogeneity")
            if check is None:
                continue
            rows.append(
                {
                    "data": name,
                    "lists": data.n_lists,
                    "observed": data.n_observed,
                    "method": method,
                    "model": result.model,
                    "estimate": result.estimate,
                    "term": check["term"],
                    "z": check["statistic"],
                    "p": check["p_value"],
                    "verdict": check["verdict"],
                }
            )
    return pd.DataFrame(rows)


def cost(repeats: int = 2000) -> float:
    """Milliseconds per check on kosovo's stepwise model."""
    data = mse.load_dataset("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_model(data, mse.estimate(data, method="stepwise", interval="none").model)
    heterogeneity_check(fit)
    started = time.perf_counter()
    for _ in range(repeats):
        heterogeneity_check(fit)
    return (time.perf_counter() - started) / repeats * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--methods", nargs="*", default=["stepwise", "bic"], choices=METHODS)
    parser.add_argument("--output-name", default="heterogeneity_check.csv")
    parser.add_argument("--include", nargs="*", default=[], help="per-replicate CSVs of earlier runs to count too")
    add_executor_arguments(parser)
    args = parser.parse_args()
    scenarios = grid()
    result = run(
        scenarios,
        {m: ESTIMATORS[m] for m in args.methods},
        args.replicates,
        args.seed,
        executor=make_executor(args),
        n_workers=args.workers,
        output=Path(args.output_dir) / args.output_name,
    )
    earlier = [pd.read_csv(Path(args.output_dir) / name) for name in args.include]
    rates = firing_rates(pd.concat([*earlier, result.results], ignore_index=True), list(scenarios))
    real = real_data()
    ms = cost()
    rates_table = markdown(rates, ".3f")
    real_table = markdown(real, ".3g")
    print(rates_table, real_table, f"{ms:.3f} ms per check", sep="\n\n")
    if args.no_readme:
        return
    n_fits = len(result.results)
    body = (
        f"`python benchmarks/study_heterogeneity_check.py` ({args.replicates} replicates per cell, the scenarios of "
        f"the grid study above, seed {args.seed}; {n_fits:,} fits). Share of replicates in which the heterogeneity "
        "check of the log-linear estimators fires (one-sided score test of a Rasch-type term at the 5 % level, on "
        "the model each method selects; `mse.loglinear.heterogeneity`), and share in which the selected model "
        "left nothing to test. In the `none/...` cells the rate is the false-alarm rate; elsewhere it is the "
        "power. The check sees what the selected model leaves in the observed table. In the `lc_strong` and "
        "`beta_c2` cells BIC mostly selects every pairwise term (every pair but A:B in the AB-1 cells, where the "
        "negative dependence offsets the heterogeneity), and with four lists the pairs already hold "
        "Darroch's quadratic term (`C(k,2)` is the sum of the pair columns): the model reproduces the observed "
        "pattern while its estimate is still 26-45 % too low (grid study), and the check is left with the cubic "
        "term `C(k,3)` (people on three or four lists), which says less.\n\n"
        + rates_table
        + '\n\nOn the bundled data sets with three lists or more (covariates summed out; `interval="none"`):\n\n'
        + real_table
        + f"\n\nCost of one check (kosovo, stepwise model): {ms:.3f} ms. Measured on {machine()}, "
        f"{datetime.date.today().isoformat()}. Per-replicate rows: "
        + ", ".join(f"`{name}`" for name in [*args.include, args.output_name])
        + " (the check's p-value is stored before the model in the `model` column). `auto` is the default rule "
        "(stepwise up to three-way terms), run as `--methods auto --output-name heterogeneity_check_auto.csv "
        "--include heterogeneity_check.csv`."
    )
    write_section("heterogeneity_check", "The heterogeneity check: false alarms and power", body)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
