"""Can the table inform the population size at all?

Every estimator of ``N`` learns how many people were missed from how often
people were seen again: the overlaps between lists. A table without any
overlap carries no information about ``N`` under any model, and whatever
number a method then returns comes from its assumptions (a +1 correction, a
boundary of the parameter space) or, for a Bayesian method, from its prior.
:func:`information_problem` recognises such tables; :func:`mse.estimate`
calls it once for every method, so no method can forget it.

The rule
--------
A table (covariates summed out) can inform ``N`` if and only if

1. at least two people were observed (``n >= 2``), and
2. at least one person is on two or more lists.

Condition 2 implies that at least two lists have someone on them, so "fewer
than two non-empty lists" is a special case and is reported as such. Why
nothing else is needed at this level, and why nothing less would do:

* **No overlap at all.** The counts of people on exactly one list are the
  only data. Every model with a main effect for each list (every log-linear
  model, every closed-population model, the latent-class and graphical
  models) explains them equally well with any ``N >= n``: in the
  independence model the sufficient statistics are ``n`` and the list totals,
  and the two-list likelihood ``N! / (N - n)! * prod_j p_j^{n_j} (1 -
  p_j)^{N - n_j}`` increases in ``N`` for ever when ``sum_j n_j = n``
  (Darroch 1958). Richer models only add parameters. Chapman's estimator
  ``(n_1 + 1)(n_2 + 1) / (m + 1) - 1`` is finite at ``m = 0`` only through
  its +1 correction, which is not information.
* **A single person.** With ``n = 1`` every model fits the one history
  perfectly; the table cannot separate "everyone was seen" from "almost no
  one was", and a variance cannot be estimated from one unit.
* **Three or more lists where only one pair overlaps** (say ``A`` and ``B``;
  ``C`` never overlaps anyone). The ``A``-``B`` overlap informs ``N`` under a
  model without the ``A:C`` and ``B:C`` interactions (``C`` is then fitted
  with a small capture probability), so the table as a whole is informative.
  Models that do include a never-observed interaction have no finite MLE for
  it; that is a property of the model, decided per model by
  :func:`mse.check_estimability` (the extended MLE of Chan, Silverman &
  Vincent 2021), not of the table.
* **An empty list among three or more.** The empty list says nothing, but the
  other lists may still overlap; the table is informative exactly when they
  do. A model's main effect for the empty list sits at minus infinity, which
  again is the per-model existence check's business.
* **Complete lists** (everyone on every list, or a list that holds everyone).
  These are overlap, and evidence that few were missed: the likelihood is
  largest at ``N = n``, on the boundary. Whether a given model reports that
  (Chapman's estimator does) or says its MLE does not exist (the log-linear
  models do, since a parameter is then infinite) is again decided per model.

References
----------
Darroch, J. N. (1958). The multiple-recapture census I: estimation of a closed
population. *Biometrika* 45(3/4), 343-359.

Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation for
sparse capture data: inferential challenges when there are nonoverlapping
lists. *Journal of the American Statistical Association* 116(535), 1297-1306.

Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in
log-linear models. *Annals of Statistics* 40(2), 996-1023.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mse.data.capture import CaptureData

__all__ = ["NO_INFORMATION", "PRIOR_METHODS", "information_problem", "uninformative_estimate"]

#: Every status set by the information check starts with this.
NO_INFORMATION = "no information about N"

#: Methods whose result on an uninformative table is their prior: they keep the
#: posterior numbers (under a status that says so); every other method returns
#: ``nan`` because its estimate does not exist.
PRIOR_METHODS: frozenset[str] = frozenset({"dga", "lcmcr", "bayes_loglinear", "bayesthresh"})

_CONSEQUENCE = "any estimate repeats the model's assumptions (or the prior), not the data"


def _names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def information_problem(data: CaptureData) -> str | None:
    """Why the table cannot inform ``N`` under any model, or ``None`` when it can.

    See :mod:`mse.information` for the rule and why it is complete.

    Parameters
    ----------
    data
        The capture histories; covariates are summed out.

    Returns
    -------
    str or None
        A sentence starting with ``"no information about N"`` that says what
        is missing, or ``None``.

    Examples
    --------
    >>> import mse
    >>> from mse.information import information_problem
    >>> disjoint = mse.CaptureData.from_patterns({"10": 40, "01": 25}, ["A", "B"])
    >>> print(information_problem(disjoint))  # doctest: +NORMALIZE_WHITESPACE
    no information about N: lists A and B never overlap (no one is on more than one list),
    so any estimate repeats the model's assumptions (or the prior), not the data
    >>> information_problem(mse.load_dataset("kosovo")) is None
    True
    """
    lists = list(data.lists)
    frame = data.to_frame()
    histories = frame[lists].to_numpy(dtype=np.int64)
    counts = frame["count"].to_numpy(dtype=np.int64)
    seen = counts > 0
    histories, counts = histories[seen], counts[seen]
    n = int(counts.sum())
    if n == 0:
        return f"{NO_INFORMATION}: no one was observed"
    if n == 1:
        return f"{NO_INFORMATION}: a single person was observed, so {_CONSEQUENCE}"
    totals = counts @ histories
    non_empty = [name for name, total in zip(lists, totals) if total > 0]
    empty = [name for name, total in zip(lists, totals) if total == 0]
    if len(non_empty) < 2:
        where = f"only list {non_empty[0]} has anyone on it" if non_empty else "no list has anyone on it"
        nothing = f" (list {empty[0]} is empty)" if len(empty) == 1 else f" (lists {_names(empty)} are empty)"
        return f"{NO_INFORMATION}: {where}{nothing}, so there is no overlap to learn from and {_CONSEQUENCE}"
    if not (histories.sum(axis=1) >= 2).any():
        return (
            f"{NO_INFORMATION}: lists {_names(non_empty)} never overlap (no one is on more than one list), "
            f"so {_CONSEQUENCE}"
        )
    return None


def uninformative_estimate(
    data: CaptureData, method: str, reason: str, *, level: float, options: Mapping[str, Any]
) -> Any:
    """The result of a non-Bayesian ``method`` on a table without information: no numbers, ``reason`` as status.

    ``observed`` is the number of people the method would have seen: a
    two-list method given ``lists=`` sees only the people on those two lists.

    Parameters
    ----------
    data
        The capture table.
    method
        The method name given to :func:`mse.estimate`.
    reason
        Why the table holds no information (from :func:`information_problem`).
    level
        The level asked for, recorded in the result.
    options
        The method's options (``lists=`` of a two-list method is honoured).

    Returns
    -------
    Estimate
        A failed estimate: ``nan`` numbers and ``reason`` as its status.

    Examples
    --------
    >>> import mse
    >>> from mse.information import information_problem, uninformative_estimate
    >>> data = mse.CaptureData.from_patterns({"10": 5, "01": 7}, lists=["A", "B"])
    >>> reason = information_problem(data)
    >>> res = uninformative_estimate(data, "chapman", reason, level=0.95, options={})
    >>> res.status == reason, res.estimate
    (True, nan)
    """
    from mse.results import Estimate

    observed = data.n_observed
    chosen = options.get("lists")
    if chosen is not None and all(name in data.lists for name in chosen):
        observed = data.drop_lists([name for name in data.lists if name not in chosen]).n_observed
    return Estimate.failed(method=method, observed=observed, status=reason, level=level)
