"""Model search over two-factor terms of lists and covariates.

The candidate terms are every two-factor term: list x list, list x covariate
and covariate x covariate (main effects are always in). Three criteria:

``"bic_aic"``
    The recipe of the Dutch trafficking estimates (Cruyff, van Dijk & van der
    Heijden 2017; van Dijk et al. 2017): forward selection from the
    main-effects model, adding at each step the term that lowers BIC most
    until none does, then going on from that model by AIC.
``"bic"``, ``"aic"``
    Exhaustive: every subset of the candidate terms, when there are at most
    ``2**max_exhaustive_terms`` of them (default 10 terms, 1,024 models);
    otherwise forward selection by that criterion (the table says which).

The forward steps rank the candidates by the score (Rao) statistic of adding
each term to the current fit, ``s' V^{-1} s`` with ``V`` the efficient
information of the new columns: ``-2`` times the gain in log-likelihood is
approximately that statistic, so ``criterion(current) - score + penalty``
approximates each candidate's criterion. The ``exact_candidates`` best
candidates by this approximation are then fitted exactly, and the best exact
one is accepted if it lowers the criterion. When the candidates are few or the
table is small (``len(candidates) * rows <= exact_limit``) every candidate is
fitted exactly. With partially classified records the score is that of the
completed table of the current EM fit, which equals the observed-data score
(Louis 1982), and the exact fits repeat EM.

Every accepted step is a row of the search table (step, criterion, term
added, model, parameters, log-likelihood, AIC, BIC, estimate, status); the
candidates considered at each step are in ``details["candidates"]``.

References
----------
Cruyff, M., van Dijk, J. & van der Heijden, P. G. M. (2017). The challenge of
counting victims of human trafficking. *Chance* 30(3), 41–49.

Louis, T. A. (1982). Finding the observed information matrix when using the EM
algorithm. *JRSS B* 44(2), 226–233.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from mse.loglinear.covariates.model_fit import CovariateFit, fit_covariate_model
from mse.loglinear.model.design import Design
from mse.loglinear.model.table import CaptureTable
from mse.loglinear.model.terms import Term, hierarchical_closure, two_factor_terms
from mse.results import ModelSearch

__all__ = ["CRITERIA", "covariate_search"]

CRITERIA = ("bic_aic", "bic", "aic")


def _criterion(fit: CovariateFit, name: str) -> float:
    if not fit.ok:
        return math.inf
    return fit.bic if name == "bic" else fit.aic


def _penalty(name: str, n_observed: int) -> float:
    return math.log(n_observed) if name == "bic" else 2.0


def _score_statistics(fit: CovariateFit, design: Design, candidates: list[Term]) -> np.ndarray:
    """Rao score statistic for adding each candidate term to ``fit`` (all candidates in one product)."""
    X = fit.design
    mu = fit.fitted
    root = np.sqrt(mu)[:, None]
    blocks = [design.block(term)[0] for term in candidates]
    bounds = np.cumsum([0] + [b.shape[1] for b in blocks])
    weighted = np.hstack([X, *blocks]) * root
    info = weighted.T @ weighted
    p = X.shape[1]
    score = np.hstack(blocks).T @ (fit.filled - mu)
    try:
        current_inv = np.linalg.inv(info[:p, :p])
    except np.linalg.LinAlgError:
        current_inv = np.linalg.pinv(info[:p, :p])
    stats = np.empty(len(candidates))
    for i in range(len(candidates)):
        cols = slice(p + bounds[i], p + bounds[i + 1])
        cross = info[cols, :p]
        efficient = info[cols, cols] - cross @ current_inv @ cross.T
        s = score[bounds[i] : bounds[i + 1]]
        stats[i] = float(s @ np.linalg.pinv(efficient) @ s)
    return stats


def _row(step: int, criterion: str, added: str, fit: CovariateFit) -> dict[str, Any]:
    return {
        "step": step,
        "criterion": criterion,
        "added": added,
        "model": fit.model,
        "n_params": fit.n_params,
        "loglik": fit.loglik,
        "deviance": fit.deviance,
        "df": fit.df,
        "aic": fit.aic,
        "bic": fit.bic,
        "estimate": fit.estimate,
        "status": fit.status,
    }


def _forward(
    table: CaptureTable,
    design: Design,
    start: CovariateFit,
    criterion: str,
    candidates: list[Term],
    *,
    exact_candidates: int,
    exact_limit: int,
    step: int,
    path: list[dict[str, Any]],
    considered: list[dict[str, Any]],
) -> CovariateFit:
    current = start
    n = table.n_observed
    while True:
        remaining = [term for term in candidates if term not in current.terms]
        if not remaining:
            return current
        if len(remaining) * table.n_rows <= exact_limit:
            shortlist = remaining
        else:
            approx = (
                _criterion(current, criterion)
                - _score_statistics(current, design, remaining)
                + np.array([_penalty(criterion, n) * design.block(term)[0].shape[1] for term in remaining])
            )
            shortlist = [remaining[i] for i in np.argsort(approx, kind="stable")[:exact_candidates]]
        best: CovariateFit | None = None
        best_term: Term | None = None
        for term in shortlist:
            fit = fit_covariate_model(
                table, design, hierarchical_closure([*current.terms, term]), start_from=current, with_cov=False
            )
            considered.append(
                {
                    "step": step,
                    "criterion": criterion,
                    "term": ":".join(table.factors[i] for i in term),
                    "n_params": fit.n_params,
                    "aic": fit.aic,
                    "bic": fit.bic,
                    "estimate": fit.estimate,
                    "status": fit.status,
                }
            )
            if best is None or _criterion(fit, criterion) < _criterion(best, criterion):
                best, best_term = fit, term
        if best is None or best_term is None or not _criterion(best, criterion) < _criterion(current, criterion):
            return current
        current = best
        path.append(_row(step, criterion, ":".join(table.factors[i] for i in best_term), current))
        step += 1


def covariate_search(
    table: CaptureTable,
    design: Design,
    criterion: str = "bic_aic",
    *,
    max_exhaustive_terms: int = 10,
    exact_candidates: int = 2,
    exact_limit: int = 20_000,
    candidates: list[Term] | None = None,
) -> tuple[ModelSearch, CovariateFit]:
    """Select a log-linear model with covariates by BIC, AIC or the Dutch BIC-then-AIC recipe.

    Parameters
    ----------
    table, design
        The lists x covariates table and its design.
    criterion
        ``"bic_aic"``, ``"bic"`` or ``"aic"`` (see the module notes).
    max_exhaustive_terms
        ``"bic"`` and ``"aic"`` try every subset of the candidate terms when
        there are at most this many; otherwise they search forward.
    exact_candidates, exact_limit
        How many shortlisted candidates are fitted exactly at each forward
        step, and the size (candidates x rows) under which all are.
    candidates
        Candidate terms (default every two-factor term).

    Returns
    -------
    search : ModelSearch
        The path (or, for an exhaustive search, every model) as a table.
    fit : CovariateFit
        The fit of the chosen model.
    """
    if criterion not in CRITERIA:
        from mse.errors import ModelError

        raise ModelError(f"unknown criterion {criterion!r}; choose one of {CRITERIA}.")
    t, c = len(table.lists), len(table.covariates)
    candidates = two_factor_terms(t, c) if candidates is None else list(candidates)
    base = fit_covariate_model(table, design, frozenset(), with_cov=False)
    details: dict[str, Any] = {"n_candidate_terms": len(candidates)}
    if criterion in ("bic", "aic") and len(candidates) <= max_exhaustive_terms:
        rows = []
        fits: dict[frozenset[Term], CovariateFit] = {}
        for size in range(len(candidates) + 1):
            for subset in combinations(candidates, size):
                terms = frozenset(subset)
                fit = fit_covariate_model(table, design, terms, start_from=base, with_cov=False)
                fits[terms] = fit
                rows.append(_row(0, criterion, "", fit))
        frame = pd.DataFrame(rows).drop(columns=["step", "added"])
        frame = frame.sort_values(criterion, kind="stable").reset_index(drop=True)
        best_terms = min(fits, key=lambda k: _criterion(fits[k], criterion))
        chosen = fits[best_terms]
        details["search"] = f"exhaustive over {len(rows)} models"
        return ModelSearch(frame, chosen.model, "exhaustive", criterion, details=details), chosen
    path = [_row(0, "start", "", base)]
    considered: list[dict[str, Any]] = []
    options = {"exact_candidates": exact_candidates, "exact_limit": exact_limit}
    phases = ["bic", "aic"] if criterion == "bic_aic" else [criterion]
    current = base
    for phase in phases:
        current = _forward(
            table, design, current, phase, candidates, step=len(path), path=path, considered=considered, **options
        )
    details["search"] = "forward " + " then ".join(p.upper() for p in phases)
    details["candidates"] = pd.DataFrame(considered)
    method = "bic_aic" if criterion == "bic_aic" else "forward"
    return ModelSearch(pd.DataFrame(path), current.model, method, criterion, details=details), current
