"""Timings of method="dga" (Bayesian model averaging over decomposable graphs).

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_dga.py

Each case is timed ``repeats`` times after one warm-up call (which also builds
and caches the list of graphs; the time to enumerate the graphs is reported
separately). The best time is shown: the machine is shared.
"""

from __future__ import annotations

import time
import warnings

import mse
from mse.bayes.graphical.graphs import decomposable_graphs
from mse.simulate import Scenario, generate


def _time(function, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    # Separated modes are reported in the output below; their warnings would only repeat it.
    warnings.simplefilter("ignore", mse.MultimodalityWarning)
    for t in (5, 6, 7):
        decomposable_graphs.cache_clear()
        started = time.perf_counter()
        n_graphs = decomposable_graphs(t).n_graphs
        print(f"enumerate decomposable graphs, t={t}: {n_graphs:,} graphs in {time.perf_counter() - started:.2f} s")

    new_orleans = mse.load_dataset("new_orleans")
    simulated, _ = generate(Scenario(population_size=1000, capture_probabilities=[0.8, 0.8, 0.8]), random_seed=1)
    cases = [
        ("simulated, N = 1,000, p = 0.8 (3 lists)", simulated, 5),
        ("fifty people on every list (3 lists)", mse.CaptureData.from_patterns({"111": 50}, ["A", "B", "C"]), 5),
        ("kosovo (4 lists, 61 graphs)", mse.load_dataset("kosovo"), 5),
        ("netherlands_5 (5 lists, 822 graphs)", mse.load_dataset("netherlands_5"), 5),
        ("uk2013 (6 lists, 18,154 graphs)", mse.load_dataset("uk2013"), 3),
        ("netherlands (6 lists, 18,154 graphs)", mse.load_dataset("netherlands"), 3),
        ("new_orleans, G+H merged (7 lists, 617,675 graphs)", new_orleans.merge_lists(["G", "H"], into="GH"), 2),
    ]
    for label, data, repeats in cases:
        result = mse.estimate(data, method="dga", random_seed=1)  # warm-up; caches the graphs
        seconds = _time(lambda data=data: mse.estimate(data, method="dga", random_seed=1), repeats)
        print(
            f"{label}: {seconds:.2f} s; N = {result.estimate:,.0f} [{result.lower:,.0f}, {result.upper:,.0f}], "
            f"grid to N = {result.details['grid_max']:,.0f}, {result.details['grid_nodes']:,} exact nodes, "
            f"tail mass {result.details['tail_mass']:.1e}, modes "
            + ", ".join(f"{n:,.0f} ({share:.0%})" for n, share in result.details["modes"][["N", "share"]].to_numpy())
        )


if __name__ == "__main__":
    main()
