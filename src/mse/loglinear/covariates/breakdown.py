"""Parametric bootstrap of a log-linear model with covariates, for the total and every level.

Each replicate draws the observable table from the fitted model, refits the
same model, and records, for every complete covariate cell, the people
observed in the replicate plus the refitted dark figure. The draws of the
total are the sums over cells; :meth:`mse.Estimate.breakdown` sums the same
replicates over the cells of each level, so the total and every level come
from one set of replicates and the levels add up to the total in every
replicate.

The observable counts are drawn as independent Poisson counts with the fitted
means (the sampling model of the log-linear fit; the number observed varies
between replicates, as it would between repeated registrations). When some
records lack covariate values, each drawn count is then split over the
missingness patterns with the shares observed among the records of the same
capture history (missingness depending on the lists, not on the unobserved
values: missing at random), and the replicate is refitted by EM. This is the
bootstrap of van der Heijden et al. (2012) and of the Dutch trafficking
estimates, with the EM step of Zwane & van der Heijden (2007) repeated in
every replicate.

References
----------
Buckland, S. T. & Garthwaite, P. H. (1991). Quantifying precision of
mark-recapture estimates using the bootstrap and related methods. *Biometrics*
47(1), 255–268.

Zwane, E. N. & van der Heijden, P. G. M. (2007). *Statistics in Medicine* 26(5), 1069–1089.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mse.loglinear.covariates.em import e_step, fit_em
from mse.loglinear.covariates.model_fit import CovariateFit
from mse.loglinear.fit.irls import MAX_ETA, DesignInformation
from mse.options import check_random_seed
from mse.progress_bars import ChunkProgress, ProgressBar

__all__ = ["BootstrapDraws", "parametric_bootstrap"]

#: Replicates x rows held in memory at once.
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class BootstrapDraws:
    """Bootstrap replicates of a covariate model.

    Attributes
    ----------
    strata_draws : ndarray, shape (n_boot, K)
        Observed plus dark figure in every complete covariate cell; ``nan`` rows
        for failed replicates.
    totals : ndarray, shape (n_boot,)
        ``N`` in each replicate (row sums).
    failed : ndarray of bool, shape (n_boot,)
        Replicates whose refit did not converge or gave no finite dark figure.
    """

    strata_draws: np.ndarray
    totals: np.ndarray
    failed: np.ndarray

    @property
    def n_failed(self) -> int:
        return int(self.failed.sum())


def _partial_counts(fit: CovariateFit, split: np.ndarray) -> np.ndarray:
    table = fit.table
    n_groups = table.partial.shape[0]
    batch = split.shape[0]
    out = np.zeros(batch * n_groups)
    base = (np.arange(batch) * n_groups)[:, None]
    for p in range(1, len(table.patterns)):
        index = base + table.group_of_row[p][None, :]
        out += np.bincount(index.ravel(), weights=split[..., p].ravel().astype(float), minlength=batch * n_groups)
    return out.reshape(batch, n_groups)


def parametric_bootstrap(
    fit: CovariateFit,
    *,
    n_boot: int = 1000,
    random_seed: int | None = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
) -> BootstrapDraws:
    """Parametric bootstrap replicates of ``N`` by complete covariate cell.

    Parameters
    ----------
    fit
        A fitted model with covariates (status ``"ok"``).
    n_boot
        Number of replicates.
    random_seed
        Seed; the same seed gives the same replicates.
    progress
        Progress bar (``None``: only for long runs in a terminal).
    chunk_size
        Replicates refitted together (default: as many as keep about four
        million table entries in memory).

    Returns
    -------
    BootstrapDraws
    """
    table = fit.table
    rng = np.random.default_rng(check_random_seed(random_seed))
    n_rows = table.n_rows
    chunk = chunk_size or max(1, min(n_boot, _CHUNK_CELLS // max(n_rows, 1)))
    info = DesignInformation(fit.design)
    draws = np.full((n_boot, table.n_cells), np.nan)
    failed = np.zeros(n_boot, dtype=bool)
    rates = table.pattern_rates[table.history_of_row] if table.has_missing else None
    with ProgressBar(n_boot, label="bootstrap", enabled=progress) as bar:
        for start in range(0, n_boot, chunk):
            size = min(chunk, n_boot - start)
            counts = rng.poisson(fit.fitted, size=(size, n_rows)).astype(float)
            if rates is not None:
                split = rng.multinomial(counts.astype(np.int64), rates[None, :, :])
                complete = split[..., 0].astype(float)
                partial_counts = _partial_counts(fit, split)
            else:
                complete = counts
                partial_counts = np.zeros((size, 0))
            within = ChunkProgress(bar, size)  # the bar moves with the iterations, not only per chunk
            fits = fit_em(
                fit.design,
                complete,
                table.partial,
                partial_counts,
                start=fit.coefficients,
                information=info,
                max_iter=500,
                on_progress=within,
            )
            if rates is not None:
                filled = e_step(fits.fitted, complete, table.partial, partial_counts)
            else:
                filled = complete
            with np.errstate(over="ignore", invalid="ignore"):
                dark = np.exp(np.minimum(fits.coef @ fit.dark_design.T, MAX_ETA))
            cells = table.cell_totals(filled) + dark
            bad = ~fits.converged | ~np.isfinite(cells).all(axis=1)
            cells[bad] = np.nan
            draws[start : start + size] = cells
            failed[start : start + size] = bad
            within.finish()
    return BootstrapDraws(draws, draws.sum(axis=1), failed)
