"""Model selection and fitting repeated over many count tables at once (bootstrap replicates).

:func:`select_batch` runs one of the log-linear selection rules on every row of
a ``(B, 2**t - 1)`` array of counts and returns the selected model and ``N``
for each row. The stepwise rule advances all rows together, one batched
Newton solve per step; the existence checks inside it are cached by zero
pattern (see :mod:`mse.loglinear.existence`). A replicate that fails is
recorded in ``status``; nothing is raised for a bad replicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mse.errors import ModelError
from mse.loglinear.batch import OK, evaluate_models
from mse.loglinear.design import Design
from mse.loglinear.search import (
    MAX_MODELS,
    _check_max_order,
    _exclude_infinite,
    _greedy_path,
    enumerate_models,
    stepwise_paths,
)
from mse.loglinear.terms import all_k_way, format_model, parse_model
from mse.options import reject_unknown_options

__all__ = ["BatchSelection", "fit_models_batch", "select_batch"]

_OPTIONS = {
    "independence": set(),
    "loglinear": {"model"},
    "stepwise": {"p_threshold"},
    "aic": {"max_order", "max_models", "extended_mle"},
    "bic": {"max_order", "max_models", "extended_mle"},
    "bic_aic": {"max_order"},
}


@dataclass(frozen=True)
class BatchSelection:
    """Per-replicate outcome of :func:`select_batch`.

    Attributes
    ----------
    estimate : ndarray, shape (B,)
        ``N``-hat per replicate; ``nan`` where the replicate failed.
    model : tuple of str, length B
        Selected model per replicate in term syntax (``""`` where it failed).
    status : ndarray of object, shape (B,)
        ``"ok"`` or the reason.
    """

    estimate: np.ndarray
    model: tuple[str, ...]
    status: np.ndarray


def _as_counts(counts: np.ndarray, lists: Sequence[str]) -> np.ndarray:
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    expected = (1 << len(lists)) - 1
    if counts.ndim != 2 or counts.shape[1] != expected:
        raise ModelError(f"counts must have shape (B, {expected}) for {len(lists)} lists, got {counts.shape}.")
    return counts


def fit_models_batch(
    counts: np.ndarray, lists: Sequence[str], models: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit each of ``models`` to every replicate.

    Returns
    -------
    estimate, bic, status : ndarray, each of shape ``(B, n_models)``
        ``estimate`` is ``nan`` where ``status`` is not ``"ok"``.
    """
    lists = list(lists)
    counts = _as_counts(counts, lists)
    parsed = [parse_model(m, lists) for m in models]
    terms = frozenset().union(*parsed) if parsed else frozenset()
    design = Design(len(lists), terms)
    masks = design.column_masks(parsed)
    batch, n_models = counts.shape[0], len(parsed)
    fits = evaluate_models(design, np.tile(masks, (batch, 1)), np.repeat(counts, n_models, axis=0))
    shape = (batch, n_models)
    return fits.estimate.reshape(shape), fits.bic.reshape(shape), fits.status.reshape(shape)


def select_batch(counts: np.ndarray, lists: Sequence[str], method: str, **options: Any) -> BatchSelection:
    """Run a log-linear selection rule on every replicate.

    Parameters
    ----------
    counts
        ``(B, 2**t - 1)`` counts; column ``j`` holds the cell whose history, read
        as a binary number with the first list the most significant bit, is
        ``j + 1`` (the order of ``CaptureData.dense_counts()[1:]``).
    lists
        The list names.
    method
        ``"independence"``, ``"loglinear"`` (with ``model=``), ``"stepwise"``
        (``p_threshold=``), ``"aic"``, ``"bic"`` (``max_order=``, ``max_models=``, ``extended_mle=``)
        or ``"bic_aic"`` (``max_order=``).

    Returns
    -------
    BatchSelection

    Raises
    ------
    ModelError
        For an unknown method or option, or counts of the wrong shape (never for
        a replicate whose fit fails: that goes into ``status``).

    Notes
    -----
    ``"aic"`` and ``"bic"`` fit every model to every replicate (``B`` times
    the cost of one exhaustive search), and ``"bic_aic"`` runs its forward
    search replicate by replicate; ``"stepwise"`` is vectorised over replicates.

    Examples
    --------
    >>> import mse
    >>> data = mse.load_dataset("kosovo")
    >>> counts = data.dense_counts()[1:][None, :]
    >>> result = select_batch(counts, data.lists, "stepwise")
    >>> result.model[0], round(float(result.estimate[0]))
    ('ABA:OSCE + OSCE:HRW + EXH:OSCE + EXH:ABA + EXH:HRW', 14342)
    """
    if method not in _OPTIONS:
        raise ModelError(f"unknown selection method {method!r}; choose one of {list(_OPTIONS)}.")
    reject_unknown_options(options, _OPTIONS[method], method)
    lists = list(lists)
    counts = _as_counts(counts, lists)
    batch = counts.shape[0]
    if method in ("independence", "loglinear"):
        spec = "independence" if method == "independence" else options.get("model")
        if spec is None:
            raise ModelError("method 'loglinear' needs model=..., e.g. model='A:B + B:C'.")
        estimate, _bic, status = fit_models_batch(counts, lists, [spec])
        name = format_model(parse_model(spec, lists), lists)
        status = status[:, 0]
        models = tuple(name if s == OK else "" for s in status)
        return BatchSelection(estimate[:, 0], models, status)
    if method == "stepwise":
        p_threshold = float(options.get("p_threshold", 0.02))
        added, _p, columns, status, design = stepwise_paths(counts, len(lists), p_threshold)
        fits = evaluate_models(design, columns, counts)
        status = fits.status
        models = tuple(
            (" + ".join(":".join(lists[i] for i in pair) for pair in path) or "independence") if s == OK else ""
            for path, s in zip(added, status)
        )
        return BatchSelection(fits.estimate, models, status)
    order = _check_max_order(options.get("max_order", 2 if method == "bic_aic" else None), len(lists))
    design = Design(len(lists), all_k_way(len(lists), order) if order >= 2 else frozenset())
    if method == "bic_aic":
        estimates = np.full(batch, np.nan)
        status = np.full(batch, OK, dtype=object)
        names: list[str] = []
        for b in range(batch):
            model, _rows = _greedy_path(counts[b], design, lists, frozenset(), ["bic", "aic"], order, backward=False)
            fit = evaluate_models(design, design.column_mask(model), counts[b])
            estimates[b], status[b] = fit.estimate[0], fit.status[0]
            names.append(format_model(model, lists) if fit.status[0] == OK else "")
        return BatchSelection(estimates, tuple(names), status)
    candidates = enumerate_models(len(lists), order, int(options.get("max_models", MAX_MODELS)))
    if candidates is None:
        failed = np.full(batch, f"more than {options.get('max_models', MAX_MODELS)} models", dtype=object)
        return BatchSelection(np.full(batch, np.nan), ("",) * batch, failed)
    masks = design.column_masks(candidates)
    estimates = np.full(batch, np.nan)
    status = np.full(batch, "no model could be fitted", dtype=object)
    names = [""] * batch
    extended_mle = bool(options.get("extended_mle", True))
    for b in range(batch):
        fits = evaluate_models(design, masks, counts[b])
        if not extended_mle:
            fits = _exclude_infinite(fits, masks)
        values = np.where(fits.ok, getattr(fits, method), np.inf)
        if np.isfinite(values).any():
            k = int(np.argmin(values))
            estimates[b], status[b], names[b] = fits.estimate[k], OK, format_model(candidates[k], lists)
    return BatchSelection(estimates, tuple(names), status)
