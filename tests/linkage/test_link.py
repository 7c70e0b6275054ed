"""mse.linkage.link: Fellegi-Sunter linkage of token frames with Splink, on DuckDB and on Spark.

The inputs are token frames made exactly as the linkage contract says
(``linkage_people``), from synthetic people with typing errors, day-month
swaps and missing fields, so the true clusters are known.

The Spark test runs where Java and PySpark are; ``.ci/run`` installs Java
(Debian's ``default-jre-headless``) and sets ``MSE_REQUIRE_SPARK=1``, so that in
CI a missing Java fails the test instead of skipping it.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from linkage_people import KEY, link_quality, token_frames

import mse
from mse.linkage import LinkageResult, link

pytest.importorskip("splink", reason="the linkage extra (pip install 'multiple-systems-estimation[linkage]')")
pytest.importorskip("duckdb", reason="the linkage extra (pip install 'multiple-systems-estimation[linkage]')")

REQUIRE_SPARK = os.environ.get("MSE_REQUIRE_SPARK") == "1"
link_module = importlib.import_module("mse.linkage.link")


@pytest.fixture(scope="module")
def easy() -> tuple[dict[str, pd.DataFrame], pd.Series]:
    return token_frames(300, seed=1, keep_year=True)


@pytest.fixture(scope="module")
def easy_linked(easy: tuple[dict[str, pd.DataFrame], pd.Series]) -> LinkageResult:
    frames, _ = easy
    return link(frames, random_seed=5)


def test_recovers_the_true_links_in_an_easy_setting(easy, easy_linked) -> None:
    _, truth = easy
    precision, recall = link_quality(easy_linked.pairs, truth)
    assert precision > 0.95 and recall > 0.95
    # The clusters are the people: the number of people found is close to the number seen.
    assert abs(easy_linked.n_clusters - truth.nunique()) <= 0.02 * truth.nunique()


def test_the_prior_is_the_share_of_matching_pairs(easy, easy_linked) -> None:
    """The prior is estimated, not assumed: close to the true share of pairs that are one person."""
    frames, truth = easy
    sizes = [len(f) for f in frames.values()]
    pairs = sum(a * b for i, a in enumerate(sizes) for b in sizes[i + 1 :])
    people = truth.value_counts()
    share = float((people * (people - 1) // 2).sum()) / pairs
    assert easy_linked.parameters["probability_two_random_records_match"] == pytest.approx(share, rel=0.05)


def test_a_level_training_never_saw_counts_as_no_evidence() -> None:
    frames, truth = token_frames(200, lists=("A", "B"), swap_rate=0.0, seed=3)
    with pytest.warns(mse.EstimabilityWarning, match="no evidence"):
        result = link(frames, random_seed=1)
    levels = {level["level"]: level for level in result.parameters["comparisons"]["birth_date"]}
    unordered = levels["token_birth_date_unordered equal"]
    assert unordered["m_probability"] == unordered["u_probability"]
    precision, recall = link_quality(result.pairs, truth)
    assert precision > 0.95 and recall > 0.95


def test_a_level_no_match_shows_does_not_stop_training() -> None:
    """Dates without typing errors: no match agrees on the year alone, so EM takes that level's m to 0.

    Splink refuses an m that underflows to 0 in the middle of training; ``link`` floors each EM step's m
    at ``M_FLOOR`` and puts Splink's own M-step back afterwards.
    """
    from splink.internals import expectation_maximisation

    original = expectation_maximisation.populate_m_u_from_lookup
    frames, truth = token_frames(250, seed=0)
    result = link(frames, random_seed=1)
    year_only = {level["level"]: level for level in result.parameters["comparisons"]["birth_date"]}
    assert year_only["token_birth_year equal"]["m_probability"] == pytest.approx(link_module.M_FLOOR, rel=1e-6)
    precision, recall = link_quality(result.pairs, truth)
    assert precision > 0.95 and recall > 0.95
    assert expectation_maximisation.populate_m_u_from_lookup is original


def test_links_the_records_of_simulated_agencies() -> None:
    """The whole pipeline: simulate_records (realistic name frequencies) -> pseudonymise -> link."""
    from mse.linkage import RecordErrors, pseudonymise, simulate_records

    errors = RecordErrors(typo=0.03, missing=0.02, swap=0.03, particle=0.05)
    sim = simulate_records(2000, {"police": 0.3, "ngo": 0.25, "shelter": 0.2}, errors=errors, random_seed=2)
    frames = {
        name: pseudonymise(frame, key=KEY, fields=sim.fields, list_name=name, keep=sim.covariates)
        for name, frame in sim.frames.items()
    }
    result = link(frames, random_seed=1)
    rows = pd.concat([f.assign(row=range(len(f)))[["record_id", "list", "row"]] for f in frames.values()])
    truth = rows.merge(sim.truth, on=["list", "row"]).set_index("record_id")["person_id"]
    precision, recall = link_quality(result.pairs, truth)
    assert precision > 0.95 and recall > 0.9
    assert abs(result.n_clusters - truth.nunique()) <= 0.03 * truth.nunique()
    assert list(result.records.columns) == ["record_id", "list", *sim.covariates, "cluster"]


def test_recovers_most_links_with_more_errors() -> None:
    frames, truth = token_frames(300, seed=2, typo_rate=0.1, swap_rate=0.1, missing_rate=0.05)
    precision, recall = link_quality(link(frames, random_seed=1).pairs, truth)
    assert precision > 0.9 and recall > 0.9


def test_the_result_follows_the_contract(easy, easy_linked) -> None:
    frames, _ = easy
    result = easy_linked
    assert isinstance(result, LinkageResult)
    assert result.lists == ("A", "B", "C") and result.backend == "duckdb" and result.threshold == 0.5
    assert result.n_records == sum(len(f) for f in frames.values())
    probability = result.pairs["match_probability"].to_numpy()
    assert np.all((probability >= link_module.MIN_PAIR_PROBABILITY) & (probability <= 1.0))
    list_of = result.records.set_index("record_id")["list"]
    left = list_of.loc[result.pairs["record_id_l"]].to_numpy()
    right = list_of.loc[result.pairs["record_id_r"]].to_numpy()
    assert np.all(left < right)  # different lists, the earlier list on the left
    prior = result.parameters["probability_two_random_records_match"]
    assert 0.0 < prior < 1.0
    for levels in result.parameters["comparisons"].values():
        for level in levels:
            assert 0.0 <= level["m_probability"] <= 1.0 and 0.0 <= level["u_probability"] <= 1.0
    assert set(result.parameters["comparisons"]) == {"last_name", "first_name", "birth_date"}
    assert result.metadata["random_seed"] == 5
    assert result.metadata["splink_version"].startswith("5.")
    assert "duckdb_version" in result.metadata and len(result.metadata["tokens_sha256"]) == 64


def test_no_token_leaves_link(easy, easy_linked) -> None:
    frames, _ = easy
    result = easy_linked
    assert list(result.records.columns) == ["record_id", "list", "year_of_registration", "cluster"]
    assert list(result.pairs.columns) == ["record_id_l", "record_id_r", "match_probability"]
    tokens = {t for t in pd.concat(frames.values()).filter(like="token_").to_numpy().ravel() if isinstance(t, str)}
    text = repr(dict(result.parameters)) + repr(dict(result.metadata)) + result.records.to_csv() + result.pairs.to_csv()
    assert len(tokens) > 500
    assert not any(token in text for token in tokens)


def test_the_same_seed_gives_the_same_probabilities(easy, easy_linked) -> None:
    frames, _ = easy
    again = link(frames, random_seed=5)
    pd.testing.assert_frame_equal(again.pairs, easy_linked.pairs, check_exact=False, rtol=1e-9, atol=0)
    assert again.parameters["probability_two_random_records_match"] == pytest.approx(
        easy_linked.parameters["probability_two_random_records_match"], rel=1e-9
    )
    assert again.metadata["tokens_sha256"] == easy_linked.metadata["tokens_sha256"]


def test_the_sample_of_pairs_for_u_depends_on_the_seed_only(easy) -> None:
    """With more pairs than ``u_max_pairs`` the pairs for u are sampled: by the seed, the same in every call."""
    frames, _ = easy
    first, again, other = (link(frames, random_seed=seed, u_max_pairs=20_000) for seed in (5, 5, 6))
    pd.testing.assert_frame_equal(first.pairs, again.pairs)
    assert first.parameters["comparisons"] == again.parameters["comparisons"]
    assert first.parameters["comparisons"] != other.parameters["comparisons"]


def test_one_frame_with_a_list_column_is_the_same_as_a_mapping(easy, easy_linked) -> None:
    frames, _ = easy
    one = link(pd.concat(frames.values(), ignore_index=True), random_seed=5)
    pd.testing.assert_frame_equal(one.pairs, easy_linked.pairs, check_exact=False, rtol=1e-9, atol=0)


def test_a_linkage_makes_a_capture_table(easy_linked) -> None:
    data = mse.CaptureData.from_linked(easy_linked)
    assert data.lists == ("A", "B", "C") and data.n_observed == easy_linked.n_clusters


@pytest.mark.filterwarnings("ignore:no training pair showed:mse.EstimabilityWarning")  # 200 people: few swaps
def test_only_common_tokens_are_compared() -> None:
    frames, truth = token_frames(200, lists=("A", "B"), seed=3)
    frames["B"] = frames["B"].drop(columns=["token_nationality", "token_first_initial"])
    with pytest.warns(mse.DataWarning, match="not in every list"):
        result = link(frames, random_seed=1, compare=["last_name", "first_name", "birth_date", "nationality", "sex"])
    assert "nationality" not in result.parameters["comparisons"] and "sex" in result.parameters["comparisons"]
    assert len(result.parameters["comparisons"]["first_name"]) == 3  # equal, phonetic equal, differ
    assert "token_nationality" not in result.metadata["token_columns"]
    precision, recall = link_quality(result.pairs, truth)
    assert precision > 0.95 and recall > 0.95


def test_splink_says_nothing_on_the_console(easy, capfd, caplog) -> None:
    frames, _ = easy
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", mse.MSEWarning)  # the library's own warnings are not chatter
        link({"A": frames["A"], "B": frames["B"]}, random_seed=1)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not [r for r in caplog.records if r.name.startswith("splink")]
    assert logging.getLogger("splink").handlers == [] or not any(
        isinstance(h, link_module._Collector) for h in logging.getLogger("splink").handlers
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: {"A": f["A"]}, "at least two lists"),
        (lambda f: {"A": f["A"], "B": f["B"].assign(record_id=f["A"]["record_id"].iloc[0])}, "unique"),
        (lambda f: {"A": f["A"], "B": f["B"].drop(columns="record_id")}, "no 'record_id' column"),
        (
            lambda f: {"A": f["A"].filter(regex="record_id|last_"), "B": f["B"].filter(regex="record_id|first_")},
            "no token column in common",
        ),
        (lambda f: {"A": f["A"], "B": f["B"].assign(first_name="anna")}, "looks identifying"),
        (lambda f: {"A": f["A"], "B": f["B"].assign(date_of_birth="1990-01-01")}, "looks identifying"),
        (lambda f: {"A": f["A"], "B": f["B"].assign(token_last_name="jansen")}, "not tokens"),
        (
            lambda f: {k: v.filter(regex="record_id|last_name|sex|nationality") for k, v in f.items()},
            "at least two of them",
        ),
        (lambda f: {"A": f["A"], "B": f["B"].iloc[:0]}, "no records"),
        (lambda f: [f["A"], f["B"]], "mapping"),
        (lambda f: pd.concat([f["A"], f["B"]]).drop(columns="list"), "'list' column"),
    ],
)
def test_bad_input_is_a_data_error(easy, change, match) -> None:
    frames, _ = easy
    with pytest.raises(mse.DataError, match=match):
        link(change(frames), random_seed=1)


def test_bad_options_are_model_errors(easy) -> None:
    frames, _ = easy
    two = {"A": frames["A"], "B": frames["B"]}
    with pytest.raises(mse.ModelError, match="backend"):
        link(two, backend="sqlite")
    with pytest.raises(mse.ModelError, match="backend='spark'"):
        link(two, spark=object())
    with pytest.raises(mse.ModelError, match="threshold"):
        link(two, threshold=1.0)
    with pytest.raises(mse.ModelError):
        link(two, random_seed=-1)
    with pytest.raises(mse.ModelError, match="blocking"):
        link(two, blocking=[["token_passport"]])
    with pytest.raises(mse.ModelError, match="unknown field"):
        link(two, compare=["passport"])


def test_lists_pseudonymised_with_different_keys_cannot_be_linked() -> None:
    a, _ = token_frames(150, lists=("A",), seed=4)
    b, _ = token_frames(150, lists=("B",), seed=4, key=KEY + b"!")
    with pytest.raises(mse.EstimabilityError, match="different keys"):
        link({**a, **b}, random_seed=1)


def test_tiny_inputs_give_a_typed_error_or_a_library_warning(capfd) -> None:
    frames, _ = token_frames(8, lists=("A", "B"), capture=0.7, seed=6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = link(frames, random_seed=1)
        except mse.EstimabilityError:
            result = None
    assert all(issubclass(w.category, mse.MSEWarning) for w in caught), [str(w.message) for w in caught]
    if result is not None:
        assert np.all((result.pairs["match_probability"] >= 0) & (result.pairs["match_probability"] <= 1))
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("module", "backend", "extra"),
    [("splink", "duckdb", "linkage"), ("duckdb", "duckdb", "linkage"), ("pyspark", "spark", "spark")],
)
def test_a_missing_engine_says_what_to_install(easy, monkeypatch, module, backend, extra) -> None:
    frames, _ = easy
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"multiple-systems-estimation\[{extra}\]"):
        link(frames, backend=backend, random_seed=1)


def test_import_mse_imports_no_linkage_engine() -> None:
    code = (
        "import sys, mse, mse.linkage; mse.linkage.LinkageResult; "
        "print(sorted(m for m in ('splink', 'duckdb', 'pyspark') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- Spark ------------------------------------------------------------------------------------


def _spark_or_skip(warehouse):
    if not REQUIRE_SPARK:
        if shutil.which("java") is None:
            pytest.skip("no Java here for Spark (Debian package default-jre-headless; CI installs it)")
        pytest.importorskip("pyspark", reason="PySpark is part of the spark extra")
    assert shutil.which("java") is not None, "MSE_REQUIRE_SPARK=1 but no java on PATH; install default-jre-headless"
    from pyspark.sql import SparkSession

    # Compiling whole-stage code and re-planning adaptively cost more than they save on tiny tables: without
    # them the test took 63 s and 79 s instead of 82 s and 118 s (two back-to-back pairs, load average 4-6).
    return (
        SparkSession.builder.master("local[1]")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .appName("mse-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .getOrCreate()
    )


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_and_duckdb_agree(tmp_path) -> None:
    """Both engines score the same pairs with the same model.

    With fewer record pairs than ``u_max_pairs`` the u probabilities are
    counted over all pairs, so no engine-specific sampling (a hash of the
    record ids, which differs between engines) enters; EM and prediction are
    then the same arithmetic in two SQL engines, and the probabilities agree
    up to the order of floating-point sums (checked to a relative 1e-6).
    """
    spark = _spark_or_skip(tmp_path / "spark-warehouse")
    try:
        spark.sparkContext.setLogLevel("ERROR")
        frames, truth = token_frames(120, seed=7, keep_year=True)
        # Three EM iterations keep the test short (each is a Spark job); both engines stop at the same point.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mse.ConvergenceWarning)
            on_duckdb = link(frames, random_seed=3, max_iterations=3)
            on_spark = link(frames, backend="spark", spark=spark, random_seed=3, max_iterations=3)
    finally:
        spark.stop()
    assert on_spark.backend == "spark" and "pyspark_version" in on_spark.metadata
    pd.testing.assert_frame_equal(on_spark.pairs, on_duckdb.pairs, check_exact=False, rtol=1e-6, atol=1e-9)
    assert (on_spark.records["cluster"] == on_duckdb.records["cluster"]).all()
    assert on_spark.parameters["probability_two_random_records_match"] == pytest.approx(
        on_duckdb.parameters["probability_two_random_records_match"], rel=1e-6
    )
    precision, recall = link_quality(on_spark.pairs, truth)  # three EM iterations on 173 records
    assert precision > 0.9 and recall > 0.9
