"""The profile-likelihood interval of a fixed log-linear model with covariates."""

from __future__ import annotations

import pytest

import mse
from mse.errors import ModelError


def test_main_effects_of_covariates_give_the_interval_of_the_lists_alone(spina):
    # the covariates' main effects carry no information about N: the profile factorises
    with_covariates = mse.estimate(spina, method="independence", interval="profile")
    lists_alone = mse.estimate(spina, method="independence", covariates=[], interval="profile")
    assert with_covariates.lower == pytest.approx(lists_alone.lower, rel=1e-6)
    assert with_covariates.upper == pytest.approx(lists_alone.upper, rel=1e-6)
    assert with_covariates.details["profile_maximum"] == pytest.approx(lists_alone.details["profile_maximum"], rel=1e-6)


def test_a_list_by_covariate_model_has_an_interval_around_its_estimate(spina):
    res = mse.estimate(spina, method="loglinear", model="S1:S2 + S2:S3 + S1:eth", interval="profile")
    assert res.lower < res.estimate < res.upper
    # the multinomial maximum lies within a person or two of the Poisson estimate
    assert res.details["profile_maximum"] == pytest.approx(res.estimate, abs=3.0)
    wald = mse.estimate(spina, method="loglinear", model="S1:S2 + S2:S3 + S1:eth", interval="wald")
    assert res.lower == pytest.approx(wald.lower, rel=0.05) and res.upper == pytest.approx(wald.upper, rel=0.05)


def test_missing_covariate_values_are_handled_by_em(missing_group):
    res = mse.estimate(missing_group, method="loglinear", model="A:group", interval="profile")
    assert res.details["n_partially_classified"] > 0
    assert res.lower < res.estimate < res.upper
    assert res.details["profile_maximum"] == pytest.approx(res.estimate, rel=0.01)


def test_a_searched_model_has_no_profile_interval(spina):
    with pytest.raises(ModelError, match="interval='bca'"):
        mse.estimate(spina, method="bic_aic", interval="profile")
