"""Scenarios and generators of mse.simulate, checked against independent person-level draws and closed forms."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import special, stats

import mse
from mse.simulate import Scenario, cell_probabilities, generate, history_matrix

LATENT = {"kind": "latent_class", "weights": [0.6, 0.4], "multipliers": [0.3, 2.5]}


def full_scenario() -> Scenario:
    return Scenario(
        population_size=20_000,
        capture_probabilities=[0.15, 0.2, 0.25, 0.2],
        heterogeneity=LATENT,
        interactions={("A", "B"): 0.7, "B:C:D": -0.3},
        covariates={
            "sex": {"levels": ["f", "m"], "probabilities": [0.45, 0.55], "odds_ratios": [1.0, 2.0]},
            "region": {"levels": [1, 2, 3], "probabilities": [0.2, 0.3, 0.5], "odds_ratios": {"A": [1, 0.5, 2]}},
        },
        missing_covariates={"sex": {"rate": 0.1}, "region": {"rate_by_list": {"A": 0.5}}},
        non_overlapping=[("A", "D")],
        name="everything",
    )


# ---------------------------------------------------------------------------- scenario
def test_example_from_the_issue_has_default_list_names():
    s = Scenario(
        population_size=3000,
        capture_probabilities=[0.15, 0.2, 0.25, 0.2],
        heterogeneity=LATENT,
        interactions={("A", "B"): 0.7},
    )
    assert s.lists == ("A", "B", "C", "D")
    assert s.interactions == {("A", "B"): 0.7}
    assert not s.is_independent


def test_json_round_trip_of_every_field():
    s = full_scenario()
    text = s.to_json()
    json.loads(text)  # plain JSON
    back = Scenario.from_json(text)
    assert back == s
    assert hash(back) == hash(s)
    data_a, _ = generate(s, 3)
    data_b, _ = generate(back, 3)
    assert data_a.content_hash == data_b.content_hash


@settings(max_examples=25, deadline=None)
@given(
    probs=st.lists(st.floats(0.01, 0.99), min_size=2, max_size=6),
    size=st.integers(1, 10**9),
    sd=st.floats(0, 3),
)
def test_round_trip_property(probs, size, sd):
    s = Scenario(size, probs, heterogeneity={"kind": "rasch", "sd": sd})
    assert Scenario.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 0}, "population_size"),
        ({"population_size": 2.5}, "population_size"),
        ({"capture_probabilities": [0.2]}, "at least two lists"),
        ({"capture_probabilities": [0.2, 1.0]}, "strictly between 0 and 1"),
        ({"capture_probabilities": "0.2"}, "sequence"),
        ({"lists": ["A", "B", "C"]}, "one each"),
        ({"lists": ["A", "A"]}, "distinct"),
        ({"heterogeneity": {"kind": "gamma"}}, "unknown heterogeneity kind"),
        ({"heterogeneity": {"kind": "latent_class", "weights": [0.5, 0.6], "multipliers": [1, 2]}}, "add up to 1"),
        ({"heterogeneity": {"kind": "latent_class", "weights": [0.5, 0.5], "multipliers": [1]}}, "one multiplier"),
        ({"heterogeneity": {"kind": "latent_class", "weights": [0.5, 0.5], "multipliers": [1, -2]}}, "positive"),
        ({"heterogeneity": {"kind": "logit_normal", "sd": -1}}, ">= 0"),
        ({"heterogeneity": {"kind": "beta"}}, "concentration"),
        ({"interactions": {("A", "Z"): 1.0}}, "unknown list"),
        ({"interactions": {("A",): 1.0}}, "two or more distinct lists"),
        ({"interactions": {("A", "B"): float("nan")}}, "finite"),
        ({"covariates": {"sex": {"levels": ["f", "m"], "probabilities": [0.5, 0.5], "odds_ratios": [1]}}}, "one per"),
        ({"covariates": {"A": {"levels": [1], "probabilities": [1.0]}}}, "different from list names"),
        ({"missing_covariates": {"age": {"rate": 0.1}}}, "not a covariate"),
        ({"non_overlapping": [("A", "B", "B")]}, "distinct lists"),
        ({"name": 3}, "name"),
    ],
)
def test_bad_scenarios_raise_model_error_naming_the_problem(kwargs, message):
    spec = {"population_size": 100, "capture_probabilities": [0.2, 0.3], **kwargs}
    with pytest.raises(mse.ModelError, match=message):
        Scenario(**spec)


def test_unknown_field_in_a_dict_is_rejected():
    with pytest.raises(mse.ModelError, match="unknown scenario field"):
        Scenario.from_dict({"population_size": 10, "capture_probabilities": [0.2, 0.3], "lsts": ["A", "B"]})


def test_scenario_from_a_fitted_table_reproduces_its_cell_probabilities():
    rng = np.random.default_rng(0)
    expected = rng.uniform(5, 500, size=16)
    s = Scenario.from_cell_expectations(expected, lists=["W", "X", "Y", "Z"])
    assert s.population_size == round(expected.sum())
    np.testing.assert_allclose(cell_probabilities(s), expected / expected.sum(), rtol=1e-10)


# ---------------------------------------------------------------------------- generators
def test_generate_is_reproducible_and_seeds_differ():
    s = full_scenario()
    first, truth_first = generate(s, 11)
    again, truth_again = generate(s, np.random.SeedSequence(11))
    other, _ = generate(s, 12)
    assert first.content_hash == again.content_hash
    np.testing.assert_array_equal(truth_first.cell_counts, truth_again.cell_counts)
    assert first.content_hash != other.content_hash


def test_truth_accounts_for_everybody():
    data, truth = generate(full_scenario(), 5)
    assert truth.population_size == 20_000
    assert data.n_observed == truth.n_observed == truth.population_size - truth.dark_figure
    np.testing.assert_array_equal(data.dense_counts()[1:], truth.cell_counts[1:])
    assert truth.strata["population_size"].sum() == truth.population_size
    assert truth.strata["dark_figure"].sum() == truth.dark_figure
    assert cell_probabilities(full_scenario()).sum() == pytest.approx(1.0)


def _person_level_frequencies(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Histories drawn one person at a time from individual capture probabilities (people x lists)."""
    captured = rng.random(probabilities.shape) < probabilities
    t = probabilities.shape[1]
    codes = captured.astype(np.int64) @ (1 << np.arange(t - 1, -1, -1))
    return np.bincount(codes, minlength=2**t)


@pytest.mark.parametrize("kind", ["latent_class", "logit_normal", "beta"])
def test_cell_probabilities_match_people_drawn_one_by_one(kind):
    """The cell-level mixture (exact or by quadrature) against an independent person-level simulation."""
    rng = np.random.default_rng(42)
    p = np.array([0.2, 0.35, 0.5])
    n_people = 200_000
    if kind == "latent_class":
        spec = {"kind": kind, "weights": [0.7, 0.3], "multipliers": [[0.5, 0.5, 0.2], [3.0, 4.0, 6.0]]}
        classes = rng.random(n_people) < 0.3
        odds = np.where(classes[:, None], [3.0, 4.0, 6.0], [0.5, 0.5, 0.2])
        individual = special.expit(special.logit(p) + np.log(odds))
    elif kind == "logit_normal":
        spec = {"kind": kind, "sd": 1.2}
        individual = special.expit(special.logit(p) + 1.2 * rng.standard_normal((n_people, 1)))
    else:
        spec = {"kind": kind, "concentration": 1.5}
        u = rng.random((n_people, 1))
        individual = stats.beta.ppf(u, p * 1.5, (1 - p) * 1.5)
    observed = _person_level_frequencies(individual, rng)
    expected = n_people * cell_probabilities(Scenario(n_people, p, heterogeneity=spec))
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < stats.chi2.ppf(0.999, df=2**3 - 1), (observed, expected.round())


def test_generated_counts_agree_with_the_truths_cell_probabilities():
    s = full_scenario().replace(population_size=5000)
    totals = sum(generate(s, seed)[1].cell_counts for seed in range(40))
    expected = 40 * 5000 * cell_probabilities(s)
    keep = expected > 0
    chi2 = ((totals[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert chi2 < stats.chi2.ppf(0.999, df=keep.sum() - 1)
    assert totals[~keep].sum() == 0  # histories on both A and D never occur


def test_two_way_interaction_is_the_log_odds_ratio():
    s = Scenario(10**7, [0.3, 0.4], interactions={("A", "B"): 0.7})
    q = cell_probabilities(s)  # cells 00, 01, 10, 11
    assert np.log(q[0] * q[3] / (q[1] * q[2])) == pytest.approx(0.7)
    counts = generate(s, 1)[1].cell_counts
    assert np.log(counts[0] * counts[3] / (counts[1] * counts[2])) == pytest.approx(0.7, abs=0.01)


def test_covariate_odds_ratio_multiplies_capture_odds():
    s = Scenario(
        2_000_000,
        [0.2, 0.3],
        covariates={"g": {"levels": ["lo", "hi"], "probabilities": [0.5, 0.5], "odds_ratios": {"B": [1.0, 3.0]}}},
    )
    data, truth = generate(s, 2)
    frame = data.to_frame()
    for level, odds_ratio in [("lo", 1.0), ("hi", 3.0)]:
        size = truth.strata.set_index("g").loc[level, "population_size"]
        on_b = frame.loc[(frame["g"] == level) & (frame["B"] == 1), "count"].sum() / size
        on_a = frame.loc[(frame["g"] == level) & (frame["A"] == 1), "count"].sum() / size
        assert on_b == pytest.approx(special.expit(special.logit(0.3) + np.log(odds_ratio)), abs=0.003)
        assert on_a == pytest.approx(0.2, abs=0.003)


def test_missing_covariates_at_random_and_by_list():
    s = Scenario(
        1_000_000,
        [0.3, 0.4],
        covariates={
            "g": {"levels": ["x", "y"], "probabilities": [0.5, 0.5]},
            "h": {"levels": ["u", "v"], "probabilities": [0.5, 0.5]},
        },
        missing_covariates={"g": {"rate": 0.2}, "h": {"rate_by_list": {"A": 0.0, "B": 0.6}}},
    )
    frame = generate(s, 4)[0].to_frame()
    total = frame["count"].sum()
    assert frame.loc[frame["g"].isna(), "count"].sum() / total == pytest.approx(0.2, abs=0.005)
    only_b = (frame["A"] == 0) & (frame["B"] == 1)
    missing_h = frame["h"].isna()
    assert frame.loc[only_b & missing_h, "count"].sum() / frame.loc[only_b, "count"].sum() == pytest.approx(
        0.6, abs=0.01
    )
    assert frame.loc[(frame["A"] == 1) & missing_h, "count"].sum() == 0  # A always records h


def test_large_populations_and_many_lists_are_cheap():
    s = Scenario(10**12, [0.01] * 12, heterogeneity={"kind": "logit_normal", "sd": 1.0})
    data, truth = generate(s, 0)
    assert data.n_observed == truth.n_observed > 0
    assert truth.cell_counts.sum() == 10**12


def test_nobody_observed_is_a_data_error():
    with pytest.raises(mse.DataError, match="no observed people"):
        generate(Scenario(1, [0.001, 0.001]), 0)


def test_history_matrix_orders_cells_like_dense_counts():
    data = mse.CaptureData.from_patterns({"110": 5, "001": 7}, lists=["A", "B", "C"])
    dense = data.dense_counts()
    rows = history_matrix(3)
    assert dense[6] == 5 and tuple(rows[6]) == (1, 1, 0)
    assert dense[1] == 7 and tuple(rows[1]) == (0, 0, 1)


def test_generate_rejects_something_that_is_not_a_scenario():
    with pytest.raises(mse.ModelError, match="Scenario"):
        generate({"population_size": 10}, 0)


@settings(max_examples=20, deadline=None)
@given(
    probs=st.lists(st.floats(0.05, 0.9), min_size=3, max_size=5),
    interaction=st.floats(-2, 2),
    sd=st.floats(0, 2),
    seed=st.integers(0, 2**16),
)
def test_relabelling_lists_permutes_the_cells(probs, interaction, sd, seed):
    """The model does not depend on the order of the lists: reversing them reverses every history."""
    t = len(probs)
    names = [f"L{i}" for i in range(t)]
    forward = Scenario(
        1000,
        probs,
        lists=names,
        interactions={(names[0], names[1]): interaction},
        heterogeneity={"kind": "logit_normal", "sd": sd},
    )
    backward = Scenario(
        1000,
        probs[::-1],
        lists=names[::-1],
        interactions={(names[1], names[0]): interaction},
        heterogeneity={"kind": "logit_normal", "sd": sd},
    )
    reversed_codes = history_matrix(t)[:, ::-1] @ (1 << np.arange(t - 1, -1, -1))
    np.testing.assert_allclose(cell_probabilities(backward)[reversed_codes], cell_probabilities(forward), rtol=1e-10)
    data, _ = generate(forward, seed)
    assert data.n_observed <= 1000


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"capture_probabilities": [0.3, 0.4]}, r"needs the field\(s\) \['population_size'\]"),
        ({"population_size": 100}, r"needs the field\(s\) \['capture_probabilities'\]"),
        ({"population_size": 1e30, "capture_probabilities": [0.3, 0.4]}, r"at most 2\*\*62"),
        ({"population_size": 2**63, "capture_probabilities": [0.3, 0.4]}, r"at most 2\*\*62"),
    ],
)
def test_a_scenario_without_a_field_or_too_large_is_a_model_error(spec, match):
    """A missing population_size raised TypeError, and 1e30 an OverflowError from the generator."""
    with pytest.raises(mse.ModelError, match=match):
        Scenario.from_dict(spec)
    with pytest.raises(mse.ModelError, match=match):
        Scenario.from_json(json.dumps(spec))


def test_a_scenario_that_is_not_json_is_a_model_error():
    with pytest.raises(mse.ModelError, match="must be JSON"):
        Scenario.from_json("{population_size: 1000")
