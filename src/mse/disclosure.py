"""Disclosure control: one policy for every number of people the library prints, writes or plots.

Counts of people observed can identify them when they are small, especially
by covariate. A :class:`DisclosurePolicy` says how such counts are published
(suppressed below a threshold, rounded to a base) and is applied by every
output path: :meth:`mse.Estimate.summary` and its HTML view,
:meth:`~mse.Estimate.to_frame`, :meth:`~mse.Estimate.to_dict`,
:meth:`~mse.Estimate.to_json`, :meth:`~mse.Estimate.save`,
:meth:`~mse.Estimate.breakdown`, :func:`mse.compare`,
:meth:`mse.CaptureData.summary`, the plots that print counts, and every
command of the ``mse`` program.

Three rules make the policy hold across outputs rather than cell by cell:

* **Primary suppression.** A count ``c`` with ``0 < c < suppress_below`` is
  shown as ``"<suppress_below"``. Zeros are shown: a structural zero (two
  lists that never overlap) is part of the design, not a person.
* **Complementary suppression.** Wherever a count is one of several that
  add up to a published margin (levels of a covariate and the total; people
  per list, by number of lists, and the total), more counts are withheld
  (shown as ``"suppressed"``) until no withheld count can be solved from
  the shown ones by adding and subtracting. This is checked exactly, with
  the linear equations of every published sum, not with a rule of thumb.
* **No derived give-aways.** When the number observed is withheld, so is
  the dark figure (estimate minus observed), and every estimate or limit
  that could equal it (a profile interval starts at the number observed);
  model coefficients, fitted cells, draws and other cell-level details are
  left out of protected files, because they rebuild the cells
  (``observed = fitted − dark`` in each cell).

References
----------
Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt,
E. S., Spicer, K. & de Wolf, P.-P. (2012). *Statistical Disclosure Control*.
Wiley. Chapter 4 (magnitude and frequency tables; primary and secondary
suppression).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mse.data.capture import CaptureData
    from mse.results import Estimate

__all__ = ["SUPPRESSED", "DisclosurePolicy", "ProtectedEstimate", "resolve_policy"]

#: How a count withheld by complementary suppression is shown (it is not small itself).
SUPPRESSED = "suppressed"

#: Format of a file written by ``Estimate.save(path, policy=...)``: for publication, not for reloading.
PUBLISHED_FORMAT = "mse.PublishedEstimate/1"

#: Details of a result that are single numbers about the model as a whole; every
#: other detail (coefficients, fitted cells, draws, the search table, counts of
#: partially classified records, ...) can rebuild cells and is left out of protected output.
_SAFE_DETAILS = ("deviance", "df", "aic", "bic", "n_params", "n_boot", "n_failed", "covariates")


@dataclass(frozen=True)
class DisclosurePolicy:
    """How counts of people are published: suppression of small counts, rounding, complementary suppression.

    Parameters
    ----------
    suppress_below
        Counts of people observed with ``0 < count < suppress_below`` are shown
        as ``"<suppress_below"``; ``None`` suppresses nothing.
    round_to
        Numbers of people (counts and estimates, limits, dark figures) are
        rounded to multiples of ``round_to``; ``None`` keeps them as they are.
    complementary
        Withhold further counts wherever published sums would give a
        suppressed count back (default ``True``; turning it off is only for
        tables whose margins are never published).

    Notes
    -----
    The thresholds are the publishing organisation's rules; the library
    applies them and does not choose them. A policy with neither option set
    changes nothing, so every output path can take one unconditionally.

    Examples
    --------
    >>> import mse
    >>> policy = mse.DisclosurePolicy(suppress_below=10, round_to=5)
    >>> policy.count(7), policy.count(123), policy.people(1234.4)
    ('<10', 125, 1235)
    >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo")
    >>> print(res.summary(policy=mse.DisclosurePolicy(suppress_below=10)))  # doctest: +NORMALIZE_WHITESPACE
    Population size estimate (demo)
      model:            -
      observed (n):     <10
      estimate (N):     12
      dark figure:      suppressed
      95% interval:     [<10, 40] (none)
      status:           ok
      disclosure:       counts below 10 suppressed
    """

    suppress_below: int | None = None
    round_to: int | None = None
    complementary: bool = True

    def __post_init__(self) -> None:
        from mse.errors import ModelError

        for name in ("suppress_below", "round_to"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ModelError(f"{name} must be a positive whole number or None, got {value!r}.")
            object.__setattr__(self, name, int(value))

    # ------------------------------------------------------------------ scalars
    @property
    def active(self) -> bool:
        """Whether the policy changes anything."""
        return self.suppress_below is not None or self.round_to is not None

    def is_small(self, count: float) -> bool:
        """Whether a count of people is below the threshold (zeros are not)."""
        return self.suppress_below is not None and math.isfinite(count) and 0 < count < self.suppress_below

    @property
    def marker(self) -> str:
        """How a small count is shown, ``"<suppress_below"``."""
        return f"<{self.suppress_below}"

    def _round(self, value: float) -> int | float:
        if self.round_to is None:
            return int(value) if float(value).is_integer() else float(value)
        return int(self.round_to * round(value / self.round_to))

    def count(self, value: float | None) -> int | float | str | None:
        """A count of people observed as published: the marker, a rounded count, or the count.

        ``nan`` and ``None`` become ``None``. Examples: see :class:`DisclosurePolicy`.
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if self.is_small(float(value)):
            return self.marker
        return self._round(float(value))

    def people(self, value: float | None) -> int | float | str | None:
        """An estimated number of people (estimate, limit, dark figure) as published: rounded only.

        Estimates are not suppressed for being small (they identify no one);
        infinities become ``"inf"``/``"-inf"`` and ``nan`` ``None``, as in JSON.
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        value = float(value)
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return self._round(value)

    def describe(self) -> str:
        """One line saying what the policy did, for the foot of a summary."""
        parts = []
        if self.suppress_below is not None:
            parts.append(f"counts below {self.suppress_below} suppressed")
        if self.round_to is not None:
            parts.append(f"numbers of people rounded to multiples of {self.round_to}")
        return "; ".join(parts) if parts else "none"

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain values, recorded in protected output."""
        return {"suppress_below": self.suppress_below, "round_to": self.round_to, "complementary": self.complementary}

    # ------------------------------------------------------------------ results
    def protect(self, result: Estimate) -> ProtectedEstimate:
        """A view of ``result`` in which every output applies this policy.

        Examples
        --------
        >>> import mse
        >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo")
        >>> view = mse.DisclosurePolicy(suppress_below=10).protect(res)
        >>> view.to_dict()["observed"], view.to_dict()["dark_figure"]
        ('<10', 'suppressed')
        """
        return ProtectedEstimate(result, self)

    def protect_values(
        self,
        observed: float,
        people: Mapping[str, float],
        *,
        withheld: str | None = None,
        estimates: str = "bound",
    ) -> tuple[Any, dict[str, Any]]:
        """Publish one row: a count observed and the estimated numbers of people that go with it.

        Parameters
        ----------
        observed
            The count observed in the row.
        people
            Estimates, limits and the like, by name.
        withheld
            ``"primary"`` or ``"complementary"`` when the table's audit has
            already withheld the count (``None``: decide here, primary only).
        estimates
            What else a withheld count takes with it. ``"bound"``: every
            number of people in the row that is below the threshold or not
            above the count (an estimate or a profile lower limit can equal
            the count observed); right for an estimate of the whole
            population. ``"withhold"``: every number of people in the row;
            needed for rows of a breakdown, where a level's estimate is often
            its count times a ratio published elsewhere (with covariates as
            main effects, ``N_level = n_level * N / n``).

        Returns
        -------
        shown_observed, shown_people
        """
        if withheld is None and self.is_small(observed):
            withheld = "primary"
        if withheld is None:
            return self.count(observed), {k: self.people(v) for k, v in people.items()}
        shown_observed = self.marker if withheld == "primary" else SUPPRESSED
        bound = max(float(self.suppress_below or 0), float(observed) + 1.0)
        shown: dict[str, Any] = {}
        for name, value in people.items():
            if estimates == "withhold" and value is not None and not math.isnan(value):
                shown[name] = SUPPRESSED
            elif value is not None and math.isfinite(value) and value < bound:
                shown[name] = self.marker if value < float(self.suppress_below or 0) else SUPPRESSED
            else:
                shown[name] = self.people(value)
        return shown_observed, shown

    def scrub(self, text: str, exact: float, shown: Any) -> str:
        """``text`` with every whole-number mention of the count ``exact`` replaced by how it is shown.

        Status and warning messages can quote the number observed ("the
        estimate is below the 7 people observed"); they must not print what
        the summary withholds.
        """
        if not self.active or not math.isfinite(exact) or shown == exact:
            return text
        number = round(exact)
        variants = {str(number), f"{number:,}"}
        for variant in variants:
            text = re.sub(rf"(?<![\d.,]){re.escape(variant)}(?![\d]|\.\d|,\d)", str(shown), text)
        return text

    # ------------------------------------------------------------------ tables
    def protect_breakdown(
        self, strata: pd.DataFrame, covariates: Sequence[str], by: Sequence[str]
    ) -> dict[Hashable, str | None]:
        """Which levels of a breakdown are withheld, consistently with every other breakdown of the same strata.

        Parameters
        ----------
        strata
            One row per complete covariate cell, with the covariate columns
            and ``observed``.
        covariates
            Every covariate of the strata: breakdowns by any subset of them
            (and the total) are published, so each is audited in turn, from
            the total to the finest, against all of them.
        by
            The covariates of the breakdown wanted.

        Returns
        -------
        dict
            From each level of ``by`` (a tuple of levels for several
            covariates) to ``None`` (shown), ``"primary"`` or ``"complementary"``.
        """
        covariates = list(covariates)
        audited = _audit_breakdowns(strata, tuple(covariates), self)
        order = [covariates.index(name) for name in by]
        canonical = [covariates[i] for i in sorted(order)]
        decisions = audited[tuple(canonical)]
        if len(by) <= 1 or list(by) == canonical:
            return dict(decisions)
        # levels are tuples in the covariates' order; give them in the order asked for
        where = [canonical.index(name) for name in by]
        return {tuple(level[i] for i in where): decision for level, decision in decisions.items()}  # type: ignore[index]

    def protect_capture_counts(
        self, data: CaptureData, *, cells: bool | Sequence[int] = False
    ) -> dict[tuple[Any, ...], Any]:
        """The published counts of a table of capture histories, audited together.

        The describe and diagnose outputs print several sums of the same cells:
        the number observed, people per list, people by the number of lists
        they are on, pairwise overlaps, people on each list and another one
        (internal consistency), people left when a list is dropped
        (sensitivity), and records missing each covariate. Two lists' totals
        and the number observed already give their overlap by inclusion and
        exclusion, so these are audited as one system of equations.

        With ``cells=True`` the counts of each row of ``data.to_frame()`` (the
        bars of :func:`mse.plot_overlaps`) are audited too, after the sums, so
        the sums are published as they are without it; a sequence of row
        numbers audits those rows only (the bars drawn).

        Returns
        -------
        dict
            Keys ``("n",)``, ``("list", name)``, ``("on", k)``,
            ``("pair", a, b)``, ``("others", name)``, ``("without", name)``,
            ``("missing", covariate)`` and, with ``cells=True``,
            ``("cell", row)`` for each row of ``data.to_frame()``; values as published.
        """
        frame = data.to_frame()
        lists = list(data.lists)
        histories = frame[lists].to_numpy(dtype=bool)
        counts = frame["count"].to_numpy(dtype=float)
        on = histories.sum(axis=1)
        aggregates: dict[tuple[Any, ...], np.ndarray] = {("n",): np.ones(len(frame), dtype=bool)}
        for i, name in enumerate(lists):
            aggregates[("list", name)] = histories[:, i]
        for k in range(1, len(lists) + 1):
            aggregates[("on", k)] = on == k
        for (i, a), (j, b) in itertools.combinations(enumerate(lists), 2):
            aggregates[("pair", a, b)] = histories[:, i] & histories[:, j]
        for i, name in enumerate(lists):
            aggregates[("others", name)] = histories[:, i] & (on >= 2)
            aggregates[("without", name)] = (on - histories[:, i]) >= 1
        for name in data.covariates:
            aggregates[("missing", name)] = frame[name].isna().to_numpy()
        if not self.active:
            return {key: int(counts[mask].sum()) for key, mask in aggregates.items()}
        # The cells themselves are never printed, but a small one must not follow from the sums.
        chosen = range(len(frame)) if cells is True else ([] if cells is False else list(cells))
        cell_masks = {("cell", row): np.arange(len(frame)) == row for row in chosen}
        universe = [*aggregates.values(), *cell_masks.values()]
        audit = _Audit(counts, universe, complementary=self.complementary, is_small=self.is_small)
        audit.add_sensitive([np.arange(len(frame)) == i for i in range(len(frame)) if self.is_small(counts[i])])
        keys = list(aggregates)
        status = audit.publish([aggregates[key] for key in keys])
        if cells:
            aggregates.update(cell_masks)
            status += audit.publish(list(cell_masks.values()))
            keys += list(cell_masks)
        shown: dict[tuple[Any, ...], Any] = {}
        for key, withheld in zip(keys, status):
            value = float(counts[aggregates[key]].sum())
            shown[key] = (
                self.count(value) if withheld is None else (self.marker if withheld == "primary" else SUPPRESSED)
            )
        return shown

    def protect_table(
        self,
        table: pd.DataFrame,
        *,
        counts: Sequence[str] = ("observed",),
        people: Sequence[str] = ("estimate", "lower", "upper", "dark_figure"),
        withheld: Sequence[str | None] | None = None,
        estimates: str = "withhold",
    ) -> pd.DataFrame:
        """A copy of ``table`` with counts suppressed and numbers of people rounded, row by row.

        Parameters
        ----------
        table
            Any table of results (from ``to_frame``, :func:`mse.compare`,
            ``breakdown``, :func:`mse.sensitivity`, ...).
        counts
            Columns of people observed (suppressed and rounded).
        people
            Columns of estimated numbers of people (rounded; withheld in a row
            whose count is withheld when they could equal it).
        withheld
            Per row, a decision already taken by an audit of margins
            (``"primary"``, ``"complementary"`` or ``None``); by default each
            row is judged on its own count.
        estimates
            ``"withhold"`` (default): a row whose count is withheld shows none
            of its numbers of people; ``"bound"``: only those that could
            equal the count (for rows that each estimate the whole
            population, as in :func:`mse.compare`). See :meth:`protect_values`.

        Returns
        -------
        pandas.DataFrame
            The same columns; protected columns hold numbers, the marker
            ``"<k"`` or ``"suppressed"``.
        """
        out = table.copy()
        count_columns = [c for c in counts if c in out.columns]
        people_columns = [c for c in people if c in out.columns]
        if not self.active or not (count_columns or people_columns):
            return out
        new: dict[str, list[Any]] = {c: [] for c in (*count_columns, *people_columns)}
        for position in range(len(out)):
            row = out.iloc[position]
            decision = None if withheld is None else withheld[position]
            values = {c: _as_float(row[c]) for c in people_columns}
            # the first count column governs the row: it is the one the estimates depend on
            shown_people: dict[str, Any] = {c: self.people(v) for c, v in values.items()}
            for index, column in enumerate(count_columns):
                observed = _as_float(row[column])
                if index == 0:
                    shown, shown_people = self.protect_values(observed, values, withheld=decision, estimates=estimates)
                else:
                    shown = self.count(observed)
                new[column].append(shown)
            for column in people_columns:
                new[column].append(shown_people[column])
        for column, shown_values in new.items():
            # a number that does not exist stays nan in a table (None is for JSON)
            shown_values = [math.nan if v is None else v for v in shown_values]
            out[column] = _as_column(shown_values, out.index)
        return out


def _as_column(values: list[Any], index: pd.Index) -> pd.Series:
    """Published values as a column: numbers stay a numeric column; a marker makes the column text.

    Rounding for publication changes values, not their kind: a column of
    rounded counts must still add up and sort as numbers. Only a column that
    shows ``"<k"`` or ``"suppressed"`` somewhere has to hold text.
    """
    if any(isinstance(value, str) for value in values):
        return pd.Series(values, index=index, dtype=object)
    numbers = pd.Series(values, index=index, dtype=float)
    whole = numbers.notna().all() and bool((numbers == numbers.round()).all())
    return numbers.astype("int64") if whole else numbers


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def resolve_policy(
    policy: DisclosurePolicy | None = None, *, suppress_below: int | None = None, round_to: int | None = None
) -> DisclosurePolicy:
    """The policy given, or one built from the ``suppress_below``/``round_to`` shorthands.

    Raises
    ------
    ModelError
        When both a policy and a shorthand are given (which would win is not obvious).

    Examples
    --------
    >>> resolve_policy(suppress_below=10)
    DisclosurePolicy(suppress_below=10, round_to=None, complementary=True)
    """
    if policy is not None:
        if suppress_below is not None or round_to is not None:
            from mse.errors import ModelError

            raise ModelError("give either policy= or suppress_below=/round_to=, not both.")
        if not isinstance(policy, DisclosurePolicy):
            from mse.errors import ModelError

            raise ModelError(f"policy must be a mse.DisclosurePolicy, got {type(policy).__name__}.")
        return policy
    return DisclosurePolicy(suppress_below=suppress_below, round_to=round_to)


class _Audit:
    """Complementary suppression for sums of the same cells, checked with the linear equations.

    Published sums are added in batches (one table at a time, margins before
    finer tables). In each batch the small sums are withheld first (primary),
    then further sums until no withheld quantity, of this batch or an earlier
    one, lies in the span of the sums shown so far: a withheld count is then
    not a combination of shown counts, so no adding and subtracting gives it back.
    Among the sums that would give a quantity back, the smallest non-zero one
    is withheld, which loses the least information.

    ``universe`` lists every sum that may be published. Cells that enter
    exactly the same sums are indistinguishable to anyone reading them, so
    the algebra runs on classes of such cells: a quantity that is not constant
    on a class can never be a combination of published sums, and the
    equations shrink from one unknown per cell to one per class (the people
    per list do not depend on the covariates of a table with thousands of rows).
    """

    def __init__(
        self, values: np.ndarray, universe: Sequence[np.ndarray], *, complementary: bool, is_small: Any
    ) -> None:
        self.values = np.asarray(values, dtype=float)
        self.complementary = complementary
        self.is_small = is_small
        self.shown: list[np.ndarray] = []
        self.sensitive: list[np.ndarray] = []
        self._keys: set[bytes] = set()
        self._basis: np.ndarray | None = None
        membership = np.array(universe, dtype=bool).reshape(-1, len(self.values)).T
        _, self._first, inverse = np.unique(membership, axis=0, return_index=True, return_inverse=True)
        self._class = np.asarray(inverse).ravel()

    def _reduce(self, mask: np.ndarray) -> np.ndarray | None:
        """The quantity on the classes of cells, or ``None`` if it is not constant on them."""
        row = np.asarray(mask, dtype=float)
        reduced = row[self._first]
        return reduced if np.array_equal(reduced[self._class], row) else None

    def add_sensitive(self, masks: Iterable[np.ndarray]) -> None:
        for mask in masks:
            row = self._reduce(mask)
            if row is not None and not self._known(row):
                self.sensitive.append(row)
                self._keys.add(row.tobytes())

    def _known(self, row: np.ndarray) -> bool:
        return row.tobytes() in self._keys

    def publish(self, masks: Sequence[np.ndarray]) -> list[str | None]:
        totals = [float(self.values @ np.asarray(m, dtype=float)) for m in masks]
        rows: list[np.ndarray] = []
        for mask in masks:
            reduced = self._reduce(mask)
            if reduced is None:
                raise ValueError("every published sum must be in the audit's universe")
            rows.append(reduced)
        status: list[str | None] = ["primary" if self.is_small(total) else None for total in totals]
        self.add_sensitive(m for m, s in zip(masks, status) if s is not None)
        width = len(self._first)
        # Earlier batches enter only through the space they span: an orthonormal basis of it
        # keeps the equations as small as the number of cell classes.
        earlier = self._basis if self._basis is not None else np.zeros((0, width))
        if self.complementary and self.sensitive:
            # a sum the earlier batches already give cannot hide anything when withheld
            useful = {i for i, row in enumerate(rows) if not _in_span(earlier, row)}
            while True:
                shown_new = [i for i, s in enumerate(status) if s is None]
                matrix = np.vstack([earlier, *[rows[i][None, :] for i in shown_new]]) if shown_new else earlier
                leaks = _determined(matrix, self.sensitive)
                if leaks is None:
                    break
                quantities, coefficients = leaks
                offset = earlier.shape[0]
                independent = _independent_rows(matrix)[offset:]
                chosen: set[int] = set()
                stale: list[int] = []
                # One pass over every quantity given back; the equations are solved again after it.
                for index, certificate in zip(quantities, coefficients.T):
                    used = [i for k, i in enumerate(shown_new) if abs(certificate[offset + k]) > 1e-8]
                    if not used:
                        # determined by earlier batches alone: cannot happen when every small sum is
                        # registered as sensitive before the first batch, as the callers here do
                        stale.append(index)
                        continue
                    if chosen & set(used):
                        continue  # a sum withheld for an earlier quantity of this pass is in this one too
                    ranked = sorted(used, key=lambda i: (totals[i] == 0, totals[i], i))
                    # Withholding a sum hides the quantity exactly when the certificate uses it
                    # and no other shown sums give it back (then every certificate uses it).
                    # Prefer the smallest such sum; else the smallest the earlier batches do not
                    # give, and the loop withholds more.
                    position = {i: k for k, i in enumerate(shown_new)}
                    hides = [i for i in ranked if independent[position[i]]]
                    fallback = [i for i in ranked if i in useful]
                    choice = (hides or fallback or ranked)[0]
                    chosen.add(choice)
                    if len(hides) == 0:
                        break  # without a sure choice, solve again before choosing more
                for index in sorted(stale, reverse=True):
                    del self.sensitive[index]
                for choice in chosen:
                    status[choice] = "complementary"
                self.add_sensitive([masks[choice] for choice in sorted(chosen)])
                if not chosen and not stale:
                    break  # nothing left to withhold in this batch
        shown_rows = [rows[i] for i, s in enumerate(status) if s is None]
        if shown_rows:
            self._basis = _row_basis(np.vstack([earlier, *[r[None, :] for r in shown_rows]]))
        return status


def _row_basis(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis (as rows) of the row space of ``matrix``."""
    if matrix.shape[0] == 0:
        return matrix
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    rank = int((singular > max(singular[0], 1.0) * 1e-10).sum()) if singular.size else 0
    return vt[:rank]


def _in_span(basis: np.ndarray, row: np.ndarray) -> bool:
    if basis.shape[0] == 0:
        return not np.any(row)
    return bool(np.abs(row - (row @ basis.T) @ basis).max() < 1e-8)


def _independent_rows(matrix: np.ndarray) -> np.ndarray:
    """For each row, whether it is not a combination of the other rows (no row dependency involves it)."""
    u, singular, _ = np.linalg.svd(matrix, full_matrices=True)
    rank = int((singular > max(singular[0], 1.0) * 1e-10).sum()) if singular.size else 0
    null = u[:, rank:]  # left null space: the dependencies among the rows
    return np.abs(null).max(axis=1, initial=0.0) < 1e-8


def _determined(matrix: np.ndarray, quantities: list[np.ndarray]) -> tuple[list[int], np.ndarray] | None:
    """The quantities that are linear combinations of the rows of ``matrix``, with coefficients (as columns).

    All quantities are projected at once on an orthonormal basis of the row
    space (one SVD), so the cost grows with the table, not with the number
    of quantities times the table.
    """
    if matrix.shape[0] == 0 or not quantities:
        return None
    basis = _row_basis(matrix)
    if basis.shape[0] == 0:
        return None
    stacked = np.array(quantities)
    residual = stacked - (stacked @ basis.T) @ basis
    determined = np.flatnonzero(np.abs(residual).max(axis=1) < 1e-8)
    if determined.size == 0:
        return None
    coefficients, *_ = np.linalg.lstsq(matrix.T, stacked[determined].T, rcond=None)
    return [int(i) for i in determined], np.atleast_2d(coefficients.reshape(matrix.shape[0], -1))


def _coefficient_lines(result: Estimate) -> list[str]:
    """The coefficient table of a log-linear fit (estimate, SE, z), as summary lines.

    Only without a disclosure policy: the coefficients and the fitted table
    give the cells back (``to_dict`` leaves them out under a policy too).
    """
    table_of = getattr(result.fit, "coef_table", None)
    if table_of is None or not result.fit.coef:
        return []
    table = table_of()
    width = max(len("term"), *(len(name) for name in table.index))
    lines = ["  coefficients:", f"    {'term':<{width}} {'estimate':>10} {'SE':>10} {'z':>9}"]
    for name, row in table.iterrows():
        lines.append(f"    {name:<{width}} {row['estimate']:>10.4f} {row['se']:>10.4f} {row['z']:>9.2f}")
    return lines


class ProtectedEstimate:
    """An :class:`~mse.Estimate` seen through a :class:`DisclosurePolicy`.

    Every output of the result (``summary``, the HTML view, ``to_frame``,
    ``to_dict``, ``to_json``, ``save``, ``breakdown``) applies the policy;
    :meth:`mse.DisclosurePolicy.protect` returns one, and the ``policy=``
    argument of the result's own methods goes through it.

    Parameters
    ----------
    result
        The estimate; it is kept unchanged as ``.result``.
    policy
        The policy applied to every output, kept as ``.policy``.

    Examples
    --------
    >>> import mse
    >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo")
    >>> view = mse.DisclosurePolicy(suppress_below=10).protect(res)
    >>> view.to_frame().loc[0, ["observed", "estimate", "lower"]].tolist()
    ['<10', 12, '<10']
    """

    def __init__(self, result: Estimate, policy: DisclosurePolicy) -> None:
        self.result = result
        self.policy = policy

    def _fields(self) -> dict[str, Any]:
        res = self.result
        observed, people = self.policy.protect_values(
            float(res.observed),
            {"estimate": res.estimate, "lower": res.lower, "upper": res.upper, "dark_figure": res.dark_figure},
        )
        if self.policy.is_small(res.observed):
            # estimate minus dark figure would give the count back, rounded or not
            people["dark_figure"] = SUPPRESSED
        return {"observed": observed, **people}

    def _scrub(self, text: str, shown_observed: Any) -> str:
        return self.policy.scrub(text, float(self.result.observed), shown_observed)

    def _linkage_line(self, shown_estimate: Any) -> str:
        """The naive and corrected estimates of a table built from a linkage, protected as the estimate is."""
        from mse.results import _format_number

        record = self.result.details.get("linkage")
        if not isinstance(record, Mapping):
            return ""

        def show(value: Any) -> str:
            return value if isinstance(value, str) else ("-" if value is None else _format_number(value))

        naive = record.get("naive_estimate")
        naive = math.nan if naive is None else float(naive)
        # the naive estimate is an estimate of the whole population too: the same rule as the estimate's
        _, protected = self.policy.protect_values(float(self.result.observed), {"naive": naive})
        correction = record.get("correction", "")
        if correction == "ignore":
            return f"naive {show(protected['naive'])}, linkage errors ignored (links at the threshold taken as true)"
        text = f"naive {show(protected['naive'])}, corrected {show(shown_estimate)} ({correction})"
        share = record.get("linkage_share")
        if isinstance(share, (int, float)) and math.isfinite(share):
            source = "reviewing a sample" if correction == "review" else "the linkage"
            text += f"; {share:.0%} of the variance from {source}"
        if correction == "review":
            reviewed = record.get("review", {}).get("records_reviewed")
            if isinstance(reviewed, (int, float)):
                text += f" ({int(reviewed):,} records reviewed)"
        if correction == "rates":
            text += " (error rates taken as known)"
        return text

    # ---------------------------------------------------------------- outputs
    def summary(self) -> str:
        """The result's summary with the policy applied, and a line saying so."""
        from mse.results import _format_number

        res = self.result
        fields = self._fields()

        def show(value: Any) -> str:
            return value if isinstance(value, str) else _format_number(value)

        pct = f"{res.level:.0%}"
        lines = [
            f"Population size estimate ({res.method})",
            f"  model:            {res.model or '-'}",
            f"  observed (n):     {show(fields['observed'])}",
        ]
        if res.ok or math.isfinite(res.estimate):
            lines.append(f"  estimate (N):     {show(fields['estimate'])}")
            lines.append(f"  dark figure:      {show(fields['dark_figure'])}")
            lines.append(
                f"  {pct} interval:     [{show(fields['lower'])}, {show(fields['upper'])}] "
                f"({res.interval_method or 'none'})"
            )
        else:
            lines.append("  estimate (N):     not available")
        linkage = self._linkage_line(fields["estimate"])
        if linkage:
            lines.append(f"  linkage:          {linkage}")
        for key in ("deviance", "df", "aic", "bic"):
            if key in res.details and res.details[key] is not None:
                value = res.details[key]
                shown = f"{value:.3f}" if isinstance(value, float) else f"{value}"
                lines.append(f"  {key + ':':<18}{shown}")
        lines.append(f"  status:           {self._scrub(res.status, fields['observed'])}")
        for message in res.warnings:
            lines.append(f"  warning: {self._scrub(message, fields['observed'])}")
        if self.policy.active:
            lines.append(f"  disclosure:       {self.policy.describe()}")
        else:
            lines.extend(_coefficient_lines(res))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        from mse.results import _format_number

        res = self.result
        fields = self._fields()

        def show(value: Any) -> str:
            return value if isinstance(value, str) else _format_number(value)

        entries = [
            ("method", res.method),
            ("model", res.model or "-"),
            ("observed", show(fields["observed"])),
            ("estimate", show(fields["estimate"])),
            ("dark figure", show(fields["dark_figure"])),
            (f"{res.level:.0%} interval", f"[{show(fields['lower'])}, {show(fields['upper'])}]"),
            ("interval", res.interval_method),
            ("status", self._scrub(res.status, fields["observed"])),
        ]
        linkage = self._linkage_line(fields["estimate"])
        if linkage:
            entries.append(("linkage", linkage))
        if self.policy.active:
            entries.append(("disclosure", self.policy.describe()))
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in entries
        )
        notes = "".join(f"<li>{html.escape(self._scrub(w, fields['observed']))}</li>" for w in res.warnings)
        return f"<table>{rows}</table>" + (f"<ul>{notes}</ul>" if notes else "")

    def to_frame(self) -> pd.DataFrame:
        """The tidy row of :meth:`mse.Estimate.to_frame`, protected."""
        res = self.result
        fields = {k: (math.nan if v is None else v) for k, v in self._fields().items()}
        row = {
            "method": res.method,
            "model": res.model,
            "estimate": fields["estimate"],
            "lower": fields["lower"],
            "upper": fields["upper"],
            "level": res.level,
            "observed": fields["observed"],
            "interval_method": res.interval_method,
            "status": self._scrub(res.status, fields["observed"]),
        }
        return pd.DataFrame([row], dtype=object).astype(
            {"method": str, "model": str, "level": float, "interval_method": str, "status": str}
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary for publication.

        The main fields protected, the dark figure, the policy applied, and
        only the details that describe the model as a whole (deviance, df,
        AIC, BIC, number of parameters); for a model with covariates, the
        protected breakdown by each covariate (``"breakdowns"``). Coefficients, fitted cells, draws,
        estimates by covariate cell, the data hash (a hash of a small table
        can be reversed by trying every table) and the number observed in the
        metadata are left out: each can rebuild a withheld count.
        """
        from mse.results import _jsonable

        res = self.result
        fields = self._fields()
        metadata = {k: v for k, v in res.metadata.items() if k not in ("data_hash", "n_observed")}
        if isinstance(metadata.get("linkage"), Mapping):
            metadata["linkage"] = self._linkage_metadata(metadata["linkage"])
        return {
            "estimate": fields["estimate"],
            "lower": fields["lower"],
            "upper": fields["upper"],
            "level": res.level,
            "observed": fields["observed"],
            "dark_figure": fields["dark_figure"],
            "method": res.method,
            "model": res.model,
            "interval_method": res.interval_method,
            "status": self._scrub(res.status, fields["observed"]),
            "warnings": [self._scrub(w, fields["observed"]) for w in res.warnings],
            "details": {k: _jsonable(res.details[k]) for k in _SAFE_DETAILS if k in res.details},
            "metadata": _jsonable(metadata),
            "disclosure": self.policy.to_dict(),
            **self._breakdowns(),
        }

    def _linkage_metadata(self, about: Mapping[str, Any]) -> dict[str, Any]:
        """A linkage's record of how it was made, its counts of records and pairs through the policy.

        The number of records is about the number observed plus the links, so
        it is published as a count is (suppressed when small, rounded).
        """
        about = dict(about)
        for name in ("records", "candidate_pairs"):
            if isinstance(about.get(name), (int, float)):
                about[name] = self.policy.count(float(about[name]))
        inner = about.get("linkage_metadata")
        if isinstance(inner, Mapping) and isinstance(inner.get("candidate_pairs_collected"), (int, float)):
            about["linkage_metadata"] = {
                **inner,
                "candidate_pairs_collected": self.policy.count(float(inner["candidate_pairs_collected"])),
            }
        return about

    def _breakdowns(self) -> dict[str, Any]:
        """The protected breakdown by each covariate, for a model with covariates (else nothing)."""
        if self.result.strata is None:
            return {}
        return {
            "breakdowns": {
                name: json.loads(self.breakdown(name).to_json(orient="records"))
                for name in self.result.strata_covariates
            }
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as strict JSON."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def save(self, path: str | Path) -> None:
        """Write :meth:`to_dict` and the protected estimates by covariate level for publication.

        The file is marked ``"format": "mse.PublishedEstimate/1"``: it is an
        output, not an archive, and :func:`mse.load_result` does not read it
        back. Archive the unprotected ``res.save(path)`` inside the organisation.
        """
        payload = self.to_dict()
        payload["format"] = PUBLISHED_FORMAT
        Path(path).write_text(json.dumps(payload, indent=1, allow_nan=False), encoding="utf-8")

    def breakdown(self, covariates: str | list[str] | tuple[str, ...], *, limits: str | None = None) -> pd.DataFrame:
        """:meth:`mse.Estimate.breakdown` with primary and complementary suppression across all breakdowns."""
        res = self.result
        table = res.breakdown(covariates, limits=limits)
        if not self.policy.active:
            return table
        names = [covariates] if isinstance(covariates, str) else list(covariates)
        assert res.strata is not None  # breakdown() raised otherwise
        status = self.policy.protect_breakdown(res.strata, list(res.strata_covariates), names)
        decisions: list[str | None] = [_lookup(status, row, names) for _, row in table[names].iterrows()]
        people = ("allocated", "estimate", "lower", "upper")  # EM's allocation is an estimate, not a count
        return self.policy.protect_table(table, people=people, withheld=decisions)


def _lookup(status: Mapping[Hashable, str | None], row: pd.Series, names: Sequence[str]) -> str | None:
    key: Hashable = row[names[0]] if len(names) == 1 else tuple(row[n] for n in names)
    if key in status:
        return status[key]
    # a missing level is nan, and nan != nan: compare as strings
    for level, value in status.items():
        if str(level) == str(key):
            return value
    return "complementary"  # fail closed: a level the audit did not see is not shown


#: The last audits of breakdowns: every breakdown of a result is audited at once, and
#: ``save`` or a report asks for several of them in turn.
_BREAKDOWN_AUDITS: dict[tuple[str, tuple[str, ...], DisclosurePolicy], dict[Any, Any]] = {}


def _audit_breakdowns(
    strata: pd.DataFrame, covariates: tuple[str, ...], policy: DisclosurePolicy
) -> dict[tuple[str, ...], dict[Hashable, str | None]]:
    """Decisions for the total and the breakdown by every subset of ``covariates``, in their order.

    The subsets are audited in a fixed order (the total, then by size, in the
    order of the covariates), so every breakdown a user asks for, in whatever
    order of covariates, comes from the same audit.
    """
    # Keyed by content: a result hands out a fresh copy of its strata on every read, and a report or a
    # command asks for several breakdowns of the same strata; the audit is the expensive part.
    content = pd.util.hash_pandas_object(strata[[*covariates, "observed"]], index=False).to_numpy().tobytes()
    key = (hashlib.sha256(content).hexdigest(), covariates, policy)
    cached = _BREAKDOWN_AUDITS.get(key)
    if cached is not None:
        return cached
    values = strata["observed"].to_numpy(dtype=float)
    batches: list[tuple[tuple[str, ...], Any, list[np.ndarray]]] = []
    for size in range(len(covariates) + 1):
        for subset in itertools.combinations(covariates, size):
            if subset:
                grouped = strata.groupby(list(subset), observed=True, dropna=False, sort=True)
                codes = grouped.ngroup().to_numpy()
                levels = grouped.size().index
            else:
                codes = np.zeros(len(strata), dtype=int)
                levels = pd.Index(["total"])
            batches.append((subset, levels, [codes == g for g in range(len(levels))]))
    universe = [m for _, _, masks in batches for m in masks]
    audit = _Audit(values, universe, complementary=policy.complementary, is_small=policy.is_small)
    # Every small sum of every breakdown is protected from the start: margins published
    # first must not already pin down a small cell of a finer breakdown.
    audit.add_sensitive(m for _, _, masks in batches for m in masks if policy.is_small(float(values[m].sum())))
    result = {subset: dict(zip(levels, audit.publish(masks))) for subset, levels, masks in batches}
    if len(_BREAKDOWN_AUDITS) >= 8:
        _BREAKDOWN_AUDITS.pop(next(iter(_BREAKDOWN_AUDITS)))
    _BREAKDOWN_AUDITS[key] = result
    return result


def _withheld_kind(shown: Any) -> str | None:
    if shown == SUPPRESSED:
        return "complementary"
    if isinstance(shown, str) and shown.startswith("<"):
        return "primary"
    return None


def protect_diagnostics(
    policy: DisclosurePolicy,
    data: CaptureData,
    *,
    overlaps: pd.DataFrame | None = None,
    consistency: pd.DataFrame | None = None,
    leave_out: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame | None]:
    """The diagnostic tables of ``mse diagnose``, protected with the audited counts of the data.

    Pairwise overlaps, the people on each list and another (internal
    consistency) and the people left when a list is dropped (sensitivity)
    are sums of the same cells as the summary of the data, so they take
    their published values from one audit. Odds ratios, expected overlaps and
    tests of a pair are computed from the counts, so they are left out; a
    log relative bias is withheld where the list's size is, and rounded to
    two decimals elsewhere.

    Returns
    -------
    dict
        ``"overlaps"``, ``"consistency"``, ``"sensitivity"``: the protected tables (or ``None``).
    """
    shown = policy.protect_capture_counts(data)
    n_exact = float(data.n_observed)
    out: dict[str, pd.DataFrame | None] = {"overlaps": None, "consistency": None, "sensitivity": None}
    if overlaps is not None:
        table = overlaps[["list_a", "list_b", "overlap"]].copy()
        table["overlap"] = pd.Series(
            [shown.get(("pair", a, b), shown.get(("pair", b, a))) for a, b in zip(table["list_a"], table["list_b"])],
            index=table.index,
            dtype=object,
        )
        out["overlaps"] = table
    if consistency is not None:
        decisions = [_withheld_kind(shown[("others", name)]) for name in consistency["list"]]
        table = policy.protect_table(
            consistency,
            counts=("observed",),
            people=("estimate", "lower", "upper"),
            withheld=decisions,
            estimates="bound",
        )
        table["observed"] = pd.Series(
            [shown[("others", name)] for name in consistency["list"]], index=table.index, dtype=object
        )
        table["truth"] = pd.Series(
            [shown[("list", name)] for name in consistency["list"]], index=table.index, dtype=object
        )
        table["log_relative_bias"] = pd.Series(
            [
                SUPPRESSED
                if isinstance(truth, str) or isinstance(observed, str)
                else (None if value != value else round(float(value), 2))
                for truth, observed, value in zip(table["truth"], table["observed"], consistency["log_relative_bias"])
            ],
            index=table.index,
            dtype=object,
        )
        table["status"] = [
            policy.scrub(text, float(exact), shown_observed)
            for text, exact, shown_observed in zip(consistency["status"], consistency["observed"], table["observed"])
        ]
        out["consistency"] = table
    if leave_out is not None:
        keys = [
            ("without", label[len("without ") :]) if kind == "leave_out" else ("n",)
            for label, kind in zip(leave_out["variation"], leave_out["kind"])
        ]
        observed_shown = [shown.get(key, policy.count(n_exact)) for key in keys]
        table = policy.protect_table(
            leave_out,
            counts=("observed",),
            people=("estimate", "lower", "upper"),
            withheld=[_withheld_kind(v) for v in observed_shown],
            estimates="bound",
        )
        table["observed"] = pd.Series(observed_shown, index=table.index, dtype=object)
        table["status"] = [
            policy.scrub(text, float(exact), value)
            for text, exact, value in zip(leave_out["status"], leave_out["observed"], observed_shown)
        ]
        out["sensitivity"] = table
    return out
