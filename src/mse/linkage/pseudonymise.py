"""Pseudonymisation at source: an agency's records become keyed tokens before they leave the agency.

Each identifying field is normalised (:mod:`mse.linkage.normalise`) and
replaced by keyed hashes of the whole field and of partial keys (initial,
phonetic code, year of birth, day and month in either order), so that a
probabilistic linkage can tolerate typing errors while comparing nothing but
equality of tokens. A token is the first 128 bits, as 32 lowercase hex
characters, of HMAC-SHA256(key, ``"<field>\\x1f<normalised value>"``) (RFC 2104
with SHA-256 from :mod:`hmac` and :mod:`hashlib`); the field name in the
message keeps the fields apart, so the same text in two fields gives two
unrelated tokens.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mse.errors import DataError, DataWarning, warn
from mse.linkage.normalise import (
    DATE_PROBLEMS,
    normalise_birth_date,
    normalise_first_name,
    normalise_last_name,
    normalise_nationality,
    normalise_sex,
)
from mse.linkage.phonetic import phonetic_code

__all__ = ["FIELDS", "TOKEN_COLUMNS", "pseudonymise", "token"]

#: The identifying fields ``pseudonymise`` understands and the token columns each gives.
FIELDS: dict[str, tuple[str, ...]] = {
    "last_name": ("token_last_name", "token_last_name_phonetic"),
    "first_name": ("token_first_name", "token_first_name_phonetic", "token_first_initial"),
    "birth_date": ("token_birth_date", "token_birth_date_unordered", "token_birth_year"),
    "sex": ("token_sex",),
    "nationality": ("token_nationality",),
}
#: Every token column, in the order of the output.
TOKEN_COLUMNS: tuple[str, ...] = tuple(column for columns in FIELDS.values() for column in columns)

#: Shortest key accepted, in bytes (128 bits).
MIN_KEY_BYTES = 16
_KEY_ADVICE = (
    "make one once with `import secrets; key = secrets.token_bytes(32)`, keep it with the trusted party "
    "that links the records, and give the same key to every agency through a secure channel; never store it "
    "with the data"
)
# Column names that suggest an identifier; such a column may not be kept verbatim.
_IDENTIFYING_HINTS = (
    "name", "naam", "birth", "geboorte", "dob", "bsn", "ssn", "passport", "paspoort", "address", "adres",
    "postcode", "zip", "phone", "telefoon", "email", "e-mail", "v_number", "vnummer", "identity", "identiteit",
)  # fmt: skip
_RESERVED = ("record_id", "list", *TOKEN_COLUMNS)


def token(key: bytes, field: str, value: str) -> str:
    """The token of one normalised value: HMAC-SHA256 of ``"<field>\\x1f<value>"``, first 128 bits in hex.

    Parameters
    ----------
    key
        The secret key (bytes).
    field
        The token's field, e.g. ``"last_name"`` or ``"birth_year"`` (the
        token column name without ``token_``).
    value
        The normalised value.

    Returns
    -------
    str
        32 lowercase hex characters.

    References
    ----------
    Krawczyk, H., Bellare, M. & Canetti, R. (1997). HMAC: Keyed-hashing for
    message authentication. RFC 2104.

    Examples
    --------
    >>> t = token(b"0123456789abcdef", "last_name", "berg")
    >>> len(t), t == token(b"0123456789abcdef", "first_name", "berg")
    (32, False)
    """
    return hmac.new(key, f"{field}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:32]


def pseudonymise(
    df: pd.DataFrame,
    *,
    key: bytes | str,
    fields: Mapping[str, str],
    list_name: str,
    keep: Iterable[str] = (),
) -> pd.DataFrame:
    """Replace an agency's identifying fields by keyed tokens, on the agency's own machine.

    Parameters
    ----------
    df
        The agency's records, one row per record. It is not modified.
    key
        The secret key shared by all agencies of one linkage, at least 16
        bytes (a ``str`` is encoded as UTF-8). It is used, never stored: not
        in the output, its attributes or its repr.
    fields
        Which column holds each identifying field: a mapping from
        ``"first_name"``, ``"last_name"``, ``"birth_date"``, ``"sex"``,
        ``"nationality"`` (any subset) to column names of ``df``.
    list_name
        The name of this agency's list; it prefixes the record ids and fills
        the ``list`` column.
    keep
        Non-identifying columns (year of registration, form of exploitation)
        copied verbatim. A column named in ``fields``, or whose name suggests
        an identifier (``"naam"``, ``"geboortedatum"``, ``"bsn"``, ...), is
        refused.

    Returns
    -------
    pandas.DataFrame
        One row per record, in the order of ``df``, on a fresh
        ``RangeIndex``: ``record_id`` (``"<list>:<16 hex>"``, a keyed hash of
        the list name and the row position), ``list``, the token columns of
        the fields given (32 hex characters, or ``None`` where the field is
        missing): ``token_last_name``, ``token_last_name_phonetic``,
        ``token_first_name``, ``token_first_name_phonetic``,
        ``token_first_initial``, ``token_birth_date`` (the ISO date),
        ``token_birth_date_unordered`` (the year with day and month in sorted
        order, unchanged by a day-month swap), ``token_birth_year``,
        ``token_sex``, ``token_nationality``; then the ``keep`` columns.

    Raises
    ------
    DataError
        If ``df`` is not a DataFrame, the key is too short or not bytes or
        str, ``fields`` names an unknown field or a missing column,
        ``list_name`` is empty, or ``keep`` names a missing, identifying or
        reserved column.

    Warns
    -----
    DataWarning
        With the number (never the values) of dates of birth that are
        impossible, have a two-digit year or cannot be read, and of sex codes
        that are not recognised; these become missing tokens.

    Notes
    -----
    Normalisation and hashing run once per distinct value of a column, so
    100,000 records take about a second. A partial key (year, initial,
    phonetic code) is shared by many people, so it tells an attacker who
    holds the tokens more than a whole field does; see the user guide on
    pseudonymisation for what can and cannot be learned from the tokens.

    References
    ----------
    Schnell, R., Bachteler, T. & Reiher, J. (2009). Privacy-preserving record
    linkage using Bloom filters. *BMC Medical Informatics and Decision
    Making*, 9, 41.

    Christen, P., Ranbaduge, T. & Schnell, R. (2020). *Linking Sensitive
    Data: Methods and Techniques for Practical Privacy-Preserving
    Information Sharing*. Springer.

    Examples
    --------
    >>> import pandas as pd
    >>> from mse.linkage import pseudonymise
    >>> key = b"an example key, use secrets.token_bytes(32)"
    >>> police = pd.DataFrame({
    ...     "achternaam": ["van den Berg", "Jansen"], "voornaam": ["Anna", "Piet"],
    ...     "geboortedatum": ["1990-03-12", "02-11-1985"], "jaar": [2021, 2022]})
    >>> fields = {"last_name": "achternaam", "first_name": "voornaam", "birth_date": "geboortedatum"}
    >>> tokens = pseudonymise(police, key=key, fields=fields, list_name="police", keep=["jaar"])
    >>> list(tokens.columns)[:4]
    ['record_id', 'list', 'token_last_name', 'token_last_name_phonetic']
    >>> shelter = pd.DataFrame({"naam": ["BERG, van den"], "dob": ["12/03/1990"]})
    >>> other = pseudonymise(shelter, key=key, fields={"last_name": "naam", "birth_date": "dob"}, list_name="shelter")
    >>> bool(other.loc[0, "token_last_name"] == tokens.loc[0, "token_last_name"])
    True
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"pseudonymise needs the agency's records as a pandas DataFrame, got {type(df).__name__}; "
            "read them with pandas.read_csv or pandas.read_excel first."
        )
    secret = _checked_key(key)
    columns = _checked_fields(df, fields)
    if not isinstance(list_name, str) or not list_name.strip():
        raise DataError(f"list_name must be a non-empty string naming this agency's list, got {list_name!r}.")
    kept = _checked_keep(df, keep, columns)

    n = len(df)
    out: dict[str, Any] = {
        "record_id": _record_ids(secret, list_name, n),
        "list": np.full(n, list_name, dtype=object),
    }
    problems: dict[str, int] = {}
    for field, column in columns.items():
        out.update(_field_tokens(secret, field, df[column], problems))
    # Object columns keep the contract's None for a missing token (pandas would otherwise infer
    # its string dtype and turn None into NaN).
    result = pd.DataFrame({column: pd.Series(values, dtype=object) for column, values in out.items()})
    for column in kept:
        result[column] = df[column].reset_index(drop=True).copy()
    result.attrs = {}
    if problems:
        counts = "; ".join(f"{count} {what}" for what, count in problems.items())
        warn(
            f"pseudonymise({list_name!r}): {counts}; these fields are left without tokens (missing). "
            "Check the agency's records (the values are not repeated here).",
            DataWarning,
        )
    return result


def _checked_key(key: Any) -> bytes:
    if isinstance(key, str):
        secret = key.encode("utf-8")
    elif isinstance(key, bytes | bytearray | memoryview):
        secret = bytes(key)
    else:
        raise DataError(f"key must be bytes or str, got {type(key).__name__}; {_KEY_ADVICE}.")
    if len(secret) < MIN_KEY_BYTES:
        raise DataError(
            f"key must be at least {MIN_KEY_BYTES} bytes, got {len(secret)}; a short key can be guessed. {_KEY_ADVICE}."
        )
    return secret


def _checked_fields(df: pd.DataFrame, fields: Any) -> dict[str, str]:
    if not isinstance(fields, Mapping) or not fields:
        raise DataError(
            f"fields must be a non-empty mapping from field names {list(FIELDS)} to columns of the records, "
            f"e.g. {{'last_name': 'achternaam'}}; got {fields!r}."
        )
    unknown = [name for name in fields if name not in FIELDS]
    if unknown:
        raise DataError(f"unknown field name(s) {unknown} in fields; use some of {list(FIELDS)}.")
    missing = [column for column in fields.values() if column not in df.columns]
    if missing:
        raise DataError(
            f"the column(s) {missing} named in fields are not in the records; their columns are {list(df.columns)}."
        )
    repeated = sorted({str(c) for c in fields.values() if int((df.columns == c).sum()) > 1})
    if repeated:
        raise DataError(f"the records have more than one column named {repeated}; rename them first.")
    return {name: fields[name] for name in FIELDS if name in fields}


def _checked_keep(df: pd.DataFrame, keep: Any, columns: Mapping[str, str]) -> list[str]:
    kept = [keep] if isinstance(keep, str) else list(keep)
    missing = [column for column in kept if column not in df.columns]
    if missing:
        raise DataError(f"keep names column(s) {missing} that are not in the records: {list(df.columns)}.")
    identifying = [column for column in kept if column in columns.values()]
    if identifying:
        raise DataError(
            f"keep names identifying column(s) {identifying}, which would leave the agency in clear; "
            "they are pseudonymised through fields. Keep only non-identifying covariates."
        )
    suspicious = [c for c in kept if any(hint in str(c).lower() for hint in _IDENTIFYING_HINTS)]
    if suspicious:
        raise DataError(
            f"keep names column(s) {suspicious} whose names suggest identifiers; "
            "identifying fields go through fields=, and other identifiers must stay with the agency. "
            "Rename a column that is truly not identifying."
        )
    reserved = [column for column in kept if column in _RESERVED]
    if reserved:
        raise DataError(f"keep names column(s) {reserved} that the output makes itself; rename them first.")
    if len(set(kept)) != len(kept) or any(int((df.columns == c).sum()) > 1 for c in kept):
        raise DataError(f"keep names a column twice, or a column the records have twice: {kept}.")
    return kept


def _record_ids(key: bytes, list_name: str, n: int) -> np.ndarray:
    prefix = f"{list_name}\x1f"
    ids = np.array(
        [f"{list_name}:" + token(key, "record_id", prefix + str(row))[:16] for row in range(n)], dtype=object
    )
    if len(set(ids)) != n:  # 64 bits: a collision is practically impossible, but never silent
        raise DataError(f"two record ids of list {list_name!r} coincide; use another key.")
    return ids


def _by_distinct(column: pd.Series, function: Callable[[Any], Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes of each row's distinct value, and ``function`` of each distinct value (missing is code -1)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes, [function(value) for value in uniques]


def _tokens(key: bytes, field: str, codes: np.ndarray, values: list[str | None]) -> np.ndarray:
    """Token per row, from the normalised value of each distinct raw value."""
    cache: dict[str, str] = {}
    table = np.empty(len(values) + 1, dtype=object)  # the last slot is code -1: missing
    for i, value in enumerate(values):
        if value:
            if value not in cache:
                cache[value] = token(key, field, value)
            table[i] = cache[value]
    return table[codes]


def _field_tokens(key: bytes, field: str, column: pd.Series, problems: dict[str, int]) -> dict[str, np.ndarray]:
    if field == "last_name":
        codes, names = _by_distinct(column, normalise_last_name)
        return {
            "token_last_name": _tokens(key, "last_name", codes, names),
            "token_last_name_phonetic": _tokens(
                key, "last_name_phonetic", codes, [phonetic_code(name) if name else None for name in names]
            ),
        }
    if field == "first_name":
        codes, pairs = _by_distinct(column, normalise_first_name)
        return {
            "token_first_name": _tokens(key, "first_name", codes, [p[0] if p else None for p in pairs]),
            "token_first_name_phonetic": _tokens(
                key, "first_name_phonetic", codes, [phonetic_code(p[1]) if p else None for p in pairs]
            ),
            "token_first_initial": _tokens(key, "first_initial", codes, [p[0][0] if p else None for p in pairs]),
        }
    if field == "birth_date":
        codes, dates = _by_distinct(column, normalise_birth_date)
        for reason in DATE_PROBLEMS:
            bad = [i for i, date in enumerate(dates) if date == reason]
            if bad:
                problems[f"date(s) of birth {'with a ' if reason == 'two-digit year' else ''}{reason}"] = int(
                    np.isin(codes, bad).sum()
                )
        known = [date if isinstance(date, tuple) else None for date in dates]
        return {
            "token_birth_date": _tokens(key, "birth_date", codes, [_iso(d) for d in known]),
            "token_birth_date_unordered": _tokens(key, "birth_date_unordered", codes, [_unordered(d) for d in known]),
            "token_birth_year": _tokens(key, "birth_year", codes, [f"{d[0]:04d}" if d else None for d in known]),
        }
    if field == "sex":
        codes, sexes = _by_distinct(column, normalise_sex)
        bad = [i for i, sex in enumerate(sexes) if sex == "?"]
        if bad:
            problems["sex code(s) not recognised (use m/f/x, man/vrouw/x or male/female/x)"] = int(
                np.isin(codes, bad).sum()
            )
        return {"token_sex": _tokens(key, "sex", codes, [None if s == "?" else s for s in sexes])}
    codes, nationalities = _by_distinct(column, normalise_nationality)
    return {"token_nationality": _tokens(key, "nationality", codes, nationalities)}


def _iso(date: tuple[int, int, int] | None) -> str | None:
    if date is None or date[1] == 0:  # only the year is known
        return None
    return f"{date[0]:04d}-{date[1]:02d}-{date[2]:02d}"


def _unordered(date: tuple[int, int, int] | None) -> str | None:
    if date is None or date[1] == 0:
        return None
    low, high = sorted(date[1:])
    return f"{date[0]:04d}-{low:02d}-{high:02d}"
