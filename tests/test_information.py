"""Tables that carry no information about N never yield an "ok" estimate, whatever the method."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

import mse
from mse.api import METHODS
from mse.information import NO_INFORMATION, PRIOR_METHODS, information_problem
from mse.methods import registry
from mse.results import Estimate
from mse.testing import check_estimate

#: The tables of the hostile test, and their kin with three lists.
UNINFORMATIVE = {
    "second list empty": ({"10": 30}, ["A", "B"], "only list A has anyone on it (list B is empty)"),
    "two lists never overlap": ({"10": 400, "01": 250}, ["A", "B"], "lists A and B never overlap"),
    "three lists never overlap": (
        {"100": 40, "010": 25, "001": 12},
        ["A", "B", "C"],
        "lists A, B and C never overlap",
    ),
    "everyone on one list": ({"100": 40}, ["A", "B", "C"], "only list A has anyone on it (lists B and C are empty)"),
    "a single person": ({"110": 1}, ["A", "B", "C"], "a single person was observed"),
    "a single person, one list": ({"01": 1}, ["A", "B"], "a single person was observed"),
}

#: Tables that do inform N, although parts of them do not.
INFORMATIVE = {
    "only one pair overlaps": ({"100": 40, "010": 25, "110": 10, "001": 12}, ["A", "B", "C"]),
    "an empty list among three": ({"100": 40, "010": 25, "110": 10}, ["A", "B", "C"]),
    "everyone on every list": ({"111": 50}, ["A", "B", "C"]),
    "one person seen twice": ({"10": 30, "01": 20, "11": 1}, ["A", "B"]),
}

NON_BAYESIAN = sorted(set(METHODS) - PRIOR_METHODS)


def _table(name: str) -> mse.CaptureData:
    patterns, lists, _ = UNINFORMATIVE[name]
    return mse.CaptureData.from_patterns(patterns, lists)


@pytest.mark.parametrize("name", sorted(UNINFORMATIVE))
def test_the_check_says_why(name):
    _, _, why = UNINFORMATIVE[name]
    reason = information_problem(_table(name))
    assert reason is not None and reason.startswith(NO_INFORMATION)
    assert why in reason


@pytest.mark.parametrize("name", sorted(INFORMATIVE))
def test_partial_overlap_is_information(name):
    patterns, lists = INFORMATIVE[name]
    assert information_problem(mse.CaptureData.from_patterns(patterns, lists)) is None


def test_covariates_are_summed_out():
    frame = pd.DataFrame({"A": [1, 0, 1, 0], "B": [0, 1, 0, 1], "sex": ["f", "f", "m", "m"], "count": [5, 7, 3, 4]})
    data = mse.CaptureData.from_counts(frame, lists=["A", "B"], covariates=["sex"])
    assert "never overlap" in information_problem(data)
    frame.loc[len(frame)] = [1, 1, "m", 2]
    assert information_problem(mse.CaptureData.from_counts(frame, lists=["A", "B"], covariates=["sex"])) is None


@pytest.mark.parametrize("method", NON_BAYESIAN)
@pytest.mark.parametrize("name", sorted(UNINFORMATIVE))
def test_no_method_reports_a_number(method, name):
    data = _table(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mse.estimate(data, method, random_seed=1)
    assert not result.ok
    assert result.status.startswith(NO_INFORMATION)
    assert math.isnan(result.estimate) and math.isnan(result.lower) and math.isnan(result.upper)
    assert result.observed == data.n_observed
    assert check_estimate(result, data) == []
    with pytest.raises(mse.EstimabilityError, match=NO_INFORMATION):
        mse.estimate(data, method, random_seed=1, strict=True)


def test_chapman_zero_overlap_is_not_an_estimate():
    """Chapman's +1 correction gives 650 on two lists that never overlap: not information."""
    result = mse.estimate(_table("two lists never overlap"), "chapman")
    assert math.isnan(result.estimate) and "never overlap" in result.status


def _prior_sampler(data, *, level, interval, random_seed, **options):
    return Estimate(estimate=77659.0, lower=650.0, upper=1e6, level=level, observed=data.n_observed, method="dga")


@pytest.mark.parametrize("method", sorted(PRIOR_METHODS))
def test_bayesian_methods_keep_the_posterior_under_a_status(monkeypatch, method):
    monkeypatch.setitem(METHODS, method, "tests.test_information:_prior_sampler")
    monkeypatch.setattr(registry, "_is_installed", lambda target: True)
    data = _table("two lists never overlap")
    result = mse.estimate(data, method)
    assert result.estimate == 77659.0
    assert not result.ok and result.status.startswith(NO_INFORMATION)
    assert "prior" in result.status
    with pytest.raises(mse.EstimabilityError, match=NO_INFORMATION):
        mse.estimate(data, method, strict=True)


def test_dga_on_a_single_person_says_the_prior_speaks():
    data = _table("a single person")
    result = mse.estimate(data, "dga", random_seed=1)
    assert not result.ok and "the prior speaking" in result.status
    assert check_estimate(result, data) == []


def test_compare_and_internal_consistency_show_the_status():
    data = _table("three lists never overlap")
    table = mse.compare(data, ["independence", "Mt", "stepwise"])
    assert table["status"].str.startswith(NO_INFORMATION).all()
    assert table["estimate"].isna().all()
    consistency = mse.internal_consistency(data, method="independence")
    # it reports why each check cannot be made (no one of a list is seen by the others), never "ok"
    assert not (consistency["status"] == "ok").any()
    assert (consistency["status"].str.len() > 10).all()


def test_cli_shows_the_status(tmp_path, capsys):
    from mse.cli import main

    path = tmp_path / "disjoint.csv"
    pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [400, 250]}).to_csv(path, index=False)
    assert main(["estimate", "--csv", str(path), "--method", "chapman"]) == 1
    assert NO_INFORMATION in capsys.readouterr().out
    assert main(["compare", "--csv", str(path), "--methods", "chapman,independence"]) in (0, 1)
    assert NO_INFORMATION in capsys.readouterr().out
