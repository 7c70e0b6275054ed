"""Read-only views of the values a result holds.

Results are documented as immutable, and reports quote them long after they
were computed, so a caller must not be able to change one by editing what an
attribute returns (``res.details["se"] = -1`` used to change ``res.se``).
Values are frozen once, when the result is built:

* mappings become :class:`ReadOnlyMapping` (``types.MappingProxyType`` cannot
  be pickled, and results are pickled to worker processes);
* numpy arrays become read-only copies;
* lists and DataFrames, whose users expect those types (``== [...]``,
  ``.loc``), are kept privately and handed out as a fresh copy on every
  read, so editing what was read never reaches the result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CopyOnRead", "ReadOnlyMapping", "freeze", "thaw"]


class _FrozenList(tuple):
    """A list held inside a result: stored as a tuple, handed out as a new list."""

    __slots__ = ()


def freeze(value: Any) -> Any:
    """A private, unchangeable copy of ``value`` to keep inside a result.

    Parameters
    ----------
    value
        Any value; containers are frozen all the way down.

    Returns
    -------
    object
        A :class:`ReadOnlyMapping` for a mapping, a read-only numpy array for
        an array, a tuple for a tuple, a private copy for a list, DataFrame or
        Series (handed out as copies by :func:`thaw`; a DataFrame subclass is
        kept as a plain DataFrame), the value itself otherwise.
    """
    if isinstance(value, ReadOnlyMapping):
        return value
    if isinstance(value, Mapping):
        return ReadOnlyMapping(value)
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True)
        array.flags.writeable = False
        return array
    if isinstance(value, pd.DataFrame) and type(value) is not pd.DataFrame:
        # a result keeps plain data (a subclass such as mse.ResultTable is only how a table prints), so
        # that a result read back from a file, which holds plain frames, equals the one that was saved
        return pd.DataFrame(value).copy(deep=True)
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=True)
    if isinstance(value, _FrozenList):
        return value
    if isinstance(value, list):
        return _FrozenList(freeze(v) for v in value)
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(freeze(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


def thaw(value: Any) -> Any:
    """What a reader gets for a frozen ``value``: copies of lists and frames, the rest as stored."""
    if isinstance(value, _FrozenList):
        return [thaw(v) for v in value]
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=True)
    return value


class ReadOnlyMapping(Mapping[str, Any]):
    """A mapping that cannot be changed, whose values cannot be changed through it either.

    Reads behave as for a ``dict`` (``m[key]``, ``m.get``, ``dict(m)``,
    ``{**m}``); item assignment and deletion raise :class:`TypeError`.

    Examples
    --------
    >>> from mse._readonly import ReadOnlyMapping
    >>> details = ReadOnlyMapping({"se": 1.5, "terms": ["A:B"]})
    >>> details["terms"].append("B:C")  # a copy: the mapping is unchanged
    >>> details["terms"]
    ['A:B']
    >>> details["se"] = -1.0
    Traceback (most recent call last):
    ...
    TypeError: 'ReadOnlyMapping' object does not support item assignment
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[Any, Any] | None = None) -> None:
        self._data: dict[Any, Any] = {key: freeze(value) for key, value in (data or {}).items()}

    def __getitem__(self, key: Any) -> Any:
        return thaw(self._data[key])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self._data),))


class CopyOnRead:
    """A data descriptor for a DataFrame field of a frozen dataclass: kept privately, read as a copy.

    A DataFrame cannot be made read-only (``.loc`` writes, new columns), so a
    result keeps its own copy and every read returns a new one. With
    ``frame_type`` (a DataFrame subclass) a frame is read as that type. The stored
    value lives in the instance ``__dict__`` under the same name, which is
    where pickling and :func:`copy.deepcopy` find it.
    """

    def __init__(self, name: str, frame_type: type[pd.DataFrame] | None = None) -> None:
        self.name = name
        self.frame_type = frame_type  # a DataFrame subclass the value is read as (it is kept plain)

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = thaw(obj.__dict__[self.name])
        if self.frame_type is not None and isinstance(value, pd.DataFrame):
            return self.frame_type(value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = freeze(value)
