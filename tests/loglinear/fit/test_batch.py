"""Batched fits of many models (evaluate_models, fit_poisson) against independent fits, model by model.

The reference fits each model alone with a plain Newton iteration on its own
design (the kept cells and columns only, no packing, no shared products),
solved far past the batched solver's tolerance; identifiability comes from a
matrix rank and existence from the linear program. Random tables carry empty
cells, so models whose MLE does not exist and models with terms fitted at
minus infinity (lists that never overlap) are among the cases.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mse.loglinear.fit.batch import ILL_CONDITIONED, NO_MLE, NOT_IDENTIFIABLE, OK, evaluate_models
from mse.loglinear.fit.existence import exists_batch, identifiable_batch
from mse.loglinear.fit.irls import _distinct_products, fit_poisson
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.terms import all_k_way
from mse.loglinear.search.model_search import enumerate_models


def _reference_fit(matrix: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on one full-rank Poisson design, to a relative step of 1e-14; coefficients and means."""
    coef = np.linalg.lstsq(matrix, np.log(y + 0.5), rcond=None)[0]
    for _ in range(500):
        mu = np.exp(matrix @ coef)
        step = np.linalg.solve(matrix.T @ (mu[:, None] * matrix), matrix.T @ (y - mu))
        objective = np.sum(mu - y * (matrix @ coef))
        scale = 1.0
        while True:
            eta = matrix @ (coef + scale * step)
            if np.sum(np.exp(eta) - y * eta) <= objective + 1e-15 * abs(objective):
                break
            scale /= 2
            if scale < 1e-12:
                break
        coef = coef + scale * step
        if np.max(np.abs(scale * step)) < 1e-14 * (1 + np.max(np.abs(coef))):
            break
    return coef, np.exp(matrix @ coef)


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return float(2 * np.sum(ratio - (y - mu)))


@st.composite
def tables_and_models(draw):
    t = draw(st.integers(3, 5))
    order = draw(st.integers(2, t - 1))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = 2**t - 1
    means = rng.gamma(0.7, np.exp(rng.normal(1.5, 1.5)), size=n)
    counts = rng.poisson(means).astype(float)
    counts[rng.random(n) < draw(st.floats(0.0, 0.6))] = 0.0
    if counts.sum() == 0:
        counts[0] = 1.0
    models = enumerate_models(t, order)
    chosen = rng.choice(len(models), size=min(len(models), 40), replace=False)
    design = Design(t, all_k_way(t, order))
    return design, design.column_masks([models[i] for i in chosen]), counts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_and_models())
def test_batched_fits_agree_with_model_by_model_fits(case):
    design, masks, counts = case
    fits = evaluate_models(design, masks, counts)
    columns, cells = extended_masks(design, masks, counts)
    exists = exists_batch(design, columns, cells, np.broadcast_to(counts, cells.shape))
    for m in range(len(masks)):
        kept = design.matrix[np.ix_(cells[m], columns[m])]
        if np.linalg.matrix_rank(kept) < columns[m].sum():
            assert fits.status[m] == NOT_IDENTIFIABLE
            continue
        if not exists[m]:
            assert fits.status[m] == NO_MLE
            continue
        assert fits.status[m] in (OK, ILL_CONDITIONED)
        if fits.status[m] != OK:
            continue
        y = counts[cells[m]]
        coef, mu = _reference_fit(kept, y)
        # the batched solver stops at a relative change of 1e-9 in the log-likelihood, which leaves
        # the intercept of a flat likelihood about 1e-7 from its limit
        assert fits.estimate[m] == pytest.approx(counts.sum() + np.exp(coef[0]), rel=1e-6)
        assert fits.deviance[m] == pytest.approx(_deviance(y, mu), rel=1e-7, abs=1e-8)
        assert fits.df[m] == cells[m].sum() - columns[m].sum()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_and_models())
def test_a_model_fitted_in_a_batch_equals_the_model_fitted_alone(case):
    """Packing many models into systems of one size (identity on the unused slots) changes nothing."""
    design, masks, counts = case
    together = evaluate_models(design, masks, counts, extended=True, chunk_size=16)
    for m in range(0, len(masks), 7):
        alone = evaluate_models(design, masks[m], counts, extended=True)
        assert alone.status[0] == together.status[m]
        np.testing.assert_allclose(alone.estimate[0], together.estimate[m], rtol=1e-10)
        np.testing.assert_allclose(alone.se[0], together.se[m], rtol=1e-8)
        # a model that fits (almost) exactly has a deviance at the level of the convergence tolerance
        np.testing.assert_allclose(alone.deviance[0], together.deviance[m], rtol=1e-9, atol=1e-7)


def test_intercept_variance_alone_equals_the_full_inverse():
    design = Design(5, all_k_way(5, 2))
    rng = np.random.default_rng(4)
    masks = np.ones((30, design.n_columns), dtype=bool)
    masks[:, design.n_base :] = rng.random((30, len(design.terms))) < 0.5
    counts = rng.poisson(20.0, size=31).astype(float) + 1.0
    full = fit_poisson(design.matrix, counts, column_mask=masks)
    small = fit_poisson(design.matrix, counts, column_mask=masks, full_cov=False)
    assert small.cov.shape == (30, 1, 1)
    np.testing.assert_array_equal(small.cov[:, 0, 0], full.cov[:, 0, 0])
    np.testing.assert_array_equal(small.coef, full.coef)


def test_distinct_products_give_every_pair_of_columns():
    for matrix in (Design(6, all_k_way(6, 2)).matrix, np.random.default_rng(1).normal(size=(12, 5))):
        outer, pair_product = _distinct_products(matrix)
        p = matrix.shape[1]
        for i in range(p):
            for j in range(p):
                np.testing.assert_array_equal(outer[:, pair_product[i, j]], matrix[:, i] * matrix[:, j])
        assert not outer[:, -1].any()
    # 57 distinct products (sets of up to four of the six lists) among 253 pairs
    assert _distinct_products(Design(6, all_k_way(6, 2)).matrix)[0].shape[1] == 57 + 1


def test_identifiability_through_the_union_of_columns_equals_model_by_model():
    design = Design(5, all_k_way(5, 3))
    rng = np.random.default_rng(8)  # a sparse table on which some models lose their full rank
    models = enumerate_models(5, 3)
    masks = design.column_masks([models[i] for i in rng.choice(len(models), 300, replace=False)])
    counts = rng.poisson(3.0, size=31).astype(float)
    counts[rng.random(31) < 0.7] = 0
    columns, cells = extended_masks(design, masks, counts)
    together = identifiable_batch(design, columns, cells)
    alone = [identifiable_batch(design, columns[m], cells[m])[0] for m in range(len(masks))]
    np.testing.assert_array_equal(together, alone)
    assert not together.all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_and_models())
def test_information_from_each_models_columns_equals_the_shared_products(case):
    """Past OUTER_LIMIT (many lists) each model's information comes from its own columns: the same fits."""
    import mse.loglinear.fit.irls as irls

    design, masks, counts = case
    shared = evaluate_models(design, masks, counts, extended=True)
    saved = irls.OUTER_LIMIT
    irls.OUTER_LIMIT = 0  # every design is then "too large" for the shared products
    try:
        by_model = evaluate_models(design, masks, counts, extended=True)
    finally:
        irls.OUTER_LIMIT = saved
    np.testing.assert_array_equal(shared.status, by_model.status)
    ok = shared.status == OK
    np.testing.assert_allclose(by_model.estimate[ok], shared.estimate[ok], rtol=1e-9)
    np.testing.assert_allclose(by_model.se[ok], shared.se[ok], rtol=1e-7)
    np.testing.assert_allclose(by_model.deviance[ok], shared.deviance[ok], rtol=1e-9, atol=1e-7)


def test_the_distinct_products_of_a_design_are_found_once_and_cannot_be_changed():
    design = Design(4, all_k_way(4, 2)).matrix
    first = _distinct_products(design)
    again = _distinct_products(design.copy())
    assert first[0] is again[0] and first[1] is again[1]
    with pytest.raises(ValueError):
        first[0][0, 0] = 5.0
