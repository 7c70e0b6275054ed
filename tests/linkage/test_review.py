"""A clerical review of a sample of records and the correction it gives (mse.linkage.review, linkage_error="review").

The linkages are :func:`mse.linkage.scored_linkage.simulate_linkage`'s, whose
record ids ``"<list>:<person>"`` carry the truth, so a review that makes no
mistake is written from the ids alone.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mse
from mse.linkage import LinkageResult
from mse.linkage.correction import DEFAULT_REVIEW_REPLICATES, check_linkage_options
from mse.linkage.review import REVIEW_SAMPLE_COLUMNS, checked_review, draw_review_sample, reviewed_table
from mse.linkage.scored_linkage import simulate_linkage
from mse.result_schema import contract_problems

LISTS = ("A", "B", "C")


def linkage_of(seed, n_people=1500, capture=(0.3, 0.35, 0.4), c=0.3, d=0.3, lists=LISTS):
    return simulate_linkage(n_people, capture, c=c, d=d, lists=lists, random_seed=seed)


def truthful_review(linkage: LinkageResult, sample: pd.DataFrame) -> pd.DataFrame:
    """What a reviewer who makes no mistake returns: the records of the same person on the other lists."""
    person = linkage.records["record_id"].str.split(":").str[1]
    records_of = linkage.records["record_id"].groupby(person.to_numpy()).apply(tuple).to_dict()
    review = sample.copy()
    review["matches"] = [
        tuple(r for r in records_of[record.split(":")[1]] if r != record) for record in sample["record_id"]
    ]
    return review


def true_table(linkage: LinkageResult) -> np.ndarray:
    """The people of each observable history, from the record ids."""
    person = linkage.records["record_id"].str.split(":").str[1].to_numpy()
    _, labels = np.unique(person, return_inverse=True)
    return linkage.history_counts(labels)[0].astype(float)


def reviewed(linkage: LinkageResult, n, seed=2) -> LinkageResult:
    return linkage.with_review(truthful_review(linkage, linkage.review_sample(n, random_seed=seed)))


def estimate(linkage, method="independence", **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the heterogeneity check speaks of linkage errors too
        return mse.estimate(mse.CaptureData.from_linked(linkage), method, **options)


# ---------------------------------------------------------------------- the sample
def test_review_sample_draws_n_records_of_each_list_with_what_a_reviewer_needs():
    linkage = linkage_of(1)
    sample = linkage.review_sample(40, random_seed=3)
    assert tuple(sample.columns) == REVIEW_SAMPLE_COLUMNS
    assert sample.groupby("list").size().to_dict() == {"A": 40, "B": 40, "C": 40}
    assert not sample["record_id"].duplicated().any()
    cluster = dict(zip(linkage.records["record_id"], linkage.records["cluster"], strict=True))
    for record, linked in zip(sample["record_id"], sample["cluster_records"], strict=True):
        members = set(linkage.records.loc[linkage.records["cluster"] == cluster[record], "record_id"]) - {record}
        assert set(linked) == members
    scored = linkage.pairs[linkage.pairs["match_probability"].between(0.001, 0.5, inclusive="left")]
    for record, candidates in zip(sample["record_id"], sample["candidates"], strict=True):
        near = set(scored.loc[scored["record_id_l"] == record, "record_id_r"]) | set(
            scored.loc[scored["record_id_r"] == record, "record_id_l"]
        )
        assert set(candidates) == near


def test_review_sample_is_reproducible_per_list_and_takes_small_lists_whole():
    linkage = linkage_of(1)
    first = linkage.review_sample({"A": 5, "B": 10, "C": 10_000}, random_seed=3)
    again = linkage.review_sample({"A": 5, "B": 10, "C": 10_000}, random_seed=3)
    pd.testing.assert_frame_equal(first, again)
    assert first.groupby("list").size().to_dict() == {"A": 5, "B": 10, "C": int((linkage.records["list"] == "C").sum())}
    other = linkage.review_sample({"A": 5, "B": 10, "C": 10_000}, random_seed=4)
    assert set(other["record_id"]) != set(first["record_id"])


@pytest.mark.parametrize(
    "n, message",
    [(0, "positive whole"), (2.5, "positive whole"), (True, "positive whole"), ({"A": 5, "B": 5}, "leaves out"),
     ({"A": 5, "B": 5, "C": 5, "D": 5}, "unknown")],
)  # fmt: skip
def test_review_sample_refuses_bad_sizes(n, message):
    with pytest.raises(mse.DataError, match=message):
        draw_review_sample(linkage_of(1, n_people=200), n, random_seed=1)


# ---------------------------------------------------------------------- the review
def _records():
    return pd.DataFrame({"record_id": ["a1", "a2", "b1", "b2", "c1"], "list": ["A", "A", "B", "B", "C"]})


@pytest.mark.parametrize(
    "review, message",
    [
        (pd.DataFrame({"record_id": ["a1"]}), "lacks the column"),
        (pd.DataFrame({"record_id": [], "matches": []}), "holds no record"),
        (pd.DataFrame({"record_id": ["zz"], "matches": [()]}), "not among"),
        (pd.DataFrame({"record_id": ["a1", "a1"], "matches": [(), ()]}), "reviewed once"),
        (pd.DataFrame({"record_id": ["a1"], "matches": [("a2",)]}), "own list"),
        (pd.DataFrame({"record_id": ["a1"], "matches": [("b1", "b2")]}), "two records of one list"),
        (pd.DataFrame({"record_id": ["a1"], "matches": [("q9",)]}), "not linkage records"),
        (pd.DataFrame({"record_id": ["a1", "b1"], "matches": [("b1",), ()]}), "disagree"),
        (pd.DataFrame({"record_id": ["a1"], "matches": [3]}), "must be record ids"),
    ],
)
def test_a_review_that_cannot_be_right_is_refused(review, message):
    with pytest.raises(mse.DataError, match=message):
        checked_review(review, _records())


def test_a_review_takes_sequences_strings_and_nothing_and_is_not_modified():
    review = pd.DataFrame(
        {
            "record_id": ["a1", "b1", "c1", "a2", "b2"],
            "matches": [["b1", "c1"], "a1; c1", {"a1", "b1"}, None, float("nan")],
            "note": 1,
        }
    )
    before = review.copy(deep=True)
    checked = checked_review(review, _records())
    pd.testing.assert_frame_equal(review, before)
    assert checked.to_dict(orient="list") == {
        "record_id": ["a1", "a2", "b1", "b2", "c1"],
        "list": ["A", "A", "B", "B", "C"],
        "matches": [("b1", "c1"), (), ("a1", "c1"), (), ("a1", "b1")],
    }
    # c1 reviewed as nobody's while a1 says it is theirs: the reviews disagree, and the linkage refuses them
    review.loc[2, "matches"] = None
    empty = pd.DataFrame(columns=["record_id_l", "record_id_r", "match_probability"])
    with pytest.raises(mse.DataError, match="disagree"):
        LinkageResult(_records(), empty, lists=("A", "B", "C")).with_review(review)


def test_with_review_keeps_the_linkage_and_changes_its_fingerprint():
    from mse.linkage.correction import linkage_fingerprint

    linkage = linkage_of(1, n_people=400)
    with_review = reviewed(linkage, 20)
    assert linkage.review is None and len(with_review.review) == 60
    pd.testing.assert_frame_equal(with_review.records, linkage.records)
    assert "reviewed=60" in repr(with_review)
    assert linkage_fingerprint(with_review) != linkage_fingerprint(linkage)


# ---------------------------------------------------------------------- the estimated table
def test_a_perfect_linkage_reviewed_gives_the_observed_table_and_no_review_variance():
    linkage = linkage_of(4, c=1e-9, d=1e-9)  # every score 0 or 1: no linkage error
    observed = linkage.history_counts(linkage.records["cluster"].to_numpy())[0]
    assert np.array_equal(observed, true_table(linkage))
    table = reviewed_table(linkage, reviewed(linkage, 30).review)
    np.testing.assert_allclose(table.counts, observed, rtol=1e-12)
    np.testing.assert_allclose(table.replicates(20, random_seed=1), np.tile(observed, (20, 1)), rtol=1e-12)
    assert table.summary["false_links"] == 0 and table.summary["matches_missed"] == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    capture=st.lists(st.floats(0.15, 0.6), min_size=2, max_size=4),
    c=st.floats(0.05, 2.0),
    d=st.floats(0.05, 2.0),
)
def test_reviewing_every_record_gives_the_true_table_whatever_the_errors(seed, capture, c, d):
    lists = tuple("ABCD"[: len(capture)])
    try:
        linkage = simulate_linkage(300, capture, c=c, d=d, lists=lists, random_seed=seed)
    except mse.DataError:
        return  # a design simulate_linkage cannot draw
    everyone = linkage.review_sample(10_000, random_seed=1)
    table = reviewed_table(linkage, truthful_review(linkage, everyone).drop(columns=["cluster_records", "candidates"]))
    np.testing.assert_allclose(table.counts, true_table(linkage), rtol=1e-10, atol=1e-9)
    assert table.summary["records_reviewed"] == linkage.n_records
    # every record reviewed: no sampling error is left
    np.testing.assert_allclose(table.replicates(5, random_seed=2), np.tile(table.counts, (5, 1)), rtol=1e-10)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), order=st.permutations(LISTS))
def test_putting_the_lists_in_another_order_permutes_the_table_and_its_replicates(seed, order):
    linkage = reviewed(linkage_of(seed, n_people=600), 40)
    permuted = LinkageResult(linkage.records, linkage.pairs, lists=tuple(order), review=linkage.review)
    first, second = reviewed_table(linkage, linkage.review), reviewed_table(permuted, permuted.review)
    # history code of each list subset under each order
    position = {name: k for k, name in enumerate(order)}
    remap = []
    for code in range(1, 8):
        members = [LISTS[k] for k in range(3) if code >> (2 - k) & 1]
        remap.append(sum(1 << (2 - position[name]) for name in members) - 1)
    np.testing.assert_allclose(second.counts[remap], first.counts, rtol=1e-12)
    np.testing.assert_allclose(
        second.replicates(30, random_seed=5)[:, remap], first.replicates(30, random_seed=5), rtol=1e-12
    )
    a = estimate(linkage, random_seed=seed)
    b = estimate(permuted, random_seed=seed)
    assert (b.estimate, b.lower, b.upper) == pytest.approx((a.estimate, a.lower, a.upper), rel=1e-9)


def test_the_estimated_table_is_unbiased_over_review_samples():
    # one linkage with many errors, reviewed 400 times: the mean table is the true one within its Monte Carlo error
    linkage = linkage_of(6, n_people=1000, c=0.15, d=0.4)
    truth = true_table(linkage)
    naive = linkage.history_counts(linkage.records["cluster"].to_numpy())[0]
    assert np.abs(naive - truth).max() > 15  # the linkage's errors are large
    everyone = truthful_review(linkage, linkage.review_sample(10_000, random_seed=1))
    tables = []
    rng = np.random.default_rng(7)
    for _ in range(400):
        sample = pd.concat(
            [part.sample(25, random_state=int(rng.integers(2**31))) for _, part in everyone.groupby("list")]
        )
        tables.append(reviewed_table(linkage, sample).counts)
    tables = np.array(tables)
    mc_se = tables.std(axis=0, ddof=1) / math.sqrt(len(tables))
    # a ratio estimator (shares within cells) is unbiased to first order: 4 Monte Carlo s.e. allow for that
    assert np.all(np.abs(tables.mean(axis=0) - truth) <= 4 * mc_se + 1e-9)


def test_a_cell_nobody_reviewed_is_taken_as_linked_and_counted():
    linkage = linkage_of(2, n_people=800)
    sample = truthful_review(linkage, linkage.review_sample(3, random_seed=1))
    table = reviewed_table(linkage, sample)
    assert table.unreviewed_records > 0
    assert table.reviewed == {"A": 3, "B": 3, "C": 3}
    with pytest.raises(mse.DataError, match="no record of list"):
        reviewed_table(linkage, sample[sample["list"] != "C"])


# ---------------------------------------------------------------------- the correction
def test_review_is_the_default_for_loglinear_models_when_a_review_is_present():
    linkage = reviewed(linkage_of(3, n_people=800), 60)
    res = estimate(linkage, random_seed=1)
    record = res.details["linkage"]
    assert record["correction"] == "review" and record["chosen_by_default"]
    assert record["draws"] == DEFAULT_REVIEW_REPLICATES
    assert res.ok and contract_problems(res) == []
    assert 0 < record["linkage_share"] < 1
    assert record["review"]["records_reviewed"] == 180
    assert res.metadata["linkage"]["reviewed_records"] == 180
    # the interval adds the review's sampling variance to the model's
    z = 1.959963984540054
    assert math.log(res.upper / res.estimate) == pytest.approx(z * math.sqrt(record["within"] + record["between"]))
    # other corrections stay available, and other methods keep theirs
    assert estimate(linkage, linkage_error="rates").details["linkage"]["correction"] == "rates"
    assert estimate(linkage, "Mt", random_seed=1).details["linkage"]["correction"] == "resample"
    assert estimate(linkage, linkage_draws=50, random_seed=1).details["linkage"]["draws"] == 50


def test_review_needs_a_review_and_a_loglinear_model():
    linkage = linkage_of(3, n_people=400)
    with pytest.raises(mse.ModelError, match="needs a clerical review"):
        estimate(linkage, linkage_error="review")
    with pytest.raises(mse.ModelError, match="resample"):
        estimate(reviewed(linkage, 30), "Mt", linkage_error="review")
    assert check_linkage_options(mse.CaptureData.from_linked(reviewed(linkage, 30)), None, 30) == ("default", 30)
    assert check_linkage_options(mse.CaptureData.from_linked(linkage), None, 30) == ("resample", 30)


def test_a_full_review_of_a_perfect_linkage_is_the_plain_fit():
    linkage = linkage_of(4, c=1e-9, d=1e-9)
    everyone = linkage.with_review(truthful_review(linkage, linkage.review_sample(10_000, random_seed=1)))
    res = estimate(everyone, "independence", random_seed=1)
    plain = estimate(linkage, "independence", linkage_error="ignore", interval="wald")
    assert res.details["linkage"]["between"] == pytest.approx(0.0, abs=1e-20)
    # the same fit and standard error; the interval is Wald on log N (the plain one on the log of the dark figure)
    assert (res.estimate, res.se) == pytest.approx((plain.estimate, plain.se), rel=1e-8)
    z = 1.959963984540054
    assert (res.lower, res.upper) == pytest.approx(
        (res.estimate * math.exp(-z * res.se / res.estimate), res.estimate * math.exp(z * res.se / res.estimate))
    )


def test_stepwise_chooses_its_model_on_the_reviewed_table():
    linkage = reviewed(linkage_of(5, n_people=1500, c=0.2, d=0.4), 150)
    res = estimate(linkage, "stepwise", random_seed=1)
    assert res.details["linkage"]["correction"] == "review"
    assert res.model == res.details["linkage"]["model"]
    assert "naive_model" in res.details["linkage"]


def test_review_is_reproducible_and_survives_save_and_load(tmp_path):
    linkage = reviewed(linkage_of(5, n_people=800), 50)
    first = estimate(linkage, random_seed=9)
    assert estimate(linkage, random_seed=9).upper == first.upper
    assert estimate(linkage, random_seed=10).upper != first.upper
    first.save(tmp_path / "r.json")
    back = mse.load_result(tmp_path / "r.json")
    assert back.estimate == first.estimate and back.details["linkage"]["review"] == first.details["linkage"]["review"]


def test_the_review_corrects_what_miscalibrated_probabilities_hide():
    # Scores that understate the errors: every true match scored 0.9 or more, so the linkage's own rates see
    # no missed link, though a third of the matches were (by the truth) never scored at all.
    rng = np.random.default_rng(11)
    base = linkage_of(12, n_people=2000, c=0.2, d=0.2)
    person = base.records["record_id"].str.split(":").str[1]
    pairs = base.pairs[base.pairs["match_probability"] >= 0.5]
    same = (
        person.set_axis(base.records["record_id"]).loc[pairs["record_id_l"]].to_numpy()
        == person.set_axis(base.records["record_id"]).loc[pairs["record_id_r"]].to_numpy()
    )
    keep = ~same | (rng.random(len(pairs)) > 1 / 3)
    hidden = LinkageResult(base.records.drop(columns="cluster"), pairs[keep].assign(match_probability=0.95),
                           lists=LISTS)  # fmt: skip
    truth = 2000
    rates = estimate(hidden, linkage_error="rates", random_seed=1)
    with_review = estimate(reviewed(hidden, 150, seed=3), random_seed=1)
    assert not (rates.lower <= truth <= rates.upper)  # the probabilities say nothing was missed
    assert with_review.lower <= truth <= with_review.upper


@pytest.mark.slow
def test_review_covers_the_truth_in_simulations():
    covered, errors = [], []
    for seed in range(100):
        linkage = reviewed(linkage_of(seed, n_people=1500, c=0.2, d=0.3), 80, seed=seed + 1)
        res = estimate(linkage, random_seed=seed)
        covered.append(res.lower <= 1500 <= res.upper)
        errors.append(res.estimate / 1500 - 1)
    assert np.mean(covered) >= 0.9
    assert abs(np.mean(errors)) < 3 * np.std(errors, ddof=1) / 10 + 0.01


# ---------------------------------------------------------------------- awkward linkages and reviews
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 100_000),
    population=st.integers(5, 400),
    capture=st.lists(st.floats(0.05, 0.95), min_size=2, max_size=4),
    c=st.floats(0.01, 3.0),
    d=st.floats(0.01, 3.0),
    n=st.integers(1, 60),
    method=st.sampled_from(["independence", "stepwise", "auto"]),
)
def test_awkward_reviewed_linkages_keep_the_results_contract(seed, population, capture, c, d, n, method):
    from mse.testing import check_estimate

    lists = tuple("ABCD"[: len(capture)])
    try:
        linkage = simulate_linkage(population, capture, c=c, d=d, lists=lists, random_seed=seed)
        if set(linkage.records["list"]) != set(lists):
            return  # a list nobody is on: no linkage to review
        linkage = reviewed(linkage, n, seed=seed + 1)
    except mse.DataError:
        return  # a design simulate_linkage cannot draw
    data = mse.CaptureData.from_linked(linkage)
    try:
        res = (
            estimate(linkage, method, random_seed=seed, n_boot=20)
            if method == "auto"
            else estimate(linkage, method, random_seed=seed)
        )
    except mse.MSEError as error:
        assert str(error)
        return
    assert check_estimate(res, data, observed=res.observed) == []
    assert res.details["linkage"]["correction"] in ("review", "resample")


def test_review_takes_at_most_ten_lists():
    linkage = simulate_linkage(300, [0.5] * 11, c=1e-9, d=1e-9, lists=tuple("ABCDEFGHIJK"), random_seed=1)
    with pytest.raises(mse.ModelError, match="at most 10 lists"):
        estimate(reviewed(linkage, 5), linkage_error="review")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), c=st.floats(0.05, 1.0), d=st.floats(0.05, 1.0))
def test_bootstrap_tables_never_hold_a_negative_count(seed, n, c, d):
    # the rescaled bootstrap draws s - 1 of a cell's s reviews, so that no review's weight is negative
    linkage = linkage_of(seed, n_people=300, c=c, d=d)
    table = reviewed_table(linkage, reviewed(linkage, n, seed=seed).review)
    replicates = table.replicates(50, random_seed=seed)
    assert np.all(replicates >= -1e-9)
    np.testing.assert_allclose(replicates.sum(axis=1).mean(), table.counts.sum(), rtol=0.2)


def test_the_bootstrap_variance_is_the_variance_over_repeated_reviews():
    # benchmarks/bench_linkage_review.py at a small size: 120 reviews of 40 records per list
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_linkage_review.py"
    spec = importlib.util.spec_from_file_location("bench_linkage_review", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    row = module.compare(sizes=(40,), reviews=120, replicates=100).iloc[0]
    # the ratio of two variances, each from 100-120 draws: within three Monte Carlo standard errors of 1
    assert abs(row["ratio"] - 1) < 3 * math.sqrt(2 / 119)


def test_a_small_reviewed_linkage_by_hand():
    # person 1 is A:1, B:1, C:1 and person 2 is A:2, B:2; A:2-B:1 is falsely linked, B:1-C:1 and A:2-B:2 missed
    records = pd.DataFrame({"record_id": ["A:1", "A:2", "B:1", "B:2", "C:1"], "list": ["A", "A", "B", "B", "C"]})
    pairs = pd.DataFrame(
        {
            "record_id_l": ["A:1", "A:2", "B:1", "A:2"],
            "record_id_r": ["B:1", "B:1", "C:1", "B:2"],
            "match_probability": [0.9, 0.9, 0.2, 0.1],
        }
    )
    review = pd.DataFrame(
        {
            "record_id": ["A:1", "A:2", "B:2", "C:1"],
            "matches": [("B:1", "C:1"), ("B:2",), ("A:2",), ("A:1", "B:1")],
        }
    )
    linkage = LinkageResult(records, pairs, lists=LISTS, review=review)
    table = reviewed_table(linkage, linkage.review)
    # Cells (list, cluster history): (A, AB) holds A:1 (person ABC) and A:2 (person AB), both reviewed; (B, B)
    # holds B:2 (AB) and (C, C) holds C:1 (ABC), each reviewed; (B, AB) holds B:1, not reviewed, so counted as
    # linked (AB). Records by true history: ABC 2 (A:1, C:1), AB 3 (A:2, B:2, B:1); N_ABC = 2/3, N_AB = 3/2.
    np.testing.assert_allclose(table.counts, [0, 0, 0, 0, 0, 3 / 2, 2 / 3])
    assert table.unreviewed_records == 1
    # A:1 is linked to B:1 (right) and A:2 (wrong) and misses C:1; A:2 is linked to A:1 and B:1 (both wrong) and
    # misses B:2; B:2 and C:1 are linked to nobody and miss their 1 and 2 matches
    assert dict(table.summary) == pytest.approx(
        {
            "records_reviewed": 4,
            "linked_records_checked": 4,
            "false_links": 3,
            "matches_found": 6,
            "matches_missed": 5,
            "precision": 1 / 4,
            "recall": 1 / 6,
        }
    )


def test_a_saved_reviewed_result_makes_its_report(tmp_path):
    linkage = reviewed(linkage_of(5, n_people=600), 40)
    res = estimate(linkage, random_seed=2)
    res.save(tmp_path / "r.json")
    section = mse.report.build_report(mse.load_result(tmp_path / "r.json")).section("linkage")
    assert "Correction 'review'" in " ".join(section.paragraphs)
    assert any(table.caption.startswith("The clerical review") for table in section.tables)
