"""The outcome of a probabilistic linkage: records, candidate pairs with match probabilities, clusters."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mse._readonly import ReadOnlyMapping
from mse.errors import DataError
from mse.options import check_random_seed

if TYPE_CHECKING:
    from mse.data.capture import CaptureData

__all__ = ["ERROR_RATE_COLUMNS", "PAIR_COLUMNS", "RECORD_COLUMNS", "LinkageResult", "clusters_from_links"]

#: Columns every ``records`` frame has (kept covariates follow them).
RECORD_COLUMNS = ("record_id", "list", "cluster")
#: Columns every ``pairs`` frame has.
PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_probability")
#: Columns of :meth:`LinkageResult.error_rates`.
ERROR_RATE_COLUMNS = (
    "list_a",
    "list_b",
    "records_a",
    "records_b",
    "candidate_pairs",
    "links",
    "expected_matches",
    "expected_false_links",
    "expected_missed_links",
    "alpha",
    "beta",
)


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
    review
        A clerical review of a sample of the records (see
        :meth:`review_sample` and :meth:`with_review`), or ``None``.

    Examples
    --------
    A linkage done elsewhere, given as its records and scored pairs:

    >>> import pandas as pd
    >>> from mse.linkage import LinkageResult
    >>> records = pd.DataFrame({"record_id": ["a1", "a2", "b1", "b2"], "list": ["A", "A", "B", "B"]})
    >>> pairs = pd.DataFrame(
    ...     {"record_id_l": ["a1", "a2"], "record_id_r": ["b1", "b2"], "match_probability": [0.98, 0.2]}
    ... )
    >>> linkage = LinkageResult(records, pairs, lists=("A", "B"))
    >>> linkage.n_records, linkage.n_clusters
    (4, 3)
    """

    records: pd.DataFrame
    pairs: pd.DataFrame
    lists: tuple[str, ...]
    threshold: float = 0.5
    backend: str = "given"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    review: pd.DataFrame | None = None

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
        if self.review is not None:
            from mse.linkage.review import checked_review

            object.__setattr__(self, "review", checked_review(self.review, records))

    @property
    def n_records(self) -> int:
        """The number of records over all lists."""
        return len(self.records)

    @property
    def n_clusters(self) -> int:
        """The number of people the links at :attr:`threshold` make of the records."""
        return int(self.records["cluster"].nunique())

    # ------------------------------------------------------------ uncertainty
    def _pair_positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The record numbers at both ends of every candidate pair, and its match probability."""
        position = pd.Index(self.records["record_id"])
        left = position.get_indexer(self.pairs["record_id_l"]).astype(np.int64)
        right = position.get_indexer(self.pairs["record_id_r"]).astype(np.int64)
        return left, right, self.pairs["match_probability"].to_numpy(dtype=float)

    def sample_clusters(self, n_draws: int, *, random_seed: int | None) -> np.ndarray:
        """Link configurations drawn from the match probabilities: one cluster labelling per draw.

        Each candidate pair is a link with its match probability,
        independently of the other pairs; the people of a draw are the
        connected components of its links (the transitive closure), labelled
        as :func:`clusters_from_links` labels them. This treats the match
        probabilities as calibrated and the pairs as independent given them
        (as the Fellegi-Sunter model does); a pair that is not among
        :attr:`pairs` is never a link. Configurations drawn this way reflect
        the uncertainty of the linkage, not the estimate of any one: the
        links at :attr:`threshold` are one configuration among them (the most
        likely pair by pair when the threshold is 0.5).

        Parameters
        ----------
        n_draws
            The number of configurations.
        random_seed
            Seed of the draws (``None`` or a non-negative integer); the same
            seed gives the same configurations.

        Returns
        -------
        numpy.ndarray
            ``(n_draws, n_records)`` integer cluster labels, in the order of
            :attr:`records`.

        Raises
        ------
        DataError
            For a number of draws that is not a positive whole number.

        References
        ----------
        Fellegi, I. P. & Sunter, A. B. (1969). A theory for record linkage.
        *Journal of the American Statistical Association* 64(328), 1183-1210.

        Goldstein, H., Harron, K. & Wade, A. (2012). The analysis of
        record-linked data using multiple imputation with data value
        priors. *Statistics in Medicine* 31(28), 3481-3493.

        Examples
        --------
        >>> import pandas as pd
        >>> records = pd.DataFrame({"record_id": ["a1", "b1", "c1"], "list": ["A", "B", "C"]})
        >>> pairs = pd.DataFrame({"record_id_l": ["a1", "b1"], "record_id_r": ["b1", "c1"],
        ...                       "match_probability": [1.0, 0.0]})
        >>> LinkageResult(records, pairs, lists=("A", "B", "C")).sample_clusters(2, random_seed=1).tolist()
        [[0, 0, 1], [0, 0, 1]]
        """
        if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
            raise DataError(f"n_draws must be a positive whole number, got {n_draws!r}.")
        random_seed = check_random_seed(random_seed)
        left, right, probability = self._pair_positions()
        rng = np.random.default_rng(random_seed)
        # One uniform per pair and draw, drawn at once: the draws of a seed do not depend on how they are used.
        links = rng.random((int(n_draws), len(probability))) < probability[None, :]
        labels = np.empty((int(n_draws), self.n_records), dtype=np.int64)
        for draw in range(int(n_draws)):
            chosen = links[draw]
            labels[draw] = clusters_from_links(self.n_records, left[chosen], right[chosen])
        return labels

    def error_rates(self) -> pd.DataFrame:
        """Expected linkage errors at :attr:`threshold`, for every pair of lists.

        With calibrated match probabilities ``p`` (the probability that a
        candidate pair is a true match), for the lists ``a`` and ``b`` (``b``
        after ``a`` in :attr:`lists`):

        - ``links``: the candidate pairs with ``p >= threshold``;
        - ``expected_matches``: ``M_ab = sum p`` over all candidate pairs of
          the two lists, the expected number of true matches (a pair not
          scored is taken never to match);
        - ``expected_false_links``: ``sum (1 - p)`` over the links;
        - ``expected_missed_links``: ``sum p`` over the candidate pairs that
          are not links;
        - ``alpha``: the probability that a true match is linked,
          ``sum_links p / M_ab``;
        - ``beta``: the probability that a record of ``b`` with no true match
          on ``a`` is falsely linked to a record of ``a``,
          ``expected_false_links / (n_b - M_ab)``.

        ``alpha`` and ``beta`` are the rates of Ding & Fienberg (1994) as
        generalised by Di Consiglio & Tuoto (2015): the expected number of
        links is ``alpha * M_ab + beta * (n_b - M_ab)``. They describe the
        links between two lists as if each record were linked on its own;
        links made through a third list are not counted here.

        Returns
        -------
        pandas.DataFrame
            One row per pair of lists, with the columns of
            :data:`ERROR_RATE_COLUMNS` (``records_a`` and ``records_b`` the
            records of each list). A rate is ``nan`` where it has no
            denominator (no candidate pair, or every record of ``b`` matched).

        References
        ----------
        Ding, Y. & Fienberg, S. E. (1994). Dual system estimation of Census
        undercount in the presence of matching error. *Survey Methodology*
        20(2), 149-158.

        Di Consiglio, L. & Tuoto, T. (2015). Coverage evaluation on
        probabilistically linked data. *Journal of Official Statistics* 31(3),
        415-429.

        Examples
        --------
        >>> import pandas as pd
        >>> records = pd.DataFrame({"record_id": ["a1", "a2", "b1", "b2"], "list": ["A", "A", "B", "B"]})
        >>> pairs = pd.DataFrame({"record_id_l": ["a1", "a2"], "record_id_r": ["b1", "b2"],
        ...                       "match_probability": [0.9, 0.2]})
        >>> rates = LinkageResult(records, pairs, lists=("A", "B")).error_rates()
        >>> rates.loc[0, ["links", "expected_false_links", "expected_missed_links", "alpha"]].round(3).tolist()
        [1.0, 0.1, 0.2, 0.818]
        """
        left, right, probability = self._pair_positions()
        list_index = pd.Index(self.lists).get_indexer(pd.Index(self.records["list"])).astype(np.int64)
        t = len(self.lists)
        first = np.minimum(list_index[left], list_index[right])
        second = np.maximum(list_index[left], list_index[right])
        pair_code = first * t + second
        linked = probability >= self.threshold
        size = t * t
        n_candidates = np.bincount(pair_code, minlength=size)
        n_links = np.bincount(pair_code, weights=linked, minlength=size)
        matches = np.bincount(pair_code, weights=probability, minlength=size)
        linked_matches = np.bincount(pair_code, weights=probability * linked, minlength=size)
        false_links = np.bincount(pair_code, weights=(1.0 - probability) * linked, minlength=size)
        missed = np.bincount(pair_code, weights=probability * ~linked, minlength=size)
        n_records = np.bincount(list_index, minlength=t)
        rows = []
        for a in range(t):
            for b in range(a + 1, t):
                k = a * t + b
                unmatched = n_records[b] - matches[k]
                rows.append(
                    {
                        "list_a": self.lists[a],
                        "list_b": self.lists[b],
                        "records_a": int(n_records[a]),
                        "records_b": int(n_records[b]),
                        "candidate_pairs": int(n_candidates[k]),
                        "links": int(n_links[k]),
                        "expected_matches": float(matches[k]),
                        "expected_false_links": float(false_links[k]),
                        "expected_missed_links": float(missed[k]),
                        "alpha": float(linked_matches[k] / matches[k]) if matches[k] > 0 else float("nan"),
                        "beta": float(false_links[k] / unmatched) if unmatched > 0 else float("nan"),
                    }
                )
        return pd.DataFrame(rows, columns=list(ERROR_RATE_COLUMNS))

    def capture_data(self, labels: np.ndarray | None = None, covariates: Sequence[str] | None = None) -> CaptureData:
        """The capture-history table of a labelling of the records (by default the clusters at :attr:`threshold`).

        Parameters
        ----------
        labels
            One cluster label per record (a row of :meth:`sample_clusters`);
            ``None``: the :attr:`records`' ``cluster`` column.
        covariates
            Covariate columns of :attr:`records`, as for
            :meth:`mse.CaptureData.from_linked`.

        Returns
        -------
        mse.CaptureData
            A plain table (it does not keep the linkage): one person per cluster.

        Raises
        ------
        DataError
            For labels of the wrong length or unknown covariates.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> records = pd.DataFrame({"record_id": ["a1", "b1"], "list": ["A", "B"]})
        >>> pairs = pd.DataFrame({"record_id_l": ["a1"], "record_id_r": ["b1"], "match_probability": [0.9]})
        >>> linkage = LinkageResult(records, pairs, lists=("A", "B"))
        >>> linkage.capture_data().pattern_counts().to_dict(), linkage.capture_data(np.array([0, 1])).n_observed
        ({'11': 1}, 2)
        """
        from mse.data.capture import CaptureData
        from mse.linkage.linked_data import histories_of_clusters

        covariates = tuple(covariates or ())
        missing = [c for c in covariates if c not in self.records.columns]
        if missing:
            kept = [c for c in self.records.columns if c not in RECORD_COLUMNS]
            raise DataError(f"covariate(s) {missing} are not in the linked records; they hold {kept}.")
        if labels is None:
            labels = self.records["cluster"].to_numpy()
        labels = np.asarray(labels)
        if labels.shape != (self.n_records,) or not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"labels must be {self.n_records} integer cluster labels, one per record.")
        # Labels numbered 0..k-1 whatever the caller used.
        _, labels = np.unique(labels, return_inverse=True)
        histories, covariate_values = histories_of_clusters(self.records, labels, self.lists, covariates)
        return CaptureData._from_arrays(
            histories,
            np.ones(len(histories), dtype=np.int64),
            self.lists,
            covariate_values,
            drop_unobserved=False,
            what="cluster",
        )

    def history_counts(self, labels: np.ndarray) -> np.ndarray:
        """Counts of the ``2**t - 1`` observable histories for each labelling, without building tables.

        Parameters
        ----------
        labels
            ``(n_draws, n_records)`` cluster labels (from :meth:`sample_clusters`)
            or one labelling.

        Returns
        -------
        numpy.ndarray
            ``(n_draws, 2**t - 1)`` counts, in the order of
            ``CaptureData.dense_counts()[1:]`` (first list the most
            significant bit).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> records = pd.DataFrame({"record_id": ["a1", "b1"], "list": ["A", "B"]})
        >>> pairs = pd.DataFrame({"record_id_l": ["a1"], "record_id_r": ["b1"], "match_probability": [0.9]})
        >>> LinkageResult(records, pairs, lists=("A", "B")).history_counts(np.array([[0, 0], [0, 1]])).tolist()
        [[0, 0, 1], [1, 1, 0]]
        """
        labels = np.atleast_2d(np.asarray(labels, dtype=np.int64))
        n_draws, n_records = labels.shape
        t = len(self.lists)
        bit = np.left_shift(1, t - 1 - pd.Index(self.lists).get_indexer(pd.Index(self.records["list"]))).astype(
            np.int64
        )
        # Every draw's clusters get their own slots, so one bitwise-or over all draws builds every history.
        slot = (labels + np.arange(n_draws, dtype=np.int64)[:, None] * n_records).ravel()
        codes = np.zeros(n_draws * n_records, dtype=np.int64)
        np.bitwise_or.at(codes, slot, np.tile(bit, n_draws))
        codes = codes.reshape(n_draws, n_records)
        cells = 1 << t
        flat = (codes + np.arange(n_draws, dtype=np.int64)[:, None] * cells).ravel()
        counts = np.bincount(flat, minlength=n_draws * cells).reshape(n_draws, cells)
        return counts[:, 1:]

    # ------------------------------------------------------------ clerical review
    def review_sample(self, n: int | Mapping[str, int], *, random_seed: int | None) -> pd.DataFrame:
        """A simple random sample of each list's records for a clerical review of the linkage.

        Reviewers who may see the identifying data (each agency for its own
        records, or a trusted third party) find, for each drawn record, the
        records of the same person on every other list; the result, with a
        ``matches`` column, goes to :meth:`with_review`. See
        :func:`mse.linkage.review.draw_review_sample`.

        Parameters
        ----------
        n
            Records to draw from each list (a number, or one per list name).
        random_seed
            Seed of the draw.

        Returns
        -------
        pandas.DataFrame
            ``record_id``, ``list``, ``cluster_records`` and ``candidates``.

        Examples
        --------
        >>> from mse.linkage.scored_linkage import simulate_linkage
        >>> sample = simulate_linkage(500, (0.3, 0.4), random_seed=1).review_sample(10, random_seed=2)
        >>> len(sample)
        20
        """
        from mse.linkage.review import draw_review_sample

        return draw_review_sample(self, n, random_seed=random_seed)

    def with_review(self, review: pd.DataFrame) -> LinkageResult:
        """This linkage with a clerical review of a sample of its records.

        :func:`mse.estimate` then corrects for linkage errors with the review
        (``linkage_error="review"``, the default for log-linear models when a
        review is present). See :mod:`mse.linkage.review`.

        Parameters
        ----------
        review
            ``record_id`` and ``matches`` (the records of the same person on
            the other lists) for each reviewed record; checked by
            :func:`mse.linkage.review.checked_review`.

        Returns
        -------
        LinkageResult
            A new linkage; this one is not changed.

        Examples
        --------
        >>> import pandas as pd
        >>> records = pd.DataFrame({"record_id": ["a1", "b1"], "list": ["A", "B"]})
        >>> pairs = pd.DataFrame({"record_id_l": ["a1"], "record_id_r": ["b1"], "match_probability": [0.4]})
        >>> linkage = LinkageResult(records, pairs, lists=("A", "B"))
        >>> reviewed = linkage.with_review(pd.DataFrame({"record_id": ["a1"], "matches": [["b1"]]}))
        >>> reviewed.review["matches"].tolist(), linkage.review is None
        ([('b1',)], True)
        """
        return dataclasses.replace(self, review=review)

    def __repr__(self) -> str:
        reviewed = "" if self.review is None else f", reviewed={len(self.review)}"
        return (
            f"LinkageResult(lists={list(self.lists)}, records={self.n_records}, people={self.n_clusters}, "
            f"candidate_pairs={len(self.pairs)}, threshold={self.threshold}, backend={self.backend!r}{reviewed})"
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
