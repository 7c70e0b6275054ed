"""Simulated agency records: the truth they keep apart, their error rates, reproducibility."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mse
from mse.linkage import RecordErrors, SimulatedRecords, pseudonymise, simulate_records
from mse.linkage.normalise import normalise_birth_date, normalise_last_name, normalise_nationality, normalise_sex
from mse.linkage.synthetic import _PARTICLE_PATTERN, COVARIATES, RECORD_FIELDS

CAPTURE = {"police": 0.4, "inspectorate": 0.3, "shelter": 0.35}


def _pairs(sim: SimulatedRecords, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A list's records and, row for row, the true values of the people behind them."""
    truth = sim.truth[sim.truth["list"] == name].sort_values("row")
    people = sim.people.set_index("person_id").loc[truth["person_id"].to_numpy()].reset_index()
    return sim.frames[name], people


def test_frames_hold_records_not_people() -> None:
    sim = simulate_records(2000, CAPTURE, random_seed=1)
    assert sim.population == 2000 and sim.lists == tuple(CAPTURE)
    for name, frame in sim.frames.items():
        assert list(frame.columns) == [*RECORD_FIELDS.values(), *COVARIATES]
        assert "person_id" not in frame.columns and "person_id" not in (frame.index.name or "")
        assert isinstance(frame.index, pd.RangeIndex)
        rows = sim.truth[sim.truth["list"] == name]
        assert sorted(rows["row"]) == list(range(len(frame)))
        # the rows are not in the order of the people
        assert not rows["person_id"].is_monotonic_increasing
    assert list(sim.truth.columns) == ["list", "row", "person_id"]
    assert sim.fields == RECORD_FIELDS and sim.covariates == COVARIATES


def test_true_data_are_the_histories_of_the_registered() -> None:
    sim = simulate_records(3000, CAPTURE, random_seed=2)
    registered = sim.people[list(CAPTURE)].to_numpy().any(axis=1)
    assert sim.true_data.n_observed == registered.sum() == sim.truth["person_id"].nunique()
    assert sim.true_data.lists == tuple(CAPTURE)
    for name in CAPTURE:
        assert sim.people[name].sum() == len(sim.frames[name])
    # capture probabilities as asked (binomial standard error about 0.009 at N = 3000)
    for name, p in CAPTURE.items():
        assert abs(sim.people[name].mean() - p) < 0.04
    # an independence model on the error-free table finds N within its interval
    estimate = mse.estimate(sim.true_data, "independence")
    assert estimate.lower <= sim.population <= estimate.upper


def test_heterogeneity_puts_the_same_people_on_several_lists() -> None:
    capture = {"a": 0.3, "b": 0.3}
    independent = simulate_records(20000, capture, random_seed=13).people
    dependent = simulate_records(20000, capture, heterogeneity=1.5, random_seed=13).people
    # independent lists: correlation within sampling error (about 1/sqrt(20000) = 0.007)
    assert abs(np.corrcoef(independent["a"], independent["b"])[0, 1]) < 0.03
    assert np.corrcoef(dependent["a"], dependent["b"])[0, 1] > 0.1
    # p is the probability of a person of median catchability: the mean moves towards 1/2
    assert 0.3 < dependent["a"].mean() < 0.4
    with pytest.raises(mse.DataError, match="heterogeneity"):
        simulate_records(100, capture, heterogeneity=-1, random_seed=1)
    everyone = simulate_records(500, {"a": 1.0, "b": 0.5}, heterogeneity=2.0, random_seed=1)
    assert len(everyone.frames["a"]) == 500


def test_same_seed_same_records_other_seed_other_records() -> None:
    errors = RecordErrors(typo=0.1, missing=0.05, swap=0.05, particle=0.2)
    first = simulate_records(800, CAPTURE, errors=errors, random_seed=11)
    again = simulate_records(800, CAPTURE, errors=errors, random_seed=11)
    other = simulate_records(800, CAPTURE, errors=errors, random_seed=12)
    for name in CAPTURE:
        pd.testing.assert_frame_equal(first.frames[name], again.frames[name])
        assert not first.frames[name].equals(other.frames[name])
    pd.testing.assert_frame_equal(first.truth, again.truth)
    pd.testing.assert_frame_equal(first.people, again.people)
    assert first.random_seed == 11


def test_without_errors_every_record_reads_as_its_person() -> None:
    sim = simulate_records(1500, CAPTURE, random_seed=3)
    for name in CAPTURE:
        frame, people = _pairs(sim, name)
        assert [normalise_last_name(v) for v in frame["achternaam"]] == [
            normalise_last_name(v) for v in people["last_name"]
        ]
        assert (frame["voornaam"] == people["first_name"]).all()
        dates = [normalise_birth_date(v) for v in frame["geboortedatum"]]
        assert dates == [(d.year, d.month, d.day) for d in people["birth_date"]]
        assert [normalise_sex(v) for v in frame["geslacht"]] == people["sex"].tolist()
        assert [normalise_nationality(v) for v in frame["nationaliteit"]] == people["nationality"].tolist()
        assert (frame["year"].to_numpy() == people["year"].to_numpy()).all()


# Rates are checked within 4 binomial standard errors of the number of records compared.
def _within(observed: float, rate: float, n: int) -> bool:
    return abs(observed - rate) <= 4 * np.sqrt(rate * (1 - rate) / n) + 1e-12


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_missing_rate(rate: float) -> None:
    sim = simulate_records(6000, CAPTURE, errors=RecordErrors(missing=rate), random_seed=4)
    frames = pd.concat(sim.frames.values())
    for column in RECORD_FIELDS.values():
        assert _within(frames[column].isna().mean(), rate, len(frames)), column
    assert frames[list(COVARIATES)].notna().all().all()


def test_typo_rate_of_names_and_dates() -> None:
    rate = 0.1
    sim = simulate_records(6000, CAPTURE, errors=RecordErrors(typo=rate), random_seed=5)
    changed = {"last": [], "first": [], "date": []}
    for name in CAPTURE:
        frame, people = _pairs(sim, name)
        changed["last"] += list(frame["achternaam"].str.lower() != people["last_name"].str.lower())
        changed["first"] += list(frame["voornaam"] != people["first_name"])
        true_dates = [(d.year, d.month, d.day) for d in people["birth_date"]]
        changed["date"] += [
            normalise_birth_date(v) != t for v, t in zip(frame["geboortedatum"], true_dates, strict=True)
        ]
    for field, flags in changed.items():
        assert _within(float(np.mean(flags)), rate, len(flags)), field


def test_swap_rate_among_dates_that_can_be_swapped() -> None:
    rate = 0.3
    sim = simulate_records(6000, CAPTURE, errors=RecordErrors(swap=rate), random_seed=6)
    swapped, other_change = [], 0
    for name in CAPTURE:
        frame, people = _pairs(sim, name)
        for written, true in zip(frame["geboortedatum"], people["birth_date"], strict=True):
            read = normalise_birth_date(written)
            if true.day <= 12 and true.day != true.month:
                swapped.append(read == (true.year, true.day, true.month))
            else:
                other_change += read != (true.year, true.month, true.day)
    assert other_change == 0
    assert _within(float(np.mean(swapped)), rate, len(swapped))


def test_particle_rate_and_that_it_keeps_the_surname_core() -> None:
    rate = 0.5
    sim = simulate_records(6000, CAPTURE, errors=RecordErrors(particle=rate), random_seed=8)
    for name in CAPTURE:
        frame, people = _pairs(sim, name)
        for written, true in zip(frame["achternaam"], people["last_name"], strict=True):
            assert normalise_last_name(written) == normalise_last_name(true)
    # The rate is checked on the first list, which keeps the case of a surname as written (the
    # second upper-cases every surname, so "Van Den Berg" for "van den Berg" is no change there).
    frame, people = _pairs(sim, "police")
    has_particle = people["last_name"].map(lambda name: _PARTICLE_PATTERN.match(name) is not None).to_numpy()
    share = float(np.mean(frame["achternaam"].to_numpy()[has_particle] != people["last_name"].to_numpy()[has_particle]))
    assert has_particle.sum() > 200
    assert _within(share, rate, int(has_particle.sum()))


def test_names_have_a_long_tail_and_common_names() -> None:
    sim = simulate_records(20000, {"a": 0.5, "b": 0.5}, random_seed=9)
    dutch = sim.people[sim.people["nationality"] == "NL"]
    counts = dutch["last_name"].value_counts()
    assert counts.index[0] in {"de Jong", "Jansen", "de Vries"}
    assert 0.004 < counts.iloc[0] / len(dutch) < 0.02  # the commonest surname: about 1 in 120
    assert counts.size > 0.5 * len(dutch)  # most surnames are rare
    assert set(sim.people["nationality"]) == {"NL", "RO", "BG", "HU", "PL", "NG", "UG", "ER", "UA", "VN", "MA"}
    assert set(sim.people["sex"]) == {"f", "m", "x"}
    ages = sim.people["year"] - pd.DatetimeIndex(sim.people["birth_date"]).year
    assert ages.between(10, 80).all()


def test_pseudonymised_records_of_one_person_share_tokens() -> None:
    sim = simulate_records(600, CAPTURE, random_seed=10)
    key = b"0123456789abcdef0123456789abcdef"
    tokens = {
        name: pseudonymise(frame, key=key, fields=sim.fields, list_name=name, keep=list(sim.covariates))
        for name, frame in sim.frames.items()
    }
    joined = {}
    for name, frame in tokens.items():
        truth = sim.truth[sim.truth["list"] == name].sort_values("row")
        joined[name] = frame.assign(person_id=truth["person_id"].to_numpy()).set_index("person_id")
    both = joined["police"].merge(joined["shelter"], left_index=True, right_index=True, suffixes=("_l", "_r"))
    assert len(both) > 30
    for column in ("token_last_name", "token_first_name", "token_birth_date", "token_sex", "token_nationality"):
        assert (both[f"{column}_l"] == both[f"{column}_r"]).all(), column


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"population": 0}, "positive whole number"),
        ({"population": 10.5}, "positive whole number"),
        ({"capture": {"a": 0.5}}, "at least two"),
        ({"capture": {"a": 0.5, "b": 1.5}}, r"\(0, 1\]"),
        ({"capture": {"a": 0.5, "b": 0}}, r"\(0, 1\]"),
        ({"errors": {"typo": 0.1}}, "RecordErrors"),
    ],
)
def test_bad_arguments(arguments: dict[str, object], match: str) -> None:
    call: dict[str, object] = {"population": 100, "capture": {"a": 0.5, "b": 0.5}, "random_seed": 1}
    call.update(arguments)
    with pytest.raises(mse.DataError, match=match):
        simulate_records(**call)  # type: ignore[arg-type]


def test_a_bad_seed_is_a_model_error() -> None:
    with pytest.raises(mse.ModelError):
        simulate_records(100, {"a": 0.5, "b": 0.5}, random_seed=-1)


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.1", True])
def test_error_rates_are_probabilities(bad: object) -> None:
    with pytest.raises(mse.DataError, match="probability"):
        RecordErrors(typo=bad)  # type: ignore[arg-type]


def test_records_pseudonymise_without_warnings() -> None:
    sim = simulate_records(
        1000, CAPTURE, errors=RecordErrors(typo=0.1, missing=0.1, swap=0.1, particle=0.3), random_seed=12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, frame in sim.frames.items():
            pseudonymise(frame, key=b"k" * 32, fields=sim.fields, list_name=name, keep=list(sim.covariates))
