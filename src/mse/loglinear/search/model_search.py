"""Model search over hierarchical log-linear models.

Four searches, each returning a :class:`mse.ModelSearch`:

``"stepwise"``
    Chan, Silverman & Vincent (2021): start from independence; at each step,
    for every pair of lists not yet linked, compare the observed overlap
    (people on both lists) with its expectation under the current model: the
    p-value is the smaller Poisson tail probability, ``min(P(X <= O), P(X >= O))``
    with ``X ~ Poisson(expected)`` (the rule of Chan et al., which reproduces
    SparseMSE's selections); add
    the pair with the smallest p-value if it is below ``p_threshold``
    (default 0.02). A candidate whose model has no MLE or is not identifiable
    gets p = 1. A pair that never overlaps can be added: its term is fitted at
    minus infinity (the extended MLE). Ties go to the first pair in the order
    (1, 2), (1, 3), ..., (2, 3), ... With ``max_order=3`` or more the search
    goes on to higher-order terms: a three-way term becomes a candidate once
    its three pairs are in the model, and is tested the same way, on the
    people seen on all three of its lists. This reaches dependence among
    three lists that pairs cannot express.
``"aic"``, ``"bic"``, ``"exhaustive"``
    Every hierarchical model with terms up to ``max_order`` (default 3 for up
    to five lists, else 2; never more than ``t - 1``), fitted in one batched
    Newton solve, ranked by the criterion, as Rcapture's ``closedpMS.t`` and
    MultipleSystemsEstimation do. When there are more than ``max_models``
    models (default 100,000) the search falls back to the greedy search below
    and says so in ``details["search"]``.
``"greedy"``
    Forward–backward search by the criterion: add the hierarchical term that
    lowers it most, or remove the maximal term whose removal lowers it most,
    until neither helps.
``"bic_aic"``
    The Dutch recipe (Cruyff et al. 2017): forward selection by BIC from the
    independence model, then forward from there by AIC.

Only models whose status is ``"ok"`` can be chosen; failed fits stay in the
table with their status.

References
----------
Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation for
sparse capture data: inferential challenges when there are nonoverlapping lists.
*Journal of the American Statistical Association* 116(535), 1297–1306.

Cruyff, M., van Dijk, J. & van der Heijden, P. G. M. (2017). The challenge of
counting victims of human trafficking. *Chance* 30(3), 41–49.

Rivest, L.-P. & Baillargeon, S. (2007). Applications and extensions of Chao's
moment estimator for the size of a closed population. *Biometrics* 63(4), 999–1006.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from mse.budget import CUT_SHORT, BudgetExhausted, time_budget
from mse.data.capture import CaptureData
from mse.errors import ModelError
from mse.loglinear.fit.batch import OK, BatchFits, evaluate_models
from mse.loglinear.fit.existence import exists_batch, identifiable_batch, no_model_can_exist
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.terms import Term, Terms, all_k_way, format_model, format_models, k_way_terms
from mse.options import reject_unknown_options
from mse.progress_bars import ProgressBar
from mse.results import ModelSearch

__all__ = [
    "bic_aic_search",
    "check_max_order",
    "check_p_threshold",
    "check_stepwise_order",
    "default_max_order",
    "enumerate_masks",
    "enumerate_models",
    "exclude_infinite",
    "exhaustive_search",
    "forward_candidates",
    "greedy_search",
    "select_model",
    "stepwise_paths",
    "stepwise_search",
]

MAX_MODELS = 100_000
CRITERIA = ("aic", "bic", "aicc")


def default_max_order(n_lists: int) -> int:
    """3 for up to five lists, 2 beyond; never above ``t - 1``."""
    return max(1, min(3 if n_lists <= 5 else 2, n_lists - 1))


def check_max_order(max_order: int | None, n_lists: int) -> int:
    """The highest interaction order of a search: ``max_order`` checked, or the default for ``n_lists``.

    Raises
    ------
    ModelError
        Unless ``max_order`` is an integer from 1 to ``n_lists - 1``.
    """
    if max_order is None:
        return default_max_order(n_lists)
    if isinstance(max_order, bool) or not isinstance(max_order, (int, np.integer)) or not 1 <= max_order <= n_lists - 1:
        raise ModelError(f"max_order must be an integer from 1 to {n_lists - 1} (lists - 1), got {max_order!r}.")
    return int(max_order)


def enumerate_models(n_lists: int, max_order: int, limit: int = MAX_MODELS) -> list[Terms] | None:
    """Every hierarchical model with interaction terms up to ``max_order``; ``None`` beyond ``limit`` models.

    Models are built order by order: a term of order ``k`` may enter only when
    all its sub-terms of order ``k - 1`` are in.

    Examples
    --------
    >>> len(enumerate_models(4, 3))  # as Rcapture's closedpMS.t for four lists
    113
    """
    models: list[Terms] = [frozenset()]
    for order in range(2, max_order + 1):
        grown: list[Terms] = []
        for model in models:
            allowed = [
                term
                for term in k_way_terms(n_lists, order)
                if order == 2 or all(sub in model for sub in combinations(term, order - 1))
            ]
            if len(grown) + (1 << len(allowed)) > limit:
                return None
            for mask in range(1 << len(allowed)):
                grown.append(model | frozenset(term for i, term in enumerate(allowed) if mask >> i & 1))
        models = grown
    return models


def enumerate_masks(design: Design, max_order: int, limit: int = MAX_MODELS) -> np.ndarray | None:
    """The column masks of :func:`enumerate_models` on ``design``, in the same order, built as arrays.

    ``design`` must hold every term up to ``max_order``. Returns ``None``
    beyond ``limit`` models, as :func:`enumerate_models` does. Building the
    masks directly saves a set of terms and a dictionary look-up per term of
    each of the (up to 100,000) models of an exhaustive search.

    Examples
    --------
    >>> from mse.loglinear.model.terms import all_k_way
    >>> enumerate_masks(Design(4, all_k_way(4, 3)), 3).shape  # 113 models, 15 columns
    (113, 15)
    """
    t = design.n_lists
    masks = np.zeros((1, design.n_columns), dtype=bool)
    masks[:, : design.n_base] = True
    for order in range(2, max_order + 1):
        terms = k_way_terms(t, order)
        columns = np.array([design.index[term] for term in terms], dtype=np.intp)
        allowed: np.ndarray = np.ones((len(masks), len(terms)), dtype=bool)
        if order > 2:
            subs = np.array([[design.index[sub] for sub in combinations(term, order - 1)] for term in terms])
            allowed = np.asarray(masks[:, subs].all(axis=2))
        if int(np.sum(2 ** allowed.sum(axis=1).astype(np.int64))) > limit:
            return None
        grown = []
        for parent, allow in zip(masks, allowed):
            which = columns[allow]
            # child i has term j of ``which`` when bit j of i is set: the order of enumerate_models
            bits = (np.arange(1 << len(which))[:, None] >> np.arange(len(which))) & 1
            children = np.repeat(parent[None, :], len(bits), axis=0)
            children[:, which] = bits.astype(bool)
            grown.append(children)
        masks = np.concatenate(grown)
    return masks


def _table(
    models: Sequence[Terms], lists: Sequence[str], fits: BatchFits, names: Sequence[str] | None = None
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": [format_model(m, lists) for m in models] if names is None else list(names),
            "n_params": fits.n_params.astype(int),
            "deviance": fits.deviance,
            "df": fits.df.astype(int),
            "aic": fits.aic,
            "bic": fits.bic,
            "aicc": fits.aicc,
            "estimate": fits.estimate,
            "se": fits.se,
            "status": fits.status.astype(str),
        }
    )


def _best(table: pd.DataFrame, criterion: str) -> str:
    ok = table[table["status"] == OK]
    if ok.empty:
        return ""
    return str(ok["model"].to_numpy()[int(np.argmin(ok[criterion].to_numpy()))])


def _counts(data: CaptureData) -> np.ndarray:
    return data.collapse_covariates().dense_counts()[1:].astype(float)


INFINITE_EXCLUDED = "term(s) at minus infinity: lists never overlap (excluded with extended_mle=False)"


def exclude_infinite(fits: BatchFits, column_masks: np.ndarray) -> BatchFits:
    """Mark models with a term fitted at minus infinity as not selectable (Rcapture's closedpMS.t convention)."""
    infinite = (fits.columns != column_masks).any(axis=1) & fits.ok
    if not infinite.any():
        return fits
    status = fits.status.copy()
    status[infinite] = INFINITE_EXCLUDED
    return replace(
        fits, status=status, estimate=np.where(infinite, np.nan, fits.estimate), se=np.where(infinite, np.nan, fits.se)
    )


def exhaustive_search(
    data: CaptureData,
    criterion: str = "bic",
    max_order: int | None = None,
    max_models: int = MAX_MODELS,
    extended_mle: bool = True,
) -> ModelSearch:
    """Fit every hierarchical model up to ``max_order`` and rank by ``criterion``.

    Falls back to :func:`greedy_search` when there are more than ``max_models`` models.
    With ``extended_mle=False`` a model with a term whose lists never overlap
    cannot be chosen (its row says so): a conservative choice, since GLM
    software only approximates such fits. The default fits those terms at minus
    infinity (Chan et al. 2021), as MultipleSystemsEstimation does.
    """
    criterion = _check_criterion(criterion)
    data = data.collapse_covariates()
    t = data.n_lists
    order = check_max_order(max_order, t)
    design = Design(t, all_k_way(t, order) if order >= 2 else frozenset())
    masks = enumerate_masks(design, order, max_models)
    if masks is None:
        search = greedy_search(data, criterion=criterion, max_order=order)
        details = {**search.details, "search": f"greedy (more than {max_models:,} models up to order {order})"}
        return ModelSearch(search.table, search.best, "exhaustive", criterion, details=details)
    hopeless = no_model_can_exist(_counts(data), data.lists, order)
    if hopeless is not None:
        # every candidate would fail for the same reason: fit only the smallest to show it
        design = Design(t, frozenset())
        masks = design.column_masks([frozenset()])
    with ProgressBar(len(masks), label="models fitted") as bar:
        fits = evaluate_models(design, masks, _counts(data), on_chunk=bar.update)
    if not extended_mle:
        fits = exclude_infinite(fits, masks)
    names = format_models(masks[:, design.n_base :], design.terms, data.lists)
    table = _table([], data.lists, fits, names).sort_values(criterion, kind="stable").reset_index(drop=True)
    details = {
        "search": "exhaustive",
        "max_order": order,
        "n_models": len(masks),
        "n_failed": int((~fits.ok).sum()),
        "extended_mle": extended_mle,
    }
    if hopeless is not None:
        details["no_model"] = hopeless
    return ModelSearch(table, _best(table, criterion), "exhaustive", criterion, details=details)


def _check_criterion(criterion: str) -> str:
    if criterion not in CRITERIA:
        raise ModelError(f"criterion must be one of {list(CRITERIA)}, got {criterion!r}.")
    return criterion


def forward_candidates(model: Terms, n_lists: int, max_order: int) -> list[Terms]:
    """Every hierarchical model one term larger than ``model`` (terms up to ``max_order``)."""
    out = []
    for order in range(2, max_order + 1):
        for term in k_way_terms(n_lists, order):
            if term not in model and (order == 2 or all(s in model for s in combinations(term, order - 1))):
                out.append(model | {term})
    return out


def _backward_candidates(model: Terms) -> list[Terms]:
    return [model - {term} for term in model if not any(len(u) > len(term) and set(term) < set(u) for u in model)]


def _greedy_path(
    counts: np.ndarray,
    design: Design,
    lists: Sequence[str],
    start: Terms,
    criteria: Sequence[str],
    max_order: int,
    backward: bool,
) -> tuple[Terms, list[dict[str, Any]]]:
    t = len(lists)
    model = start
    current = evaluate_models(design, design.column_mask(model), counts)
    rows = [_row(model, lists, current, 0, 0, "start")]
    step = 0
    for criterion in criteria:
        while True:
            candidates = forward_candidates(model, t, max_order) + (_backward_candidates(model) if backward else [])
            if not candidates:
                break
            fits = evaluate_models(design, design.column_masks(candidates), counts)
            values = np.where(fits.ok, getattr(fits, criterion), np.inf)
            k = int(np.argmin(values))
            if not values[k] < getattr(current, criterion)[0] - 1e-9:
                break
            step += 1
            model = candidates[k]
            current = evaluate_models(design, design.column_mask(model), counts)
            rows.append(_row(model, lists, current, 0, step, criterion))
    return model, rows


def _row(model: Terms, lists: Sequence[str], fits: BatchFits, k: int, step: int, rule: str) -> dict[str, Any]:
    return {
        "step": step,
        "rule": rule,
        "model": format_model(model, lists),
        "n_params": int(fits.n_params[k]),
        "deviance": float(fits.deviance[k]),
        "df": int(fits.df[k]),
        "aic": float(fits.aic[k]),
        "bic": float(fits.bic[k]),
        "aicc": float(fits.aicc[k]),
        "estimate": float(fits.estimate[k]),
        "se": float(fits.se[k]),
        "status": str(fits.status[k]),
    }


def greedy_search(data: CaptureData, criterion: str = "bic", max_order: int | None = None) -> ModelSearch:
    """Forward–backward search from the independence model by ``criterion``."""
    criterion = _check_criterion(criterion)
    data = data.collapse_covariates()
    t = data.n_lists
    order = check_max_order(max_order, t)
    design = Design(t, all_k_way(t, order) if order >= 2 else frozenset())
    model, rows = _greedy_path(_counts(data), design, data.lists, frozenset(), [criterion], order, backward=True)
    table = pd.DataFrame(rows)
    return ModelSearch(
        table, format_model(model, data.lists), "greedy", criterion, details={"search": "greedy", "max_order": order}
    )


def bic_aic_search(data: CaptureData, max_order: int | None = 2) -> ModelSearch:
    """Forward selection by BIC from independence, then on by AIC (Cruyff et al. 2017)."""
    data = data.collapse_covariates()
    t = data.n_lists
    order = check_max_order(max_order, t)
    design = Design(t, all_k_way(t, order) if order >= 2 else frozenset())
    model, rows = _greedy_path(_counts(data), design, data.lists, frozenset(), ["bic", "aic"], order, backward=False)
    return ModelSearch(
        pd.DataFrame(rows), format_model(model, data.lists), "bic_aic", "bic then aic", details={"max_order": order}
    )


def two_sided_poisson_p(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``min(P(X <= O), P(X >= O))`` for ``X ~ Poisson(expected)``; 1 where nothing is expected or seen."""
    from scipy.stats import poisson

    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    with np.errstate(all="ignore"):
        lower = poisson.cdf(observed, expected)
        upper = poisson.sf(observed - 1, expected)
        p = np.minimum(1.0, np.minimum(lower, upper))
    return np.where((expected <= 0) & (observed <= 0), 1.0, np.nan_to_num(p, nan=1.0))


def _sub_term_columns(design: Design) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each order ``k > 2``: the positions of its terms and the columns of their ``(k-1)``-sub-terms.

    Returns ``(positions, sub_columns)`` pairs with ``sub_columns`` of shape ``(terms, k)``, so the
    hierarchy of all terms of one order is checked in one indexing operation.
    """
    groups = []
    for order in sorted({len(term) for term in design.terms if len(term) > 2}):
        positions = np.array([k for k, term in enumerate(design.terms) if len(term) == order], dtype=int)
        subs = np.array(
            [[design.index[sub] for sub in combinations(design.terms[k], order - 1)] for k in positions], dtype=int
        )
        groups.append((positions, subs))
    return groups


def stepwise_paths(
    counts: np.ndarray,
    n_lists: int,
    p_threshold: float = 0.02,
    max_steps: int | None = None,
    max_order: int = 2,
    on_progress: Callable[[float], object] | None = None,
) -> tuple[list[list[Term]], list[list[float]], np.ndarray, np.ndarray, Design]:
    """Chan et al.'s stepwise rule run on every row of ``counts`` at once.

    Parameters
    ----------
    counts
        ``(B, 2**t - 1)`` counts (rows are data sets or bootstrap replicates).
    n_lists
        ``t``.
    p_threshold
        Add a term only while its p-value is below this.
    max_steps
        At most this many terms (default: all candidate terms).
    max_order
        The highest order of term the search may add (2: Chan et al.'s pairs).
        A term of order ``k > 2`` is a candidate once all its sub-terms of
        order ``k - 1`` are in the model (hierarchy); its p-value compares the
        number of people on all its lists with the number the current model
        expects, exactly as for a pair.
    on_progress
        Called with the fraction of the work done, non-decreasing, after each
        row's step (a progress bar's way into the search). The number of steps
        is not known in advance, so the fraction counts row-steps done against
        those done plus at least one more for every row still moving; it reaches
        1 only when every row has stopped.

    Returns
    -------
    pairs, p_values : list of lists
        For each row, the terms added in order and their p-values.
    columns : ndarray of bool, shape (B, p)
        The final model of each row on ``design``.
    status : ndarray of object
        ``"ok"`` or why the row's final model failed.
    design : Design
        The design (all terms up to ``max_order``) the masks refer to.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    batch = counts.shape[0]
    design = Design(n_lists, all_k_way(n_lists, max_order) if max_order >= 2 else frozenset())
    terms = design.terms
    base = design.n_base
    incidence = design.incidence.astype(float)
    hierarchy = _sub_term_columns(design)
    columns = np.zeros((batch, design.n_columns), dtype=bool)
    columns[:, :base] = True
    observed = counts @ incidence
    added: list[list[Term]] = [[] for _ in range(batch)]
    added_p: list[list[float]] = [[] for _ in range(batch)]
    status = np.full(batch, OK, dtype=object)
    active = np.arange(batch)
    limit = len(terms) if max_steps is None else max_steps
    row_steps = 0  # rows taken through a step, for on_progress
    for _step in range(limit + 1):
        if active.size == 0:
            break
        fits = evaluate_models(design, columns[active], counts[active])
        status[active] = fits.status
        expected = fits.fitted @ incidence
        p_values = two_sided_poisson_p(observed[active], expected)
        p_values[columns[active, base:]] = np.inf  # already in the model
        current = columns[active]
        for positions, subs in hierarchy:  # a higher-order term waits for all its sub-terms
            waiting = ~current[:, subs].all(axis=2)  # (rows, terms of this order)
            p_values[:, positions] = np.where(waiting, np.inf, p_values[:, positions])
        p_values[~fits.ok] = np.inf  # a failed current model stops the search
        still: list[int] = []
        if _step == limit:
            break
        for row, b in enumerate(active):
            chosen = _first_estimable(design, columns[b], counts[b], p_values[row], p_threshold)
            if chosen is not None:
                columns[b, base + chosen] = True
                added[b].append(terms[chosen])
                added_p[b].append(float(p_values[row, chosen]))
                still.append(int(b))
            if on_progress is not None:
                # the rows not yet taken through this step, and one more step for each row that moved on
                row_steps += 1
                on_progress(row_steps / (row_steps + active.size - row - 1 + len(still)))
        active = np.asarray(still, dtype=int)
    return added, added_p, columns, status, design


def _first_estimable(
    design: Design, columns: np.ndarray, counts: np.ndarray, p_values: np.ndarray, p_threshold: float
) -> int | None:
    """The term with the smallest p-value below the threshold whose model is estimable (existence LP + rank)."""
    order = np.argsort(p_values, kind="stable")
    for k in order:
        if not p_values[k] < p_threshold:
            return None
        candidate = columns.copy()
        candidate[design.n_base + k] = True
        kept_columns, kept_cells = extended_masks(design, candidate, counts)
        if identifiable_batch(design, kept_columns, kept_cells)[0] and exists_batch(
            design, kept_columns, kept_cells, counts[None]
        )[0]:
            return int(k)
    return None


def check_p_threshold(p_threshold: Any) -> float:
    """``p_threshold`` as a float in (0, 1], or a :class:`ModelError` that says what is allowed."""
    if isinstance(p_threshold, bool) or not (isinstance(p_threshold, (int, float)) and 0 < p_threshold <= 1):
        raise ModelError(f"p_threshold must be a number in (0, 1], got {p_threshold!r}.")
    return float(p_threshold)


def check_stepwise_order(max_order: Any, n_lists: int) -> int:
    """The stepwise search's ``max_order``: 2 (Chan et al.'s pairs) unless given; at most ``t - 1``."""
    if max_order is None:
        return max(1, min(2, n_lists - 1))
    return check_max_order(max_order, n_lists)


def stepwise_search(data: CaptureData, p_threshold: float = 0.02, max_order: int | None = None) -> ModelSearch:
    """Chan et al.'s (2021) stepwise selection; the table lists the model after each step.

    With ``max_order=3`` (or more) the search goes on to higher-order terms
    once all their sub-terms are in, by the same test on the number of people
    on all the term's lists (see :func:`stepwise_paths`).
    """
    p_threshold = check_p_threshold(p_threshold)
    data = data.collapse_covariates()
    order = check_stepwise_order(max_order, data.n_lists)
    counts = _counts(data)
    added, added_p, _columns, _status, design = stepwise_paths(counts[None], data.n_lists, p_threshold, max_order=order)
    path = added[0]
    models = [frozenset(path[:k]) for k in range(len(path) + 1)]
    fits = evaluate_models(design, design.column_masks(models), counts)
    table = _table(models, data.lists, fits)
    table.insert(0, "step", np.arange(len(models)))
    table.insert(1, "added", ["", *(":".join(data.lists[i] for i in term) for term in path)])
    table.insert(2, "p_value", [np.nan, *added_p[0]])
    best = " + ".join(":".join(data.lists[i] for i in term) for term in path) or "independence"
    details = {
        "p_threshold": p_threshold,
        "max_order": order,
        "order_added": best,
        "status": str(table["status"].iloc[-1]),
    }
    return ModelSearch(table, best, "stepwise", f"Poisson tail p < {p_threshold}", details=details)


def select_model(
    data: CaptureData, method: str = "stepwise", *, max_seconds: float | None = None, **options: Any
) -> ModelSearch:
    """Search hierarchical log-linear models.

    Parameters
    ----------
    data
        The capture histories (covariates are summed out).
    method
        ``"stepwise"`` (Chan et al. 2021; options ``p_threshold=0.02`` and
        ``max_order=2``, which can be raised to let the search add
        three-way and higher terms),
        ``"aic"`` / ``"bic"`` (exhaustive up to ``max_order``, greedy beyond
        ``max_models``; ``extended_mle=False`` excludes models with a term
        whose lists never overlap), ``"exhaustive"`` (every model, ranked by
        ``criterion=``, default ``"bic"``), ``"greedy"`` (forward–backward by ``criterion``) or
        ``"bic_aic"`` (forward by BIC, then by AIC).
    max_seconds
        A time budget (default none, so the result never depends on the
        machine). A search that exceeds it stops: ``best`` is ``""``, the
        table is empty and ``details["status"]`` starts with ``"cut short"``.
    **options
        ``p_threshold``, ``max_order``, ``criterion``, ``max_models``, ``extended_mle``.

    Returns
    -------
    ModelSearch
        ``table`` (model, n_params, deviance, df, aic, bic, estimate, status, ...)
        and ``best``, the chosen model in term syntax (``""`` if every fit failed).
        ``details["no_model"]`` says why when no hierarchical model can have an MLE.

    Raises
    ------
    ModelError
        For an unknown method or option.

    Examples
    --------
    >>> import mse
    >>> search = mse.select_model(mse.load_dataset("korea"), method="bic")
    >>> search.best
    'b:c + c:d'
    """
    allowed = {
        "stepwise": {"p_threshold", "max_order"},
        "aic": {"max_order", "max_models", "extended_mle"},
        "bic": {"max_order", "max_models", "extended_mle"},
        "exhaustive": {"max_order", "max_models", "criterion", "extended_mle"},
        "greedy": {"max_order", "criterion"},
        "bic_aic": {"max_order"},
    }
    if method not in allowed:
        raise ModelError(f"unknown search method {method!r}; choose one of {list(allowed)}.")
    reject_unknown_options(options, allowed[method], method)
    with time_budget(max_seconds) as budget:
        try:
            return _run_search(data, method, options)
        except BudgetExhausted as exc:
            status = f"{CUT_SHORT}: {exc}; rerun with a larger max_seconds (or none) for a result"
    columns = ["model", "n_params", "deviance", "df", "aic", "bic", "estimate", "status"]
    details = {"status": status, "max_seconds": budget.max_seconds if budget else None}
    return ModelSearch(pd.DataFrame(columns=columns), "", method, options.get("criterion", ""), details=details)


def _run_search(data: CaptureData, method: str, options: dict[str, Any]) -> ModelSearch:
    if method == "stepwise":
        return stepwise_search(data, **options)
    if method in ("aic", "bic"):
        search = exhaustive_search(data, criterion=method, **options)
        return ModelSearch(search.table, search.best, method, method, details=search.details)
    if method == "exhaustive":
        return exhaustive_search(data, **options)
    if method == "greedy":
        return greedy_search(data, **options)
    return bic_aic_search(data, **options)
