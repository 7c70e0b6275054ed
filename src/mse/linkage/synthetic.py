"""Agencies' records of a population of known size, with the errors real registers have.

:func:`simulate_records` draws a population of people (names, date of birth,
sex, nationality, year of registration, form of exploitation), lets each
agency register each person independently with its own probability, and
writes each registration as the agency would: in its own formats, with typing
errors, missing fields, day and month swapped and surname particles written
differently, at the rates of :class:`RecordErrors`. The identity of the
person behind each record is kept apart (:attr:`SimulatedRecords.truth`), so
a linkage and an estimate made from the records alone can be checked against
the truth.

Where the names come from
-------------------------
The name lists in ``mse/linkage/names/`` are small and honest about what they
are. ``surnames_nl.csv`` ranks 100 common Dutch surnames in the order of the
Nederlandse Familienamenbank (Meertens Instituut); ``first_names_nl.csv``
ranks 30 common Dutch first names of each sex (Nederlandse Voornamenbank);
``names_other.csv`` has a few common names of each other nationality in
``nationalities.csv``, the nationalities most often named among registered
presumed victims of trafficking in the Netherlands (reports of the National
Rapporteur and CoMensha). No counts are shipped: a name of rank ``r`` gets
frequency proportional to ``r ** -0.5`` (a Zipf curve with exponent 0.5), and
the listed Dutch surnames cover 15 % of Dutch people (so the commonest is
carried by about 1 in 120, the order of *de Jong*'s share), foreign listed
surnames half of their nationality. The rest, the long tail of rare names
that makes most surnames nearly unique, are made of syllables (a fifth of
the Dutch ones with a particle such as "van der"). The nationality weights
are illustrative shares, not the figures of any year.

The agencies' formats
---------------------
List ``i`` (in the order of ``capture``) writes in style ``i % 3``:

====== ====================== ============= ============== ===================
style  surname                date of birth sex            nationality
====== ====================== ============= ============== ===================
0      ``van den Berg``       ``1990-03-12`` ``M``/``V``/``X`` ``NL`` (code)
1      ``VAN DEN BERG``       ``12-03-1990`` ``man``/``vrouw``/``x`` ``Nederlandse``
2      ``van den Berg``       ``12/03/1990`` ``male``/``female``/``x`` ``Dutch``
====== ====================== ============= ============== ===================

Columns of every frame: ``achternaam`` (surname), ``voornaam`` (first
name), ``geboortedatum`` (date of birth), ``geslacht`` (sex),
``nationaliteit`` (nationality) and the non-identifying ``year`` and
``exploitation``; :data:`RECORD_FIELDS` maps them to the field names of
:func:`mse.linkage.pseudonymise`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData
from mse.errors import DataError
from mse.options import check_random_seed

__all__ = ["COVARIATES", "RECORD_FIELDS", "RecordErrors", "SimulatedRecords", "simulate_records"]

#: The identifying columns of the simulated records, by field of :func:`mse.linkage.pseudonymise`.
RECORD_FIELDS: dict[str, str] = {
    "last_name": "achternaam",
    "first_name": "voornaam",
    "birth_date": "geboortedatum",
    "sex": "geslacht",
    "nationality": "nationaliteit",
}
#: The non-identifying columns of the simulated records (``keep=`` of :func:`mse.linkage.pseudonymise`).
COVARIATES: tuple[str, ...] = ("year", "exploitation")

_YEARS = np.arange(2017, 2022)
_EXPLOITATION = (("sexual", 0.55), ("labour", 0.25), ("criminal", 0.15), ("other", 0.05))
_SEX = (("f", 0.70), ("m", 0.295), ("x", 0.005))
_ZIPF_EXPONENT = 0.5
_DUTCH_LISTED_SHARE = 0.15
_FOREIGN_LISTED_SHARE = 0.5
_DUTCH_PARTICLE_SHARE = 0.2

# Syllables of the generated rare surnames: Dutch-sounding ones for Dutch people, neutral ones for others.
_DUTCH_START = (
    "ver", "hoek", "bron", "wes", "lin", "kamp", "hof", "graf", "stee", "molen", "broek", "zand", "kool", "hui",
    "ber", "tij", "rui", "boe", "dui", "gel", "har", "mei", "riet", "vel", "wil", "schoon", "dijk", "eik",
)  # fmt: skip
_DUTCH_MIDDLE = ("", "", "", "e", "en", "er", "el", "ke", "man", "ings", "ge")
_DUTCH_END = (
    "stra", "sma", "ma", "man", "veld", "berg", "dijk", "huis", "kamp", "hof", "link", "brink", "horst", "land",
    "ink", "ens", "sen", "s", "hout", "meer", "wijk", "boom", "laar", "rooij", "beek", "gaard", "stein", "zeel",
)  # fmt: skip
_DUTCH_PARTICLES = ("van", "de", "van der", "van den", "van de", "ter", "ten", "van 't")
_NEUTRAL_START = ("ka", "lo", "mi", "sa", "ne", "to", "ru", "be", "di", "go", "va", "ze", "an", "ol", "ib", "ur")
_NEUTRAL_END = ("ni", "ko", "rev", "ski", "ule", "ami", "ola", "enko", "escu", "ovic", "uma", "ye", "di", "ran")

# Spelling variants that Dutch records mix up (one is applied as a "phonetic" typing error).
_SPELLING = (
    (r"ij", "y"), (r"y", "ij"), (r"ei(?!j)", "ij"), (r"z", "s"), (r"s", "z"), (r"c(?!h)", "k"), (r"k(?!h)", "c"),
    (r"dt$", "t"), (r"(?<!d)t$", "dt"), (r"ch", "g"), (r"g", "ch"), (r"aa", "a"), (r"ee", "e"), (r"oo", "o"),
    (r"uu", "u"), (r"ph", "f"),
)  # fmt: skip
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@dataclass(frozen=True)
class RecordErrors:
    """How often an agency's record differs from the truth, per field and record.

    Parameters
    ----------
    typo
        Probability that a name or a date of birth has one typing error: a
        spelling variant (``ij``/``y``, ``z``/``s``, ``dt``/``t``, a doubled
        vowel ...) or a keyboard error (a neighbouring key, a letter dropped,
        doubled or two swapped) for names, one of day, month or year off for
        dates.
    missing
        Probability that a field (each of the five) is left empty.
    swap
        Probability that a date of birth is written with day and month
        swapped; only where that gives another valid date (day at most 12
        and not equal to the month).
    particle
        Probability that a surname with a particle is written with the
        particle elsewhere, abbreviated, capitalised or dropped
        (``"Berg, van den"``, ``"Berg van den"``, ``"v.d. Berg"``,
        ``"Van Den Berg"``, ``"Berg"``).

    Raises
    ------
    DataError
        If a rate is not a probability.

    Examples
    --------
    >>> from mse.linkage import RecordErrors
    >>> RecordErrors(typo=0.05, missing=0.02)
    RecordErrors(typo=0.05, missing=0.02, swap=0.0, particle=0.0)
    """

    typo: float = 0.0
    missing: float = 0.0
    swap: float = 0.0
    particle: float = 0.0

    def __post_init__(self) -> None:
        for name in ("typo", "missing", "swap", "particle"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
                raise DataError(f"RecordErrors.{name} must be a probability between 0 and 1, got {value!r}.")
            object.__setattr__(self, name, float(value))


@dataclass(frozen=True, eq=False)
class SimulatedRecords:
    """Agencies' records of a simulated population, with the truth kept apart.

    Attributes
    ----------
    frames
        List name -> the agency's records, as the agency holds them (columns
        in the module description; no person identifier).
    truth
        Who is who: ``list``, ``row`` (position in that list's frame) and
        ``person_id``.
    population
        The size of the population, N, the number an estimate should find.
    people
        One row per person of the population (the unregistered included):
        ``person_id``, the true ``last_name``, ``first_name``, ``birth_date``,
        ``sex`` (m/f/x), ``nationality`` (ISO code), ``year``,
        ``exploitation``, and a 0/1 column per list.
    true_data
        The capture histories of the registered people, linked without error.
    errors
        The error rates the records were written with.
    random_seed
        The seed they were drawn with.
    fields
        The identifying columns by field name (``fields=`` of
        :func:`mse.linkage.pseudonymise`).
    covariates
        The non-identifying columns (``keep=``).

    Examples
    --------
    >>> from mse.linkage import simulate_records
    >>> sim = simulate_records(500, {"police": 0.3, "shelter": 0.2}, random_seed=1)
    >>> sim.population, sorted(sim.frames), sim.true_data.n_observed == len(sim.truth.person_id.unique())
    (500, ['police', 'shelter'], True)
    """

    frames: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    population: int
    people: pd.DataFrame
    true_data: CaptureData
    errors: RecordErrors
    random_seed: int | None
    fields: Mapping[str, str] = field(default_factory=lambda: dict(RECORD_FIELDS))
    covariates: tuple[str, ...] = COVARIATES

    @property
    def lists(self) -> tuple[str, ...]:
        """The list names, in the order of ``capture``."""
        return tuple(self.frames)

    def person_of(self, pseudonymised: Mapping[str, pd.DataFrame]) -> pd.Series:
        """The person behind each pseudonymised record: ``person_id`` indexed by ``record_id``.

        Parameters
        ----------
        pseudonymised
            List name -> the output of :func:`mse.linkage.pseudonymise` for
            that list's frame, row for row (as each agency keeps it).

        Returns
        -------
        pandas.Series

        Raises
        ------
        DataError
            For a list that is not simulated or a frame of the wrong length.
        """
        parts = []
        for name, frame in pseudonymised.items():
            if name not in self.frames or len(frame) != len(self.frames[name]):
                raise DataError(
                    f"{name!r} is not a simulated list of {len(frame)} records; give each list's pseudonymised "
                    "frame, row for row."
                )
            truth = self.truth[self.truth["list"] == name].sort_values("row")
            parts.append(pd.Series(truth["person_id"].to_numpy(), index=frame["record_id"].to_numpy()))
        return pd.concat(parts).rename("person_id").rename_axis("record_id")

    def clerical_review(self, sample: pd.DataFrame, pseudonymised: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """What an error-free clerical review returns for ``sample``: each record's matches, from the truth.

        Parameters
        ----------
        sample
            Records to review (``record_id``), such as
            :meth:`mse.linkage.LinkageResult.review_sample` draws.
        pseudonymised
            The pseudonymised frames, as for :meth:`person_of`.

        Returns
        -------
        pandas.DataFrame
            ``sample`` with a ``matches`` column: the records of the same
            person on the other lists, for
            :meth:`mse.linkage.LinkageResult.with_review`.

        Examples
        --------
        >>> from mse.linkage import pseudonymise, simulate_records
        >>> sim = simulate_records(300, {"police": 0.5, "shelter": 0.5}, random_seed=1)
        >>> key = b"sixteen-byte-key-or-longer"
        >>> frames = {n: pseudonymise(f, key=key, fields=sim.fields, list_name=n) for n, f in sim.frames.items()}
        >>> review = sim.clerical_review(frames["police"].head(3), frames)
        >>> [len(m) <= 1 for m in review["matches"]]
        [True, True, True]
        """
        person = self.person_of(pseudonymised)
        records_of = person.reset_index().groupby("person_id")["record_id"].apply(tuple).to_dict()
        unknown = [r for r in sample["record_id"] if r not in person.index]
        if unknown:
            raise DataError(f"sample names record(s) {unknown[:3]} that are not among the pseudonymised records.")
        review = sample.copy()
        review["matches"] = [
            tuple(other for other in records_of[person[record]] if other != record) for record in sample["record_id"]
        ]
        return review

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame)}" for name, frame in self.frames.items())
        return f"SimulatedRecords(population={self.population}, records: {sizes}, errors={self.errors!r})"


def simulate_records(
    population: int,
    capture: Mapping[str, float],
    *,
    errors: RecordErrors | None = None,
    heterogeneity: float = 0.0,
    random_seed: int | None,
) -> SimulatedRecords:
    """Simulate several agencies' records of a population of known size.

    Parameters
    ----------
    population
        The number of people, N.
    capture
        List name -> the probability that the agency registers a person;
        people are registered independently on each list (one record per
        person and list).
    errors
        The error rates of the written records; none by default.
    heterogeneity
        Standard deviation of a person's catchability on the log-odds scale,
        shared by every list: person ``i`` is registered on list ``j`` with
        probability ``expit(logit(p_j) + heterogeneity * z_i)``, ``z_i``
        standard normal. ``0`` (the default) makes the lists independent;
        more makes the same people likely to be on several lists, the
        positive dependence that biases an independence model downwards.
        With it, ``p_j`` is the probability of a person of median
        catchability.
    random_seed
        Seed of every draw; the same seed gives the same records.

    Returns
    -------
    SimulatedRecords
        The records of each list, the truth, the population and the error-free
        capture histories.

    Raises
    ------
    DataError
        If ``population`` is not a positive integer, ``capture`` names fewer
        than two lists or has a probability outside (0, 1], ``errors`` is
        not a :class:`RecordErrors`, or ``heterogeneity`` is negative.

    References
    ----------
    Christen, P. (2012). *Data Matching*. Springer, ch. 12 (generating
    synthetic personal data with typing errors and variations).

    Examples
    --------
    >>> from mse.linkage import RecordErrors, simulate_records
    >>> sim = simulate_records(
    ...     1000, {"police": 0.3, "inspectorate": 0.2, "shelter": 0.25},
    ...     errors=RecordErrors(typo=0.05, missing=0.02, swap=0.02, particle=0.1), random_seed=7)
    >>> list(sim.frames["police"].columns)
    ['achternaam', 'voornaam', 'geboortedatum', 'geslacht', 'nationaliteit', 'year', 'exploitation']
    >>> "person_id" in sim.frames["police"].columns
    False
    """
    if isinstance(population, bool) or not isinstance(population, int | np.integer) or population < 1:
        raise DataError(f"population must be a positive whole number of people, got {population!r}.")
    if not isinstance(capture, Mapping) or len(capture) < 2:
        raise DataError(f"capture must map each of at least two list names to a capture probability, got {capture!r}.")
    lists = [str(name) for name in capture]
    if len(set(lists)) != len(lists):
        raise DataError(f"list names must be distinct, got {lists}.")
    probabilities = []
    for name, p in capture.items():
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 < float(p) <= 1.0:
            raise DataError(f"the capture probability of list {name!r} must be in (0, 1], got {p!r}.")
        probabilities.append(float(p))
    if errors is None:
        errors = RecordErrors()
    if not isinstance(errors, RecordErrors):
        raise DataError(f"errors must be a RecordErrors, got {type(errors).__name__}.")
    if isinstance(heterogeneity, bool) or not isinstance(heterogeneity, int | float) or not heterogeneity >= 0:
        raise DataError(f"heterogeneity must be a standard deviation (a number >= 0), got {heterogeneity!r}.")
    seed = check_random_seed(random_seed)
    rng = np.random.default_rng(seed)

    n = int(population)
    people = _draw_people(n, rng)
    chance = np.asarray(probabilities)
    if heterogeneity:
        with np.errstate(divide="ignore"):  # p = 1 has log-odds +inf: registered whatever the catchability
            logit = np.log(chance) - np.log1p(-chance)
        chance = 1.0 / (1.0 + np.exp(-(logit + float(heterogeneity) * rng.standard_normal((n, 1)))))
    captured = rng.random((n, len(lists))) < chance
    for j, name in enumerate(lists):
        people[name] = captured[:, j].astype(np.int64)

    frames: dict[str, pd.DataFrame] = {}
    truth = []
    for j, name in enumerate(lists):
        who = rng.permutation(np.flatnonzero(captured[:, j]))
        frames[name] = _write_records(people.iloc[who], j % 3, errors, rng)
        truth.append(pd.DataFrame({"list": name, "row": np.arange(len(who)), "person_id": who}))
    seen = people.loc[np.asarray(captured.any(axis=1)), list(lists)]
    true_data = CaptureData.from_records(seen, lists=lists)
    return SimulatedRecords(
        frames=frames,
        truth=pd.concat(truth, ignore_index=True),
        population=n,
        people=people,
        true_data=true_data,
        errors=errors,
        random_seed=seed,
    )


@lru_cache(maxsize=1)
def _name_tables() -> dict[str, pd.DataFrame]:
    folder = resources.files("mse.linkage.names")
    tables = {}
    for name in ("surnames_nl", "first_names_nl", "names_other", "nationalities"):
        with folder.joinpath(f"{name}.csv").open("r", encoding="utf-8") as handle:
            tables[name] = pd.read_csv(handle, keep_default_na=False)
    return tables


def _zipf(n: int) -> np.ndarray:
    weights = np.arange(1, n + 1, dtype=float) ** -_ZIPF_EXPONENT
    return weights / weights.sum()


def _pick(names: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    return names[rng.choice(len(names), size=size, p=_zipf(len(names)))]


def _rare_surnames(size: int, dutch: bool, rng: np.random.Generator) -> np.ndarray:
    if dutch:
        start = np.array(_DUTCH_START)[rng.integers(len(_DUTCH_START), size=size)]
        middle = np.array(_DUTCH_MIDDLE)[rng.integers(len(_DUTCH_MIDDLE), size=size)]
        end = np.array(_DUTCH_END)[rng.integers(len(_DUTCH_END), size=size)]
        particle = np.array(_DUTCH_PARTICLES)[rng.integers(len(_DUTCH_PARTICLES), size=size)]
        with_particle = rng.random(size) < _DUTCH_PARTICLE_SHARE
        cores = [(s + m + e).capitalize() for s, m, e in zip(start, middle, end, strict=True)]
        return np.array([f"{p} {c}" if w else c for p, c, w in zip(particle, cores, with_particle, strict=True)])
    start = np.array(_NEUTRAL_START)[rng.integers(len(_NEUTRAL_START), size=(size, 2))]
    end = np.array(_NEUTRAL_END)[rng.integers(len(_NEUTRAL_END), size=size)]
    return np.array([(a + b + e).capitalize() for (a, b), e in zip(start, end, strict=True)])


def _draw_people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    tables = _name_tables()
    nationalities = tables["nationalities"]
    weights = nationalities["weight"].to_numpy(float)
    nationality = nationalities["code"].to_numpy()[rng.choice(len(weights), size=n, p=weights / weights.sum())]
    sex = np.array([s for s, _ in _SEX])[rng.choice(len(_SEX), size=n, p=[p for _, p in _SEX])]
    # A person of sex x is given a first name of either list.
    name_sex = np.where(sex == "x", np.where(rng.random(n) < 0.5, "f", "m"), sex)

    last = np.empty(n, dtype=object)
    first = np.empty(n, dtype=object)
    dutch_first = tables["first_names_nl"]
    other = tables["names_other"]
    for code in nationalities["code"]:
        here = nationality == code
        if code == "NL":
            surnames = tables["surnames_nl"].sort_values("rank")["surname"].to_numpy()
            share = _DUTCH_LISTED_SHARE
        else:
            surnames = other.query("nationality == @code and kind == 'surname'").sort_values("rank")["name"].to_numpy()
            share = _FOREIGN_LISTED_SHARE
        count = int(here.sum())
        listed = rng.random(count) < share
        drawn = _rare_surnames(count, code == "NL", rng).astype(object)
        drawn[listed] = _pick(surnames, int(listed.sum()), rng)
        last[here] = drawn
        for s in ("f", "m"):
            who = here & (name_sex == s)
            if code == "NL":
                names = dutch_first.query("sex == @s").sort_values("rank")["first_name"].to_numpy()
            else:
                names = other.query("nationality == @code and kind == @s").sort_values("rank")["name"].to_numpy()
            first[who] = _pick(names, int(who.sum()), rng)

    year = _YEARS[rng.integers(len(_YEARS), size=n)]
    age = np.clip(np.round(12 + rng.gamma(2.5, 6.0, size=n)), 12, 75).astype(np.int64)
    birth_year = year - age
    leap = ((birth_year % 4 == 0) & (birth_year % 100 != 0)) | (birth_year % 400 == 0)
    day_of_year = rng.integers(0, 365 + leap.astype(np.int64))
    birth = pd.to_datetime(pd.Series(birth_year).astype(str), format="%Y") + pd.to_timedelta(day_of_year, unit="D")
    kinds = [k for k, _ in _EXPLOITATION]
    exploitation = np.array(kinds)[rng.choice(len(kinds), size=n, p=[p for _, p in _EXPLOITATION])]
    return pd.DataFrame(
        {
            "person_id": np.arange(n),
            "last_name": last,
            "first_name": first,
            "birth_date": birth.to_numpy(),
            "sex": sex,
            "nationality": nationality,
            "year": year,
            "exploitation": exploitation,
        }
    )


def _neighbour(letter: str, rng: np.random.Generator) -> str:
    for row in _KEYBOARD_ROWS:
        at = row.find(letter)
        if at >= 0:
            options = [row[i] for i in (at - 1, at + 1) if 0 <= i < len(row)]
            return options[int(rng.integers(len(options)))]
    return "e" if letter != "e" else "a"


def _typo(name: str, rng: np.random.Generator) -> str:
    """One typing error in a name; the result always differs from the name."""
    lower = name.lower()
    if rng.random() < 0.5:
        variants = [(pattern, new) for pattern, new in _SPELLING if re.search(pattern, lower)]
        if variants:
            pattern, new = variants[int(rng.integers(len(variants)))]
            matches = list(re.finditer(pattern, lower))
            match = matches[int(rng.integers(len(matches)))]
            changed = name[: match.start()] + new + name[match.end() :]
            if changed.lower() != lower:
                return changed
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if not letters:
        return name + "e"
    for _ in range(10):
        i = letters[int(rng.integers(len(letters)))]
        kind = int(rng.integers(4))
        if kind == 0:
            replaced = _neighbour(name[i].lower(), rng)
            changed = name[:i] + (replaced.upper() if name[i].isupper() else replaced) + name[i + 1 :]
        elif kind == 1 and len(letters) > 2:
            changed = name[:i] + name[i + 1 :]
        elif kind == 2:
            changed = name[:i] + name[i] + name[i:]
        else:
            j = i + 1 if i + 1 < len(name) else i - 1
            a, b = sorted((i, j))
            changed = name[:a] + name[b] + name[a] + name[b + 1 :]
        if changed.lower() != name.lower():
            return changed
    return name + "e"


_PARTICLE_PATTERN = re.compile(r"^((?:van|de|den|der|ter|ten|te|in|op|'t|het)(?: |$))+", re.IGNORECASE)


def _particle_variant(surname: str, rng: np.random.Generator) -> str:
    match = _PARTICLE_PATTERN.match(surname)
    if not match or match.end() >= len(surname):
        return surname
    particle, core = surname[: match.end()].strip(), surname[match.end() :]
    variants = [
        f"{core}, {particle}",
        f"{core} {particle}",
        " ".join(word.capitalize() for word in particle.split()) + f" {core}",
        core,
    ]
    abbreviated = {"van der": "v.d.", "van den": "v.d.", "van de": "v.d."}.get(particle.lower())
    if abbreviated:
        variants.append(f"{abbreviated} {core}")
    return variants[int(rng.integers(len(variants)))]


def _date_typo(year: int, month: int, day: int, rng: np.random.Generator) -> tuple[int, int, int]:
    which = int(rng.integers(3))
    if which == 0:
        day = day % 28 + 1 if day != 28 else 27
    elif which == 1:
        month = month % 12 + 1
        day = min(day, 28)
    else:
        year += 1 if rng.random() < 0.5 else -1
        day = min(day, 28) if month == 2 else day
    return year, month, day


_SEX_STYLES = (
    {"m": "M", "f": "V", "x": "X"},
    {"m": "man", "f": "vrouw", "x": "x"},
    {"m": "male", "f": "female", "x": "x"},
)
_DATE_STYLES = ("{y:04d}-{m:02d}-{d:02d}", "{d:02d}-{m:02d}-{y:04d}", "{d:02d}/{m:02d}/{y:04d}")


def _write_records(people: pd.DataFrame, style: int, errors: RecordErrors, rng: np.random.Generator) -> pd.DataFrame:
    n = len(people)
    nationalities = _name_tables()["nationalities"].set_index("code")
    nationality_style = (None, "dutch", "english")[style]

    last = people["last_name"].to_numpy(dtype=object).copy()
    first = people["first_name"].to_numpy(dtype=object).copy()
    birth = pd.DatetimeIndex(people["birth_date"])
    years, months, days = birth.year.to_numpy(), birth.month.to_numpy(), birth.day.to_numpy()

    for i in np.flatnonzero(rng.random(n) < errors.particle):
        last[i] = _particle_variant(last[i], rng)
    for names in (last, first):
        for i in np.flatnonzero(rng.random(n) < errors.typo):
            names[i] = _typo(names[i], rng)
    swappable = (days <= 12) & (days != months)
    swap = swappable & (rng.random(n) < errors.swap)
    months, days = np.where(swap, days, months), np.where(swap, months, days)
    dates = []
    date_typo = rng.random(n) < errors.typo
    for row in range(n):
        ymd = (int(years[row]), int(months[row]), int(days[row]))
        y, m, d = _date_typo(*ymd, rng) if date_typo[row] else ymd
        dates.append(_DATE_STYLES[style].format(y=y, m=m, d=d))

    if style == 1:
        last = np.array([name.upper() for name in last], dtype=object)
    sexes = people["sex"].map(_SEX_STYLES[style]).to_numpy(dtype=object)
    codes = people["nationality"].to_numpy()
    written = codes if nationality_style is None else nationalities.loc[codes, nationality_style].to_numpy()
    frame = pd.DataFrame(
        {
            "achternaam": last,
            "voornaam": first,
            "geboortedatum": np.array(dates, dtype=object),
            "geslacht": sexes,
            "nationaliteit": np.asarray(written, dtype=object),
        }
    )
    for column in frame.columns:
        gone = rng.random(n) < errors.missing
        frame.loc[gone, column] = None
    frame["year"] = people["year"].to_numpy()
    frame["exploitation"] = people["exploitation"].to_numpy()
    return frame
