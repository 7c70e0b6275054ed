"""Package-level promises: public names, lazy Bayesian imports, import time, the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import mse
from mse.cli import main


def test_public_names():
    for name in [
        "CaptureData",
        "load_dataset",
        "list_datasets",
        "estimate",
        "Estimate",
        "ModelSearch",
        "MSEError",
        "DataError",
        "ModelError",
        "EstimabilityError",
        "MSEWarning",
        "ConvergenceWarning",
        "EstimabilityWarning",
        "__version__",
    ]:
        assert hasattr(mse, name), name
    assert issubclass(mse.ModelError, ValueError) and not issubclass(mse.EstimabilityError, ValueError)
    assert issubclass(mse.ConvergenceWarning, mse.MSEWarning)


def test_import_does_not_load_pymc_or_arviz():
    code = (
        "import sys, time; t = time.perf_counter(); import mse; print(time.perf_counter() - t); "
        "print(any(m.split('.')[0] in ('pymc', 'arviz', 'pytensor', 'matplotlib', 'numba') for m in sys.modules)); "
        "print('mse.methods.bayes' in sys.modules and 'mse.methods.registry' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "False"
    assert out[2] == "True"  # the method classes, the Bayesian ones included, are part of what was imported


def test_unknown_method_is_a_model_error():
    with pytest.raises(mse.ModelError, match="unknown method"):
        mse.estimate(mse.load_dataset("kosovo"), method="crystal_ball")


def test_estimate_rejects_non_capture_data():
    with pytest.raises(mse.DataError, match="CaptureData"):
        mse.estimate({"10": 3}, method="independence")  # type: ignore[arg-type]


def test_failed_estimate_is_not_a_number():
    failed = mse.Estimate.failed(method="x", observed=10, status="the MLE does not exist")
    assert not failed.ok
    assert "not available" in failed.summary()
    row = failed.to_frame().iloc[0]
    assert row["status"] == "the MLE does not exist" and row["estimate"] != row["estimate"]  # nan
    json.loads(failed.to_json())


def test_cli_datasets_and_describe(capsys):
    assert main(["datasets"]) == 0
    assert "netherlands" in capsys.readouterr().out
    assert main(["describe", "--dataset", "uk2013"]) == 0
    out = capsys.readouterr().out
    assert "Silverman" in out and "LA-GP" in out


def test_cli_bad_input_is_one_line_and_exit_2(capsys, tmp_path):
    assert main(["describe", "--dataset", "atlantis"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mse: error: unknown data set") and err.count("\n") == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,count\n1,0,3\n2,1,4\n")
    assert main(["describe", "--csv", str(bad)]) == 2
    assert "'A' holds a number in row 1" in capsys.readouterr().err
    assert main(["describe", "--csv", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_reads_records(capsys, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("A,B,sex\n1,0,f\n1,1,m\n0,1,\n")
    assert main(["describe", "--csv", str(people), "--records", "--covariates", "sex"]) == 0
    assert "n_observed=3" in capsys.readouterr().out


@pytest.mark.parametrize("level", [95, 0, 1, -0.5, float("nan"), True, "0.95", None])
def test_a_bad_level_is_refused_by_every_front_door(level):
    data = mse.load_dataset("kosovo")
    with pytest.raises(mse.ModelError, match="level"):
        mse.estimate(data, method="chapman", level=level)
    with pytest.raises(mse.ModelError, match="level"):
        mse.compare(data, methods=["chapman"], level=level)


def test_the_distribution_name_is_not_the_unrelated_mse_on_the_package_index():
    """``pip install mse`` installs someone else's project; ours is published under a free name, imported as mse."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    assert project["name"] == "multiple-systems-estimation"
    extras = project["optional-dependencies"]
    runtime_extras = set(extras) - {"test", "docs", "all"}
    assert extras["all"] == [f"multiple-systems-estimation[{','.join(sorted(runtime_extras))}]"]
