"""Pseudonymisation: the token schema, what never leaves the agency, and what the tokens tolerate."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mse
from mse.linkage import pseudonymise
from mse.linkage.normalise import PARTICLES, normalise_first_name, normalise_last_name
from mse.linkage.pseudonymise import TOKEN_COLUMNS

KEY = b"a test key of thirty-two bytes!!"
OTHER_KEY = b"another key, also long enough..."
FIELDS = {
    "last_name": "achternaam",
    "first_name": "voornaam",
    "birth_date": "geboortedatum",
    "sex": "geslacht",
    "nationality": "nationaliteit",
}
HEX = set("0123456789abcdef")


def _records(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "achternaam": ["van den Berg", "Jansen", None],
        "voornaam": ["Anna", "Jan-Willem", "Zoë"],
        "geboortedatum": ["1990-03-12", "02-11-1985", "31-02-1990"],
        "geslacht": ["V", "man", "x"],
        "nationaliteit": ["Nederlandse", "RO", None],
        "year": [2020, 2021, 2022],
    }
    base.update(columns)
    return pd.DataFrame(base)


def _tokens(frame: pd.DataFrame, key: bytes = KEY, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.DataWarning)
        return pseudonymise(frame, key=key, fields=kwargs.pop("fields", FIELDS), list_name="agency", **kwargs)  # type: ignore[arg-type]


# --- the token schema of the linkage contract ---------------------------------------------------


def test_schema_of_the_output() -> None:
    tokens = _tokens(_records(), keep=["year"])
    assert list(tokens.columns) == ["record_id", "list", *TOKEN_COLUMNS, "year"]
    assert isinstance(tokens.index, pd.RangeIndex) and list(tokens.index) == [0, 1, 2]
    assert (tokens["list"] == "agency").all()
    assert all(re.fullmatch(r"agency:[0-9a-f]{16}", rid) for rid in tokens["record_id"])
    assert tokens["record_id"].is_unique
    for column in TOKEN_COLUMNS:
        assert tokens[column].dtype == object
        assert all(v is None or re.fullmatch(r"[0-9a-f]{32}", v) for v in tokens[column]), column
    assert tokens["year"].tolist() == [2020, 2021, 2022]
    assert tokens.attrs == {}


def test_token_is_the_contract_hmac() -> None:
    tokens = _tokens(_records())
    expected = hmac.new(KEY, b"last_name\x1fberg", hashlib.sha256).hexdigest()[:32]
    assert tokens.loc[0, "token_last_name"] == expected
    iso = hmac.new(KEY, b"birth_date\x1f1990-03-12", hashlib.sha256).hexdigest()[:32]
    assert tokens.loc[0, "token_birth_date"] == iso
    initial = hmac.new(KEY, b"first_initial\x1fj", hashlib.sha256).hexdigest()[:32]
    assert tokens.loc[1, "token_first_initial"] == initial
    record = hmac.new(KEY, b"record_id\x1fagency\x1f0", hashlib.sha256).hexdigest()[:16]
    assert tokens.loc[0, "record_id"] == f"agency:{record}"


def test_only_the_fields_given_have_tokens() -> None:
    tokens = _tokens(_records(), fields={"birth_date": "geboortedatum"})
    assert list(tokens.columns) == [
        "record_id", "list", "token_birth_date", "token_birth_date_unordered", "token_birth_year",
    ]  # fmt: skip


def test_missing_and_unusable_fields_have_no_token() -> None:
    tokens = _tokens(_records())
    assert tokens.loc[2, "token_last_name"] is None and tokens.loc[2, "token_last_name_phonetic"] is None
    assert tokens.loc[2, "token_nationality"] is None
    # 31 February: no date, no year (an impossible date is not trusted for its year either)
    assert tokens.loc[2, ["token_birth_date", "token_birth_date_unordered", "token_birth_year"]].isna().all()


def test_year_only_dates_keep_the_year_token() -> None:
    frame = _records(geboortedatum=["1990", "00-00-1990", "12-03-1990"])
    tokens = _tokens(frame)
    assert tokens["token_birth_year"].nunique() == 1
    assert tokens.loc[:1, "token_birth_date"].isna().all() and tokens.loc[2, "token_birth_date"] is not None


def test_dates_as_timestamps_and_strings_agree() -> None:
    strings = _tokens(_records(geboortedatum=["1990-03-12", "02-11-1985", None]))
    stamps = _tokens(_records(geboortedatum=[pd.Timestamp("1990-03-12"), dt.date(1985, 11, 2), pd.NaT]))
    datetimes = _tokens(_records(geboortedatum=pd.to_datetime(["1990-03-12", "1985-11-02", None])))
    for column in ("token_birth_date", "token_birth_date_unordered", "token_birth_year"):
        assert strings[column].tolist() == stamps[column].tolist() == datetimes[column].tolist()


def test_warning_counts_unusable_values_without_repeating_them() -> None:
    frame = _records(geboortedatum=["31-02-1990", "3-4-90", "someday"], geslacht=["V", "q7", "q7"])
    with pytest.warns(mse.DataWarning) as caught:
        pseudonymise(frame, key=KEY, fields=FIELDS, list_name="agency")
    message = str(caught[0].message)
    assert "1 date(s) of birth impossible" in message and "1 date(s) of birth with a two-digit year" in message
    assert "1 date(s) of birth unreadable" in message and "2 sex code(s) not recognised" in message
    for value in ("31-02", "3-4-90", "someday", "q7", KEY.decode(), KEY.hex()):
        assert value not in message


def test_no_warning_for_clean_records() -> None:
    frame = _records(geboortedatum=["1990-03-12", "02-11-1985", None])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pseudonymise(frame, key=KEY, fields=FIELDS, list_name="agency")


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key": b"short"}, "at least 16 bytes.*secrets.token_bytes"),
        ({"key": "fifteen chars.."}, "at least 16 bytes"),
        ({"key": 12345678901234567890}, "bytes or str.*secrets.token_bytes"),
        ({"fields": {"surname": "achternaam"}}, "unknown field name"),
        ({"fields": {"last_name": "naam"}}, r"not in the records"),
        ({"fields": {}}, "non-empty mapping"),
        ({"fields": ["achternaam"]}, "mapping"),
        ({"list_name": ""}, "list_name"),
        ({"keep": ["achternaam"]}, "identifying column"),
        ({"keep": ["year", "nothing"]}, "not in the records"),
        ({"keep": ["postcode"]}, "suggest identifiers"),
        ({"keep": ["token_sex"]}, "output makes itself"),
    ],
)
def test_bad_arguments_are_data_errors(kwargs: dict[str, object], match: str) -> None:
    frame = _records(postcode=["1234AB", "1234AB", "1234AB"], token_sex=[1, 2, 3])
    arguments: dict[str, object] = {"key": KEY, "fields": FIELDS, "list_name": "agency"}
    arguments.update(kwargs)
    with pytest.raises(mse.DataError, match=match):
        pseudonymise(frame, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("not_a_frame", [None, [{"achternaam": "Berg"}], {"achternaam": ["Berg"]}, np.zeros(3)])
def test_records_must_be_a_data_frame(not_a_frame: object) -> None:
    with pytest.raises(mse.DataError, match="DataFrame"):
        pseudonymise(not_a_frame, key=KEY, fields=FIELDS, list_name="agency")  # type: ignore[arg-type]


def test_repeated_column_names_are_refused() -> None:
    frame = pd.concat([_records(), _records()[["achternaam", "year"]]], axis=1)
    with pytest.raises(mse.DataError, match="more than one column"):
        pseudonymise(frame, key=KEY, fields=FIELDS, list_name="agency")
    with pytest.raises(mse.DataError, match="twice"):
        pseudonymise(frame, key=KEY, fields={"sex": "geslacht"}, list_name="agency", keep=["year"])


def test_kept_columns_keep_their_dtype() -> None:
    frame = _records(year=pd.Categorical(["2020", "2021", "2020"]))
    frame["exploitation"] = pd.array(["labour", None, "sexual"], dtype="string")
    tokens = _tokens(frame.set_index(pd.Index([7, 8, 9])), keep=["year", "exploitation"])
    assert isinstance(tokens["year"].dtype, pd.CategoricalDtype)
    assert tokens["exploitation"].dtype == frame["exploitation"].dtype
    assert tokens["year"].tolist() == ["2020", "2021", "2020"]


def test_input_is_not_modified() -> None:
    frame = _records().set_index(pd.Index(["r1", "r2", "r3"]))
    frame.attrs["source"] = "register"
    before = frame.copy(deep=True)
    _tokens(frame, keep=["year"])
    pd.testing.assert_frame_equal(frame, before)
    assert frame.attrs == {"source": "register"}


def test_the_key_is_nowhere_in_the_output() -> None:
    tokens = _tokens(_records(), keep=["year"])
    shown = repr(tokens) + tokens.to_string() + repr(tokens.attrs) + tokens.to_json()
    for form in (KEY.decode(), KEY.hex(), repr(KEY)):
        assert form not in shown
    assert tokens.attrs == {} and all(series.attrs == {} for _, series in tokens.items())


def test_a_string_key_is_its_utf8_bytes() -> None:
    as_text = _tokens(_records(), key=KEY.decode())
    pd.testing.assert_frame_equal(as_text, _tokens(_records()))


# --- privacy and stability, for arbitrary records ----------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "Zs", "Pd"], include_characters="'.,"),
    max_size=20,
)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))
date_formats = st.sampled_from(["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y%m%d"])
records = st.lists(
    st.tuples(names, names, dates, date_formats, st.sampled_from(["m", "V", "vrouw", "x", None])),
    min_size=1,
    max_size=6,
)


def _frame(rows: list[tuple[str, str, dt.date, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "achternaam": [r[0] for r in rows],
            "voornaam": [r[1] for r in rows],
            "geboortedatum": [r[2].strftime(r[3]) for r in rows],
            "geslacht": [r[4] for r in rows],
            "year": [2020] * len(rows),
        }
    )


FIELDS_4 = {k: v for k, v in FIELDS.items() if k != "nationality"}
# The fixed words of the output's repr: column names and the list name (a schema, not data).
VOCABULARY = sorted(["record_id", "list", *TOKEN_COLUMNS, "year", "agency", "None", "NaN"], key=len, reverse=True)


def _identifying_strings(frame: pd.DataFrame) -> set[str]:
    """Every identifying input, as written and normalised (with the ISO date and the year)."""
    found: set[str] = set()
    columns = (frame["achternaam"], frame["voornaam"], frame["geboortedatum"], frame["geslacht"])
    for last, first, birth, sex in zip(*columns, strict=True):
        found |= {last, first, birth, sex if isinstance(sex, str) else ""}
        found |= {normalise_last_name(last) or "", *(normalise_first_name(first) or ())}
    return {text for text in found if text}


def _leaks(text: str, output: str) -> list[str]:
    """Substrings of at least 4 characters of ``text`` found in ``output`` (both lower case).

    A string of hex digits shorter than 10 is skipped: a random 32-digit hex token holds a given
    run of 4 hex digits with probability about 29/16**4 = 4e-4, so such a match is chance, while
    one of 10 digits (probability 2e-11 per token) is not.
    """
    text, output = text.lower(), output.lower()
    leaks = []
    for length in range(4, len(text) + 1):
        for start in range(len(text) - length + 1):
            piece = text[start : start + length]
            if set(piece) <= HEX and length < 10:
                continue
            if piece.strip() and piece in output:
                leaks.append(piece)
    return leaks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_no_identifier_leaves_pseudonymise(rows: list[tuple[str, str, dt.date, str, str | None]]) -> None:
    frame = _frame(rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tokens = pseudonymise(frame, key=KEY, fields=FIELDS_4, list_name="agency", keep=["year"])
    assert list(tokens.columns) == ["record_id", "list", *TOKEN_COLUMNS[:-1], "year"]
    assert isinstance(tokens.index, pd.RangeIndex)
    shown = "\n".join([repr(tokens), tokens.to_csv(), *(str(w.message) for w in caught)])
    for word in VOCABULARY:
        shown = shown.replace(word, " ")
    for text in _identifying_strings(frame):
        assert not _leaks(text, shown), (text, _leaks(text, shown))


@settings(max_examples=40, deadline=None)
@given(records)
def test_same_key_same_tokens_and_other_key_no_token_in_common(
    rows: list[tuple[str, str, dt.date, str, str | None]],
) -> None:
    frame = _frame(rows)
    first = _tokens(frame, fields=FIELDS_4)
    pd.testing.assert_frame_equal(first, _tokens(frame.copy(), fields=FIELDS_4))
    other = _tokens(frame, key=OTHER_KEY, fields=FIELDS_4)
    values = set(first.drop(columns="list").stack().dropna())
    other_values = set(other.drop(columns="list").stack().dropna())
    assert values and not values & other_values


@settings(max_examples=40, deadline=None)
@given(st.lists(names, min_size=1, max_size=5))
def test_fields_are_kept_apart(texts: list[str]) -> None:
    # The same text in every field: no token of one column equals a token of another.
    frame = pd.DataFrame({column: texts for column in FIELDS.values()})
    tokens = _tokens(frame)
    seen: dict[str, str] = {}
    for column in TOKEN_COLUMNS:
        for value in tokens[column].dropna():
            assert seen.setdefault(value, column) == column, (value, column, seen[value])


@settings(max_examples=60, deadline=None)
@given(dates)
def test_day_month_swap_keeps_the_unordered_token(date: dt.date) -> None:
    swapped = f"{date.month:02d}-{date.day:02d}-{date.year}"  # day first, day and month swapped
    frame = pd.DataFrame({"d": [date.strftime("%d-%m-%Y"), swapped]})
    tokens = _tokens(frame, fields={"birth_date": "d"})
    assert tokens["token_birth_year"].nunique() == 1
    if date.day <= 12:
        assert tokens["token_birth_date_unordered"].nunique() == 1
        assert (tokens["token_birth_date"].nunique() == 1) == (date.day == date.month)
    else:  # the swapped text is not a date
        assert tokens.loc[1, "token_birth_date_unordered"] is None


# A surname core that is itself a particle ("al", "de") is a different case: see test_normalise.
core_names = st.text(alphabet="abcdefghklmnoprstuwz", min_size=2, max_size=12).filter(lambda c: c not in PARTICLES)


@settings(max_examples=60, deadline=None)
@given(core_names, st.sampled_from(["van", "de", "van der", "van den", "ter", "in 't", "van 't", "op de"]))
def test_case_accents_and_particle_order_keep_the_surname_token(core: str, particle: str) -> None:
    accented = core.replace("e", "é").replace("o", "ö").replace("u", "ü")
    written = [
        f"{particle} {core.capitalize()}",
        f"{core.upper()}, {particle.upper()}",
        f"{core} {particle}",
        f"{accented.capitalize()}",
        f"{particle.title()} {accented}",
    ]
    tokens = _tokens(pd.DataFrame({"n": written}), fields={"last_name": "n"})
    assert tokens["token_last_name"].nunique() == 1
    assert tokens["token_last_name_phonetic"].nunique() == 1


def test_spelling_variants_keep_the_phonetic_token_only() -> None:
    tokens = _tokens(pd.DataFrame({"n": ["Smit", "Smidt", "Zwart", "Swart"]}), fields={"last_name": "n"})
    assert tokens["token_last_name"].nunique() == 4
    assert tokens["token_last_name_phonetic"].nunique() == 2
