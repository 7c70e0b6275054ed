"""Tables of results that print for a reader (mse.result_table.ResultTable) and keep their numbers."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pandas as pd
import pytest

import mse
from mse.result_table import ResultTable, reader_value


@pytest.fixture(scope="module")
def comparison() -> ResultTable:
    # chapman needs two lists: its row fails with a long status and no estimate
    return mse.compare(mse.load_dataset("kosovo"), ["independence", "Mt", "chapman"], random_seed=1)


def test_compare_returns_a_dataframe_of_full_precision_numbers(comparison):
    assert isinstance(comparison, pd.DataFrame) and isinstance(comparison, ResultTable)
    assert comparison["estimate"].dtype == float and type(comparison["estimate"]) is pd.Series
    plain = pd.DataFrame(comparison)
    assert type(plain) is pd.DataFrame
    estimate = float(comparison.loc[0, "estimate"])
    assert not estimate.is_integer()  # kept at full precision, shown rounded
    assert (comparison["estimate"] * 2).iloc[0] == 2 * estimate
    buffer, reference = io.StringIO(), io.StringIO()
    comparison.to_csv(buffer)
    plain.to_csv(reference)
    assert buffer.getvalue() == reference.getvalue() and str(estimate) in buffer.getvalue()
    assert comparison.to_json() == plain.to_json()


def test_the_console_and_the_notebook_show_the_numbers_as_the_summary_does(comparison):
    estimate = float(comparison.loc[0, "estimate"])
    text, html = comparison.to_string(), comparison._repr_html_()
    shown = f"{estimate:,.0f}"
    assert shown in text and shown in html and "," in shown
    assert repr(estimate) not in text and f"{estimate:.6f}"[:-1] not in html
    assert "95%" in text and "NaN" not in text and "NaN" not in html
    failed = comparison.loc[2]
    assert np.isnan(failed["estimate"]) and "no estimate" in text and "no estimate" in html
    assert len(failed["status"]) > 50 and failed["status"] in text  # status in full, not cut at 50 characters
    assert failed["status"].replace("'", "&#x27;") in html or failed["status"] in html
    assert comparison.to_string() == text  # printing changes nothing
    with pd.option_context("display.width", 400, "display.max_columns", 20):
        console = repr(comparison)
    assert shown in console and "no estimate" in console and failed["status"][:40] in console
    assert comparison.to_string(float_format="{:.3f}".format) != text  # pandas' own rendering on request


def test_derived_tables_stay_result_tables_and_keep_their_note():
    data = mse.load_dataset("kosovo")
    policy = mse.DisclosurePolicy(round_to=100)
    table = mse.compare(data, ["independence", "Mt"], policy=policy)
    assert table.disclosure == policy.describe()
    narrowed = table[["label", "estimate"]].sort_values("estimate").head(1)
    assert type(narrowed) is ResultTable and narrowed.disclosure == table.disclosure
    assert repr(narrowed).endswith(f"disclosure: {policy.describe()}")
    assert f"disclosure: {policy.describe()}" in narrowed._repr_html_()
    assert table["observed"].tolist() == [4400, 4400]  # protected when made: rounded to hundreds
    back = pickle.loads(pickle.dumps(table))
    assert type(back) is ResultTable and back.disclosure == table.disclosure
    plain = mse.compare(data, ["independence"])
    assert plain.disclosure is None and "disclosure" not in repr(plain)


def test_a_protected_breakdown_shows_its_markers_and_says_what_was_done():
    strata = pd.DataFrame(
        {"region": ["east", "north", "south"], "observed": [65, 4, 96], "estimate": [131.8, 8.1, 1994.7]}
    )
    res = mse.Estimate(
        estimate=2134.6, lower=1800.0, upper=2600.0, level=0.95, observed=165, method="demo", strata=strata
    )
    table = res.breakdown("region")
    assert type(table) is ResultTable and table["estimate"].tolist() == [131.8, 8.1, 1994.7]
    assert "1,995" in repr(table) and "1994.7" not in repr(table)
    protected = res.breakdown("region", suppress_below=10)
    assert "<10" in repr(protected) and "suppressed" in repr(protected)
    assert protected.disclosure == "counts below 10 suppressed"
    assert "&lt;10" in protected._repr_html_() and "counts below 10 suppressed" in protected._repr_html_()


def test_a_search_table_prints_criteria_and_people_as_read():
    search = mse.select_model(mse.load_dataset("kosovo"), method="bic", max_order=2)
    table = search.table
    assert type(table) is ResultTable and table["bic"].dtype == float
    best = table.iloc[0]
    assert f"{best['bic']:,.1f}" in table.to_string() and f"{best['estimate']:,.0f}" in table.to_string()
    assert f"{best['estimate']:,.0f}" in search._repr_html_()
    table.loc[0, "bic"] = -1.0  # a copy on every read, as before
    assert search.table.loc[0, "bic"] == best["bic"]


def test_a_long_table_is_cut_as_pandas_cuts_it():
    table = ResultTable({"estimate": np.arange(1000, dtype=float) * 1000.5})
    with pd.option_context("display.max_rows", 10, "display.min_rows", 4):
        text = repr(table)
    assert "..." in text and "[1000 rows x 1 columns]" in text and len(text.splitlines()) < 10
    assert "999,500" in text or "999,499" in text


@pytest.mark.parametrize(
    ("value", "column", "shown"),
    [
        (float("nan"), "estimate", "no estimate"),
        (float("nan"), "upper", "—"),
        (float("inf"), "upper", "unbounded"),
        (14341.71, "estimate", "14,342"),
        (0.9, "level", "90%"),
        (0.5, "seconds", "0.50 s"),
        (1017.8, "se", "1,018"),
        ("<10", "observed", "<10"),
        (245.94, "aic", "245.9"),
    ],
)
def test_reader_values(value, column, shown):
    assert reader_value(value, column) == shown
