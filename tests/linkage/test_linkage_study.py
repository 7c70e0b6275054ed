"""The linkage study of ``benchmarks/bench_linkage_study.py``, at the size of its quick run.

A handful of replicates of the whole pipeline (simulate_records ->
pseudonymise -> link -> from_linked -> estimate) with heavy record errors:
what a few replicates can show is that none crashes, that the naive table
overestimates N (missed links split people), that the rates correction
moves the estimate towards the truth and that a clerical review of a sample
takes it there. Coverage needs the full study
(``benchmarks/README.md``); the slow test runs 20 replicates each of the light
and moderate settings.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("splink", reason="the linkage extra (pip install 'multiple-systems-estimation[linkage]')")
pytest.importorskip("duckdb", reason="the linkage extra (pip install 'multiple-systems-estimation[linkage]')")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_linkage_study.py"


def _study():
    spec = importlib.util.spec_from_file_location("bench_linkage_study", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def study():
    return _study()


@pytest.fixture(scope="module")
def heavy(study) -> pd.DataFrame:
    return pd.DataFrame([study.run_replicate("heavy", r, population=1500) for r in range(3)])


def test_no_replicate_crashes(study, heavy) -> None:
    for name in study.ESTIMATES:
        assert (heavy[f"{name}_status"] == "ok").all(), heavy[f"{name}_status"].tolist()
        assert np.isfinite(heavy[f"{name}_estimate"]).all()
        assert (heavy[f"{name}_lower"] <= heavy[f"{name}_estimate"]).all()
        assert (heavy[f"{name}_estimate"] <= heavy[f"{name}_upper"]).all()


def test_heavy_errors_make_the_linkage_miss_and_the_naive_estimate_too_high(heavy) -> None:
    assert (heavy["missed_links"] > heavy["false_links"]).all()
    assert (heavy["observed_linked"] > heavy["observed_true"]).all()
    assert (heavy["ignore_estimate"] > heavy["truth"]).sum() >= 2


def test_the_rates_correction_is_closer_to_the_truth_than_the_naive_table(heavy) -> None:
    naive = (heavy["ignore_estimate"] - heavy["truth"]).abs().mean()
    rates = (heavy["rates_estimate"] - heavy["truth"]).abs().mean()
    assert rates < naive
    assert (heavy["rates_estimate"] < heavy["ignore_estimate"]).all()


def test_a_clerical_review_corrects_what_the_match_probabilities_miss(heavy) -> None:
    # heavy errors: the rates correction keeps most of the naive bias, the review removes it
    rates = (heavy["rates_estimate"] - heavy["truth"]).abs().mean()
    for size in (50, 100, 200):
        review = (heavy[f"review{size}_estimate"] - heavy["truth"]).abs().mean()
        assert review < rates / 2
    # a larger review gives a narrower interval
    width = {size: (heavy[f"review{size}_upper"] - heavy[f"review{size}_lower"]).mean() for size in (50, 100, 200)}
    assert width[50] > width[100] > width[200]


def test_the_link_errors_are_counted_against_the_truth(heavy) -> None:
    correct = heavy["links"] - heavy["false_links"]
    assert np.allclose(heavy["precision"], correct / heavy["links"])
    assert np.allclose(heavy["recall"], correct / heavy["true_matches"])
    assert (heavy["missed_unlisted"] <= heavy["missed_links"]).all()


def test_a_replicate_seed_depends_on_the_study_seed_and_the_replicate_only(study) -> None:
    seeds = [study.replicate_seed(r) for r in range(50)]
    assert len(set(seeds)) == 50
    assert seeds == [study.replicate_seed(r) for r in range(50)]
    assert study.replicate_seed(3, study_seed=1) != study.replicate_seed(3)


def test_without_record_errors_the_linkage_is_exact(study) -> None:
    row = study.run_replicate("none", 0, population=1500)
    assert row["false_links"] == 0 and row["missed_links"] == 0
    assert row["ignore_estimate"] == pytest.approx(row["exact_estimate"])


def test_summary_has_one_row_per_setting_and_estimate(study, heavy) -> None:
    table = study.summarise(heavy)
    assert list(table["estimate"]) == list(study.ESTIMATES)
    assert ((table["coverage"] >= 0) & (table["coverage"] <= 1)).all()


@pytest.mark.slow
def test_corrections_on_light_and_moderate_errors() -> None:
    """20 replicates each: the review interval covers N; rates covers most light ones and is closer than naive.

    The full study (100 replicates, ``benchmarks/README.md``) measured the coverage of each correction; this
    checks that the pipeline still gets that far.
    """
    study = _study()
    rows = study.run_study(20, ("light", "moderate"), population=study.POPULATION)
    light = rows[rows["setting"] == "light"]
    moderate = rows[rows["setting"] == "moderate"]
    assert light["rates_covered"].mean() >= 0.7
    assert rows["review100_covered"].mean() >= 0.85
    naive = (moderate["ignore_estimate"] / moderate["truth"] - 1).mean()
    rates = (moderate["rates_estimate"] / moderate["truth"] - 1).mean()
    assert naive > 0.05 and abs(rates) < naive / 2
