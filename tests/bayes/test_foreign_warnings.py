"""Only the library's own warnings reach the user: what PyMC, PyTensor, ArviZ and NumPy say while a
Bayesian estimator runs is turned into an :class:`mse.MSEWarning` or a status, or dropped as noise."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

import mse
from mse.bayes.backend import foreign_calls

#: Short runs: the point is what is said on the way, not the numbers.
SHORT = {
    "lcmcr": {"K": 5, "n_chains": 2, "n_draws": 100, "n_burnin": 50},
    "bayes_loglinear": {"draws": 50, "tune": 50, "chains": 2, "cores": 1},
    "bayesthresh": {"draws": 50, "tune": 50, "chains": 2, "cores": 1},
    "dga": {"n_draws": 200},
}

TABLES = {
    "everyone on every list": lambda: mse.CaptureData.from_patterns({"111": 50}, ["A", "B", "C"]),
    "a single person": lambda: mse.CaptureData.from_patterns({"100": 1}, ["A", "B", "C"]),
    "two lists that never overlap": lambda: mse.CaptureData.from_patterns(
        {"100": 30, "010": 20, "001": 10, "101": 5, "011": 4}, ["A", "B", "C"]
    ),
    "kosovo": lambda: mse.load_dataset("kosovo"),
}


def _fit_recording(
    method: str, data: mse.CaptureData, **options: object
) -> tuple[object, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        try:
            result = mse.estimate(data, method=method, random_seed=1, **{**SHORT[method], **options})
        except mse.MSEError as error:  # a typed refusal is part of the contract
            result = error
    return result, recorded


def _foreign(recorded: list[warnings.WarningMessage]) -> list[str]:
    return [
        f"{w.category.__name__} from {w.filename}:{w.lineno}: {w.message}"
        for w in recorded
        if not issubclass(w.category, mse.MSEWarning)
    ]


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize("method", list(SHORT))
def test_only_the_library_s_warnings_escape(method, table, capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.DataWarning)  # lists nobody is on: said when the table is built
        data = TABLES[table]()
    capfd.readouterr()
    result, recorded = _fit_recording(method, data)
    assert not _foreign(recorded), _foreign(recorded)
    # Nor do PyMC's log messages or progress bars ("Auto-assigning NUTS sampler", "Only 50 samples per
    # chain") reach the terminal.
    err = capfd.readouterr().err
    for text in ("NUTS", "samples per chain", "Sampling", "pytensor", "arviz"):
        assert text not in err, err
    if isinstance(result, mse.Estimate) and not result.ok:
        assert len(result.status) > 10  # a result that is not "ok" says why


@pytest.mark.parametrize("sampler", ["pymc", "hmc"])
def test_floating_point_trouble_in_the_sampler_is_said_in_the_library_s_words(sampler):
    # Everyone on every list: PyMC's NUTS meets invalid values of the two-way model's log density, which
    # PyTensor reported as raw RuntimeWarnings ("invalid value encountered in dot"). The compiled HMC
    # sampler meets overflow only when its steps are too long for the posterior: no warm-up (tune=0)
    # leaves the first step at 1 in whitened units, far too long for this posterior.
    data = TABLES["everyone on every list"]()
    options = {"sampler": sampler} if sampler == "pymc" else {"sampler": sampler, "tune": 0}
    result, recorded = _fit_recording("bayes_loglinear", data, **options)
    assert not _foreign(recorded)
    assert not result.ok
    said = [str(w.message) for w in recorded if issubclass(w.category, mse.ConvergenceWarning)]
    assert any("floating-point trouble" in message for message in said)
    assert any("floating-point trouble" in message for message in result.warnings)


def test_foreign_calls_pass_the_library_s_own_warnings_on_and_drop_noise():
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        with foreign_calls() as caught:
            warnings.warn("the API will change", FutureWarning, stacklevel=1)
            warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
            warnings.warn("ours", mse.ConvergenceWarning, stacklevel=1)
    assert [w.category for w in outside] == [mse.ConvergenceWarning]
    assert [w.category for w in caught] == [RuntimeWarning]
    assert "floating-point trouble" in caught.describe("the test")


def test_importing_arviz_and_pymc_through_the_library_is_quiet(tmp_path):
    # ArviZ announces its refactor with a FutureWarning once a day (a stamp file in the user's cache); a
    # fresh cache makes it try, and -W error turns any warning that escapes into a failure.
    code = "from mse.bayes.backend import import_arviz, import_pymc; import_arviz(); import_pymc()"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONWARNINGS": "error"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "refactor" not in done.stderr and "Warning" not in done.stderr
