"""The outcome of a probabilistic linkage: records, candidate pairs with match probabilities, clusters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mse._readonly import ReadOnlyMapping
from mse.errors import DataError

__all__ = ["PAIR_COLUMNS", "RECORD_COLUMNS", "LinkageResult", "clusters_from_links"]

#: Columns every ``records`` frame has (kept covariates follow them).
RECORD_COLUMNS = ("record_id", "list", "cluster")
#: Columns every ``pairs`` frame has.
PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_probability")


def clusters_from_links(n_records: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Cluster labels ``0..k-1`` of records joined by links (the connected components of the link graph).

    Parameters
    ----------
    n_records
        The number of records; records are numbered ``0..n_records-1``.
    left, right
        The record numbers at the two ends of each link.

    Returns
    -------
    numpy.ndarray
        One integer label per record; labels are numbered in order of each
        cluster's first record, so the labelling does not depend on the order
        of the links.

    Examples
    --------
    >>> import numpy as np
    >>> clusters_from_links(5, np.array([3, 0]), np.array([4, 1])).tolist()
    [0, 0, 1, 2, 2]
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n_records, n_records))
    _, labels = connected_components(graph, directed=False)
    # Renumber by first appearance so equal partitions get equal labels.
    _, first = np.unique(labels, return_index=True)
    order = np.empty(len(first), dtype=np.int64)
    order[np.argsort(first, kind="stable")] = np.arange(len(first))
    return order[labels]


@dataclass(frozen=True, eq=False)
class LinkageResult:
    """Records of several lists linked into people, with the match probability of each candidate pair.

    Made by :func:`mse.linkage.link`, or directly from two frames (for a
    linkage done elsewhere). :meth:`mse.CaptureData.from_linked` turns it into
    a capture-history table.

    Parameters
    ----------
    records
        One row per record: ``record_id`` (unique), ``list`` (one of
        ``lists``) and any non-identifying covariates kept by
        :func:`mse.linkage.pseudonymise`. A ``cluster`` column, if given, is
        replaced by the clusters at ``threshold``.
    pairs
        The candidate pairs of records on different lists that the linkage
        scored: ``record_id_l``, ``record_id_r``, ``match_probability``. Pairs
        not listed have match probability (close to) zero.
    lists
        The list names, in the order of the capture histories.
    threshold
        Pairs with ``match_probability >= threshold`` are links; people are
        the connected components of the links.
    backend
        What scored the pairs (``"duckdb"``, ``"spark"``, or ``"given"``).
    parameters
        The linkage model's parameters (m and u probabilities, the prior
        match probability), for the record.
    metadata
        Seed, versions and a hash of the tokens.
    """

    records: pd.DataFrame
    pairs: pd.DataFrame
    lists: tuple[str, ...]
    threshold: float = 0.5
    backend: str = "given"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lists = tuple(str(name) for name in self.lists)
        if len(lists) < 2 or len(set(lists)) != len(lists):
            raise DataError(f"a linkage needs at least two distinct list names, got {list(lists)}.")
        if not (0.0 < float(self.threshold) < 1.0):
            raise DataError(f"threshold must be a probability strictly between 0 and 1, got {self.threshold!r}.")
        records = _checked_records(self.records, lists)
        pairs = _checked_pairs(self.pairs, records)
        position = pd.Index(records["record_id"])
        left = position.get_indexer(pairs["record_id_l"])
        right = position.get_indexer(pairs["record_id_r"])
        linked = pairs["match_probability"].to_numpy() >= float(self.threshold)
        records["cluster"] = clusters_from_links(len(records), left[linked], right[linked])
        object.__setattr__(self, "lists", lists)
        object.__setattr__(self, "threshold", float(self.threshold))
        object.__setattr__(self, "records", records)
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "parameters", ReadOnlyMapping(dict(self.parameters)))
        object.__setattr__(self, "metadata", ReadOnlyMapping(dict(self.metadata)))

    @property
    def n_records(self) -> int:
        """The number of records over all lists."""
        return len(self.records)

    @property
    def n_clusters(self) -> int:
        """The number of people the links at :attr:`threshold` make of the records."""
        return int(self.records["cluster"].nunique())

    def __repr__(self) -> str:
        return (
            f"LinkageResult(lists={list(self.lists)}, records={self.n_records}, people={self.n_clusters}, "
            f"candidate_pairs={len(self.pairs)}, threshold={self.threshold}, backend={self.backend!r})"
        )


def _checked_records(records: pd.DataFrame, lists: Sequence[str]) -> pd.DataFrame:
    if not isinstance(records, pd.DataFrame):
        raise DataError(f"records must be a pandas DataFrame, got {type(records).__name__}.")
    missing = [c for c in ("record_id", "list") if c not in records.columns]
    if missing:
        raise DataError(f"records lack the column(s) {missing}; they need record_id and list.")
    records = records.reset_index(drop=True).copy()
    records["record_id"] = records["record_id"].astype(str)
    if records["record_id"].duplicated().any():
        duplicated = records.loc[records["record_id"].duplicated(), "record_id"].head(3).tolist()
        raise DataError(f"record_id must be unique; repeated: {duplicated}.")
    unknown = sorted(set(records["list"].astype(str)) - set(lists))
    if unknown:
        raise DataError(f"records name list(s) {unknown} that are not among the lists {list(lists)}.")
    records["list"] = records["list"].astype(str)
    return records


def _checked_pairs(pairs: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(pairs, pd.DataFrame):
        raise DataError(f"pairs must be a pandas DataFrame, got {type(pairs).__name__}.")
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise DataError(f"pairs lack the column(s) {missing}; they need {list(PAIR_COLUMNS)}.")
    pairs = pairs.loc[:, list(PAIR_COLUMNS)].reset_index(drop=True).copy()
    pairs["record_id_l"] = pairs["record_id_l"].astype(str)
    pairs["record_id_r"] = pairs["record_id_r"].astype(str)
    probability = pd.to_numeric(pairs["match_probability"], errors="coerce").to_numpy(dtype=float)
    if not np.all((probability >= 0.0) & (probability <= 1.0)):
        raise DataError("match_probability must be a probability in [0, 1] for every pair (no missing values).")
    pairs["match_probability"] = probability
    known = set(records["record_id"])
    strangers = sorted((set(pairs["record_id_l"]) | set(pairs["record_id_r"])) - known)
    if strangers:
        raise DataError(f"pairs name records that are not in records: {strangers[:3]}.")
    list_of = dict(zip(records["record_id"], records["list"], strict=True))
    same_list = [list_of[a] == list_of[b] for a, b in zip(pairs["record_id_l"], pairs["record_id_r"], strict=True)]
    if any(same_list):
        raise DataError(
            "pairs join two records of the same list; a list is taken to hold each person once, so only "
            "records of different lists can be linked (deduplicate each list first)."
        )
    return pairs
