"""Existence of the MLE and identifiability.

SparseMSE 2.0.1's ``checkident`` codes and ``count_triples`` for the reference rows
(tests/reference/reference_estimates.csv) are checked row by row in test_r_reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import mse
from mse.loglinear.fit.existence import exists_batch, mle_exists
from mse.loglinear.fit.irls import fit_poisson
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.terms import all_k_way


def test_artificial_3_as_in_chan_et_al_table_2():
    data = mse.load_dataset("artificial_3")
    two_way = mse.check_estimability(data, "all two-way")
    assert two_way.non_overlapping_pairs == [("A", "C"), ("B", "C")]
    assert two_way.infinite_terms == ["A:C", "B:C"]
    assert two_way.mle_exists and not two_way.identifiable
    assert two_way.n_cells_used == 4 and two_way.n_parameters_finite == 5
    assert "not identifiable" in two_way.reason
    main = mse.check_estimability(data, "independence")
    assert main.ok and main.code == 0


def test_korea_all_two_way_mle_is_not_finite():
    report = mse.check_estimability(mse.load_dataset("korea"), "all two-way")
    assert not report.mle_exists and report.identifiable
    assert report.zero_fitted_cells == ["011"]


def test_empty_list_is_reported():
    with pytest.warns(mse.DataWarning):
        data = mse.CaptureData.from_patterns({"100": 5, "010": 7, "110": 3}, lists=["A", "B", "C"])
    assert mse.check_estimability(data).empty_lists == ["C"]


def test_lp_agrees_with_newton_divergence_on_random_sparse_tables():
    """Where the LP says the MLE does not exist, Newton's coefficients run off; where it exists, they stay finite."""
    rng = np.random.default_rng(3)
    design = Design(4, all_k_way(4, 2))
    masks = design.column_masks([all_k_way(4, 2)] * 200)
    counts = rng.poisson(rng.uniform(0.05, 4.0, size=(200, 15)))
    counts[:, 0] += 1
    columns, cells = extended_masks(design, masks, counts)
    fits = fit_poisson(design.matrix, counts, column_mask=columns, cell_mask=cells)
    exists = exists_batch(design, columns, cells, counts)
    full_rank = np.array(
        [np.linalg.matrix_rank(design.matrix[np.ix_(c, k)]) == k.sum() for c, k in zip(cells, columns)]
    )
    keep = full_rank
    assert (~exists[keep]).sum() > 5 and exists[keep].sum() > 5  # both cases occur
    np.testing.assert_array_equal(fits.boundary[keep], ~exists[keep])


def test_mle_exists_simple_cases():
    design = np.column_stack([np.ones(3), [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    assert mle_exists(design, np.array([True, True, True]))[0]
    exists, zero = mle_exists(design, np.array([True, True, False]))
    assert not exists and zero.tolist() == [False, False, True]


# ---------------------------------------------------------------------- many lists: bounded memory
def _random_table(n_lists: int, n_people: int, seed: int, rate: float = 0.1) -> mse.CaptureData:
    rng = np.random.default_rng(seed)
    rows = rng.random((20 * n_people, n_lists)) < rate
    rows = rows[rows.any(axis=1)][:n_people]
    patterns: dict[str, int] = {}
    for row in rows:
        key = "".join("1" if b else "0" for b in row)
        patterns[key] = patterns.get(key, 0) + 1
    return mse.CaptureData.from_patterns(patterns, [f"L{i}" for i in range(n_lists)])


def test_positive_cells_of_full_rank_settle_existence_as_the_program_does():
    """The observed-cells shortcut never disagrees with the full program (Fienberg & Rinaldo 2012)."""
    from mse.loglinear.fit.existence import _solve_program

    rng = np.random.default_rng(7)
    agreed = 0
    for t in (3, 4, 5):
        design = Design(t, all_k_way(t, 2))
        for _ in range(60):
            columns = np.ones(design.n_columns, dtype=bool)
            columns[design.n_base :] = rng.random(design.n_columns - design.n_base) < 0.5
            positive = rng.random(design.matrix.shape[0]) < rng.uniform(0.3, 0.95)
            matrix = design.matrix[:, columns]
            assert mle_exists(matrix, positive)[0] == _solve_program(matrix, positive)[0]
            agreed += 1
    assert agreed == 180


def test_many_lists_are_checked_from_the_observed_cells(monkeypatch):
    """17 lists: 131,071 cells, of which the program would need all; the observed ones decide."""
    import scipy.optimize

    def no_program(*args, **kwargs):
        raise AssertionError("the linear program should not be needed")

    monkeypatch.setattr(scipy.optimize, "linprog", no_program)
    report = mse.check_estimability(_random_table(17, 3000, seed=17), "independence")
    assert report.mle_exists and report.identifiable


def test_undecidable_existence_is_refused_not_attempted():
    """Ten histories on 17 lists leave the design's null space open over 131,061 empty cells."""
    data = _random_table(17, 10, seed=3, rate=0.3)
    report = mse.check_estimability(data, "independence")
    assert not report.ok
    assert "cannot be decided in bounded memory" in report.reason
    result = mse.estimate(data, "independence")
    assert not result.ok and "bounded memory" in result.status


def test_a_design_too_large_for_memory_is_refused_before_it_is_built():
    from mse.errors import ModelError

    with pytest.raises(ModelError, match="merge or drop lists"):
        Design(20, all_k_way(20, 2))
