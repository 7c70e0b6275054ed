"""How much an estimate moves when the lists or the model space change.

Published MSE estimates have been criticised for resting on one list or one
modelling choice; this table shows, in one place, the estimate with each list
left out, with chosen lists merged, and across the largest interaction order
the model search may use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from mse.data.capture import MERGED_NAME_SEPARATOR, CaptureData
from mse.diagnostics._rerun import no_estimate, rerun
from mse.errors import DataError, MSEError

__all__ = ["sensitivity"]

_COLUMNS = ["variation", "kind", "lists", "observed", "estimate", "lower", "upper", "status"]


def sensitivity(
    data: CaptureData,
    method: str = "stepwise",
    *,
    leave_out: bool = True,
    merges: Iterable[Sequence[str]] | Mapping[str, Sequence[str]] = (),
    max_orders: Iterable[int] = (),
    level: float = 0.95,
    random_seed: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Estimates under variations of the data and model space, as one tidy table.

    Each row re-runs :func:`mse.estimate` on the varied table. A variation on
    which the method raises an error (a merge of lists the data do not have,
    say) is a row with ``nan`` numbers and the error in ``status``.

    Parameters
    ----------
    data
        Capture histories.
    method, options
        The estimator, as for :func:`mse.estimate`.
    leave_out
        Add one row per list with that list left out (people seen only on it
        leave the table). Needs at least three lists.
    merges
        Groups of lists to merge, each giving one row; a mapping gives the
        merged list's name as key (default name: the names joined by "/", as by
        :meth:`mse.CaptureData.merge_lists`).
    max_orders
        Values of the ``max_order`` option to try, one row each (for model
        search methods).
    level, random_seed
        Passed to :func:`mse.estimate`.

    Returns
    -------
    pandas.DataFrame
        Columns ``variation``, ``kind`` (``"baseline"``, ``"leave_out"``,
        ``"merge"``, ``"max_order"``), ``lists``, ``observed``, ``estimate``,
        ``lower``, ``upper``, ``status``. The first row is the unchanged fit.

    Examples
    --------
    >>> import mse
    >>> table = mse.sensitivity(mse.load_dataset("uk2013"), method="stepwise",
    ...                         merges={"PFNCA": ["PF", "NCA"]}, max_orders=[2, 3])  # doctest: +SKIP
    """
    variations: list[tuple[str, str, CaptureData, dict[str, Any]]] = [("all lists", "baseline", data, {})]
    if leave_out:
        if data.n_lists < 3:
            raise DataError("leaving a list out needs at least three lists; pass leave_out=False.")
        for name in data.lists:
            variations.append((f"without {name}", "leave_out", data, {"drop": name}))
    merge_items = merges.items() if isinstance(merges, Mapping) else ((None, g) for g in merges)
    for into, group in merge_items:
        label = f"merge {MERGED_NAME_SEPARATOR.join(group)}"
        variations.append((label, "merge", data, {"merge": (list(group), into)}))
    for order in max_orders:
        variations.append((f"max_order={order}", "max_order", data, {"max_order": int(order)}))

    rows = []
    for label, kind, base, change in variations:
        row: dict[str, Any] = {"variation": label, "kind": kind}
        run_options = dict(options)
        try:
            varied = base
            if "drop" in change:
                varied = base.drop_lists([change["drop"]])
            if "merge" in change:
                group, into = change["merge"]
                varied = base.merge_lists(group, into=into)
        except MSEError as exc:
            rows.append({**row, "lists": "", "observed": 0, **no_estimate(f"error: {exc}")})
            continue
        if "max_order" in change:
            run_options["max_order"] = change["max_order"]
        row.update(lists="+".join(varied.lists), observed=varied.n_observed)
        rows.append({**row, **rerun(varied, method, level=level, random_seed=random_seed, **run_options)})
    return pd.DataFrame(rows, columns=_COLUMNS)
