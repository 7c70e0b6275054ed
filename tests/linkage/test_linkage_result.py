"""LinkageResult's draws of link configurations, error rates and tables of any labelling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mse
from mse.linkage import LinkageResult
from mse.linkage.result import ERROR_RATE_COLUMNS


def _linkage(probabilities: list[float], threshold: float = 0.5) -> LinkageResult:
    """Records a0..ak on A and b0..bk on B, pair ai-bi with the given probabilities, and c0 on C."""
    k = len(probabilities)
    records = pd.DataFrame(
        {
            "record_id": [f"a{i}" for i in range(k)] + [f"b{i}" for i in range(k)] + ["c0"],
            "list": ["A"] * k + ["B"] * k + ["C"],
            "year": [2020 + i % 2 for i in range(k)] * 2 + [2021],
        }
    )
    pairs = pd.DataFrame(
        {
            "record_id_l": [f"a{i}" for i in range(k)],
            "record_id_r": [f"b{i}" for i in range(k)],
            "match_probability": probabilities,
        }
    )
    return LinkageResult(records, pairs, lists=("A", "B", "C"), threshold=threshold)


def test_sample_clusters_links_each_pair_with_its_probability():
    linkage = _linkage([0.0, 0.3, 0.8, 1.0])
    labels = linkage.sample_clusters(4000, random_seed=5)
    assert labels.shape == (4000, linkage.n_records)
    joined = labels[:, :4] == labels[:, 4:8]  # a_i with b_i
    assert joined[:, 0].sum() == 0 and joined[:, 3].all()
    # binomial standard errors of 0.007 and 0.006: 5 of them apart
    assert joined[:, 1].mean() == pytest.approx(0.3, abs=0.035)
    assert joined[:, 2].mean() == pytest.approx(0.8, abs=0.03)
    # c0 has no candidate pair: alone in every draw
    assert (labels[:, 8:9] != labels[:, :8]).all()


def test_sample_clusters_is_reproducible_and_takes_the_transitive_closure():
    records = pd.DataFrame({"record_id": ["a", "b", "c"], "list": ["A", "B", "C"]})
    pairs = pd.DataFrame({"record_id_l": ["a", "b"], "record_id_r": ["b", "c"], "match_probability": [1.0, 1.0]})
    linkage = LinkageResult(records, pairs, lists=("A", "B", "C"))
    assert linkage.sample_clusters(3, random_seed=1).tolist() == [[0, 0, 0]] * 3
    other = _linkage([0.5] * 30)
    first = other.sample_clusters(10, random_seed=3)
    assert np.array_equal(first, other.sample_clusters(10, random_seed=3))
    assert not np.array_equal(first, other.sample_clusters(10, random_seed=4))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_sample_clusters_refuses_a_bad_number_of_draws(bad):
    with pytest.raises(mse.DataError, match="n_draws"):
        _linkage([0.5]).sample_clusters(bad, random_seed=1)


def test_sample_clusters_refuses_a_bad_seed():
    with pytest.raises(mse.ModelError):
        _linkage([0.5]).sample_clusters(2, random_seed=-1)


def test_error_rates_by_hand():
    # A-B pairs: links 0.9, 0.6 (false links 0.1 + 0.4), non-links 0.3, 0.1 (missed 0.4)
    linkage = _linkage([0.9, 0.6, 0.3, 0.1])
    rates = linkage.error_rates()
    assert list(rates.columns) == list(ERROR_RATE_COLUMNS)
    assert rates[["list_a", "list_b"]].values.tolist() == [["A", "B"], ["A", "C"], ["B", "C"]]
    ab = rates.iloc[0]
    assert ab["links"] == 2 and ab["candidate_pairs"] == 4
    assert ab["records_a"] == 4 and ab["records_b"] == 4
    assert ab["expected_matches"] == pytest.approx(1.9)
    assert ab["expected_false_links"] == pytest.approx(0.5)
    assert ab["expected_missed_links"] == pytest.approx(0.4)
    assert ab["alpha"] == pytest.approx(1.5 / 1.9)
    assert ab["beta"] == pytest.approx(0.5 / (4 - 1.9))
    # no candidate pair between A and C: no matches, so no alpha; no false links, so beta 0
    ac = rates.iloc[1]
    assert ac["links"] == 0 and np.isnan(ac["alpha"]) and ac["beta"] == 0.0


def test_capture_data_of_the_threshold_is_the_linked_table():
    linkage = _linkage([0.9, 0.6, 0.3, 0.1])
    linked = mse.CaptureData.from_linked(linkage, covariates=["year"])
    plain = linkage.capture_data(covariates=["year"])
    assert type(plain) is mse.CaptureData
    pd.testing.assert_frame_equal(plain.to_frame(), linked.to_frame())


def test_capture_data_of_any_labelling():
    linkage = _linkage([0.9, 0.6])
    # everyone alone: two on A, two on B, one on C
    table = linkage.capture_data(np.arange(linkage.n_records) * 7)
    assert table.pattern_counts().to_dict() == {"100": 2, "010": 2, "001": 1}
    with pytest.raises(mse.DataError, match="labels"):
        linkage.capture_data(np.array([0, 1]))
    with pytest.raises(mse.DataError, match="covariate"):
        linkage.capture_data(covariates=["age"])


def test_history_counts_agree_with_the_tables():
    linkage = _linkage([0.5] * 12)
    labels = linkage.sample_clusters(6, random_seed=2)
    counts = linkage.history_counts(labels)
    for draw in range(6):
        expected = np.asarray(linkage.capture_data(labels[draw]).dense_counts())[1:]
        assert counts[draw].tolist() == expected.tolist()
