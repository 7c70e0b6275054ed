"""The format of saved results, and the checks a file passes before it becomes an :class:`~mse.Estimate`.

A saved result is read back into reports and policy letters, so a file that
was truncated, edited or written by something else must not load as a valid
estimate. :func:`read_result` reads a file written by
:meth:`mse.Estimate.save` in three steps, and anything that fails one of them
is a :class:`~mse.DataError` that names the key, says what was expected and
what to do:

1. the bytes: at most ``max_bytes``, UTF-8, strict JSON (no ``NaN`` or
   ``Infinity`` literals, no repeated keys, nesting at most
   :data:`MAX_DEPTH` deep);
2. the schema (:data:`SCHEMA`): every key that ``save`` writes, of the type
   and range it writes, and no other; the tables of ``details`` (``frames``),
   the typed log-linear fit (``fit``: shapes that agree with the number of
   lists, a model that parses, counts that add up to ``observed``) and the
   name of the posterior file written beside the JSON (``idata``);
3. the results contract (:func:`contract_problems`), the same rules every
   estimator keeps: an ``"ok"`` result has finite numbers with
   ``observed <= lower <= estimate <= upper``; any other status is a reason.

The checks are written out here rather than delegated to a JSON-Schema
library: half of them (the contract, the shape of the strata table against
its replicates) are relations between fields that JSON Schema cannot state,
and the rest are a few lines each.

Format 2 (``"mse.Estimate/2"``) added ``frames``, ``fit`` and ``idata`` to
format 1; files of format 1 are still read (without them). The posterior of
a Bayesian result is ArviZ's netCDF file next to the JSON; ArviZ is imported
only when a file names one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mse.errors import DataError
from mse.results import Estimate

__all__ = [
    "FORMAT",
    "FORMATS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "SCHEMA",
    "contract_problems",
    "encode_fit",
    "encode_frame",
    "read_result",
]

#: The ``format`` key of a file written by :meth:`mse.Estimate.save`.
FORMAT = "mse.Estimate/2"
#: Formats :func:`read_result` reads: format 1 has no ``frames``, ``fit`` or ``idata``.
FORMATS = ("mse.Estimate/1", FORMAT)
#: Most lists a saved log-linear fit may have (its tables have ``2**lists - 1`` cells).
MAX_LISTS = 24
#: Column types a saved table may have.
FRAME_DTYPES = ("float64", "int64", "bool", "str", "string", "object")
#: Largest file :func:`read_result` reads by default (256 MiB: some ten million draws).
MAX_BYTES = 256 * 2**20
#: Deepest nesting of lists and objects accepted in a file. Saved results nest
#: four or five levels; the limit keeps hostile files away from the recursion limit.
MAX_DEPTH = 64
#: Largest count of people accepted: integers up to 2**53 are exact as floats.
MAX_COUNT = 2**53

_TO_DO = (
    "Files written by Estimate.save() pass this check, so this one was damaged or edited after it was "
    "written, or was written by something else: save the result again from the analysis "
    "(mse.estimate(...).save(path))."
)


class _Invalid(Exception):
    """One reason a payload is not a saved result; becomes a :class:`DataError` with the path."""


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: Any) -> str:
    """A short rendering of a value for a message (a hostile file may hold megabytes in one key)."""
    text = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else _kind(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------- checks of single values
def _number_or_missing(value: Any, where: str) -> float:
    """A saved number: a JSON number, ``null`` for nan, or ``"inf"``/``"-inf"`` (as ``save`` writes them)."""
    if value is None:
        return math.nan
    if isinstance(value, str) and value in ("inf", "-inf"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f'{where} is {_shown(value)}; expected a number, null (not available), "inf" or "-inf"')
    try:
        return float(value)
    except OverflowError:
        raise _Invalid(f"{where} is an integer of {len(str(value))} digits, too large for a number") from None


def _check_numbers(values: Any, where: str) -> None:
    if not isinstance(values, list):
        raise _Invalid(f"{where} is {_kind(values)}; expected a list of numbers")
    plain = (int, float)
    for i, value in enumerate(values):
        # The common case first: a plain float, as save writes draws.
        if type(value) not in plain or (type(value) is int and abs(value) > MAX_COUNT):
            _number_or_missing(value, f"{where}[{i}]")


def _check_depth(value: Any, where: str) -> None:
    """Reject nesting deeper than :data:`MAX_DEPTH` without recursing (a hostile file may nest thousands deep)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise _Invalid(f"{where} nests lists or objects more than {MAX_DEPTH} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _format(value: Any) -> None:
    if value not in FORMATS:
        raise _Invalid(f"key 'format' is {_shown(value)}; expected one of {FORMATS}")


def _level(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise _Invalid(f"key 'level' is {_shown(value)}; expected a number strictly between 0 and 1")


def _observed(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise _Invalid(f"key 'observed' is {_shown(value)}; expected a whole number of people, 0 or more")


def _number(key: str) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        _number_or_missing(value, f"key {key!r}")

    return check


def _text(key: str, *, empty: bool) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not isinstance(value, str) or (not empty and not value.strip()):
            expected = "a string" if empty else "a non-empty string"
            raise _Invalid(f"key {key!r} is {_shown(value)}; expected {expected}")

    return check


def _warnings(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"key 'warnings' is {_kind(value)}; expected a list of strings (the warning messages)")


def _details(value: Any) -> None:
    if not isinstance(value, dict):
        raise _Invalid(f"key 'details' is {_kind(value)}; expected an object")
    _check_depth(value, "key 'details'")
    if "se" in value:
        _number_or_missing(value["se"], "details['se']")
    if "strata_draws" in value:
        # save() keeps replicates by stratum at the top level, next to the strata they belong to.
        raise _Invalid("details holds 'strata_draws'; a saved result keeps them only in the top-level key")


def _metadata(value: Any) -> None:
    if not isinstance(value, dict):
        raise _Invalid(f"key 'metadata' is {_kind(value)}; expected an object")
    _check_depth(value, "key 'metadata'")


def _draws(value: Any) -> None:
    if value is not None:
        _check_numbers(value, "draws")


def _strata(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or set(value) != {"columns", "index", "data"}:
        raise _Invalid(
            "key 'strata' is not a table; expected null or an object with 'columns', 'index' and 'data' "
            "(pandas' split orientation)"
        )
    columns, rows = value["columns"], value["data"]
    if (
        not isinstance(columns, list)
        or not all(isinstance(c, str) for c in columns)
        or len(set(columns)) != len(columns)
    ):
        raise _Invalid("strata['columns'] must be a list of distinct column names")
    missing = [c for c in ("observed", "estimate") if c not in columns]
    if missing:
        raise _Invalid(f"strata['columns'] lacks {missing}; expected the covariates, 'observed' and 'estimate'")
    if not isinstance(value["index"], list) or not isinstance(rows, list) or len(value["index"]) != len(rows):
        raise _Invalid("strata['index'] and strata['data'] must be lists of the same length")
    observed, estimate = columns.index("observed"), columns.index("estimate")
    allocated = columns.index("allocated") if "allocated" in columns else None
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise _Invalid(f"strata['data'][{i}] is not a row of {len(columns)} values")
        for j, cell in enumerate(row):
            if isinstance(cell, (dict, list)):
                raise _Invalid(f"strata['data'][{i}][{j}] is {_kind(cell)}; expected a single value")
        count = row[observed]
        if isinstance(count, bool) or not isinstance(count, (int, float)) or not 0 <= count <= MAX_COUNT:
            raise _Invalid(f"strata observed count in row {i} is {_shown(count)}; expected a number of people")
        _number_or_missing(row[estimate], f"strata estimate in row {i}")
        if allocated is not None:
            _number_or_missing(row[allocated], f"strata allocated people in row {i}")


def _strata_draws(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        raise _Invalid("key 'strata_draws' must be null or a non-empty list of replicates")
    for i, row in enumerate(value):
        _check_numbers(row, f"strata_draws[{i}]")


# ---------------------------------------------------------------------- tables, fit, posterior file
def encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as saved: column names, column types, the index (``null`` for ``0..n-1``) and the columns.

    Numbers are written as :meth:`mse.Estimate.save` writes them (``null`` for
    nan, ``"inf"``/``"-inf"``); columns of other types are written as text.

    Parameters
    ----------
    frame
        A table from ``Estimate.details`` (a search table, a posterior grid, ...).

    Returns
    -------
    dict
        ``columns``, ``dtypes``, ``index`` and ``data``, all JSON-compatible.

    Examples
    --------
    >>> import pandas as pd
    >>> encode_frame(pd.DataFrame({"model": ["A:B"], "bic": [float("inf")]}))["data"]
    [['A:B'], ['inf']]
    """
    from mse.results import _jsonable

    n = len(frame)
    index = frame.index
    default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None
    columns: list[str] = []
    dtypes: list[str] = []
    data: list[Any] = []
    for name in frame.columns:
        column = frame[name]
        dtype = str(column.dtype)
        values: list[Any]
        if dtype not in FRAME_DTYPES:
            dtype, values = "str", [None if _missing(v) else str(v) for v in column]
        elif dtype in ("str", "string", "object"):
            values = [
                None if _missing(v) else (v if isinstance(v, (str, bool, int, float)) else str(v)) for v in column
            ]
            values = [_jsonable(v) for v in values]
        else:
            values = _jsonable(column.tolist())
        columns.append(str(name))
        dtypes.append(dtype)
        data.append(values)
    return {
        "columns": columns,
        "dtypes": dtypes,
        "index": None
        if default or n == 0
        else _jsonable([v if isinstance(v, (str, int, float)) else str(v) for v in index]),
        "data": data,
    }


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _check_scalar_list(values: Any, where: str, n: int) -> None:
    if not isinstance(values, list) or len(values) != n:
        raise _Invalid(f"{where} is not a list of {n} values")
    for i, value in enumerate(values):
        if isinstance(value, (dict, list)):
            raise _Invalid(f"{where}[{i}] is {_kind(value)}; expected a single value")


def _check_frame(value: Any, where: str) -> None:
    if not isinstance(value, dict) or set(value) != {"columns", "dtypes", "index", "data"}:
        raise _Invalid(f"{where} is not a saved table; expected an object with 'columns', 'dtypes', 'index', 'data'")
    columns, dtypes, data = value["columns"], value["dtypes"], value["data"]
    if (
        not isinstance(columns, list)
        or not all(isinstance(c, str) for c in columns)
        or len(set(columns)) != len(columns)
    ):
        raise _Invalid(f"{where}['columns'] must be a list of distinct column names")
    if not isinstance(dtypes, list) or len(dtypes) != len(columns) or any(d not in FRAME_DTYPES for d in dtypes):
        raise _Invalid(f"{where}['dtypes'] must name the type of each column, one of {FRAME_DTYPES}")
    if not isinstance(data, list) or len(data) != len(columns) or not all(isinstance(c, list) for c in data):
        raise _Invalid(f"{where}['data'] must be a list of {len(columns)} columns")
    n = len(data[0]) if data else 0
    for name, dtype, column in zip(columns, dtypes, data):
        if len(column) != n:
            raise _Invalid(f"{where} column {name!r} has {len(column)} values; the first column has {n}")
        if dtype == "float64":
            _check_numbers(column, f"{where} column {name!r}")
        elif dtype == "int64":
            if not all(type(v) is int and abs(v) < 2**63 for v in column):
                raise _Invalid(f"{where} column {name!r} must hold whole numbers (64-bit)")
        elif dtype == "bool":
            if not all(isinstance(v, bool) for v in column):
                raise _Invalid(f"{where} column {name!r} must hold true or false")
        elif dtype in ("str", "string"):
            if not all(v is None or isinstance(v, str) for v in column):
                raise _Invalid(f"{where} column {name!r} must hold text or null")
        else:
            _check_scalar_list(column, f"{where} column {name!r}", n)
    if value["index"] is not None:
        _check_scalar_list(value["index"], f"{where}['index']", n)


def _decode_frame(value: dict[str, Any]) -> pd.DataFrame:
    series = {}
    for name, dtype, column in zip(value["columns"], value["dtypes"], value["data"]):
        if dtype == "float64":
            series[name] = pd.Series(_floats(column), dtype="float64")
        elif dtype == "object":
            series[name] = pd.Series([math.nan if v is None else v for v in column], dtype="object")
        else:
            series[name] = pd.Series(column, dtype=dtype)
    frame = pd.DataFrame(series, columns=value["columns"])
    if value["index"] is not None:
        frame.index = pd.Index(value["index"])
    return frame


def _frames(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _Invalid(f"key 'frames' is {_kind(value)}; expected an object of tables")
    for name, table in value.items():
        _check_frame(table, f"frames[{name!r}]")


_FIT_NUMBERS = ("estimate", "se", "dark_figure", "log_dark_se", "deviance", "loglik", "aic", "bic", "aicc")
_FIT_COUNTS = ("df", "n_params", "n_params_finite", "iterations", "observed")
_FIT_KEYS = frozenset(
    {
        "kind", "model", "lists", "status", "converged", "coef_names", "coef", "cov", "counts", "fitted",
        "cells_used", "count_adjustment", "infinite_terms", "zero_fitted_cells", "diverging_terms", "search",
        *_FIT_NUMBERS, *_FIT_COUNTS,
    }
)  # fmt: skip


def encode_fit(fit: Any) -> dict[str, Any] | None:
    """A log-linear fit (:class:`mse.loglinear.LoglinearFit`) as saved; ``None`` for anything else.

    Parameters
    ----------
    fit
        ``Estimate.fit``.

    Returns
    -------
    dict or None
        The model, counts, fitted values, coefficients and their covariance,
        the search table and the fit's conclusions, all JSON-compatible.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("korea"), method="independence", interval="none")
    >>> encode_fit(res.fit)["model"]
    'independence'
    >>> encode_fit(None) is None
    True
    """
    from mse.loglinear.fit.model_fit import LoglinearFit
    from mse.results import _jsonable

    if not isinstance(fit, LoglinearFit):
        return None
    search = fit.search
    payload: dict[str, Any] = {
        "kind": "loglinear",
        "model": fit.model,
        "lists": list(fit.lists),
        "status": fit.status,
        "converged": bool(fit.converged),
        "coef_names": list(fit.coef_names),
        "coef": _jsonable(fit.coefficients.tolist()),
        "cov": None if fit.cov is None else _jsonable(np.asarray(fit.cov).tolist()),
        "counts": _jsonable(np.asarray(fit.counts).tolist()),
        "fitted": _jsonable(np.asarray(fit.fitted).tolist()),
        "cells_used": [bool(v) for v in fit.cells_used],
        "count_adjustment": None
        if fit.count_adjustment is None
        else _jsonable(np.asarray(fit.count_adjustment).tolist()),
        "infinite_terms": list(fit.infinite_terms),
        "zero_fitted_cells": list(fit.zero_fitted_cells),
        "diverging_terms": dict(fit.diverging_terms),
        "search": None if search is None else encode_frame(search),
    }
    payload.update({name: _jsonable(getattr(fit, name)) for name in _FIT_NUMBERS})
    payload.update({name: int(getattr(fit, name)) for name in _FIT_COUNTS})
    return payload


def _strings(value: Any, where: str, *, distinct: bool = False) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _Invalid(f"{where} is not a list of non-empty strings")
    if distinct and len(set(value)) != len(value):
        raise _Invalid(f"{where} repeats a name")


def _fit(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _Invalid(f"key 'fit' is {_kind(value)}; expected null or a saved log-linear fit (an object)")
    keys = set(value)
    if keys != _FIT_KEYS:
        missing, unknown = sorted(_FIT_KEYS - keys), sorted(keys - _FIT_KEYS)
        raise _Invalid(f"fit lacks {missing}" if missing else f"fit holds {unknown}, which save() does not write")
    if value["kind"] != "loglinear":
        raise _Invalid(f"fit['kind'] is {_shown(value['kind'])}; expected 'loglinear'")
    for key in ("model", "status"):
        if not isinstance(value[key], str) or (key == "status" and not value[key].strip()):
            raise _Invalid(f"fit[{key!r}] is {_shown(value[key])}; expected a string")
    if not isinstance(value["converged"], bool):
        raise _Invalid(f"fit['converged'] is {_shown(value['converged'])}; expected true or false")
    lists = value["lists"]
    _strings(lists, "fit['lists']", distinct=True)
    if not 2 <= len(lists) <= MAX_LISTS:
        raise _Invalid(f"fit['lists'] names {len(lists)} lists; expected 2 to {MAX_LISTS}")
    n_cells = 2 ** len(lists) - 1
    for name in _FIT_NUMBERS:
        _number_or_missing(value[name], f"fit[{name!r}]")
    for name in _FIT_COUNTS:
        count = value[name]
        # df is cells minus parameters: negative for a model with more parameters than cells (not identifiable)
        low = -MAX_COUNT if name == "df" else 0
        if isinstance(count, bool) or not isinstance(count, int) or not low <= count <= MAX_COUNT:
            expected = "a whole number" if name == "df" else "a whole number, 0 or more"
            raise _Invalid(f"fit[{name!r}] is {_shown(count)}; expected {expected}")
    names = value["coef_names"]
    _strings(names, "fit['coef_names']", distinct=True)
    _check_numbers(value["coef"], "fit['coef']")
    if len(value["coef"]) != len(names):
        raise _Invalid(f"fit['coef'] has {len(value['coef'])} values for {len(names)} coefficient names")
    cov = value["cov"]
    if cov is not None:
        if not isinstance(cov, list) or len(cov) != len(names):
            raise _Invalid(f"fit['cov'] must be null or {len(names)} rows, one per coefficient")
        for i, row in enumerate(cov):
            _check_numbers(row, f"fit['cov'][{i}]")
            if len(row) != len(names):
                raise _Invalid(f"fit['cov'][{i}] has {len(row)} values; expected {len(names)}")
    for key in ("counts", "fitted", "count_adjustment"):
        if key == "count_adjustment" and value[key] is None:
            continue
        _check_numbers(value[key], f"fit[{key!r}]")
        if len(value[key]) != n_cells:
            raise _Invalid(f"fit[{key!r}] has {len(value[key])} values; {len(lists)} lists have {n_cells} cells")
    counts = value["counts"]
    if not all(type(c) in (int, float) and math.isfinite(c) and 0 <= c <= MAX_COUNT and c == int(c) for c in counts):
        raise _Invalid("fit['counts'] must hold the observed counts: whole numbers, 0 or more")
    if sum(int(c) for c in counts) != value["observed"]:
        raise _Invalid(
            f"fit['counts'] add up to {sum(int(c) for c in counts)}, not fit['observed'] = {value['observed']}"
        )
    fitted = _floats(value["fitted"])
    if any(not (math.isnan(f) or f >= 0.0) for f in fitted):
        raise _Invalid("fit['fitted'] holds a negative fitted count")
    used = value["cells_used"]
    if not isinstance(used, list) or len(used) != n_cells or not all(isinstance(v, bool) for v in used):
        raise _Invalid(f"fit['cells_used'] must be {n_cells} values true or false")
    for key in ("infinite_terms", "zero_fitted_cells"):
        if not isinstance(value[key], list) or not all(isinstance(v, str) for v in value[key]):
            raise _Invalid(f"fit[{key!r}] is not a list of strings")
    diverging = value["diverging_terms"]
    if not isinstance(diverging, dict) or not all(isinstance(v, str) for v in diverging.values()):
        raise _Invalid("fit['diverging_terms'] is not an object of strings")
    if value["search"] is not None:
        _check_frame(value["search"], "fit['search']")
    try:
        _terms(value)
    except ValueError as exc:
        raise _Invalid(f"fit['model'] {_shown(value['model'])} is not a model of its lists ({exc})") from None
    known = set(lists)
    for name in names:
        parts = name.split(":")
        if name != "(intercept)" and (len(set(parts)) != len(parts) or not set(parts) <= known):
            raise _Invalid(f"fit['coef_names'] holds {_shown(name)}, not a coefficient of lists {lists}")


def _terms(value: dict[str, Any]) -> Any:
    from mse.loglinear.model.terms import parse_model

    return parse_model(value["model"], tuple(value["lists"]))


def _decode_fit(value: dict[str, Any]) -> Any:
    from mse.loglinear.fit.model_fit import LoglinearFit

    lists = tuple(value["lists"])
    cov = value["cov"]
    numbers: dict[str, Any] = {name: _number_or_missing(value[name], f"fit[{name!r}]") for name in _FIT_NUMBERS}
    numbers.update({name: int(value[name]) for name in _FIT_COUNTS})
    return LoglinearFit(
        model=value["model"],
        terms=_terms(value),
        lists=lists,
        coef=dict(zip(value["coef_names"], _floats(value["coef"]))),
        counts=np.array(_floats(value["counts"]), dtype=float),
        fitted=np.array(_floats(value["fitted"]), dtype=float),
        cells_used=np.array(value["cells_used"], dtype=bool),
        infinite_terms=tuple(value["infinite_terms"]),
        status=value["status"],
        converged=value["converged"],
        estimability=None,
        zero_fitted_cells=tuple(value["zero_fitted_cells"]),
        diverging_terms=dict(value["diverging_terms"]),
        count_adjustment=None if value["count_adjustment"] is None else np.array(_floats(value["count_adjustment"])),
        cov=None if cov is None else np.array([_floats(row) for row in cov], dtype=float).reshape(len(cov), len(cov)),
        search=None if value["search"] is None else _decode_frame(value["search"]),
        **numbers,
    )


def _idata(value: Any) -> None:
    if value is None:
        return
    if (
        not isinstance(value, str)
        or not value.endswith(".nc")
        or value.startswith(".")
        or any(c in value for c in "/\\:\0")
        or len(value) > 255
    ):
        raise _Invalid(
            f"key 'idata' is {_shown(value)}; expected null or the name of the posterior's netCDF file "
            "in the same folder (no folders in the name)"
        )


#: Every key :meth:`mse.Estimate.save` writes, with its check. All are required and no other is accepted:
#: a missing ``status`` must not read as ``"ok"``, and a misspelt key must not be silently ignored.
SCHEMA: dict[str, Callable[[Any], None]] = {
    "format": _format,
    "estimate": _number("estimate"),
    "lower": _number("lower"),
    "upper": _number("upper"),
    "level": _level,
    "observed": _observed,
    "method": _text("method", empty=False),
    "model": _text("model", empty=True),
    "interval_method": _text("interval_method", empty=True),
    "status": _text("status", empty=False),
    "warnings": _warnings,
    "details": _details,
    "metadata": _metadata,
    "draws": _draws,
    "strata": _strata,
    "strata_draws": _strata_draws,
    "frames": _frames,
    "fit": _fit,
    "idata": _idata,
}
#: The keys only format 2 has.
_NEW_IN_2 = ("frames", "fit", "idata")


def _validate(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise _Invalid(f"not a result saved by Estimate.save(): the file holds {_kind(payload)}, expected an object")
    if payload.get("format") not in FORMATS:
        found = "no key 'format'" if "format" not in payload else f"format {_shown(payload['format'])}"
        raise _Invalid(f"not a result saved by Estimate.save(): it has {found}, expected one of {FORMATS}")
    schema = SCHEMA if payload["format"] == FORMAT else {k: v for k, v in SCHEMA.items() if k not in _NEW_IN_2}
    missing = [key for key in schema if key not in payload]
    if missing:
        raise _Invalid(f"key {missing[0]!r} is missing (every saved result has {sorted(schema)})")
    unknown = [key for key in payload if key not in schema]
    if unknown:
        raise _Invalid(f"key {unknown[0]!r} is not one that Estimate.save() writes")
    for key, check in schema.items():
        check(payload[key])
    frames = payload.get("frames") or {}
    clash = sorted(set(frames) & set(payload["details"]))
    if clash:
        raise _Invalid(f"frames[{clash[0]!r}] has the name of a key of details")
    fit = payload.get("fit")
    if fit is not None and fit["observed"] != payload["observed"]:
        raise _Invalid(f"fit['observed'] is {fit['observed']}, but the result observed {payload['observed']} people")
    # Relations between keys.
    strata, strata_draws = payload["strata"], payload["strata_draws"]
    if strata_draws is not None:
        if strata is None:
            raise _Invalid("key 'strata_draws' is given without the 'strata' it belongs to")
        widths = {len(row) for row in strata_draws}
        if widths != {len(strata["data"])}:
            raise _Invalid(
                f"strata_draws has rows of {sorted(widths)} values; expected one value per row of strata "
                f"({len(strata['data'])})"
            )


# ---------------------------------------------------------------------- the results contract
def _close_enough(low: float, high: float) -> bool:
    """``low <= high`` up to rounding of the root finders."""
    return low <= high + 1e-6 * max(1.0, abs(high))


def contract_problems(result: Estimate) -> list[str]:
    """The ways ``result`` breaks the results contract on its own (an empty list when it keeps it).

    Parameters
    ----------
    result
        An estimate.

    Returns
    -------
    list of str
        One message per broken rule: an ``"ok"`` result must have finite
        ``estimate``, ``lower`` and ``upper`` (the limits may both be ``nan``
        when no interval was asked for) with
        ``observed <= lower <= estimate <= upper``; any other status must be a
        reason (a sentence, not an empty string). The check against the data
        it came from is :func:`mse.testing.check_estimate`.

    Examples
    --------
    >>> import mse
    >>> from mse.result_schema import contract_problems
    >>> contract_problems(mse.estimate(mse.load_dataset("korea"), method="independence"))
    []
    >>> contract_problems(mse.Estimate(estimate=90.0, lower=100.0, upper=120.0, level=0.95, observed=80, method="x"))
    ['estimate 90.0 is not within [100.0, 120.0]']
    """
    if not isinstance(result.status, str) or not result.status.strip():
        return [f"status {result.status!r} is not a reason"]
    if result.status != "ok":
        return [] if len(result.status.strip()) >= 10 else [f"status {result.status!r} does not say why"]
    numbers = {"estimate": result.estimate, "lower": result.lower, "upper": result.upper}
    if not result.interval_method and math.isnan(result.lower) and math.isnan(result.upper):
        numbers = {"estimate": result.estimate}  # interval="none"
    problems = [
        f"status 'ok' with {name} = {value!r}"
        for name, value in numbers.items()
        if not isinstance(value, (int, float)) or not math.isfinite(value)
    ]
    if problems:
        return problems
    n = float(result.observed)
    if not _close_enough(n, result.estimate):
        problems.append(f"estimate {result.estimate!r} is below the {result.observed} people observed")
    if len(numbers) == 1:
        return problems
    if not _close_enough(n, result.lower):
        problems.append(f"lower limit {result.lower!r} is below the {result.observed} people observed")
    if not (_close_enough(result.lower, result.estimate) and _close_enough(result.estimate, result.upper)):
        problems.append(f"estimate {result.estimate!r} is not within [{result.lower!r}, {result.upper!r}]")
    return problems


# ---------------------------------------------------------------------- reading a file
def _no_constants(name: str) -> Any:
    raise _Invalid(f'the file holds the literal {name}, which is not JSON (save writes null, "inf" or "-inf")')


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of repeated keys: an edited file could hide a second "status" that way.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _Invalid(f"key {key!r} appears more than once in one object")
            seen.add(key)
    return result


def _decode(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Invalid(f"the file is not UTF-8 text (byte {exc.start} is {raw[exc.start : exc.start + 1]!r})") from None
    try:
        return json.loads(text, parse_constant=_no_constants, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise _Invalid(f"the file is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise _Invalid(f"the file nests lists or objects more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. an integer of more digits than int() converts
        raise _Invalid(f"the file holds a value JSON cannot read here ({exc})") from None


def _build(payload: dict[str, Any], path: Path, max_bytes: int) -> Estimate:
    details = dict(payload["details"])
    for name, table in (payload.get("frames") or {}).items():
        details[name] = _decode_frame(table)
    if "se" in details:
        # save writes a nan standard error as null; Estimate.se reads it back as a number.
        details["se"] = _number_or_missing(details["se"], "details['se']")
    strata = None
    if payload["strata"] is not None:
        split = payload["strata"]
        strata = pd.DataFrame(split["data"], columns=split["columns"])
    if payload["strata_draws"] is not None:
        details["strata_draws"] = _float_array(payload["strata_draws"])
    return Estimate(
        estimate=_number_or_missing(payload["estimate"], "estimate"),
        lower=_number_or_missing(payload["lower"], "lower"),
        upper=_number_or_missing(payload["upper"], "upper"),
        level=float(payload["level"]),
        observed=payload["observed"],
        method=payload["method"],
        model=payload["model"],
        interval_method=payload["interval_method"],
        status=payload["status"],
        warnings=tuple(payload["warnings"]),
        draws=None if payload["draws"] is None else _float_array(payload["draws"]),
        details=details,
        metadata=payload["metadata"],
        strata=strata,
        fit=None if payload.get("fit") is None else _decode_fit(payload["fit"]),
        idata=None if payload.get("idata") is None else _read_idata(path.parent / payload["idata"], max_bytes),
    )


def _read_idata(path: Path, max_bytes: int) -> Any:
    """The posterior saved beside the JSON (ArviZ netCDF), read into memory, so the file is not held open."""
    if not path.is_file():
        raise _Invalid(f"the posterior file {path.name!r} it names is not beside it; copy it with the JSON file")
    if path.stat().st_size > max_bytes:
        raise _Invalid(f"the posterior file {path.name!r} is larger than {max_bytes:,} bytes (max_bytes)")
    from mse.bayes.backend import import_arviz

    arviz = import_arviz()

    try:
        with arviz.rc_context({"data.load": "eager"}):
            idata = arviz.from_netcdf(path)
    except Exception as exc:  # h5py, netCDF and xarray raise many kinds: all mean the same here
        raise _Invalid(f"the posterior file {path.name!r} is not an ArviZ netCDF file ({type(exc).__name__})") from None
    if not hasattr(idata, "posterior"):
        raise _Invalid(f"the posterior file {path.name!r} has no posterior group")
    return idata


def _float_array(values: list[Any]) -> np.ndarray:
    """Checked saved numbers (a list, or a list of rows) as floats: ``null`` is nan, ``"inf"`` infinity."""
    if values and isinstance(values[0], list):
        return np.array([_floats(row) for row in values], dtype=float)
    return np.array(_floats(values), dtype=float)


def _floats(values: list[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def read_result(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Estimate:
    """Read and check a file written by :meth:`mse.Estimate.save`; the work of :func:`mse.load_result`.

    Parameters
    ----------
    path
        The file.
    max_bytes
        Largest file read, in bytes (default :data:`MAX_BYTES`).

    Returns
    -------
    Estimate
        A result that passes the schema and the results contract.

    Raises
    ------
    DataError
        When the file is too large, not UTF-8 JSON, not of the saved format,
        or its result breaks the results contract; the message names the key
        and what was expected.
    OSError
        When the file cannot be opened.

    Examples
    --------
    >>> import os, tempfile
    >>> import mse
    >>> from mse.result_schema import read_result
    >>> res = mse.estimate(mse.load_dataset("korea"), method="independence")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     res.save(os.path.join(folder, "result.json"))
    ...     back = read_result(os.path.join(folder, "result.json"))
    >>> back.estimate == res.estimate
    True
    """
    path = Path(path)
    with path.open("rb") as handle:
        # Read one byte past the limit rather than trust the size on disk (a pipe or a growing file has none).
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise DataError(
            f"{path} is larger than {max_bytes:,} bytes, the most load_result reads (max_bytes). If it is a "
            "result you saved, pass a larger max_bytes=; a saved result with a million draws takes about 22 MB."
        )
    try:
        payload = _decode(raw)
        _validate(payload)
        result = _build(payload, path, max_bytes)
    except _Invalid as exc:
        raise DataError(f"{path}: {exc}. {_TO_DO}") from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        # The schema above should leave nothing for these; if it does, the promise still holds.
        raise DataError(f"{path}: the saved result cannot be rebuilt ({type(exc).__name__}: {exc}). {_TO_DO}") from None
    problems = contract_problems(result)
    if problems:
        raise DataError(f"{path}: the saved result breaks the results contract: {'; '.join(problems)}. {_TO_DO}")
    return result
