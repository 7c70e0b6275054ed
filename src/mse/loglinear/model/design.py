"""Design columns of hierarchical log-linear models on the rows of a capture table.

The rows are those of a :class:`~mse.loglinear.model.table.CaptureTable`: the
observable histories in every complete covariate cell, or, for the table of the
lists alone, the ``2**t - 1`` observable cells (cell ``j`` holds the history
whose binary reading, first list most significant, is ``j + 1``: the order of
``CaptureData.dense_counts()[1:]``).

Every column is built by one rule, :func:`term_columns`: a term's columns are
the products of its factors' columns. A list contributes its 0/1 indicator, so
a term of lists is the indicator that a history holds all of them. A covariate
with ``L`` levels contributes ``L - 1`` dummy columns (treatment coding, the
first level the reference), or, when it is named in ``polynomial``
(``{"year": 2}``), the orthogonal polynomial of that degree in its numeric
levels (the columns of R's ``poly``: orthonormal over the levels, orthogonal to
the constant). The intercept and the main effect of every list and covariate
are always in the model.

A :class:`Design` serves the two ways models are fitted. Model searches and
the bootstrap fit many models of one table at once: the design is built once
for a set of candidate terms (:attr:`Design.matrix`) and each model is a
boolean mask over its columns. A model on a large lists x covariates table is
fitted on its own columns, stacked from the term blocks the design caches
(:meth:`Design.matrices`), which also give the design rows of the unobserved
history in every covariate cell (the dark figure of the cell).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from mse.errors import ModelError
from mse.loglinear.model.table import CaptureTable, cell_histories
from mse.loglinear.model.terms import Term, Terms

__all__ = [
    "MAX_DESIGN_ENTRIES",
    "Design",
    "extended_masks",
    "orthogonal_polynomial",
    "term_columns",
    "zero_margin_terms",
]

#: The largest design (cells x columns) built: 2**26 entries take about 0.7 GB
#: with the boolean incidence copies. Twenty lists allow 64 columns (the
#: independence model and a few interactions); all two-way terms on twenty
#: lists (211 columns, 2.2 GB) are refused.
MAX_DESIGN_ENTRIES = 2**26


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


def orthogonal_polynomial(values: Sequence[float], degree: int) -> np.ndarray:
    """Orthonormal polynomial columns of ``degree`` over ``values``, orthogonal to the constant.

    The columns are those of R's ``poly(values, degree)``, up to sign.

    Parameters
    ----------
    values
        The numeric levels.
    degree
        The degree, below the number of distinct levels (else :class:`mse.ModelError`).

    Returns
    -------
    ndarray, shape (len(values), degree)

    Examples
    --------
    >>> import numpy as np
    >>> P = orthogonal_polynomial([2010, 2011, 2012, 2013], 2)
    >>> np.allclose(P.T @ P, np.eye(2)), np.allclose(P.sum(axis=0), 0)
    (True, True)
    """
    x = np.asarray(values, dtype=float)
    if degree < 1 or degree >= len(np.unique(x)):
        raise ModelError(
            f"a polynomial of degree {degree} needs more than {degree} distinct levels (got {len(np.unique(x))})."
        )
    vander = np.vander(x - x.mean(), degree + 1, increasing=True)
    q, r = np.linalg.qr(vander)
    q = q * np.sign(np.diag(r))  # a positive leading coefficient, as in R
    return q[:, 1:]


def _covariate_coding(name: str, levels: Sequence[Any], degree: int | None) -> tuple[np.ndarray, list[str]]:
    """Columns of a covariate over its levels (treatment dummies, or an orthogonal polynomial) and their names."""
    if degree is None:
        return np.eye(len(levels))[:, 1:], [f"{name}[{level}]" for level in levels[1:]]
    try:
        numeric = [float(v) for v in levels]
    except (TypeError, ValueError):
        raise ModelError(
            f"covariate {name!r} has non-numeric levels {list(levels)}; a polynomial coding needs numbers."
        ) from None
    coding = orthogonal_polynomial(numeric, int(degree))
    return coding, [f"{name}^{d}" for d in range(1, coding.shape[1] + 1)]


class Design:
    """Design columns of hierarchical log-linear models on the rows of a capture table.

    Parameters
    ----------
    table
        The :class:`~mse.loglinear.model.table.CaptureTable` whose rows the design
        covers, or the number of lists ``t`` for the table of the lists alone
        (its ``2**t - 1`` observable cells; the list names are then given to
        :meth:`column_names` when names are wanted).
    terms
        Candidate interaction terms (order two or more; over lists and, with a
        table, covariates): the columns of :attr:`matrix` after the intercept
        and main effects, which are always present.
    polynomial
        Covariate -> degree of the orthogonal polynomial coding (``{"year": 2}``);
        other covariates are coded by treatment dummies.

    Attributes
    ----------
    table : CaptureTable or None
        The table given (``None`` when built from the number of lists).
    n_lists, n_cells, n_rows : int
        Lists, complete covariate cells (1 without covariates) and rows.
    matrix : ndarray, shape (rows, columns)
        Intercept, main effects, then the candidate terms.
    n_base : int
        The intercept and main-effect columns, always in every model.
    terms : list of tuple of int
        The candidate terms, in column order after the ``n_base`` base columns.
    index : dict
        Term -> its column position (a slice for a term with several columns).
    histories : ndarray of bool, shape (rows, t)
        The capture history of every row.
    incidence, effect_incidence : ndarray of bool
        Row x term and row x (main effect or term) incidence of a design of
        lists: which rows hold every list of each term (used by the extended
        MLE and the overlap tests).

    Raises
    ------
    ModelError
        For a design too large for memory, or a polynomial coding of an unknown
        or non-numeric covariate.

    Examples
    --------
    >>> design = Design(3, [(0, 1)])
    >>> design.matrix.astype(int).tolist()[-1], design.column_names(["A", "B", "C"])
    ([1, 1, 1, 1, 1], ['(intercept)', 'A', 'B', 'C', 'A:B'])
    """

    def __init__(
        self, table: CaptureTable | int, terms: Iterable[Term] = (), *, polynomial: Mapping[str, int] | None = None
    ) -> None:
        polynomial = dict(polynomial or {})
        codings: list[tuple[np.ndarray, list[str]]] = []
        if isinstance(table, CaptureTable):
            self.table: CaptureTable | None = table
            n_lists, n_cells = len(table.lists), table.n_cells
            unknown = [name for name in polynomial if name not in table.covariates]
            if unknown:
                raise ModelError(
                    f"year_polynomial names {unknown}, which are not covariates of the model; the covariates are "
                    f"{list(table.covariates)}."
                )
            codings = [_covariate_coding(name, table.levels[name], polynomial.get(name)) for name in table.covariates]
        else:
            self.table = None
            n_lists, n_cells = int(table), 1
        self.polynomial = polynomial
        self.n_lists = n_lists
        self.terms: list[Term] = sorted(set(terms), key=lambda t: (len(t), t))
        widths = [1] * n_lists + [coding.shape[1] for coding, _ in codings]
        term_widths = [math.prod(widths[f] for f in term) for term in self.terms]
        n_columns = 1 + sum(widths) + sum(term_widths)
        entries = n_cells * (1 << n_lists) * n_columns
        if entries > MAX_DESIGN_ENTRIES:
            raise ModelError(
                f"a log-linear design over all {(1 << n_lists) - 1:,} capture histories of {n_lists} lists"
                f"{f' in {n_cells:,} covariate cells' if n_cells > 1 else ''} with {n_columns} columns needs about "
                f"{10 * entries / 2**30:.1f} GB, more than this library allows (at most {MAX_DESIGN_ENTRIES:,} "
                "entries); merge or drop lists (data.merge_lists, data.drop_lists) or choose a model with fewer "
                "interaction terms."
            )
        histories = cell_histories(n_lists)
        self.histories = histories if n_cells == 1 else np.tile(histories, (n_cells, 1))
        self.n_cells = n_cells
        self.n_rows = n_cells * len(histories)
        # Each factor's columns over the observable rows, and over the unobserved history of every
        # covariate cell (where every list's indicator is 0).
        indicators = histories.T.astype(float)  # one contiguous row per list
        self._factor_rows = [
            indicators[j, :, None] if n_cells == 1 else np.tile(indicators[j, :, None], (n_cells, 1))
            for j in range(n_lists)
        ]
        self._factor_dark = [np.zeros((n_cells, 1)) for _ in range(n_lists)]
        self._factor_labels: list[list[str]] = [[] for _ in range(n_lists)]  # lists are named by the table
        for c, (coding, labels) in enumerate(codings):
            assert self.table is not None
            per_cell = coding[self.table.codes[:, c]]
            self._factor_rows.append(np.repeat(per_cell, len(histories), axis=0))
            self._factor_dark.append(per_cell)
            self._factor_labels.append(labels)
        self._blocks: dict[Term, tuple[np.ndarray, np.ndarray]] = {}
        self.n_base = 1 + sum(widths)
        self.index: dict[Term, int | slice] = {}
        position = self.n_base
        for term, width in zip(self.terms, term_widths):
            self.index[term] = position if width == 1 else slice(position, position + width)
            position += width

    @functools.cached_property
    def matrix(self) -> np.ndarray:
        """Intercept, main effects, then the candidate terms, over the observable rows."""
        return np.hstack([self._columns(term) for term in [(), *self.base_terms(), *self.terms]])

    @functools.cached_property
    def incidence(self) -> np.ndarray:
        """Row x candidate-term incidence (used for the extended MLE and the overlap tests)."""
        return self.matrix[:, self.n_base :].astype(bool)

    @functools.cached_property
    def effect_incidence(self) -> np.ndarray:
        """Row x (main effect or term) incidence: a list nobody is on is handled like a term."""
        return self.matrix[:, 1:].astype(bool)

    @property
    def n_columns(self) -> int:
        return self.matrix.shape[1]

    def base_terms(self) -> list[Term]:
        """The main effects of every list and covariate (the intercept is implicit)."""
        return [(f,) for f in range(len(self._factor_rows))]

    def _columns(self, term: Term) -> np.ndarray:
        return term_columns([self._factor_rows[f] for f in term], self.n_rows)

    def block(self, term: Term) -> tuple[np.ndarray, np.ndarray]:
        """Columns of one term over the observable rows and over the unobserved history of every covariate cell.

        Blocks are cached, so a model search assembles each candidate's design
        by stacking them.
        """
        if term not in self._blocks:
            dark = term_columns([self._factor_dark[f] for f in term], self.n_cells)
            self._blocks[term] = (self._columns(term), dark)
        return self._blocks[term]

    def labels(self, term: Term, lists: Sequence[str] | None = None) -> list[str]:
        """Names of a term's columns: its factors' names (a covariate level as ``sex[M]``) joined by ``:``."""
        names = [""]
        for factor in term:
            own = self._factor_labels[factor] if factor >= self.n_lists else [self._list_names(lists)[factor]]
            names = [f"{a}:{b}" if a else b for a in names for b in own]
        return names

    def _list_names(self, lists: Sequence[str] | None) -> Sequence[str]:
        if lists is not None:
            return lists
        if self.table is None:
            raise ValueError("a design built from the number of lists needs the list names")
        return self.table.lists

    def column_names(self, lists: Sequence[str] | None = None) -> list[str]:
        """Names of the columns of :attr:`matrix` (list names default to the table's)."""
        names = ["(intercept)"]
        for term in [*self.base_terms(), *self.terms]:
            names += self.labels(term, lists)
        return names

    def matrices(self, terms: Terms) -> tuple[np.ndarray, np.ndarray, list[str], list[Term]]:
        """One model's design: over the observable rows, over the unobserved cells, column names and owning terms.

        The columns are the intercept, every main effect and ``terms`` in
        :attr:`terms` order, stacked from the cached blocks.
        """
        ordered = self.base_terms() + sorted(terms, key=lambda term: (len(term), term))
        obs_parts = [np.ones((self.n_rows, 1))]
        dark_parts = [np.ones((self.n_cells, 1))]
        names = ["(intercept)"]
        owner: list[Term] = [()]
        for term in ordered:
            obs, dark = self.block(term)
            labels = self.labels(term)
            obs_parts.append(obs)
            dark_parts.append(dark)
            names += labels
            owner += [term] * len(labels)
        return np.hstack(obs_parts), np.hstack(dark_parts), names, owner

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
