"""Robustness: every entry point on tiny, sparse and strange tables keeps the results contract.

Each call on an awkward table (see :mod:`mse.testing`) must return an ``"ok"``
result with finite, consistent numbers, or a non-``"ok"`` status with a
reason, or raise an :class:`mse.MSEError` whose message says what to do; never
another exception, never ``nan``/``inf`` as ``"ok"``, never a hang (each call
is bounded, generously, by :func:`mse.testing.time_limit`).

Saved results are fuzzed too: files written by ``Estimate.save`` for several
methods, truncated, bit-flipped, edited and re-typed in the ways of
:data:`mse.testing.SAVED_FILE_CORRUPTIONS`, must load as a result that keeps
the contract or raise :class:`mse.DataError`, never anything else.

This is the fast profile (a fixed, derandomised sample of tables per method
family). The large profiles over thousands of tables are
``python benchmarks/fuzz_large.py`` and ``python benchmarks/fuzz_large.py
--profile saved``; their outcome counts are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import importlib.machinery
import math
import sys
import tempfile
import time
import types
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mse
from mse.api import METHODS
from mse.closed.designs import MODELS
from mse.testing import (
    AWKWARD_KINDS,
    FOUR_LIST_DGA,
    FUNCTIONS,
    SAVED_FILE_CORRUPTIONS,
    VARIANTS,
    awkward_table,
    awkward_tables,
    check_estimate,
    check_saved_file,
    corrupt_saved_result,
    corrupted_saved_files,
    run_target,
    saved_result,
)

#: Generous: the slowest legitimate call in the fast profile takes a few seconds.
HANG_SECONDS = 120.0

CLOSED = [*MODELS, "lincoln_petersen", "chapman", "sample_coverage"]
LOGLINEAR_FAST = ["independence", "loglinear", "stepwise", "bic_aic"]
PYMC = ["bayes_loglinear", "bayesthresh"]


def _fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _assert_contract(target: str, data: mse.CaptureData) -> None:
    outcome = run_target(target, data, timeout=HANG_SECONDS)
    assert outcome.acceptable, f"{target} on {data.n_lists} lists ({data.n_observed} people): {outcome}"


def test_every_method_is_covered():
    covered = set(CLOSED) | set(LOGLINEAR_FAST) | {"aic", "bic", "bic_average", "dga", "lcmcr", "auto"} | set(PYMC)
    assert "auto" in mse.available_methods()
    assert set(mse.available_methods()) <= covered


# ---------------------------------------------------------------------- the fuzz, by family
@_fuzz_settings(60)
@given(data=awkward_tables(2, 10), target=st.sampled_from(CLOSED))
def test_closed_family_keeps_the_contract(data, target):
    _assert_contract(target, data)


@_fuzz_settings(30)
@given(data=awkward_tables(2, 6), target=st.sampled_from(LOGLINEAR_FAST))
def test_loglinear_family_keeps_the_contract(data, target):
    _assert_contract(target, data)


@_fuzz_settings(8)
@given(data=awkward_tables(2, 4), target=st.sampled_from(["aic", "bic"]))
def test_exhaustive_searches_keep_the_contract(data, target):
    _assert_contract(target, data)


@_fuzz_settings(16)
@given(data=awkward_tables(2, 5), target=st.sampled_from(list(VARIANTS)))
def test_option_variants_keep_the_contract(data, target):
    """Three-way stepwise, the bias-reduced estimator and the BIC average, on the awkward tables."""
    _assert_contract(target, data)


@_fuzz_settings(25)
@given(data=awkward_tables(2, 6), target=st.sampled_from(FUNCTIONS))
def test_search_existence_and_diagnostics_keep_the_contract(data, target):
    _assert_contract(target, data)


@_fuzz_settings(10)
@given(data=awkward_tables(2, 5))
def test_auto_keeps_the_contract(data):
    _assert_contract("auto", data)


@_fuzz_settings(12)
@given(data=awkward_tables(2, 4))
def test_dga_keeps_the_contract(data):
    _assert_contract("dga", data)


def test_dga_refuses_more_than_seven_lists_with_a_typed_error():
    outcome = run_target("dga", awkward_table("typical", 8, seed=0))
    assert outcome.kind == "error" and "7" in outcome.message


@_fuzz_settings(5)
@given(data=awkward_tables(2, 6, kinds=["typical", "huge", "one_list", "one_history", "disjoint"]))
def test_latent_class_sampler_keeps_the_contract(data):
    _assert_contract("lcmcr", data)


@pytest.mark.slow
@_fuzz_settings(3)
@given(data=awkward_tables(3, 4), target=st.sampled_from(PYMC))
def test_pymc_methods_keep_the_contract(data, target):
    _assert_contract(target, data)


@pytest.mark.parametrize("kind", AWKWARD_KINDS)
def test_each_kind_of_table_is_awkward_as_described(kind):
    data = awkward_table(kind, 4, seed=3)
    assert data.n_observed >= 1 and data.n_lists == 4
    totals = (np.asarray(data.histories, dtype=np.int64) * np.asarray(data.counts)[:, None]).sum(axis=0)
    if kind == "disjoint":
        assert (np.asarray(data.histories).sum(axis=1) == 1).all()
    elif kind == "one_list":
        assert (totals > 0).sum() == 1
    elif kind == "one_history":
        assert len(data.counts) == 1
    elif kind == "singleton_list":
        assert (totals == 1).any()
    elif kind == "huge":
        assert data.counts.max() <= 10**9 and data.counts.min() == 1
    elif kind == "covariates":
        assert data.covariates == ("group",)
    elif kind == "single_person":
        assert data.n_observed == 1
    elif kind == "one_pair":
        assert (np.asarray(data.histories).sum(axis=1) == 2).sum() == 1
    elif kind == "complete_list":
        assert totals[0] == data.n_observed
    elif kind == "many_levels":
        assert data.covariates == ("region",) and data.n_observed == 20_000
    assert awkward_table(kind, 4, seed=3) == data  # rebuilt exactly from (kind, lists, seed)


# ---------------------------------------------------------------------- never a hang
def _register(monkeypatch, name, function):
    """Make ``function`` available as ``mse.estimate(method=name)`` for one test."""
    module_name = f"mse_test_method_{name}"
    module = types.ModuleType(module_name)
    module.__spec__ = importlib.machinery.ModuleSpec(module_name, None)
    module.estimate = function  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module_name, module)
    monkeypatch.setitem(METHODS, name, f"{module_name}:estimate")


def _never_returns(data, *, level, interval, random_seed, **options):
    while True:
        time.sleep(0.01)


def test_a_call_that_never_returns_is_reported_as_a_timeout(monkeypatch):
    _register(monkeypatch, "hangs", _never_returns)
    outcome = run_target("hangs", awkward_table("typical", 3, seed=0), timeout=0.5)
    assert outcome.kind == "timeout" and not outcome.acceptable, outcome


def _leaks_a_numpy_warning(data, *, level, interval, random_seed, **options):
    np.log(np.zeros(1))  # "divide by zero encountered in log", straight to the caller
    warnings.warn("the library's own", mse.EstimabilityWarning, stacklevel=1)
    return mse.estimate(data, method="independence")


def test_a_warning_that_is_not_the_library_s_own_breaks_the_contract(monkeypatch):
    _register(monkeypatch, "leaks", _leaks_a_numpy_warning)
    outcome = run_target("leaks", awkward_table("typical", 3, seed=0))
    assert outcome.kind == "foreign_warning" and not outcome.acceptable, outcome
    assert "RuntimeWarning: divide by zero" in outcome.message and "own" not in outcome.message


@_fuzz_settings(4)
@given(data=awkward_tables(3, 4, kinds=["typical", "one_history", "disjoint", "tiny"]), target=st.sampled_from(PYMC))
def test_pymc_methods_let_only_the_library_s_warnings_escape(data, target):
    # The slow test above checks the whole contract on more tables; this one, short runs on a few, keeps the
    # property "only MSEWarning subclasses escape" in the default run (run_target records every warning).
    _assert_contract(target, data)


# ---------------------------------------------------------------------- numerical edge cases
@pytest.mark.parametrize("method", ["independence", "M0", "Mt", "Mh_chao", "chapman", "lcmcr", "dga"])
def test_counts_of_a_billion_give_finite_numbers_or_a_reason(method):
    """exp and lgamma of counts near 10**9 must not overflow into inf reported as "ok"."""
    data = mse.CaptureData.from_patterns({"10": 10**9, "01": 10**9 - 7, "11": 3 * 10**8}, lists=["A", "B"])
    outcome = run_target(method, data)
    assert outcome.acceptable, outcome
    if method in ("independence", "Mt", "chapman"):
        # n1 n2 / m is the two-list estimate under independence: about 3.33e9
        result = mse.estimate(data, method=method, random_seed=1)
        assert result.status == "ok"
        assert result.estimate == pytest.approx((1.3e9 * (1.3e9 - 7)) / 3e8, rel=1e-6)


@pytest.mark.parametrize("method", ["Mh_chao", "Mth_chao", "Mb", "Mbh", "Mh_poisson2"])
def test_fits_on_the_boundary_come_back_with_a_reason(method):
    """One observed history: every heterogeneity or behavioural coefficient runs off to infinity."""
    data = mse.CaptureData.from_patterns({"1100": 250}, lists=["A", "B", "C", "D"])
    result = mse.estimate(data, method=method)
    assert result.status != "ok" and len(result.status) > 10
    assert math.isnan(result.estimate)


@pytest.mark.parametrize("kind", ["one_list", "huge", "one_history"])
def test_samplers_survive_near_zero_probabilities(kind):
    """Everyone on one list puts capture probabilities of the other lists at ~0."""
    data = awkward_table(kind, 3, seed=2)
    for method in ("lcmcr", "dga"):
        outcome = run_target(method, data)
        assert outcome.acceptable, outcome


def _unbounded_profile(fit, level):
    from mse.loglinear.intervals.likelihood import IntervalResult

    return IntervalResult(fit.estimate * 0.9, math.inf, "the upper limit is infinite")


def test_profile_interval_without_upper_limit_is_not_ok(monkeypatch):
    """A profile interval with no finite upper limit: reported as inf, with a status that is not "ok"."""
    import mse.loglinear.estimators as estimators

    monkeypatch.setattr(estimators, "profile_interval", _unbounded_profile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mse.estimate(mse.load_dataset("korea"), method="independence")
    assert math.isinf(result.upper)
    assert result.status != "ok" and "infinite" in result.status


# ---------------------------------------------------------------------- the front door
def _fake(estimate, lower, upper, *, interval_method="fake"):
    def estimator(data, *, level, interval, random_seed, **options):
        return mse.Estimate(
            estimate=estimate,
            lower=lower,
            upper=upper,
            level=level,
            observed=data.n_observed,
            method="fake",
            interval_method=interval_method,
        )

    return estimator


@pytest.mark.parametrize(
    ("numbers", "reason"),
    [
        ((float("nan"), 1.0, 2.0), "nan"),
        ((150.0, 120.0, math.inf), "no finite upper limit"),
        ((math.inf, 120.0, math.inf), "infinite"),
        ((50.0, 40.0, 60.0), "below"),
        ((150.0, 160.0, 170.0), "outside its interval"),
    ],
)
def test_estimate_turns_inconsistent_ok_results_into_a_reason(monkeypatch, numbers, reason):
    """Regression: an inconsistent "ok" result used to raise AssertionError (or pass through as "ok")."""
    _register(monkeypatch, "fake", _fake(*numbers))
    data = mse.CaptureData.from_patterns({"10": 60, "01": 30, "11": 10}, lists=["A", "B"])
    result = mse.estimate(data, method="fake")
    assert result.status.startswith("not reported:") and reason in result.status
    assert check_estimate(result, data) == []
    with pytest.raises(mse.EstimabilityError, match="not reported"):
        mse.estimate(data, method="fake", strict=True)


def test_estimate_without_an_interval_stays_ok():
    result = mse.estimate(mse.load_dataset("korea"), method="independence", interval="none")
    assert result.status == "ok" and math.isnan(result.upper) and math.isfinite(result.estimate)


# ---------------------------------------------------------------------- regressions found by the fuzzer
def test_regression_poisson_fit_with_overflowing_information_does_not_raise_linalgerror():
    """Mh_chao on one history seen on 8 of 10 lists raised numpy's LinAlgError ("Eigenvalues did not
    converge") from the information matrix of a fit that had overflowed."""
    data = mse.CaptureData.from_patterns({"1101111011": 5}, lists=[f"L{i}" for i in range(10)])
    result = mse.estimate(data, method="Mh_chao")
    assert check_estimate(result, data) == []
    if result.ok:
        # Nobody was caught once or twice, so Chao's non-negative hinges sit at zero and the constrained
        # MLE is M0's: each person caught on 8 of 10 lists, p = 0.8, N = n / (1 - (1 - p)**10). Whether the
        # Newton iteration reaches it before its coefficients drift far enough to be flagged as a boundary
        # fit depends on the floating-point path; either answer keeps the contract, a wrong number does not.
        assert result.estimate == pytest.approx(5 / (1 - 0.2**10), rel=1e-9)
    else:
        assert math.isnan(result.estimate)


@pytest.mark.parametrize(("kind", "lists", "seed"), [("one_history", 4, 0), ("one_history", 5, 1), ("one_list", 5, 0)])
def test_regression_behavioural_models_do_not_overflow(kind, lists, seed):
    """Mbh raised OverflowError from exp() of a boundary coefficient on one observed history."""
    data = awkward_table(kind, lists, seed)
    result = mse.estimate(data, method="Mbh")
    assert result.status != "ok" and len(result.status) > 10


def test_regression_behavioural_unseen_is_infinite_not_an_error_for_huge_coefficients():
    from mse.closed.fit import behavioural_unseen

    unseen, _ = behavioural_unseen(np.array([800.0, -0.5, 0.2]), 4)
    assert unseen == math.inf
    unseen, _ = behavioural_unseen(np.array([1.0, 0.3, -900.0]), 4)  # q > 1: negative, as documented
    assert unseen < 0
    unseen, _ = behavioural_unseen(np.array([2.0, -1.0, 0.0]), 3)  # the closed form, C q**t / (1 - q)
    q = math.exp(-1.0) / 2.0
    assert unseen == pytest.approx(math.exp(2.0) * 2.0**2 * q**3 / (1.0 - q), rel=1e-12)


def test_regression_huge_counts_no_longer_give_an_estimate_outside_its_interval():
    """Mbh on counts near 10**9 returned status "ok" with an estimate of 1e18 outside [2e15, 3e16]."""
    data = awkward_table("huge", 3, seed=1)
    result = mse.estimate(data, method="Mbh")
    assert check_estimate(result, data) == []


def test_regression_behavioural_model_with_q_rounding_to_one_does_not_divide_by_zero():
    """Mb on everyone on the fourth of seven lists raised ZeroDivisionError: the probability of not
    being caught before the first capture, exp(log q), rounded to exactly 1 for a tiny log q."""
    from mse.closed.fit import behavioural_unseen

    unseen, gradient = behavioural_unseen(np.array([1.0, 1e-17, -800.0]), 4)
    assert unseen == math.inf and np.isnan(gradient).all()
    data = mse.CaptureData.from_patterns({"0001000": 5986}, lists=[f"L{i}" for i in range(7)])
    result = mse.estimate(data, method="Mb")
    assert result.status != "ok" and len(result.status) > 10


def test_regression_profile_of_a_billion_does_not_hit_a_math_domain_error():
    """Mt on two lists with a billion people on both raised ValueError (math domain error): the share of
    the observed cells rounded to 1 and log1p(-1) was taken in the profile likelihood."""
    data = mse.CaptureData.from_patterns({"10": 1, "01": 10_072_314, "11": 1_000_000_000}, lists=["A", "B"])
    result = mse.estimate(data, method="Mt")
    assert check_estimate(result, data) == []
    # n1 n2 / m: the two-list estimate under independence, which is what Mt is with two lists
    assert result.estimate == pytest.approx(1_000_000_001 * 1_010_072_314 / 1_000_000_000, rel=1e-9)


def test_regression_singular_non_finite_information_does_not_raise_from_least_squares():
    """Mh_chao on two histories of ten lists raised LinAlgError ("SVD did not converge in Linear Least
    Squares") when the fallback solver was given a non-finite information matrix."""
    data = mse.CaptureData.from_patterns({"0001000000": 2, "1110011011": 3}, lists=[f"L{i}" for i in range(10)])
    result = mse.estimate(data, method="Mh_chao")
    assert check_estimate(result, data) == []


# ---------------------------------------------------------------------- saved files
@pytest.fixture(scope="module")
def saved_files() -> dict[str, bytes]:
    """Files written by ``Estimate.save``: intervals, draws, posterior draws, strata, a failed estimate."""
    kosovo = mse.load_dataset("kosovo")
    files = {method: saved_result(method, kosovo) for method in ("independence", "Mh_chao", "chapman", "dga", "bic")}
    files["disjoint lists"] = saved_result("independence", awkward_table("disjoint", 3, seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extra = {
            "bootstrap": mse.estimate(
                kosovo, method="independence", interval="parametric_bootstrap", n_boot=50, random_seed=1
            ),
            "strata": mse.estimate(
                mse.load_dataset("spina_bifida_ethnicity"),
                method="loglinear",
                model="S1:S2 + S2:S3 + S1:eth",
                n_boot=20,
                random_seed=1,
            ),
        }
    for name, result in extra.items():
        path = f"{name}.json"
        with tempfile.TemporaryDirectory() as directory:
            result.save(f"{directory}/{path}")
            with open(f"{directory}/{path}", "rb") as file:
                files[name] = file.read()
    return files


def test_saved_results_of_every_kind_load_back(saved_files):
    assert any(b'"status": "ok"' not in content for content in saved_files.values())  # a failed estimate too
    assert any(b'"strata_draws": [' in content for content in saved_files.values())
    assert any(b'"kind": "loglinear"' in content and b'"search": {' in content for content in saved_files.values())
    assert any(b'"posterior": {' in content for content in saved_files.values())  # dga's tables
    for name, content in saved_files.items():
        outcome = check_saved_file(content)
        assert outcome.kind == "ok", (name, outcome)


@pytest.mark.parametrize("kind", SAVED_FILE_CORRUPTIONS)
def test_each_corruption_of_a_saved_file_loads_or_raises_data_error(saved_files, kind):
    for name, content in saved_files.items():
        for seed in range(20):
            outcome = check_saved_file(corrupt_saved_result(content, kind, seed))
            assert outcome.acceptable, f"{name}, {kind}, seed {seed}: {outcome}"


@_fuzz_settings(400)
@given(data=st.data())
def test_corrupted_saved_files_load_or_raise_data_error(saved_files, data):
    content = data.draw(corrupted_saved_files(list(saved_files.values())))
    outcome = check_saved_file(content)
    assert outcome.acceptable, outcome


# ---------------------------------------------------------------------- the tables of the hostile test
NO_INFORMATION_KINDS = ["single_person", "disjoint", "one_list"]
CHEAP = [*CLOSED, "independence", "loglinear", "stepwise", "bic_aic", "aic", "bic", "auto"]


@pytest.mark.parametrize("lists", [2, 3, 5])
@pytest.mark.parametrize("kind", NO_INFORMATION_KINDS)
def test_a_table_without_information_about_n_is_never_ok(kind, lists):
    """Lists that never overlap, everyone on one list, a single person: no method may say "ok"."""
    data = awkward_table(kind, lists, seed=lists)
    for method in [*CHEAP, "dga"]:
        outcome = run_target(method, data, random_seed=1, timeout=HANG_SECONDS)
        assert outcome.acceptable, f"{method}: {outcome}"
        assert outcome.kind != "ok", f"{method} said 'ok' on a {kind} table of {lists} lists"
    assert mse.estimate(data, "dga", random_seed=1).status.startswith("no information about N")


@pytest.mark.parametrize("lists", [3, 4])
def test_one_overlapping_pair_is_information(lists):
    data = awkward_table("one_pair", lists, seed=0)
    assert mse.estimate(data, "independence").ok


def test_regression_dga_on_the_four_list_table_does_not_raise():
    data = mse.CaptureData.from_patterns(FOUR_LIST_DGA, lists=["A", "B", "C", "D"])
    assert awkward_table("four_list_dga", 4, seed=0) == mse.CaptureData.from_patterns(
        FOUR_LIST_DGA, lists=["L0", "L1", "L2", "L3"]
    )
    outcome = run_target("dga", data, random_seed=1)
    assert outcome.kind == "ok", outcome


def test_regression_dga_on_seven_lists_and_3000_people_does_not_raise():
    data = awkward_table("n3000", 7, seed=0)
    assert data.n_observed == 3000
    outcome = run_target("dga", data, random_seed=1)
    assert outcome.acceptable and outcome.kind != "other", outcome


@pytest.mark.parametrize("target", ["bic", "aic"])
def test_regression_a_search_where_no_model_exists_is_quick(target):
    data = awkward_table("complete_list", 6, seed=0)
    started = time.perf_counter()
    outcome = run_target(target, data, random_seed=1, timeout=HANG_SECONDS)
    assert outcome.acceptable and outcome.kind != "ok", outcome
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize("target", ["independence", "loglinear", "bic_aic"])
def test_regression_a_covariate_with_a_thousand_levels_is_refused(target):
    data = awkward_table("many_levels", 3, seed=0)
    outcome = run_target(target, data, random_seed=1, timeout=30)
    assert outcome.kind == "error" and "Merge levels" in outcome.message, outcome


# ---------------------------------------------------------------------- random seeds
BAD_SEEDS = [-1, "abc", 1.5, True, 2.0, [1, 2], np.int64(-3)]


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_a_bad_seed_is_a_model_error_everywhere(seed):
    """random_seed=-1, "abc" or 1.5 used to raise numpy's plain ValueError or TypeError from inside a fit."""
    from mse.data.synthetic import generate_covariate_population
    from mse.simulate import Scenario, generate

    data = mse.CaptureData.from_patterns({"100": 40, "010": 30, "001": 20, "110": 10, "011": 5}, ["A", "B", "C"])
    calls = [
        lambda: mse.estimate(data, method="independence", interval="parametric_bootstrap", random_seed=seed),
        lambda: mse.estimate(data, method="sample_coverage", random_seed=seed),
        lambda: mse.estimate(data, method="chapman", lists=["A", "B"], random_seed=seed),  # no randomness, same rule
        lambda: mse.compare(data, ["independence"], random_seed=seed),
        lambda: generate(Scenario(100, [0.3, 0.4]), random_seed=seed),
        lambda: generate_covariate_population(
            ["A", "B"], {"s": ["f"]}, lambda c: 3.0, lambda c: [-1, -1], {}, None, random_seed=seed
        ),
    ]
    for call in calls:
        with pytest.raises(mse.ModelError, match="random_seed must be None or a non-negative whole number"):
            call()


@pytest.mark.parametrize("seed", [None, 0, 7, np.int64(7), np.uint32(7), 2**70])
def test_good_seeds_are_accepted_and_recorded_as_plain_numbers(seed):
    from mse.options import check_random_seed

    data = mse.CaptureData.from_patterns({"10": 40, "01": 30, "11": 10}, ["A", "B"])
    result = mse.estimate(data, method="independence", random_seed=seed)
    assert result.status == "ok"
    checked = check_random_seed(seed)
    assert checked is None or type(checked) is int


# ---------------------------------------------------------------------- the command line
CLI_CASES = 100  # about 50 ms each; the large profile (benchmarks/fuzz_large.py --cli-calls) runs thousands


def test_command_line_fuzz_keeps_the_contract(tmp_path):
    """Random valid and invalid arguments and awkward CSV files: exit 0 with output, or 1 for an estimate
    that does not exist, or 2 with one line on stderr; never a traceback."""
    from mse.testing import cli_arguments, run_cli

    outcomes = [run_cli(cli_arguments(index, tmp_path), timeout=HANG_SECONDS) for index in range(CLI_CASES)]
    broken = [(index, o) for index, o in enumerate(outcomes) if not o.acceptable]
    assert not broken, broken[:3]
    kinds = {o.kind for o in outcomes}
    assert {"ok", "error"} <= kinds  # the arguments reach both sides of the contract


@pytest.mark.parametrize("kind", ["semicolon", "tab", "bom", "spaces"])
def test_readable_awkward_csv_files_give_the_same_table(tmp_path, capsys, kind):
    from mse.cli import main
    from mse.testing import awkward_csv

    awkward_csv("good", tmp_path / "good.csv", seed=4)
    awkward_csv(kind, tmp_path / "other.csv", seed=4)
    assert main(["describe", "--csv", str(tmp_path / "good.csv")]) == 0
    expected = capsys.readouterr().out
    assert main(["describe", "--csv", str(tmp_path / "other.csv")]) == 0
    assert capsys.readouterr().out == expected


def test_the_command_line_checker_catches_broken_contracts(monkeypatch):
    import mse.cli
    from mse.testing import check_cli, run_cli

    assert check_cli(["estimate"], 0, "", "") == ["exit status 0 with nothing on standard output"]
    assert check_cli(["estimate"], 2, "", "Traceback (most recent call last):\nValueError: x\n")
    assert check_cli(["describe"], 2, "", "mse: error: one\nmse: error: two\n")
    assert check_cli(["compare", "--json"], 0, "not json", "") == ["--json output is not JSON"]
    assert check_cli(["describe"], 1, "x", "")
    assert check_cli(["estimate"], 2, "", "mse: warning: w\nmse: error: e\n") == []
    assert check_cli(["report", "--output", "r.html"], 0, "nothing said\n", "") == [
        "mse report ended without saying which file it wrote"
    ]
    assert check_cli(["report", "--output", "r.html"], 1, "wrote r.html (10 bytes): Summary\n", "") == []

    def _raises(args):
        raise ValueError("a bug")

    monkeypatch.setattr(mse.cli, "_cmd_datasets", _raises)
    outcome = run_cli(["datasets"])
    assert outcome.kind == "other" and "a bug" in outcome.message
