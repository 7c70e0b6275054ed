"""Seconds per fit of every method as the population size and the number of lists grow.

    python benchmarks/study_speed.py
    python benchmarks/study_speed.py --sizes 1000 100000 --lists 3 5 7 --methods bic Mt

Each (N, t) scenario (capture probability 0.2 on every list, two latent
classes) is drawn ``--replicates`` times and every method is fitted in this
process, one fit at a time, so the times are not shared between workers.
Writes the median seconds per fit into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import STUDY_METHODS, available, machine, markdown, write_section

from mse.benchmark import SerialExecutor, run
from mse.simulate import Scenario


def scenarios(sizes: list[int], lists: list[int]) -> dict[str, Scenario]:
    het = {"kind": "latent_class", "weights": [0.7, 0.3], "multipliers": [0.5, 2.5]}
    return {f"N={n} t={t}": Scenario(n, [0.2] * t, heterogeneity=het) for n in sizes for t in lists}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--lists", type=int, nargs="*", default=[3, 4, 5, 6])
    parser.add_argument("--methods", nargs="*", default=STUDY_METHODS)
    parser.add_argument("--replicates", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    methods, missing = available(args.methods)
    if missing:
        print(f"skipping methods not installed: {missing}")
    if not methods:
        sys.exit("none of the requested methods is installed; nothing to run.")
    grid = scenarios(args.sizes, args.lists)
    result = run(grid, methods, args.replicates, args.seed, executor=SerialExecutor())
    rows = result.results
    times = rows.groupby(["scenario", "method"], sort=False)["seconds"].median().unstack("method")
    failures = rows.assign(failed=rows["status"] != "ok").groupby(["scenario", "method"], sort=False)["failed"].mean()
    table = times.reindex(index=list(grid), columns=methods)
    table.index.name = "scenario"
    print(markdown(table.reset_index(), ".3g"))
    if args.no_readme:
        return
    failed = failures[failures > 0]
    note = (
        "Share of failed fits: " + ", ".join(f"{s} {m}: {v:.0%}" for (s, m), v in failed.items())
        if len(failed)
        else "Every fit succeeded."
    )
    body = (
        f"`python benchmarks/study_speed.py`: median seconds per fit over {args.replicates} data sets, one fit "
        f"at a time in one process; methods not installed: {missing or 'none'}.\n\n"
        + markdown(table.reset_index(), ".3g")
        + f"\n\n{note} Measured on {machine()}, {datetime.date.today().isoformat()}, on a machine shared with "
        "other work."
    )
    write_section("speed", "Speed of every method as N and the number of lists grow", body)


if __name__ == "__main__":
    main()
