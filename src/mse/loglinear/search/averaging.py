"""Averaging ``N`` over hierarchical log-linear models by their BIC weights.

Selecting one model and reporting its interval ignores that another model,
almost as well supported, may give a very different ``N`` (on ``kosovo`` the
two best models by BIC differ by 0.08 in BIC and by 2,400 in ``N``). The
averaged estimate weighs every model that fits by its approximate posterior
probability under equal prior model probabilities (Raftery 1995),

    w_m = exp(-BIC_m / 2) / sum_k exp(-BIC_k / 2),    N-bar = sum_m w_m N_m.

Models whose fit failed get no weight. :func:`averaged_fits` forms the
average for every table of a batch (bootstrap resamples), so that the
interval of :func:`mse.loglinear.estimators.bic_average` carries the
uncertainty of the weights as well as of each model's fit (Buckland, Burnham
& Augustin 1997). The weights are accumulated block by block with a running
log-sum-exp, so memory does not grow with the number of models or tables.

References
----------
Raftery, A. E. (1995). Bayesian model selection in social research.
*Sociological Methodology* 25, 111-163.

Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection:
an integral part of inference. *Biometrics* 53(2), 603-618.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mse.loglinear.fit.batch import BatchFits
from mse.loglinear.model.design import Design

__all__ = ["FitBlock", "averaged_fits", "bic_weights"]

#: ``fit_block(design, masks, counts) -> BatchFits``: every model of ``masks`` fitted to every table
#: of ``counts`` (tables outer, models inner).
FitBlock = Callable[[Design, np.ndarray, np.ndarray], BatchFits]


def bic_weights(bic: np.ndarray, usable: np.ndarray | None = None) -> np.ndarray:
    """Weights ``exp(-BIC / 2)``, normalised along the last axis; 0 where ``usable`` is false or BIC is not finite.

    A row with no usable model gets all-zero weights.

    Parameters
    ----------
    bic
        BIC values, models along the last axis (rows of a batch before it).
    usable
        Which models may get weight (default: those with a finite BIC).

    Returns
    -------
    numpy.ndarray
        Weights of the shape of ``bic``, each row summing to one (or all zero).

    Examples
    --------
    >>> bic_weights(np.array([10.0, 10.0, np.inf])).round(3).tolist()
    [0.5, 0.5, 0.0]
    """
    bic = np.asarray(bic, dtype=float)
    ok = np.isfinite(bic) if usable is None else np.asarray(usable, dtype=bool) & np.isfinite(bic)
    shifted = np.where(ok, bic, np.inf)
    best = shifted.min(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        raw = np.where(ok, np.exp(-(shifted - np.where(np.isfinite(best), best, 0.0)) / 2), 0.0)
    total = raw.sum(axis=-1, keepdims=True)
    return np.divide(raw, total, out=np.zeros_like(raw), where=total > 0)


def averaged_fits(
    design: Design,
    masks: np.ndarray,
    counts: np.ndarray,
    fit_block: FitBlock,
    rows: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BIC-weighted average of ``N`` over the candidates ``masks``, for every table.

    Parameters
    ----------
    design, masks
        The shared design and the ``(M, p)`` column masks of the candidates.
    counts
        ``(B, n)`` tables.
    fit_block
        ``fit_block(design, masks, counts) -> BatchFits`` for the tiling of
        ``masks`` over ``counts`` (tables outer, models inner).
    rows
        Fits per batched solve.

    Returns
    -------
    estimate : ndarray, shape (B,)
        The averaged ``N`` (``nan`` where no candidate could be fitted).
    best_index : ndarray, shape (B,)
        The candidate with the largest weight (-1 where none).
    n_usable : ndarray, shape (B,)
        How many candidates were fitted.

    Examples
    --------
    Independence, ``P:Q`` and ``Q:E`` averaged on one table:

    >>> import numpy as np
    >>> import mse
    >>> from mse.loglinear.fit.batch import evaluate_models
    >>> from mse.loglinear.model.design import Design
    >>> design = Design(3, [(0, 1), (0, 2), (1, 2)])
    >>> masks = design.column_masks([[], [(0, 1)], [(1, 2)]])
    >>> counts = mse.load_dataset("hepatitis_a").dense_counts()[1:][None, :].astype(float)
    >>> def fit_block(design, masks, counts):
    ...     return evaluate_models(design, np.tile(masks, (len(counts), 1)), np.repeat(counts, len(masks), axis=0))
    >>> estimate, best_index, n_usable = averaged_fits(design, masks, counts, fit_block, rows=64)
    >>> estimate.round(1), best_index, n_usable
    (array([398.1]), array([0]), array([3]))
    """
    n_tables, n_models = counts.shape[0], len(masks)
    best_bic = np.full(n_tables, np.inf)
    best_index = np.full(n_tables, -1)
    weight_sum = np.zeros(n_tables)  # sum of exp(-(BIC - best_bic) / 2)
    weighted_n = np.zeros(n_tables)  # sum of exp(-(BIC - best_bic) / 2) * N
    n_usable = np.zeros(n_tables, dtype=int)
    tables_per_block = max(1, rows // max(n_models, 1))
    models_per_block = min(n_models, max(rows, 1))
    for start in range(0, n_tables, tables_per_block):
        tables = slice(start, min(start + tables_per_block, n_tables))
        for m in range(0, n_models, models_per_block):
            models = slice(m, min(m + models_per_block, n_models))
            fits: BatchFits = fit_block(design, masks[models], counts[tables])
            shape = (tables.stop - tables.start, -1)
            usable = (fits.ok & np.isfinite(fits.estimate) & np.isfinite(fits.bic)).reshape(shape)
            bic = np.where(usable, fits.bic.reshape(shape), np.inf)
            estimate = np.where(usable, fits.estimate.reshape(shape), 0.0)
            block_best = bic.min(axis=1)
            new_best = np.minimum(best_bic[tables], block_best)
            reference = np.where(np.isfinite(new_best), new_best, 0.0)
            with np.errstate(invalid="ignore", over="ignore"):
                rescale = np.where(np.isfinite(best_bic[tables]), np.exp(-(best_bic[tables] - reference) / 2), 0.0)
                weights = np.where(usable, np.exp(-(bic - reference[:, None]) / 2), 0.0)
            weight_sum[tables] = weight_sum[tables] * rescale + weights.sum(axis=1)
            weighted_n[tables] = weighted_n[tables] * rescale + (weights * estimate).sum(axis=1)
            improved = block_best < best_bic[tables]
            rows_improved = np.flatnonzero(improved)
            best_index[rows_improved + start] = bic[rows_improved].argmin(axis=1) + m
            best_bic[tables] = new_best
            n_usable[tables] += usable.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(weight_sum > 0, weighted_n / weight_sum, np.nan)
    return estimate, best_index, n_usable
