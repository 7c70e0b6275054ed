"""The capture table of the log-linear models: observable histories by complete covariate cells.

One table serves every log-linear model. With categorical covariates (year,
sex, age group, ...) it holds one row per observable history (``2**t - 1`` of
them) in each combination of covariate levels. In every covariate cell the
all-zero history is a structural zero, the dark figure of that cell; the model
predicts it from the fitted coefficients (van der Heijden, Whittaker, Cruyff,
Bakker & van der Vliet 2012). Without covariates there is one covariate cell
and the table is the ``2**t - 1`` observable cells of the lists alone.

Rows are ordered covariate cell first: row ``k * H + (j - 1)`` holds history
``j`` (the binary reading of the history, first list most significant) in
covariate cell ``k``, with ``H = 2**t - 1``. Without covariates row ``j - 1``
holds history ``j``, the order of ``CaptureData.dense_counts()[1:]``.
Covariate cells are the Cartesian product of the levels, the first covariate
varying slowest.

Records with some covariate values missing are kept apart as *partially
classified* counts: each is compatible with several rows (those that agree on
the values it has), and :mod:`mse.loglinear.covariates.em` spreads it over them.

The design columns of the models on this table are those of
:class:`mse.loglinear.model.design.Design`.

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

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from mse.data.capture import MAX_DENSE_LISTS, CaptureData
from mse.errors import DataError

__all__ = ["CaptureTable", "build_table", "cell_histories"]


def cell_histories(n_lists: int, *, include_empty: bool = False) -> np.ndarray:
    """Boolean ``(2**t - 1, t)`` histories of the observable cells (``2**t`` with the empty one first).

    Parameters
    ----------
    n_lists
        Number of lists ``t``.
    include_empty
        Start with the all-zero history.

    Returns
    -------
    ndarray of bool
        One row per history, in the order of the binary reading of the history
        (first list the most significant bit).

    Examples
    --------
    >>> cell_histories(2).astype(int).tolist()
    [[0, 1], [1, 0], [1, 1]]
    """
    codes = np.arange(0 if include_empty else 1, 1 << n_lists)
    shifts = np.arange(n_lists - 1, -1, -1)
    return ((codes[:, None] >> shifts[None, :]) & 1).astype(bool)


def _strides(radix: np.ndarray) -> np.ndarray:
    """Place values of mixed-radix codes, the first digit the most significant (empty for no digits)."""
    place = np.ones(len(radix), dtype=np.int64)
    place[:-1] = np.cumprod(radix[:0:-1])[::-1]
    return place


@dataclass(frozen=True)
class CaptureTable:
    """Counts of the observable histories in every complete covariate cell.

    Attributes
    ----------
    lists, covariates : tuple of str
        The covariates are empty for the table of the lists alone.
    levels : dict
        Covariate -> its levels, in order (the first is the reference).
    cells : pandas.DataFrame
        One row per complete covariate cell (``K`` rows), one column per covariate;
        one row and no columns without covariates.
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

    Examples
    --------
    >>> import mse
    >>> table = build_table(mse.load_dataset("korea"), covariates=[])
    >>> table.n_cells, table.n_rows, table.counts.tolist()
    (1, 7, [41.0, 5.0, 0.0, 5.0, 6.0, 54.0, 12.0])
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
    def factors(self) -> tuple[str, ...]:
        """The lists, then the covariates: the factors a model's terms are made of."""
        return (*self.lists, *self.covariates)

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


def build_table(data: CaptureData, covariates: Sequence[str] | None = None) -> CaptureTable:
    """Arrange capture data as a table of observable histories by complete covariate cells.

    Parameters
    ----------
    data
        Capture histories, with or without covariates; covariates not kept are summed out.
    covariates
        The covariates to keep (default: all of them); ``[]`` gives the table of
        the lists alone, the ``2**t - 1`` observable cells of
        ``CaptureData.dense_counts()[1:]``.

    Returns
    -------
    CaptureTable

    Raises
    ------
    DataError
        For unknown covariates, a covariate with no observed value, or more
        lists than a table of every history can hold.

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
    rest = [c for c in data.covariates if c not in names]
    if rest:
        data = data.drop_covariates(rest)
    t = data.n_lists
    if t > MAX_DENSE_LISTS:
        raise DataError(
            f"a table of all 2**{t} capture histories is too large; merge or drop lists (at most {MAX_DENSE_LISTS})."
        )
    levels = {name: tuple(data.covariate_levels[name]) for name in names}
    empty = [name for name, lv in levels.items() if len(lv) == 0]
    if empty:
        raise DataError(f"covariate(s) {empty} have no observed values; drop them with data.drop_covariates({empty}).")
    combinations = list(product(*(range(len(levels[n])) for n in names)))
    cell_codes = np.array(combinations, dtype=np.int64).reshape(len(combinations), len(names))
    cells = pd.DataFrame(
        {n: [levels[n][i] for i in cell_codes[:, c]] for c, n in enumerate(names)}, index=pd.RangeIndex(len(cell_codes))
    )
    n_cells = len(cells)
    radix = np.array([len(levels[n]) for n in names], dtype=np.int64)
    strides = _strides(radix)
    n_hist = (1 << t) - 1

    weights = 1 << np.arange(t - 1, -1, -1, dtype=np.int64)
    history_index = np.asarray(data.histories, dtype=np.int64) @ weights - 1
    values = data.covariate_values
    record_codes = np.full((len(history_index), len(names)), -1, dtype=np.int64)
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
        n_kept_cells = int(np.prod(kept_radix))
        kept_code = cell_codes[row_cells][:, kept] @ _strides(kept_radix)
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
    return CaptureTable(
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
