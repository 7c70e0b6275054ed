"""Stepwise selection that goes on to three-way and higher terms (``max_order``)."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy.stats import poisson

import mse
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.search.model_search import stepwise_paths, stepwise_search
from mse.loglinear.search.reselection import select_batch


def _term_names(model: str) -> list[tuple[str, ...]]:
    return [tuple(part.strip().split(":")) for part in model.split("+")] if model != "independence" else []


def test_default_order_is_chan_et_al_pairs() -> None:
    data = mse.load_dataset("kosovo")
    default = stepwise_search(data)
    pairs = stepwise_search(data, max_order=2)
    assert default.best == pairs.best == "ABA:OSCE + OSCE:HRW + EXH:OSCE + EXH:ABA + EXH:HRW"
    assert default.details["max_order"] == 2


def test_kosovo_three_way_term_and_its_p_value_from_a_direct_fit() -> None:
    """Step 6 adds EXH:OSCE:HRW; its p-value is the Poisson tail of the triple overlap under the step-5 model."""
    data = mse.load_dataset("kosovo")
    search = stepwise_search(data, max_order=3)
    table = search.table
    assert table["added"].iloc[-1] == "EXH:OSCE:HRW"
    before = fit_model(data, table["model"].iloc[-2])
    histories = np.array([[int(c) for c in format(code, "04b")] for code in range(1, 16)], dtype=bool)
    lists = data.lists
    on_all = histories[:, [lists.index("EXH"), lists.index("OSCE"), lists.index("HRW")]].all(axis=1)
    counts = data.dense_counts()[1:]
    observed = counts[on_all].sum()
    expected = before.fitted[on_all].sum()
    direct = min(poisson.cdf(observed, expected), poisson.sf(observed - 1, expected))
    assert table["p_value"].iloc[-1] == pytest.approx(direct, rel=1e-6)
    assert direct < 0.02


def test_bootstrap_repeats_the_higher_order_search() -> None:
    data = mse.load_dataset("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        result = mse.estimate(data, method="stepwise", max_order=3, interval="bca", n_boot=200, random_seed=3)
    assert result.status == "ok"
    assert result.lower < result.estimate < result.upper
    chosen = result.details["model_frequencies"]
    assert any(len(term) == 3 for model in chosen for term in _term_names(model))


@pytest.mark.parametrize("max_order", [0, 4, 2.5, True])
def test_max_order_outside_one_to_t_minus_one_is_refused(max_order: object) -> None:
    with pytest.raises(mse.ModelError, match="max_order"):
        mse.select_model(mse.load_dataset("kosovo"), method="stepwise", max_order=max_order)


tables = st.lists(st.integers(0, 60), min_size=15, max_size=15).filter(lambda c: sum(c) > 0)


@pytest.mark.filterwarnings("ignore::mse.DataWarning")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables, st.sampled_from([0.02, 0.2]))
def test_paths_are_hierarchical_and_batch_equals_single(counts: list[int], p_threshold: float) -> None:
    """Every added term of order k has all its (k-1)-sub-terms earlier; a batch run equals one run per table."""
    array = np.array([counts, counts[::-1]], dtype=float)
    added, p_values, _columns, _status, _design = stepwise_paths(array, 4, p_threshold, max_order=3)
    for path, ps in zip(added, p_values):
        for step, term in enumerate(path):
            if len(term) > 2:
                assert all(sub in path[:step] for sub in combinations(term, len(term) - 1))
        assert all(p < p_threshold for p in ps)
        assert len(set(path)) == len(path)
    lists = ["A", "B", "C", "D"]
    batch = select_batch(array, lists, "stepwise", p_threshold=p_threshold, max_order=3)
    for row in range(2):
        data = mse.CaptureData.from_patterns(
            {format(code, "04b"): int(array[row, code - 1]) for code in range(1, 16)}, lists=lists
        )
        single = stepwise_search(data, p_threshold=p_threshold, max_order=3)
        if batch.status[row] == "ok":
            assert batch.model[row] == single.best
            assert batch.estimate[row] == pytest.approx(single.table["estimate"].iloc[-1], rel=1e-9)


@pytest.mark.filterwarnings("ignore::mse.DataWarning")
@settings(max_examples=20, deadline=None)
@given(tables, st.permutations(range(4)))
def test_permuting_lists_permutes_the_selected_model(counts: list[int], order: list[int]) -> None:
    lists = ("A", "B", "C", "D")
    patterns = {format(code, "04b"): c for code, c in zip(range(1, 16), counts)}
    data = mse.CaptureData.from_patterns(patterns, lists=list(lists))
    permuted = mse.CaptureData.from_patterns(
        {"".join(h[i] for i in order): c for h, c in patterns.items()}, lists=[lists[i] for i in order]
    )
    one = stepwise_search(data, max_order=3)
    two = stepwise_search(permuted, max_order=3)
    key = lambda m: sorted(tuple(sorted(t)) for t in _term_names(m))  # noqa: E731
    assert key(one.best) == key(two.best)
    assert one.table["estimate"].iloc[-1] == pytest.approx(two.table["estimate"].iloc[-1], rel=1e-7, nan_ok=True)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_identifiability_model_by_model_equals_the_padded_batch(seed: int) -> None:
    """The compact check used for a few models agrees with the padded Gram matrices of a large batch."""
    from mse.loglinear.fit.existence import identifiable_batch
    from mse.loglinear.model.design import Design
    from mse.loglinear.model.terms import all_k_way

    rng = np.random.default_rng(seed)
    design = Design(5, all_k_way(5, 3))
    columns = rng.random((24, design.n_columns)) < 0.5
    columns[:, : design.n_base] = True
    cells = rng.random((24, len(design.histories))) < 0.7
    batch = identifiable_batch(design, columns, cells)
    single = [identifiable_batch(design, columns[m : m + 1], cells[m : m + 1])[0] for m in range(24)]
    assert batch.tolist() == single
