"""Estimates that account for linkage errors (mse.linkage.correction), checked without Splink.

The simulations draw people on lists with known capture probabilities, make
one record per person and list, and score candidate pairs with match
probabilities from a calibrated model: true matches get ``p ~ Beta(c + 1, d)``
and ``round(M d / c)`` non-matching pairs get ``p ~ Beta(c, d + 1)``, so that
the share of true matches among pairs with probability ``p`` is ``p``.
Missed links (true matches below the threshold) and false links (non-matches
above it) then occur at known expected rates.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy import stats

import mse
from mse.linkage import LinkageResult
from mse.linkage.correction import (
    DEFAULT_LINKAGE_DRAWS,
    _child_seeds,
    linkage_mixing,
    rates_fit,
    rubin_combine,
    two_list_rates_estimate,
)
from mse.linkage.scored_linkage import simulate_linkage
from mse.result_schema import contract_problems

LISTS = ("A", "B", "C")


def simulate_two_lists(seed, n_people=2000, capture=(0.4, 0.5), c=0.5, d=0.2):
    """Two lists, each record in one candidate pair at most: the assumptions of ``"resample"`` hold exactly."""
    return simulate_linkage(n_people, capture, c=c, d=d, one_to_one=True, lists=("A", "B"), random_seed=seed)


def simulate_three_lists(seed, n_people=1500, capture=(0.3, 0.35, 0.4), c=0.2, d=0.2):
    """Three lists; non-matches between people on ``a`` but not ``b`` and on ``b`` but not ``a``."""
    return simulate_linkage(n_people, capture, c=c, d=d, lists=LISTS, random_seed=seed)


def _estimate(linkage, method="independence", **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the heterogeneity check speaks of linkage errors too
        return mse.estimate(mse.CaptureData.from_linked(linkage), method, **options)


# ---------------------------------------------------------------------- the closed form
@pytest.mark.parametrize("alpha, beta", [(1.0, 0.0), (0.9, 0.02), (0.75, 0.1), (0.95, 0.0)])
def test_rates_model_for_two_lists_is_the_closed_form(alpha, beta):
    # observed cells 01, 10, 11 (the order of dense_counts()[1:])
    only_b, only_a, m = 60.0, 40.0, 50.0
    fit = rates_fit(np.array([only_b, only_a, m]), [], np.full((2, 2), alpha), np.full((2, 2), beta))
    n_a, n_b = only_a + m, only_b + m
    assert fit.status == "ok"
    assert fit.estimate == pytest.approx(two_list_rates_estimate(n_a, n_b, m, alpha, beta), rel=1e-9)
    assert fit.estimate == pytest.approx(n_a * n_b * (alpha - beta) / (m - n_b * beta), rel=1e-9)


def test_rates_correction_through_estimate_is_the_closed_form_of_the_linkage_rates():
    linkage = simulate_two_lists(7)
    res = _estimate(linkage, linkage_error="rates")
    rates = linkage.error_rates().iloc[0]
    table = mse.CaptureData.from_linked(linkage).pattern_counts()
    m = table["11"]
    n_a, n_b = m + table["10"], m + table["01"]
    assert 0.8 < rates["alpha"] < 0.99 and 0.0 < rates["beta"] < 0.3
    expected = n_a * n_b * (rates["alpha"] - rates["beta"]) / (m - n_b * rates["beta"])
    assert res.estimate == pytest.approx(expected, rel=1e-9)
    assert res.lower < res.estimate < res.upper and res.interval_method == "wald"
    assert res.details["linkage"]["correction"] == "rates"


def test_rates_model_without_errors_is_the_loglinear_fit():
    data = mse.load_dataset("korea")
    counts = np.asarray(data.dense_counts()[1:], dtype=float)
    for model, terms in (("independence", []), ("b:c", [(0, 1)]), ("b:c + c:d", [(0, 1), (1, 2)])):
        plain = mse.estimate(data, "loglinear", model=model, interval="wald")
        fit = rates_fit(counts, terms, np.ones((3, 3)), np.zeros((3, 3)))
        assert fit.estimate == pytest.approx(plain.estimate, rel=1e-8)
        assert fit.estimate * fit.se_log == pytest.approx(plain.se, rel=1e-6)


def test_linkage_mixing_by_hand():
    a = 0.8
    mixing = linkage_mixing(np.full((3, 3), a))
    # a person on all three lists is one record when the triangle of links is connected
    assert mixing[0b111 - 1, 0b111] == pytest.approx(a**3 + 3 * a**2 * (1 - a))
    # ... and shows as A alone when both links of A are missed: (1 - a)^2
    assert mixing[0b100 - 1, 0b111] == pytest.approx((1 - a) ** 2)
    # records are neither made nor lost: sum over g of |g| * E[components g] = |h|
    sizes = np.array([bin(g).count("1") for g in range(1, 8)])
    assert sizes @ mixing == pytest.approx(np.array([0] + [bin(h).count("1") for h in range(1, 8)]))
    assert np.array_equal(linkage_mixing(np.ones((3, 3))), np.hstack([np.zeros((7, 1)), np.eye(7)]))


# ---------------------------------------------------------------------- Rubin's rules
def test_rubin_rules_by_hand():
    q = [math.log(100.0), math.log(110.0), math.log(130.0)]
    u = [0.010, 0.020, 0.015]
    mean = (q[0] + q[1] + q[2]) / 3
    within = 0.015
    between = sum((x - mean) ** 2 for x in q) / 2
    total = within + (1 + 1 / 3) * between
    df = 2 * (1 + within / ((1 + 1 / 3) * between)) ** 2
    half = stats.t.ppf(0.95, df) * math.sqrt(total)
    combined = rubin_combine(q, u, 0.90)
    assert combined.estimate == pytest.approx(math.exp(mean))
    assert (combined.within, combined.between, combined.total) == pytest.approx((within, between, total))
    assert combined.df == pytest.approx(df)
    assert (combined.lower, combined.upper) == pytest.approx((math.exp(mean - half), math.exp(mean + half)))
    assert combined.linkage_share == pytest.approx((4 / 3) * between / total)


def test_rubin_rules_without_between_variance_is_normal():
    combined = rubin_combine([math.log(50.0)] * 4, [0.04] * 4, 0.95)
    assert combined.df == math.inf and combined.linkage_share == 0.0
    assert combined.upper == pytest.approx(50.0 * math.exp(1.959964 * 0.2), rel=1e-6)


def test_resample_is_rubins_rules_over_the_configurations_fitted_one_by_one():
    linkage = simulate_three_lists(11, n_people=600)
    res = _estimate(linkage, linkage_error="resample", linkage_draws=8, random_seed=4, interval="wald")
    labels = linkage.sample_clusters(8, random_seed=_child_seeds(4, 9)[0])
    log_n, log_var = [], []
    for draw in labels:
        table = linkage.capture_data(draw)
        single = mse.estimate(table, "independence", interval="wald", heterogeneity_check=False)
        log_n.append(math.log(single.estimate))
        log_var.append((single.se / single.estimate) ** 2)
    combined = rubin_combine(log_n, log_var, 0.95)
    assert res.estimate == pytest.approx(combined.estimate, rel=1e-8)
    assert (res.lower, res.upper) == pytest.approx((combined.lower, combined.upper), rel=1e-8)
    record = res.details["linkage"]
    assert record["draws"] == 8 and record["failed"] == 0
    assert record["within"] == pytest.approx(combined.within, rel=1e-6)
    assert record["between"] == pytest.approx(combined.between, rel=1e-6)
    assert record["linkage_share"] == pytest.approx(combined.linkage_share, rel=1e-6)
    assert res.interval_method == "rubin"


def test_resample_of_other_methods_goes_through_each_fit():
    linkage = simulate_three_lists(12, n_people=500)
    res = _estimate(linkage, "Mt", linkage_draws=4, random_seed=1)
    assert res.ok and res.details["linkage"]["draws"] == 4
    naive = _estimate(linkage, "Mt", linkage_error="ignore")
    assert res.details["linkage"]["naive_estimate"] == pytest.approx(naive.estimate)


# ---------------------------------------------------------------------- simulations with known truth
def test_two_list_simulation_naive_is_biased_resample_is_not_and_covers():
    truth = 2000
    naive, corrected, covered = [], [], []
    for replicate in range(200):
        linkage = simulate_two_lists(1000 + replicate)
        data = mse.CaptureData.from_linked(linkage)
        res = mse.estimate(data, "independence", random_seed=replicate, interval="wald")
        naive.append(res.details["linkage"]["naive_estimate"])
        corrected.append(res.estimate)
        covered.append(res.lower <= truth <= res.upper)
    naive, corrected = np.array(naive), np.array(corrected)
    se_naive = naive.std(ddof=1) / math.sqrt(len(naive))
    se_corrected = corrected.std(ddof=1) / math.sqrt(len(corrected))
    # 7 % of true matches missed against 10 % false links per match: too many links, N too low
    assert truth - naive.mean() > 6 * se_naive
    assert abs(corrected.mean() - truth) < 3 * se_corrected + 0.005 * truth
    assert np.mean(covered) >= 0.90


def test_three_list_simulation_naive_is_biased_rates_is_not():
    truth = 1500
    naive, corrected = [], []
    for replicate in range(80):
        linkage = simulate_three_lists(2000 + replicate)
        res = _estimate(linkage, linkage_error="rates", interval="wald")
        naive.append(res.details["linkage"]["naive_estimate"])
        corrected.append(res.estimate)
    naive, corrected = np.array(naive), np.array(corrected)
    se = corrected.std(ddof=1) / math.sqrt(len(corrected))
    assert truth - naive.mean() > 5 * naive.std(ddof=1) / math.sqrt(len(naive))
    assert abs(corrected.mean() - truth) < 3 * se


@pytest.mark.slow
def test_two_list_simulation_large():
    truth = 2000
    corrected, covered = [], []
    for replicate in range(1000):
        linkage = simulate_two_lists(5000 + replicate)
        res = mse.estimate(
            mse.CaptureData.from_linked(linkage), "independence", linkage_error="resample", random_seed=replicate
        )
        corrected.append(res.estimate)
        covered.append(res.lower <= truth <= res.upper)
    corrected = np.array(corrected)
    assert abs(corrected.mean() - truth) < 3 * corrected.std(ddof=1) / math.sqrt(len(corrected)) + 0.005 * truth
    assert 0.92 <= np.mean(covered) <= 0.98


# ---------------------------------------------------------------------- options, errors, statuses
def test_default_is_rates_for_loglinear_models_resample_otherwise_and_ignore_is_the_naive_table():
    linkage = simulate_two_lists(3, n_people=500)
    default = _estimate(linkage, random_seed=2)
    assert default.details["linkage"]["correction"] == "rates"
    assert default.details["linkage"]["chosen_by_default"] is True
    assert default.estimate == _estimate(linkage, linkage_error="rates").estimate
    closed = _estimate(linkage, "M0", random_seed=2)
    assert closed.details["linkage"]["correction"] == "resample"
    assert closed.details["linkage"]["draws"] == DEFAULT_LINKAGE_DRAWS
    # asking for configurations asks for "resample"
    drawn = _estimate(linkage, linkage_draws=5, random_seed=2)
    assert drawn.details["linkage"]["correction"] == "resample" and drawn.details["linkage"]["draws"] == 5
    ignored = _estimate(linkage, linkage_error="ignore")
    plain = mse.estimate(linkage.capture_data(), "independence")
    assert ignored.estimate == plain.estimate and ignored.lower == plain.lower
    assert ignored.details["linkage"]["naive_estimate"] == plain.estimate


def test_rates_reports_the_share_of_the_variance_the_linkage_adds():
    linkage = simulate_two_lists(3, n_people=500)
    record = _estimate(linkage, linkage_error="rates").details["linkage"]
    assert 0.0 < record["linkage_share"] < 1.0
    assert record["total"] > record["within"] > 0
    assert math.isclose(record["linkage_share"], 1.0 - record["within"] / record["total"])
    # an exact linkage adds nothing: the rates model is then the log-linear model itself
    exact = rates_fit(np.array([60.0, 40.0, 50.0]), [], np.ones((2, 2)), np.zeros((2, 2)))
    assert math.isclose(exact.se_log, exact.se_log_exact, rel_tol=1e-6) and exact.linkage_share < 1e-6


def test_plain_tables_refuse_linkage_options():
    korea = mse.load_dataset("korea")
    for options in ({"linkage_error": "resample"}, {"linkage_error": "ignore"}, {"linkage_draws": 10}):
        with pytest.raises(mse.ModelError, match="not linked"):
            mse.estimate(korea, "independence", **options)
    with pytest.raises(mse.ModelError, match="not linked"):
        mse.methods.Independence().fit(korea, linkage_error="rates")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"linkage_error": "bootstrap"}, "linkage_error must be one of"),
        ({"linkage_draws": 1}, "at least 2"),
        ({"linkage_draws": 2.5}, "at least 2"),
        ({"linkage_error": "rates", "linkage_draws": 10}, "only to linkage_error='resample'"),
    ],
)
def test_bad_linkage_options(options, message):
    linkage = simulate_two_lists(3, n_people=300)
    with pytest.raises(mse.ModelError, match=message):
        _estimate(linkage, **options)


@pytest.mark.parametrize("method", ["Mt", "lcmcr", "chapman", "bic_average"])
def test_rates_refuses_methods_that_fit_no_loglinear_model(method):
    linkage = simulate_three_lists(3, n_people=300)
    with pytest.raises(mse.ModelError, match="resample"):
        _estimate(linkage, method, linkage_error="rates")


def test_rates_with_auto_when_it_picks_a_loglinear_model():
    linkage = simulate_three_lists(8, n_people=800)
    res = _estimate(linkage, "auto", linkage_error="rates", interval="wald", n_boot=20, random_seed=1)
    assert res.details["auto"]["method"] == "stepwise"
    assert res.details["linkage"]["correction"] == "rates" and res.ok
    # two lists: auto picks Chapman's estimator, which rates does not correct
    with pytest.raises(mse.ModelError, match="log-linear"):
        _estimate(simulate_two_lists(8, n_people=300), "auto", linkage_error="rates")


def _sparse_linkage(n_pairs=6, probability=0.2):
    """Two lists with few uncertain pairs: many configurations have no overlap, and no estimate."""
    records = pd.DataFrame(
        {
            "record_id": [f"a{i}" for i in range(20)] + [f"b{i}" for i in range(20)],
            "list": ["A"] * 20 + ["B"] * 20,
        }
    )
    pairs = pd.DataFrame(
        {
            "record_id_l": [f"a{i}" for i in range(n_pairs)],
            "record_id_r": [f"b{i}" for i in range(n_pairs)],
            "match_probability": [0.9] + [probability] * (n_pairs - 1),
        }
    )
    return LinkageResult(records, pairs, lists=("A", "B"))


def test_failed_configurations_are_counted_and_said():
    records = pd.DataFrame(
        {"record_id": [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)], "list": ["A"] * 10 + ["B"] * 10}
    )
    pairs = pd.DataFrame({"record_id_l": ["a0", "a1"], "record_id_r": ["b0", "b1"], "match_probability": [0.6, 0.6]})
    linkage = LinkageResult(records, pairs, lists=("A", "B"))
    res = _estimate(linkage, linkage_draws=40, random_seed=3)
    record = res.details["linkage"]
    # no link at all in about 16 % of the configurations: the lists do not overlap there
    assert 0 < record["failed"] < 40
    assert sum(record["failure_reasons"].values()) == record["failed"]
    assert ("unreliable" in res.status) == (record["failed"] > 10)
    # so few links leave an interval reaching below the people seen: not reported, as for any method
    assert res.status.startswith("not reported: the lower limit")
    lonely = LinkageResult(records, pairs.assign(match_probability=[0.55, 0.05]), lists=("A", "B"))
    res = _estimate(lonely, linkage_draws=20, random_seed=3)
    assert not res.ok and res.status.startswith("linkage correction unreliable")
    with pytest.raises(mse.EstimabilityError, match="linkage correction"):
        _estimate(lonely, linkage_draws=20, random_seed=3, strict=True)


def test_no_usable_configuration_gives_no_estimate():
    records = pd.DataFrame({"record_id": ["a0", "a1", "b0"], "list": ["A", "A", "B"]})
    pairs = pd.DataFrame({"record_id_l": ["a0"], "record_id_r": ["b0"], "match_probability": [0.5]})
    res = _estimate(LinkageResult(records, pairs, lists=("A", "B")), linkage_draws=5, random_seed=1)
    assert not res.ok and math.isnan(res.estimate)
    assert res.details["linkage"]["failed"] >= 4


# ---------------------------------------------------------------------- reproducibility and outputs
def test_resample_is_reproducible_from_the_seed():
    linkage = simulate_three_lists(21, n_people=500)
    first = _estimate(linkage, linkage_error="resample", random_seed=9)
    again = _estimate(linkage, linkage_error="resample", random_seed=9)
    other = _estimate(linkage, linkage_error="resample", random_seed=10)
    assert (first.estimate, first.lower, first.upper) == (again.estimate, again.lower, again.upper)
    assert first.estimate != other.estimate
    stepwise = _estimate(linkage, "stepwise", random_seed=9, linkage_draws=3, interval="wald")
    assert stepwise.estimate == _estimate(linkage, "stepwise", random_seed=9, linkage_draws=3, interval="wald").estimate


def test_details_and_metadata_survive_save_and_load(tmp_path):
    linkage = simulate_three_lists(5, n_people=500)
    for correction in ("resample", "rates", "ignore"):
        res = _estimate(linkage, linkage_error=correction, random_seed=1)
        assert res.ok and contract_problems(res) == []
        path = tmp_path / f"{correction}.json"
        res.save(path)
        back = mse.load_result(path)
        saved = json.loads(json.dumps(res.to_dict()["details"]["linkage"]))
        assert back.details["linkage"] == saved
        assert back.metadata["linkage"]["backend"] == "given"
        assert len(back.metadata["linkage"]["fingerprint"]) == 64
        assert back.estimate == res.estimate
        assert [row["list_a"] for row in back.details["linkage"]["error_rates"]] == ["A", "A", "B"]



def test_a_corrected_fit_with_covariates_saves_and_loads(tmp_path):
    # the corrected result has no strata (they describe the table at the threshold); their replicates must go too
    linkage = simulate_three_lists(5, n_people=500)
    records = linkage.records.assign(year=np.where(np.arange(linkage.n_records) % 2 == 0, 2020, 2021))
    with_year = LinkageResult(records.drop(columns="cluster"), linkage.pairs, lists=linkage.lists)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mse.estimate(
            mse.CaptureData.from_linked(with_year, covariates=["year"]), "independence",
            linkage_error="resample", linkage_draws=5, random_seed=1,
        )  # fmt: skip
    assert res.strata is None and "strata_draws" not in res.details
    res.save(tmp_path / "result.json")
    assert mse.load_result(tmp_path / "result.json").estimate == res.estimate

def test_summary_shows_the_linkage_line_and_protects_the_naive_estimate():
    linkage = simulate_three_lists(5, n_people=500)
    res = _estimate(linkage, random_seed=1)
    line = next(x for x in res.summary().splitlines() if x.strip().startswith("linkage:"))
    assert "naive" in line and "corrected" in line and "of the variance from the linkage" in line
    assert "linkage" in res._repr_html_()
    naive = res.details["linkage"]["naive_estimate"]
    protected = res.summary(round_to=100)
    shown = next(x for x in protected.splitlines() if x.strip().startswith("linkage:"))
    assert f"naive {round(naive / 100) * 100:,}" in shown
    assert f"{naive:,.0f}" not in protected


def test_compare_accepts_a_linked_table():
    linkage = simulate_three_lists(6, n_people=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = mse.compare(mse.CaptureData.from_linked(linkage), ["independence", "Mt"], random_seed=1)
    assert list(table["status"]) == ["ok", "ok"]
    # each method with its default correction: rates for the log-linear model, resample for Mt
    assert list(table["interval_method"]) == ["wald", "rubin"]


# ---------------------------------------------------------------------- invariances
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), order=st.permutations(LISTS), correction=st.sampled_from(["resample", "ignore"]))
def test_permuting_the_lists_leaves_the_estimate_unchanged(seed, order, correction):
    linkage = simulate_three_lists(seed, n_people=300)
    permuted = LinkageResult(linkage.records, linkage.pairs, lists=tuple(order))
    first = _estimate(linkage, linkage_error=correction, random_seed=seed, interval="wald")
    second = _estimate(permuted, linkage_error=correction, random_seed=seed, interval="wald")
    assert second.estimate == pytest.approx(first.estimate, rel=1e-9)
    assert (second.lower, second.upper) == pytest.approx((first.lower, first.upper), rel=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), correction=st.sampled_from(["resample", "rates"]))
def test_relabelling_and_reordering_records_leaves_the_estimate_unchanged(seed, correction):
    linkage = simulate_three_lists(seed, n_people=300)
    rng = np.random.default_rng(seed + 1)
    names = dict(zip(linkage.records["record_id"], [f"r{k}" for k in rng.permutation(linkage.n_records)]))
    records = linkage.records.drop(columns="cluster").assign(record_id=lambda f: f["record_id"].map(names))
    records = records.iloc[rng.permutation(len(records))]
    pairs = linkage.pairs.assign(
        record_id_l=linkage.pairs["record_id_l"].map(names), record_id_r=linkage.pairs["record_id_r"].map(names)
    )
    relabelled = LinkageResult(records, pairs, lists=linkage.lists)
    first = _estimate(linkage, linkage_error=correction, random_seed=seed, interval="wald")
    second = _estimate(relabelled, linkage_error=correction, random_seed=seed, interval="wald")
    assert second.estimate == pytest.approx(first.estimate, rel=1e-9)
