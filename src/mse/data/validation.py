"""Checks on user tables before they become :class:`~mse.CaptureData`.

Each check raises :class:`~mse.DataError` with a message that names the
offending column and, where there is one, the first offending row, and says
how to fix it. The functions never modify their input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mse.errors import DataError

__all__ = ["check_columns_present", "check_list_names", "coerce_binary", "coerce_counts"]


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
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise DataError(f"list names must be non-empty strings, got {name!r}; rename the column.")
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


def _first_bad_row(frame_index: pd.Index, mask: np.ndarray) -> Any:
    return _show(frame_index[np.flatnonzero(mask)[0]])


def _show(value: Any) -> Any:
    """A numpy scalar as the plain Python value a user would type."""
    return value.item() if isinstance(value, np.generic) else value


def coerce_binary(frame: pd.DataFrame, column: str, present: Any = None) -> np.ndarray:
    """Return one list column as a 0/1 ``uint8`` array.

    Parameters
    ----------
    frame
        The user's table; not modified.
    column
        Name of a list column.
    present
        If given, the value that means "on this list"; every other non-missing
        value means "not on it". If ``None``, the column must hold 0/1 or
        booleans (also as strings "0"/"1").
    """
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        row = _first_bad_row(frame.index, missing)
        raise DataError(
            f"list column {column!r} has a missing value in row {row!r}; every record must say "
            "whether it is on each list (fill with 0 if absence is known)."
        )
    if present is not None:
        return (values.to_numpy() == present).astype(np.uint8)
    raw = values.to_numpy()
    if raw.dtype == bool:
        return raw.astype(np.uint8)
    if raw.dtype.kind in "OUS":
        as_text = values.astype(str).str.strip().str.lower()
        mapping = {"0": 0, "1": 1, "true": 1, "false": 0, "0.0": 0, "1.0": 1}
        mapped = as_text.map(mapping)
        bad = mapped.isna().to_numpy()
        if bad.any():
            row = _first_bad_row(frame.index, bad)
            raise DataError(
                f"list column {column!r} holds {_show(raw[np.flatnonzero(bad)[0]])!r} in row {row!r}; list "
                "columns must be 0/1 or True/False (pass present=VALUE if another value marks presence)."
            )
        return mapped.to_numpy().astype(np.uint8)
    numeric = raw.astype(float)
    bad = ~np.isin(numeric, (0.0, 1.0))
    if bad.any():
        row = _first_bad_row(frame.index, bad)
        raise DataError(
            f"list column {column!r} holds {_show(raw[np.flatnonzero(bad)[0]])!r} in row {row!r}; list "
            "columns must be 0/1 or True/False (pass present=VALUE if another value marks presence)."
        )
    return numeric.astype(np.uint8)


def coerce_counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return the count column as non-negative ``int64`` after checking it."""
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        row = _first_bad_row(frame.index, missing)
        raise DataError(
            f"count column {column!r} has a missing value in row {row!r}; give every history a count "
            "(use 0, or drop the row)."
        )
    try:
        numeric = pd.to_numeric(values).to_numpy()
    except (TypeError, ValueError) as exc:
        raise DataError(f"count column {column!r} must be numeric: {exc}; convert it to whole numbers.") from None
    if numeric.dtype.kind == "b":
        numeric = numeric.astype(np.int64)
    as_float = numeric.astype(float)
    bad = ~np.isfinite(as_float)
    if bad.any():
        row = _first_bad_row(frame.index, bad)
        raise DataError(f"count column {column!r} is not finite in row {row!r}; counts are whole numbers of people.")
    negative = as_float < 0
    if negative.any():
        row = _first_bad_row(frame.index, negative)
        raise DataError(
            f"count column {column!r} is negative ({_show(numeric[np.flatnonzero(negative)[0]])}) in row {row!r}; "
            "counts are numbers of people and cannot be negative."
        )
    if numeric.dtype.kind == "f":
        fractional = as_float != np.floor(as_float)
        if fractional.any():
            row = _first_bad_row(frame.index, fractional)
            raise DataError(
                f"count column {column!r} holds the fraction {_show(numeric[np.flatnonzero(fractional)[0]])} in row "
                f"{row!r}; counts are whole numbers of people (round or correct the data)."
            )
        if (as_float > 2.0**62).any():
            raise DataError(f"count column {column!r} holds a count above 2**62, which cannot be represented exactly.")
    return numeric.astype(np.int64)
