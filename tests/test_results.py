"""The results contract shared by every method: Estimate and its views."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import mse
from mse.results import protect_counts


def _stratified_result() -> mse.Estimate:
    strata = pd.DataFrame(
        {
            "year": [2010, 2010, 2011, 2011],
            "sex": ["f", "m", "f", "m"],
            "observed": [5, 20, 7, 30],
            "estimate": [10.0, 40.0, 14.0, 60.0],
        }
    )
    rng = np.random.default_rng(0)
    draws = strata["estimate"].to_numpy() * rng.lognormal(0.0, 0.1, size=(2000, 4))
    return mse.Estimate(
        estimate=124.0,
        lower=110.0,
        upper=140.0,
        level=0.9,
        observed=62,
        method="demo",
        draws=draws.sum(axis=1),
        strata=strata,
        details={"strata_draws": draws},
    )


def test_breakdown_levels_add_up_and_use_the_same_replicates():
    result = _stratified_result()
    by_year = result.breakdown("year")
    assert list(by_year.columns) == ["year", "observed", "estimate", "lower", "upper"]
    assert by_year["estimate"].sum() == pytest.approx(result.estimate)
    assert by_year["observed"].tolist() == [25, 37]
    draws = result.details["strata_draws"]
    expected = np.percentile(draws[:, 0] + draws[:, 1], [5, 95])
    np.testing.assert_allclose(by_year.loc[0, ["lower", "upper"]].to_numpy(dtype=float), expected)
    both = result.breakdown(["year", "sex"])
    assert len(both) == 4 and both["estimate"].sum() == pytest.approx(124.0)


def test_breakdown_errors():
    with pytest.raises(mse.ModelError, match="no estimates by covariate"):
        mse.Estimate(estimate=1.0, lower=1.0, upper=1.0, level=0.95, observed=1, method="x").breakdown("year")
    with pytest.raises(mse.ModelError, match="has covariates"):
        _stratified_result().breakdown("nationality")


def test_save_and_load_round_trip(tmp_path):
    result = _stratified_result().with_updates(upper=math.inf, status="no finite upper limit")
    path = tmp_path / "result.json"
    result.save(path)
    json.loads(path.read_text())  # strict JSON
    loaded = mse.load_result(path)
    assert loaded == result
    np.testing.assert_allclose(loaded.draws, result.draws)
    pd.testing.assert_frame_equal(loaded.breakdown("sex"), result.breakdown("sex"))
    assert loaded.upper == math.inf


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.json"
    path.write_text("{}")
    with pytest.raises(mse.DataError, match="not a result"):
        mse.load_result(path)


# ---------------------------------------------------------------------- saved files are checked when read
def _saved_payload(tmp_path) -> dict:
    result = mse.Estimate(
        estimate=120.0,
        lower=100.0,
        upper=150.0,
        level=0.95,
        observed=80,
        method="demo",
        interval_method="profile",
        draws=np.linspace(100.0, 150.0, 20),
        details={"se": 12.0},
    )
    result.save(tmp_path / "good.json")
    return json.loads((tmp_path / "good.json").read_text())


def _edited(payload: dict, **changes) -> str:
    return json.dumps({**payload, **changes})


def _without(payload: dict, key: str) -> str:
    return json.dumps({k: v for k, v in payload.items() if k != key})


#: Regressions: each of these raised a non-library error, or loaded as a valid result.
CORRUPT = {
    "truncated": (lambda p: json.dumps(p)[: len(json.dumps(p)) // 2], "not JSON"),
    "empty": (lambda p: "", "not JSON"),
    "a list": (lambda p: "[]", "holds a list, expected an object"),
    "null": (lambda p: "null", "holds null"),
    "missing key": (lambda p: _without(p, "observed"), "key 'observed' is missing"),
    "missing status": (lambda p: _without(p, "status"), "key 'status' is missing"),
    "renamed key": (lambda p: json.dumps(p).replace('"warnings"', '"warning"'), "key 'warnings' is missing"),
    "unknown key": (lambda p: _edited(p, note="x"), "key 'note' is not one"),
    "binary": (lambda p: b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not UTF-8"),
    "deep nesting": (lambda p: "[" * 100_000 + "]" * 100_000, "levels deep"),
    "deep nesting in details": (lambda p: _edited(p, details=json.loads('{"a":' * 100 + "1" + "}" * 100)), "details"),
    "NaN literal": (lambda p: json.dumps(p).replace('"estimate": 120.0', '"estimate": NaN'), "literal NaN"),
    "Infinity literal": (lambda p: json.dumps(p).replace('"upper": 150.0', '"upper": Infinity'), "literal Infinity"),
    "huge integer": (lambda p: json.dumps(p).replace('"observed": 80', '"observed": 1' + "0" * 5000), "cannot read"),
    "repeated key": (
        lambda p: json.dumps(p).replace('"status": "ok"', '"status": "failed for a reason", "status": "ok"'),
        "more than once",
    ),
    "estimate null with status ok": (lambda p: _edited(p, estimate=None), "status 'ok' with estimate = nan"),
    "negative estimate": (lambda p: _edited(p, estimate=-5), "below the 80 people observed"),
    "lower above the estimate": (lambda p: _edited(p, lower=130.0), "not within"),
    "overflowing limit": (lambda p: json.dumps(p).replace('"upper": 150.0', '"upper": 1e999'), "upper = inf"),
    "level 7": (lambda p: _edited(p, level=7), "key 'level' is 7; expected a number strictly between 0 and 1"),
    "observed 3.7": (lambda p: _edited(p, observed=3.7), "key 'observed' is 3.7; expected a whole number"),
    "observed true": (lambda p: _edited(p, observed=True), "key 'observed' is True"),
    "warnings a string": (lambda p: _edited(p, warnings="abc"), "key 'warnings' is a string; expected a list"),
    "estimate a string": (lambda p: _edited(p, estimate="120"), "key 'estimate' is '120'"),
    "draws a string": (lambda p: _edited(p, draws="abc"), "draws is a string"),
    "draws nested": (lambda p: _edited(p, draws=[[1.0]]), r"draws\[0\] is a list"),
    "details a list": (lambda p: _edited(p, details=[1]), "key 'details' is a list"),
    "se a string": (lambda p: _edited(p, details={"se": "small"}), r"details\['se'\]"),
    "strata not a table": (lambda p: _edited(p, strata={"columns": 1}), "key 'strata' is not a table"),
    "strata_draws without strata": (lambda p: _edited(p, strata_draws=[[1.0]]), "without the 'strata'"),
    "other format": (lambda p: _edited(p, format="mse.Estimate/9"), "not a result saved by Estimate.save"),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_load_turns_every_corrupt_file_into_a_data_error_that_says_what_is_wrong(tmp_path, case):
    corrupt, message = CORRUPT[case]
    content = corrupt(_saved_payload(tmp_path))
    path = tmp_path / "corrupt.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(mse.DataError, match=message) as caught:
        mse.load_result(path)
    assert "save the result again" in str(caught.value) and str(path) in str(caught.value)


def test_load_refuses_files_over_the_size_limit(tmp_path):
    result = _stratified_result()
    result.save(tmp_path / "r.json")
    size = (tmp_path / "r.json").stat().st_size
    with pytest.raises(mse.DataError, match=r"larger than 1,000 bytes.*max_bytes"):
        mse.load_result(tmp_path / "r.json", max_bytes=1000)
    assert mse.load_result(tmp_path / "r.json", max_bytes=size) == result


def test_load_keeps_what_save_writes(tmp_path):
    """Non-finite numbers, a failed estimate and an estimate without an interval all load back."""
    cases = [
        _stratified_result().with_updates(upper=math.inf, status="no finite upper limit: the profile is flat"),
        mse.Estimate.failed(method="demo", observed=7, status="the lists never overlap, so N is not identifiable"),
        mse.Estimate(estimate=12.0, lower=math.nan, upper=math.nan, level=0.9, observed=10, method="demo"),
        mse.Estimate(
            estimate=12.0,
            lower=11.0,
            upper=14.0,
            level=0.9,
            observed=10,
            method="demo",
            draws=np.array([11.0, math.nan, math.inf, 13.0]),
            warnings=("one", "two"),
            details={"se": math.nan, "jackknife": {"n": 3}},
            metadata={"random_seed": 1},
        ),
    ]
    for i, result in enumerate(cases):
        path = tmp_path / f"{i}.json"
        result.save(path)
        loaded = mse.load_result(path)
        assert loaded == result
        np.testing.assert_array_equal(
            np.asarray(loaded.draws if loaded.draws is not None else []),
            np.asarray(result.draws if result.draws is not None else []),
        )
        assert dict(loaded.metadata) == dict(result.metadata) or not result.metadata


def test_protect_counts_and_summary():
    table = protect_counts(pd.DataFrame({"observed": [0, 3, 250], "estimate": [0.0, 41.7, 1234.4]}), round_to=10)
    assert table["observed"].tolist() == ["0", "<10", "250"]
    # the estimate of a row whose count is suppressed goes with it: N_level = n_level * N / n would give it back
    assert table["estimate"].tolist() == ["0", "suppressed", "1,230"]
    result = mse.Estimate(estimate=1234.4, lower=1000.0, upper=1500.0, level=0.95, observed=7, method="demo")
    text = result.summary(suppress_below=10, round_to=10)
    assert "<10" in text and "1,230" in text and "7" not in text.split("observed (n):")[1].split("\n")[0]


def test_results_are_immutable_and_draws_read_only():
    result = _stratified_result()
    with pytest.raises(AttributeError):
        result.estimate = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.draws[0] = 1.0


def test_html_and_frame_views():
    result = _stratified_result()
    assert "<table>" in result._repr_html_()
    row = result.to_frame()
    assert row.loc[0, "method"] == "demo" and row.loc[0, "estimate"] == 124.0


# ---------------------------------------------------------------------- results cannot be edited
def test_details_and_metadata_are_read_only():
    """Regression: ``res.details["se"] = -1`` changed ``res.se``."""
    result = mse.Estimate(
        estimate=120.0,
        lower=100.0,
        upper=150.0,
        level=0.95,
        observed=80,
        method="demo",
        details={"se": 12.0, "terms": ["A:B"], "nested": {"k": [1, 2]}, "table": pd.DataFrame({"x": [1.0]})},
        metadata={"random_seed": 1},
    )
    with pytest.raises(TypeError):
        result.details["se"] = -1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        del result.details["se"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        result.metadata["random_seed"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        result.details["nested"]["k"] = []
    assert result.se == 12.0 and result.metadata["random_seed"] == 1
    # Lists and frames are handed out as copies: editing them leaves the result as it was.
    result.details["terms"].append("B:C")
    result.details["nested"]["k"].append(3)
    table = result.details["table"]
    table.loc[0, "x"] = -1.0
    assert result.details["terms"] == ["A:B"] and result.details["nested"]["k"] == [1, 2]
    assert result.details["table"].loc[0, "x"] == 1.0


def test_the_callers_dict_is_copied_not_frozen():
    details = {"se": 1.0}
    result = mse.Estimate(estimate=1.0, lower=1.0, upper=1.0, level=0.95, observed=1, method="x", details=details)
    details["se"] = 2.0
    assert result.se == 1.0 and isinstance(details, dict)


def test_strata_and_replicates_cannot_be_edited_through_the_result():
    """Regression: editing ``res.strata`` changed what ``breakdown()`` reported."""
    result = _stratified_result()
    before = result.breakdown("year")
    strata = result.strata
    strata.loc[0, "estimate"] = 1e6
    strata["observed"] = 0
    pd.testing.assert_frame_equal(result.breakdown("year"), before)
    with pytest.raises(ValueError):
        result.details["strata_draws"][0, 0] = 1.0


def test_search_table_and_details_cannot_be_edited():
    search = mse.select_model(mse.load_dataset("kosovo"), method="stepwise")
    table = search.table
    table["estimate"] = -1.0
    assert (search.table["estimate"] != -1.0).all()
    with pytest.raises(TypeError):
        search.details["x"] = 1  # type: ignore[index]


def test_read_only_results_still_pickle_update_save_and_compare(tmp_path):
    import pickle

    result = _stratified_result()
    copy = pickle.loads(pickle.dumps(result))
    assert copy == result and not copy.draws.flags.writeable
    assert not copy.details["strata_draws"].flags.writeable
    pd.testing.assert_frame_equal(copy.breakdown("sex"), result.breakdown("sex"))
    updated = result.with_updates(details={**result.details, "se": 3.0})
    assert updated.se == 3.0 and math.isnan(result.se)
    with pytest.raises(TypeError):
        updated.details["se"] = 4.0  # type: ignore[index]
    result.save(tmp_path / "r.json")
    assert mse.load_result(tmp_path / "r.json") == result
    json.loads(result.to_json())
    search = mse.select_model(mse.load_dataset("kosovo"), method="stepwise")
    assert pickle.loads(pickle.dumps(search)).best == search.best
    table = mse.compare(mse.load_dataset("kosovo"), ["independence", "Mt"], random_seed=1)
    assert (table["status"] == "ok").all()


def test_regression_saved_nan_standard_error_reads_back_as_nan(tmp_path):
    """save writes a nan standard error as null; ``se`` of the loaded result raised TypeError."""
    result = mse.Estimate.failed(method="demo", observed=7, status="the lists never overlap", details={"se": math.nan})
    result.save(tmp_path / "r.json")
    assert '"se": null' in (tmp_path / "r.json").read_text()
    assert math.isnan(mse.load_result(tmp_path / "r.json").se)
