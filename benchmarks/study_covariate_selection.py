"""Coverage of the total and of every level when the covariate model is chosen by BIC, then AIC.

    python benchmarks/study_covariate_selection.py                     # 120 data sets x 150 replicates, 2 workers
    python benchmarks/study_covariate_selection.py --datasets 20 --n-boot 50 --no-readme   # a quick look

Each data set is drawn by ``generate_covariate_population`` from a population
in which the effect of list A differs between the two levels of ``group`` (an
``A:group`` term) and lists B and C are positively dependent (``B:C``), with
effects small enough that the BIC-then-AIC search does not always find them.
On every data set the Dutch recipe (``method="bic_aic"``) is run and two 95 %
intervals are computed from the same search:

* ``fixed``: the parametric bootstrap of the chosen model (the default);
* ``selection``: the bootstrap that resamples the people and repeats the
  search in every replicate (``interval="bca"``): BCa limits for the total
  and for each level (from the level's own jackknife), and the percentile
  limits of the same replicates (``selection_percentile``).

Coverage is of the realised population (the total and each level of
``group``). Writes the per-data-set CSV to benchmarks/results/ and a section of
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pandas as pd
from _common import machine, markdown, write_section

import mse
from mse.data.synthetic import generate_covariate_population

RESULTS = Path(__file__).with_name("results")
LEVELS = ("a", "b")


def population(seed: int) -> mse.data.synthetic.SyntheticPopulation:
    """About 900-1,000 people in each level, 56-58 % of them seen; list A catches level b more often."""
    return generate_covariate_population(
        ["A", "B", "C"],
        {"group": list(LEVELS)},
        lambda cell: 6.0,
        lambda cell: [-1.2 if cell["group"] == "a" else -0.95, -1.1, -1.3],
        list_interactions={("B", "C"): 0.3},
        random_seed=seed,
    )


def one_data_set(seed: int, n_boot: int) -> list[dict[str, object]]:
    pop = population(seed)
    truth = pop.truth.set_index("group")["N"]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = {
            "fixed": mse.estimate(pop.data, method="bic_aic", n_boot=n_boot, random_seed=seed, progress=False),
            "selection": mse.estimate(
                pop.data, method="bic_aic", interval="bca", n_boot=n_boot, random_seed=seed, progress=False
            ),
        }
    for interval, res in results.items():
        breakdown = res.breakdown("group").set_index("group")
        total_limits = {"": (res.lower, res.upper)}
        if interval == "selection":
            total_limits["percentile"] = res.details["percentile_limits"]
        for kind, (lower, upper) in total_limits.items():
            rows.append(
                {
                    "seed": seed,
                    "interval": interval + ("_" + kind if kind else ""),
                    "target": "total",
                    "truth": int(truth.sum()),
                    "estimate": res.estimate,
                    "lower": lower,
                    "upper": upper,
                    "model": res.model,
                    "n_failed": res.details.get("n_failed", 0),
                    "n_models": len(res.details.get("model_frequencies", {})) or 1,
                }
            )
        level_limits = {"": breakdown}
        if interval == "selection":
            # BCa limits of each level from its own jackknife, and the percentile limits (the default)
            level_limits = {"": res.breakdown("group", limits="bca").set_index("group"), "percentile": breakdown}
        for kind, table in level_limits.items():
            for level in LEVELS:
                rows.append(
                    {
                        "seed": seed,
                        "interval": interval + ("_" + kind if kind else ""),
                        "target": f"group={level}",
                        "truth": int(truth[level]),
                        "estimate": table.loc[level, "estimate"],
                        "lower": table.loc[level, "lower"],
                        "upper": table.loc[level, "upper"],
                        "model": res.model,
                        "n_failed": res.details.get("n_failed", 0),
                        "n_models": len(res.details.get("model_frequencies", {})) or 1,
                    }
                )
    return rows


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(
        covered=(frame["lower"] <= frame["truth"]) & (frame["truth"] <= frame["upper"]),
        width=frame["upper"] - frame["lower"],
        error=frame["estimate"] / frame["truth"] - 1.0,
    )
    table = (
        frame.groupby(["target", "interval"], sort=True)
        .agg(
            data_sets=("seed", "size"),
            coverage=("covered", "mean"),
            median_width=("width", "median"),
            mean_relative_error=("error", "mean"),
        )
        .reset_index()
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=120)
    parser.add_argument("--n-boot", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()

    started = time.time()
    seeds = list(range(1, args.datasets + 1))
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        chunks = list(pool.map(one_data_set, seeds, [args.n_boot] * len(seeds)))
    frame = pd.DataFrame([row for chunk in chunks for row in chunk])
    elapsed = time.time() - started
    RESULTS.mkdir(exist_ok=True)
    frame.to_csv(RESULTS / "covariate_selection.csv", index=False)
    table = summarise(frame)
    selected = frame[(frame["interval"] == "fixed") & (frame["target"] == "total")]["model"]
    models = selected.value_counts().rename_axis("selected model").reset_index(name="data sets")
    load = os.getloadavg()
    when = datetime.date.today().isoformat()
    print(markdown(table))
    print(markdown(models))
    print(f"{elapsed:.0f} s; load average {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    if args.no_readme:
        return
    body = f"""`PYTHONPATH=src python benchmarks/study_covariate_selection.py` ({args.datasets} data sets,
{args.n_boot} replicates per interval; per-data-set limits in `benchmarks/results/covariate_selection.csv`).
{machine()}, {when}, {args.workers} workers, {elapsed / 60:.0f} minutes, load average {load[1]:.1f} over the
last 5 minutes.

Three lists and one covariate `group` (levels a and b, about 900-1,000 people in each, 56-58 % seen).
List A's effect differs by level (0.25 on the log scale: an `A:group` term) and lists B and C are
dependent (`B:C`, 0.3), so the BIC-then-AIC search (`method="bic_aic"`) finds one, both or neither.
`fixed` is the parametric bootstrap of the chosen model (the default interval); `selection` is
`interval="bca"`, which resamples the people and repeats the search in every replicate (BCa limits
of the total and of each level, the levels from their own jackknife with `breakdown(limits="bca")`;
`selection_percentile`: the percentile limits of the same replicates).
Coverage of the realised total and levels, nominal 95 %.

{markdown(table)}

Models selected on the original data sets:

{markdown(models)}
"""
    write_section("covariate-selection", "Intervals that account for the BIC-then-AIC search (covariates)", body)


if __name__ == "__main__":
    main()
