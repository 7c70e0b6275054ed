"""The `mse compare` and `mse diagnose` commands, report protection, and one-line usage errors."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from mse.cli import main


def test_compare_prints_a_table(capsys):
    assert main(["compare", "--dataset", "kosovo", "--methods", "independence,Mt,M0"]) == 0
    out = capsys.readouterr().out
    assert "4,400 people observed on 4 lists" in out
    # People are whole numbers, as in the summaries: N = 7,394.6 is printed 7,395.
    assert out.count("ok") >= 3 and "7,395" in out and "7,394.6" not in out


def test_compare_json_records_failures(capsys):
    assert main(["compare", "--dataset", "kosovo", "--methods", "independence,crystal_ball", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["status"] == "ok"
    assert rows[1]["status"].startswith("error: unknown method")


def test_diagnose(capsys):
    import mse

    assert main(["diagnose", "--dataset", "uk2013_5", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    fitted = mse.estimate(mse.load_dataset("uk2013_5"), random_seed=1)  # what mse estimate fits: the default
    assert f"method auto, model {fitted.model}" in out
    checked = re.search(r"Estimability of '([^']*)'", out).group(1)
    assert set(checked.split(" + ")) == set(fitted.model.removeprefix("stepwise: ").split(" + "))
    assert "Internal consistency" in out and "without GP" in out
    assert not re.search(r"\de\+\d", out)  # people as whole numbers, never 1e+04
    assert main(["diagnose", "--dataset", "artificial_3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["uninformative_lists"] == ["C"]
    assert report["estimability"]["non_overlapping_pairs"] == ["A:C", "B:C"]


def test_diagnose_fits_what_estimate_fits_with_covariates_and_method(capsys):
    arguments = ["--dataset", "spina_bifida_ethnicity", "--method", "independence", "--n-boot", "20", "--seed", "4"]
    assert main(["estimate", *arguments, "--json"]) == 0
    estimated = json.loads(capsys.readouterr().out)
    assert main(["diagnose", *arguments, "--json"]) == 0
    diagnosed = json.loads(capsys.readouterr().out)
    assert diagnosed["diagnosed"]["model"] == estimated["model"]
    assert diagnosed["estimate"]["estimate"] == estimated["estimate"]
    assert estimated["strata"] is not None  # the covariate is in the model diagnosed, not summed out


def test_estimate_protects_small_counts(capsys):
    assert main(["estimate", "--dataset", "korea", "--method", "independence", "--round-to", "10"]) == 0
    out = capsys.readouterr().out
    assert "estimate (N):     140" in out
    assert main(["estimate", "--dataset", "korea", "--method", "independence", "--suppress-below", "200"]) == 0
    assert "observed (n):     <200" in capsys.readouterr().out


def test_usage_mistake_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["estimate", "--level"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mse estimate: error: argument --level")


def test_simulate_command(capsys, tmp_path):
    import mse

    scenario = mse.simulate.Scenario(population_size=2000, capture_probabilities=[0.3, 0.3, 0.3])
    path = tmp_path / "scenario.json"
    path.write_text(scenario.to_json())
    assert (
        main(
            [
                "simulate",
                str(path),
                "--replicates",
                "6",
                "--methods",
                "independence",
                "--workers",
                "1",
                "--seed",
                "4",
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary[0]["method"] == "independence" and summary[0]["replicates"] == 6
    # independent lists with equal capture probabilities: the independence model is unbiased
    assert abs(summary[0]["relative_bias"]) < 0.05
    out = tmp_path / "one.csv"
    assert main(["simulate", str(path), "--generate", str(out), "--seed", "4"]) == 0
    assert out.read_text().startswith("A,B,C,count")
    assert main(["simulate", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


# ---------------------------------------------------------------------- awkward input files
def _run(capsys, argv):
    """Exit status, stdout and stderr of one command; a usage mistake's SystemExit counts as its status."""
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _one_line_error(status, err):
    assert status == 2, err
    assert err.count("\n") == 1 and ": error: " in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("A,B,count\n1,0,18446744073709551615\n0,1,100\n1,1,14\n", r"above 2\*\*62 in row 0"),  # was n = 114, exit 0
        ("A,B,count\n1,0,99999999999999999999999\n0,1,100\n1,1,14\n", r"above 2\*\*62 in row 0"),  # was a traceback
        ("A,B,count\n1,0,4611686018427387904\n0,1,4611686018427387904\n1,1,4611686018427387904\n", "add up to"),
        ("", "is empty"),  # was a traceback
        ("\n\n", "is empty"),
        ("A,B,count\n1,0,40\n0,1,30,5\n", "cannot read"),
        ("A,B,count\n1,0,4\n0,1,three\n1,1,1\n", "not a number in row 1"),
    ],
)
def test_bad_csv_files_are_one_line_errors(capsys, tmp_path, content, match):
    path = tmp_path / "table.csv"
    path.write_text(content)
    status, out, err = _run(capsys, ["estimate", "--csv", str(path), "--method", "chapman"])
    _one_line_error(status, err)
    assert re.search(match, err) and out == ""


def test_a_binary_file_or_a_directory_is_a_one_line_error(capsys, tmp_path):
    binary = tmp_path / "table.csv"
    binary.write_bytes(bytes(range(128, 256)))
    _one_line_error(*_run(capsys, ["describe", "--csv", str(binary)])[::2])
    _one_line_error(*_run(capsys, ["describe", "--csv", str(tmp_path)])[::2])


@pytest.mark.parametrize(
    "content",
    [
        "A;B;count\n1;0;40\n0;1;30\n1;1;10\n",  # was "has no 'count' column"
        "A\tB\tcount\n1\t0\t40\n0\t1\t30\n1\t1\t10\n",
        "\ufeffA,B,count\n1,0,40\n0,1,30\n1,1,10\n",  # a byte-order mark, as Excel writes
        "\ufeffA;B;count\r\n1;0;40\r\n0;1;30\r\n1;1;10\r\n",
    ],
)
def test_semicolons_tabs_and_byte_order_marks_are_read(capsys, tmp_path, content):
    path = tmp_path / "table.csv"
    path.write_text(content, encoding="utf-8")
    status, out, err = _run(capsys, ["estimate", "--csv", str(path), "--method", "chapman"])
    assert status == 0, err
    assert "observed (n):     80" in out


def test_a_missing_count_column_names_the_columns_found(capsys, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("A,B,n\n1,0,40\n0,1,30\n1,1,10\n")
    status, _, err = _run(capsys, ["estimate", "--csv", str(path)])
    _one_line_error(status, err)
    assert "'A', 'B', 'n'" in err and "--count" in err


def test_records_errors_do_not_echo_values(capsys, tmp_path):
    """`--records` without `--lists` takes every column for a list: the error used to quote 'Alice Smith'."""
    path = tmp_path / "people.csv"
    path.write_text("name,A,B\nAlice Smith,1,0\nBob Jones,1,1\nCarl Diaz,0,1\n")
    status, _, err = _run(capsys, ["estimate", "--csv", str(path), "--records"])
    _one_line_error(status, err)
    assert "'name'" in err and "row 0" in err and "--lists" in err and "Alice" not in err
    status, out, err = _run(
        capsys, ["estimate", "--csv", str(path), "--records", "--lists", "A,B", "--method", "chapman"]
    )
    assert status == 0 and "observed (n):     3" in out


def test_present_option(capsys, tmp_path):
    """The error told the user to pass present=VALUE, but the command had no way to."""
    path = tmp_path / "people.csv"
    path.write_text("A,B\nyes,no\nYes ,yes\n YES,\nno,yes\n")
    argv = ["estimate", "--csv", str(path), "--records", "--method", "chapman"]
    status, out, err = _run(capsys, [*argv, "--present", "yes"])
    assert status == 0, err
    assert "observed (n):     4" in out  # "Yes " and " YES" are present; the blank cell is absent
    path.write_text("A,B\nyes,no\ny,yes\nno,yes\n")
    status, _, err = _run(capsys, [*argv, "--present", "yes"])
    _one_line_error(status, err)
    assert "'A'" in err and "row 1" in err


def test_a_column_in_two_roles_is_refused(capsys, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("A,B,count\n1,0,40\n0,1,30\n1,1,10\n")
    status, _, err = _run(capsys, ["estimate", "--csv", str(path), "--lists", "A,count"])
    _one_line_error(status, err)
    assert "both as a list and as the count column" in err


def test_list_names_that_break_model_strings_are_refused(capsys, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("A:1,B+2,count\n1,0,40\n0,1,30\n1,1,10\n")
    status, _, err = _run(capsys, ["estimate", "--csv", str(path)])
    _one_line_error(status, err)
    assert "rename the column" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--dataset", "kosovo", "--seed", "-1"],  # was accepted
        ["estimate", "--dataset", "kosovo", "--seed", "abc"],
        ["compare", "--dataset", "kosovo", "--seed", "1.5"],
        ["estimate", "--dataset", "kosovo", "--level", "95"],
        ["estimate", "--dataset", "kosovo", "--n-boot", "0"],
        ["simulate", "scenario.json", "--replicates", "-3"],
        ["simulate", "scenario.json", "--workers", "0"],
    ],
)
def test_bad_numbers_are_usage_errors(capsys, argv):
    status, _, err = _run(capsys, argv)
    _one_line_error(status, err)


@pytest.mark.parametrize(
    ("scenario", "match"),
    [
        ('{"capture_probabilities": [0.3, 0.4]}', "population_size"),  # was a TypeError traceback
        ('{"population_size": 1e30, "capture_probabilities": [0.3, 0.4]}', r"at most 2\*\*62"),  # was OverflowError
        ('{"population_size": 100, "capture_probabilities": [0.3, 0.4], "lists": ["A:1", "B"]}', "rename"),
        ("{population_size: 100", "must be JSON"),
        ("[1, 2]", "expects a dict"),
    ],
)
def test_bad_scenarios_are_one_line_errors(capsys, tmp_path, scenario, match):
    path = tmp_path / "scenario.json"
    path.write_text(scenario)
    for extra in (["--replicates", "2", "--workers", "1"], ["--generate", str(tmp_path / "one.csv")]):
        status, _, err = _run(capsys, ["simulate", str(path), *extra])
        _one_line_error(status, err)
        assert re.search(match, err), err


def test_a_file_that_cannot_be_written_is_a_one_line_error(capsys, tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text('{"population_size": 100, "capture_probabilities": [0.3, 0.4]}')
    (tmp_path / "file").write_text("")
    status, _, err = _run(capsys, ["simulate", str(path), "--generate", str(tmp_path / "file" / "one.csv")])
    _one_line_error(status, err)


def test_warnings_are_one_line_each(capsys, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("A,B,C,count\n1,0,0,40\n0,1,0,30\n1,1,0,10\n")
    status, _, err = _run(capsys, ["describe", "--csv", str(path)])
    assert status == 0
    assert err.startswith("mse: warning: nobody is on list(s) ['C']") and err.count("\n") == 1


def test_spaces_after_delimiters_are_dropped(capsys, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("A, B , count\n1, 0, 40\n0, 1, 30\n1, 1, 10\n")
    status, out, err = _run(capsys, ["estimate", "--csv", str(path), "--method", "chapman", "--lists", "A, B"])
    assert status == 0, err
    assert "observed (n):     80" in out


def test_a_repeated_column_name_is_refused(capsys, tmp_path):
    """pandas renames the second 'A' to 'A.1', which was then taken for a third list."""
    path = tmp_path / "table.csv"
    path.write_text("A,B,A,count\n1,0,0,40\n0,1,0,30\n1,1,1,10\n")
    status, _, err = _run(capsys, ["estimate", "--csv", str(path)])
    _one_line_error(status, err)
    assert "['A'] more than once" in err


def test_an_unnamed_index_column_is_not_taken_for_a_list(capsys, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(",A,B,count\n0,1,0,40\n1,0,1,30\n2,1,1,10\n")
    status, _, err = _run(capsys, ["estimate", "--csv", str(path), "--method", "chapman"])
    _one_line_error(status, err)
    assert "column 1" in err and "has no name" in err and "--lists" in err
    status, out, err = _run(capsys, ["estimate", "--csv", str(path), "--method", "chapman", "--lists", "A,B"])
    assert status == 0 and "observed (n):     80" in out


@pytest.mark.parametrize(
    "extra", [["--lists", "EXH,ABA"], ["--count", "n"], ["--records"], ["--present", "yes"], ["--covariates", "x"]]
)
def test_csv_options_with_a_dataset_are_refused(capsys, extra):
    """--lists with --dataset was silently ignored: the estimate used every list of the data set."""
    status, out, err = _run(capsys, ["estimate", "--dataset", "kosovo", "--method", "independence", *extra])
    _one_line_error(status, err)
    assert extra[0] in err and out == ""


def test_generate_honours_json(capsys, tmp_path):
    """Found by the command-line fuzz: `simulate --generate --json` printed a sentence."""
    path = tmp_path / "scenario.json"
    path.write_text('{"population_size": 500, "capture_probabilities": [0.3, 0.4, 0.5]}')
    out_csv = tmp_path / "one.csv"
    status, out, err = _run(capsys, ["simulate", str(path), "--generate", str(out_csv), "--seed", "3", "--json"])
    assert status == 0, err
    written = json.loads(out)
    assert written["population_size"] == 500 and written["n_observed"] + written["dark_figure"] == 500
    assert written["path"] == str(out_csv) and out_csv.exists()


def test_estimate_json_is_the_whole_result_that_load_result_reads_back(tmp_path, capsys):
    import mse

    assert main(["estimate", "--dataset", "spina_bifida_ethnicity", "--method", "independence", "--n-boot", "30",
                 "--seed", "2", "--json"]) == 0  # fmt: skip
    path = tmp_path / "result.json"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    loaded = mse.load_result(path)
    again = mse.estimate(mse.load_dataset("spina_bifida_ethnicity"), method="independence", n_boot=30, random_seed=2)
    assert loaded.estimate == again.estimate and (loaded.lower, loaded.upper) == (again.lower, again.upper)
    pd.testing.assert_frame_equal(loaded.breakdown("eth"), again.breakdown("eth"))  # the breakdown travels too


def test_estimate_json_under_a_policy_is_for_publication_with_its_breakdowns(capsys):
    assert main(["estimate", "--dataset", "spina_bifida_ethnicity", "--method", "independence", "--n-boot", "30",
                 "--seed", "2", "--json", "--round-to", "10"]) == 0  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    assert payload["disclosure"]["round_to"] == 10
    assert [row["eth"] for row in payload["breakdowns"]["eth"]] == ["afro-american", "caucasian", "other"]
    assert all(row["estimate"] % 10 == 0 for row in payload["breakdowns"]["eth"] if isinstance(row["estimate"], int))
    assert "strata" not in payload and "draws" not in payload


PYTHON_SPELLINGS = re.compile(r"\b[a-z_]+=(True|False|None)\b|mse\.[a-z_]+\(|\b[a-z_]+='|\b1 people\b")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Try method='lcmcr' (latent classes)", "Try --method lcmcr (latent classes)"),
        ("heterogeneity_check=False switches this check off.", "--option heterogeneity_check=false switches"),
        ("use interval='bca' or n_boot=2000", "use --interval bca or --n-boot 2000"),
        ("refit with covariates=[] to sum them out", "refit with no --covariates to sum them out"),
        ("choose with lists=['A', 'B']", "choose with --lists A,B"),
        ("fit model='A:B + B:C'", 'fit --model "A:B + B:C"'),
        ("mse.list_datasets() shows the 22 available", "`mse datasets` shows the 22 available"),
        ("z = 12.5, p = 0.02", "z = 12.5, p = 0.02"),
    ],
)
def test_messages_are_reworded_for_the_command_line(text, said):
    from mse.cli import _speak_command_line

    assert said in _speak_command_line(text)


@pytest.mark.parametrize(
    ("rows", "arguments"),
    [
        ("A,B,count\n0,0,1\n1,0,3\n0,1,4\n1,1,2\n", []),  # one person on no list
        ("A,B,count\n1,0,3\n0,1,4\n1,1,2\n", ["--method", "loglinear", "--model", "A:B:C"]),  # unknown list
        ("A,B,count\n1,0,3\n0,1,4\n1,1,2\n", ["--method", "stepwise", "--option", "nboot=3"]),  # misspelt option
    ],
)
def test_errors_and_warnings_speak_command_line(tmp_path, capsys, rows, arguments):
    table = tmp_path / "table.csv"
    table.write_text(rows, encoding="utf-8")
    main(["estimate", "--csv", str(table), *arguments])
    captured = capsys.readouterr()
    assert not PYTHON_SPELLINGS.search(captured.err + captured.out), captured.err + captured.out


def test_the_heterogeneity_advice_names_flags(capsys):
    assert main(["estimate", "--dataset", "kosovo", "--method", "independence"]) == 0
    out = capsys.readouterr().out
    assert "Try --method lcmcr" in out and "--option heterogeneity_check=false" in out
    assert not PYTHON_SPELLINGS.search(out)


SPINA = ["estimate", "--dataset", "spina_bifida_ethnicity", "--method", "independence", "--n-boot", "40", "--seed", "1"]


def test_by_prints_the_breakdown_with_rates_from_a_finer_population_table(tmp_path, capsys):
    import mse

    population = tmp_path / "population.csv"
    # finer than the breakdown: residents by ethnicity and sex add up to the ethnicity's population
    population.write_text(
        "eth,sex,population\nafro-american,f,30000\nafro-american,m,30000\ncaucasian,f,200000\ncaucasian,m,200000\n"
        "other,f,25000\nother,m,25000\n",
        encoding="utf-8",
    )
    assert main([*SPINA, "--by", "eth", "--population", str(population)]) == 0
    out = capsys.readouterr().out
    result = mse.estimate(mse.load_dataset("spina_bifida_ethnicity"), method="independence", n_boot=40, random_seed=1)
    caucasian = result.breakdown("eth").set_index("eth").loc["caucasian"]
    line = next(line for line in out.splitlines() if line.strip().startswith("caucasian"))
    assert "400,000" in line
    assert f"{caucasian['estimate'] / 400_000 * 100_000:,.2f}" in line  # the rate per 100,000


def test_rates_only_for_breakdowns_the_population_table_covers(tmp_path, capsys):
    population = tmp_path / "population.csv"
    population.write_text("sex,population\nf,100\nm,100\n", encoding="utf-8")
    assert main([*SPINA, "--by", "eth", "--population", str(population)]) == 0
    out = capsys.readouterr().out
    assert "rate" not in out.split("Estimated population by eth")[1].splitlines()[1]
    assert "(no rates: " in out


def test_a_withheld_estimate_withholds_its_rate(tmp_path, capsys):
    population = tmp_path / "population.csv"
    population.write_text("eth,population\nafro-american,60000\ncaucasian,400000\nother,50000\n", encoding="utf-8")
    assert main([*SPINA, "--by", "eth", "--population", str(population), "--suppress-below", "100"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("other"))
    assert line.split()[-3:] == ["suppressed"] * 3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--population", "{population}"], "--population gives rates for the breakdowns asked for with --by"),
        (["--by", "eth", "--json"], "--json prints the whole result"),
        (["--by", "eth", "--population", "{bad}"], "population must be a positive number"),
        (["--by", "eth", "--population", "{nocolumn}"], "has no 'population' column"),
    ],
)
def test_breakdown_options_fail_in_one_line(tmp_path, capsys, extra, message):
    files = {
        "population": "eth,population\nother,5\n",
        "bad": "eth,population\nother,-5\n",
        "nocolumn": "eth,people\nother,5\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    arguments = [item.format(**{k: str(tmp_path / f"{k}.csv") for k in files}) for item in extra]
    assert main([*SPINA, *arguments]) == 2
    assert message in capsys.readouterr().err
