"""Averaging ``N`` over hierarchical log-linear models by their BIC weights.

Selecting one model and reporting its interval ignores that another model,
almost as well supported, may give a very different ``N`` (on ``kosovo`` the
two best models by BIC differ by 0.08 in BIC and by 2,400 in ``N``). The
averaged estimate weighs every model that fits by its approximate posterior
probability under equal prior model probabilities (Raftery 1995),

    w_m = exp(-BIC_m / 2) / sum_k exp(-BIC_k / 2),    N-bar = sum_m w_m N_m,

and its bootstrap repeats the averaging in every resample, so the interval
carries the uncertainty of the weights as well as of each model's fit
(Buckland, Burnham & Augustin 1997). Models whose fit failed get no weight.

The weights are accumulated block by block with a running log-sum-exp, so
memory does not grow with the number of models or tables.

References
----------
Raftery, A. E. (1995). Bayesian model selection in social research.
*Sociological Methodology* 25, 111-163.

Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection:
an integral part of inference. *Biometrics* 53(2), 603-618.

Silverman, B. W., Chan, L. & Vincent, K. (2024). Bootstrapping multiple
systems estimates to account for model selection. *Statistics and
Computing* 34, 44.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mse.data.capture import CaptureData
from mse.errors import ModelError
from mse.loglinear.fit.batch import BatchFits
from mse.loglinear.model.design import Design
from mse.results import Estimate

__all__ = ["AVERAGE_INTERVALS", "FitBlock", "averaged_fits", "bic_average", "bic_weights"]

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



AVERAGE_INTERVALS = ("bootstrap_top", "bca", "none")


def bic_average(
    data: CaptureData,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
    max_order: int | None = None,
    max_models: int | None = None,
    **options: Any,
) -> Estimate:
    """The BIC-weighted average of ``N`` over every hierarchical model up to ``max_order``.

    Parameters
    ----------
    data
        Capture histories (covariates are summed out).
    level, random_seed
        As for :func:`mse.estimate`.
    interval
        ``"bootstrap_top"`` (default): the people are resampled, the 60 best
        models by BIC on the data (``n_top=``) are refitted to every resample
        and averaged by their BIC weights there, and the limits are BCa
        (Silverman, Chan & Vincent 2024, with averaging in place of
        selection). ``"bca"`` refits every model in every resample (affordable
        up to four lists). ``"none"``: the point estimate only.
    max_order
        Highest order of interaction (default 3 for up to five lists, else 2).
    max_models
        At most this many models (default 100,000); beyond, no average is formed.
    **options
        ``n_boot`` (default 1000), ``n_top``, ``progress``;
        ``heterogeneity_check=False`` skips the check of
        :mod:`mse.loglinear.heterogeneity`, which otherwise tests the model
        with the most weight and warns with
        :class:`mse.HeterogeneityWarning` when it fires.

    Returns
    -------
    Estimate
        ``model`` names the number of models and the heaviest one;
        ``details["weights"]`` holds the models with weight above 0.001
        (model, BIC, ``N``, weight) and ``details["effective_models"]`` the
        inverse of the sum of squared weights.

    References
    ----------
    Raftery, A. E. (1995). Bayesian model selection in social research.
    *Sociological Methodology* 25, 111-163.

    Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection:
    an integral part of inference. *Biometrics* 53(2), 603-618.

    Silverman, B. W., Chan, L. & Vincent, K. (2024). Bootstrapping multiple
    systems estimates to account for model selection. *Statistics and
    Computing* 34, 44.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="bic_average", interval="none")
    >>> round(res.estimate)
    13184
    """
    from mse.loglinear.intervals.bootstrap import (
        DEFAULT_N_TOP,
        bootstrap_interval,
        check_reselection_affordable,
        top_models_of_search,
    )
    from mse.loglinear.search.model_search import MAX_MODELS, exhaustive_search

    unknown = set(options) - {"n_boot", "n_top", "progress", "heterogeneity_check"}
    if unknown:
        raise ModelError(
            f"unknown option(s) {sorted(unknown)} for method 'bic_average'; valid options: "
            "['heterogeneity_check', 'max_models', 'max_order', 'n_boot', 'n_top', 'progress']."
        )
    interval = "bootstrap_top" if interval is None else interval
    if interval not in AVERAGE_INTERVALS:
        raise ModelError(
            f"interval {interval!r} is not available for method 'bic_average' (an average has no single "
            f"model to profile); choose one of {AVERAGE_INTERVALS}."
        )
    data = data.collapse_covariates()
    limit = MAX_MODELS if max_models is None else int(max_models)
    n_boot = options.get("n_boot", 1000)
    if interval == "bca":
        check_reselection_affordable(
            data.lists, "bic_average", {"max_order": max_order, "max_models": limit}, n_boot, len(data.counts)
        )
    search = exhaustive_search(data, criterion="bic", max_order=max_order, max_models=limit)
    order = int(search.details["max_order"])
    if search.details.get("search") != "exhaustive":
        return Estimate.failed(
            method="bic_average",
            observed=data.n_observed,
            status=(
                f"more than {limit:,} models up to order {order}: an average needs every one of them; lower "
                "max_order, merge lists, or use method='bic' (whose search then goes greedy)"
            ),
            level=level,
            interval_method="" if interval == "none" else interval,
        )
    table = search.table.copy()
    usable = (table["status"] == "ok").to_numpy() & np.isfinite(table["estimate"].to_numpy(float))
    weights = bic_weights(table["bic"].to_numpy(float), usable)
    if not usable.any():
        return Estimate.failed(
            method="bic_average",
            observed=data.n_observed,
            status=search.details.get("no_model", "no model could be fitted (see details['search'])"),
            level=level,
            interval_method="" if interval == "none" else interval,
            details={"search": search.table},
        )
    table["weight"] = weights
    point = float((weights * np.nan_to_num(table["estimate"].to_numpy(float))).sum())
    heaviest = int(np.argmax(weights))
    details: dict[str, Any] = {
        "search": search.table,
        "weights": table.loc[weights > 1e-3, ["model", "bic", "estimate", "weight"]].reset_index(drop=True),
        "effective_models": float(1.0 / np.sum(weights**2)),
        "n_models": int(usable.sum()),
        "max_order": order,
    }
    model = (
        f"BIC average of {int(usable.sum())} models (heaviest: {table['model'].iloc[heaviest]}, "
        f"weight {weights[heaviest]:.2f})"
    )
    if options.get("heterogeneity_check", True):
        _check_heaviest_model(data, str(table["model"].iloc[heaviest]), details)
    lower = upper = math.nan
    status = "ok"
    draws = None
    if interval != "none":
        boot_options: dict[str, Any] = {"max_order": order, "max_models": limit}
        if interval == "bootstrap_top":
            # the search has ranked every model already: hand over its best ones without refitting them
            boot_options["candidates"] = top_models_of_search(search.table, options.get("n_top", DEFAULT_N_TOP))
            boot_options["n_top"] = None
        boot = bootstrap_interval(
            data,
            kind=interval,
            method="bic_average",
            options=boot_options,
            point_estimate=point,
            level=level,
            n_boot=n_boot,
            random_seed=random_seed,
            progress=options.get("progress"),
        )
        lower, upper, draws = boot.lower, boot.upper, boot.draws
        details.update(boot.details)
        details["n_failed"] = boot.n_failed
        details["n_candidates"] = int(usable.sum())
        status = boot.status
    return Estimate(
        estimate=point,
        lower=float(lower),
        upper=float(upper),
        level=level,
        observed=data.n_observed,
        method="bic_average",
        model=model,
        interval_method="" if interval == "none" else interval,
        status=status,
        draws=draws,
        details=details,
    )


def _check_heaviest_model(data: CaptureData, model: str, details: dict[str, Any]) -> None:
    """The heterogeneity check of the model with the most weight: a warning and ``details["heterogeneity"]``."""
    from mse.loglinear.fit.model_fit import fit_model
    from mse.loglinear.heterogeneity import record_heterogeneity

    record_heterogeneity(fit_model(data, model), model, details, stacklevel=3)
