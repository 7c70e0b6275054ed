"""The lists x covariates table and the design of log-linear models on it.

With categorical covariates (year, sex, age group, ...) the capture table
becomes a table of capture histories by *complete covariate cells*: one row per
observable history (``2**t - 1`` of them) in each combination of covariate
levels. In every covariate cell the all-zero history is a structural zero, the
dark figure of that cell; the model predicts it from the fitted coefficients
(van der Heijden, Whittaker, Cruyff, Bakker & van der Vliet 2012).

Rows are ordered covariate cell first: row ``k * H + (j - 1)`` holds history
``j`` (the binary reading of the history, first list most significant, as in
:mod:`mse.loglinear.design`) in covariate cell ``k``, with ``H = 2**t - 1``.
Covariate cells are the Cartesian product of the levels, the first covariate
varying slowest.

Coding of the factors
---------------------
A list contributes its 0/1 indicator. A covariate with ``L`` levels
contributes ``L - 1`` dummy columns (treatment coding, the first level as the
reference), or, when it is named in ``polynomial`` (``{"year": 2}``), the
orthogonal polynomial of that degree in its numeric levels (the columns of
``R``'s ``poly``: orthonormal over the levels, orthogonal to the constant).
A term's columns are the products of its factors' columns. The intercept, the
main effect of every list and of every covariate are always in the model.

Records with some covariate values missing are kept apart as *partially
classified* counts: each is compatible with several rows (those that agree on
the values it has), and :mod:`mse.loglinear.em` spreads it over them.

References
----------
van der Heijden, P. G. M., Whittaker, J., Cruyff, M., Bakker, B. & van der Vliet, R.
(2012). People born in the Middle East but residing in the Netherlands: invariant
population size estimates and the role of active and passive covariates. *Annals of
Applied Statistics* 6(3), 831–852.

Cruyff, M., van Dijk, J. & van der Heijden, P. G. M. (2017). The challenge of
counting victims of human trafficking: not-in-the-records data in Dutch registrations.
*Chance* 30(3), 41–49.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from mse.data.capture import CaptureData
from mse.errors import DataError, ModelError
from mse.loglinear.design import cell_histories, term_columns
from mse.loglinear.irls import NewtonFits, newton_fit
from mse.loglinear.terms import Term

__all__ = [
    "CovariateDesign",
    "CovariateTable",
    "NewtonFits",  # re-exported from mse.loglinear.irls, where the solver lives
    "build_table",
    "newton_fit",
    "orthogonal_polynomial",
]


def orthogonal_polynomial(values: Sequence[float], degree: int) -> np.ndarray:
    """Orthonormal polynomial columns of ``degree`` over ``values``, orthogonal to the constant.

    The columns are those of R's ``poly(values, degree)``, up to sign.

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


@dataclass(frozen=True)
class CovariateTable:
    """Counts of the observable histories in every complete covariate cell.

    Attributes
    ----------
    lists, covariates : tuple of str
    levels : dict
        Covariate -> its levels, in order (the first is the reference).
    cells : pandas.DataFrame
        One row per complete covariate cell (``K`` rows), one column per covariate.
    codes : ndarray, shape (K, c)
        Level index of each covariate in each cell.
    histories : ndarray of bool, shape (H, t)
        The observable histories, ``H = 2**t - 1``.
    counts : ndarray, shape (K * H,)
        Fully classified records per row.
    partial : scipy.sparse.csr_matrix, shape (G, K * H)
        Which rows each group of partially classified records is compatible with.
    partial_counts : ndarray, shape (G,)
        Records in each group (0 for groups only used by the bootstrap).
    group_of_row : ndarray of int, shape (P, K * H)
        For every missingness pattern (``patterns``), the group a record of each
        row falls in when it lacks the values of that pattern (pattern 0 is
        "nothing missing", mapped to ``-1``).
    patterns : tuple of tuple of bool
        Missingness patterns over the covariates, the complete one first.
    pattern_rates : ndarray, shape (H, P)
        Share of the records of each history that show each pattern.
    """

    lists: tuple[str, ...]
    covariates: tuple[str, ...]
    levels: dict[str, tuple[Any, ...]]
    cells: pd.DataFrame = field(repr=False)
    codes: np.ndarray = field(repr=False)
    histories: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    partial: Any = field(repr=False)
    partial_counts: np.ndarray = field(repr=False)
    group_of_row: np.ndarray = field(repr=False)
    patterns: tuple[tuple[bool, ...], ...]
    pattern_rates: np.ndarray = field(repr=False)

    @property
    def n_cells(self) -> int:
        """Number of complete covariate cells ``K``."""
        return len(self.cells)

    @property
    def n_histories(self) -> int:
        return len(self.histories)

    @property
    def n_rows(self) -> int:
        return self.n_cells * self.n_histories

    @property
    def n_observed(self) -> int:
        return round(float(self.counts.sum() + self.partial_counts.sum()))

    @property
    def has_missing(self) -> bool:
        return bool(self.partial_counts.sum() > 0)

    @property
    def cell_of_row(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_cells), self.n_histories)

    @property
    def history_of_row(self) -> np.ndarray:
        return np.tile(np.arange(self.n_histories), self.n_cells)

    def cell_totals(self, row_counts: np.ndarray) -> np.ndarray:
        """Sum ``(..., rows)`` counts over histories within each covariate cell: ``(..., K)``."""
        row_counts = np.asarray(row_counts, dtype=float)
        return row_counts.reshape(*row_counts.shape[:-1], self.n_cells, self.n_histories).sum(axis=-1)


def build_table(data: CaptureData, covariates: Sequence[str] | None = None) -> CovariateTable:
    """Arrange capture data with covariates as a lists x covariate-cells table.

    Parameters
    ----------
    data
        Capture histories with covariates; other covariates are summed out.
    covariates
        The covariates to keep (default: all of them).

    Raises
    ------
    DataError
        For unknown covariates, or data without covariates.

    Examples
    --------
    >>> import mse
    >>> table = build_table(mse.load_dataset("spina_bifida_ethnicity"))
    >>> table.n_cells, table.n_histories, table.n_observed
    (3, 7, 621)
    """
    names = tuple(data.covariates if covariates is None else covariates)
    unknown = [n for n in names if n not in data.covariates]
    if unknown:
        raise DataError(f"unknown covariate(s) {unknown}; the data have covariates {list(data.covariates)}.")
    if not names:
        raise DataError("the data have no covariates; use the log-linear models without covariates.")
    rest = [c for c in data.covariates if c not in names]
    if rest:
        data = data.drop_covariates(rest)
    t = data.n_lists
    levels = {name: tuple(data.covariate_levels[name]) for name in names}
    empty = [name for name, lv in levels.items() if len(lv) == 0]
    if empty:
        raise DataError(f"covariate(s) {empty} have no observed values; drop them with data.drop_covariates({empty}).")
    cell_codes = np.array(list(product(*(range(len(levels[n])) for n in names))), dtype=np.int64).reshape(
        -1, len(names)
    )
    cells = pd.DataFrame({n: [levels[n][i] for i in cell_codes[:, c]] for c, n in enumerate(names)})
    n_cells = len(cells)
    radix = np.array([len(levels[n]) for n in names], dtype=np.int64)
    strides = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]]).astype(np.int64)
    n_hist = (1 << t) - 1

    weights = 1 << np.arange(t - 1, -1, -1, dtype=np.int64)
    history_index = np.asarray(data.histories, dtype=np.int64) @ weights - 1
    values = data.covariate_values
    record_codes = np.full((len(values), len(names)), -1, dtype=np.int64)
    for c, name in enumerate(names):
        lookup = {level: i for i, level in enumerate(levels[name])}
        column = values[name]
        missing = column.isna().to_numpy()
        record_codes[~missing, c] = [lookup[v] for v in column[~missing]]
    record_counts = np.asarray(data.counts, dtype=float)
    is_missing = record_codes < 0

    complete = ~is_missing.any(axis=1)
    counts = np.zeros(n_cells * n_hist)
    rows = (record_codes[complete] @ strides) * n_hist + history_index[complete]
    np.add.at(counts, rows, record_counts[complete])

    # missingness patterns present in the data, the complete pattern first
    pattern_keys = [tuple(bool(x) for x in row) for row in is_missing]
    patterns: list[tuple[bool, ...]] = [tuple([False] * len(names))]
    for key in pattern_keys:
        if key not in patterns:
            patterns.append(key)
    row_cells = np.repeat(np.arange(n_cells), n_hist)
    row_hist = np.tile(np.arange(n_hist), n_cells)
    group_of_row = np.full((len(patterns), n_cells * n_hist), -1, dtype=np.int64)
    blocks = []
    offset = 0
    for p, pattern in enumerate(patterns[1:], start=1):
        kept = np.array([not m for m in pattern])
        kept_radix = radix[kept]
        kept_strides = np.concatenate([np.cumprod(kept_radix[::-1])[::-1][1:], [1]]).astype(np.int64)
        n_kept_cells = int(np.prod(kept_radix)) if kept.any() else 1
        kept_code = cell_codes[row_cells][:, kept] @ kept_strides if kept.any() else np.zeros(len(row_cells), int)
        group = offset + row_hist * n_kept_cells + kept_code
        group_of_row[p] = group
        size = n_hist * n_kept_cells
        blocks.append((group, size))
        offset += size
    n_groups = offset
    if n_groups:
        row_index = np.concatenate([np.arange(n_cells * n_hist)] * len(blocks))
        group_index = np.concatenate([g for g, _ in blocks])
        partial = sparse.csr_matrix(
            (np.ones(len(row_index)), (group_index, row_index)), shape=(n_groups, n_cells * n_hist)
        )
    else:
        partial = sparse.csr_matrix((0, n_cells * n_hist))
    partial_counts = np.zeros(n_groups)
    pattern_of_record = np.array([patterns.index(key) for key in pattern_keys], dtype=np.int64)
    pattern_rates = np.zeros((n_hist, len(patterns)))
    np.add.at(pattern_rates, (history_index, pattern_of_record), record_counts)
    for r in np.flatnonzero(~complete):
        p = int(pattern_of_record[r])
        codes = np.where(is_missing[r], 0, record_codes[r])
        row = int(codes @ strides) * n_hist + int(history_index[r])
        partial_counts[group_of_row[p, row]] += record_counts[r]
    totals = pattern_rates.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pattern_rates = np.where(totals > 0, pattern_rates / np.where(totals > 0, totals, 1.0), 0.0)
    pattern_rates[totals[:, 0] == 0, 0] = 1.0
    return CovariateTable(
        lists=data.lists,
        covariates=names,
        levels=levels,
        cells=cells,
        codes=cell_codes,
        histories=cell_histories(t),
        counts=counts,
        partial=partial,
        partial_counts=partial_counts,
        group_of_row=group_of_row,
        patterns=tuple(patterns),
        pattern_rates=pattern_rates,
    )


class CovariateDesign:
    """Design columns of log-linear models on a :class:`CovariateTable`.

    Term blocks are built once and cached, so a model search assembles each
    candidate's design by stacking blocks.

    Parameters
    ----------
    table
        The lists x covariates table.
    polynomial
        Covariate -> degree of the orthogonal polynomial coding (``{"year": 2}``);
        other covariates are coded by treatment dummies.

    Raises
    ------
    ModelError
        For a polynomial coding of an unknown or non-numeric covariate.
    """

    def __init__(self, table: CovariateTable, polynomial: Mapping[str, int] | None = None) -> None:
        self.table = table
        polynomial = dict(polynomial or {})
        unknown = [n for n in polynomial if n not in table.covariates]
        if unknown:
            raise ModelError(
                f"year_polynomial names {unknown}, which are not covariates of the model; the covariates are "
                f"{list(table.covariates)}."
            )
        self.polynomial = polynomial
        self.factors = (*table.lists, *table.covariates)
        t = len(table.lists)
        self._obs_blocks: dict[int, np.ndarray] = {}
        self._dark_blocks: dict[int, np.ndarray] = {}
        self._names: dict[int, list[str]] = {}
        cell_of_row = table.cell_of_row
        history_of_row = table.history_of_row
        for j, name in enumerate(table.lists):
            self._obs_blocks[j] = table.histories[history_of_row, j].astype(float)[:, None]
            self._dark_blocks[j] = np.zeros((table.n_cells, 1))
            self._names[j] = [name]
        for c, name in enumerate(table.covariates):
            levels = table.levels[name]
            if name in polynomial:
                try:
                    numeric = [float(v) for v in levels]
                except (TypeError, ValueError):
                    raise ModelError(
                        f"covariate {name!r} has non-numeric levels {list(levels)}; a polynomial coding needs numbers."
                    ) from None
                coding = orthogonal_polynomial(numeric, int(polynomial[name]))
                labels = [f"{name}^{d}" for d in range(1, coding.shape[1] + 1)]
            else:
                coding = np.eye(len(levels))[:, 1:]
                labels = [f"{name}[{level}]" for level in levels[1:]]
            per_cell = coding[table.codes[:, c]]
            self._obs_blocks[t + c] = per_cell[cell_of_row]
            self._dark_blocks[t + c] = per_cell
            self._names[t + c] = labels
        self._cache: dict[Term, tuple[np.ndarray, np.ndarray, list[str]]] = {}

    @property
    def n_lists(self) -> int:
        return len(self.table.lists)

    def block(self, term: Term) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Columns of one term over the observable rows and over the dark cells, with their names."""
        if term not in self._cache:
            obs = term_columns([self._obs_blocks[f] for f in term], self.table.n_rows)
            dark = term_columns([self._dark_blocks[f] for f in term], self.table.n_cells)
            names = [""]
            for factor in term:
                names = [f"{a}:{b}" if a else b for a in names for b in self._names[factor]]
            self._cache[term] = (obs, dark, names)
        return self._cache[term]

    def base_terms(self) -> list[Term]:
        """The intercept is implicit; main effects of every list and covariate."""
        return [(f,) for f in range(len(self.factors))]

    def matrices(self, terms: frozenset[Term]) -> tuple[np.ndarray, np.ndarray, list[str], list[Term]]:
        """Design over the observable rows, over the dark cells, column names and the term of each column."""
        ordered = self.base_terms() + sorted(terms, key=lambda term: (len(term), term))
        obs_parts = [np.ones((self.table.n_rows, 1))]
        dark_parts = [np.ones((self.table.n_cells, 1))]
        names = ["(intercept)"]
        owner: list[Term] = [()]
        for term in ordered:
            obs, dark, labels = self.block(term)
            obs_parts.append(obs)
            dark_parts.append(dark)
            names += labels
            owner += [term] * len(labels)
        return np.hstack(obs_parts), np.hstack(dark_parts), names, owner
