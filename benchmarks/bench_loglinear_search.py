"""Exhaustive search over every two-way hierarchical model of a six-list table.

Fits all 2**15 = 32,768 graphical (two-way) log-linear models of uk2013 and
netherlands by BIC, and compares the time per model with statsmodels' GLM on
a random sample of the same models (same extended-MLE cells and columns).
Also times Chan et al.'s stepwise selection repeated over bootstrap-like
replicates (the inner loop of the BCa interval).

Also times BIC over hierarchical models of all orders on five lists,
``mse.estimate(uk2013_5, method="bic")`` (the default ``max_order`` of five
lists, 3, is every estimable order that MultipleSystemsEstimation's
``estimate_population`` ranks: 6,212 models, with the profile interval), as
the first call in a fresh process and as a later call.

Run: PYTHONPATH=src python benchmarks/bench_loglinear_search.py
     PYTHONPATH=src python benchmarks/bench_loglinear_search.py --repeats 5   # medians of 5 runs

On a shared machine, OpenBLAS's worker threads compete with other jobs for the
cores and the small matrix products of the batched solver slow down several
times; ``OPENBLAS_NUM_THREADS=1`` keeps them on one thread. The script prints
the setting and the load average with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import mse
from mse.loglinear.fit.batch import evaluate_models
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.terms import all_k_way
from mse.loglinear.search.model_search import enumerate_models
from mse.loglinear.search.reselection import select_batch


def glm_seconds_per_model(data: mse.CaptureData, n_sample: int = 60, seed: int = 0) -> tuple[float, float]:
    import statsmodels.api as sm

    t = data.n_lists
    design = Design(t, all_k_way(t, 2))
    models = enumerate_models(t, 2)
    rng = np.random.default_rng(seed)
    chosen = [models[i] for i in rng.choice(len(models), n_sample, replace=False)]
    y = data.dense_counts()[1:].astype(float)
    columns, cells = extended_masks(design, design.column_masks(chosen), y)
    started = time.perf_counter()
    estimates = []
    for c, k in zip(columns, cells):
        fit = sm.GLM(y[k], design.matrix[np.ix_(k, c)], family=sm.families.Poisson()).fit()
        estimates.append(y.sum() + np.exp(fit.params[0]))
    glm = (time.perf_counter() - started) / n_sample
    ours = evaluate_models(design, design.column_masks(chosen), y)
    ok = ours.ok
    agreement = float(np.nanmax(np.abs(np.asarray(estimates)[ok] / ours.estimate[ok] - 1)))
    return glm, agreement


def search_seconds(name: str, max_order: int | None, repeats: int) -> tuple[list[float], list[float], str]:
    """Wall and CPU seconds of ``select_model(method="bic")`` (after one untimed run), and the best model."""
    data = mse.load_dataset(name)
    best = mse.select_model(data, method="bic", max_order=max_order).best
    walls, cpus = [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        mse.select_model(data, method="bic", max_order=max_order)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, best


_FIRST_CALL = """
import time, mse
data = mse.load_dataset("uk2013_5")
started = time.perf_counter()
result = mse.estimate(data, method="bic")
first = time.perf_counter() - started
started = time.perf_counter()
mse.estimate(data, method="bic")
print(first, time.perf_counter() - started, result.estimate, result.model)
"""


def all_orders_seconds(repeats: int) -> tuple[list[float], list[float], str]:
    """``mse.estimate(uk2013_5, method="bic")`` in fresh processes: the first call (after import) and a second."""
    firsts, seconds, answer = [], [], ""
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", _FIRST_CALL], capture_output=True, text=True, check=True, env=os.environ.copy()
        ).stdout.split(maxsplit=3)
        firsts.append(float(out[0]))
        seconds.append(float(out[1]))
        answer = f"{float(out[2]):,.1f} ({out[3].strip()})"
    return firsts, seconds, answer


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def quick() -> list[dict]:
    """One exhaustive two-way search of uk2013 and one BIC estimate over all orders of uk2013_5."""
    started = time.perf_counter()
    best = mse.select_model(mse.load_dataset("uk2013"), method="bic", max_order=2).best
    search = time.perf_counter() - started
    data = mse.load_dataset("uk2013_5")
    mse.estimate(data, method="bic")
    started = time.perf_counter()
    result = mse.estimate(data, method="bic")
    five = time.perf_counter() - started
    return [
        {
            "benchmark": "exhaustive BIC search, two-way terms, uk2013",
            "size": "6 lists, 32,768 models",
            "seconds": search,
            "result": best,
            "target": "< 2 s on one core",
        },
        {
            "benchmark": "BIC over hierarchical models of all orders, uk2013_5 (mse.estimate, later call)",
            "size": "5 lists, 6,212 models",
            "seconds": five,
            "result": f"{result.estimate:,.1f}",
            "target": "< 1 s",
        },
    ]


def timing_table(repeats: int) -> None:
    """Medians of ``repeats`` runs: both six-list searches and the five-list estimate over all orders."""
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for name in ("uk2013", "netherlands"):
        walls, cpus, best = search_seconds(name, 2, repeats)
        print(
            f"{name}, all 32,768 two-way models: median {statistics.median(walls):.2f} s wall "
            f"({_runs(walls)}), {statistics.median(cpus):.2f} s CPU; best {best}"
        )
    firsts, seconds, answer = all_orders_seconds(repeats)
    print(
        f"uk2013_5, mse.estimate(method='bic') over all orders (6,212 models): first call in a process "
        f"median {statistics.median(firsts):.2f} s ({_runs(firsts)}), second call {statistics.median(seconds):.2f} s "
        f"({_runs(seconds)}); {answer}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    total = 0.0
    for name in ("uk2013", "netherlands"):
        data = mse.load_dataset(name)
        started = time.perf_counter()
        search = mse.select_model(data, method="bic", max_order=2)
        seconds = time.perf_counter() - started
        total += seconds
        n_models = search.details["n_models"]
        glm, agreement = glm_seconds_per_model(data)
        design = Design(data.n_lists, all_k_way(data.n_lists, 2))
        masks = design.column_masks(enumerate_models(data.n_lists, 2))
        started = time.perf_counter()
        evaluate_models(design, masks, data.dense_counts()[1:])
        fit_only = (time.perf_counter() - started) / n_models
        print(
            f"{name}: {n_models:,} models in {seconds:.2f} s ({1e6 * seconds / n_models:.0f} us/model, whole search; "
            f"batched fits alone {1e6 * fit_only:.0f} us/model); statsmodels GLM {1e3 * glm:.2f} ms/model -> "
            f"{glm / fit_only:.0f}x per fit, {glm / (seconds / n_models):.0f}x whole search; "
            f"failed fits {search.details['n_failed']}; max rel. difference to GLM {agreement:.1e}; best {search.best}"
        )
    print(f"both tables: {total:.2f} s")
    data = mse.load_dataset("uk2013")
    y = data.dense_counts()[1:]
    replicates = np.random.default_rng(1).multinomial(int(y.sum()), y / y.sum(), size=200)
    started = time.perf_counter()
    result = select_batch(replicates, data.lists, "stepwise")
    seconds = time.perf_counter() - started
    print(
        f"stepwise on 200 uk2013 replicates: {seconds:.2f} s ({1e3 * seconds / 200:.1f} ms/replicate), "
        f"failed {(result.status != 'ok').sum()}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=0, help="only the timing table, medians of this many runs")
    arguments = parser.parse_args()
    if arguments.repeats:
        timing_table(arguments.repeats)
    else:
        main()
