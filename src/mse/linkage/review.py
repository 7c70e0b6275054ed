"""A clerical review of a sample of linked records, and the table of true capture histories it estimates.

Match probabilities describe a linkage's errors only as well as the
linkage model fits the records. An unsupervised Fellegi-Sunter model learns
what true matches look like from the pairs it already finds: a surname
misspelt beyond its phonetic code, or two namesakes in a small pool of
foreign names, are errors it hardly expects, so it understates exactly the
errors that bias an estimate (``benchmarks/bench_linkage_study.py``: with
typing errors in 15 % of fields, 66 false and 207 missed links against 26
and 83 expected). Statistical offices measure linkage quality instead with a
clerical review: a random sample of records is checked by people allowed to
see the identifying data, who find, for each sampled record, the records of
the same person on every other list.

The review gives the true capture history of each sampled record's person;
the linkage gives, for every record, the history of its cluster. Two-phase
sampling (Tenenbein 1970) joins them. The records are classified by their
list ``a`` and the history ``g`` of their cluster; within each such cell,
the reviewed records estimate how the cell's records divide among true
histories ``h``. A person with history ``h`` has one record on each of its
``|h|`` lists, so the number of people with history ``h`` is estimated by

``N_h = (1 / |h|) sum over cells (a, g) of n_ag * s_agh / s_ag``

with ``n_ag`` the records in the cell, ``s_ag`` those reviewed and
``s_agh`` the reviewed ones whose person has history ``h``. No model of how
errors arise is assumed: missed links, false links, namesakes and records
with several errors at once are counted as they occurred. The estimate is
unbiased when the reviewed records of each list are a simple random sample
of it (as :func:`draw_review_sample` draws them), whatever the linkage's
quality; its sampling error, which shrinks as the review grows, is measured
by resampling the reviewed records within each list (the bootstrap of
Efron & Tibshirani 1993 for a stratified sample).

References
----------
Tenenbein, A. (1970). A double sampling scheme for estimating from binomial
data with misclassifications. *Journal of the American Statistical
Association* 65(331), 1350-1361.

Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall, chapter 3.

Fellegi, I. P. & Sunter, A. B. (1969). A theory for record linkage. *Journal
of the American Statistical Association* 64(328), 1183-1210.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mse.errors import DataError
from mse.options import check_random_seed

if TYPE_CHECKING:
    from mse.linkage.result import LinkageResult

__all__ = [
    "REVIEW_COLUMNS",
    "REVIEW_SAMPLE_COLUMNS",
    "ReviewedTable",
    "checked_review",
    "draw_review_sample",
    "reviewed_table",
]

#: Columns of a review: the reviewed record and the records of the same person on the other lists.
REVIEW_COLUMNS = ("record_id", "matches")
#: Columns of :func:`draw_review_sample`: what a reviewer needs to look each record up.
REVIEW_SAMPLE_COLUMNS = ("record_id", "list", "cluster_records", "candidates")
#: Candidate pairs at or above this match probability are shown to the reviewer as possible matches.
CANDIDATE_PROBABILITY = 0.001


def draw_review_sample(linkage: LinkageResult, n: int | Mapping[str, int], *, random_seed: int | None) -> pd.DataFrame:
    """A simple random sample of the records of each list, for a clerical review.

    Parameters
    ----------
    linkage
        The linkage to review.
    n
        Records to draw from each list: one number for every list, or a
        mapping from list name to number (every list needs one: a list left
        out would leave its records' errors unmeasured). A list with fewer
        records is reviewed whole.
    random_seed
        Seed of the draw.

    Returns
    -------
    pandas.DataFrame
        One row per drawn record, ordered by list and record id:
        ``record_id``, ``list``, ``cluster_records`` (the other records its
        links joined it to) and ``candidates`` (records on other lists of
        scored pairs below the threshold with match probability at least
        0.001), both tuples of record ids. The reviewer looks the records up
        in the identifying data, and returns for each the records of the same
        person on every other list (:func:`checked_review`): the ones among
        ``cluster_records`` and ``candidates`` that are, and any other found by
        searching the lists.

    Raises
    ------
    DataError
        For a number that is not a positive whole number, or a mapping that
        leaves out a list or names an unknown one.

    Examples
    --------
    >>> from mse.linkage.scored_linkage import simulate_linkage
    >>> linkage = simulate_linkage(500, (0.3, 0.4), random_seed=1)
    >>> sample = draw_review_sample(linkage, 20, random_seed=2)
    >>> sample.groupby("list").size().to_dict(), list(sample.columns)
    ({'A': 20, 'B': 20}, ['record_id', 'list', 'cluster_records', 'candidates'])
    """
    sizes = _sample_sizes(n, linkage.lists)
    rng = np.random.default_rng(check_random_seed(random_seed))
    records = linkage.records
    chosen = []
    for name in linkage.lists:
        members = np.flatnonzero(records["list"].to_numpy() == name)
        take = min(sizes[name], len(members))
        chosen.append(np.sort(rng.choice(members, size=take, replace=False)))
    rows = np.concatenate(chosen) if chosen else np.array([], dtype=np.int64)
    ids = records["record_id"].to_numpy(dtype=object)
    clusters = records["cluster"].to_numpy()
    # only the drawn records' clusters and candidate pairs are gathered: the linkage may hold millions of records
    drawn = np.zeros(len(records), dtype=bool)
    drawn[rows] = True
    members = np.flatnonzero(np.isin(clusters, clusters[rows]))
    by_cluster: dict[int, list[int]] = {}
    for k, cluster in zip(members.tolist(), clusters[members].tolist(), strict=True):
        by_cluster.setdefault(cluster, []).append(k)
    left, right, probability = linkage._pair_positions()
    possible = (probability < linkage.threshold) & (probability >= CANDIDATE_PROBABILITY)
    possible &= drawn[left] | drawn[right]
    neighbours: dict[int, list[int]] = {}
    for a, b in zip(left[possible].tolist(), right[possible].tolist(), strict=True):
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    sample = pd.DataFrame(
        {
            "record_id": ids[rows],
            "list": records["list"].to_numpy()[rows],
            "cluster_records": [tuple(sorted(ids[k] for k in by_cluster[clusters[r]] if k != r)) for r in rows],
            "candidates": [tuple(sorted({ids[k] for k in neighbours.get(r, [])})) for r in rows.tolist()],
        }
    )
    return sample.sort_values(["list", "record_id"], kind="stable").reset_index(drop=True)


def _sample_sizes(n: int | Mapping[str, int], lists: tuple[str, ...]) -> dict[str, int]:
    def whole(value: Any, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DataError(f"{what} must be a positive whole number of records, got {value!r}.")
        return int(value)

    if isinstance(n, Mapping):
        unknown = sorted(set(map(str, n)) - set(lists))
        left_out = [name for name in lists if name not in n]
        if unknown or left_out:
            raise DataError(
                f"n must give a number of records for every list {list(lists)}"
                + (f"; it names unknown list(s) {unknown}" if unknown else "")
                + (f"; it leaves out {left_out}" if left_out else "")
                + "."
            )
        return {name: whole(n[name], f"n[{name!r}]") for name in lists}
    return {name: whole(n, "n") for name in lists}


def checked_review(review: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """A clerical review checked against the linkage's records, in a standard form.

    Parameters
    ----------
    review
        One row per reviewed record: ``record_id`` and ``matches``, the ids of
        the records of the same person on the other lists (a sequence of ids,
        a string of ids separated by ``;``, or empty / missing for none).
        Other columns (such as those of :func:`draw_review_sample`) are
        ignored. It is not modified.
    records
        The linkage's records (``record_id`` and ``list``).

    Returns
    -------
    pandas.DataFrame
        ``record_id``, ``list`` and ``matches`` (a sorted tuple of ids), one
        row per reviewed record, ordered by list and record id.

    Raises
    ------
    DataError
        For missing columns, an unknown or repeated record id, a match on the
        record's own list (a list holds each person once), or two reviewed
        records that disagree (one names the other as a match, the other
        does not, or they name different records of the same list).

    Examples
    --------
    >>> import pandas as pd
    >>> records = pd.DataFrame({"record_id": ["a1", "b1", "b2"], "list": ["A", "B", "B"]})
    >>> review = pd.DataFrame({"record_id": ["a1"], "matches": [["b2"]]})
    >>> checked_review(review, records).to_dict(orient="records")
    [{'record_id': 'a1', 'list': 'A', 'matches': ('b2',)}]
    """
    if not isinstance(review, pd.DataFrame):
        raise DataError(f"a review must be a pandas DataFrame, got {type(review).__name__}.")
    missing = [c for c in REVIEW_COLUMNS if c not in review.columns]
    if missing:
        raise DataError(
            f"the review lacks the column(s) {missing}: it needs record_id (the reviewed record) and matches "
            "(the records of the same person on the other lists, empty when there are none)."
        )
    if review.empty:
        raise DataError("the review holds no record; review a sample drawn by LinkageResult.review_sample.")
    list_of = dict(zip(records["record_id"].astype(str).tolist(), records["list"].astype(str).tolist(), strict=True))
    ids = review["record_id"].astype(str).tolist()
    unknown = [r for r in ids if r not in list_of]
    if unknown:
        raise DataError(f"the review names record(s) {unknown[:3]} that are not among the linkage's records.")
    repeated = sorted(record for record, times in Counter(ids).items() if times > 1)
    if repeated:
        raise DataError(f"each record is reviewed once; repeated: {repeated[:3]}.")
    matches = [_match_ids(value, record) for value, record in zip(review["matches"], ids, strict=True)]
    for record, found in zip(ids, matches, strict=True):
        strangers = [m for m in found if m not in list_of]
        if strangers:
            raise DataError(f"the review of {record!r} names match(es) {strangers[:3]} that are not linkage records.")
        own = [m for m in found if list_of[m] == list_of[record]]
        if own:
            raise DataError(
                f"the review of {record!r} names {own[:3]} on its own list {list_of[record]!r} as the same person; a "
                "list is taken to hold each person once (deduplicate the list before linking)."
            )
        lists_named = [list_of[m] for m in found]
        if len(set(lists_named)) < len(lists_named):
            raise DataError(
                f"the review of {record!r} names two records of one list as its person's; a list holds each person "
                "once."
            )
    person = {record: frozenset((record, *found)) for record, found in zip(ids, matches, strict=True)}
    for record, members in person.items():
        for other in members - {record}:
            if other in person and person[other] != members:
                raise DataError(
                    f"the reviews of {record!r} and {other!r} disagree about who is the same person "
                    f"({sorted(members)} against {sorted(person[other])}); settle it before estimating."
                )
    checked = pd.DataFrame(
        {"record_id": ids, "list": [list_of[r] for r in ids], "matches": [tuple(sorted(m)) for m in matches]}
    )
    return checked.sort_values(["list", "record_id"], kind="stable").reset_index(drop=True)


def _match_ids(value: Any, record: str) -> tuple[str, ...]:
    """The match ids of one review row: a sequence, a ``;``-separated string, or nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(";")]
        return tuple(part for part in parts if part)
    if isinstance(value, Iterable):
        found = tuple(str(part) for part in value)
        if record in found:
            found = tuple(part for part in found if part != record)
        return found
    raise DataError(f"matches of {record!r} must be record ids (a sequence or a ';'-separated string), got {value!r}.")


@dataclass(frozen=True)
class ReviewedTable:
    """The table of true capture histories estimated from a linkage and a clerical review of a sample of its records.

    Attributes
    ----------
    counts
        Estimated people of each of the ``2**t - 1`` observable histories, in
        the order of ``CaptureData.dense_counts()[1:]``; not whole numbers.
    reviewed
        Records reviewed on each list.
    records
        Records on each list.
    unreviewed_records
        Records in cells (list and cluster history) where no record was
        reviewed; they are counted as linked correctly.
    summary
        What the review found about the links of the reviewed records: links
        checked, false links, matches found, matches the linkage missed, and
        the precision and recall they give.

    Examples
    --------
    Made by :func:`reviewed_table`; its replicates give the review's sampling error.

    >>> from mse.linkage.scored_linkage import simulate_linkage
    >>> linkage = simulate_linkage(600, (0.4, 0.5), random_seed=3)
    >>> sample = linkage.review_sample(40, random_seed=4)
    >>> person = {r: r.split(":")[1] for r in linkage.records["record_id"]}
    >>> sample["matches"] = [[r for r in person if person[r] == person[s] and r != s] for s in sample["record_id"]]
    >>> table = reviewed_table(linkage, sample)
    >>> table.counts.shape, table.replicates(10, random_seed=5).shape, table.reviewed
    ((3,), (10, 3), {'A': 40, 'B': 40})
    """

    counts: np.ndarray
    reviewed: Mapping[str, int]
    records: Mapping[str, int]
    unreviewed_records: int
    summary: Mapping[str, float]
    _cell_sizes: np.ndarray = field(repr=False)
    _sample_cells: np.ndarray = field(repr=False)
    _sample_truth: np.ndarray = field(repr=False)
    _fallback_weights: np.ndarray = field(repr=False)
    _fallback_truth: np.ndarray = field(repr=False)
    _history_sizes: np.ndarray = field(repr=False)

    def replicates(self, n_replicates: int, *, random_seed: int | None) -> np.ndarray:
        """Bootstrap tables: the reviewed records of each cell resampled with replacement, rescaled for the sample.

        The cells (list and cluster history) are the post-strata of the
        estimate, so the records reviewed in each are held at their number
        ``s`` and resampled within it: the variance is the one given those
        numbers (Holt & Smith 1979), and no replicate loses a cell's records
        for want of a review. A review samples without replacement, often a
        large part of a cell: the rescaling bootstrap of Rao & Wu (1988)
        draws ``s - 1`` of a cell's ``s`` reviews with replacement and gives
        review ``i``, drawn ``r_i`` times, the weight
        ``(n / s) (1 - lambda + lambda r_i s / (s - 1))`` with
        ``lambda = sqrt(1 - s / n)``. The replicates' variance is then the
        unbiased variance of the sample for a linear statistic, no weight is
        negative, and a cell reviewed whole, or by a single record, adds no
        variance.

        Parameters
        ----------
        n_replicates
            The number of tables.
        random_seed
            Seed of the resampling.

        Returns
        -------
        numpy.ndarray
            ``(n_replicates, 2**t - 1)`` estimated counts.

        References
        ----------
        Holt, D. & Smith, T. M. F. (1979). Post stratification. *Journal of
        the Royal Statistical Society A* 142(1), 33-46.

        Rao, J. N. K. & Wu, C. F. J. (1988). Resampling inference with complex
        survey data. *Journal of the American Statistical Association*
        83(401), 231-241.
        """
        if isinstance(n_replicates, bool) or not isinstance(n_replicates, (int, np.integer)) or n_replicates < 1:
            raise DataError(f"n_replicates must be a positive whole number, got {n_replicates!r}.")
        rng = np.random.default_rng(check_random_seed(random_seed))
        cells = self._sample_cells
        rows = int(n_replicates)
        # Review i draws one review of its own cell: the cell's reviews in review order (by list name and record
        # id), picked by a uniform of its own. The replicates then do not depend on how cells are numbered, so
        # putting the lists in another order permutes the tables and changes nothing else.
        order = np.argsort(cells, kind="stable")
        reviews = np.bincount(cells, minlength=len(self._cell_sizes))
        first = np.concatenate([[0], np.cumsum(reviews)[:-1]])
        offsets = np.floor(rng.random((rows, len(cells))) * reviews[cells]).astype(np.int64)
        chosen = order[first[cells][None, :] + offsets]
        # s - 1 draws per cell: the draw of each cell's first review (in review order) is left out
        position_in_cell = np.empty(len(cells), dtype=np.int64)
        position_in_cell[order] = np.arange(len(cells)) - first[cells[order]]
        kept = position_in_cell > 0
        times = np.zeros((rows, len(cells)))
        np.add.at(times, (np.repeat(np.arange(rows), int(kept.sum())), chosen[:, kept].ravel()), 1.0)
        s = reviews[cells].astype(float)
        n = self._cell_sizes[cells]
        scale = np.sqrt(np.clip(1.0 - s / n, 0.0, 1.0))
        scale[s <= 1] = 0.0  # one review: nothing to resample, the cell adds no variance
        weights = (n / s) * (1.0 - scale + scale * times * s / np.maximum(s - 1.0, 1.0))
        return _table(
            np.concatenate([weights, np.broadcast_to(self._fallback_weights, (rows, len(self._fallback_weights)))], 1),
            np.concatenate([self._sample_truth, self._fallback_truth]),
            self._history_sizes,
        )


def reviewed_table(linkage: LinkageResult, review: pd.DataFrame) -> ReviewedTable:
    """Estimate the table of true capture histories from a linkage and a clerical review (see the module's text).

    Parameters
    ----------
    linkage
        The linkage; its clusters at the threshold give every record's observed history.
    review
        The review of a simple random sample of each list's records (see
        :func:`checked_review`).

    Returns
    -------
    ReviewedTable

    Raises
    ------
    DataError
        For a review that :func:`checked_review` refuses, or one that leaves a
        list unreviewed.

    References
    ----------
    Tenenbein, A. (1970). A double sampling scheme for estimating from
    binomial data with misclassifications. *Journal of the American
    Statistical Association* 65(331), 1350-1361.

    Examples
    --------
    A perfect linkage reviewed: the estimated table is the observed one.

    >>> import numpy as np
    >>> from mse.linkage.scored_linkage import simulate_linkage
    >>> linkage = simulate_linkage(400, (0.4, 0.5), c=1e-9, d=1e-9, random_seed=3)
    >>> sample = linkage.review_sample(30, random_seed=4)
    >>> person = lambda record: record.split(":")[1]
    >>> ids = linkage.records["record_id"]
    >>> sample["matches"] = [[r for r in ids if person(r) == person(s) and r != s] for s in sample["record_id"]]
    >>> table = reviewed_table(linkage, sample)
    >>> bool(np.allclose(table.counts, linkage.history_counts(linkage.records["cluster"].to_numpy())[0]))
    True
    """
    review = checked_review(review, linkage.records)
    t = len(linkage.lists)
    if t > 20:
        raise DataError(f"a reviewed table takes at most 20 lists, got {t}.")
    records = linkage.records
    position = pd.Index(records["record_id"])
    list_code = pd.Index(linkage.lists).get_indexer(pd.Index(records["list"])).astype(np.int64)
    bit = np.left_shift(1, t - 1 - list_code).astype(np.int64)
    cluster = records["cluster"].to_numpy()
    observed = np.zeros(int(cluster.max()) + 1 if len(cluster) else 0, dtype=np.int64)
    np.bitwise_or.at(observed, cluster, bit)
    size = 1 << t
    cells = list_code * size + observed[cluster]
    reviewed_rows = position.get_indexer(review["record_id"])
    list_bit = dict(zip(linkage.lists, (1 << (t - 1 - k) for k in range(t)), strict=True))
    list_of = dict(zip(records["record_id"].tolist(), records["list"].tolist(), strict=True))
    truth = np.array(
        [
            list_bit[name] | _bits(matches, list_of, list_bit)
            for name, matches in zip(review["list"], review["matches"], strict=True)
        ],
        dtype=np.int64,
    )
    unreviewed_lists = [name for name in linkage.lists if name not in set(review["list"])]
    if unreviewed_lists:
        raise DataError(
            f"no record of list(s) {unreviewed_lists} was reviewed; the review must sample every list "
            "(LinkageResult.review_sample draws from each)."
        )
    # Cells renumbered 0..k-1 and true histories kept as codes: the arrays stay small with many lists.
    cell_codes, cell_index = np.unique(cells, return_inverse=True)
    cell_sizes = np.bincount(cell_index, minlength=len(cell_codes)).astype(float)
    sample_cells = cell_index[reviewed_rows]
    codes = np.arange(size)
    history_sizes = ((codes[:, None] >> np.arange(t)) & 1).sum(axis=1).astype(float)
    history_sizes[0] = 1.0
    # A review stands for n / s records of its cell (n records, s reviewed). A cell where nobody was reviewed
    # keeps its records as linked: one pseudo-review says its observed history is the true one, for all of them.
    reviews = np.bincount(sample_cells, minlength=len(cell_codes))
    unreviewed = np.flatnonzero(reviews == 0)
    fallback_truth = cell_codes[unreviewed] % size
    weights = cell_sizes[sample_cells] / reviews[sample_cells]
    estimate = _table(
        np.concatenate([weights, cell_sizes[unreviewed]])[None, :],
        np.concatenate([truth, fallback_truth]),
        history_sizes,
    )[0]
    reviewed_count = review.groupby("list").size().reindex(list(linkage.lists), fill_value=0)
    record_count = records.groupby("list").size().reindex(list(linkage.lists), fill_value=0)
    return ReviewedTable(
        counts=estimate,
        reviewed={str(k): int(v) for k, v in reviewed_count.items()},
        records={str(k): int(v) for k, v in record_count.items()},
        unreviewed_records=int(cell_sizes[unreviewed].sum()),
        summary=_summary(linkage, review, records),
        _cell_sizes=cell_sizes,
        _sample_cells=sample_cells,
        _sample_truth=truth,
        _fallback_weights=cell_sizes[unreviewed],
        _fallback_truth=fallback_truth,
        _history_sizes=history_sizes,
    )


def _bits(matches: tuple[str, ...], list_of: Mapping[str, str], list_bit: Mapping[str, int]) -> int:
    code = 0
    for record in matches:
        code |= list_bit[list_of[record]]
    return code


def _table(weights: np.ndarray, truth: np.ndarray, history_sizes: np.ndarray) -> np.ndarray:
    """``N_h = (1/|h|) sum of the weights of the reviews whose person has history h``, for each row of weights."""
    rows = weights.shape[0]
    size = len(history_sizes)
    flat = (np.arange(rows, dtype=np.int64)[:, None] * size + truth[None, :]).ravel()
    records = np.bincount(flat, weights=weights.ravel(), minlength=rows * size).reshape(rows, size)
    return (records / history_sizes)[:, 1:]


def _summary(linkage: LinkageResult, review: pd.DataFrame, records: pd.DataFrame) -> dict[str, float]:
    """Links of the reviewed records checked against the review: false links, missed matches, precision, recall."""
    ids = records["record_id"].to_numpy(dtype=object)
    clusters = records["cluster"].to_numpy()
    cluster_of = dict(zip(ids.tolist(), clusters.tolist(), strict=True))
    needed = np.isin(clusters, [cluster_of[r] for r in review["record_id"]])
    members: dict[int, set[str]] = {}
    for record, cluster in zip(ids[needed].tolist(), clusters[needed].tolist(), strict=True):
        members.setdefault(cluster, set()).add(record)
    checked = false = found = missed = 0
    for record, matches in zip(review["record_id"], review["matches"], strict=True):
        linked = frozenset(members[cluster_of[record]] - {record})
        true = frozenset(matches)
        checked += len(linked)
        false += len(linked - true)
        found += len(true)
        missed += len(true - linked)
    return {
        "records_reviewed": float(len(review)),
        "linked_records_checked": float(checked),
        "false_links": float(false),
        "matches_found": float(found),
        "matches_missed": float(missed),
        "precision": (checked - false) / checked if checked else math.nan,
        "recall": (found - missed) / found if found else math.nan,
    }
