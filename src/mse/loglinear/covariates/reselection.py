"""Nonparametric bootstrap of a covariate model that repeats the model selection in every replicate.

The parametric bootstrap of :mod:`mse.loglinear.covariates.breakdown` holds
the chosen model fixed, so its intervals describe the sampling error *given
the model*. When the model was chosen from the data (by BIC, AIC or the Dutch
BIC-then-AIC recipe of Cruyff, van Dijk & van der Heijden 2017), the choice is
part of the estimator and its variability belongs in the interval (Buckland,
Burnham & Augustin 1997; Silverman, Chan & Vincent 2024). Here every
replicate repeats the whole procedure:

1. *Resample the people.* The ``n`` people observed are drawn with
   replacement, which on the aggregated table is one multinomial draw of size
   ``n`` over its observed units: the rows of fully classified records (a
   capture history in a complete covariate cell) and the groups of partially
   classified ones (a history with some covariate values missing), with
   probabilities proportional to their counts.
2. *Redo EM* for the partially classified records of the replicate.
3. *Redo the search* (or refit the fixed model) and record, for every complete
   covariate cell, the people observed there plus its dark figure.

The total of a replicate is the sum over its cells, so the draws of the
levels add up to those of the total and :meth:`mse.Estimate.breakdown`,
``contrast`` and ``trend`` take their limits from the same replicates.

The BCa limits of the total (Efron 1987) take the bias correction from the
share of replicates below the point estimate and the acceleration from the
jackknife: leaving out one person of a row or group gives the same table for
every person in it, so the jackknife refits the whole procedure once per
observed row or group and weights the result by its count, as
:mod:`mse.loglinear.intervals.bootstrap` does for the table of the lists alone
(whose :func:`~mse.bootstrap_limits.bca_limits` and
:func:`~mse.bootstrap_limits.jackknife_acceleration` are used).

A replicate whose procedure fails (no fit converges, the selected model has no
finite dark figure) is recorded as a row of ``nan`` with its reason; it is
left out of the limits.

Resampling people holds ``n`` fixed, so the interval leaves out the binomial
variation of ``n`` about ``N (1 - p0)``; see the notes of
:func:`mse.loglinear.intervals.bootstrap.bootstrap_interval`.

References
----------
Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the
American Statistical Association* 82(397), 171–185.

Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection: an
integral part of inference. *Biometrics* 53(2), 603–618.

Silverman, B. W., Chan, L. & Vincent, K. (2024). Bootstrapping multiple
systems estimates to account for model selection. *Statistics and
Computing* 34, 44.

Cruyff, M., van Dijk, J. & van der Heijden, P. G. M. (2017). The challenge of
counting victims of human trafficking. *Chance* 30(3), 41–49.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mse.bootstrap_limits import bca_limits, jackknife_acceleration, percentile_limits
from mse.budget import checkpoint
from mse.errors import EstimabilityError, ModelError
from mse.loglinear.covariates.model_fit import CovariateFit
from mse.loglinear.model.table import CaptureTable
from mse.options import check_random_seed
from mse.progress_bars import ProgressBar

__all__ = ["SelectionBootstrap", "resample_people", "selection_bootstrap"]

#: The procedure a replicate repeats: a table in, the fit of the model it selects out.
Procedure = Callable[[CaptureTable], CovariateFit]

# Errors of one replicate's fit that mark the replicate failed instead of ending the bootstrap.
_REPLICATE_ERRORS = (ModelError, EstimabilityError, np.linalg.LinAlgError, FloatingPointError, ValueError)


@dataclass(frozen=True)
class SelectionBootstrap:
    """Replicates of a covariate model's estimate with the selection repeated in each.

    Attributes
    ----------
    strata_draws : ndarray, shape (n_boot, K)
        Observed plus dark figure in every complete covariate cell; ``nan``
        rows for failed replicates.
    totals : ndarray, shape (n_boot,)
        ``N`` in each replicate (row sums).
    failed : ndarray of bool, shape (n_boot,)
    models : list of str
        The model each replicate selected (``""`` where it failed).
    failure_reasons : dict
        Reason -> number of failed replicates.
    jackknife_cells, jackknife_weights : ndarray
        The estimate of every complete covariate cell with one person of each
        observed row or group left out (one row each), and the count of that
        row or group.
    """

    strata_draws: np.ndarray
    totals: np.ndarray
    failed: np.ndarray
    models: list[str]
    failure_reasons: dict[str, int]
    jackknife_cells: np.ndarray
    jackknife_weights: np.ndarray

    @property
    def n_failed(self) -> int:
        return int(self.failed.sum())

    @property
    def acceleration(self) -> float:
        """Efron's acceleration from the weighted jackknife."""
        return jackknife_acceleration(self.jackknife_totals, self.jackknife_weights)

    @property
    def jackknife_totals(self) -> np.ndarray:
        """``N`` with one person of each observed row or group left out."""
        return self.jackknife_cells.sum(axis=1)

    def limits(self, point_estimate: float, level: float) -> dict[str, Any]:
        """BCa and percentile limits of the total, with the bias correction and acceleration.

        Parameters
        ----------
        point_estimate
            The estimate of ``N`` on the original table.
        level
            Nominal coverage.

        Returns
        -------
        dict
            ``lower``, ``upper`` (BCa), ``status``, ``z0``, ``acceleration``
            and ``percentile_limits``.
        """
        acceleration = self.acceleration
        lower, upper, z0, status = bca_limits(self.totals, point_estimate, acceleration, level)
        return {
            "lower": lower,
            "upper": upper,
            "status": status,
            "z0": z0,
            "acceleration": acceleration,
            "percentile_limits": percentile_limits(self.totals, level),
        }

    def model_frequencies(self) -> dict[str, int]:
        """How often each model was selected, most frequent first."""
        return dict(Counter(model for model in self.models if model).most_common())


def _units(table: CaptureTable) -> np.ndarray:
    """The observed units of the table: fully classified rows, then partially classified groups."""
    return np.concatenate([table.counts, table.partial_counts])


def resample_people(table: CaptureTable, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_boot`` tables of the ``n`` observed people resampled with replacement.

    Parameters
    ----------
    table
        The observed lists x covariates table.
    n_boot
        Number of tables.
    rng
        Random generator.

    Returns
    -------
    counts : ndarray, shape (n_boot, rows)
        Fully classified records per row.
    partial_counts : ndarray, shape (n_boot, groups)
        Partially classified records per group.

    Examples
    --------
    >>> import numpy as np
    >>> import mse
    >>> from mse.loglinear.model.table import build_table
    >>> table = build_table(mse.load_dataset("spina_bifida_ethnicity"))
    >>> counts, partial = resample_people(table, 5, np.random.default_rng(1))
    >>> counts.shape, bool(np.all(counts.sum(axis=1) + partial.sum(axis=1) == table.n_observed))
    ((5, 21), True)
    """
    units = _units(table)
    draws = rng.multinomial(round(units.sum()), units / units.sum(), size=n_boot).astype(float)
    return draws[:, : table.n_rows], draws[:, table.n_rows :]


def _jackknife_tables(table: CaptureTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One table per observed row or group, with one of its people left out, and the counts as weights."""
    units = _units(table)
    observed = np.flatnonzero(units > 0)
    tables = np.repeat(units[None, :], observed.size, axis=0)
    tables[np.arange(observed.size), observed] -= 1.0
    return tables[:, : table.n_rows], tables[:, table.n_rows :], units[observed]


def _evaluate(
    table: CaptureTable, procedure: Procedure, counts: np.ndarray, partial_counts: np.ndarray, bar: ProgressBar | None
) -> tuple[np.ndarray, list[str], list[str]]:
    """Run ``procedure`` on every replicate table: cell estimates, selected models, failure reasons."""
    cells = np.full((counts.shape[0], table.n_cells), math.nan)
    models = [""] * counts.shape[0]
    reasons = [""] * counts.shape[0]
    for b in range(counts.shape[0]):
        checkpoint(f"selection bootstrap (replicate {b:,} of {counts.shape[0]:,})")
        replicate = replace(table, counts=counts[b], partial_counts=partial_counts[b])
        try:
            with np.errstate(all="ignore"):
                fit = procedure(replicate)
        except _REPLICATE_ERRORS as error:
            reasons[b] = f"{type(error).__name__}: {error}"
        else:
            estimate = fit.observed_cells + fit.dark
            if not fit.ok:
                reasons[b] = fit.status
            elif not np.all(np.isfinite(estimate)):
                reasons[b] = "estimate not finite"
            else:
                cells[b], models[b] = estimate, fit.model
        if bar is not None:
            bar.update(1)
    return cells, models, reasons


def selection_bootstrap(
    table: CaptureTable,
    procedure: Procedure,
    *,
    n_boot: int = 1000,
    random_seed: int | None = None,
    progress: bool | None = None,
) -> SelectionBootstrap:
    """Resample the people, redo EM and the model selection in every replicate, and jackknife for BCa.

    Parameters
    ----------
    table
        The observed lists x covariates table.
    procedure
        The estimator to repeat: takes a table and returns the fit of the model
        it selects (a search followed by a fit, or the fit of a fixed model).
        It should warm-start from the original fit where it can.
    n_boot, random_seed, progress
        As for :func:`mse.loglinear.covariates.breakdown.parametric_bootstrap`.

    Returns
    -------
    SelectionBootstrap

    References
    ----------
    Efron (1987); Buckland, Burnham & Augustin (1997); Silverman, Chan &
    Vincent (2024): in the references of this module.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear.covariates.model_search import covariate_search
    >>> from mse.loglinear.model import Design, build_table
    >>> table = build_table(mse.load_dataset("spina_bifida_ethnicity"))
    >>> design = Design(table)
    >>> def bic_search(replicate):
    ...     return covariate_search(replicate, design, "bic_aic")[1]
    >>> boot = selection_bootstrap(table, bic_search, n_boot=20, random_seed=1)
    >>> boot.strata_draws.shape, boot.n_failed, len(boot.model_frequencies()) >= 1
    ((20, 3), 0, True)
    """
    n_boot = int(n_boot)
    if n_boot < 2:
        raise ModelError(f"n_boot must be an integer of at least 2 (1000 is usual), got {n_boot!r}.")
    rng = np.random.default_rng(check_random_seed(random_seed))
    counts, partial_counts = resample_people(table, n_boot, rng)
    jack_counts, jack_partial, weights = _jackknife_tables(table)
    with ProgressBar(n_boot + len(weights), label="selection bootstrap", enabled=progress) as bar:
        cells, models, reasons = _evaluate(table, procedure, counts, partial_counts, bar)
        jack_cells, _, _ = _evaluate(table, procedure, jack_counts, jack_partial, bar)
    failed = np.isnan(cells).any(axis=1)
    return SelectionBootstrap(
        strata_draws=cells,
        totals=cells.sum(axis=1),
        failed=failed,
        models=models,
        failure_reasons=dict(Counter(reason for reason in reasons if reason).most_common()),
        jackknife_cells=jack_cells,
        jackknife_weights=weights,
    )
