"""The report's Linkage section: the correction, the naive and corrected estimates, the error rates, protected."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import mse
from mse.disclosure import SUPPRESSED
from mse.linkage import LinkageResult

LISTS = ("police", "inspectorate", "shelter")


def _linkage(n_people: int = 900, capture=(0.3, 0.35, 0.4), small_list: int | None = None, seed: int = 3):
    """Three lists, every true match scored high and some false pairs scored low (a linkage made by hand)."""
    rng = np.random.default_rng(seed)
    on = rng.random((n_people, 3)) < np.asarray(capture)
    if small_list is not None:  # the last list holds only a few people
        keep = np.flatnonzero(on[:, 2])[:small_list]
        on[:, 2] = False
        on[keep, 2] = True
    person, column = np.nonzero(on)
    ids = np.array([f"{LISTS[j]}:{i:016x}" for i, j in zip(person, column)])
    records = pd.DataFrame({"record_id": ids, "list": np.array(LISTS)[column]})
    left, right, probability = [], [], []
    for a in range(3):
        for b in range(a + 1, 3):
            of_a = pd.Series(ids[column == a], index=person[column == a])
            of_b = pd.Series(ids[column == b], index=person[column == b])
            shared = of_a.index.intersection(of_b.index)
            left += list(of_a[shared])
            right += list(of_b[shared])
            probability += list(rng.beta(8, 1, len(shared)))
            only_a, only_b = of_a.drop(shared), of_b.drop(shared)
            k = min(len(only_a), len(only_b), 5)
            left += list(only_a.iloc[:k])
            right += list(only_b.iloc[:k])
            probability += list(rng.beta(1, 8, k))
    pairs = pd.DataFrame({"record_id_l": left, "record_id_r": right, "match_probability": probability})
    return LinkageResult(records, pairs, lists=LISTS)


def _fit(linkage: LinkageResult, correction: str) -> tuple[mse.CaptureData, mse.Estimate]:
    data = mse.CaptureData.from_linked(linkage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        draws = {"linkage_draws": 8} if correction == "resample" else {}
        return data, mse.estimate(data, "independence", linkage_error=correction, random_seed=1, **draws)


@pytest.mark.parametrize("correction", ["rates", "resample", "ignore"])
def test_the_linkage_section_shows_the_correction_the_two_estimates_and_the_error_rates(correction):
    data, result = _fit(_linkage(), correction)
    section = mse.report.build_report(result, data).section("linkage")
    record = result.details["linkage"]
    assert f"'{correction}'" in " ".join(section.paragraphs) or correction == "ignore"
    estimates, *rest = section.tables
    naive = estimates.frame.iloc[0]
    assert naive[["estimate", "lower", "upper"]].tolist() == pytest.approx(
        [record["naive_estimate"], record["naive_lower"], record["naive_upper"]]
    )
    if correction == "ignore":
        assert len(estimates.frame) == 1 and len(rest) == 1
        assert "ignored" in " ".join(section.paragraphs)
    else:
        corrected = estimates.frame.iloc[1]
        assert corrected[["estimate", "lower", "upper"]].tolist() == pytest.approx(
            [result.estimate, result.lower, result.upper]
        )
        variance, _ = rest
        assert f"{record['linkage_share']:.0%} of the variance comes from the linkage" in variance.caption
        assert variance.frame["variance of log N"].iloc[-1] == pytest.approx(record["total"])
    rates = section.tables[-1].frame
    assert rates[["list", "and list"]].values.tolist() == [list(p) for p in [LISTS[:2], LISTS[::2], LISTS[1:]]]
    expected = pd.DataFrame(record["error_rates"])
    assert rates["links"].tolist() == expected["links"].tolist()
    assert rates["alpha"].tolist() == pytest.approx(expected["alpha"].tolist())
    assert f"{len(data.linkage.pairs)} candidate pairs" in section.paragraphs[0]
    assert '<section id="linkage">' in mse.report.build_report(result, data).to_html()


def test_a_resampled_result_says_how_many_configurations_failed():
    _, result = _fit(_linkage(), "resample")
    section = mse.report.build_report(result).section("linkage")
    assert "8 link configurations were drawn; 0 failed." in section.paragraphs


def test_every_count_of_the_linkage_section_goes_through_the_policy():
    data, result = _fit(_linkage(small_list=6), "rates")
    policy = mse.DisclosurePolicy(suppress_below=10, round_to=5)
    section = mse.report.build_report(result, data, policy=policy).section("linkage")
    rates = section.tables[-1].frame
    for column in ("records (list)", "records (and list)", "links", "expected matches", "expected false links"):
        for value in rates[column]:
            assert value in ("<10", SUPPRESSED) or value % 5 == 0, (column, value)
    shelter = rates[rates["and list"] == "shelter"]
    assert set(shelter["records (and list)"]) == {"<10"} and set(shelter["links"]) <= {"<10", SUPPRESSED, 0}
    for value in section.tables[0].frame[["estimate", "lower", "upper"]].to_numpy().ravel():
        assert isinstance(value, str) or value % 5 == 0
    shown = policy.protect(result).to_frame().iloc[0]
    assert (
        section.tables[0].frame.iloc[1][["estimate", "lower", "upper"]].tolist()
        == shown[["estimate", "lower", "upper"]].tolist()
    )
    records, pairs = (
        int(x.replace(",", "")) for x in re.findall(r"([\d,]+) (?:records|candidate pairs)", section.paragraphs[0])
    )
    assert records % 5 == 0 and pairs % 5 == 0


def test_a_table_given_as_linked_says_so():
    data = mse.load_dataset("kosovo")
    result = mse.estimate(data, "independence", heterogeneity_check=False)
    section = mse.report.build_report(result, data).section("linkage")
    assert section.tables == () and "given as linked" in section.paragraphs[0]


def test_a_linked_result_reports_from_its_saved_file(tmp_path):
    data, result = _fit(_linkage(), "rates")
    result.save(tmp_path / "result.json")
    back = mse.load_result(tmp_path / "result.json")
    page = mse.report.build_report(back, data, round_to=5).to_html()
    assert "Correction &#39;rates&#39;" in page and "alpha" in page


def test_a_published_file_rounds_the_linkage_counts_in_its_metadata(tmp_path):
    _, result = _fit(_linkage(), "rates")
    about = result.metadata["linkage"]
    assert about["records"] % 5 or about["candidate_pairs"] % 5  # the exact counts are not already rounded
    published = mse.DisclosurePolicy(round_to=5).protect(result).to_dict()["metadata"]["linkage"]
    assert published["records"] == 5 * round(about["records"] / 5)
    assert published["candidate_pairs"] == 5 * round(about["candidate_pairs"] / 5)
    assert published["fingerprint"] == about["fingerprint"]


def test_failure_reasons_lose_their_numbers_under_a_policy():
    _, result = _fit(_linkage(), "resample")
    details = dict(result.details)
    linkage = dict(details["linkage"])
    linkage.update(failed=3, failure_reasons={"only 7 people observed": 2, "only 8 people observed": 1})
    details["linkage"] = linkage
    failing = result.with_updates(details=details)
    shown = mse.report.build_report(failing).section("linkage").paragraphs
    assert (
        "8 link configurations were drawn; 3 failed: only 7 people observed (2); only 8 people observed (1)." in shown
    )
    protected = mse.report.build_report(failing, suppress_below=10).section("linkage").paragraphs
    assert "8 link configurations were drawn; 3 failed: only n people observed (3)." in protected


def _reviewed(linkage: LinkageResult, n: int = 60) -> LinkageResult:
    """The linkage with a review of ``n`` records per list answered from the ids (``<list>:<person>``)."""
    person = linkage.records["record_id"].str.split(":").str[1]
    records_of = linkage.records["record_id"].groupby(person.to_numpy()).apply(tuple).to_dict()
    sample = linkage.review_sample(n, random_seed=5)
    sample["matches"] = [tuple(r for r in records_of[i.split(":")[1]] if r != i) for i in sample["record_id"]]
    return linkage.with_review(sample)


def test_a_reviewed_result_shows_what_the_review_found_and_both_numbers_seen():
    linkage = _reviewed(_linkage())
    data, result = _fit(linkage, "review")
    section = mse.report.build_report(result, data).section("linkage")
    record = result.details["linkage"]
    text = " ".join(section.paragraphs)
    assert "Correction 'review'" in text
    assert f"hold {data.n_observed:,} people" in text and f"{result.observed:,} distinct people" in text
    assert "Of the 200 bootstrap replicates of the review, 0 gave no estimate." in text
    _, variance, review, _ = section.tables
    assert f"{record['linkage_share']:.0%} of the variance comes from reviewing a sample" in variance.caption
    assert variance.frame["variance of log N"].tolist() == pytest.approx(
        [record["within"], record["between"], record["total"]]
    )
    found = dict(zip(review.frame[""], review.frame["value"], strict=True))
    assert found["records reviewed on police"] == 60
    assert found["of which false"] == record["review"]["false_links"]
    assert found["recall of the links"] == pytest.approx(record["review"]["recall"], abs=5e-4)
    # under a policy the review's counts are suppressed and rounded like the others
    policy = mse.DisclosurePolicy(suppress_below=10, round_to=5)
    protected = mse.report.build_report(result, data, policy=policy).section("linkage").tables[2].frame
    for label, value in zip(protected[""], protected["value"], strict=True):
        if not label.startswith(("precision", "recall")):
            assert value in ("<10", SUPPRESSED) or value % 5 == 0, (label, value)
