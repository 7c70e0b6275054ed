"""The benchmark runner: known-truth behaviour of a closed-form estimator, executors, resume, failures."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pandas as pd
import pytest

import mse
import sim_estimators
from mse.api import METHODS
from mse.benchmark import RESULT_COLUMNS, SUMMARY_COLUMNS, SerialExecutor, run, summarise
from mse.simulate import Scenario, cell_probabilities
from sim_estimators import always_fails, fails_on_odd_seeds, lincoln_petersen

INDEPENDENT = Scenario(4000, [0.3, 0.4], name="independent")
HETEROGENEOUS = Scenario(
    4000,
    [0.3, 0.4],
    heterogeneity={"kind": "latent_class", "weights": [0.6, 0.4], "multipliers": [0.3, 2.5]},
    name="heterogeneous",
)
SCENARIOS = [INDEPENDENT, HETEROGENEOUS]
METHOD_SET = {"chapman": lincoln_petersen, "flaky": fails_on_odd_seeds}


def without_time(result) -> pd.DataFrame:
    return result.results.drop(columns="seconds")


@pytest.fixture(scope="module")
def serial_study():
    return run(SCENARIOS, METHOD_SET, n_replicates=300, random_seed=2026, executor=SerialExecutor(), progress=False)


# ---------------------------------------------------------------------------- statistics with known truth
def test_chapman_is_nearly_unbiased_with_nominal_coverage_under_independence(serial_study):
    row = serial_study.summary().set_index(["scenario", "method"]).loc[("independent", "chapman")]
    # 300 replicates: the Monte Carlo sd of the mean relative bias is about 0.025 / sqrt(300) = 0.0015.
    assert abs(row["relative_bias"]) < 0.01
    # Binomial sd of the coverage is about 0.013.
    assert 0.90 <= row["coverage"] <= 0.99
    assert row["failure_rate"] == 0.0 and row["n_intervals"] == 300


def test_two_list_estimator_underestimates_under_positively_correlated_heterogeneity(serial_study):
    """Capture heterogeneity shared by both lists inflates the overlap, so N is underestimated."""
    row = serial_study.summary().set_index(["scenario", "method"]).loc[("heterogeneous", "chapman")]
    q = cell_probabilities(HETEROGENEOUS)  # 00, 01, 10, 11
    # Large-sample limit of the Lincoln-Petersen estimator, n1 * n2 / m, relative to N.
    limit = (q[2] + q[3]) * (q[1] + q[3]) / q[3] - 1
    assert limit < -0.2
    assert row["relative_bias"] == pytest.approx(limit, abs=0.02)
    assert row["coverage"] < 0.2


def test_results_table_has_one_row_per_scenario_method_replicate(serial_study):
    results = serial_study.results
    assert list(results.columns) == RESULT_COLUMNS
    assert len(results) == 2 * 2 * 300
    assert (results["truth"] == 4000).all()
    assert list(serial_study.summary().columns) == SUMMARY_COLUMNS
    # The same replicate gives every method the same data and seed.
    first = results[(results["scenario"] == "independent") & (results["replicate"] == 0)]
    assert first["seed"].nunique() == 1


def test_failures_are_recorded_per_replicate_not_raised(serial_study):
    results = serial_study.results
    flaky = results[results["method"] == "flaky"]
    odd = flaky["seed"] % 2 == 1
    assert flaky.loc[odd, "status"].str.startswith("error: RuntimeError: odd seed").all()
    assert flaky.loc[odd, "estimate"].isna().all()
    assert (flaky.loc[~odd, "status"] == "ok").all()
    summary = serial_study.summary().set_index(["scenario", "method"])
    assert summary.loc[("independent", "flaky"), "failure_rate"] == pytest.approx(
        odd[flaky["scenario"] == "independent"].mean()
    )
    # Where it succeeds it is Chapman's estimator on the same data.
    chapman = results[results["method"] == "chapman"].set_index(["scenario", "replicate"])["estimate"]
    ok = flaky[~odd].set_index(["scenario", "replicate"])["estimate"]
    np.testing.assert_array_equal(ok.to_numpy(), chapman.loc[ok.index].to_numpy())


def test_a_method_that_always_fails_and_a_scenario_that_yields_nobody():
    nobody = Scenario(2, [0.01, 0.01], name="nobody")
    study = run(
        [INDEPENDENT, nobody],
        {"broken": always_fails, "chapman": lincoln_petersen},
        n_replicates=5,
        random_seed=1,
        executor=SerialExecutor(),
        progress=False,
    )
    results = study.results
    broken = results[(results["method"] == "broken") & (results["scenario"] == "independent")]
    assert (broken["status"] == "error: ZeroDivisionError: deliberate failure").all()
    in_nobody = results[results["scenario"] == "nobody"]
    assert in_nobody["status"].str.startswith("generation failed").sum() >= 1
    summary = study.summary().set_index(["scenario", "method"])
    assert summary.loc[("independent", "broken"), "failure_rate"] == 1.0
    assert np.isnan(summary.loc[("independent", "broken"), "bias"])


def test_summary_counts_coverage_only_over_finite_intervals():
    rows = pd.DataFrame(
        {
            "scenario": "s",
            "method": "m",
            "truth": 100,
            "estimate": [90.0, 110.0, 150.0, np.nan],
            "lower": [80.0, 105.0, 120.0, np.nan],
            "upper": [120.0, 130.0, np.inf, np.nan],
            "status": ["ok", "ok", "ok", "no estimate"],
            "seconds": 1.0,
        }
    )
    row = summarise(rows).iloc[0]
    assert row["coverage"] == 0.5 and row["n_intervals"] == 2
    assert row["mean_width"] == pytest.approx(32.5)
    assert row["bias"] == pytest.approx(50 / 3)
    assert row["rmse"] == pytest.approx(np.sqrt((100 + 100 + 2500) / 3))
    assert row["mean_log_relative_bias"] == pytest.approx(np.mean(np.log([0.9, 1.1, 1.5])))
    assert row["failure_rate"] == 0.25


class _Clock:
    """A stand-in for ``time`` in the sampler modules: every reading is ``tick`` seconds after the last."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def perf_counter(self) -> float:
        self.now += self.tick
        return self.now


class _NoClock:
    def perf_counter(self) -> float:
        raise AssertionError("a fit read the clock to decide when to stop")


#: A small latent-class fit, adaptive (no n_draws), bounded by draws.
_SMALL_LCMCR = {"K": 3, "n_chains": 2, "n_temperatures": 1, "n_burnin": 20, "max_draws": 200, "n_threads": 1}
_THREE_LISTS = Scenario(600, [0.3, 0.4, 0.35], name="three")


def test_default_fits_in_a_study_have_no_time_limit(monkeypatch):
    # With the options of the study (no max_seconds), the sampler's decisions never read the clock: the
    # rows are the same on any machine. The runner's own clock only times the fits.
    from mse.bayes.latent_class import adaptive

    monkeypatch.setattr(adaptive, "time", _NoClock())
    study = run(
        _THREE_LISTS,
        [("lcmcr", "lcmcr", _SMALL_LCMCR)],
        n_replicates=2,
        random_seed=3,
        executor=SerialExecutor(),
        progress=False,
    )
    assert not study.results["status"].str.startswith("error").any(), study.results["status"].tolist()
    assert (study.summary()["n_cut_short"] == 0).all()


def test_a_fit_cut_short_by_its_time_budget_is_recorded_per_replicate(monkeypatch):
    # A time budget in the method's options applies per fit; on this fake clock (a second per reading) a
    # budget of 5 s ends every fit in warm-up, and each row says so.
    from mse.bayes.latent_class import adaptive, hmc

    clock = _Clock(1.0)
    monkeypatch.setattr(adaptive, "time", clock)
    monkeypatch.setattr(hmc, "time", clock)
    study = run(
        _THREE_LISTS,
        {"lcmcr": ("lcmcr", {**_SMALL_LCMCR, "max_seconds": 5}), "chapman": "chapman"},
        n_replicates=3,
        random_seed=3,
        executor=SerialExecutor(),
        progress=False,
    )
    rows = study.results[study.results["method"] == "lcmcr"]
    assert len(rows) == 3 and rows["status"].str.startswith("cut short by the time budget max_seconds=5").all()
    summary = study.summary().set_index("method")
    assert summary.loc["lcmcr", "n_cut_short"] == 3 and summary.loc["lcmcr", "failure_rate"] == 1.0
    assert summary.loc["chapman", "n_cut_short"] == 0


# ---------------------------------------------------------------------------- reproducibility across executors
def test_same_numbers_with_any_chunk_size_and_a_process_pool(serial_study):
    small = run(SCENARIOS, METHOD_SET, 40, 2026, SerialExecutor(), chunk_size=1, progress=False)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = run(SCENARIOS, METHOD_SET, 40, 2026, pool, chunk_size=7, progress=False)
    head = serial_study.results
    head = head[head["replicate"] < 40].reset_index(drop=True).drop(columns="seconds")
    pd.testing.assert_frame_equal(without_time(small), head)
    pd.testing.assert_frame_equal(without_time(pooled), head)


def test_default_executor_is_local_processes(serial_study):
    default = run(SCENARIOS, METHOD_SET, 20, 2026, n_workers=2, progress=False)
    head = serial_study.results
    pd.testing.assert_frame_equal(
        without_time(default), head[head["replicate"] < 20].reset_index(drop=True).drop(columns="seconds")
    )


def test_dask_local_cluster_gives_the_serial_numbers(serial_study):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = run(SCENARIOS, METHOD_SET, 30, 2026, client, progress=False)
    head = serial_study.results
    pd.testing.assert_frame_equal(
        without_time(on_dask), head[head["replicate"] < 30].reset_index(drop=True).drop(columns="seconds")
    )


def test_replicate_data_regenerates_what_the_methods_saw(serial_study):
    data, truth = serial_study.replicate_data("heterogeneous", 17)
    row = serial_study.results.query("scenario == 'heterogeneous' and replicate == 17 and method == 'chapman'")
    assert row["observed"].item() == data.n_observed == truth.n_observed
    refit = lincoln_petersen(data, level=0.95, interval=None, random_seed=0)
    assert row["estimate"].item() == refit.estimate


# ---------------------------------------------------------------------------- methods by name
def test_registered_method_names_and_option_triples(monkeypatch):
    monkeypatch.setitem(METHODS, "test_lincoln", "sim_estimators:lincoln_petersen")
    by_name = run(INDEPENDENT, [("LP", "test_lincoln", {})], 10, 5, SerialExecutor(), progress=False)
    by_function = run(INDEPENDENT, {"LP": lincoln_petersen}, 10, 5, SerialExecutor(), progress=False)
    pd.testing.assert_frame_equal(without_time(by_name), without_time(by_function))
    bad_option = run(INDEPENDENT, [("LP", "test_lincoln", {"colour": "red"})], 3, 5, SerialExecutor(), progress=False)
    assert bad_option.results["status"].str.contains("unknown options").all()


def test_bad_study_specifications_raise_model_error():
    with pytest.raises(mse.ModelError, match="unknown method"):
        run(INDEPENDENT, ["no_such_method"], 2, 0, SerialExecutor(), progress=False)
    with pytest.raises(mse.ModelError, match="labels must be unique"):
        run(INDEPENDENT, [("x", lincoln_petersen, {}), ("x", always_fails, {})], 2, 0, SerialExecutor())
    with pytest.raises(mse.ModelError, match="scenario labels must be unique"):
        run([INDEPENDENT, INDEPENDENT], [lincoln_petersen], 2, 0, SerialExecutor())
    with pytest.raises(mse.ModelError, match="random_seed"):
        run(INDEPENDENT, [lincoln_petersen], 2, None, SerialExecutor())
    with pytest.raises(mse.ModelError, match="executor"):
        run(INDEPENDENT, [lincoln_petersen], 2, 0, executor="cluster")


# ---------------------------------------------------------------------------- streaming and resume
def test_results_stream_to_csv_and_a_study_resumes_where_it_stopped(tmp_path, monkeypatch, serial_study):
    calls = []

    def counted(data, **kwargs):
        calls.append(1)
        return lincoln_petersen(data, **kwargs)

    # The same function object under the module name the study records, so resumed runs recognise it.
    monkeypatch.setattr(sim_estimators, "lincoln_petersen", counted)
    counted.__module__, counted.__qualname__ = "sim_estimators", "lincoln_petersen"
    output = tmp_path / "study.csv"
    methods = {"chapman": counted}
    first = run(SCENARIOS, methods, 12, 2026, SerialExecutor(), output=output, chunk_size=5, progress=False)
    assert len(calls) == 24 and output.exists()
    # Interrupted runs leave whole chunks: drop the last chunk of rows to mimic one.
    frame = pd.read_csv(output)
    frame.iloc[:-5].to_csv(output, index=False)
    calls.clear()
    resumed = run(SCENARIOS, methods, 20, 2026, SerialExecutor(), output=output, chunk_size=5, progress=False)
    assert len(calls) == 5 + 2 * 8  # the dropped chunk, then eight new replicates per scenario
    # A write cut short mid-line is discarded and that replicate redone.
    text = output.read_text()
    output.write_text(text[: len(text) - 40])
    calls.clear()
    run(SCENARIOS, methods, 20, 2026, SerialExecutor(), output=output, progress=False)
    assert len(calls) == 1
    calls.clear()
    again = run(SCENARIOS, methods, 20, 2026, SerialExecutor(), output=output, progress=False)
    assert calls == []
    pd.testing.assert_frame_equal(without_time(resumed), without_time(again))
    reference = serial_study.results
    reference = reference[(reference["method"] == "chapman") & (reference["replicate"] < 20)].reset_index(drop=True)
    pd.testing.assert_frame_equal(without_time(again), reference.drop(columns="seconds"))
    assert len(first.results) == 24
    with pytest.raises(mse.ModelError, match="different study"):
        run(SCENARIOS, methods, 20, 7, SerialExecutor(), output=output, progress=False)
