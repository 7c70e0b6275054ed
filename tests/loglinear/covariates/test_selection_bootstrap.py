"""The bootstrap of covariate models that repeats EM and the model search in every replicate (interval="bca")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mse
from mse.errors import EstimabilityWarning, ModelError
from mse.loglinear.covariates.model_fit import fit_covariate_model
from mse.loglinear.covariates.reselection import resample_people, selection_bootstrap
from mse.loglinear.model.design import Design
from mse.loglinear.model.table import build_table


def _bca(data, method="bic_aic", n_boot=20, seed=1, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimabilityWarning)
        return mse.estimate(data, method=method, interval="bca", n_boot=n_boot, random_seed=seed, **options)


@pytest.fixture(scope="module")
def spina_bca(spina):
    return _bca(spina)


def test_every_replicate_repeats_the_search(spina_bca):
    selected = spina_bca.details["selected_models"]
    assert len(selected) == 20
    # 621 people on three lists and three ethnic groups: the BIC-then-AIC choice is far from certain
    assert len(set(selected)) > 1
    assert sum(spina_bca.details["model_frequencies"].values()) == 20 - spina_bca.details["n_failed"]


def test_a_fixed_model_is_refitted_not_searched(spina):
    res = _bca(spina, method="loglinear", model="S1:S2 + S2:S3 + S1:eth", n_boot=10)
    assert set(res.details["selected_models"]) == {res.model}


def test_levels_add_up_to_the_total_in_every_replicate(spina_bca):
    draws = np.asarray(spina_bca.details["strata_draws"])
    assert draws.shape == (20, 3)
    np.testing.assert_allclose(draws.sum(axis=1), spina_bca.draws)
    levels = spina_bca.breakdown("eth")
    assert levels["estimate"].sum() == pytest.approx(spina_bca.estimate)


def test_bca_limits_contain_the_estimate_and_percentile_limits_are_recorded(spina_bca):
    assert spina_bca.lower <= spina_bca.estimate <= spina_bca.upper
    lower, upper = spina_bca.details["percentile_limits"]
    assert lower < upper
    assert np.isfinite(spina_bca.details["acceleration"])


def test_the_same_seed_gives_the_same_replicates(spina, spina_bca):
    again = _bca(spina)
    np.testing.assert_array_equal(again.details["strata_draws"], spina_bca.details["strata_draws"])
    assert (again.lower, again.upper) == (spina_bca.lower, spina_bca.upper)
    other = _bca(spina, seed=2)
    assert not np.array_equal(other.draws, spina_bca.draws)


@pytest.mark.filterwarnings("ignore::mse.errors.EstimabilityWarning")
def test_the_default_interval_is_still_the_parametric_bootstrap(spina):
    res = mse.estimate(spina, method="bic_aic", n_boot=20, random_seed=1)
    assert res.interval_method == "parametric_bootstrap"
    assert "selected_models" not in res.details


def test_failed_replicates_are_recorded_not_fatal(spina):
    table = build_table(spina)
    design = Design(table)
    fit = fit_covariate_model(table, design, frozenset())
    calls = iter(range(10**6))

    def flaky(replicate):
        if next(calls) % 3 == 0:
            raise ModelError("this replicate cannot be fitted")
        return fit_covariate_model(replicate, design, fit.terms, start_from=fit, with_cov=False)

    boot = selection_bootstrap(table, flaky, n_boot=12, random_seed=3)
    assert boot.n_failed == 4
    assert np.isnan(boot.strata_draws[boot.failed]).all()
    assert np.isfinite(boot.strata_draws[~boot.failed]).all()
    assert boot.failure_reasons == {"ModelError: this replicate cannot be fitted": 4}
    assert [model for model, bad in zip(boot.models, boot.failed) if bad] == [""] * 4
    limits = boot.limits(fit.estimate, 0.9)
    assert limits["lower"] < fit.estimate < limits["upper"]


def test_resampling_keeps_the_number_observed_and_the_partially_classified(missing_group):
    table = build_table(missing_group)
    counts, partial = resample_people(table, 50, np.random.default_rng(0))
    assert np.all(counts.sum(axis=1) + partial.sum(axis=1) == table.n_observed)
    assert np.all(counts[:, table.counts == 0] == 0) and np.all(partial[:, table.partial_counts == 0] == 0)
    assert partial.sum() > 0
    # EM is redone in every replicate: the draws of the levels exist though values are missing
    res = _bca(missing_group, n_boot=10)
    assert res.details["n_partially_classified"] > 0
    assert np.isfinite(res.details["strata_draws"]).all()
    assert res.lower <= res.estimate <= res.upper


def test_other_bootstraps_are_still_refused(spina):
    with pytest.raises(ModelError, match="not available"):
        mse.estimate(spina, method="bic_aic", interval="bootstrap_top")


@settings(max_examples=3, deadline=None)
@given(order=st.permutations(range(12)))
def test_the_order_of_the_records_does_not_change_the_interval(order):
    # The resampling works on the aggregated table, so the records' order cannot matter. Permuting
    # the lists, by contrast, reorders the rows of the table, so the same seed assigns the same
    # multinomial draws to different people: the interval is the same in distribution only.
    data = mse.load_dataset("spina_bifida_ethnicity")
    frame = data.to_frame()
    shuffled = frame.iloc[list(order) + list(range(12, len(frame)))]
    permuted = mse.CaptureData.from_counts(
        shuffled, lists=list(data.lists), count="count", covariates=list(data.covariates)
    )
    first = _bca(data, method="independence", n_boot=10)
    second = _bca(permuted, method="independence", n_boot=10)
    assert (first.lower, first.upper) == pytest.approx((second.lower, second.upper), rel=1e-9)


def test_levels_have_bca_limits_from_their_own_jackknife(spina_bca, tmp_path):
    """``breakdown(limits="bca")`` corrects each level with its replicates and its leave-one-out estimates."""
    from mse.bootstrap_limits import bca_limits, jackknife_acceleration

    draws = np.asarray(spina_bca.details["strata_draws"])
    jackknife = np.asarray(spina_bca.details["strata_jackknife"])
    weights = np.asarray(spina_bca.details["jackknife_weights"])
    assert jackknife.shape == (len(weights), 3)
    by_level = spina_bca.breakdown("eth", limits="bca")
    for k, row in by_level.iterrows():
        expected = bca_limits(draws[:, k], row["estimate"], jackknife_acceleration(jackknife[:, k], weights), 0.95)
        assert (row["lower"], row["upper"]) == pytest.approx(expected[:2], nan_ok=True)
    percentile = spina_bca.breakdown("eth")  # the default: percentile limits, which covered better
    assert percentile["upper"].iloc[1] == pytest.approx(np.quantile(draws[:, 1], 0.975))
    path = tmp_path / "result.json"
    spina_bca.save(path)
    loaded = mse.load_result(path)
    np.testing.assert_allclose(loaded.breakdown("eth", limits="bca")[["lower", "upper"]], by_level[["lower", "upper"]])


def test_bca_limits_by_level_need_the_jackknife(spina):
    fixed = mse.estimate(spina, method="independence", n_boot=20, random_seed=1)
    with pytest.raises(ModelError, match="BCa limits by level need interval='bca'"):
        fixed.breakdown("eth", limits="bca")


def test_a_bca_limit_that_rests_on_runaway_resamples_is_not_reported(spina):
    """One resample in a hundred selects a model whose estimate runs off to billions; BCa reaches for it."""
    res = _bca(spina, n_boot=100, seed=1)
    assert not res.ok
    assert res.status.startswith("not reported") or res.status.startswith("BCa upper limit unstable")
    assert "percentile" in res.status
    lower, upper = res.details["percentile_limits"]
    assert upper < 10 * res.estimate  # the percentile limits stay usable, and the status points to them
