"""Exhaustive search over every two-way hierarchical model of a six-list table.

Fits all 2**15 = 32,768 graphical (two-way) log-linear models of uk2013 and
netherlands by BIC, and compares the time per model with statsmodels' GLM on
a random sample of the same models (same extended-MLE cells and columns).
Also times Chan et al.'s stepwise selection repeated over bootstrap-like
replicates (the inner loop of the BCa interval).

Run: PYTHONPATH=src python benchmarks/bench_loglinear_search.py

On a shared machine, OpenBLAS's worker threads compete with other jobs for the
cores and the small matrix products of the batched solver slow down several
times; ``OPENBLAS_NUM_THREADS=1`` keeps them on one thread. The script prints
the setting and the load average with the figures.
"""

from __future__ import annotations

import os
import platform
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
    main()
