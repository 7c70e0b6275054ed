"""Long runs: a time budget the user asks for, searches that cannot succeed, covariates with too many levels."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import mse
from mse.budget import CUT_SHORT, checkpoint, time_budget
from mse.loglinear.fit.batch import evaluate_models
from mse.loglinear.fit.existence import no_model_can_exist
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import all_k_way
from mse.loglinear.search.model_search import enumerate_models

#: Six lists, 32 people, 8 histories, everyone on list A: bic with max_order=2 fitted 32,768 models
#: (45 s) to report that none could be fitted.
EVERYONE_ON_A = {
    "100000": 5,
    "110000": 4,
    "101000": 4,
    "100100": 4,
    "100010": 4,
    "100001": 4,
    "111000": 4,
    "100011": 3,
}


# ---------------------------------------------------------------------- time budget
def test_no_budget_by_default_and_a_bad_budget_is_refused():
    data = mse.load_dataset("kosovo")
    assert mse.estimate(data, "independence", interval="wald").ok
    assert mse.estimate(data, "independence", interval="wald", max_seconds=None).ok
    for bad in (0, -1, "10", True):
        with pytest.raises(mse.ModelError, match="max_seconds"):
            mse.estimate(data, "independence", interval="wald", max_seconds=bad)


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("bic", {"max_order": 2}),
        ("stepwise", {"interval": "bca", "n_boot": 5000}),
        ("independence", {"interval": "parametric_bootstrap", "n_boot": 5000}),
        ("dga", {}),
        ("bayes_loglinear", {"model": "LA:NG", "draws": 200, "tune": 100}),
        ("bayesthresh", {"draws": 200, "tune": 100}),
    ],
)
def test_a_run_cut_short_says_so_and_has_no_numbers(method, options):
    data = mse.load_dataset("uk2013_5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mse.estimate(data, method, random_seed=1, max_seconds=1e-6, **options)
    assert result.status.startswith(CUT_SHORT) and "max_seconds" in result.status
    assert math.isnan(result.estimate) and math.isnan(result.lower)
    with pytest.raises(mse.EstimabilityError, match=CUT_SHORT):
        mse.estimate(data, method, random_seed=1, max_seconds=1e-6, strict=True, **options)


def test_a_budget_does_not_leak_into_the_next_call():
    with time_budget(1e-9):
        time.sleep(0.001)
        with pytest.raises(mse.MSEError):
            checkpoint("testing")
    checkpoint("after the budget")  # no budget any more: returns


# ---------------------------------------------------------------------- hopeless searches
def test_bic_on_a_table_where_no_model_exists_answers_at_once():
    data = mse.CaptureData.from_patterns(EVERYONE_ON_A, list("ABCDEF"))
    started = time.perf_counter()
    result = mse.estimate(data, "bic", max_order=2)
    assert time.perf_counter() - started < 30  # 45 s and more before, on an idle machine
    assert not result.ok and math.isnan(result.estimate)
    assert "no hierarchical model can be fitted" in result.status
    search = mse.select_model(data, method="bic", max_order=2)
    assert search.best == "" and len(search.table) == 1


def _random_tables(n_lists: int, n_tables: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    cells = (1 << n_lists) - 1
    tables = []
    for k in range(n_tables):
        counts = np.where(rng.random(cells) < rng.uniform(0.1, 0.5), rng.integers(1, 20, cells), 0).astype(float)
        if k % 2:  # everyone on the first list, or on no list but the first two: the usual hopeless shapes
            histories = Design(n_lists, ()).histories
            counts[~histories[:, 0]] = 0.0
        if counts.sum() == 0:
            counts[-1] = 3.0
        tables.append(counts)
    return tables


@pytest.mark.parametrize("n_lists", [3, 4])
def test_no_model_can_exist_only_when_every_candidate_fails(n_lists):
    """The shortcut against the full search: whenever it says hopeless, no candidate has an estimate."""
    models = enumerate_models(n_lists, 2)
    design = Design(n_lists, all_k_way(n_lists, 2))
    masks = design.column_masks(models)
    lists = [f"L{i}" for i in range(n_lists)]
    hopeless = 0
    for counts in _random_tables(n_lists, 40 if n_lists == 3 else 16, seed=n_lists):
        if no_model_can_exist(counts, lists, 2) is None:
            continue
        hopeless += 1
        fits = evaluate_models(design, masks, np.broadcast_to(counts, (len(models), counts.size)))
        assert not fits.ok.any()
    assert hopeless >= 3


# ---------------------------------------------------------------------- covariates with many levels
def _regions(levels: int, records: int = 4000) -> mse.CaptureData:
    rng = np.random.default_rng(levels)
    histories = rng.random((2 * records, 3)) < 0.3
    histories = histories[histories.any(axis=1)][:records]
    frame = pd.DataFrame(histories.astype(int), columns=["A", "B", "C"])
    frame["region"] = [f"r{r:04d}" for r in rng.integers(0, levels, len(frame))]
    return mse.CaptureData.from_records(frame, lists=["A", "B", "C"], covariates=["region"])


@pytest.mark.parametrize("method", ["independence", "bic_aic"])
def test_a_covariate_with_a_thousand_levels_is_refused_with_advice(method):
    data = _regions(1000)
    started = time.perf_counter()
    with pytest.raises(mse.ModelError, match="Merge levels"):
        mse.estimate(data, method, n_boot=20)
    assert time.perf_counter() - started < 10  # refused before any fit
    with pytest.raises(mse.ModelError, match=r"region \(9\d\d levels\)"):
        mse.estimate(data, "loglinear", model="A:region", interval="wald")
    # summing the covariate out is the way on
    assert mse.estimate(data, method, covariates=[], interval="wald").ok


def test_a_covariate_below_the_bound_is_fitted():
    assert mse.estimate(_regions(20), "independence", interval="wald").ok


@pytest.mark.parametrize("method", ["bic", "stepwise", "bic_aic"])
def test_a_model_search_takes_a_budget_too(method):
    data = mse.load_dataset("uk2013_5")
    search = mse.select_model(data, method=method, max_seconds=1e-6)
    assert search.best == "" and search.table.empty
    assert search.details["status"].startswith(CUT_SHORT)
    assert mse.select_model(data, method=method).best
