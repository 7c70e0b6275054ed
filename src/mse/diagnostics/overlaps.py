"""Overlap diagnostics: which pairs of lists the data say something about.

The dark figure is inferred from the overlaps of the lists. Pairs that never
overlap, lists whose members appear on no other list, and lists that split
into separate groups with no one in common are where estimates become
fragile; this module reports them, together with how surprising each
observed overlap is under a fitted model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData

__all__ = ["OverlapReport", "overlap_diagnostics"]


@dataclass(frozen=True)
class OverlapReport:
    """Overlap diagnostics of a capture table.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per pair of lists: ``list_a``, ``list_b``, ``overlap`` (people
        on both), ``expected`` (under the fitted model), ``p_value`` (two-sided
        Poisson probability of an overlap at least as extreme), ``p_empty``
        (Poisson probability of no overlap at all), ``odds_ratio`` with
        ``or_lower``/``or_upper`` (pairwise dependence among the people
        observed, with 0.5 added to every cell when one is empty).
    uninformative_lists : list of str
        Lists whose members appear on no other list: they add people but say
        nothing about how the lists depend on each other.
    components : list of list of str
        Connected components of the graph whose edges are overlapping pairs.
        More than one component means the table splits into separate problems.
    model : str
        The model under which ``expected`` was computed.

    Examples
    --------
    >>> import mse
    >>> report = mse.overlap_diagnostics(mse.load_dataset("uk2013"))
    >>> report.uninformative_lists, len(report.components)
    ([], 1)
    """

    pairs: pd.DataFrame
    uninformative_lists: list[str]
    components: list[list[str]]
    model: str
    details: dict[str, Any] = field(default_factory=dict, repr=False)


def _components(lists: tuple[str, ...], pairs: pd.DataFrame) -> list[list[str]]:
    parent = {name: name for name in lists}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for a, b, overlap in pairs[["list_a", "list_b", "overlap"]].itertuples(index=False):
        if overlap > 0:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for name in lists:
        groups.setdefault(root(name), []).append(name)
    return list(groups.values())


def overlap_diagnostics(data: CaptureData, model: Any = "independence", *, level: float = 0.95) -> OverlapReport:
    """Pairwise overlaps with their probability under a model, dependence and structure.

    Parameters
    ----------
    data
        Capture histories (covariates are summed out).
    model
        The log-linear model under which expected overlaps are computed.
    level
        Coverage of the odds-ratio intervals.

    Returns
    -------
    OverlapReport

    References
    ----------
    Chan, Silverman & Vincent (2021) on lists that never overlap, cited in
    full in :func:`mse.auto.auto`.

    Examples
    --------
    >>> import mse
    >>> report = mse.overlap_diagnostics(mse.load_dataset("uk2013"))
    >>> report.pairs.query("overlap == 0")[["list_a", "list_b"]].values.tolist()
    [['LA', 'GP'], ['LA', 'NCA']]
    """
    from scipy.stats import norm

    from mse.loglinear.fit.model_fit import fit_model
    from mse.loglinear.search.model_search import two_sided_poisson_p

    data = data.collapse_covariates()
    fit = fit_model(data, model)
    histories = np.asarray(data.histories, dtype=bool)
    counts = np.asarray(data.counts, dtype=float)
    cells = fit.cells()
    cell_histories = np.array([[ch == "1" for ch in h] for h in cells["history"]])
    fitted = cells["fitted"].to_numpy(dtype=float)
    z = norm.ppf(0.5 + level / 2.0)
    rows = []
    for i, j in combinations(range(data.n_lists), 2):
        on_i, on_j = histories[:, i], histories[:, j]
        n11 = counts[on_i & on_j].sum()
        n10 = counts[on_i & ~on_j].sum()
        n01 = counts[~on_i & on_j].sum()
        n00 = counts[~on_i & ~on_j].sum()
        expected = fitted[cell_histories[:, i] & cell_histories[:, j]].sum()
        table = np.array([n11, n10, n01, n00], dtype=float)
        if (table == 0).any():
            table = table + 0.5
        log_or = np.log(table[0]) + np.log(table[3]) - np.log(table[1]) - np.log(table[2])
        se = np.sqrt((1.0 / table).sum())
        rows.append(
            {
                "list_a": data.lists[i],
                "list_b": data.lists[j],
                "overlap": int(n11),
                "expected": expected,
                "p_value": float(two_sided_poisson_p(np.array([n11]), np.array([expected]))[0]),
                "p_empty": float(np.exp(-expected)),
                "odds_ratio": float(np.exp(log_or)),
                "or_lower": float(np.exp(log_or - z * se)),
                "or_upper": float(np.exp(log_or + z * se)),
            }
        )
    pairs = pd.DataFrame(rows)
    alone = [
        name
        for k, name in enumerate(data.lists)
        if counts[histories[:, k]].sum() > 0 and counts[histories[:, k] & (histories.sum(axis=1) > 1)].sum() == 0
    ]
    return OverlapReport(
        pairs=pairs,
        uninformative_lists=alone,
        components=_components(data.lists, pairs),
        model=fit.model,
        details={"fit_status": fit.status},
    )
