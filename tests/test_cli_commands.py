"""The `mse compare` and `mse diagnose` commands, report protection, and one-line usage errors."""

from __future__ import annotations

import json

import pytest

from mse.cli import main


def test_compare_prints_a_table(capsys):
    assert main(["compare", "--dataset", "kosovo", "--methods", "independence,Mt,M0"]) == 0
    out = capsys.readouterr().out
    assert "4,400 people observed on 4 lists" in out
    assert out.count("ok") >= 3 and "7,394.6" in out


def test_compare_json_records_failures(capsys):
    assert main(["compare", "--dataset", "kosovo", "--methods", "independence,crystal_ball", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["status"] == "ok"
    assert rows[1]["status"].startswith("error: unknown method")


def test_diagnose(capsys):
    assert main(["diagnose", "--dataset", "uk2013_5"]) == 0
    out = capsys.readouterr().out
    assert "Estimability of 'independence'" in out and "Internal consistency" in out and "without GP" in out
    assert main(["diagnose", "--dataset", "artificial_3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["uninformative_lists"] == ["C"]
    assert report["estimability"]["non_overlapping_pairs"] == ["A:C", "B:C"]


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
