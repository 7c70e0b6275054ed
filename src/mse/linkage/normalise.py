"""Identifying fields written one way, so that equal people give equal tokens.

Agencies write the same person differently: ``"VAN DEN BERG"``, ``"Berg, van
den"``, ``"v.d. Berg"``; ``"Müller"`` and ``"Muller"``; ``"Meijer"`` and
``"Meyer"``; ``"1990-03-12"`` and ``"12/03/1990"``; ``"V"``, ``"vrouw"`` and
``"female"``. The functions here map each field to one written form before it
is hashed by :func:`mse.linkage.pseudonymise`. Each works on one value and is
applied to the distinct values of a column only (names and dates repeat a lot),
which keeps 100,000 records to about a second.

The rules, in short:

* names: Unicode NFKD with the combining marks dropped (``"é"`` -> ``"e"``),
  a few letters that do not decompose spelled out (``"ß"`` -> ``"ss"``,
  ``"ø"`` -> ``"o"``), lower case, the Dutch ``"ij"`` (and its ligature) written
  ``"y"``, punctuation, hyphens and apostrophes read as word breaks, and the
  words joined without spaces (``"Jan-Willem"`` = ``"Jan Willem"`` =
  ``"Janwillem"``);
* surnames: particles (:data:`PARTICLES`: ``"van der"``, ``"de"``, ``"'t"``,
  ``"von"``, ``"da"``, ``"al"``, ...) are dropped wherever they stand, before
  the core (``"van den Berg"``), after it (``"Berg, van den"``, ``"Berg van
  den"``) or abbreviated (``"v.d. Berg"``), unless nothing else is left;
* dates of birth: ISO ``yyyy-mm-dd`` (also with ``/`` or ``.``, or as
  ``yyyymmdd``), day first ``dd-mm-yyyy`` (``/``, ``.`` or ``-``), Python and
  pandas dates; a two-digit year is refused (``"3-4-05"`` could be 1905 or
  2005, and day or month first), as is a month-first date written the
  American way (it is read day first, so ``"04/03/1990"`` is 4 March; the
  day-month-swap token still links it with 3 April). A date with day and
  month ``00`` (or a year alone) keeps its year; an impossible date
  (``"31-02-1990"``) is missing;
* sex: ``m``/``f``/``x`` from the Dutch and English words and letters in
  :data:`SEX_CODES`;
* nationality: upper case without accents, the Dutch and English names and
  adjectives of :data:`NATIONALITY_ALIASES` as ISO 3166 alpha-2 codes, and
  anything else kept as written (upper case, single spaces).

References
----------
Christen, P., Ranbaduge, T. & Schnell, R. (2020). *Linking Sensitive Data:
Methods and Techniques for Practical Privacy-Preserving Information Sharing*.
Springer, ch. 6 (data cleaning and standardisation before encoding).
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NATIONALITY_ALIASES",
    "PARTICLES",
    "SEX_CODES",
    "normalise_birth_date",
    "normalise_first_name",
    "normalise_last_name",
    "normalise_nationality",
    "normalise_sex",
]

#: Surname particles (tussenvoegsels and their foreign cousins), one word each;
#: multi-word particles ("van der", "in 't", "op de", "van 't") are runs of
#: these words. Single letters come from abbreviations ("v.d.", "v/d") and
#: elisions ("'t", "'s", "d'", "l'") once punctuation is a word break.
PARTICLES = frozenset(
    {
        # Dutch
        "van", "de", "den", "der", "het", "ten", "ter", "te", "in", "op", "aan", "bij", "onder", "over",
        "uit", "voor", "t", "s", "vd", "v", "d", "l",
        # German, French, Italian, Spanish, Portuguese, Arabic
        "von", "zu", "vom", "zum", "le", "la", "les", "du", "des", "da", "di", "del", "della", "dos", "das",
        "do", "y", "el", "al",
    }
)  # fmt: skip

#: Written forms of sex (lower case, accents removed) and their code.
SEX_CODES: dict[str, str] = {
    **dict.fromkeys(["m", "man", "male", "mannelijk", "masculine", "masculin", "jongen", "boy", "mr"], "m"),
    **dict.fromkeys(
        ["f", "v", "vrouw", "female", "vrouwelijk", "woman", "feminine", "feminin", "meisje", "girl", "mrs", "ms"],
        "f",
    ),
    **dict.fromkeys(["x", "other", "overig", "anders", "divers", "non-binary", "nonbinary", "non binary"], "x"),
}

#: Values that mean "not known": missing, not an unrecognised code.
# ("na" is not among them: it is Namibia's code.)
_UNKNOWN = frozenset({"", "u", "?", "-", "onbekend", "unknown", "nvt", "n/a", "none", "nan", "null"})

#: Nationality names and adjectives (Dutch and English, lower case, accents
#: removed) and ISO 3166-1 alpha-3 codes, for the nationalities most often
#: registered among victims of trafficking in the Netherlands; other values are
#: kept as written, in upper case.
NATIONALITY_ALIASES: dict[str, str] = {
    **dict.fromkeys(["nederlandse", "nederlands", "nederland", "dutch", "netherlands", "the netherlands", "nld"], "NL"),
    **dict.fromkeys(["roemeense", "roemenie", "romanian", "romania", "rou", "rom"], "RO"),
    **dict.fromkeys(["bulgaarse", "bulgarije", "bulgarian", "bulgaria", "bgr"], "BG"),
    **dict.fromkeys(["hongaarse", "hongarije", "hungarian", "hungary", "hun"], "HU"),
    **dict.fromkeys(["poolse", "polen", "polish", "poland", "pol"], "PL"),
    **dict.fromkeys(["nigeriaanse", "nigeria", "nigerian", "nga"], "NG"),
    **dict.fromkeys(["oegandese", "oeganda", "ugandan", "uganda", "uga"], "UG"),
    **dict.fromkeys(["eritrese", "eritrea", "eritrean", "eri"], "ER"),
    **dict.fromkeys(["oekraiense", "oekraine", "ukrainian", "ukraine", "ukr"], "UA"),
    **dict.fromkeys(["vietnamese", "vietnam", "vnm"], "VN"),
    **dict.fromkeys(["chinese", "china", "chn"], "CN"),
    **dict.fromkeys(["marokkaanse", "marokko", "moroccan", "morocco", "mar"], "MA"),
    **dict.fromkeys(["sierra leoonse", "sierra leone", "sierra leonean", "sle"], "SL"),
    **dict.fromkeys(["guineese", "guinee", "guinean", "guinea", "gin"], "GN"),
}

# Letters NFKD leaves alone that have a usual Latin spelling.
_SPELLED_OUT = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)
# Anything that is not a letter or digit breaks words: punctuation, hyphens, apostrophes, underscores.
_WORD_BREAK = re.compile(r"[\W_]+")


def _plain(text: str, *, ij: bool = True) -> str:
    """Lower case, accents stripped, and (for names) ``ij`` as ``y``."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPELLED_OUT))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_SPELLED_OUT)
    return plain.replace("ij", "y") if ij else plain


# The particles as they read after ``_plain`` ("bij" -> "by").
_PARTICLE_WORDS = frozenset(_plain(particle) for particle in PARTICLES)


def _words(text: str) -> list[str]:
    return [word for word in _WORD_BREAK.split(_plain(text)) if word]


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


@functools.lru_cache(maxsize=65536)
def _first_name(text: str) -> tuple[str, str] | None:
    words = _words(text)
    return ("".join(words), words[0]) if words else None


def normalise_first_name(value: Any) -> tuple[str, str] | None:
    """A first name as one word, and its first word (for the phonetic code).

    Parameters
    ----------
    value
        The first name(s) as written; ``None``, NaN or an empty string is missing.

    Returns
    -------
    tuple of str or None
        ``(all given names joined, the first given name)``, or ``None`` when
        nothing is left.

    Examples
    --------
    >>> normalise_first_name("Jan-Willem")
    ('janwillem', 'jan')
    >>> normalise_first_name(" Zoë ")
    ('zoe', 'zoe')
    """
    return None if _is_missing(value) else _first_name(str(value))


@functools.lru_cache(maxsize=65536)
def _last_name(text: str) -> str | None:
    words = _words(text)
    core = [word for word in words if word not in _PARTICLE_WORDS]
    # A surname made of particles only ("Van", "De") is its own core.
    return "".join(core or words) or None


def normalise_last_name(value: Any) -> str | None:
    """The core of a surname: particles dropped wherever they are written.

    Parameters
    ----------
    value
        The surname as written; ``None``, NaN or an empty string is missing.

    Returns
    -------
    str or None
        Lower case, without accents, particles and word breaks; ``None`` when
        nothing is left.

    Examples
    --------
    >>> [normalise_last_name(s) for s in ["van den Berg", "Berg, van den", "V.D. BERG", "Berg van den"]]
    ['berg', 'berg', 'berg', 'berg']
    >>> normalise_last_name("Van 't Hof-Meijer")
    'hofmeyer'
    >>> normalise_last_name("De")
    'de'
    """
    return None if _is_missing(value) else _last_name(str(value))


_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_SHORT_YEAR = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2}")
_YEAR = re.compile(r"\d{4}")
# A time of day after a date ("1990-03-12 00:00:00", "1990-03-12T00:00") is ignored.
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")

#: What :func:`normalise_birth_date` says about a value it could not use.
DATE_PROBLEMS = ("impossible", "two-digit year", "unreadable")


def normalise_birth_date(value: Any) -> tuple[int, int, int] | str | None:
    """A date of birth as ``(year, month, day)``; ``month = day = 0`` when only the year is known.

    Parameters
    ----------
    value
        A string in one of the formats of the module description, a
        :class:`datetime.date`, :class:`datetime.datetime`,
        :class:`pandas.Timestamp` or :class:`numpy.datetime64`; ``None``,
        NaN, NaT or an empty string is missing.

    Returns
    -------
    tuple of int, str or None
        The date; ``None`` when missing; or, when the value cannot be used,
        the reason (one of ``"impossible"``, ``"two-digit year"``,
        ``"unreadable"``), which :func:`mse.linkage.pseudonymise` counts
        and treats as missing.

    Examples
    --------
    >>> normalise_birth_date("12-03-1990"), normalise_birth_date("1990-03-12")
    ((1990, 3, 12), (1990, 3, 12))
    >>> normalise_birth_date("00-00-1990")
    (1990, 0, 0)
    >>> normalise_birth_date("31-02-1990"), normalise_birth_date("3-4-90")
    ('impossible', 'two-digit year')
    """
    if _is_missing(value):
        return None
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        value = pd.Timestamp(value)
    if isinstance(value, _dt.date):  # datetime and pandas Timestamp are dates too
        return (value.year, value.month, value.day)
    return _date_from_text(str(value).strip())


@functools.lru_cache(maxsize=65536)
def _date_from_text(text: str) -> tuple[int, int, int] | str | None:
    if text.lower() in _UNKNOWN:
        return None
    text = _TIME.sub("", text)
    for pattern, order in ((_ISO, (0, 1, 2)), (_COMPACT, (0, 1, 2)), (_DAY_FIRST, (2, 1, 0))):
        match = pattern.fullmatch(text)
        if match:
            parts = match.groups()
            year, month, day = (int(parts[i]) for i in order)
            break
    else:
        if _YEAR.fullmatch(text):
            return (int(text), 0, 0)
        return "two-digit year" if _SHORT_YEAR.fullmatch(text) else "unreadable"
    if month == 0 and day == 0 and year > 0:
        return (year, 0, 0)
    try:
        _dt.date(year, month, day)
    except ValueError:
        return "impossible"
    return (year, month, day)


def normalise_sex(value: Any) -> str | None:
    """``"m"``, ``"f"`` or ``"x"`` from the written forms of :data:`SEX_CODES`.

    Parameters
    ----------
    value
        The sex as written; ``None``, NaN, an empty string or "unknown" in
        Dutch or English is missing.

    Returns
    -------
    str or None
        The code; ``None`` when missing; ``"?"`` when the value is not a
        known code (counted and treated as missing by
        :func:`mse.linkage.pseudonymise`).

    Examples
    --------
    >>> [normalise_sex(s) for s in ["V", "vrouw", "Male", "X", "onbekend", "7"]]
    ['f', 'f', 'm', 'x', None, '?']
    """
    if _is_missing(value):
        return None
    text = " ".join(_plain(str(value), ij=False).replace(".", " ").split())
    if text in _UNKNOWN:
        return None
    return SEX_CODES.get(text, "?")


@functools.lru_cache(maxsize=4096)
def _nationality(text: str) -> str | None:
    words = " ".join(_WORD_BREAK.sub(" ", _plain(text, ij=False)).split())
    if words in _UNKNOWN:
        return None
    return NATIONALITY_ALIASES.get(words, words.upper())


def normalise_nationality(value: Any) -> str | None:
    """A nationality as an ISO code where :data:`NATIONALITY_ALIASES` knows it, else upper case as written.

    Parameters
    ----------
    value
        The nationality as written (a code, a country name or an adjective,
        in Dutch or English).

    Returns
    -------
    str or None
        ``None`` when missing or unknown.

    Examples
    --------
    >>> [normalise_nationality(s) for s in ["Nederlandse", " nl ", "Roemenië", "Fiji"]]
    ['NL', 'NL', 'RO', 'FIJI']
    """
    return None if _is_missing(value) else _nationality(str(value))
