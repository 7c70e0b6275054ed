"""The `mse estimate` command for the log-linear methods."""

from __future__ import annotations

import json
import re

import pytest

from mse.cli import main


def test_stepwise_profile_summary(capsys):
    assert main(["estimate", "--dataset", "uk2013", "--method", "stepwise", "--interval", "profile"]) == 0
    out = capsys.readouterr().out
    assert "PF:NCA + LA:NG + NG:GP + LA:PF + PF:GP + GO:GP + NG:GO" in out
    assert "11,418" in out and "[9,982, 13,182] (profile)" in out  # Rcapture closedpCI.t: 9982.26, 13181.69
    assert "The forward path of the stepwise search" in out
    assert re.search(r"^\*\s+7\s+NG:GO", out, re.MULTILINE)  # the last step, the chosen model, is marked


def test_json_output(capsys):
    assert main(["estimate", "--dataset", "kosovo", "--method", "independence", "--interval", "wald", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["estimate"] == pytest.approx(7394.5867, rel=1e-6)
    assert payload["status"] == "ok" and payload["interval_method"] == "wald"


def test_model_and_max_order_options(capsys):
    assert main(["estimate", "--dataset", "korea", "--method", "bic", "--max-order", "2", "--interval", "wald"]) == 0
    assert "b:c + c:d" in capsys.readouterr().out
    assert main(["estimate", "--dataset", "korea", "--method", "loglinear", "--model", "b:c"]) == 0
    assert "estimate (N):     269" in capsys.readouterr().out  # SparseMSE: 268.78


def test_missing_estimate_exits_1_and_bad_model_exits_2(capsys):
    assert main(["estimate", "--dataset", "korea", "--method", "loglinear", "--model", "all two-way"]) == 1
    assert "does not exist" in capsys.readouterr().out
    assert main(["estimate", "--dataset", "korea", "--method", "loglinear", "--model", "b:zz"]) == 2
    assert "unknown list" in capsys.readouterr().err


def test_csv_input(tmp_path, capsys):
    path = tmp_path / "table.csv"
    path.write_text("A,B,count\n1,0,60\n0,1,30\n1,1,20\n")
    assert main(["estimate", "--csv", str(path), "--method", "independence", "--interval", "wald"]) == 0
    assert "200" in capsys.readouterr().out  # Lincoln-Petersen 80 * 50 / 20
