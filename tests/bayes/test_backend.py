"""The Bayesian backend: the one module that imports PyMC, PyTensor and ArviZ, the one convergence rule, and
the one set of sampler-setting names (with the former names as deprecated aliases)."""

from __future__ import annotations

import ast
import dataclasses
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import mse
from mse.bayes import backend
from mse.bayes.backend import CONVERGENCE, ConvergenceRule, sampler_options
from mse.bayes.latent_class.gibbs import sample_latent_class
from mse.bayes.latent_class.hmc import sample_latent_class_hmc

SRC = Path(mse.__file__).parent
FOREIGN = {"pymc", "pytensor", "arviz"}

H = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
C = np.array([60, 50, 40, 20, 15, 12, 5])


def _foreign_imports(path: Path) -> list[str]:
    """``import x`` / ``from x import ...`` statements of the foreign packages, and ``importlib`` calls naming them."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"{path.relative_to(SRC)}:{node.lineno}: {name}" for name in names if name.split(".")[0] in FOREIGN]
    return found


def test_only_the_backend_imports_pymc_pytensor_and_arviz():
    offenders = [
        hit
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "bayes" / "backend.py"
        for hit in _foreign_imports(path)
    ]
    assert not offenders, "import PyMC, PyTensor and ArviZ through mse.bayes.backend:\n" + "\n".join(offenders)


def test_the_scan_finds_every_form_of_import(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    module = tmp_path / "module.py"
    module.write_text(
        "import numpy\nimport pymc as pm\nfrom arviz import rhat\nimport pytensor.tensor as pt\n"
        "def f():\n    import importlib\n    return importlib.import_module('pymc')\n"
        "from mse.bayes.backend import import_pymc\n",
        encoding="utf-8",
    )
    assert [hit.split(": ")[1] for hit in _foreign_imports(module)] == ["pymc", "arviz", "pytensor.tensor", "pymc"]


def test_import_mse_does_not_import_the_sampling_libraries():
    code = (
        "import sys, mse, mse.diagnostics; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pymc', 'pytensor', 'arviz'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- the convergence rule -------------------------------------------------------------------------


def test_the_rule_keeps_the_thresholds_of_vehtari_et_al():
    assert CONVERGENCE == ConvergenceRule(max_rhat=1.01, min_ess=400.0)
    assert CONVERGENCE.converged(1.01, 400.0) and not CONVERGENCE.converged(1.0101, 400.0)
    assert not CONVERGENCE.converged(1.0, 399.9)
    assert not CONVERGENCE.converged(math.nan, 1000.0) and not CONVERGENCE.converged(1.0, math.nan)
    np.testing.assert_array_equal(
        CONVERGENCE.converged_where(np.array([1.0, 1.02, np.nan]), np.array([500.0, 500.0, 500.0])),
        [True, False, False],
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        CONVERGENCE.max_rhat = 1.1  # type: ignore[misc]


def test_every_sampler_reads_the_shared_rule(monkeypatch):
    from mse.bayes.latent_class.adaptive import RunBudget
    from mse.bayes.loglinear.posterior import LoglinearPosterior, Prior

    # A posterior whose N has R-hat 1.03 and 250 effective draws: not converged by the default rule.
    posterior = LoglinearPosterior(
        lists=("A", "B"), terms=frozenset(), model="independence", names=[], coef=np.zeros((2, 1, 0)),
        population=np.zeros((2, 1)), observed=1, prior=Prior(), idata=None, infinite_terms=(), rhat=1.03,
        ess_bulk=250.0, ess_tail=250.0, divergences=0, mode={},
    )  # fmt: skip
    assert len(posterior.convergence_problems()) == 2
    assert RunBudget().rule == CONVERGENCE

    lenient = ConvergenceRule(max_rhat=1.05, min_ess=200.0)
    monkeypatch.setattr(backend, "CONVERGENCE", lenient)
    assert posterior.convergence_problems() == []
    assert RunBudget().rule == lenient
    assert RunBudget(target_ess=100.0).rule == ConvergenceRule(max_rhat=1.05, min_ess=100.0)


@pytest.mark.filterwarnings("ignore::mse.MultimodalityWarning")
def test_lcmcr_verdict_and_mcmc_diagnostics_follow_the_shared_rule(monkeypatch):
    data = mse.load_dataset("kosovo")
    short = {"K": 3, "chains": 2, "draws": 30, "tune": 10, "n_temperatures": 1, "n_threads": 1}
    with pytest.warns(mse.ConvergenceWarning, match="threshold 1.01"):
        strict = mse.estimate(data, method="lcmcr", random_seed=1, **short)
    assert not strict.ok
    assert not mse.mcmc_diagnostics(strict)["converged"].iloc[0]

    monkeypatch.setattr(backend, "CONVERGENCE", ConvergenceRule(max_rhat=math.inf, min_ess=0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", mse.ConvergenceWarning)
        lenient = mse.estimate(data, method="lcmcr", random_seed=1, **short)
    assert lenient.ok, lenient.status
    np.testing.assert_array_equal(lenient.draws, strict.draws)
    assert mse.mcmc_diagnostics(lenient)["converged"].iloc[0]


# --- the names of the sampler settings ------------------------------------------------------------


def test_sampler_options_renames_and_warns():
    with pytest.warns(mse.MSEDeprecationWarning, match=r"n_burnin= is deprecated.*use tune="):
        assert sampler_options({"n_burnin": 5, "K": 3}, "lcmcr") == {"K": 3, "tune": 5}
    with pytest.raises(mse.ModelError, match="not both"):
        sampler_options({"n_draws": 5, "draws": 5}, "lcmcr")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sampler_options({"draws": 5}, "lcmcr") == {"draws": 5}


def test_the_deprecation_warning_is_the_library_s_own_and_shown_by_default():
    assert issubclass(mse.MSEDeprecationWarning, mse.MSEWarning)
    assert issubclass(mse.MSEDeprecationWarning, FutureWarning)


@pytest.mark.parametrize("function", [sample_latent_class, sample_latent_class_hmc])
def test_low_level_samplers_take_the_former_names_with_a_warning(function):
    new = function(H, C, K=3, chains=2, draws=40, tune=20, random_seed=3)
    with pytest.warns(mse.MSEDeprecationWarning) as caught:
        old = function(H, C, K=3, n_chains=2, n_draws=40, n_burnin=20, random_seed=3)
    assert len(caught) == 3
    np.testing.assert_array_equal(new.N, old.N)
    np.testing.assert_array_equal(new.alpha, old.alpha)


def test_lcmcr_former_names_give_the_same_run_and_warn():
    data = mse.load_dataset("kosovo")
    common = {"K": 3, "n_temperatures": 1, "n_threads": 1, "random_seed": 4}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new = mse.estimate(data, method="lcmcr", chains=2, draws=60, tune=20, **common)
    assert not any(issubclass(w.category, mse.MSEDeprecationWarning) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = mse.estimate(data, method="lcmcr", n_chains=2, n_draws=60, n_burnin=20, **common)
    said = [str(w.message) for w in caught if issubclass(w.category, mse.MSEDeprecationWarning)]
    assert len(said) == 3 and all(
        f"{name}= is deprecated" in m for name, m in zip(("n_draws", "n_burnin", "n_chains"), said)
    )
    np.testing.assert_array_equal(new.draws, old.draws)
    assert (new.estimate, new.lower, new.upper, new.status) == (old.estimate, old.lower, old.upper, old.status)
    # The deprecation concerns the call, not the result.
    assert new.warnings == old.warnings
    # The run is recorded under the current names and, for scripts that read them, the former ones.
    for current, former, value in (("draws", "n_draws", 60), ("tune", "n_burnin", 20), ("chains", "n_chains", 2)):
        assert new.details[current] == new.details[former] == old.details[former] == value
        assert new.idata.attrs[current] == new.idata.attrs[former] == value
    with pytest.raises(mse.ModelError, match="n_chains must be at least 2"), pytest.warns(mse.MSEDeprecationWarning):
        mse.estimate(data, method="lcmcr", n_chains=1)
    with pytest.raises(mse.ModelError, match=r"^chains must be at least 2"):
        mse.estimate(data, method="lcmcr", chains=1)


def test_dga_former_name_gives_the_same_draws_and_warns():
    data = mse.load_dataset("kosovo")
    new = mse.estimate(data, method="dga", draws=50, random_seed=2)
    with pytest.warns(mse.MSEDeprecationWarning, match="n_draws="):
        old = mse.estimate(data, method="dga", n_draws=50, random_seed=2)
    np.testing.assert_array_equal(new.draws, old.draws)
    assert new.estimate == old.estimate and new.draws.size == 50


def test_bayes_loglinear_takes_the_former_names_as_aliases():
    # Renaming happens before any sampling: a bad value under a former name is refused in its new name's check.
    with pytest.warns(mse.MSEDeprecationWarning), pytest.raises(mse.ModelError, match="draws must be"):
        mse.estimate(mse.load_dataset("kosovo"), method="bayes_loglinear", n_draws=0)
    with pytest.raises(mse.ModelError, match="not both"):
        mse.estimate(mse.load_dataset("kosovo"), method="bayesthresh", n_chains=2, chains=2)


@pytest.mark.parametrize(
    "draws",
    [
        np.random.default_rng(0).normal(size=(4, 500)),
        np.random.default_rng(1).poisson(3, size=(4, 500)).astype(float),  # many ties
        np.cumsum(np.random.default_rng(2).normal(size=(4, 301)), axis=1),  # not converged, odd length
        np.random.default_rng(3).normal(size=(4, 500)) + np.arange(4)[:, None] * 0.3,  # chains apart
        np.random.default_rng(4).normal(size=(1, 200)),  # one chain: no R-hat
        np.random.default_rng(5).normal(size=(2, 5)),
        np.ones((4, 50)),  # chains that never move
    ],
)
def test_convergence_of_draws_equals_arviz(draws):
    from mse.bayes.backend import convergence_of_draws, import_arviz

    az = import_arviz()
    ours = convergence_of_draws(draws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = float(az.rhat(draws)) if draws.shape[0] > 1 else math.nan
        expected = (rhat, float(az.ess(draws, method="bulk")), float(az.ess(draws, method="tail")))
    np.testing.assert_allclose(ours, expected, rtol=1e-9, equal_nan=True)


def test_convergence_of_draws_of_too_few_or_non_finite_draws_is_nan():
    from mse.bayes.backend import convergence_of_draws

    assert all(math.isnan(v) for v in convergence_of_draws(np.zeros((2, 3))))
    assert all(math.isnan(v) for v in convergence_of_draws(np.array([[1.0, np.nan, 2.0, 3.0, 4.0]] * 2)))
