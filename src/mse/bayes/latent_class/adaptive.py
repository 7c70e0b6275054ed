"""Run many chains until ``N`` has converged, or until a budget of draws (or seconds, if asked for) is spent.

Draws are taken in blocks; after each block the rank-normalised split R-hat
and the bulk effective sample size of ``N`` (Vehtari et al. 2021, computed
in numpy by :mod:`mse.bayes.convergence`, the same numbers as ArviZ's) are
checked against their targets. Blocks grow with the run (a quarter
of the draws so far), so the checks cost little next to the sampling.

The checks fall at fixed numbers of draws, so without a time budget the run,
and every draw in it, depends on the seed alone and never on the speed of the
machine: the clock is not read at all. A time budget (``max_seconds``) is
only ever the user's choice, and a run it cuts short says so in its
``stop_reason``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mse.bayes import backend
from mse.bayes.backend import ConvergenceRule
from mse.bayes.convergence import ess_bulk, rhat_rank
from mse.progress_bars import ProgressBar

__all__ = ["RunBudget", "RunOutcome", "deadline", "past", "run_chains"]

#: What a sampler returns per kept iteration: ``n0``, ``p0``, ``alpha`` and the number of occupied classes.
Record = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class RunBudget:
    """When to stop drawing.

    Attributes
    ----------
    draws : int or None
        A fixed number of draws per chain; ``None`` runs until convergence
        (or the budget below).
    max_draws : int
        Most draws per chain of an adaptive run.
    max_seconds : float or None
        Most seconds of an adaptive run, counted from the start of sampling
        (warm-up included); ``None`` (the default) sets no time limit, so that
        the draws depend on the seed only.
    target_rhat, target_ess : float or None
        Stop once R-hat of ``N`` is at most ``target_rhat`` and its bulk ESS
        at least ``target_ess``; ``None`` (the default) takes the threshold of
        the rule every sampler applies, :data:`mse.bayes.backend.CONVERGENCE`.
    min_draws : int
        Draws per chain before the first check.
    """

    draws: int | None = None
    max_draws: int = 50_000
    max_seconds: float | None = None
    target_rhat: float | None = None
    target_ess: float | None = None
    min_draws: int = 200

    @property
    def rule(self) -> ConvergenceRule:
        """The convergence rule of this run: the shared one, with any target set here in its place."""
        shared = backend.CONVERGENCE
        return ConvergenceRule(
            max_rhat=shared.max_rhat if self.target_rhat is None else self.target_rhat,
            min_ess=shared.min_ess if self.target_ess is None else self.target_ess,
        )


@dataclass(frozen=True)
class RunOutcome:
    """Draws of ``(n0, p0, alpha, n_classes)``, each ``(chains, draws)``, and why the run stopped."""

    n0: np.ndarray
    p0: np.ndarray
    alpha: np.ndarray
    n_classes: np.ndarray
    stop_reason: str  # "fixed", "converged", "max_draws" or "max_seconds"
    checks: int


def deadline(started: float, max_seconds: float | None) -> float | None:
    """``started + max_seconds``, or ``None`` when there is no time budget."""
    return None if max_seconds is None else started + max_seconds


def past(deadline: float | None) -> bool:
    """Whether the clock has passed ``deadline``; never reads the clock when there is none."""
    return deadline is not None and time.perf_counter() > deadline


#: Most records held before they are summarised (bounds the memory of a long run of fixed length).
_RECORDS_PER_SUMMARY = 1000

#: Most draws per chain asked of a sampler's ``block`` at once; fixed, so that the draws do not depend on a budget.
_BLOCK_DRAWS = 50


def _diagnostics(N: np.ndarray) -> tuple[float, float]:
    # Only the numbers decide; a NaN (chains that never move) counts as not converged.
    values = N.astype(float)
    return rhat_rank(values), ess_bulk(values)


def _stack_records(records: Sequence[Any]) -> Record:
    n0, p0, alpha, n_classes = (np.stack(values, axis=1) for values in zip(*records))
    return n0, p0, alpha, n_classes


def run_chains(
    advance: Callable[[], object],
    record: Callable[[], Any],
    n_observed: int,
    budget: RunBudget,
    thin: int,
    started: float,
    summarise: Callable[[Sequence[Any]], Record] = _stack_records,
    block: Callable[[int], Sequence[Any]] | None = None,
) -> RunOutcome:
    """Call ``advance`` (one iteration of every chain) and ``record`` until the budget says stop.

    Parameters
    ----------
    advance : callable
        Moves every chain by one iteration.
    record : callable
        Returns what is kept of every chain's current state: by default ``(n0, p0, alpha,
        n_classes)``, or anything that ``summarise`` turns into them.
    summarise : callable
        Turns the records of the iterations since the last check into ``(n0, p0, alpha,
        n_classes)``, each ``(chains, iterations)``, in one call (a sampler can then compute
        them for many iterations at once).
    block : callable or None
        ``block(m)`` runs ``m * thin`` iterations and returns the ``m`` records of the kept ones;
        when given, it is used in place of ``advance`` and ``record``, with ``m`` at most
        :data:`_BLOCK_DRAWS` (1 under a time budget, whose clock is read between blocks).
    n_observed : int
        ``n``, so that ``N = n + n0``.
    budget : RunBudget
        Fixed length, or targets and limits of an adaptive run.
    thin : int
        Iterations per kept draw.
    started : float
        ``time.perf_counter()`` at the start of the run (warm-up included);
        used only with a time budget.

    Returns
    -------
    RunOutcome
        ``stop_reason`` is ``"max_seconds"`` whenever the time budget decided
        where the run ended, even if ``N`` looked converged there: such a run
        stopped after a number of draws that depends on the machine.

    Notes
    -----
    A progress bar counts the draws per chain (see :mod:`mse.progress_bars`:
    drawn where someone watches a run of more than a few seconds, or as
    :func:`mse.set_options` says) and shows R-hat and the effective sample
    size of ``N`` after every convergence check.
    """
    blocks: list[list[np.ndarray]] = [[], [], [], []]

    pending: list[Any] = []

    def flush() -> None:
        if pending:
            for store, values in zip(blocks, summarise(pending)):
                store.append(values)
            pending.clear()

    def take(n: int, until: float | None) -> int:
        done = 0
        if block is not None:
            # Under a time budget the clock is read after every draw, so that the run stops at the first
            # draw past it; without one, blocks of a fixed size (the clock is not read).
            size = 1 if until is not None else _BLOCK_DRAWS
            while done < n:
                records = block(min(size, n - done))
                pending.extend(records)
                done += len(records)
                if len(pending) >= _RECORDS_PER_SUMMARY:
                    flush()
                if past(until):
                    break
            flush()
            return done
        for _ in range(n):
            for _ in range(thin):
                advance()
            pending.append(record())
            done += 1
            if len(pending) == _RECORDS_PER_SUMMARY:
                flush()
            if past(until):
                break
        flush()
        return done

    with ProgressBar(budget.draws, label="latent-class draws per chain") as bar:
        _, reason, checks = _run(take, bar, blocks, budget, n_observed, started)
    n0, p0, alpha, n_classes = (np.concatenate(store, axis=1) for store in blocks)
    return RunOutcome(n0=n0, p0=p0, alpha=alpha, n_classes=n_classes, stop_reason=reason, checks=checks)


def _run(
    take: Callable[[int, float | None], int],
    bar: ProgressBar,
    blocks: list[list[np.ndarray]],
    budget: RunBudget,
    n_observed: int,
    started: float,
) -> tuple[int, str, int]:
    """Draw until the budget says stop: the draws per chain, why it stopped and the number of checks."""
    drawn = checks = 0
    if budget.draws is not None:
        drawn = take(budget.draws, None)
        bar.update(drawn)
        return drawn, "fixed", checks
    until = deadline(started, budget.max_seconds)
    target = min(budget.min_draws, budget.max_draws)
    reason = "max_draws"
    rule = budget.rule
    while True:
        taken = take(target - drawn, until)
        drawn += taken
        cut_short = drawn < target
        n0 = np.concatenate(blocks[0], axis=1)
        rhat, ess = _diagnostics(n0 + n_observed)
        checks += 1
        bar.update(taken, note=f"R-hat of N {rhat:.3f}, ESS {ess:,.0f}")
        if not cut_short and rule.converged(rhat, ess):
            reason = "converged"
            break
        if cut_short or past(until):
            reason = "max_seconds"
            break
        if drawn >= budget.max_draws:
            break
        target = min(budget.max_draws, drawn + max(100, drawn // 4))
    return drawn, reason, checks
