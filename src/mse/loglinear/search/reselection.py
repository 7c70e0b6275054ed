"""Model selection and fitting repeated over many count tables at once (bootstrap replicates).

:func:`select_batch` runs one of the log-linear selection rules on every row of
a ``(B, 2**t - 1)`` array of counts and returns the selected model and ``N``
for each row. The stepwise rule advances all rows together, one batched
Newton solve per step; the existence checks inside it are cached by zero
pattern (see :mod:`mse.loglinear.fit.existence`). A replicate that fails is
recorded in ``status``; nothing is raised for a bad replicate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mse.errors import ModelError
from mse.loglinear.fit.batch import OK, BatchFits, evaluate_models
from mse.loglinear.fit.bias import bias_corrected_batch
from mse.loglinear.model.design import Design
from mse.loglinear.model.terms import Terms, all_k_way, format_model, parse_model
from mse.loglinear.search.model_search import (
    MAX_MODELS,
    check_max_order,
    check_p_threshold,
    check_stepwise_order,
    enumerate_models,
    exclude_infinite,
    forward_candidates,
    stepwise_paths,
)
from mse.options import reject_unknown_options

__all__ = [
    "ROWS_PER_BLOCK",
    "BatchSelection",
    "Progress",
    "averaged_models_batch",
    "best_fits",
    "best_models_batch",
    "fit_models_batch",
    "forward_paths",
    "parse_models",
    "select_batch",
]

#: Model fits per batched solve when many models are fitted to many tables (bounds memory).
ROWS_PER_BLOCK = 16384

#: ``on_progress(fraction)``: told the fraction of a batch's work done so far (non-decreasing, at most 1),
#: so that a progress bar over many replicates can move while one batch of them is being selected.
Progress = Callable[[float], object]

_OPTIONS = {
    "independence": {"bias_correction"},
    "loglinear": {"model", "bias_correction"},
    "stepwise": {"p_threshold", "max_order", "bias_correction"},
    "aic": {"max_order", "max_models", "extended_mle", "bias_correction"},
    "bic": {"max_order", "max_models", "extended_mle", "bias_correction"},
    "bic_aic": {"max_order", "bias_correction"},
    "bic_average": {"max_order", "max_models"},
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


def _fits_counter(total: int, on_progress: Progress | None) -> Callable[[int], object] | None:
    """An ``on_chunk`` for :func:`evaluate_models` that tells ``on_progress`` the fraction of ``total`` fits done."""
    if on_progress is None:
        return None
    done = 0

    def counted(n_fits: int) -> None:
        nonlocal done
        done += n_fits
        on_progress(min(done / max(total, 1), 1.0))

    return counted


def _tiled_fits(
    design: Design,
    masks: np.ndarray,
    counts: np.ndarray,
    extended_mle: bool,
    *,
    facial: bool = False,
    on_chunk: Callable[[int], object] | None = None,
) -> BatchFits:
    """Every model of ``masks`` fitted to every row of ``counts``: row ``b * M + m`` is model ``m`` on table ``b``.

    ``facial=True`` gives ``N`` from the facial set where the MLE does not
    exist (see :func:`mse.loglinear.fit.batch.evaluate_models`); ``on_chunk``
    is told the number of fits of each batched solve.
    """
    tiled = np.tile(masks, (counts.shape[0], 1))
    fits = evaluate_models(design, tiled, np.repeat(counts, len(masks), axis=0), extended=facial, on_chunk=on_chunk)
    return fits if extended_mle else exclude_infinite(fits, tiled)


def _blocks(n_tables: int, n_models: int, rows: int) -> list[tuple[slice, slice]]:
    """Blocks of (tables, models) with at most about ``rows`` fits each."""
    tables_per_block = max(1, rows // max(n_models, 1))
    models_per_block = min(n_models, max(rows, 1))
    return [
        (slice(b, b + tables_per_block), slice(m, m + models_per_block))
        for b in range(0, n_tables, tables_per_block)
        for m in range(0, n_models, models_per_block)
    ]


def best_fits(
    design: Design,
    masks: np.ndarray,
    counts: np.ndarray,
    criterion: str,
    *,
    extended_mle: bool = True,
    rows: int | None = None,
    on_progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The model with the lowest ``criterion`` on each table, among the candidates ``masks``.

    Every candidate is fitted to every table, in blocks of about ``rows``
    fits, each block one batched Newton solve; only the running best of each
    table is kept, so memory does not grow with the number of tables.

    Parameters
    ----------
    design
        Shared design with every candidate term.
    masks
        ``(M, p)`` column masks of the candidates.
    counts
        ``(B, n)`` counts, one table per row.
    criterion
        ``"aic"``, ``"bic"`` or ``"aicc"``.
    extended_mle
        With ``False`` a model with a term at minus infinity cannot be chosen.
    rows
        Fits per block (default :data:`ROWS_PER_BLOCK`).
    on_progress
        Told the fraction of the fits done after each batched solve.

    Returns
    -------
    index, estimate : ndarray, shape (B,)
        Position of the chosen candidate (-1 where none could be fitted) and its ``N``-hat.
    """
    n_tables, n_models = counts.shape[0], len(masks)
    best_value = np.full(n_tables, np.inf)
    best_index = np.full(n_tables, -1)
    best_estimate = np.full(n_tables, np.nan)
    counted = _fits_counter(n_tables * n_models, on_progress)
    for tables, models in _blocks(n_tables, n_models, ROWS_PER_BLOCK if rows is None else rows):
        block = counts[tables]
        fits = _tiled_fits(design, masks[models], block, extended_mle, on_chunk=counted)
        shape = (len(block), -1)
        values = np.where(fits.ok, getattr(fits, criterion), np.inf).reshape(shape)
        k = np.argmin(values, axis=1)
        chosen = values[np.arange(len(block)), k]
        better = chosen < best_value[tables]  # strict: ties keep the earlier candidate, as one argmin would
        positions = np.flatnonzero(better) + tables.start
        best_value[positions] = chosen[better]
        best_index[positions] = k[better] + models.start
        best_estimate[positions] = fits.estimate.reshape(shape)[np.flatnonzero(better), k[better]]
    return best_index, best_estimate


def fit_models_batch(
    counts: np.ndarray,
    lists: Sequence[str],
    models: Sequence[Any],
    *,
    facial: bool = False,
    on_progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit each of ``models`` to every replicate.

    With ``facial=True`` a model whose MLE does not exist on a replicate gives
    its extended MLE of ``N`` where the facial set determines it, as
    :func:`mse.loglinear.fit_model` does (Fienberg & Rinaldo 2012); the
    default leaves such fits out, as a model search does. ``on_progress`` is
    told the fraction of the fits done after each batched solve.

    Returns
    -------
    estimate, bic, status : ndarray, each of shape ``(B, n_models)``
        ``estimate`` is ``nan`` where ``status`` is not ``"ok"``.
    """
    lists = list(lists)
    counts = _as_counts(counts, lists)
    design, masks = _candidate_design(len(lists), parse_models(models, lists))
    counted = _fits_counter(counts.shape[0] * len(masks), on_progress)
    fits = _tiled_fits(design, masks, counts, extended_mle=True, facial=facial, on_chunk=counted)
    shape = (counts.shape[0], len(masks))
    return fits.estimate.reshape(shape), fits.bic.reshape(shape), fits.status.reshape(shape)


def parse_models(models: Sequence[Any], lists: Sequence[str]) -> list[Terms]:
    """Parse model specifications; parsed term sets (as from ``enumerate_models``) are used as given.

    Parsing a model string takes tens of microseconds, which adds up to
    seconds over the 32,768 models of six lists: the enumerated sets skip it.
    """
    t = len(lists)
    return [
        model
        if isinstance(model, frozenset) and all(isinstance(term, tuple) and max(term) < t for term in model)
        else parse_model(model, lists)
        for model in models
    ]


def _candidate_design(n_lists: int, models: Sequence[Terms]) -> tuple[Design, np.ndarray]:
    terms = frozenset().union(*models) if models else frozenset()
    design = Design(n_lists, terms)
    return design, design.column_masks(models)


def averaged_models_batch(
    counts: np.ndarray, lists: Sequence[str], models: Sequence[Any], *, on_progress: Progress | None = None
) -> BatchSelection:
    """For every replicate, the BIC-weighted average of ``N`` over the candidates in ``models``.

    See :mod:`mse.loglinear.search.averaging` for the weights; candidates whose fit
    fails get no weight, and a replicate with no fitted candidate fails.
    ``on_progress`` is told the fraction of the fits done after each batched solve.

    Examples
    --------
    >>> import mse
    >>> data = mse.load_dataset("korea")
    >>> counts = data.dense_counts()[1:][None, :]
    >>> round(float(averaged_models_batch(counts, data.lists, ["b:c", "b:c + c:d"]).estimate[0]))
    189
    """
    from mse.loglinear.search.averaging import averaged_fits

    lists = list(lists)
    counts = _as_counts(counts, lists)
    design, masks = _candidate_design(len(lists), parse_models(models, lists))
    counted = _fits_counter(counts.shape[0] * len(masks), on_progress)
    averaged, _heaviest, _n = averaged_fits(
        design, masks, counts, lambda d, m, c: _tiled_fits(d, m, c, True, on_chunk=counted), ROWS_PER_BLOCK
    )
    found = np.isfinite(averaged)
    names = tuple("BIC average" if ok else "" for ok in found)
    status = np.where(found, OK, f"none of the {len(masks)} candidate models could be fitted").astype(object)
    return BatchSelection(averaged, names, status)


def best_models_batch(
    counts: np.ndarray,
    lists: Sequence[str],
    models: Sequence[Any],
    criterion: str = "bic",
    *,
    extended_mle: bool = True,
    bias_correction: bool = False,
    on_progress: Progress | None = None,
) -> BatchSelection:
    """For every replicate, the candidate in ``models`` with the lowest ``criterion``.

    Parameters
    ----------
    counts
        ``(B, 2**t - 1)`` counts in the order of ``CaptureData.dense_counts()[1:]``.
    lists
        The list names.
    models
        Candidate models: strings, sequences of terms, or parsed term sets
        (see :func:`parse_models`).
    criterion
        ``"aic"``, ``"bic"`` or ``"aicc"``.
    extended_mle
        With ``False`` a model with a term at minus infinity cannot be chosen.
    bias_correction
        Report the bias-reduced ``N`` of the chosen model (:mod:`mse.loglinear.fit.bias`).
    on_progress
        Told the fraction of the fits done after each batched solve.

    Returns
    -------
    BatchSelection
        The chosen model per replicate; status ``"ok"``, or says that no
        candidate could be fitted.

    Examples
    --------
    >>> import mse
    >>> data = mse.load_dataset("korea")
    >>> counts = data.dense_counts()[1:][None, :]
    >>> best_models_batch(counts, data.lists, ["independence", "b:c", "b:c + c:d"]).model
    ('b:c + c:d',)
    """
    lists = list(lists)
    counts = _as_counts(counts, lists)
    parsed = parse_models(models, lists)
    design, masks = _candidate_design(len(lists), parsed)
    index, estimate = best_fits(design, masks, counts, criterion, extended_mle=extended_mle, on_progress=on_progress)
    found = index >= 0
    names = tuple(format_model(parsed[i], lists) if ok else "" for i, ok in zip(index, found))
    status = np.where(found, OK, f"none of the {len(parsed)} candidate models could be fitted").astype(object)
    if bias_correction:
        estimate, status = _corrected_choice(design, masks, index, counts, estimate, status)
    return BatchSelection(estimate, names, status)


def _corrected_choice(
    design: Design, masks: np.ndarray, index: np.ndarray, counts: np.ndarray, estimate: np.ndarray, status: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Replace the chosen candidates' MLEs by their bias-reduced estimates (rows with a choice only)."""
    estimate, status = estimate.copy(), status.copy()
    rows = np.flatnonzero(index >= 0)
    if rows.size:
        fits = evaluate_models(design, masks[index[rows]], counts[rows])
        corrected, corrected_status = bias_corrected_batch(design, fits, counts[rows])
        estimate[rows], status[rows] = corrected, corrected_status
    return estimate, status


def forward_paths(
    counts: np.ndarray,
    design: Design,
    criteria: Sequence[str],
    max_order: int,
    on_progress: Progress | None = None,
) -> tuple[list[Terms], BatchFits]:
    """Forward selection by each of ``criteria`` in turn, from independence, on every table at once.

    The rule of :func:`mse.loglinear.search.model_search.bic_aic_search` (Cruyff et al.
    2017), advanced for all tables together: at each step every still-moving
    table has every admissible one-term extension of its current model
    fitted, all in one batched solve, and moves to the best one if it lowers
    the criterion; ties go to the first candidate in term order.

    ``on_progress`` is told, after each step, the tables taken through a step
    so far against those plus one more step for every table still moving and
    for every table in each criterion still to come (the number of steps is
    not known in advance).

    Returns
    -------
    models : list of frozenset
        The final model of each table.
    fits : BatchFits
        The fits of those models (one row per table).
    """
    n_tables = counts.shape[0]
    models: list[Terms] = [frozenset()] * n_tables
    current = evaluate_models(design, design.column_mask(frozenset()), counts)
    values = {criterion: getattr(current, criterion).copy() for criterion in criteria}
    table_steps = 0  # tables taken through a step, for on_progress
    for phase, criterion in enumerate(criteria):
        active = np.arange(n_tables)
        while active.size:
            candidates = [forward_candidates(models[b], design.n_lists, max_order) for b in active]
            sizes = np.array([len(c) for c in candidates])
            if not sizes.sum():
                break
            owner = np.repeat(np.arange(active.size), sizes)
            flat = [model for group in candidates for model in group]
            fits = evaluate_models(design, design.column_masks(flat), counts[active[owner]])
            scores = np.where(fits.ok, getattr(fits, criterion), np.inf)
            moving: list[int] = []
            start = 0
            for i, b in enumerate(active):
                stop = start + sizes[i]
                if stop > start:
                    k = start + int(np.argmin(scores[start:stop]))
                    if scores[k] < values[criterion][b] - 1e-9:
                        models[b] = flat[k]
                        for name in criteria:
                            values[name][b] = getattr(fits, name)[k]
                        moving.append(int(b))
                start = stop
            if on_progress is not None:
                table_steps += active.size
                to_come = len(moving) + n_tables * (len(criteria) - phase - 1)
                on_progress(table_steps / (table_steps + to_come))
            active = np.asarray(moving, dtype=int)
    final = evaluate_models(design, design.column_masks(models), counts)
    return models, final


def select_batch(
    counts: np.ndarray, lists: Sequence[str], method: str, *, on_progress: Progress | None = None, **options: Any
) -> BatchSelection:
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
        (``p_threshold=``, ``max_order=``), ``"aic"``, ``"bic"`` (``max_order=``, ``max_models=``, ``extended_mle=``),
        ``"bic_aic"`` (``max_order=``) or ``"bic_average"`` (the BIC-weighted
        average of ``N`` over every model up to ``max_order``). Every method but
        ``"bic_average"`` takes ``bias_correction=True``: the selection is
        unchanged and the chosen model's ``N`` is the bias-reduced estimate
        (:mod:`mse.loglinear.fit.bias`).
    on_progress
        Told the fraction of the work done as the selection goes (after each
        replicate's step of a stepwise search, each forward step of
        ``"bic_aic"``, each batched solve of the other rules); the fraction is
        non-decreasing and the result does not depend on it. A bootstrap's progress bar moves with it between
        chunks of replicates.

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
    Every rule is vectorised over replicates. ``"stepwise"`` and ``"bic_aic"``
    advance all replicates together, one batched solve per step (a few
    milliseconds per replicate on six lists). ``"aic"`` and ``"bic"`` fit every
    candidate model to every replicate (:func:`best_fits`, in blocks of
    :data:`ROWS_PER_BLOCK` fits): the cost is ``B`` times that of one
    exhaustive search, about 100-400 microseconds per model fit on six lists.
    With the 32,768 two-way models of six lists that is several seconds per
    replicate, so a bootstrap of the exhaustive search over hundreds of
    replicates takes hours; :func:`mse.loglinear.bootstrap_interval`
    refuses it and recommends the top-model bootstrap.

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
    bias_correction = bool(options.get("bias_correction", False))

    def estimates(design: Design, fits: BatchFits) -> tuple[np.ndarray, np.ndarray]:
        if bias_correction:
            return bias_corrected_batch(design, fits, counts)
        return fits.estimate, fits.status

    if method in ("independence", "loglinear"):
        spec = "independence" if method == "independence" else options.get("model")
        if spec is None:
            raise ModelError("method 'loglinear' needs model=..., e.g. model='A:B + B:C'.")
        terms = parse_model(spec, lists)
        name = format_model(terms, lists)
        if bias_correction:
            # the extended MLE where the MLE does not exist, as without the correction, then corrected
            design = Design(len(lists), terms)
            fits = evaluate_models(
                design, design.column_mask(terms), counts, extended=True, on_chunk=_fits_counter(batch, on_progress)
            )
            estimate, status = estimates(design, fits)
        else:
            # one given model: its extended MLE where the MLE does not exist, as fit_model gives it
            fitted, _bic, fit_status = fit_models_batch(counts, lists, [spec], facial=True, on_progress=on_progress)
            estimate, status = fitted[:, 0], fit_status[:, 0]
        models = tuple(name if s == OK else "" for s in status)
        return BatchSelection(estimate, models, status)
    if method == "stepwise":
        p_threshold = check_p_threshold(options.get("p_threshold", 0.02))
        order = check_stepwise_order(options.get("max_order"), len(lists))
        added, _p, columns, status, design = stepwise_paths(
            counts, len(lists), p_threshold, max_order=order, on_progress=on_progress
        )
        estimate, status = estimates(design, evaluate_models(design, columns, counts))
        models = tuple(
            (" + ".join(":".join(lists[i] for i in term) for term in path) or "independence") if s == OK else ""
            for path, s in zip(added, status)
        )
        return BatchSelection(estimate, models, status)
    order = check_max_order(options.get("max_order", 2 if method == "bic_aic" else None), len(lists))
    design = Design(len(lists), all_k_way(len(lists), order) if order >= 2 else frozenset())
    if method == "bic_aic":
        final, fits = forward_paths(counts, design, ("bic", "aic"), order, on_progress)
        estimate, status = estimates(design, fits)
        names = tuple(format_model(model, lists) if s == OK else "" for model, s in zip(final, status))
        return BatchSelection(estimate, names, status)
    candidates = enumerate_models(len(lists), order, int(options.get("max_models", MAX_MODELS)))
    if candidates is None:
        failed = np.full(batch, f"more than {options.get('max_models', MAX_MODELS)} models", dtype=object)
        return BatchSelection(np.full(batch, np.nan), ("",) * batch, failed)
    if method == "bic_average":
        return averaged_models_batch(counts, lists, candidates, on_progress=on_progress)
    extended_mle = bool(options.get("extended_mle", True))
    masks = design.column_masks(candidates)
    index, estimate = best_fits(design, masks, counts, method, extended_mle=extended_mle, on_progress=on_progress)
    found = index >= 0
    names = tuple(format_model(candidates[i], lists) if ok else "" for i, ok in zip(index, found))
    status = np.where(found, OK, "no model could be fitted").astype(object)
    if bias_correction:
        estimate, status = _corrected_choice(design, masks, index, counts, estimate, status)
    return BatchSelection(estimate, names, status)
