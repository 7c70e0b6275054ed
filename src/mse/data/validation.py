"""Checks on user tables before they become :class:`~mse.CaptureData`.

Each check raises :class:`~mse.DataError` with a message that names the
offending column and, where there is one, the first offending row, and says
how to fix it. The functions never modify their input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mse.errors import DataError

__all__ = [
    "ABSENT_CODES",
    "MAX_COUNT",
    "check_column_names",
    "check_columns_present",
    "check_list_names",
    "check_total",
    "coerce_binary",
    "coerce_counts",
]

#: The largest count of one cell, and of the whole table. Counts are stored as ``int64`` (at most
#: ``2**63 - 1``) and summed in ``int64`` (list totals, overlaps, merged histories): bounding the
#: total keeps every such sum exact. Estimators work in floating point, which holds whole numbers
#: exactly only up to ``2**53``: counts up to 10**9 per cell are supported exactly.
MAX_COUNT = 2**62

# ``:`` joins the lists of a term and ``+`` joins terms in a model string ("A:B + B:C"), and the
# model parser strips whitespace around names, so names holding these cannot be named in a model.
_FORBIDDEN_IN_NAMES = (":", "+")

#: Text (after stripping and case-folding) that clearly means "not on this list" when ``present=`` is given.
ABSENT_CODES = frozenset({"", "0", "no", "n", "false", "f"})


def check_column_names(names: Sequence[Any], role: str) -> None:
    """Raise unless every name can be written in a model string (``"A:B + B:C"``).

    Parameters
    ----------
    names
        List or covariate names.
    role
        ``"list"`` or ``"covariate"``, for the message.

    Raises
    ------
    DataError
        For a name that is not a string, is empty or blank, has leading or
        trailing whitespace or control characters, or holds ``:`` or ``+``.
    """
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise DataError(
                f"{role} names must be non-empty strings, got {name!r}; rename the column "
                "(for example with frame.rename(columns={...}))."
            )
        bad = [ch for ch in _FORBIDDEN_IN_NAMES if ch in name]
        if bad:
            raise DataError(
                f"{role} name {name!r} contains {' and '.join(repr(c) for c in bad)}, which model strings use to "
                "join lists ('A:B + B:C'); rename the column (for example with frame.rename(columns={...}))."
            )
        if name != name.strip() or any(not ch.isprintable() for ch in name):
            raise DataError(
                f"{role} name {name!r} has leading or trailing whitespace or control characters, which model "
                "strings cannot hold; rename the column (for example with frame.rename(columns={...}))."
            )


def check_list_names(lists: Sequence[str]) -> tuple[str, ...]:
    """Return the list names as a tuple after checking they are usable."""
    if isinstance(lists, str):
        raise DataError(
            f"lists must be a sequence of column names, got the single string {lists!r}; write lists=[{lists!r}, ...]."
        )
    names = tuple(lists)
    if len(names) < 2:
        raise DataError(
            f"multiple-systems estimation needs at least two lists, got {len(names)} "
            f"({list(names)}); pass every list column in `lists=`."
        )
    check_column_names(names, "list")
    seen: set[str] = set()
    duplicates = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if duplicates:
        raise DataError(
            f"list names must be unique, but {sorted(set(duplicates))} appear more than once; "
            "rename or merge those columns first."
        )
    return names


def check_columns_present(frame: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    """Raise if any of ``columns`` is missing from ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{role} column(s) {missing} not found in the data; available columns are {list(map(str, frame.columns))}."
        )


def _row(frame_index: pd.Index, mask: np.ndarray) -> str:
    """The first row where ``mask`` is true, as the user would find it, without echoing a value.

    The label of the default ``RangeIndex`` is the row number; any other index
    may hold names or identifiers of people (an ID number too), so the row is
    then given by its position instead of its label.
    """
    position = int(np.flatnonzero(mask)[0])
    if isinstance(frame_index, pd.RangeIndex):
        return f"row {_show(frame_index[position])!r}"
    return f"the row at position {position} (counting from 0)"


def _without_missing(frame: pd.DataFrame, column: str, role: str, remedy: str) -> pd.Series:
    """``frame[column]``; a :class:`DataError` naming the row of a missing value, and ``remedy``, if it has one."""
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"{role} column {column!r} has a missing value in {_row(frame.index, missing)}; {remedy}.")
    return values


def _show(value: Any) -> Any:
    """A numpy scalar as the plain Python value a user would type."""
    return value.item() if isinstance(value, np.generic) else value


def _code(value: Any) -> str:
    """``value`` as normalised text: stripped, case-folded; whole numbers without a decimal point."""
    value = _show(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().casefold()


def _not_a_code(column: str, where: str, value: Any, present: Any) -> DataError:
    # The value itself is never shown: a column taken for a list by mistake may hold names or identifiers.
    kind = "a number" if isinstance(_show(value), (int, float)) else "text"
    expected = (
        "the value given as present or one that means absent (0, no, n, false, f or an empty cell)"
        if present is not None
        else "0/1 or True/False"
    )
    hint = (
        "correct the value"
        if present is not None
        else "pass present=VALUE (--present VALUE on the command line) if another value marks presence"
    )
    return DataError(
        f"list column {column!r} holds {kind} in {where} that is not {expected}; {hint}. If {column!r} is not a "
        "list, name the list columns with lists=[...] (--lists on the command line)."
    )


def coerce_binary(frame: pd.DataFrame, column: str, present: Any = None) -> np.ndarray:
    """Return one list column as a 0/1 ``uint8`` array.

    Parameters
    ----------
    frame
        The user's table; not modified.
    column
        Name of a list column.
    present
        If given, the value that means "on this list" (compared after
        stripping surrounding whitespace and ignoring case, so ``"yes"`` also
        matches ``"Yes "``). Only values that clearly mean "not on it" (``0``,
        ``False``, ``"no"``, ``"n"``, ``"false"``, ``"f"``, an empty string)
        count as absent; any other value is an error rather than a silent
        absence. If ``None``, the column must hold 0/1 or booleans (also as
        strings "0"/"1"/"true"/"false").

    Raises
    ------
    DataError
        For a missing value or a value that is neither present nor absent,
        naming the column and row (never the value, which may be personal data).
    """
    values = _without_missing(
        frame, column, "list", "every record must say whether it is on each list (fill with 0 if absence is known)"
    )
    raw = values.to_numpy()
    if present is None and raw.dtype == bool:
        return raw.astype(np.uint8)
    if present is not None or raw.dtype.kind in "OUS":
        # Few distinct values in a list column: normalise each once, then map every row by its code.
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        if present is None:
            table = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "true": 1, "false": 0}
        else:
            marker = _code(present)
            table = {code: 0 for code in ABSENT_CODES}
            table[marker] = 1
        mapped = np.array([table.get(_code(v), 2) for v in uniques], dtype=np.uint8)
        result = mapped[codes] if len(uniques) else np.zeros(0, dtype=np.uint8)
        bad = result == 2
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise _not_a_code(column, _row(frame.index, bad), values.iloc[position], present)
        return result
    if raw.dtype.kind not in "iuf":
        raise DataError(
            f"list column {column!r} holds {raw.dtype} values; list columns must be 0/1 or True/False. If "
            f"{column!r} is not a list, name the list columns with lists=[...] (--lists on the command line)."
        )
    numeric = raw.astype(float)
    bad = ~np.isin(numeric, (0.0, 1.0))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise _not_a_code(column, _row(frame.index, bad), raw[position], None)
    return numeric.astype(np.uint8)


def _as_number(value: Any) -> Any:
    """One count held as a Python object (text, a Python or numpy number) as an ``int`` or ``float``, or ``None``."""
    value = _show(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    try:
        return int(text)  # exact, however many digits
    except ValueError:
        pass
    try:
        return float(text)
    except (TypeError, ValueError, OverflowError):
        return None


def _count_problem(number: Any) -> str | None:
    """What is wrong with one count from :func:`_as_number`, or ``None``."""
    if number is None:
        return "holds a value that is not a number"
    if isinstance(number, float):
        if not math.isfinite(number):
            return "is not finite"
        if not number.is_integer():
            return "holds a fraction"
    if number < 0:
        return "is negative"
    if number > MAX_COUNT:
        return "is above 2**62"
    return None


def coerce_counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return the count column as non-negative ``int64`` after checking it.

    Every count must be a whole number between 0 and :data:`MAX_COUNT`, and so
    must their total, whatever the column's type (integers of any width,
    floats, text, Python integers too large for 64 bits).

    Raises
    ------
    DataError
        Naming the column and the first offending row.
    """
    values = _without_missing(frame, column, "count", "give every history a count (use 0, or drop the row)")
    if not pd.api.types.is_numeric_dtype(values.dtype) or values.dtype == object:
        # Text, or Python integers beyond 64 bits, or a mixture: read and check each value exactly.
        numbers = [_as_number(v) for v in values.to_numpy(dtype=object)]
        problems = [_count_problem(n) for n in numbers]
        bad = np.array([p is not None for p in problems], dtype=bool)
        if bad.any():
            problem = problems[int(np.flatnonzero(bad)[0])]
            raise DataError(f"count column {column!r} {problem} in {_row(frame.index, bad)}; {_COUNT_RULE}")
        counts = np.array([int(n) for n in numbers], dtype=np.int64)
        check_total(counts, f"the counts in column {column!r}")
        return counts
    numeric = values.to_numpy()
    kind = numeric.dtype.kind
    if kind == "b":
        numeric = numeric.astype(np.int64)
        kind = "i"
    if kind in "iu":
        negative = numeric < 0 if kind == "i" else np.zeros(numeric.shape, dtype=bool)
        if negative.any():
            raise DataError(f"count column {column!r} is negative in {_row(frame.index, negative)}; {_COUNT_RULE}")
        too_large = numeric > np.array(MAX_COUNT, dtype=numeric.dtype)
        if too_large.any():
            raise DataError(f"count column {column!r} is above 2**62 in {_row(frame.index, too_large)}; {_COUNT_RULE}")
        counts = numeric.astype(np.int64)
    elif kind == "f":
        bad = ~np.isfinite(numeric)
        if bad.any():
            raise DataError(f"count column {column!r} is not finite in {_row(frame.index, bad)}; {_COUNT_RULE}")
        negative = numeric < 0
        if negative.any():
            raise DataError(f"count column {column!r} is negative in {_row(frame.index, negative)}; {_COUNT_RULE}")
        fractional = numeric != np.floor(numeric)
        if fractional.any():
            raise DataError(
                f"count column {column!r} holds a fraction in {_row(frame.index, fractional)}; {_COUNT_RULE}"
            )
        too_large = numeric > float(MAX_COUNT)
        if too_large.any():
            raise DataError(f"count column {column!r} is above 2**62 in {_row(frame.index, too_large)}; {_COUNT_RULE}")
        counts = numeric.astype(np.int64)
    else:
        raise DataError(
            f"count column {column!r} holds {numeric.dtype} values; {_COUNT_RULE} Name the count column with "
            "count=... (--count on the command line)."
        )
    check_total(counts, f"the counts in column {column!r}")
    return counts


_COUNT_RULE = (
    "counts are whole numbers of people from 0 to 2**62 (round, correct or drop the row; counts up to 10**9 "
    "per cell are supported exactly)."
)


def check_total(counts: np.ndarray, what: str) -> int:
    """The exact total of non-negative ``int64`` counts, after checking it is at most :data:`MAX_COUNT`.

    The sum is taken without overflow: in floating point first, and exactly
    with Python integers only when that total comes near the bound.

    Raises
    ------
    DataError
        When the total exceeds :data:`MAX_COUNT`.
    """
    counts = np.asarray(counts)
    rough = float(counts.sum(dtype=np.float64)) if counts.size else 0.0
    total = int(counts.sum()) if rough < MAX_COUNT / 2 else sum(int(c) for c in counts.tolist())
    if total > MAX_COUNT:
        raise DataError(
            f"{what} add up to more than 2**62 people, which cannot be held exactly; check the counts (a "
            "misplaced digit or a code such as -1 read as unsigned?), or split the table."
        )
    return total
