"""A capture-history table built from a linkage, which remembers the linkage it came from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData
from mse.errors import DataError
from mse.linkage.result import LinkageResult

__all__ = ["LinkedCaptureData", "histories_of_clusters"]


def histories_of_clusters(
    records: pd.DataFrame, labels: np.ndarray, lists: Sequence[str], covariates: Sequence[str] = ()
) -> tuple[np.ndarray, pd.DataFrame]:
    """One capture history per cluster of records, with each cluster's covariate values.

    Parameters
    ----------
    records
        The linkage's records (``list`` and the covariate columns).
    labels
        A cluster label per record, ``0..k-1``.
    lists
        The list names, in the order of the histories.
    covariates
        Covariate columns of ``records``. A cluster takes the value most of
        its records give (ties go to the first list in ``lists``); it is
        missing when none of its records has one.

    Returns
    -------
    histories : numpy.ndarray
        A ``(k, len(lists))`` array of 0/1.
    covariate_values : pandas.DataFrame
        ``k`` rows, one column per covariate.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n_clusters = int(labels.max()) + 1 if len(labels) else 0
    column = pd.Index(list(lists)).get_indexer(pd.Index(records["list"].astype(str)))
    histories = np.zeros((n_clusters, len(lists)), dtype=np.uint8)
    histories[labels, column] = 1
    values = {}
    for name in covariates:
        frame = pd.DataFrame({"cluster": labels, "rank": column, "value": records[name].to_numpy()}).dropna()
        if frame.empty:
            values[name] = pd.Series([None] * n_clusters, dtype=object)
            continue
        votes = frame.groupby(["cluster", "value"], sort=False).agg(n=("rank", "size"), first=("rank", "min"))
        votes = votes.reset_index().sort_values(["cluster", "n", "first"], ascending=[True, False, True])
        chosen = votes.drop_duplicates("cluster").set_index("cluster")["value"]
        values[name] = chosen.reindex(range(n_clusters)).reset_index(drop=True)
    return histories, pd.DataFrame(values, index=pd.RangeIndex(n_clusters))


class LinkedCaptureData(CaptureData):
    """A :class:`~mse.CaptureData` built from a :class:`~mse.linkage.LinkageResult`, which it keeps.

    It is an ordinary capture-history table (the people are the clusters of
    the links at the linkage's threshold), so every method accepts it; the
    estimators use :attr:`linkage` to account for linkage errors. Operations
    that change the lists (``merge_lists``, ``drop_lists``, ...) return a plain
    :class:`~mse.CaptureData`, since the linkage no longer describes them.

    Build one with :meth:`mse.CaptureData.from_linked`.

    Parameters
    ----------
    linkage
        Given to :meth:`mse.CaptureData.from_linked` (or :meth:`from_linkage`):
        the :class:`~mse.linkage.LinkageResult` the table is built from,
        kept as :attr:`linkage`.
    covariates
        Non-identifying columns of the linked records to keep as covariates.

    Examples
    --------
    >>> import pandas as pd, mse
    >>> from mse.linkage import LinkageResult
    >>> records = pd.DataFrame({"record_id": ["a1", "a2", "b1"], "list": ["A", "A", "B"]})
    >>> pairs = pd.DataFrame({"record_id_l": ["a1"], "record_id_r": ["b1"], "match_probability": [0.97]})
    >>> table = mse.CaptureData.from_linked(LinkageResult(records, pairs, lists=("A", "B")))
    >>> type(table).__name__, table.n_observed, table.linkage.n_records
    ('LinkedCaptureData', 2, 3)
    """

    __slots__ = ("_covariate_names_linked", "_linkage")
    _linkage: LinkageResult
    _covariate_names_linked: tuple[str, ...]

    @classmethod
    def from_linkage(cls, linkage: LinkageResult, covariates: Sequence[str] | None = None) -> LinkedCaptureData:
        """The table of the clusters of ``linkage`` (see :meth:`mse.CaptureData.from_linked`)."""
        if not isinstance(linkage, LinkageResult):
            raise DataError(
                "from_linked() needs a mse.linkage.LinkageResult (from mse.linkage.link), "
                f"got {type(linkage).__name__}."
            )
        covariates = tuple(covariates or ())
        table = linkage.capture_data(None, covariates)  # the clusters at the linkage's threshold
        linked = object.__new__(cls)
        for slot in CaptureData.__slots__:
            object.__setattr__(linked, slot, getattr(table, slot))
        object.__setattr__(linked, "_linkage", linkage)
        object.__setattr__(linked, "_covariate_names_linked", covariates)
        return linked

    @property
    def linkage(self) -> LinkageResult:
        """The linkage the table was built from."""
        return self._linkage

    def __repr__(self) -> str:
        return "Linked" + super().__repr__() + f" from {self._linkage.n_records} records"
