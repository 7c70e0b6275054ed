"""Wall time of Silverman's Bayesian thresholding (``method="bayesthresh"``) on kosovo, uk2013_5 and uk2013.

Each call is ``mse.estimate(data, method="bayesthresh", random_seed=s)`` with
the default settings: two fits (all two-way terms, then the terms kept), each
4 chains of 500 warm-up and 500 kept draws. Three figures per data set and
sampler:

* **warm**: the median of ``--repeats`` calls in one process, after a first call;
* **fresh process**: the first call in a new Python process (after ``import mse``
  and loading the data, which are timed apart), with the compiled code cached on
  disk by earlier runs (numba's cache for ``sampler="hmc"``, PyTensor's for
  ``sampler="pymc"``); the median of ``--fresh`` processes;
* **first compile**: the same with an empty cache (``NUMBA_CACHE_DIR`` or
  PyTensor's ``compiledir`` pointed at a new temporary directory), as on a
  fresh machine.

The effective sample size of ``N`` (bulk ESS of the kept draws of the second
fit) is reported with the median and 95 % interval.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_bayes_loglinear.py                    # default sampler (hmc)
    PYTHONPATH=src python benchmarks/bench_bayes_loglinear.py --sampler pymc     # PyMC's NUTS
    python benchmarks/bench_bayes_loglinear.py --src ../main/src --sampler default  # another checkout
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DATASETS = ("kosovo", "uk2013_5", "uk2013")
#: The issue's targets on uk2013_5; R's MultipleSystemsEstimation takes 0.47-0.61 s there.
TARGET = "uk2013_5: <= 0.2 s warm (3x R's 0.47-0.61 s), < 2 s first call in a fresh process"
SRC = str(Path(__file__).resolve().parents[1] / "src")

#: One process: import, load, the first call, then ``repeats`` warm calls; prints the times as JSON.
_CHILD = """
import json, sys, time, warnings
started = time.perf_counter()
import mse
imported = time.perf_counter()
data = mse.load_dataset(sys.argv[1])
loaded = time.perf_counter()
options = {} if sys.argv[3] == "default" else {"sampler": sys.argv[3]}
seed, repeats = int(sys.argv[2]), int(sys.argv[4])
warm, ess = [], []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    res = mse.estimate(data, method="bayesthresh", random_seed=seed, **options)
    first = time.perf_counter() - loaded
    for k in range(repeats):
        begin = time.perf_counter()
        res = mse.estimate(data, method="bayesthresh", random_seed=seed + 1 + k, **options)
        warm.append(time.perf_counter() - begin)
        ess.append(res.details["ess_bulk"])
print(json.dumps({"import": imported - started, "first": first, "warm": warm, "ess": ess, "estimate": res.estimate,
                  "lower": res.lower, "upper": res.upper, "kept": res.details["retained_terms"]}))
"""


def _process(dataset: str, seed: int, sampler: str, repeats: int, *, src: str = SRC, empty_cache: bool = False) -> dict:
    """Run :data:`_CHILD` in a new interpreter; with ``empty_cache`` every compiled kernel is built anew."""
    env = {**os.environ, "PYTHONPATH": src}
    with tempfile.TemporaryDirectory(prefix="mse-bench-cache-") as cache:
        if empty_cache:
            env["NUMBA_CACHE_DIR"] = cache
            env["PYTENSOR_FLAGS"] = f"compiledir={cache}"
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, dataset, str(seed), sampler, str(repeats)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(dataset: str, sampler: str, repeats: int, fresh: int, cold: bool, src: str = SRC) -> dict:
    """Warm, fresh-process and (optionally) first-compile timings of one data set."""
    runs = [_process(dataset, 100 * (k + 1), sampler, repeats if k == 0 else 0, src=src) for k in range(fresh)]
    warm = runs[0]["warm"]
    row = {
        "data set": dataset,
        "sampler": sampler,
        "warm median (s)": statistics.median(warm),
        "warm range (s)": f"{min(warm):.3f}-{max(warm):.3f}",
        "fresh process, first call (s)": statistics.median(r["first"] for r in runs),
        "import mse (s)": statistics.median(r["import"] for r in runs),
        "ESS of N": f"{min(runs[0]['ess']):,.0f}-{max(runs[0]['ess']):,.0f}",
        "estimate": f"{runs[0]['estimate']:,.0f} ({runs[0]['lower']:,.0f}-{runs[0]['upper']:,.0f})",
    }
    if cold:
        row["first compile, first call (s)"] = _process(dataset, 7, sampler, 0, src=src, empty_cache=True)["first"]
    return row


def quick() -> list[dict]:
    """A small run for ``benchmarks/run_all.py --quick``: uk2013_5, one fresh process and 3 warm calls."""
    run = _process("uk2013_5", 101, "hmc", 3)
    return [
        {
            "benchmark": "bayesthresh warm call (hmc)",
            "size": "uk2013_5, 2 fits x 4 chains x 1000",
            "seconds": statistics.median(run["warm"]),
            "result": f"N {run['estimate']:,.0f}, ESS of N {min(run['ess']):,.0f}",
            "target": TARGET,
        },
        {
            "benchmark": "bayesthresh first call in a fresh process (hmc)",
            "size": "uk2013_5, numba cache warm",
            "seconds": run["first"],
            "result": f"N {run['estimate']:,.0f}; import mse {run['import']:.2f} s before it",
            "target": TARGET,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sampler", choices=("hmc", "pymc", "default"), default="hmc", help="'default': no sampler= option"
    )
    parser.add_argument("--src", default=SRC, help="the mse sources to time (another checkout's src/ for 'before')")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--repeats", type=int, default=5, help="warm calls per data set")
    parser.add_argument("--fresh", type=int, default=3, help="fresh processes per data set (cache warm), >= 1")
    parser.add_argument("--no-cold", action="store_true", help="skip the first compile with an empty cache")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    rows = [
        measure(name, args.sampler, args.repeats, max(args.fresh, 1), not args.no_cold, args.src)
        for name in args.datasets
    ]
    print(f"load average after: {os.getloadavg()}")
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        cells = [f"{v:.3f}" if isinstance(v, float) and k.endswith("(s)") else v for k, v in row.items()]
        cells = [f"{v:,.0f}" if isinstance(v, float) else str(v) for v in cells]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
