"""User data are never modified, never logged, and never kept in results.

Inputs are read-only numpy arrays (an in-place write raises at once) and
DataFrames compared against a deep copy taken before the call, so the checks
do not depend on pandas' copy-on-write mode. Results must not hold the
records they were built from, and nothing at the default verbosity may write
cell counts to the logs or to the terminal.
"""

from __future__ import annotations

import json
import logging
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import mse

LISTS = ["A", "B", "C"]
#: Cell counts distinctive enough that finding one in a log means the table was logged.
COUNTS = {"100": 4817, "010": 3929, "001": 2713, "110": 1187, "101": 977, "011": 859, "111": 313}


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array)
    array.flags.writeable = False
    return array


def _counts_frame() -> pd.DataFrame:
    histories = np.array([[int(c) for c in key] for key in COUNTS])
    frame = pd.DataFrame(histories, columns=LISTS)
    frame["sex"] = pd.Categorical(["f", "m", "f", "m", "f", "m", "f"], categories=["f", "m", "x"])
    frame["count"] = list(COUNTS.values())
    return frame


def _records_frame(n: int = 137, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seen = rng.random((n, 3)) < [0.5, 0.4, 0.3]
    seen[seen.sum(axis=1) == 0, 0] = True
    frame = pd.DataFrame(seen.astype(int), columns=LISTS)
    frame["sex"] = rng.choice(["f", "m"], size=n)
    # A column that identifies people: it must never reach a result.
    frame["name"] = [f"person-{i:04d}-zq" for i in range(n)]
    return frame


def _assert_unchanged(frame: pd.DataFrame, snapshot: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, snapshot, check_exact=True)
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            assert list(frame[name].cat.categories) == list(snapshot[name].cat.categories)


# ---------------------------------------------------------------------- constructors
def test_constructor_accepts_readonly_arrays_and_leaves_them_alone():
    histories = _readonly([[int(c) for c in key] for key in COUNTS])
    counts = _readonly(list(COUNTS.values()))
    before = histories.copy(), counts.copy()
    data = mse.CaptureData(histories, counts, LISTS)
    assert data.n_observed == sum(COUNTS.values())
    np.testing.assert_array_equal(histories, before[0])
    np.testing.assert_array_equal(counts, before[1])
    assert not data.histories.flags.writeable and not data.counts.flags.writeable


def test_from_counts_does_not_modify_the_frame():
    frame = _counts_frame()
    snapshot = frame.copy(deep=True)
    data = mse.CaptureData.from_counts(frame, lists=LISTS, count="count", covariates=["sex"])
    _assert_unchanged(frame, snapshot)
    assert data.n_observed == sum(COUNTS.values())


def test_from_counts_with_readonly_columns():
    frame = pd.DataFrame({name: _readonly(_counts_frame()[name].to_numpy()) for name in [*LISTS, "count"]})
    snapshot = frame.copy(deep=True)
    data = mse.CaptureData.from_counts(frame, lists=LISTS)
    _assert_unchanged(frame, snapshot)
    assert data.n_observed == sum(COUNTS.values())


def test_from_records_and_from_patterns_do_not_modify_their_input():
    frame = _records_frame()
    snapshot = frame.copy(deep=True)
    mse.CaptureData.from_records(frame, lists=LISTS, covariates=["sex"])
    _assert_unchanged(frame, snapshot)
    patterns = dict(COUNTS)
    mse.CaptureData.from_patterns(patterns, lists=LISTS)
    assert patterns == COUNTS


def test_drop_unobserved_does_not_modify_the_frame():
    frame = pd.concat([_counts_frame(), pd.DataFrame({"A": [0], "B": [0], "C": [0], "sex": ["f"], "count": [5]})])
    frame["sex"] = frame["sex"].astype(pd.CategoricalDtype(["f", "m", "x"]))
    snapshot = frame.copy(deep=True)
    with pytest.warns(mse.DataWarning):
        mse.CaptureData.from_counts(frame, lists=LISTS, covariates=["sex"], drop_unobserved=True)
    _assert_unchanged(frame, snapshot)


# ---------------------------------------------------------------------- every public function
def _calls():
    """(label, function of data) for the public functions that take a CaptureData."""
    return [
        ("estimate independence", lambda d: mse.estimate(d, "independence")),
        ("estimate loglinear", lambda d: mse.estimate(d, "loglinear", model="A:B", interval="wald")),
        ("estimate stepwise", lambda d: mse.estimate(d, "stepwise")),
        ("estimate bic", lambda d: mse.estimate(d, "bic")),
        ("estimate bic_aic", lambda d: mse.estimate(d, "bic_aic")),
        (
            "estimate bootstrap",
            lambda d: mse.estimate(d, "independence", interval="bca", n_boot=20, random_seed=1, covariates=[]),
        ),
        ("estimate Mh_chao", lambda d: mse.estimate(d, "Mh_chao")),
        ("estimate Mb", lambda d: mse.estimate(d, "Mb")),
        ("estimate chapman", lambda d: mse.estimate(d, "chapman", lists=("A", "B"))),
        ("estimate sample_coverage", lambda d: mse.estimate(d, "sample_coverage", n_boot=10, random_seed=1)),
        ("estimate dga", lambda d: mse.estimate(d, "dga", n_draws=50, random_seed=1)),
        (
            "estimate lcmcr",
            lambda d: mse.estimate(d, "lcmcr", K=3, n_chains=2, n_draws=100, n_burnin=50, random_seed=1),
        ),
        ("select_model", lambda d: mse.select_model(d, method="stepwise")),
        ("check_estimability", lambda d: mse.check_estimability(d, model="A:B")),
        ("goodness_of_fit", lambda d: mse.goodness_of_fit(d, model="A:B")),
        ("internal_consistency", lambda d: mse.internal_consistency(d, min_observed=5)),
        ("overlap_diagnostics", lambda d: mse.overlap_diagnostics(d)),
        ("compare", lambda d: mse.compare(d, ["independence", "Mt"])),
        ("merge_lists", lambda d: d.merge_lists(["A", "B"], into="AB")),
        ("drop_lists", lambda d: d.drop_lists(["C"])),
        ("collapse_covariates", lambda d: d.collapse_covariates()),
    ]


@pytest.fixture(scope="module")
def data_and_results():
    frame = _records_frame()
    data = mse.CaptureData.from_records(frame, lists=LISTS, covariates=["sex"])
    canonical = data.to_frame()
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, call in _calls():
            results[label] = call(data)
    return frame, data, canonical, results


def test_no_public_function_modifies_the_data(data_and_results):
    _frame, data, canonical, _results = data_and_results
    pd.testing.assert_frame_equal(data.to_frame(), canonical, check_exact=True)
    assert not data.histories.flags.writeable and not data.counts.flags.writeable


def test_changing_what_a_table_hands_out_does_not_change_the_table():
    data = mse.CaptureData.from_counts(_counts_frame(), lists=LISTS, covariates=["sex"])
    before = data.to_frame()
    handed_out = data.to_frame()
    handed_out.loc[0, "count"] = 10**6
    values = data.covariate_values
    values.loc[0, "sex"] = "m"
    with pytest.raises(ValueError, match="read-only"):
        data.counts[0] = 1
    pd.testing.assert_frame_equal(data.to_frame(), before)


def _serialised(value) -> str:
    """Everything reachable from a result, as text (DataFrames and arrays included)."""
    try:
        return pickle.dumps(value).decode("latin-1")
    except Exception:  # a result holding something that cannot be pickled: fall back to its repr
        return repr(value)


def test_results_hold_no_individual_records(data_and_results, tmp_path):
    frame, _data, _canonical, results = data_and_results
    names = set(frame["name"])
    for label, result in results.items():
        text = _serialised(result)
        leaked = [name for name in list(names)[:20] if name in text]
        assert not leaked, f"{label} keeps individual records ({leaked[:2]})"
        for table in _frames_in(result):
            assert len(table) != len(frame) or "count" in table.columns, f"{label} holds one row per person"
    estimate = results["estimate independence"]
    path = tmp_path / "result.json"
    estimate.save(path)
    saved = json.loads(path.read_text())
    assert not any(name in json.dumps(saved) for name in names)


def _frames_in(value, depth: int = 0):
    if depth > 3:
        return
    if isinstance(value, pd.DataFrame):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _frames_in(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _frames_in(item, depth + 1)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _frames_in(getattr(value, name), depth + 1)


# ---------------------------------------------------------------------- logs and terminal
@pytest.mark.parametrize(
    "call",
    [
        lambda d: mse.estimate(d, "independence"),
        lambda d: mse.estimate(d, "bic"),
        lambda d: mse.estimate(d, "Mh_chao"),
        lambda d: mse.estimate(d, "sample_coverage", n_boot=10, random_seed=1),
        lambda d: mse.estimate(d, "dga", n_draws=50, random_seed=1),
        lambda d: mse.estimate(d, "lcmcr", K=3, n_chains=2, n_draws=100, n_burnin=50, random_seed=1),
        lambda d: mse.estimate(d, "independence", interval="parametric_bootstrap", n_boot=20, random_seed=1),
        lambda d: mse.select_model(d, method="bic_aic"),
        lambda d: mse.goodness_of_fit(d, model="A:B"),
        lambda d: mse.internal_consistency(d, min_observed=5),
    ],
    ids=["independence", "bic", "Mh_chao", "sample_coverage", "dga", "lcmcr", "bootstrap", "search", "fit", "ic"],
)
def test_nothing_writes_cell_counts_at_default_verbosity(call, caplog, capfd):
    data = mse.CaptureData.from_patterns(COUNTS, lists=LISTS)
    with caplog.at_level(logging.WARNING), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(data)
    out, err = capfd.readouterr()
    written = out + err + "\n".join(record.getMessage() for record in caplog.records)
    for count in COUNTS.values():
        assert str(count) not in written, f"cell count {count} written at default verbosity: {written[:300]}"


@pytest.mark.slow
def test_pymc_methods_are_quiet(capfd, caplog):
    data = mse.CaptureData.from_patterns(COUNTS, lists=LISTS)
    with caplog.at_level(logging.WARNING), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mse.estimate(data, "bayes_loglinear", draws=50, tune=50, chains=2, random_seed=1)
    out, err = capfd.readouterr()
    assert "Sampling" not in out + err and "NUTS" not in out + err
    assert not any(str(count) in out + err for count in COUNTS.values())
