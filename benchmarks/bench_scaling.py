"""Time and peak memory as the number of lists, a covariate's levels and the population grow.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_scaling.py            # all three curves, README and plot
    PYTHONPATH=src python benchmarks/bench_scaling.py --parts lists --no-readme

Every point runs in a fresh Python process, so that its peak memory is its
own: the process imports the library, draws the data (not timed), notes its
resident set, then runs one operation and reports the wall time and how far
the peak resident set rose above that mark (``ru_maxrss``; a few MiB is the
resolution of the measure, not a cost).

* ``lists``: ``t`` = 2-15 independent lists, ``N`` = 20,000, capture probability
  0.25 on each. Building the data from one row per person, the independence
  model with its profile interval, Chan et al.'s stepwise search (pairs) with a
  profile interval, the default (``method="auto"``, stepwise with a BCa
  bootstrap of 1,000 replicates; it refuses more than 12 lists), the
  Mh model of Chao, and dga (up to 7 lists: 617,675 decomposable graphs; the
  enumeration is cached on disk, and the first process that needs it pays for
  it, so the timed call follows one untimed call).
* ``levels``: three lists and one covariate with ``L`` = 2-1,000 equally likely
  levels, ``N`` = 100 per level. Building the table, the independence model
  (covariate main effect, Wald interval) and the BIC-then-AIC search with a
  parametric bootstrap (``bic_aic``). Models with covariates are refused above
  200 covariate cells (``MAX_COVARIATE_CELLS``); beyond it the curve is
  measured on the fitting function itself, to show why.
* ``people``: five lists, ``N`` = 1,000-1,000,000. Building the data from one row
  per person grows with ``N``; the default estimate works on the aggregated
  table and does not.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

LISTS = list(range(2, 16))
LEVELS = [2, 5, 10, 20, 50, 100, 200, 500, 1000]
PEOPLE = [1_000, 10_000, 100_000, 1_000_000]
LIST_OPERATIONS = ["records", "independence", "stepwise", "auto", "Mh_chao", "dga"]
LEVEL_OPERATIONS = ["table", "independence", "bic_aic"]
PEOPLE_OPERATIONS = ["records", "auto"]
PLOT = Path(__file__).with_name("scaling.png")


# --- one point, in its own process ---------------------------------------------------------


def _records(data: Any) -> Any:
    """One row per person (what an agency's extract looks like) from an aggregated table."""
    import numpy as np

    frame = data.to_frame() if hasattr(data, "to_frame") else data.frame
    counts = frame["count"].to_numpy()
    return frame.drop(columns="count").loc[np.repeat(frame.index.to_numpy(), counts)].reset_index(drop=True)


def _list_data(t: int, n: int, seed: int = 1) -> Any:
    from mse.simulate import Scenario, generate

    data, _ = generate(Scenario(n, [0.25] * t), random_seed=seed)
    return data


def _level_data(levels: int, seed: int = 1) -> Any:
    from mse.simulate import Scenario, generate

    names = [f"l{k:04d}" for k in range(levels)]
    covariate = {"x": {"levels": names, "probabilities": [1 / levels] * levels, "odds_ratios": [1.0] * levels}}
    data, _ = generate(Scenario(100 * levels, [0.3, 0.35, 0.4], covariates=covariate), random_seed=seed)
    return data


def _operation(part: str, size: int, operation: str) -> tuple[Any, Any]:
    """The data (built untimed) and a function that runs the operation once."""
    import mse

    if part == "levels":
        data = _level_data(size)
        if operation == "table":
            from mse.loglinear.model.table import build_table

            return data, lambda: build_table(data)
        method, interval = ("independence", "wald") if operation == "independence" else ("bic_aic", None)
        if size > _max_cells():
            # Past the refusal: the fit itself, to measure what the limit protects against.
            from mse.loglinear.covariates.model_fit import fit_covariate_model
            from mse.loglinear.model import Design, build_table

            if operation != "independence":
                return data, None
            table = build_table(data)
            return data, lambda: fit_covariate_model(table, Design(table), frozenset())
        return data, lambda: mse.estimate(data, method=method, interval=interval, random_seed=1)

    data = _list_data(size, 20_000) if part == "lists" else _list_data(5, size)
    if operation == "records":
        records = _records(data)
        return data, lambda: mse.CaptureData.from_records(records, lists=list(data.lists))
    if operation == "stepwise":
        return data, lambda: mse.estimate(data, method="stepwise", interval="profile")
    if operation == "independence":
        return data, lambda: mse.estimate(data, method="independence", interval="profile")
    if operation == "dga":
        mse.estimate(data, method="dga", random_seed=1)  # enumerates (or loads) the graphs
        return data, lambda: mse.estimate(data, method="dga", random_seed=1)
    return data, lambda: mse.estimate(data, method=operation, random_seed=1)


def _max_cells() -> int:
    from mse.loglinear.covariates.estimators import MAX_COVARIATE_CELLS

    return MAX_COVARIATE_CELLS


def _measure_point(part: str, size: int, operation: str) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    _, run = _operation(part, size, operation)
    if run is None:
        return {"seconds": None, "peak_mib": None, "note": "refused above the cell limit"}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    note = ""
    try:
        result = run()
        status = getattr(result, "status", "ok")
        if status != "ok":
            note = str(status).split(":")[0][:40]
    except Exception as error:  # a refusal is a point of the curve, not a crash of the benchmark
        note = f"{type(error).__name__}"
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mib": max(peak - before, 0) / 1024, "note": note}


def measure(part: str, size: int, operation: str, timeout: float = 600.0) -> dict[str, Any]:
    """Run one point in a fresh process and return its time and peak memory."""
    command = [sys.executable, __file__, "--point", json.dumps([part, size, operation])]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"part": part, "size": size, "operation": operation, "seconds": None, "peak_mib": None,
                "note": f"over {timeout:.0f} s"}  # fmt: skip
    if done.returncode != 0:
        return {"part": part, "size": size, "operation": operation, "seconds": None, "peak_mib": None,
                "note": done.stderr.strip().splitlines()[-1][:60]}  # fmt: skip
    return {"part": part, "size": size, "operation": operation, **json.loads(done.stdout.strip().splitlines()[-1])}


# --- the curves ----------------------------------------------------------------------------


def _applies(part: str, size: int, operation: str) -> bool:
    if part == "lists":
        if operation == "dga":
            return size <= 7
        if operation in ("stepwise", "auto"):
            return size >= 3 if operation == "stepwise" else size <= 12
    return True


def run_curves(parts: list[str], lists: list[int], levels: list[int], people: list[int]) -> list[dict[str, Any]]:
    plan = {
        "lists": (lists, LIST_OPERATIONS),
        "levels": (levels, LEVEL_OPERATIONS),
        "people": (people, PEOPLE_OPERATIONS),
    }
    rows = []
    for part in parts:
        sizes, operations = plan[part]
        for size in sizes:
            for operation in operations:
                if _applies(part, size, operation):
                    row = measure(part, size, operation)
                    rows.append(row)
                    print(_describe(row), flush=True)
    return rows


def _describe(row: dict[str, Any]) -> str:
    seconds = "—" if row["seconds"] is None else f"{row['seconds']:.3f} s"
    memory = "" if row["peak_mib"] is None else f", +{row['peak_mib']:.0f} MiB"
    return f"{row['part']:<7} {row['size']:>9,} {row['operation']:<13} {seconds}{memory} {row['note']}"


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    if row["seconds"] is None:
        return row["note"]
    text = f"{row['seconds']:.2f} s / {row['peak_mib']:.0f} MiB"
    return f"{text} ({row['note']})" if row["note"] else text


def tables(rows: list[dict[str, Any]]) -> str:
    """One Markdown table per curve: a row per size, 'seconds / MiB' per operation."""
    out = []
    for part, operations, label in (
        ("lists", LIST_OPERATIONS, "lists"),
        ("levels", LEVEL_OPERATIONS, "levels"),
        ("people", PEOPLE_OPERATIONS, "people (N)"),
    ):
        mine = [r for r in rows if r["part"] == part]
        if not mine:
            continue
        sizes = sorted({r["size"] for r in mine})
        lines = [f"| {label} | " + " | ".join(operations) + " |", "|---" * (len(operations) + 1) + "|"]
        for size in sizes:
            found = {r["operation"]: r for r in mine if r["size"] == size}
            lines.append(f"| {size:,} | " + " | ".join(_cell(found.get(op)) for op in operations) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out)


def plot(rows: list[dict[str, Any]], path: Path = PLOT) -> Path:
    """Time and peak memory against size, one panel per curve and measure, on log scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = [p for p in ("lists", "levels", "people") if any(r["part"] == p for r in rows)]
    fig, axes = plt.subplots(2, len(parts), figsize=(4.2 * len(parts), 6.4), squeeze=False)
    for column, part in enumerate(parts):
        mine = [r for r in rows if r["part"] == part and r["seconds"] is not None]
        for operation in sorted({r["operation"] for r in mine}):
            points = sorted((r["size"], r["seconds"], r["peak_mib"]) for r in mine if r["operation"] == operation)
            sizes = [p[0] for p in points]
            axes[0, column].plot(sizes, [p[1] for p in points], marker="o", ms=3, label=operation)
            axes[1, column].plot(sizes, [max(p[2], 0.5) for p in points], marker="o", ms=3, label=operation)
        xlabel = {"lists": "number of lists", "levels": "levels of the covariate", "people": "people (N)"}[part]
        for row, ylabel in ((0, "seconds"), (1, "peak memory above start (MiB)")):
            ax = axes[row, column]
            ax.set_yscale("log")
            if part != "lists":
                ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which="major", alpha=0.3)
        axes[0, column].legend(fontsize=7, loc="upper left")
    fig.suptitle("mse: time and peak memory of one call, each in a fresh process (one BLAS thread)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def quick() -> list[dict[str, Any]]:
    """A small run for ``run_all.py --quick``: three points of each curve."""
    out = []
    targets = {"people": "grows with N (reading records only)", "lists": "", "levels": ""}
    for part, size, operation in (
        ("lists", 10, "stepwise"),
        ("levels", 200, "independence"),
        ("people", 100_000, "records"),
    ):
        row = measure(part, size, operation, timeout=60)
        result = "" if row["peak_mib"] is None else f"+{row['peak_mib']:.0f} MiB peak"
        out.append(
            {
                "benchmark": f"scaling: {operation}",
                "size": f"{part}={size:,}",
                "seconds": row["seconds"] if row["seconds"] is not None else float("nan"),
                "result": (result + (f" ({row['note']})" if row["note"] else "")).strip(),
                "target": targets[part],
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="*", default=["lists", "levels", "people"])
    parser.add_argument("--lists", type=int, nargs="*", default=LISTS)
    parser.add_argument("--levels", type=int, nargs="*", default=LEVELS)
    parser.add_argument("--people", type=int, nargs="*", default=PEOPLE)
    parser.add_argument("--point", help=argparse.SUPPRESS)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    if args.point:
        part, size, operation = json.loads(args.point)
        print(json.dumps(_measure_point(part, size, operation)))
        return
    from _common import machine, write_section

    load = os.getloadavg()[0]
    rows = run_curves(args.parts, args.lists, args.levels, args.people)
    body = tables(rows)
    print(body)
    if args.no_readme:
        return
    plot(rows)
    results = Path(__file__).with_name("results") / "scaling.json"
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps(rows, indent=1))
    write_section(
        "size-scaling",
        "Scaling: lists, covariate levels and people (`bench_scaling.py`)",
        f"`PYTHONPATH=src python benchmarks/bench_scaling.py`. {__doc__.split(chr(10) + chr(10), 1)[1].strip()}\n\n"
        f"Each cell: wall seconds / peak memory above the process's mark before the call.\n\n{body}\n\n"
        f"![time and memory against size](scaling.png)\n\n"
        f"Measured on {machine()}, {datetime.date.today().isoformat()}, load average {load:.1f} at the start.",
    )


if __name__ == "__main__":
    main()
