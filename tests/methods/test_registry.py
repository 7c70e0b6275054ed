"""Method names: the built-in classes, methods registered at run time, and bare estimator functions."""

from __future__ import annotations

import time
import warnings

import pytest

import mse
from mse.budget import checkpoint
from mse.methods import Method, method_class, option, register_method, specification
from mse.methods.registry import METHODS

TWO_LISTS = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])


@specification
class Doubled(Method):
    """Chapman's estimate and interval, each multiplied by ``factor`` (for these tests).

    Examples
    --------
    >>> round(Doubled(factor=2.0).fit(TWO_LISTS).estimate, 3)
    229.091
    """

    name = "doubled"

    factor: float = option(2.0, "The multiplier.")

    def run(self, data, *, level, interval, random_seed):
        result = mse.methods.Chapman().run(data, level=level, interval=interval, random_seed=random_seed)
        return result.with_updates(
            method=self.name,
            estimate=self.factor * result.estimate,
            lower=self.factor * result.lower,
            upper=self.factor * result.upper,
        )


def _sleeps_then_checks(data, *, level, interval, random_seed, **options):
    time.sleep(0.05)
    checkpoint("sleeping")
    return mse.methods.Chapman(**options).run(data, level=level, interval=interval, random_seed=random_seed)


@pytest.fixture
def registry_kept():
    """Whatever a test registers is gone afterwards."""
    saved = dict(METHODS)
    yield
    METHODS.clear()
    METHODS.update(saved)


def test_a_registered_class_is_a_method_name(registry_kept):
    register_method("doubled", Doubled)
    result = mse.estimate(TWO_LISTS, "doubled", factor=3.0)
    chapman = mse.estimate(TWO_LISTS, "chapman")
    assert result.estimate == pytest.approx(3 * chapman.estimate) and result.ok
    assert result.metadata["options"] == {"method": "doubled", "level": 0.95, "interval": None, "factor": 3.0}
    assert "doubled" in mse.available_methods() and method_class("doubled") is Doubled
    with pytest.raises(mse.ModelError, match=r"unknown option\(s\) \['factr'\].*\['factor', 'max_seconds'\]"):
        mse.estimate(TWO_LISTS, "doubled", factr=3.0)
    with pytest.raises(mse.ModelError, match="factor must be a number"):
        mse.estimate(TWO_LISTS, "doubled", factor="three")


def test_a_registered_function_checks_its_own_options(registry_kept):
    import sim_estimators

    register_method("function_lincoln", sim_estimators.lincoln_petersen)
    method = method_class("function_lincoln").from_options({"colour": "red"})
    assert method.options() == {"colour": "red"}
    with pytest.raises(ValueError, match="unknown options"):
        mse.estimate(TWO_LISTS, "function_lincoln", colour="red")
    by_function = mse.estimate(TWO_LISTS, "function_lincoln")
    assert by_function.estimate == pytest.approx(mse.estimate(TWO_LISTS, "chapman").estimate)


def test_a_function_named_by_a_string_keeps_the_time_budget(monkeypatch):
    monkeypatch.setitem(METHODS, "slow_chapman", f"{__name__}:_sleeps_then_checks")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cut = mse.estimate(TWO_LISTS, "slow_chapman", max_seconds=0.001)
        done = mse.estimate(TWO_LISTS, "slow_chapman", lists=("A", "B"))
    assert cut.status.startswith("cut short") and cut.metadata["options"]["max_seconds"] == 0.001
    assert done.ok and done.metadata["options"]["lists"] == ["A", "B"]


@pytest.mark.parametrize("target", [42, "no_colon", Doubled()])
def test_register_method_refuses_what_is_not_a_method(target):
    with pytest.raises(mse.ModelError, match="register_method"):
        register_method("x", target)


def test_register_method_needs_a_name():
    with pytest.raises(mse.ModelError, match="non-empty string"):
        register_method("", Doubled)


def test_an_unknown_name_lists_the_available_ones():
    with pytest.raises(mse.ModelError, match=r"unknown method 'crystal_ball'; choose one of \[.*'stepwise'"):
        method_class("crystal_ball")
    with pytest.raises(mse.ModelError, match="unknown method"):
        mse.estimate(TWO_LISTS, 3)  # type: ignore[arg-type]


def test_auto_finds_its_method_through_the_public_lookup():
    assert not hasattr(mse.api, "_resolve")
    result = mse.estimate(mse.load_dataset("korea"), "auto", interval="wald", n_boot=10)
    assert result.details["auto"]["method"] == "stepwise" and result.model == "stepwise: b:c"
    with pytest.raises(mse.ModelError, match=r"unknown option\(s\) \['n_boot'\] for method 'chapman'"):
        mse.estimate(TWO_LISTS, "auto", n_boot=10)


def test_importing_the_methods_imports_no_model_code():
    import subprocess
    import sys

    code = (
        "import sys; import mse.methods; "
        "print(sorted(m for m in sys.modules if m.startswith(('mse.loglinear', 'mse.closed', 'mse.bayes.latent_class', "
        "'mse.bayes.graphical', 'mse.bayes.loglinear', 'pymc', 'arviz', 'pytensor'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_compare_and_studies_take_method_objects():
    import pickle

    from mse.benchmark import SerialExecutor, run
    from mse.simulate import Scenario

    data = mse.load_dataset("kosovo")
    table = mse.compare(data, [mse.methods.Stepwise(max_order=3), "stepwise", ("bic", {"max_order": 2})])
    assert list(table["label"]) == [
        "stepwise (Chan et al.), up to three-way terms",
        "stepwise (Chan et al.)",
        "BIC-best model, pairs only",
    ]
    assert table["estimate"].iloc[0] == mse.estimate(data, "stepwise", max_order=3).estimate
    method = mse.methods.LCMCR.from_options({"K": 3, "n_draws": 50})
    assert pickle.loads(pickle.dumps(method)).options() == {"K": 3, "n_draws": 50}  # travels to workers
    scenario = Scenario(2000, [0.3, 0.4, 0.5], name="independent")
    by_object = run(scenario, [mse.methods.Mt()], 3, 1, SerialExecutor(), progress=False).results
    by_name = run(scenario, ["Mt"], 3, 1, SerialExecutor(), progress=False).results
    assert list(by_object["estimate"]) == list(by_name["estimate"]) and set(by_object["method"]) == {"Mt"}
