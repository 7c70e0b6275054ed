"""Run every benchmark at a small size and print one table, to see a regression before it lands.

Run from the repository root::

    PYTHONPATH=src python benchmarks/run_all.py --quick
    PYTHONPATH=src python benchmarks/run_all.py --quick --save-baseline   # after a deliberate change

Every ``benchmarks/bench_*.py`` exposes ``quick()``, a small version of itself
that returns rows (``benchmark``, ``size``, ``seconds``, ``result``,
``target``). Each script runs in its own process (so one's compiled code,
caches and memory do not flatter the next), with one BLAS thread. The table
compares every time with ``benchmarks/quick_baseline.json`` when it exists and
marks a row more than ``--tolerance`` times slower than its baseline; the exit
status is 1 when a script fails or a row is marked, so the command can gate a
change. Times from a loaded machine are inflated: the load average is printed
with the table.

Only the full scripts measure what ``benchmarks/README.md`` records; these
small runs are a smoke test of speed, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BASELINE = HERE / "quick_baseline.json"
LIMIT_SECONDS = 120


def scripts() -> list[Path]:
    """The benchmark scripts, in name order."""
    return sorted(HERE.glob("bench_*.py"))


def run_quick(script: Path, timeout: float) -> tuple[list[dict[str, Any]], str]:
    """The rows of one script's ``quick()``, run in a fresh process, and an error message ('' if none)."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import importlib; "
        "rows = importlib.import_module(sys.argv[2]).quick(); print('\\n' + json.dumps(rows))"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else src
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(HERE), script.stem],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [], f"over {timeout:.0f} s"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["exit status " + str(done.returncode)]
        return [], lines[-1]
    return json.loads(done.stdout.strip().splitlines()[-1]), ""


def _key(row: dict[str, Any]) -> str:
    return f"{row['benchmark']} | {row['size']}"


def compare(rows: list[dict[str, Any]], baseline: dict[str, float], tolerance: float) -> list[str]:
    """A 'vs baseline' cell per row: the ratio of times, marked when it exceeds ``tolerance``."""
    cells = []
    for row in rows:
        before = baseline.get(_key(row))
        seconds = row["seconds"]
        if before is None or not before or seconds is None or not math.isfinite(seconds):
            cells.append("")
            continue
        ratio = seconds / before
        cells.append(f"{ratio:.2f}x" + (" SLOWER" if ratio > tolerance else ""))
    return cells


def table(rows: list[dict[str, Any]], versus: list[str]) -> str:
    header = "| benchmark | size | seconds | result | target at full size | vs baseline |"
    lines = [header, "|---|---|---:|---|---|---|"]
    for row, cell in zip(rows, versus, strict=True):
        seconds = row["seconds"]
        shown = "—" if seconds is None or not math.isfinite(seconds) else f"{seconds:.2f}"
        lines.append(f"| {row['benchmark']} | {row['size']} | {shown} | {row['result']} | {row['target']} | {cell} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="the small run (the only mode; the full scripts run alone)"
    )
    parser.add_argument("--only", nargs="*", default=None, help="script names to run, e.g. bench_dga")
    parser.add_argument("--tolerance", type=float, default=1.5, help="mark rows slower than this times the baseline")
    parser.add_argument("--timeout", type=float, default=60, help="seconds allowed to one script")
    parser.add_argument("--save-baseline", action="store_true", help="write these times as the new baseline")
    args = parser.parse_args()
    if not args.quick:
        parser.error("only --quick is run from here; run a bench_*.py script directly for its full size")

    load = os.getloadavg()[0]
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    failures = []
    for script in scripts():
        if args.only and script.stem not in args.only:
            continue
        script_rows, error = run_quick(script, args.timeout)
        if error:
            failures.append(f"{script.name}: {error}")
            script_rows = [{"benchmark": script.stem, "size": "", "seconds": None, "result": f"FAILED: {error}",
                            "target": ""}]  # fmt: skip
        rows.extend(script_rows)
        print(f"{script.name}: {len(script_rows)} row(s)", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started

    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    versus = compare(rows, baseline, args.tolerance)
    print(table(rows, versus))
    print(f"\n{elapsed:.0f} s in all (limit {LIMIT_SECONDS} s); load average {load:.1f} at the start.")
    slower = [row for row, cell in zip(rows, versus, strict=True) if cell.endswith("SLOWER")]
    if args.save_baseline:
        times = {_key(r): r["seconds"] for r in rows if r["seconds"] is not None and math.isfinite(r["seconds"])}
        BASELINE.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
        print(f"baseline written to {BASELINE.relative_to(HERE.parent)}")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    if slower:
        print(f"{len(slower)} row(s) more than {args.tolerance}x slower than the baseline", file=sys.stderr)
    if elapsed > LIMIT_SECONDS:
        print(f"the quick run took {elapsed:.0f} s, more than {LIMIT_SECONDS} s: shrink a quick()", file=sys.stderr)
    return 1 if failures or slower or elapsed > LIMIT_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
