"""``mse report``: the same estimate as ``mse estimate``, or a saved one, written as one HTML page."""

from __future__ import annotations

import pytest

from mse.cli import main


def test_report_fits_and_writes_the_page(tmp_path, capsys):
    page = tmp_path / "kosovo.html"
    status = main(["report", "--dataset", "kosovo", "--method", "independence", "--suppress-below", "10",
                   "--output", str(page)])  # fmt: skip
    assert status == 0
    assert "Disclosure control: counts below 10 suppressed." in page.read_text(encoding="utf-8")
    assert f"wrote {page}" in capsys.readouterr().out


def test_report_of_a_saved_result_needs_no_refit(tmp_path, capsys):
    saved = tmp_path / "result.json"
    assert main(["estimate", "--dataset", "kosovo", "--method", "stepwise", "--seed", "3", "--save", str(saved)]) == 0
    page = tmp_path / "report.html"
    assert main(["report", "--result", str(saved), "--dataset", "kosovo", "--output", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "method=&#39;stepwise&#39;" in text  # the saved options, not a new fit's
    assert "random seed</td><td>3</td>" in text


def test_a_report_for_other_data_than_the_result_is_refused(tmp_path, capsys):
    saved = tmp_path / "result.json"
    main(["estimate", "--dataset", "kosovo", "--method", "independence", "--save", str(saved)])
    status = main(["report", "--result", str(saved), "--dataset", "korea", "--output", str(tmp_path / "r.html")])
    assert status == 2
    assert "not the data the result was fitted to" in capsys.readouterr().err


@pytest.mark.parametrize("change", ["year", "year:2016", "year::2018", "year:2016:2017:2018"])
def test_a_malformed_change_is_a_one_line_error(tmp_path, capsys, change):
    status = main(["report", "--dataset", "kosovo", "--method", "independence", "--change", change,
                   "--output", str(tmp_path / "r.html")])  # fmt: skip
    assert status == 2
    assert "--change takes COVARIATE:FIRST:SECOND" in capsys.readouterr().err
