"""Fit many log-linear models (or many count vectors) at once and label each fit's status.

Every model search and the bootstrap go through :func:`evaluate_models`: one
batched Newton solve (:func:`mse.loglinear.fit.irls.fit_poisson`) over all models,
the extended-MLE reduction per row, and a status per row that is ``"ok"`` or
says why the estimate does not exist. Failures are labels, never exceptions.

Two extended MLEs are distinguished. Terms whose lists never overlap are
always fitted at minus infinity (Chan, Silverman & Vincent 2021), in searches
too. A fit that the existence program shows to be on the boundary for another
reason is refitted on its facial set (Fienberg & Rinaldo 2012) only with
``extended=True``, which the fits of one given model use; model searches
leave such models out (status :data:`NO_MLE`), as SparseMSE does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mse.loglinear.fit.existence import facial_batch, identifiable_batch
from mse.loglinear.fit.irls import fit_poisson
from mse.loglinear.fit.model_fit import information_criteria, population_from_fits
from mse.loglinear.model.design import Design, extended_masks

__all__ = ["BatchFits", "evaluate_models"]

OK = "ok"
NOT_IDENTIFIABLE = "not identifiable (too few cells left for the parameters after dropping non-overlapping terms)"
NO_MLE = "MLE does not exist (an empty cell is fitted at 0; a parameter is at infinity)"
NO_EXTENDED_MLE = (
    "MLE does not exist (an empty cell is fitted at 0; a parameter is at infinity) and N is not identifiable on "
    "the other cells (the unobserved cell moves with the diverging parameters)"
)
NOT_CONVERGED = "Newton iteration did not converge"
ILL_CONDITIONED = "ill-conditioned fit (information matrix nearly singular)"


@dataclass(frozen=True)
class BatchFits:
    """Per-row results of :func:`evaluate_models` (row = model x count vector)."""

    estimate: np.ndarray
    se: np.ndarray
    log_dark_se: np.ndarray
    deviance: np.ndarray
    df: np.ndarray
    n_params: np.ndarray
    loglik: np.ndarray
    aic: np.ndarray
    bic: np.ndarray
    aicc: np.ndarray
    status: np.ndarray
    fitted: np.ndarray
    columns: np.ndarray
    cells: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.status == OK


def evaluate_models(
    design: Design,
    column_masks: np.ndarray,
    counts: np.ndarray,
    *,
    check_existence: bool = True,
    extended: bool = False,
    chunk_size: int = 2048,
    on_chunk: Callable[[int], object] | None = None,
) -> BatchFits:
    """Fit each row's model to its counts, with the extended MLE, and label the result.

    Parameters
    ----------
    design
        Shared design with every candidate term.
    column_masks
        ``(M, p)`` or ``(p,)`` model columns (the model as specified, before the
        extended-MLE reduction).
    counts
        ``(M, n)`` or ``(n,)`` counts of the observable cells.
    check_existence
        Confirm fits that drift to the boundary with the existence linear program
        (cached by zero pattern); otherwise the drift alone marks them.
    extended
        Refit a row whose MLE does not exist on its facial set, and report
        ``N`` where the facial set determines it (the extended MLE; see
        :func:`mse.loglinear.fit.existence.facial_set`); a row where it does not
        gets :data:`NO_EXTENDED_MLE`. Needs ``check_existence``.
    chunk_size
        Models solved together. Models are sorted by size first, so a smaller
        chunk packs each model into a system closer to its own size: 2,048
        fits the 32,768 two-way models of six lists about 20 % faster than
        8,192, with the same results to rounding (1e-14).
    on_chunk
        Called with the number of models of each chunk once it is fitted (a
        progress bar's ``update``).

    Returns
    -------
    BatchFits
        ``estimate`` and ``se`` are ``nan`` where ``status`` is not ``"ok"``.

    References
    ----------
    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.
    """
    column_masks = np.atleast_2d(np.asarray(column_masks, dtype=bool))
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    batch = max(len(column_masks), len(counts))
    column_masks = np.broadcast_to(column_masks, (batch, column_masks.shape[1]))
    counts = np.broadcast_to(counts, (batch, counts.shape[1]))
    n_observed = counts.sum(axis=1)
    columns, cells = extended_masks(design, column_masks, counts)
    fits = fit_poisson(
        design.matrix,
        counts,
        column_mask=columns,
        cell_mask=cells,
        chunk_size=chunk_size,
        full_cov=False,
        on_chunk=on_chunk,
    )
    estimate, se = population_from_fits(fits, n_observed)
    n_params = column_masks.sum(axis=1)
    aic, bic, aicc = information_criteria(fits.loglik, n_params, n_observed)

    status = np.full(batch, OK, dtype=object)
    status[~fits.converged] = NOT_CONVERGED
    reduced = ~cells.all(axis=1)
    if reduced.any():
        rows = np.flatnonzero(reduced)
        # identifiability depends only on the cells and columns kept: check each pattern once
        stacked = np.hstack([cells[rows], columns[rows]])
        packed = np.packbits(stacked, axis=1)
        keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
        _keys, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        patterns = stacked[first]
        n_cells = cells.shape[1]
        too_few = ~identifiable_batch(design, patterns[:, n_cells:], patterns[:, :n_cells])
        status[rows[too_few[inverse.ravel()]]] = NOT_IDENTIFIABLE
    suspect = np.flatnonzero(fits.boundary & (status != NOT_IDENTIFIABLE))
    with np.errstate(invalid="ignore"):
        log_dark_se = np.sqrt(fits.cov[:, 0, 0])
    deviance, loglik, fitted = fits.deviance, fits.loglik, fits.fitted
    df = fits.df
    if suspect.size:
        if check_existence:
            exists, face_columns, face_cells, n_identifiable = facial_batch(
                design, columns[suspect], cells[suspect], counts[suspect]
            )
            status[suspect[~exists]] = NO_MLE
            status[suspect[exists]] = ILL_CONDITIONED
            if extended:
                status[suspect[~exists & ~n_identifiable]] = NO_EXTENDED_MLE
                chosen = ~exists & n_identifiable
                rows = suspect[chosen]
                if rows.size:
                    face = fit_poisson(
                        design.matrix,
                        counts[rows],
                        column_mask=face_columns[chosen],
                        cell_mask=face_cells[chosen],
                        chunk_size=chunk_size,
                        full_cov=False,
                    )
                    estimate, se, log_dark_se = estimate.copy(), se.copy(), log_dark_se.copy()
                    deviance, loglik, fitted = deviance.copy(), loglik.copy(), fitted.copy()
                    df, columns, cells = df.copy(), columns.copy(), cells.copy()
                    estimate[rows], se[rows] = population_from_fits(face, n_observed[rows])
                    with np.errstate(invalid="ignore"):
                        log_dark_se[rows] = np.sqrt(face.cov[:, 0, 0])
                    deviance[rows], loglik[rows], fitted[rows], df[rows] = (
                        face.deviance,
                        face.loglik,
                        face.fitted,
                        face.df,
                    )
                    columns[rows], cells[rows] = face_columns[chosen], face_cells[chosen]
                    status[rows] = np.where(
                        ~face.converged, NOT_CONVERGED, np.where(face.boundary, ILL_CONDITIONED, OK)
                    )
                    aic, bic, aicc = information_criteria(loglik, n_params, n_observed)
        else:
            status[suspect] = NO_MLE
    bad = status != OK
    return BatchFits(
        estimate=np.where(bad, np.nan, estimate),
        se=np.where(bad, np.nan, se),
        log_dark_se=np.where(bad, np.nan, log_dark_se),
        deviance=deviance,
        df=df,
        n_params=n_params,
        loglik=loglik,
        aic=aic,
        bic=bic,
        aicc=aicc,
        status=status,
        fitted=fitted,
        columns=columns,
        cells=cells,
    )
