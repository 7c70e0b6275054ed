"""A linkage of known quality: people on lists, and candidate pairs scored by a calibrated model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mse.errors import DataError
from mse.linkage.result import LinkageResult
from mse.options import check_random_seed

__all__ = ["simulate_linkage"]


def simulate_linkage(
    population: int,
    capture: Sequence[float],
    *,
    c: float = 0.2,
    d: float = 0.2,
    one_to_one: bool = False,
    lists: Sequence[str] | None = None,
    random_seed: int | None = None,
) -> LinkageResult:
    """A :class:`~mse.linkage.LinkageResult` of known truth whose match probabilities are calibrated.

    Each of ``population`` people is on list ``j`` with probability
    ``capture[j]``, independently, with one record per list. For every pair of
    lists the candidate pairs are the ``M`` true matches, scored
    ``p ~ Beta(c + 1, d)``, and ``round(M d / c)`` non-matching pairs of a
    record of a person on the first list but not the second and one of a
    person on the second but not the first, scored ``p ~ Beta(c, d + 1)``. Among
    pairs scored ``p`` the share of true matches is then ``p``: the
    probabilities are calibrated, and missed links (true matches below the
    threshold) and false links (non-matches above it) occur at known expected
    rates. It tests the linkage-error corrections without a record linkage;
    :func:`mse.linkage.simulate_records` makes agencies' records for the whole
    pipeline instead.

    Parameters
    ----------
    population
        The number of people, seen or not.
    capture
        The capture probability of each list (at least two lists).
    c, d
        The parameters of the scores; small values give many pairs scored
        near 0 or 1 and few in between.
    one_to_one
        Draw the non-matching pairs without replacement, so that every record
        is in at most one candidate pair (with two lists, a link configuration
        is then a set of one-to-one links).
    lists
        The list names (default ``"A"``, ``"B"``, ...). Record ids are
        ``"<list>:<person>"``.
    random_seed
        Seed of every draw.

    Returns
    -------
    LinkageResult
        The records, the scored pairs, and the clusters at the threshold 0.5.

    Raises
    ------
    DataError
        For fewer than two lists, capture probabilities outside (0, 1],
        non-positive ``c`` or ``d``, or ``one_to_one`` with too few people on
        one list only for the non-matching pairs.

    Examples
    --------
    >>> from mse.linkage.scored_linkage import simulate_linkage
    >>> linkage = simulate_linkage(1000, (0.3, 0.4), random_seed=1)
    >>> linkage.lists, linkage.n_records > 0, bool(linkage.pairs["match_probability"].between(0, 1).all())
    (('A', 'B'), True, True)
    """
    probabilities = np.asarray(capture, dtype=float)
    t = len(probabilities)
    names = tuple(lists) if lists is not None else tuple("ABCDEFGHIJ"[:t])
    if t < 2 or len(names) != t:
        raise DataError(f"simulate_linkage needs at least two lists and one name each, got {t} and {names}.")
    if not np.all((probabilities > 0) & (probabilities <= 1)):
        raise DataError(f"capture probabilities must lie in (0, 1], got {probabilities.tolist()}.")
    if not (c > 0 and d > 0):
        raise DataError(f"c and d must be positive, got c={c!r}, d={d!r}.")
    rng = np.random.default_rng(check_random_seed(random_seed))
    on = rng.random((int(population), t)) < probabilities
    person, column = np.nonzero(on)
    record_id = np.array([f"{names[j]}:{i}" for i, j in zip(person, column, strict=True)])
    records = pd.DataFrame({"record_id": record_id, "list": np.array(names)[column]})
    left, right, probability = [], [], []
    for a in range(t):
        for b in range(a + 1, t):
            rec_a = pd.Series(np.flatnonzero(column == a), index=person[column == a])
            rec_b = pd.Series(np.flatnonzero(column == b), index=person[column == b])
            shared = rec_a.index.intersection(rec_b.index)
            left.append(rec_a[shared].to_numpy())
            right.append(rec_b[shared].to_numpy())
            probability.append(rng.beta(c + 1, d, len(shared)))
            n_false = round(len(shared) * d / c)
            only_a = rec_a[~rec_a.index.isin(rec_b.index)].to_numpy()
            only_b = rec_b[~rec_b.index.isin(rec_a.index)].to_numpy()
            if one_to_one:
                if n_false > min(len(only_a), len(only_b)):
                    raise DataError(
                        f"one_to_one needs {n_false} people on {names[a]!r} but not {names[b]!r} and as many the "
                        "other way round; raise the population or lower d / c."
                    )
                left.append(rng.permutation(only_a)[:n_false])
                right.append(rng.permutation(only_b)[:n_false])
            else:
                if n_false and not (len(only_a) and len(only_b)):
                    raise DataError(
                        f"nobody is on only one of {names[a]!r} and {names[b]!r}, so no non-matching pair can be "
                        "drawn between them; lower the capture probabilities."
                    )
                left.append(rng.choice(only_a, n_false))
                right.append(rng.choice(only_b, n_false))
            probability.append(rng.beta(c, d + 1, n_false))
    pairs = pd.DataFrame(
        {
            "record_id_l": record_id[np.concatenate(left)],
            "record_id_r": record_id[np.concatenate(right)],
            "match_probability": np.concatenate(probability),
        }
    ).drop_duplicates(["record_id_l", "record_id_r"])
    return LinkageResult(records, pairs, lists=names)
