"""method="auto": the documented rule, recorded in the result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mse
from mse.auto import MAX_AUTO_LISTS, choose_method


def test_two_lists_use_chapman_and_warn():
    data = mse.CaptureData.from_patterns({"10": 40, "01": 30, "11": 10}, lists=["A", "B"])
    with pytest.warns(mse.EstimabilityWarning, match="independent"):
        result = mse.estimate(data, method="auto")
    # Chapman (1951): (n1 + 1)(n2 + 1)/(m + 1) - 1 with n1 = 50, n2 = 40, m = 10
    assert result.estimate == pytest.approx(51 * 41 / 11 - 1)
    assert result.details["auto"]["method"] == "chapman"
    assert result.method == "auto" and result.model.startswith("chapman")


def test_three_or_more_lists_use_stepwise_with_bca():
    """Three-way terms are open to the search; on Kosovo it adds one and the interval holds the Memory Book count."""
    result = mse.estimate(mse.load_dataset("kosovo"), method="auto", random_seed=3, n_boot=200, progress=False)
    stepwise = mse.estimate(
        mse.load_dataset("kosovo"),
        method="stepwise",
        max_order=3,
        interval="bca",
        random_seed=3,
        n_boot=200,
        progress=False,
    )
    assert result.details["auto"] == {
        "method": "stepwise",
        "interval": "bca",
        "reason": choose_method(mse.load_dataset("kosovo"))[2],
    }
    assert (result.estimate, result.lower, result.upper) == (stepwise.estimate, stepwise.lower, stepwise.upper)
    assert result.lower <= result.estimate <= result.upper
    assert result.model.endswith("EXH:OSCE:HRW")
    assert result.lower < 10_401 < result.upper


def test_three_lists_search_pairs_only():
    method, options, reason = choose_method(mse.load_dataset("korea"))
    assert (method, options["max_order"]) == ("stepwise", 2)
    assert "three-way" not in reason


def test_interval_can_be_overridden():
    result = mse.estimate(mse.load_dataset("korea"), method="auto", interval="profile")
    assert result.interval_method == "profile"


def test_too_many_lists():
    rng = np.random.default_rng(0)
    t = MAX_AUTO_LISTS + 1
    frame = pd.DataFrame(rng.random((500, t)) < 0.2, columns=[f"L{i}" for i in range(t)])
    frame = frame[frame.any(axis=1)]
    data = mse.CaptureData.from_records(frame, lists=list(frame.columns))
    with pytest.raises(mse.ModelError, match="merge"):
        mse.estimate(data, method="auto")


def test_auto_is_the_default_method():
    data = mse.CaptureData.from_patterns({"10": 40, "01": 30, "11": 10}, lists=["A", "B"])
    with pytest.warns(mse.EstimabilityWarning):
        assert mse.estimate(data).details["auto"]["method"] == "chapman"


def test_three_way_terms_up_to_seven_lists_only():
    rng = np.random.default_rng(1)
    for t, order in [(4, 3), (7, 3), (8, 2)]:
        frame = pd.DataFrame(rng.random((400, t)) < 0.3, columns=[f"L{i}" for i in range(t)])
        frame = frame[frame.any(axis=1)]
        data = mse.CaptureData.from_records(frame, lists=list(frame.columns))
        assert choose_method(data)[1]["max_order"] == order
