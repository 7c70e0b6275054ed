"""Token frames of synthetic people, made exactly as the linkage contract says, for testing ``mse.linkage.link``.

People with a first and last name, a date of birth, sex and nationality are
put on each list at random; each record may carry a typing error in a name,
a day-month swap in the date of birth, or a missing field. Each list is then
pseudonymised as :func:`mse.linkage.pseudonymise` does it: the first 128 bits
of HMAC-SHA256(key, "<field>\\x1f<value>") as 32 hexadecimal characters, and
record ids ``"<list>:<16 hex>"`` keyed on the list name and row position.
The phonetic code is American Soundex (Knuth, *The Art of Computer
Programming*, vol. 3, 1973, p. 392), enough to give names with a typing error
a second chance.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Sequence

import pandas as pd

FIRST = (
    "jan piet klaas anna maria sanne lotte emma daan sem lucas finn julia eva tess noah liam mila saar bram "
    "ruben thijs lars femke iris roos nina max jesse tim sophie fleur milan levi luuk jens zoe lisa ahmed fatima"
).split()
LAST = (
    "jansen devries bakker visser smit meijer deboer mulder degroot bos vos peters hendriks vanleeuwen dekker "
    "brouwer dewit dijkstra smits degraaf vandermeer kok jacobs dehaan vermeulen vandenberg vandijk schouten "
    "vanderlinden hoekstra yilmaz kaya nowak popescu okafor ivanova kowalski santos bulut demir"
).split()
# Surnames the way registers have them: many, a few of them common (a base name and its variants).
SURNAMES = tuple(base + ending for base in LAST for ending in ("", "s", "ink", "stra", "man"))
NATIONALITIES = ("NL", "RO", "PL", "NG", "BG", "HU", "CN", "VN")
KEY = b"a secret key shared by the agencies"


def token(key: bytes, field: str, value: str | None) -> str | None:
    """The contract's token of one normalised value: 32 hex characters, or None for a missing one."""
    if value is None or value == "":
        return None
    return hmac.new(key, f"{field}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:32]


def soundex(name: str) -> str:
    """American Soundex: the first letter and three digits for the following consonant sounds."""
    groups = ("aeiouyhw", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r")
    codes = {c: str(d) for d, letters in enumerate(groups) for c in letters}
    letters = [c for c in name.lower() if c.isalpha()]
    if not letters:
        return ""
    digits = []
    previous = codes.get(letters[0], "")
    for c in letters[1:]:
        code = codes.get(c, "")
        if code != "0" and code != previous:
            digits.append(code)
        if c not in "hw":  # h and w do not separate equal codes; vowels do
            previous = code
    return (letters[0] + "".join(digits) + "000")[:4]


def typo(rng: random.Random, word: str) -> str:
    """One substitution, deletion or transposition of adjacent letters, not in the first letter."""
    if len(word) < 3:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz".replace(word[i], "")) + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def population(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "person": i,
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(SURNAMES),
            "year": rng.randint(1955, 2006),
            "month": rng.randint(1, 12),
            "day": rng.randint(1, 28),
            "sex": rng.choice("fm"),
            "nationality": rng.choice(NATIONALITIES),
        }
        for i in range(n)
    ]


def tokens_of(record: dict[str, object], key: bytes) -> dict[str, str | None]:
    first, last = record["first_name"], record["last_name"]
    year, month, day = record["year"], record["month"], record["day"]
    date = None if year is None else f"{year:04d}-{month:02d}-{day:02d}"
    low, high = sorted((month, day)) if year is not None else (None, None)
    return {
        "token_last_name": token(key, "last_name", last),
        "token_last_name_phonetic": token(key, "last_name_phonetic", soundex(last) if last else None),
        "token_first_name": token(key, "first_name", first),
        "token_first_name_phonetic": token(key, "first_name_phonetic", soundex(first) if first else None),
        "token_first_initial": token(key, "first_initial", first[0] if first else None),
        "token_birth_date": token(key, "birth_date", date),
        "token_birth_date_unordered": token(
            key, "birth_date_unordered", None if year is None else f"{year:04d}-{low:02d}-{high:02d}"
        ),
        "token_birth_year": token(key, "birth_year", None if year is None else str(year)),
        "token_sex": token(key, "sex", record["sex"]),
        "token_nationality": token(key, "nationality", record["nationality"]),
    }


def token_frames(
    n: int = 300,
    lists: Sequence[str] = ("A", "B", "C"),
    *,
    capture: float = 0.5,
    typo_rate: float = 0.03,
    swap_rate: float = 0.03,
    missing_rate: float = 0.02,
    seed: int = 0,
    key: bytes = KEY,
    keep_year: bool = False,
) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    """Pseudonymised frames of ``n`` people seen on each list with probability ``capture``; and the truth.

    Returns the frames (list name -> frame) and a Series from record id to the
    person the record is of. With ``keep_year`` each frame keeps a clear
    covariate ``year_of_registration``.
    """
    rng = random.Random(seed + 1)
    people = population(n, seed)
    frames: dict[str, pd.DataFrame] = {}
    truth: dict[str, int] = {}
    for name in lists:
        rows = []
        for person in people:
            if rng.random() >= capture:
                continue
            record = dict(person)
            if rng.random() < typo_rate:
                record["last_name"] = typo(rng, str(record["last_name"]))
            if rng.random() < typo_rate:
                record["first_name"] = typo(rng, str(record["first_name"]))
            if rng.random() < swap_rate and int(record["day"]) <= 12:
                record["month"], record["day"] = record["day"], record["month"]
            if rng.random() < missing_rate:
                record["year"] = None
            if rng.random() < missing_rate:
                record["first_name"] = None
            position = len(rows)
            keyed = hmac.new(key, f"{name}\x1f{position}".encode(), hashlib.sha256).hexdigest()[:16]
            record_id = f"{name}:{keyed}"
            row = {"record_id": record_id, "list": name, **tokens_of(record, key)}
            if keep_year:
                row["year_of_registration"] = 2015 + rng.randrange(5)
            rows.append(row)
            truth[record_id] = int(person["person"])  # type: ignore[call-overload]
        frames[name] = pd.DataFrame(rows)
    return frames, pd.Series(truth, name="person")


def link_quality(pairs: pd.DataFrame, truth: pd.Series, threshold: float = 0.5) -> tuple[float, float]:
    """Precision and recall of the links (pairs at or above ``threshold``) against the true pairs of people."""
    linked = pairs[pairs["match_probability"] >= threshold]
    same = truth.loc[linked["record_id_l"]].to_numpy() == truth.loc[linked["record_id_r"]].to_numpy()
    sizes = truth.value_counts()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    precision = float(same.mean()) if len(linked) else 1.0
    recall = float(same.sum()) / true_pairs if true_pairs else 1.0
    return precision, recall
