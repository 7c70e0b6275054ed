"""Cells of the capture table and design columns of hierarchical log-linear models.

The observable cells are the ``2**t - 1`` non-empty capture histories. Cell
``j`` (0-based) holds the history whose binary reading, with the first list
as the most significant bit, is ``j + 1`` — the order of
``CaptureData.dense_counts()[1:]``.

A design is built once for a set of candidate terms: an intercept column, one
column per list (main effects) and one column per interaction term, each the
indicator that a cell's history contains every list of the term. A model then
is a boolean mask over these columns.

Every column, here and in the designs with covariates
(:class:`mse.loglinear.covariates.CovariateDesign`), is built by one rule,
:func:`term_columns`: a term's columns are the products of its factors'
columns (a list's factor column is its 0/1 indicator, so a term of lists is
the indicator that a history holds all of them). A table over the lists alone
is the table with covariates when there are none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from mse.loglinear.terms import Term, Terms

__all__ = ["MAX_DESIGN_ENTRIES", "Design", "cell_histories", "extended_masks", "term_columns", "zero_margin_terms"]

#: The largest design (cells x columns) built: 2**26 entries take about 0.7 GB
#: with the boolean incidence copies. Twenty lists allow 64 columns (the
#: independence model and a few interactions); all two-way terms on twenty
#: lists (211 columns, 2.2 GB) are refused.
MAX_DESIGN_ENTRIES = 2**26


def cell_histories(n_lists: int, *, include_empty: bool = False) -> np.ndarray:
    """Boolean ``(2**t - 1, t)`` histories of the observable cells (``2**t`` with the empty one first)."""
    codes = np.arange(0 if include_empty else 1, 1 << n_lists)
    shifts = np.arange(n_lists - 1, -1, -1)
    return ((codes[:, None] >> shifts[None, :]) & 1).astype(bool)


def term_columns(factor_columns: Sequence[np.ndarray], n_rows: int) -> np.ndarray:
    """Columns of a term: every product of one column of each of its factors, the last factor varying fastest.

    Parameters
    ----------
    factor_columns
        ``(n_rows, k_f)`` columns of each factor of the term (a list: its 0/1
        indicator; a covariate: its dummy or polynomial columns).
    n_rows
        Number of rows; with no factors (the intercept) the result is one column of ones.

    Returns
    -------
    ndarray, shape (n_rows, prod k_f)
        For a term of one factor, that factor's columns themselves (not a copy); do not modify.

    Examples
    --------
    >>> import numpy as np
    >>> histories = cell_histories(2).astype(float)
    >>> term_columns([histories[:, [0]], histories[:, [1]]], 3)[:, 0]  # the A:B term over 01, 10, 11
    array([0., 0., 1.])
    """
    if len(factor_columns) == 0:
        return np.ones((n_rows, 1))
    columns = np.asarray(factor_columns[0], dtype=float)
    for block in factor_columns[1:]:
        columns = (columns[:, :, None] * block[:, None, :]).reshape(n_rows, -1)
    return columns


class Design:
    """Design matrix over the observable cells for a fixed set of candidate terms.

    Parameters
    ----------
    n_lists
        Number of lists ``t``.
    terms
        Candidate interaction terms (order two or more); main effects and the
        intercept are always present.
    include_empty
        Add the all-zero cell as the first row (used by the profile likelihood).

    Attributes
    ----------
    matrix : ndarray, shape (cells, 1 + t + len(terms))
    terms : list of tuple of int
        The interaction terms, in column order after the ``1 + t`` base columns.
    index : dict
        Term -> column position.
    """

    def __init__(self, n_lists: int, terms: Iterable[Term], *, include_empty: bool = False) -> None:
        self.n_lists = n_lists
        self.terms: list[Term] = sorted(set(terms), key=lambda t: (len(t), t))
        entries = (1 << n_lists) * (1 + n_lists + len(self.terms))
        if entries > MAX_DESIGN_ENTRIES:
            from mse.errors import ModelError

            raise ModelError(
                f"a log-linear design over all {(1 << n_lists) - 1:,} capture histories of {n_lists} lists with "
                f"{1 + n_lists + len(self.terms)} columns needs about {10 * entries / 2**30:.1f} GB, more than this "
                f"library allows (at most {MAX_DESIGN_ENTRIES:,} entries); merge or drop lists "
                "(data.merge_lists, data.drop_lists) or choose a model with fewer interaction terms."
            )
        self.histories = cell_histories(n_lists, include_empty=include_empty)
        indicators = self.histories.T.astype(float)  # one contiguous row per list
        n_rows = len(self.histories)
        # intercept, main effects, then the terms: each the product of its lists' indicators
        ordered: list[Term] = [(), *((j,) for j in range(n_lists)), *self.terms]
        self.matrix = np.hstack([term_columns([indicators[j, :, None] for j in term], n_rows) for term in ordered])
        self.n_base = 1 + n_lists
        self.index = {term: self.n_base + k for k, term in enumerate(self.terms)}
        # cell x term incidence, used for the extended MLE and overlap tests
        self.incidence = self.matrix[:, self.n_base :].astype(bool)
        # cell x (main effect or term) incidence: a list nobody is on is handled like a term
        self.effect_incidence = self.matrix[:, 1:].astype(bool)

    @property
    def n_columns(self) -> int:
        return self.matrix.shape[1]

    def column_mask(self, model: Terms) -> np.ndarray:
        """Boolean mask of the columns a model uses."""
        mask = np.zeros(self.n_columns, dtype=bool)
        mask[: self.n_base] = True
        for term in model:
            mask[self.index[term]] = True
        return mask

    def column_masks(self, models: Sequence[Terms]) -> np.ndarray:
        """Stacked column masks, shape ``(len(models), columns)``."""
        masks = np.zeros((len(models), self.n_columns), dtype=bool)
        masks[:, : self.n_base] = True
        for m, model in enumerate(models):
            for term in model:
                masks[m, self.index[term]] = True
        return masks


def zero_margin_terms(incidence: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Which candidate terms have no one on all their lists: shape ``counts.shape[:-1] + (terms,)``."""
    return (np.asarray(counts, dtype=float) @ incidence.astype(float)) == 0


def extended_masks(design: Design, column_mask: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column and cell masks of the extended MLE (Chan, Silverman & Vincent 2021).

    A term in the model whose lists never appear together has its maximum-likelihood
    value at minus infinity: every cell that contains it has fitted value 0. The
    extended MLE drops those cells and the terms fitted at minus infinity (the
    term and any term containing it), and fits the rest as usual. A list nobody
    is on is treated the same way (its main effect is at minus infinity).

    Parameters
    ----------
    design
        The shared design.
    column_mask
        ``(p,)`` or ``(M, p)`` columns of each model.
    counts
        ``(n,)`` or ``(M, n)`` counts of the observable cells.

    Returns
    -------
    columns, cells : ndarray of bool
        Masks ``(M, p)`` and ``(M, n)`` of the columns kept and the cells fitted.
    """
    column_mask = np.atleast_2d(np.asarray(column_mask, dtype=bool))
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    batch = max(column_mask.shape[0], counts.shape[0])
    column_mask = np.broadcast_to(column_mask, (batch, column_mask.shape[1]))
    counts = np.broadcast_to(counts, (batch, counts.shape[1]))
    incidence = design.effect_incidence.astype(float)
    infinite = zero_margin_terms(incidence, counts) & column_mask[:, 1:]
    if not infinite.any():
        return column_mask.copy(), np.ones(counts.shape, dtype=bool)
    removed_cells = (infinite.astype(float) @ incidence.T) > 0
    cells = ~removed_cells
    columns = column_mask.copy()
    # an effect none of whose cells remain cannot be estimated: it goes with the dropped cells
    columns[:, 1:] &= (cells.astype(float) @ incidence) > 0
    return columns, cells
