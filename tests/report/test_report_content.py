"""What a report holds: every section, numbers that stay numbers, and disclosure control on every count."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from report_fixtures import SECTIONS, yearly_population

import mse
from mse.report.display import display_value


@pytest.fixture(scope="module")
def yearly() -> tuple[mse.CaptureData, mse.Estimate]:
    data = yearly_population()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        result = mse.estimate(data, method="bic_aic", n_boot=60, random_seed=1)
    return data, result


@pytest.fixture(scope="module")
def kosovo() -> tuple[mse.CaptureData, mse.Estimate]:
    data = mse.load_dataset("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MSEWarning)
        result = mse.estimate(data, method="stepwise", random_seed=1)
    return data, result


def test_every_section_in_order_whatever_the_method(kosovo, yearly):
    for data, result in (kosovo, yearly):
        report = mse.report.build_report(result, data)
        assert [section.anchor for section in report.sections] == SECTIONS
        page = report.to_html()
        for anchor in SECTIONS:
            assert f'<section id="{anchor}">' in page


def test_a_closed_population_estimate_without_data_still_has_every_section():
    result = mse.estimate(mse.load_dataset("korea"), method="Mt")
    report = mse.report.build_report(result)
    assert [section.anchor for section in report.sections] == SECTIONS
    assert "not given" in report.section("data").paragraphs[0]
    assert "no search" in report.section("search").paragraphs[0]


def test_the_search_is_labelled_and_the_chosen_model_marked(kosovo):
    data, result = kosovo
    (table,) = mse.report.build_report(result, data).section("search").tables
    assert table.caption.startswith("The forward path of the stepwise search")
    assert _terms(table.frame["model"].iloc[table.highlight]) == _terms(result.model)


def test_an_exhaustive_search_shows_its_best_models_with_the_chosen_one_marked(kosovo):
    data, _ = kosovo
    result = mse.estimate(data, method="bic", interval="wald")
    (table,) = mse.report.build_report(result, data).section("search").tables
    assert table.caption.startswith("The 10 best of the 113 models of the exhaustive search, by BIC")
    assert len(table.frame) == 10
    assert _terms(table.frame["model"].iloc[table.highlight]) == _terms(result.model)
    assert table.frame["bic"].is_monotonic_increasing


def test_breakdowns_and_the_change_between_years_come_from_the_result(yearly):
    data, result = yearly
    report = mse.report.build_report(result, data, by=["year", ("year", "sex")], changes=[("year", 2016, 2018)])
    by_year, by_year_and_sex = report.section("breakdowns").tables
    pd.testing.assert_frame_equal(by_year.frame, result.breakdown("year"))
    assert by_year_and_sex.frame["estimate"].sum() == pytest.approx(result.estimate)
    assert len(report.section("breakdowns").figures) == 1  # one figure for the single covariate
    change, trend = report.section("change").tables
    pd.testing.assert_frame_equal(change.frame, result.contrast("year", 2016, 2018))
    pd.testing.assert_frame_equal(trend.frame, result.trend("year"))


def test_the_change_defaults_to_the_first_and_last_year(yearly):
    data, result = yearly
    change, _ = mse.report.build_report(result, data).section("change").tables
    assert change.frame["quantity"].tolist() == ["2016", "2018", "difference", "ratio"]


def test_tables_keep_numbers_as_numbers_and_the_page_formats_them(kosovo):
    data, result = kosovo
    report = mse.report.build_report(result, data)
    per_list = report.section("data").tables[0].frame
    assert pd.api.types.is_integer_dtype(per_list["people"])
    page = report.to_html()
    assert f"{data.n_observed:,}" in page  # 4,400: thousands separators on the page, not in the table
    text = re.sub(r'src="data:image/png;base64,[^"]*"', "", page)  # base64 may spell anything
    assert not re.search(r"\de\+\d", text)  # no 1e+04 for a number of people


@pytest.mark.parametrize(
    ("value", "column", "shown"),
    [(10401, "estimate", "10,401"), (10401.4, "upper", "10,401"), (2016, "year", "2016"), (2016, "first", "2016"),
     (0.0044, "p_value", "0.0044"), (2.5e-36, "p_value", "2.5e-36"), (245.94, "aic", "245.9"),
     (31.047, "rate", "31.05"),
     (float("nan"), "estimate", "-"), (float("inf"), "upper", "unbounded"), (1.2345, "ratio", "1.23"),
     (1.48, "estimate", "1.48"), ("<10", "observed", "<10"), (12, "df", "12"), (pd.NA, "covered", "-"),
     (True, "covered", "yes"), (2049, "truth", "2,049")],
)  # fmt: skip
def test_display_of_a_value(value, column, shown):
    assert display_value(value, column) == shown


def test_the_data_given_must_be_the_data_fitted(kosovo):
    _, result = kosovo
    with pytest.raises(mse.DataError, match="not the data the result was fitted to"):
        mse.report.build_report(result, mse.load_dataset("korea"))


def test_a_report_records_where_the_estimate_came_from(kosovo):
    data, result = kosovo
    provenance = mse.report.build_report(result, data).section("provenance").tables[0].frame.set_index("")["value"]
    assert provenance["data hash (SHA-256)"] == data.content_hash
    assert provenance["random seed"] == "1"
    assert provenance["mse_version"] == mse.__version__


def _terms(model: str) -> set[str]:
    return {term.strip() for term in model.split("+")}


def _small_counts_table(counts: list[int]) -> mse.CaptureData:
    patterns = ["100", "010", "001", "110", "101", "011", "111"]
    return mse.CaptureData.from_patterns(dict(zip(patterns, counts)), lists=["A", "B", "C"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.lists(st.integers(min_value=0, max_value=60), min_size=7, max_size=7), threshold=st.sampled_from([5, 10])
)
def test_a_protected_report_prints_no_count_below_the_threshold(counts, threshold):
    """Whatever the table, no count of people observed in (0, threshold) appears in a protected report's tables."""
    assume(sum(counts) > 0)
    data = _small_counts_table(counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mse.estimate(data, method="independence", interval="wald")
    report = mse.report.build_report(result, data, suppress_below=threshold)
    for name in ("summary", "data"):
        for table in report.section(name).tables:
            for column in table.frame.columns:
                if column in ("people", "people on both", "records missing it") or column == "value":
                    values = [v for v in table.frame[column] if isinstance(v, (int, np.integer))]
                    assert not [v for v in values if 0 < v < threshold]
    assert not report.section("estimate").tables  # no coefficients, no cells
    assert "Residuals by capture history are left out" in " ".join(report.section("diagnostics").paragraphs) or (
        result.fit is None
    )


def test_a_protected_page_shows_withheld_counts_as_markers():
    data = _small_counts_table([50, 40, 30, 3, 12, 15, 2])  # A and B overlap in 5 people
    result = mse.estimate(data, method="independence", interval="wald")
    report = mse.report.build_report(result, data, suppress_below=10)
    overlaps = report.section("data").tables[2].frame.set_index(["list", "and list"])["people on both"]
    assert overlaps[("A", "B")] == "<10"
    assert "<td>&lt;10</td>" in report.to_html()


def test_mse_report_is_reached_from_a_bare_import_mse():
    """``import mse`` then ``mse.report.build_report``, as the docs write it, in a fresh interpreter."""
    code = "import sys, mse; mse.report.build_report; print('jinja2' in sys.modules, 'matplotlib' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["False", "False"]  # both imported only when a page is rendered
