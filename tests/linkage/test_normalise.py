"""Normalisation of names, dates of birth, sex and nationality before hashing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from mse.linkage.normalise import (
    NATIONALITY_ALIASES,
    normalise_birth_date,
    normalise_first_name,
    normalise_last_name,
    normalise_nationality,
    normalise_sex,
)
from mse.linkage.synthetic import _name_tables


@pytest.mark.parametrize(
    "written",
    [
        "van den Berg",
        "Van Den Berg",
        "VAN DEN BERG",
        "Berg, van den",
        "Berg van den",
        "berg, VAN DEN",
        "v.d. Berg",
        "v/d Berg",
        "vd Berg",
        "Berg",
        "  van  den   Berg ",
        "van der Berg",
        "de Berg",
    ],
)
def test_particles_go_wherever_they_are_written(written: str) -> None:
    assert normalise_last_name(written) == "berg"


@pytest.mark.parametrize(
    ("written", "core"),
    [
        ("in 't Veld", "veld"),
        ("van 't Hof", "hof"),
        ("op de Beek", "beek"),
        ("ter Horst", "horst"),
        ("'s-Gravesande", "gravesande"),
        ("von Müller", "muller"),
        ("Da Silva", "silva"),
        ("dos Santos", "santos"),
        ("El Amrani", "amrani"),
        ("al-Hassan", "hassan"),
        ("Le Roux", "roux"),
        ("Di Marco", "marco"),
        ("Del Piero", "piero"),
        ("D'Ancona", "ancona"),
        ("O'Brien", "obrien"),
        ("Jansen-van der Berg", "jansenberg"),
        ("Çelik", "celik"),
        ("Strauß", "strauss"),
        ("Søren", "soren"),
        ("Nguyễn", "nguyen"),
        ("Wiśniewski", "wisniewski"),
        ("De", "de"),
        ("Van", "van"),
    ],
)
def test_surname_cores(written: str, core: str) -> None:
    assert normalise_last_name(written) == core


@pytest.mark.parametrize("written", ["Meijer", "Meyer", "MEIJER", "Meĳer"])
def test_ij_and_y_are_one_letter(written: str) -> None:
    assert normalise_last_name(written) == "meyer"


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   ", "-", "'"])
def test_missing_names(missing: object) -> None:
    assert normalise_last_name(missing) is None
    assert normalise_first_name(missing) is None


def test_first_names_keep_their_words_and_first_word() -> None:
    assert normalise_first_name("Jan-Willem") == normalise_first_name("jan willem") == ("janwillem", "jan")
    assert normalise_first_name("Zoë") == normalise_first_name("ZOE") == ("zoe", "zoe")
    assert normalise_first_name("De") == ("de", "de")  # particles are surname business


@pytest.mark.parametrize(
    "written",
    [
        "1990-03-12",
        "1990/03/12",
        "1990.3.12",
        "19900312",
        "12-03-1990",
        "12/03/1990",
        "12.03.1990",
        "12-3-1990",
        " 12-03-1990 ",
        "1990-03-12 00:00:00",
        "1990-03-12T00:00",
        dt.date(1990, 3, 12),
        dt.datetime(1990, 3, 12, 15, 30),
        pd.Timestamp("1990-03-12"),
        np.datetime64("1990-03-12"),
    ],
)
def test_dates_of_birth(written: object) -> None:
    assert normalise_birth_date(written) == (1990, 3, 12)


@pytest.mark.parametrize(("written", "reason"), [
    ("31-02-1990", "impossible"),
    ("1990-13-01", "impossible"),
    ("29-02-1991", "impossible"),
    ("00-05-1990", "impossible"),
    ("3-4-90", "two-digit year"),
    ("12/03/90", "two-digit year"),
    ("twelve March", "unreadable"),
    ("1990-03", "unreadable"),
])  # fmt: skip
def test_unusable_dates_say_why(written: str, reason: str) -> None:
    assert normalise_birth_date(written) == reason


def test_year_only_and_missing_dates() -> None:
    assert normalise_birth_date("1990") == (1990, 0, 0)
    assert normalise_birth_date("00-00-1990") == (1990, 0, 0)
    assert normalise_birth_date("29-02-1992") == (1992, 2, 29)
    for missing in (None, np.nan, pd.NaT, np.datetime64("NaT"), "", "onbekend", "unknown"):
        assert normalise_birth_date(missing) is None


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_every_date_reads_the_same_in_every_format(date: dt.date) -> None:
    expected = (date.year, date.month, date.day)
    for text in (date.isoformat(), date.strftime("%d-%m-%Y"), date.strftime("%d/%m/%Y"), date.strftime("%Y%m%d")):
        assert normalise_birth_date(text) == expected


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("M", "m"), ("m", "m"), ("man", "m"), ("Male", "m"), ("mannelijk", "m"),
        ("V", "f"), ("vrouw", "f"), ("F", "f"), ("female", "f"), ("Vrouwelijk", "f"),
        ("X", "x"), ("other", "x"), ("anders", "x"),
        (None, None), ("", None), ("onbekend", None), ("unknown", None), ("U", None),
        ("7", "?"), ("q", "?"),
    ],
)  # fmt: skip
def test_sex_codes(written: object, code: str | None) -> None:
    assert normalise_sex(written) == code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("NL", "NL"), (" nl ", "NL"), ("Nederlandse", "NL"), ("Dutch", "NL"), ("NLD", "NL"),
        ("Roemeense", "RO"), ("Roemenië", "RO"), ("Oekraïense", "UA"), ("Sierra Leone", "SL"),
        ("Fiji", "FIJI"), ("NA", "NA"), ("côte  d'ivoire", "COTE D IVOIRE"), (None, None), ("onbekend", None),
    ],
)  # fmt: skip
def test_nationalities(written: object, code: str | None) -> None:
    assert normalise_nationality(written) == code


def test_every_nationality_the_generator_writes_has_its_code() -> None:
    table = _name_tables()["nationalities"]
    for row in table.itertuples():
        assert normalise_nationality(row.code) == row.code
        assert normalise_nationality(row.dutch) == row.code
        assert normalise_nationality(row.english) == row.code
    assert set(NATIONALITY_ALIASES.values()) >= set(table["code"])


@given(st.text(max_size=40))
def test_normalised_names_are_lower_case_single_words(name: str) -> None:
    for normalised in (normalise_last_name(name), (normalise_first_name(name) or ("",))[0]):
        if normalised:
            assert normalised == normalised.lower() or not normalised.isascii()
            assert " " not in normalised and "-" not in normalised and "'" not in normalised
