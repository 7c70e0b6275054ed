"""Every estimator over a grid of capture heterogeneity and list dependence.

    python benchmarks/study_grid.py                       # 200 replicates per cell, local cores
    python benchmarks/study_grid.py --replicates 1000 --dask tcp://host:8786

Four lists with capture probabilities 0.15, 0.2, 0.25, 0.2 and N = 2000.
Heterogeneity: none; two latent classes (mild: odds x0.5 / x2 in equal shares,
strong: x0.2 for 70 % and x5 for 30 %); a logit-normal (Rasch) person effect
with sd 1; beta with concentration 2. Dependence: none; A and B positively
dependent (log odds ratio +1); A and B negatively dependent (-1). Writes
relative bias and coverage of 95 % intervals per method into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pandas as pd
from _common import (
    STUDY_METHODS,
    add_executor_arguments,
    available,
    machine,
    make_executor,
    markdown,
    write_section,
)

from mse.benchmark import run
from mse.benchmark.metrics import summarise
from mse.simulate import Scenario

HETEROGENEITY = {
    "none": None,
    "lc_mild": {"kind": "latent_class", "weights": [0.5, 0.5], "multipliers": [0.5, 2.0]},
    "lc_strong": {"kind": "latent_class", "weights": [0.7, 0.3], "multipliers": [0.2, 5.0]},
    "rasch_sd1": {"kind": "logit_normal", "sd": 1.0},
    "beta_c2": {"kind": "beta", "concentration": 2.0},
}
DEPENDENCE = {"indep": {}, "AB+1": {("A", "B"): 1.0}, "AB-1": {("A", "B"): -1.0}}


def grid(population_size: int = 2000) -> dict[str, Scenario]:
    """The scenarios of the grid, labelled ``<heterogeneity>/<dependence>``."""
    return {
        f"{h}/{d}": Scenario(
            population_size,
            [0.15, 0.2, 0.25, 0.2],
            heterogeneity=het,
            interactions=dep,
            name=f"{h}/{d}",
        )
        for h, het in HETEROGENEITY.items()
        for d, dep in DEPENDENCE.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--methods", nargs="*", default=STUDY_METHODS)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--population-size", type=int, default=2000)
    parser.add_argument("--output-name", default="grid.csv", help="per-replicate rows of this run (in --output-dir)")
    parser.add_argument(
        "--include", nargs="*", default=[], help="per-replicate CSVs of earlier runs (in --output-dir) to summarise too"
    )
    add_executor_arguments(parser)
    args = parser.parse_args()
    methods, missing = available(args.methods)
    if missing:
        print(f"skipping methods not installed: {missing}")
    if not methods:
        sys.exit("none of the requested methods is installed; nothing to run.")
    output = Path(args.output_dir) / args.output_name
    result = run(
        grid(args.population_size),
        methods,
        args.replicates,
        args.seed,
        executor=make_executor(args),
        n_workers=args.workers,
        output=output,
    )
    earlier = [pd.read_csv(Path(args.output_dir) / name) for name in args.include]
    summary = summarise(pd.concat([*earlier, result.results], ignore_index=True))
    methods = list(dict.fromkeys([*(m for frame in earlier for m in frame["method"].unique()), *methods]))
    tables = []
    for metric, fmt in [("relative_bias", "+.3f"), ("coverage", ".3f"), ("failure_rate", ".3f")]:
        wide = summary.pivot(index="scenario", columns="method", values=metric).reindex(
            index=list(grid(args.population_size)), columns=methods
        )
        tables.append(f"**{metric}**\n\n" + markdown(wide.reset_index(), fmt))
    print("\n\n".join(tables))
    if args.no_readme:
        return
    body = (
        f"`python benchmarks/study_grid.py` ({args.replicates} replicates per scenario, N = "
        f"{args.population_size:,}, four lists, seed {args.seed}; methods not installed: {missing or 'none'}). "
        "Rows: heterogeneity/dependence (see the script's docstring). Coverage is of nominal 95 % intervals, over "
        "replicates with finite limits.\n\n"
        + "\n\n".join(tables)
        + f"\n\nMeasured on {machine()}, {datetime.date.today().isoformat()}. Per-replicate rows: "
        + ", ".join(f"`{name}`" for name in [output.name, *args.include])
        + "."
    )
    write_section("grid", "Estimators over heterogeneity and list dependence", body)


if __name__ == "__main__":
    main()
