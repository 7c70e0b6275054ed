"""A minimal replacement for ``mse.loglinear.selection`` used when that module is absent.

It fits only fixed models (``"independence"`` and ``"loglinear"`` with
``model=...``), directly with :func:`mse.loglinear.irls.fit_poisson`, and has
the same call signatures and return shapes as the real module. Replicates
whose maximum likelihood estimate is on the boundary (it does not exist as a
finite vector) are reported as failed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mse.loglinear.irls import fit_poisson


@dataclass(frozen=True)
class BatchSelection:
    estimate: np.ndarray
    model: tuple[str, ...]
    status: np.ndarray


def design_matrix(lists: Sequence[str], model: str) -> np.ndarray:
    """Intercept, main effects and the interactions named in ``model`` (with their sub-terms)."""
    t = len(lists)
    codes = np.arange(1, 2**t)
    cells = np.array([[(code >> (t - 1 - i)) & 1 for i in range(t)] for code in codes], dtype=float)
    terms: set[tuple[int, ...]] = set()
    if model.strip() != "independence":
        for generator in model.split("+"):
            members = sorted(lists.index(name.strip()) for name in generator.split(":"))
            for k in range(2, len(members) + 1):
                terms.update(itertools.combinations(members, k))
    columns = [np.ones(len(codes))] + [cells[:, i] for i in range(t)]
    columns += [np.prod(cells[:, list(term)], axis=1) for term in sorted(terms)]
    return np.column_stack(columns)


def _fit(counts: np.ndarray, lists: Sequence[str], model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = np.asarray(counts, dtype=float)
    fit = fit_poisson(design_matrix(lists, model), counts)
    n = counts.sum(axis=1)
    with np.errstate(over="ignore", divide="ignore"):
        estimate = n + np.exp(fit.coef[:, 0])
        bic = -2.0 * fit.loglik + fit.n_params * np.log(n)
    ok = fit.converged & ~fit.boundary & np.isfinite(estimate)
    status = np.where(ok, "ok", "maximum likelihood estimate does not exist").astype(object)
    return np.where(ok, estimate, np.nan), np.where(ok, bic, np.nan), status


def select_batch(counts: np.ndarray, lists: Sequence[str], method: str, **options: object) -> BatchSelection:
    if method == "independence":
        model = "independence"
    elif method == "loglinear":
        model = str(options["model"])
    else:
        raise NotImplementedError(f"the stand-in selection fits fixed models only, not {method!r}")
    estimate, _, status = _fit(counts, lists, model)
    names = tuple(model if s == "ok" else "" for s in status)
    return BatchSelection(estimate=estimate, model=names, status=status)


def fit_models_batch(
    counts: np.ndarray, lists: Sequence[str], models: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fits = [_fit(counts, lists, model) for model in models]
    return tuple(np.stack([fit[k] for fit in fits], axis=1) for k in range(3))  # type: ignore[return-value]
