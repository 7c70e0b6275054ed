"""Timings of method="dga" (Bayesian model averaging over decomposable graphs).

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_dga.py            # everything
    PYTHONPATH=src python benchmarks/bench_dga.py --cold     # first call in fresh processes only

Each case is timed ``repeats`` times after one warm-up call (which also builds
and caches the list of graphs; the time to enumerate the graphs is reported
separately). The median wall-clock time and the median CPU time of the
process are shown: the machine is shared, and CPU time is less affected by
other people's work.

``--cold`` times ``import mse`` plus the first seven-list call in new Python
processes, with the on-disk graph cache turned off (every process enumerates)
and with a cache directory filled beforehand (every process loads).

The seven-list data set is ``new_orleans`` with its last two lists (G and H)
merged, 617,675 graphs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

TARGET_7 = "7 lists under 2 s once the graphs are enumerated; enumeration cached on disk"


def _time(function: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _seven_lists() -> Any:
    import mse

    return mse.load_dataset("new_orleans").merge_lists(["G", "H"], into="GH")


def _cases() -> list[tuple[str, Any, int]]:
    import mse
    from mse.simulate import Scenario, generate

    simulated, _ = generate(Scenario(population_size=1000, capture_probabilities=[0.8, 0.8, 0.8]), random_seed=1)
    return [
        ("simulated, N = 1,000, p = 0.8 (3 lists)", simulated, 5),
        ("fifty people on every list (3 lists)", mse.CaptureData.from_patterns({"111": 50}, ["A", "B", "C"]), 5),
        ("kosovo (4 lists, 61 graphs)", mse.load_dataset("kosovo"), 5),
        ("netherlands_5 (5 lists, 822 graphs)", mse.load_dataset("netherlands_5"), 5),
        ("uk2013 (6 lists, 18,154 graphs)", mse.load_dataset("uk2013"), 5),
        ("netherlands (6 lists, 18,154 graphs)", mse.load_dataset("netherlands"), 5),
        ("new_orleans, G+H merged (7 lists, 617,675 graphs)", _seven_lists(), 3),
    ]


def _describe(result: Any) -> str:
    modes = ", ".join(f"{n:,.0f} ({share:.0%})" for n, share in result.details["modes"][["N", "share"]].to_numpy())
    return (
        f"N = {result.estimate:,.0f} [{result.lower:,.0f}, {result.upper:,.0f}], "
        f"grid to N = {result.details['grid_max']:,.0g}, {result.details['grid_nodes']:,} exact nodes, modes {modes}"
    )


def enumeration_times() -> list[tuple[int, float, float | None]]:
    """Seconds to enumerate the graphs on 5, 6 and 7 lists, and to load 6 and 7 lists from the disk cache."""
    from mse.bayes.graphical.graphs import decomposable_graphs

    rows = []
    saved = os.environ.get("MSE_CACHE_DIR")
    decomposable_graphs(3)  # loads the compiled enumeration, so that it is not timed below
    with tempfile.TemporaryDirectory() as directory:
        try:
            for t in (5, 6, 7):
                os.environ["MSE_CACHE_DIR"] = "off"
                decomposable_graphs.cache_clear()
                started = time.perf_counter()
                decomposable_graphs(t)
                enumerate_seconds = time.perf_counter() - started
                load_seconds = None
                if t >= 6:
                    os.environ["MSE_CACHE_DIR"] = directory
                    decomposable_graphs.cache_clear()
                    decomposable_graphs(t)  # writes the file
                    decomposable_graphs.cache_clear()
                    started = time.perf_counter()
                    decomposable_graphs(t)
                    load_seconds = time.perf_counter() - started
                rows.append((t, enumerate_seconds, load_seconds))
        finally:
            if saved is None:
                os.environ.pop("MSE_CACHE_DIR", None)
            else:
                os.environ["MSE_CACHE_DIR"] = saved
            decomposable_graphs.cache_clear()
    return rows


_COLD = """
import time, warnings
started = time.perf_counter()
import mse
warnings.simplefilter("ignore")
data = mse.load_dataset("new_orleans").merge_lists(["G", "H"], into="GH")
result = mse.estimate(data, method="dga", random_seed=1)
print(time.perf_counter() - started, result.estimate)
"""


def cold_first_call(repeats: int = 3) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of ``import mse`` and the first seven-list call in a new process.

    Without the disk cache (every process enumerates the graphs) and with a cache directory that a
    first process filled.
    """
    import resource

    times: dict[str, list[tuple[float, float]]] = {"no disk cache": [], "disk cache": []}
    with tempfile.TemporaryDirectory() as directory:
        for label, cache in (("no disk cache", "off"), ("disk cache", directory)):
            env = {**os.environ, "MSE_CACHE_DIR": cache}
            if cache != "off":
                subprocess.run([sys.executable, "-c", _COLD], env=env, check=True, capture_output=True)
            for _ in range(repeats):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                out = subprocess.run([sys.executable, "-c", _COLD], env=env, check=True, capture_output=True, text=True)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                times[label].append((float(out.stdout.split()[0]), cpu))
    return {
        label: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for label, values in times.items()
    }


def main() -> None:
    import mse

    # Separated modes are reported in the output below; their warnings would only repeat it.
    warnings.simplefilter("ignore", mse.MultimodalityWarning)
    if "--cold" not in sys.argv:
        for t, enumerate_seconds, load_seconds in enumeration_times():
            loaded = "" if load_seconds is None else f", {load_seconds:.3f} s from the disk cache"
            print(f"decomposable graphs, t={t}: enumerated in {enumerate_seconds:.3f} s{loaded}")
        for label, data, repeats in _cases():
            result = mse.estimate(data, method="dga", random_seed=1)  # warm-up; caches the graphs
            wall, cpu = _time(lambda data=data: mse.estimate(data, method="dga", random_seed=1), repeats)
            print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU (median of {repeats}); {_describe(result)}")
    for label, (wall, cpu) in cold_first_call().items():
        print(f"fresh process, import mse + first 7-list call, {label}: {wall:.2f} s wall, {cpu:.2f} s CPU")


def quick() -> list[dict]:
    """netherlands_5 and uk2013 (6 lists), one warm-up and the median of three calls each."""
    import mse

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MultimodalityWarning)
        for name, size in (("netherlands_5", "5 lists, 822 graphs"), ("uk2013", "6 lists, 18,154 graphs")):
            data = mse.load_dataset(name)
            result = mse.estimate(data, method="dga", random_seed=1)
            wall, _ = _time(lambda data=data: mse.estimate(data, method="dga", random_seed=1), 3)
            rows.append(
                {
                    "benchmark": "dga",
                    "size": f"{name} ({size})",
                    "seconds": wall,
                    "result": f"{result.estimate:,.0f} [{result.lower:,.0f}, {result.upper:,.0f}]",
                    "target": TARGET_7,
                }
            )
    return rows


if __name__ == "__main__":
    main()
