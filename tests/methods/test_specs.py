"""The method classes: their fields are exactly the options their estimators take, documented, with the same defaults.

Drift between a class and its estimator function fails here. Which options a
function takes is read from the function itself: every function refuses an
unknown option with a message that lists the valid ones, so each is called
with all the class's fields and one option no method has, on a table without
covariates, one with covariates and one of two lists, and the message is
read back.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import typing
import warnings

import pandas as pd
import pytest

import mse
from mse.errors import EstimabilityError
from mse.methods import Method, method_class
from mse.methods.registry import METHODS

BUILT_IN = {name: method_class(name) for name in METHODS}
UNKNOWN = "zz_no_method_has_this"

#: Options handled around the estimator by ``Method.fit`` rather than by the estimator.
FRONT_DOOR = {"max_seconds"}

#: Options an estimator takes on data with covariates only to ignore them (the covariate models share one
#: table of options); the classes leave them out, since they do nothing for these methods.
IGNORED = {"independence": {"max_order", "max_exhaustive_terms"}, "loglinear": {"max_order", "max_exhaustive_terms"}}

#: Options an estimator takes before it checks the rest, so that its message does not list them.
TAKEN_FIRST = {"stepwise": {"covariates"}}


def _tables() -> dict[str, mse.CaptureData]:
    return {
        "plain": mse.load_dataset("korea"),
        "covariates": mse.load_dataset("spina_bifida_ethnicity"),
        "two lists": mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"]),
    }


TABLES = _tables()


def _function(cls: type[Method]):
    module_name, function_name = cls.estimator.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def _fields(cls: type[Method]) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _option_fields(cls: type[Method]) -> dict[str, dataclasses.Field]:
    """The fields the estimator itself receives."""
    return {name: f for name, f in _fields(cls).items() if cls.own_budget or name not in FRONT_DOOR}


def _probe(cls: type[Method], data: mse.CaptureData) -> tuple[set[str], set[str]]:
    """(the class's fields the estimator refuses on ``data``, the options its message lists as valid)."""
    options = {name: f.default for name, f in _option_fields(cls).items()}
    with pytest.raises(mse.ModelError, match="unknown option") as raised, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _function(cls)(data, level=0.95, interval=None, random_seed=0, **options, **{UNKNOWN: 1})
    message = str(raised.value)
    unknown = set(ast.literal_eval(re.search(r"unknown option\(s\) (\[[^\]]*\])", message).group(1)))
    listed = re.search(r"valid options(?: are)?:? (\[[^\]]*\]|none)", message).group(1)
    valid = set() if listed == "none" else set(ast.literal_eval(listed))
    assert UNKNOWN in unknown
    return unknown - {UNKNOWN}, valid


def _named_options(function) -> set[str]:
    parameters = inspect.signature(function).parameters.values()
    return {p.name for p in parameters if p.kind is p.KEYWORD_ONLY} - {"level", "interval", "random_seed"}


def _taken(name: str) -> tuple[set[str], set[str]]:
    """(the fields some table's estimator refuses on every table, every option the estimator names)."""
    cls = BUILT_IN[name]
    refused, named = set(_option_fields(cls)), _named_options(_function(cls)) | TAKEN_FIRST.get(name, set())
    for data in TABLES.values():
        unknown, valid = _probe(cls, data)
        refused &= unknown
        named |= valid
    return refused, named


# ---------------------------------------------------------------------- (a) fields = the options taken
@pytest.mark.parametrize("name", sorted(set(BUILT_IN) - {"auto"}))
def test_the_fields_are_exactly_the_options_the_estimator_takes(name):
    refused, named = _taken(name)
    assert not refused, f"{name}: fields that the estimator takes on no table: {sorted(refused)}"
    fields = set(_option_fields(BUILT_IN[name]))
    assert named - IGNORED.get(name, set()) == fields


def test_auto_takes_the_options_of_the_methods_it_may_choose():
    fields = set(_option_fields(mse.methods.Auto))
    assert fields == set(_option_fields(mse.methods.Stepwise)) | set(_option_fields(mse.methods.Chapman))
    refused, _ = _taken("auto")
    assert not refused


def test_every_built_in_name_has_its_class():
    for name, cls in BUILT_IN.items():
        assert cls.name == name and issubclass(cls, Method)
        assert callable(_function(cls))
        assert getattr(mse.methods, cls.__name__) is cls


# ---------------------------------------------------------------------- (b) every field is documented
@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_every_field_is_in_the_parameters_section(name):
    from numpydoc.docscrape import ClassDoc

    cls = BUILT_IN[name]
    documented = [parameter.name for parameter in ClassDoc(cls)["Parameters"]]
    assert sorted(documented) == sorted(_fields(cls))
    for declared in _fields(cls).values():
        assert f"{declared.name} : {declared.type}, default {declared.default!r}" in cls.__doc__


# ---------------------------------------------------------------------- (c) the defaults are the estimator's
def _defaults(cls: type[Method]) -> dict[str, object]:
    return {name: f.default for name, f in _fields(cls).items()}


def _choices(cls: type[Method], field: str) -> set[object]:
    return set(typing.get_args(typing.get_type_hints(cls)[field]))


def test_lcmcr_defaults_are_its_table():
    from mse.bayes.latent_class.estimator import DEFAULTS, SAMPLER_DEFAULTS

    assert _defaults(mse.methods.LCMCR) == DEFAULTS
    assert _choices(mse.methods.LCMCR, "sampler") == set(SAMPLER_DEFAULTS)


def test_dga_defaults_are_its_functions():
    from mse.bayes.graphical.estimator import DEFAULT_DRAWS, fit_dga
    from mse.bayes.graphical.posterior import PRIOR_NAMES

    defaults = _defaults(mse.methods.DGA)
    assert defaults.pop("draws") == DEFAULT_DRAWS
    signature = inspect.signature(fit_dga).parameters
    for name, value in defaults.items():
        if name != "max_seconds":
            assert signature[name].default == value, name
    assert _choices(mse.methods.DGA, "prior") == set(PRIOR_NAMES)


def _posterior_calls(monkeypatch, name: str, options: dict[str, object]) -> tuple[list, mse.Estimate]:
    """The calls the Bayesian log-linear estimator makes to the sampler, which is replaced by one that records them.

    The first fit returns a posterior in which no term is kept; the next fails, so nothing is sampled.
    """
    from mse.bayes.loglinear import estimators

    calls = []

    class Nothing:
        rhat, ess_bulk, divergences = 1.0, 1000.0, 0

        def coefficient_table(self):
            return pd.DataFrame({"term": ["b:c"], "mean": [0.0], "sd": [1.0], "ratio": [0.0]})

    def record(data, model, prior, **settings):
        calls.append((model, prior, settings))
        if name == "bayesthresh" and len(calls) == 1:
            return Nothing()
        raise EstimabilityError("not sampled in this test")

    monkeypatch.setattr(estimators, "fit_posterior", record)
    result = _function(BUILT_IN[name])(TABLES["plain"], level=0.95, interval=None, random_seed=3, **options)
    return calls, result


@pytest.mark.parametrize("name", ["bayes_loglinear", "bayesthresh"])
def test_bayesian_loglinear_defaults_are_its_functions(monkeypatch, name):
    from mse.bayes.loglinear import posterior

    cls = BUILT_IN[name]
    explicit = {key: value for key, value in _defaults(cls).items() if key != "max_seconds"}
    none_given, result = _posterior_calls(monkeypatch, name, {})
    all_given, explicit_result = _posterior_calls(monkeypatch, name, explicit)
    assert none_given == all_given and none_given
    assert result.status == explicit_result.status
    assert {k: v for k, v in result.details.items() if not isinstance(v, pd.DataFrame)} == {
        k: v for k, v in explicit_result.details.items() if not isinstance(v, pd.DataFrame)
    }
    if name == "bayesthresh":
        assert result.details["threshold"] == explicit["threshold"]
    assert _choices(cls, "prior") == set(posterior._PRIOR_KINDS)
    assert _choices(cls, "dark_figure") == set(posterior._DARK_FIGURES)


def test_sample_coverage_variants_are_its_estimators():
    from mse.closed.sample_coverage import VARIANTS

    assert _choices(mse.methods.SampleCoverage, "variant") == set(VARIANTS)


def test_bootstrap_defaults_are_the_bootstraps():
    from mse.loglinear.intervals.bootstrap import DEFAULT_N_TOP, bootstrap_interval

    assert _defaults(mse.methods.Stepwise)["n_top"] == _defaults(mse.methods.BICAverage)["n_top"] == DEFAULT_N_TOP
    n_boot = inspect.signature(bootstrap_interval).parameters["n_boot"].default
    assert _defaults(mse.methods.Stepwise)["n_boot"] == n_boot


#: Quick intervals for the comparison of a fit with every default given against a fit with none.
QUICK = {"bic_average": "none", "loglinear": "wald", "independence": "wald", "stepwise": "wald", "auto": "wald"}
QUICK |= {name: "wald" for name in ("aic", "bic", "bic_aic")}
FAMILIES = ("mse.methods.loglinear", "mse.methods.closed", "mse.methods.auto")


def _outcome(function, data, interval, options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = function(data, level=0.95, interval=interval, random_seed=1, **options)
        except mse.MSEError as error:
            return f"{type(error).__name__}: {error}"
    return (result.estimate, result.lower, result.upper, result.model, result.status)


@pytest.mark.parametrize("name", sorted(n for n, cls in BUILT_IN.items() if cls.__module__ in FAMILIES))
def test_every_default_given_explicitly_changes_nothing(name):
    cls = BUILT_IN[name]
    given = {"model": "all two-way"} if name == "loglinear" else {}
    for label, data in TABLES.items():
        refused, _ = _probe(cls, data)
        defaults = {key: f.default for key, f in _option_fields(cls).items() if key not in refused}
        plain = _outcome(_function(cls), data, QUICK.get(name), given)
        explicit = _outcome(_function(cls), data, QUICK.get(name), {**defaults, **given})
        assert plain == explicit, f"{name} on the {label} table"


def test_the_bootstrap_defaults_given_explicitly_change_nothing():
    data = TABLES["plain"]
    refused, _ = _probe(mse.methods.Independence, data)
    defaults = {key: f.default for key, f in _option_fields(mse.methods.Independence).items() if key not in refused}
    plain = mse.estimate(data, "independence", interval="parametric_bootstrap", random_seed=5, n_boot=200)
    explicit = mse.methods.Independence(n_boot=200).run(
        data, level=0.95, interval="parametric_bootstrap", random_seed=5
    )
    given = _function(mse.methods.Independence)(
        data, level=0.95, interval="parametric_bootstrap", random_seed=5, **{**defaults, "n_boot": 200}
    )
    assert plain.lower == explicit.lower == given.lower and plain.upper == explicit.upper == given.upper


# ---------------------------------------------------------------------- the front door and the classes agree
@pytest.mark.parametrize(
    ("name", "options", "interval"),
    [
        ("stepwise", {"max_order": 3}, "wald"),
        ("bic", {"max_order": 2, "heterogeneity_check": False}, "profile"),
        ("chapman", {"lists": ("EXH", "HRW")}, None),
        ("Mth_chao", {}, None),
        ("sample_coverage", {"n_boot": 50}, None),
        ("dga", {"draws": 100}, None),
    ],
)
def test_estimate_and_fit_give_the_same_estimate(name, options, interval):
    data = mse.load_dataset("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_name = mse.estimate(data, name, interval=interval, random_seed=7, **options)
        by_class = BUILT_IN[name](**options).fit(data, interval=interval, random_seed=7)
        by_object = mse.estimate(data, BUILT_IN[name](**options), interval=interval, random_seed=7)
    for result in (by_class, by_object):
        assert (result.estimate, result.lower, result.upper, result.model, result.status) == (
            by_name.estimate,
            by_name.lower,
            by_name.upper,
            by_name.model,
            by_name.status,
        )
        assert result.metadata["options"] == by_name.metadata["options"]
        assert result.metadata["options"]["method"] == name


def test_an_unknown_option_is_refused_before_any_fit(monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("fitted despite an unknown option")

    monkeypatch.setattr(Method, "run", no_fit)
    with pytest.raises(mse.ModelError, match=r"unknown option\(s\) \['max_ordr'\].*valid options are \[.*'max_order'"):
        mse.estimate(mse.load_dataset("korea"), "bic", max_ordr=3)
    with pytest.raises(mse.ModelError, match="unknown option"):
        mse.estimate(mse.load_dataset("korea"), "M0", n_boot=10)


@pytest.mark.parametrize(
    ("name", "options", "match"),
    [
        ("stepwise", {"max_order": "three"}, "max_order must be a whole number or None, got 'three'"),
        ("bic", {"extended_mle": "no"}, "extended_mle must be True or False"),
        ("independence", {"covariates": "eth"}, "covariates must be a list or tuple or None"),
        ("sample_coverage", {"variant": "fast"}, "variant must be one of 'high_coverage'"),
        ("lcmcr", {"K": 2.5}, "K must be a whole number"),
        ("dga", {"delta": "small"}, "delta must be a number or None"),
        ("stepwise", {"max_seconds": -1}, "max_seconds must be a positive number"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_when_the_method_is_built(name, options, match):
    with pytest.raises(mse.ModelError, match=match):
        BUILT_IN[name](**options)
    with pytest.raises(mse.ModelError, match=match):
        mse.estimate(mse.load_dataset("korea"), name, **options)


def test_a_method_object_takes_no_further_options():
    with pytest.raises(mse.ModelError, match=r"Stepwise\(\.\.\., n_boot=\.\.\.\)"):
        mse.estimate(mse.load_dataset("korea"), mse.methods.Stepwise(max_order=2), n_boot=10)
    by_class = mse.estimate(mse.load_dataset("korea"), mse.methods.Stepwise, p_threshold=0.05, interval="wald")
    assert by_class.metadata["options"]["p_threshold"] == 0.05


def test_method_objects_are_values():
    method = mse.methods.Stepwise(max_order=3, n_boot=1000)
    assert repr(method) == "Stepwise(max_order=3)" and method.options() == {"max_order": 3}
    assert method == mse.methods.Stepwise(max_order=3) and method != mse.methods.Stepwise()
    with pytest.raises(dataclasses.FrozenInstanceError):
        method.max_order = 2  # type: ignore[misc]
    with pytest.raises(TypeError, match="no method name"):
        Method()


def test_former_sampler_names_go_to_the_estimator(recwarn):
    method = mse.methods.DGA.from_options({"n_draws": 20})
    assert method.options() == {"n_draws": 20} and method.draws == 4000
    with pytest.warns(mse.MSEDeprecationWarning, match="n_draws="):
        result = mse.estimate(mse.load_dataset("korea"), method, random_seed=1)
    assert result.draws.size == 20
    with pytest.raises(mse.ModelError, match="unknown option"):
        mse.methods.Stepwise.from_options({"n_draws": 20})
