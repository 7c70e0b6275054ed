"""The capture-history table every estimator in :mod:`mse` works on.

A :class:`CaptureData` is an immutable, aggregated table: one row per distinct
observed capture history (and covariate combination), with the number of
people who have it. Only observed histories are stored, never a dense
``2**t`` array, so the number of lists is not limited by memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mse.data.validation import (
    MAX_COUNT,
    check_column_names,
    check_columns_present,
    check_list_names,
    coerce_binary,
    coerce_counts,
)
from mse.errors import DataError, DataWarning, people, warn

if TYPE_CHECKING:
    from mse.disclosure import DisclosurePolicy

__all__ = ["MAX_DENSE_LISTS", "MERGED_NAME_SEPARATOR", "CaptureData"]

#: The largest number of lists for which a dense table of all ``2**t`` cells is built.
MAX_DENSE_LISTS = 24

#: Joins the names of merged lists into the merged list's default name ("PF/NCA": on PF or NCA).
MERGED_NAME_SEPARATOR = "/"


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


class CaptureData:
    """Aggregated capture histories from ``t >= 2`` lists, with optional covariates.

    Build one with :meth:`from_counts`, :meth:`from_records` or
    :meth:`from_patterns`, or load a bundled data set with
    :func:`mse.load_dataset`. Every operation returns a new object; the table
    itself cannot be changed.

    Attributes
    ----------
    lists : tuple of str
        The list names, in order.
    covariates : tuple of str
        The covariate names (empty when there are none).
    n_observed : int
        The number of people seen on at least one list.

    Notes
    -----
    Rows are kept in a canonical order (by the number of lists a history is on,
    then by the history read as a binary number with the first list most
    significant, then by covariate levels), so two tables with the same content
    compare equal and have the same :attr:`content_hash`.

    Examples
    --------
    >>> import mse
    >>> data = mse.CaptureData.from_patterns({"10": 40, "01": 30, "11": 10}, lists=["A", "B"])
    >>> data.n_observed
    80
    >>> data.overlaps()
      list_a list_b  overlap
    0      A      B       10
    """

    __slots__ = ("_counts", "_covariate_values", "_covariates", "_hash", "_histories", "_levels", "_lists")
    _lists: tuple[str, ...]
    _covariates: tuple[str, ...]
    _histories: np.ndarray
    _covariate_values: pd.DataFrame
    _counts: np.ndarray
    _levels: dict[str, tuple[Any, ...]]
    _hash: str | None

    def __init__(
        self,
        histories: np.ndarray,
        counts: np.ndarray,
        lists: Sequence[str],
        covariate_values: pd.DataFrame | None = None,
        *,
        _validated: bool = False,
    ) -> None:
        lists = check_list_names(lists)
        histories = np.asarray(histories)
        counts = np.asarray(counts)
        if histories.ndim != 2 or histories.shape[1] != len(lists):
            raise DataError(
                f"histories must be a 2-D array with one column per list ({len(lists)}), got shape {histories.shape}."
            )
        if counts.shape != (histories.shape[0],):
            raise DataError(f"counts must have one entry per history ({histories.shape[0]}), got shape {counts.shape}.")
        if covariate_values is None:
            covariate_values = pd.DataFrame(index=pd.RangeIndex(histories.shape[0]))
        if not _validated:
            frame = pd.DataFrame(histories, columns=list(lists))
            for name in covariate_values.columns:
                frame[name] = covariate_values[name].to_numpy()
            frame["count"] = counts
            other = CaptureData.from_counts(
                frame, lists=list(lists), count="count", covariates=list(covariate_values.columns)
            )
            for slot in CaptureData.__slots__:
                object.__setattr__(self, slot, getattr(other, slot))
            return
        object.__setattr__(self, "_lists", lists)
        object.__setattr__(self, "_covariates", tuple(str(c) for c in covariate_values.columns))
        object.__setattr__(self, "_histories", _readonly(histories.astype(np.uint8, copy=False)))
        object.__setattr__(self, "_counts", _readonly(counts.astype(np.int64, copy=False)))
        frozen = covariate_values.reset_index(drop=True).copy()
        object.__setattr__(self, "_covariate_values", frozen)
        levels = {}
        for name in frozen.columns:
            column = frozen[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                levels[name] = tuple(column.cat.categories)
            else:
                levels[name] = tuple(sorted(column.dropna().unique(), key=str))
        object.__setattr__(self, "_levels", levels)
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("CaptureData is immutable; its methods return new objects.")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_counts(
        cls,
        frame: pd.DataFrame,
        lists: Sequence[str],
        count: str = "count",
        covariates: Sequence[str] | None = None,
        *,
        drop_unobserved: bool = False,
        present: Any = None,
    ) -> CaptureData:
        """Build a table from aggregated counts: one row per history (and covariate combination).

        Parameters
        ----------
        frame
            A DataFrame with one column per list (0/1 or booleans), optional
            covariate columns and a count column. It is not modified.
        lists
            The list columns, in the order to use.
        count
            The name of the count column.
        covariates
            Categorical covariate columns; missing values are allowed and kept.
        drop_unobserved
            A positive count on the all-zero history (people on no list) is an
            error, because that cell is what is being estimated. With
            ``drop_unobserved=True`` such rows are dropped with a warning instead.
        present
            The value that marks presence on a list, if not 1/True.

        Returns
        -------
        CaptureData
            Duplicate histories are summed; histories with count 0 are dropped.

        Raises
        ------
        DataError
            For non-binary list values, missing or negative or fractional counts,
            bad list names, or people on no list.

        Examples
        --------
        >>> import pandas as pd, mse
        >>> df = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [40, 30, 10]})
        >>> mse.CaptureData.from_counts(df, lists=["A", "B"]).n_observed
        80
        """
        return cls._from_frame(frame, lists, covariates, count=count, present=present, drop_unobserved=drop_unobserved)

    @classmethod
    def from_records(
        cls,
        frame: pd.DataFrame,
        lists: Sequence[str],
        covariates: Sequence[str] | None = None,
        *,
        present: Any = None,
        drop_unobserved: bool = False,
    ) -> CaptureData:
        """Build a table from individual records: one row per person.

        Parameters
        ----------
        frame
            One row per person, one column per list (0/1, booleans, or the value
            ``present``), and optional covariate columns. It is not modified.
        lists
            The list columns, in order.
        covariates
            Categorical covariate columns; missing values are allowed.
        present
            The value that marks presence on a list (for example ``"yes"``),
            if not 1/True.
        drop_unobserved
            Records on no list are an error unless this is ``True``, in which
            case they are dropped with a warning.

        Returns
        -------
        CaptureData

        Examples
        --------
        >>> import pandas as pd, mse
        >>> people = pd.DataFrame({"A": [1, 1, 0], "B": [0, 1, 1], "sex": ["f", "m", None]})
        >>> mse.CaptureData.from_records(people, lists=["A", "B"], covariates=["sex"]).n_observed
        3
        """
        return cls._from_frame(frame, lists, covariates, count=None, present=present, drop_unobserved=drop_unobserved)

    @classmethod
    def from_linked(cls, linkage: Any, covariates: Sequence[str] | None = None) -> CaptureData:
        """Build a table from a probabilistic linkage: one person per cluster of linked records.

        Parameters
        ----------
        linkage
            A :class:`mse.linkage.LinkageResult`, from :func:`mse.linkage.link`.
        covariates
            Non-identifying columns kept with the records (for example the
            year of registration). A person takes the value most of their
            records give; it is missing when none gives one.

        Returns
        -------
        mse.linkage.LinkedCaptureData
            A capture-history table that keeps the linkage, so that the
            estimators can account for linkage errors.

        Examples
        --------
        >>> import pandas as pd, mse
        >>> from mse.linkage import LinkageResult
        >>> records = pd.DataFrame({"record_id": ["a1", "a2", "b1"], "list": ["A", "A", "B"]})
        >>> pairs = pd.DataFrame({"record_id_l": ["a1"], "record_id_r": ["b1"], "match_probability": [0.97]})
        >>> mse.CaptureData.from_linked(LinkageResult(records, pairs, lists=("A", "B"))).pattern_counts().to_dict()
        {'10': 1, '11': 1}
        """
        from mse.linkage.linked_data import LinkedCaptureData

        return LinkedCaptureData.from_linkage(linkage, covariates)

    @classmethod
    def from_patterns(
        cls,
        patterns: Mapping[str, int],
        lists: Sequence[str],
        *,
        drop_unobserved: bool = False,
    ) -> CaptureData:
        """Build a table from a mapping of capture-history strings to counts.

        Parameters
        ----------
        patterns
            Keys are strings of 0/1 with one character per list (``"110"``:
            on the first two lists, not the third); values are counts.
        lists
            The list names, in the order the characters refer to.

        Examples
        --------
        >>> import mse
        >>> mse.CaptureData.from_patterns({"110": 5, "001": 7}, lists=["A", "B", "C"]).n_observed
        12
        """
        lists = check_list_names(lists)
        rows = []
        for key, value in patterns.items():
            text = str(key).strip()
            if len(text) != len(lists) or set(text) - {"0", "1"}:
                raise DataError(
                    f"pattern {key!r} must be a string of {len(lists)} characters 0/1, one per list {list(lists)}."
                )
            rows.append([int(ch) for ch in text] + [value])
        frame = pd.DataFrame(rows, columns=[*lists, "count"]) if rows else pd.DataFrame(columns=[*lists, "count"])
        return cls.from_counts(frame, lists=lists, count="count", drop_unobserved=drop_unobserved)

    @classmethod
    def _from_frame(
        cls,
        frame: pd.DataFrame,
        lists: Sequence[str],
        covariates: Sequence[str] | None,
        *,
        count: str | None,
        present: Any,
        drop_unobserved: bool,
    ) -> CaptureData:
        """The table of ``frame``: one row per history with its ``count`` column, or per person (``count=None``)."""
        caller = "from_records" if count is None else "from_counts"
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"{caller} expects a pandas DataFrame, got {type(frame).__name__}.")
        lists = check_list_names(lists)
        covariates = tuple(covariates or ())
        check_columns_present(frame, lists, "list")
        if count is not None:
            check_columns_present(frame, [count], "count")
        check_columns_present(frame, covariates, "covariate")
        check_column_names(covariates, "covariate")
        if count is not None and count in lists:
            raise DataError(
                f"column {count!r} is named both as a list and as the count column; name each column once "
                "(leave the count column out of lists=[...] / --lists)."
            )
        others = set(lists) if count is None else set(lists) | {count}
        clash = set(covariates) & others
        if clash:
            raise DataError(
                f"column(s) {sorted(clash)} are named both as {'lists' if count is None else 'lists/count'} and as "
                "covariates; name each column once."
            )
        histories = np.column_stack([coerce_binary(frame, name, present) for name in lists])
        counts = np.ones(len(frame), dtype=np.int64) if count is None else coerce_counts(frame, count)
        covariate_values = pd.DataFrame(
            {name: frame[name].to_numpy() for name in covariates}, index=pd.RangeIndex(len(frame))
        )
        return cls._from_arrays(
            histories,
            counts,
            lists,
            covariate_values,
            drop_unobserved=drop_unobserved,
            what="record" if count is None else "count",
        )

    @classmethod
    def _from_arrays(
        cls,
        histories: np.ndarray,
        counts: np.ndarray,
        lists: tuple[str, ...],
        covariate_values: pd.DataFrame,
        *,
        drop_unobserved: bool,
        what: str,
    ) -> CaptureData:
        unobserved = (histories.sum(axis=1) == 0) & (counts > 0)
        if unobserved.any():
            n_people = int(counts[unobserved].sum())
            if not drop_unobserved:
                raise DataError(
                    f"{people(n_people)} {'has' if n_people == 1 else 'have'} the all-zero capture history (on no "
                    "list); that cell is the unknown being estimated and cannot be observed. Remove those rows, or "
                    "pass drop_unobserved=True to drop them with a warning."
                )
            warn(f"dropped {people(n_people)} on no list (drop_unobserved=True).", DataWarning)
        keep = (histories.sum(axis=1) > 0) & (counts > 0)
        histories, counts = histories[keep], counts[keep]
        covariate_values = covariate_values.loc[keep].reset_index(drop=True)
        histories, counts, covariate_values = _aggregate(histories, counts, covariate_values)
        if histories.shape[0] == 0:
            raise DataError(f"the data hold no observed people (every {what} has count 0); nothing to estimate from.")
        totals = (histories.astype(np.int64) * counts[:, None]).sum(axis=0)
        empty = [name for name, total in zip(lists, totals) if total == 0]
        if empty:
            warn(f"nobody is on list(s) {empty}; they carry no information. Consider drop_lists({empty}).", DataWarning)
        return cls(histories, counts, lists, covariate_values, _validated=True)

    # ------------------------------------------------------------------ accessors
    @property
    def lists(self) -> tuple[str, ...]:
        """The list names, in order."""
        return self._lists

    @property
    def covariates(self) -> tuple[str, ...]:
        """The covariate names, in order (may be empty)."""
        return self._covariates

    @property
    def n_lists(self) -> int:
        """The number of lists ``t``."""
        return len(self._lists)

    @property
    def n_observed(self) -> int:
        """The number of people seen on at least one list."""
        return int(self._counts.sum())

    @property
    def histories(self) -> np.ndarray:
        """Read-only ``(rows, t)`` array of 0/1 capture histories, one row per table row."""
        return self._histories

    @property
    def counts(self) -> np.ndarray:
        """Read-only ``int64`` array of counts, one per table row."""
        return self._counts

    @property
    def covariate_levels(self) -> dict[str, tuple[Any, ...]]:
        """The observed levels of each covariate (missing values excluded)."""
        return dict(self._levels)

    @property
    def covariate_values(self) -> pd.DataFrame:
        """A copy of the covariate columns, one row per table row (missing values kept)."""
        return self._covariate_values.copy()

    @property
    def has_missing_covariates(self) -> bool:
        """Whether any row lacks a value of some covariate."""
        return bool(self._covariate_values.isna().to_numpy().any()) if self._covariates else False

    @property
    def patterns(self) -> tuple[str, ...]:
        """The capture history of each row as a 0/1 string (``"110"``)."""
        return tuple("".join(map(str, row)) for row in self._histories.tolist())

    @property
    def content_hash(self) -> str:
        """A SHA-256 digest of the canonical table, stable across sessions and machines."""
        if self._hash is None:
            digest = hashlib.sha256()
            digest.update(repr((self._lists, self._covariates)).encode())
            digest.update(self._histories.tobytes())
            digest.update(self._counts.astype("<i8").tobytes())
            for name in self._covariates:
                digest.update("\x1f".join("" if pd.isna(v) else str(v) for v in self._covariate_values[name]).encode())
            object.__setattr__(self, "_hash", digest.hexdigest())
        return self._hash  # type: ignore[return-value]

    def to_frame(self) -> pd.DataFrame:
        """The canonical table: one column per list, the covariates, then ``count``.

        Examples
        --------
        >>> import mse
        >>> mse.CaptureData.from_patterns({"11": 2, "10": 3}, lists=["A", "B"]).to_frame()
           A  B  count
        0  1  0      3
        1  1  1      2
        """
        frame = pd.DataFrame(np.asarray(self._histories, dtype=np.int64), columns=list(self._lists))
        for name in self._covariates:
            frame[name] = pd.Categorical(self._covariate_values[name], categories=list(self._levels[name]))
        frame["count"] = np.asarray(self._counts)
        return frame

    def pattern_counts(self) -> pd.Series:
        """Counts per capture history, summed over covariates, indexed by the history string."""
        collapsed = self.collapse_covariates()
        return pd.Series(np.asarray(collapsed.counts), index=pd.Index(collapsed.patterns, name="history"), name="count")

    def collapse_covariates(self) -> CaptureData:
        """The same table with covariates summed out."""
        if not self._covariates:
            return self
        histories, counts, covariate_values = _aggregate(
            np.asarray(self._histories), np.asarray(self._counts), pd.DataFrame(index=pd.RangeIndex(len(self._counts)))
        )
        return CaptureData(histories, counts, self._lists, covariate_values, _validated=True)

    def dense_counts(self) -> np.ndarray:
        """All ``2**t`` cell counts (covariates summed out), indexed by the history read as binary.

        The first list is the most significant bit, so ``"110"`` is cell 6; cell 0
        is the unobserved all-zero history and holds 0.

        Raises
        ------
        DataError
            With more than :data:`MAX_DENSE_LISTS` lists, where a dense table is too large.
        """
        t = self.n_lists
        if t > MAX_DENSE_LISTS:
            raise DataError(
                f"a dense table of 2**{t} cells is too large; merge or drop lists (at most {MAX_DENSE_LISTS})."
            )
        weights = 1 << np.arange(t - 1, -1, -1, dtype=np.int64)
        codes = np.asarray(self._histories, dtype=np.int64) @ weights
        return np.bincount(codes, weights=np.asarray(self._counts), minlength=1 << t).astype(np.int64)

    def list_totals(self) -> pd.Series:
        """The number of people on each list."""
        totals = (np.asarray(self._histories, dtype=np.int64) * np.asarray(self._counts)[:, None]).sum(axis=0)
        return pd.Series(totals, index=pd.Index(self._lists, name="list"), name="total")

    def overlaps(self, order: int = 2) -> pd.DataFrame:
        """People on every list of each ``order``-subset of lists, whatever else they are on.

        Parameters
        ----------
        order
            2 for pairs (columns ``list_a``, ``list_b``, ``overlap``); ``k > 2``
            gives columns ``list_1`` ... ``list_k`` and ``overlap``.

        Examples
        --------
        >>> import mse
        >>> mse.load_dataset("artificial_3").overlaps()
          list_a list_b  overlap
        0      A      B        6
        1      A      C        0
        2      B      C        0
        """
        from itertools import combinations

        if not 2 <= order <= self.n_lists:
            raise DataError(f"order must be between 2 and the number of lists ({self.n_lists}), got {order}.")
        histories = np.asarray(self._histories, dtype=bool)
        counts = np.asarray(self._counts)
        rows = []
        for subset in combinations(range(self.n_lists), order):
            on_all = histories[:, list(subset)].all(axis=1)
            rows.append([self._lists[i] for i in subset] + [int(counts[on_all].sum())])
        columns = ["list_a", "list_b"] if order == 2 else [f"list_{i + 1}" for i in range(order)]
        return pd.DataFrame(rows, columns=[*columns, "overlap"])

    # ------------------------------------------------------------------ operations
    def merge_lists(self, names: Sequence[str], into: str | None = None) -> CaptureData:
        """Merge several lists into one: a person is on the new list if on any of them.

        The merged list takes the position of the first merged list.

        Parameters
        ----------
        names
            Two or more of the lists.
        into
            The merged list's name; by default the names joined by ``"/"``
            (``"PF/NCA"``: on PF or NCA). ``":"`` and ``"+"`` are not allowed,
            as model strings use them.

        Returns
        -------
        CaptureData
            A new table; this one is unchanged.

        Examples
        --------
        >>> import mse
        >>> uk = mse.load_dataset("uk2013").merge_lists(["PF", "NCA"])
        >>> uk.lists
        ('LA', 'NG', 'PF/NCA', 'GO', 'GP')
        """
        names = list(names)
        if into is None:
            into = MERGED_NAME_SEPARATOR.join(map(str, names))
        check_column_names([into], "merged list")
        self._check_known_lists(names, "merge")
        if len(names) < 2:
            raise DataError(f"merge_lists needs at least two lists, got {names}.")
        if into in self._lists and into not in names:
            raise DataError(f"cannot merge into {into!r}: a different list already has that name.")
        positions = [self._lists.index(n) for n in names]
        merged = np.asarray(self._histories)[:, positions].max(axis=1)
        keep = [i for i in range(self.n_lists) if i not in positions[1:]]
        histories = np.asarray(self._histories)[:, keep].copy()
        histories[:, keep.index(positions[0])] = merged
        new_lists = [into if i == positions[0] else self._lists[i] for i in keep]
        return self._rebuild(histories, new_lists)

    def drop_lists(self, names: Sequence[str]) -> CaptureData:
        """Leave lists out; people seen only on them leave the table.

        Examples
        --------
        >>> import mse
        >>> mse.load_dataset("uk2013_5").drop_lists(["GP"]).n_observed
        2428
        """
        names = [names] if isinstance(names, str) else list(names)
        self._check_known_lists(names, "drop")
        keep = [i for i, name in enumerate(self._lists) if name not in names]
        if len(keep) < 2:
            raise DataError(f"dropping {names} would leave {len(keep)} list(s); at least two are needed.")
        return self._rebuild(np.asarray(self._histories)[:, keep], [self._lists[i] for i in keep])

    def rename_lists(self, mapping: Mapping[str, str]) -> CaptureData:
        """Rename lists; names not in ``mapping`` stay."""
        self._check_known_lists(list(mapping), "rename")
        new_lists = check_list_names([mapping.get(name, name) for name in self._lists])
        return CaptureData(self._histories, self._counts, new_lists, self._covariate_values, _validated=True)

    def reorder_lists(self, order: Sequence[str]) -> CaptureData:
        """The same table with the lists in another order."""
        order = list(order)
        if sorted(order) != sorted(self._lists):
            raise DataError(f"reorder_lists needs a permutation of {list(self._lists)}, got {order}.")
        positions = [self._lists.index(n) for n in order]
        return self._rebuild(np.asarray(self._histories)[:, positions], order)

    def select(self, **levels: Any) -> CaptureData:
        """Keep the rows whose covariates take the given level(s).

        Each keyword names a covariate; its value is a level or a list of levels.

        Examples
        --------
        >>> import mse
        >>> pwid = mse.load_dataset("scottish_pwid")
        >>> pwid.select(Gender="Female").n_observed < pwid.n_observed
        True
        """
        mask = np.ones(len(self._counts), dtype=bool)
        for name, wanted in levels.items():
            if name not in self._covariates:
                raise DataError(f"unknown covariate {name!r}; the data have covariates {list(self._covariates)}.")
            wanted_values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
            unknown = [w for w in wanted_values if w not in self._levels[name]]
            if unknown:
                raise DataError(
                    f"covariate {name!r} has no level(s) {unknown}; its levels are {list(self._levels[name])}."
                )
            mask &= self._covariate_values[name].isin(wanted_values).to_numpy()
        if not mask.any():
            raise DataError(f"no records have {levels}.")
        return CaptureData(
            np.asarray(self._histories)[mask],
            np.asarray(self._counts)[mask],
            self._lists,
            self._covariate_values.loc[mask].reset_index(drop=True),
            _validated=True,
        )

    def stratify(self, covariate: str) -> dict[Any, CaptureData]:
        """Split the table by the levels of one covariate, which is removed from each part.

        Records whose value of ``covariate`` is missing belong to no stratum; a
        :class:`~mse.errors.DataWarning` says how many there are.

        Examples
        --------
        >>> import mse
        >>> parts = mse.load_dataset("spina_bifida_ethnicity").stratify("eth")
        >>> sorted(parts)
        ['afro-american', 'caucasian', 'other']
        """
        if covariate not in self._covariates:
            raise DataError(f"unknown covariate {covariate!r}; the data have covariates {list(self._covariates)}.")
        column = self._covariate_values[covariate]
        missing = column.isna().to_numpy()
        if missing.any():
            n_missing = int(np.asarray(self._counts)[missing].sum())
            warn(
                f"{people(n_missing)} {'has' if n_missing == 1 else 'have'} no value of {covariate!r} and "
                f"{'is' if n_missing == 1 else 'are'} in no stratum.",
                DataWarning,
            )
        rest = [c for c in self._covariates if c != covariate]
        parts: dict[Any, CaptureData] = {}
        for level in self._levels[covariate]:
            mask = (column == level).to_numpy()
            if not mask.any():
                continue
            histories, counts, values = _aggregate(
                np.asarray(self._histories)[mask],
                np.asarray(self._counts)[mask],
                self._covariate_values.loc[mask, rest].reset_index(drop=True),
            )
            parts[level] = CaptureData(histories, counts, self._lists, values, _validated=True)
        return parts

    def drop_covariates(self, names: Iterable[str] | None = None) -> CaptureData:
        """Sum out some covariates (all of them by default)."""
        names = list(self._covariates if names is None else names)
        unknown = [n for n in names if n not in self._covariates]
        if unknown:
            raise DataError(f"unknown covariate(s) {unknown}; the data have covariates {list(self._covariates)}.")
        rest = [c for c in self._covariates if c not in names]
        histories, counts, values = _aggregate(
            np.asarray(self._histories), np.asarray(self._counts), self._covariate_values[rest].copy()
        )
        return CaptureData(histories, counts, self._lists, values, _validated=True)

    def scale_counts(self, factor: int) -> CaptureData:
        """Multiply every count by a positive whole number (useful for checking scale invariance)."""
        try:
            whole = not isinstance(factor, bool) and int(factor) == factor and factor >= 1
        except (TypeError, ValueError, OverflowError):
            whole = False
        if not whole:
            raise DataError(f"factor must be a positive whole number, got {factor!r}.")
        if self.n_observed * int(factor) > MAX_COUNT:
            raise DataError(
                f"scaling {self.n_observed:,} people by {int(factor):,} gives more than 2**62 people, which cannot "
                "be held exactly; use a smaller factor."
            )
        return CaptureData(
            self._histories,
            np.asarray(self._counts) * int(factor),
            self._lists,
            self._covariate_values,
            _validated=True,
        )

    def _rebuild(self, histories: np.ndarray, lists: Sequence[str]) -> CaptureData:
        # People left on no list by a drop are no longer observed: they leave the table.
        histories, counts, covariate_values = _without_unobserved(
            np.asarray(histories, dtype=np.uint8), np.asarray(self._counts), self._covariate_values
        )
        return CaptureData._from_arrays(
            histories, counts, check_list_names(lists), covariate_values, drop_unobserved=False, what="record"
        )

    def _check_known_lists(self, names: Sequence[str], verb: str) -> None:
        unknown = [n for n in names if n not in self._lists]
        if unknown:
            raise DataError(f"cannot {verb} unknown list(s) {unknown}; the lists are {list(self._lists)}.")

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureData):
            return NotImplemented
        return self.content_hash == other.content_hash

    def __hash__(self) -> int:
        return hash(self.content_hash)

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        covariates = f", covariates={list(self._covariates)}" if self._covariates else ""
        return (
            f"CaptureData(lists={list(self._lists)}{covariates}, n_observed={self.n_observed}, "
            f"histories={len(self._counts)})"
        )

    def summary(
        self,
        *,
        policy: DisclosurePolicy | None = None,
        suppress_below: int | None = None,
        round_to: int | None = None,
    ) -> str:
        """A short text description: lists with totals, overlaps, covariates.

        Parameters
        ----------
        policy
            For publication: a :class:`mse.DisclosurePolicy`. The number
            observed, the people per list and by number of lists, and the
            records missing a covariate are sums of the same cells (two list
            totals and the number observed give the overlap), so they are
            suppressed together until no small count follows from the others.
        suppress_below, round_to
            Shorthands for ``policy=mse.DisclosurePolicy(suppress_below, round_to)``.

        Examples
        --------
        >>> import mse
        >>> data = mse.CaptureData.from_patterns({"10": 50, "01": 40, "11": 3}, lists=["A", "B"])
        >>> print(data.summary(suppress_below=10))
        CaptureData(lists=['A', 'B'], n_observed=93, histories=3)
        <BLANKLINE>
        people per list:
                   A          53
                   B  suppressed
        <BLANKLINE>
        people by number of lists they are on:
           1: suppressed
           2:        <10
        disclosure: counts below 10 suppressed
        """
        from mse.disclosure import resolve_policy

        protection = resolve_policy(policy, suppress_below=suppress_below, round_to=round_to)
        shown = protection.protect_capture_counts(self)

        def show(value: Any) -> str:
            return f"{value:>10}" if isinstance(value, str) else f"{value:>10,}"

        header = repr(self)
        if protection.active:
            covariates = f", covariates={list(self._covariates)}" if self._covariates else ""
            header = (
                f"CaptureData(lists={list(self._lists)}{covariates}, n_observed={shown[('n',)]}, "
                f"histories={len(self._counts)})"
            )
        lines = [header, "", "people per list:"]
        lines += [f"  {name:>10}  {show(shown[('list', name)])}" for name in self._lists]
        counts = np.asarray(self._counts)
        on = np.asarray(self._histories).sum(axis=1)
        lines.append("")
        lines.append("people by number of lists they are on:")
        for k in range(1, self.n_lists + 1):
            if int(counts[on == k].sum()):
                lines.append(f"  {k:>2}: {show(shown[('on', k)])}")
        if self.n_lists <= 12:
            overlaps = self.overlaps()
            empty = overlaps[overlaps["overlap"] == 0]
            if len(empty):
                lines.append("")
                lines.append(
                    "pairs of lists that never overlap: "
                    + ", ".join(f"{a}-{b}" for a, b in zip(empty.list_a, empty.list_b))
                )
        for name in self._covariates:
            n_missing = int(counts[self._covariate_values[name].isna().to_numpy()].sum())
            missing = shown[("missing", name)]
            lines.append(
                f"covariate {name}: {len(self._levels[name])} levels" + (f", {missing} missing" if n_missing else "")
            )
        if protection.active:
            lines.append(f"disclosure: {protection.describe()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<p><code>{self!r}</code></p>" + self.to_frame().to_html(max_rows=40)


def _without_unobserved(
    histories: np.ndarray, counts: np.ndarray, covariate_values: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    keep = histories.sum(axis=1) > 0
    return histories[keep], counts[keep], covariate_values.loc[keep].reset_index(drop=True)


def _aggregate(
    histories: np.ndarray, counts: np.ndarray, covariate_values: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Sum counts over identical (history, covariates) rows and sort canonically."""
    t = histories.shape[1]
    n_rows = histories.shape[0]
    if n_rows == 0:
        return histories.reshape(0, t), counts.astype(np.int64), covariate_values
    # Key the history by its packed bytes so aggregation costs O(rows), whatever t is.
    packed = np.packbits(histories.astype(np.uint8), axis=1)
    history_key = (
        pd.Series([row.tobytes() for row in packed])
        if packed.shape[1] > 8
        else pd.Series(
            (packed.astype(np.uint64) << (8 * np.arange(packed.shape[1] - 1, -1, -1, dtype=np.uint64))).sum(axis=1)
        )
    )
    keys = pd.DataFrame({"__history": history_key})
    covariate_names = list(covariate_values.columns)
    for name in covariate_names:
        column = covariate_values[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            keys[name] = column.astype(object).to_numpy()
        else:
            keys[name] = column.to_numpy()
    keys["__row"] = np.arange(n_rows)
    keys["__count"] = counts
    grouped = keys.groupby(["__history", *covariate_names], dropna=False, sort=False)
    first = grouped["__row"].min().to_numpy()
    summed = grouped["__count"].sum().to_numpy().astype(np.int64)
    out_histories = histories[first]
    out_covariates = covariate_values.iloc[first].reset_index(drop=True)
    # Canonical order: number of lists, then the history as a binary number (first list most
    # significant, descending, so that "100" precedes "010"), then covariate levels.
    sort_keys: list[np.ndarray] = []
    for name in reversed(covariate_names):
        column = out_covariates[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
        else:
            text = column.map(lambda v: "\uffff" if pd.isna(v) else str(v))
            codes = pd.Categorical(text, categories=sorted(set(text))).codes
        sort_keys.append(np.asarray(codes))
    for j in range(t - 1, -1, -1):
        sort_keys.append(1 - out_histories[:, j].astype(np.int64))
    sort_keys.append(out_histories.sum(axis=1).astype(np.int64))
    order = np.lexsort(sort_keys)
    return out_histories[order], summed[order], out_covariates.iloc[order].reset_index(drop=True)
