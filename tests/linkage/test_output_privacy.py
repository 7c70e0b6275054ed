"""No clear identifier and no token leaves the pipeline: records -> tokens -> linkage -> table -> estimate -> report.

Agencies' simulated records go through :func:`mse.linkage.pseudonymise`,
:func:`mse.linkage.link`, :meth:`mse.CaptureData.from_linked`,
:func:`mse.estimate` with each linkage correction, ``Estimate.save`` and
:func:`mse.report.build_report`. Every text these produce is searched for

- every name as written, every word of a name of four or more characters,
  every normalised name and phonetic code (whole words, any case);
- every date of birth as written and in the usual formats (ISO, day-month-year
  with ``-``, ``/``, ``.`` or nothing between, month/day/year);
- every sex and nationality as written (four characters or more);
- every token, and (outside the linkage result, whose records and pairs are
  keyed by them) every record id.

Words that the library prints whatever the data (the authors it cites, such
as Bakker, a common Dutch surname) are found by making the same outputs from
a linkage built by hand from record ids alone; a word in those outputs cannot
have come from a name.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pytest

import mse
from mse.linkage import LinkageResult, RecordErrors, link, pseudonymise, simulate_records
from mse.linkage.normalise import normalise_birth_date, normalise_first_name, normalise_last_name
from mse.linkage.phonetic import phonetic_code
from mse.linkage.pseudonymise import TOKEN_COLUMNS
from mse.linkage.synthetic import COVARIATES, RECORD_FIELDS

pytest.importorskip("splink")

KEY = bytes(range(32))
CORRECTIONS = ("review", "rates", "resample", "ignore")


def _outputs(linked: mse.CaptureData, tmp_path: Path) -> dict[str, str]:
    """Every text a user can get from a linked table: the table's, each estimate's, its saved file and reports."""
    texts = {
        "LinkedCaptureData.to_frame": linked.to_frame().to_csv(),
        "LinkedCaptureData.summary": linked.summary(),
        "LinkedCaptureData.repr": repr(linked),
    }
    policy = mse.DisclosurePolicy(suppress_below=10, round_to=5)
    for correction in CORRECTIONS:
        draws = {"linkage_draws": 5} if correction == "resample" else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mse.MSEWarning)
            result = mse.estimate(linked, "independence", linkage_error=correction, random_seed=1, **draws)
        path = tmp_path / f"{correction}.json"
        result.save(path)
        published = tmp_path / f"{correction}-published.json"
        result.save(published, policy=policy)
        texts.update(
            {
                f"Estimate({correction}).summary": result.summary(),
                f"Estimate({correction}).summary(policy)": result.summary(policy=policy),
                f"Estimate({correction})._repr_html_": result._repr_html_(),
                f"Estimate({correction}).to_json": result.to_json(),
                f"Estimate({correction}).save": path.read_text(encoding="utf-8"),
                f"Estimate({correction}).save(policy)": published.read_text(encoding="utf-8"),
                f"report({correction})": _page(mse.report.build_report(result, linked)),
                f"report({correction}, policy)": _page(mse.report.build_report(result, linked, policy=policy)),
            }
        )
    return texts


def _page(report: mse.report.Report) -> str:
    # the embedded figures are base64, which spells any short word somewhere
    return re.sub(r'src="data:image/png;base64,[^"]*"', "", report.to_html())


def _linkage_texts(result: LinkageResult) -> dict[str, str]:
    return {
        "LinkageResult.records": result.records.to_csv(),
        "LinkageResult.pairs": result.pairs.to_csv(),
        "LinkageResult.parameters": repr(result.parameters),
        "LinkageResult.metadata": repr(result.metadata),
        "LinkageResult.repr": repr(result),
        "LinkageResult.review": "" if result.review is None else result.review.to_csv(),
    }


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """The simulated agencies, their tokens, the linkage and every output text, and the library's fixed words."""
    sim = simulate_records(
        600,
        {"police": 0.35, "inspectorate": 0.25, "shelter": 0.3},
        errors=RecordErrors(typo=0.05, missing=0.03, swap=0.03, particle=0.2),
        random_seed=11,
    )
    frames = {
        name: pseudonymise(frame, key=KEY, fields=RECORD_FIELDS, list_name=name, keep=COVARIATES)
        for name, frame in sim.frames.items()
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        result = link(frames, random_seed=1)
    # a clerical review of a sample: its answers are record ids, which stay in the linkage result
    result = result.with_review(sim.clerical_review(result.review_sample(40, random_seed=2), frames))
    linked = mse.CaptureData.from_linked(result)
    texts = {**_linkage_texts(result), **_outputs(linked, tmp_path_factory.mktemp("named"))}

    # the same outputs from a linkage of the same shape made without any name
    renamed = dict(zip(result.records["record_id"], _ids(result)))
    nameless = LinkageResult(
        result.records[["record_id", "list"]].assign(record_id=lambda r: [f"r{i}" for i in range(len(r))]),
        result.pairs.assign(
            record_id_l=result.pairs["record_id_l"].map(renamed),
            record_id_r=result.pairs["record_id_r"].map(renamed),
        ),
        lists=result.lists,
        review=result.review.assign(
            record_id=result.review["record_id"].map(renamed),
            matches=[tuple(renamed[m] for m in found) for found in result.review["matches"]],
        ),
    )
    fixed = {
        **_linkage_texts(nameless),
        **_outputs(mse.CaptureData.from_linked(nameless), tmp_path_factory.mktemp("x")),
    }
    return sim, frames, result, texts, {"library": " ".join(fixed.values())}


def _ids(result: LinkageResult) -> list[str]:
    return [f"r{i}" for i in range(result.n_records)]


def _name_words(sim) -> set[str]:
    """Names as written, their words of four or more characters, the normalised names and their phonetic codes."""
    words: set[str] = set()
    for frame in sim.frames.values():
        for column in ("achternaam", "voornaam"):
            for value in frame[column].dropna().astype(str):
                words.add(value.lower())
                words.update(w for w in re.findall(r"[^\W\d_]+", value.lower()) if len(w) >= 4)
        for value in frame["achternaam"].dropna():
            core = normalise_last_name(value)
            if core:
                words.update({core, phonetic_code(core).lower()})
        for value in frame["voornaam"].dropna():
            first = normalise_first_name(value)
            if first:
                words.update({first[0], first[1], phonetic_code(first[1]).lower()})
        for column in ("geslacht", "nationaliteit"):
            words.update(v.lower() for v in frame[column].dropna().astype(str))
    for column in ("last_name", "first_name"):
        for value in sim.people[column].astype(str):
            words.add(value.lower())
            words.update(w for w in re.findall(r"[^\W\d_]+", value.lower()) if len(w) >= 4)
    return {w for w in words if len(w) >= 4}


def _date_pattern(sim) -> tuple[re.Pattern[str], int]:
    """Every date of birth, true or as written, in the formats a date is written in."""
    dates: set[tuple[int, int, int]] = set()
    written: set[str] = set()
    for frame in sim.frames.values():
        for value in frame["geboortedatum"].dropna().astype(str):
            written.add(value)
            parsed = normalise_birth_date(value)
            if isinstance(parsed, tuple) and parsed[1]:
                dates.add(parsed)
    for value in pd.to_datetime(sim.people["birth_date"]):
        dates.add((value.year, value.month, value.day))
    texts = set(written)
    for y, m, d in dates:
        texts.update(
            {
                f"{y:04d}-{m:02d}-{d:02d}",
                f"{d:02d}-{m:02d}-{y:04d}",
                f"{d:02d}/{m:02d}/{y:04d}",
                f"{d:02d}.{m:02d}.{y:04d}",
                f"{m:02d}/{d:02d}/{y:04d}",
                f"{d}-{m}-{y}",
                f"{d}/{m}/{y}",
                f"{y:04d}{m:02d}{d:02d}",
                f"{d:02d}{m:02d}{y:04d}",
            }
        )
    # a date only where it stands alone: not inside a longer number or a hash
    either = "|".join(re.escape(text) for text in sorted(texts, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{either})(?![\w]|\.\d)"), len(texts)


def _found(texts: dict[str, str], needles: Iterable[str]) -> dict[str, list[str]]:
    """Where each needle stands as a whole word (or words), in any case."""
    patterns = {n: re.compile(rf"(?<![^\W_]){re.escape(n)}(?![^\W_])") for n in set(needles)}
    hits: dict[str, list[str]] = {}
    for where, text in texts.items():
        lower = text.lower()
        found = sorted(n for n, pattern in patterns.items() if n in lower and pattern.search(lower))
        if found:
            hits[where] = found[:10]
    return hits


def test_no_name_leaves_the_pipeline(pipeline):
    sim, _, _, texts, library = pipeline
    names = _name_words(sim)
    names -= set(_found(library, names).get("library", []))
    assert len(names) > 300  # the check has something to find
    assert _found(texts, names) == {}


def test_no_date_of_birth_leaves_the_pipeline(pipeline):
    sim, _, _, texts, _ = pipeline
    pattern, n_dates = _date_pattern(sim)
    assert n_dates > 1000
    hits = {where: pattern.findall(text)[:5] for where, text in texts.items()}
    assert {where: found for where, found in hits.items() if found} == {}


def test_no_token_leaves_the_pipeline(pipeline):
    _, frames, _, texts, _ = pipeline
    tokens = {
        value
        for frame in frames.values()
        for column in TOKEN_COLUMNS
        if column in frame
        for value in frame[column].dropna()
    }
    assert len(tokens) > 1000
    hits = {where: sorted(tokens.intersection(re.findall(r"[0-9a-f]{32}", text)))[:3] for where, text in texts.items()}
    assert {where: found for where, found in hits.items() if found} == {}


def test_record_ids_stay_in_the_linkage_result(pipeline):
    _, frames, result, texts, _ = pipeline
    ids = set(result.records["record_id"])
    assert ids == {i for frame in frames.values() for i in frame["record_id"]}
    assert set(result.pairs["record_id_l"]) | set(result.pairs["record_id_r"]) <= ids
    outside = {where: text for where, text in texts.items() if not where.startswith("LinkageResult.")}
    pattern = re.compile(r"(?:police|inspectorate|shelter):[0-9a-f]{16}")
    assert {where: pattern.findall(text)[:3] for where, text in outside.items() if pattern.search(text)} == {}


def test_the_linkage_result_holds_record_ids_and_aggregates_only(pipeline):
    result = pipeline[2]
    assert sorted(result.records.columns) == sorted(["record_id", "list", "cluster", *COVARIATES])
    assert sorted(result.pairs.columns) == ["match_probability", "record_id_l", "record_id_r"]
    # the review keeps the reviewers' answers as record ids, nothing they looked at
    assert list(result.review.columns) == ["record_id", "list", "matches"]
    assert set(result.parameters) == {"probability_two_random_records_match", "comparisons"}
    for levels in result.parameters["comparisons"].values():
        for level in levels:
            assert set(level) == {"level", "m_probability", "u_probability"}
    # the metadata name the token columns and hash them all together; no token, no value
    assert all(not isinstance(v, str) or not re.fullmatch(r"[0-9a-f]{32}", v) for v in result.metadata.values())


def test_the_checks_would_see_a_leak(pipeline):
    sim, frames, _, _, library = pipeline
    names = _name_words(sim)
    names -= set(_found(library, names).get("library", []))
    person = sim.people.iloc[0]
    words = [w for w in re.findall(r"[^\W\d_]+", str(person["last_name"])) if w.lower() in names]
    leaked = {"leak": f"Name: {' '.join(words) or person['last_name']}, born {person['birth_date']}"}
    assert _found(leaked, names)
    assert _date_pattern(sim)[0].search(leaked["leak"])
    token = next(iter(frames["police"]["token_last_name"].dropna()))
    assert token in re.findall(r"[0-9a-f]{32}", f"x {token} y")
