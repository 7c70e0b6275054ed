"""Pinned estimates of the log-linear engine, lists only and with covariates.

The numbers were computed by the library before its two Newton solvers, profile
intervals, model-string parsers and design builders were merged into one engine;
they pin that the merge changed no estimate, limit or search-table entry beyond
floating-point noise (relative tolerance 1e-9). Change them only for a deliberate
change of method, and say which in the commit.
"""

from __future__ import annotations

import warnings

import pytest

import mse

SPINA = "spina_bifida_ethnicity"
REL = 1e-9


def _data(name: str) -> mse.CaptureData:
    return mse.load_dataset(name)


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


CASES = {
    "kosovo_stepwise_profile": (
        lambda: mse.estimate(_data("kosovo"), method="stepwise", interval="profile"),
        [14341.663800428145, 12525.18640784191, 16542.835848697472],
    ),
    "kosovo_independence_wald": (
        lambda: mse.estimate(_data("kosovo"), method="independence", interval="wald"),
        [7394.586661957861, 7172.907642829499, 7633.987723740183],
    ),
    "kosovo_all_two_way_profile": (
        lambda: mse.estimate(_data("kosovo"), method="loglinear", model="all two-way", interval="profile"),
        [14402.488951690138, 12523.27400439242, 16667.928292983128],
    ),
    "uk2013_bic_profile": (
        lambda: mse.estimate(_data("uk2013"), method="bic", interval="profile"),
        [12349.58695356198, 10868.160010612088, 14142.536008331545],
    ),
    "uk2013_bic_aic": (
        lambda: mse.estimate(_data("uk2013"), method="bic_aic", interval="wald"),
        [11251.547517670439, 9835.938886341011, 12949.72313515283],
    ),
    "korea_loglinear_boot": (
        lambda: mse.estimate(
            _data("korea"), method="loglinear", model="b:c", interval="parametric_bootstrap", n_boot=200, random_seed=3
        ),
        [268.7777777777775, 206.8170454542973, 396.1937499999997],
    ),
    "spina_cov_wald": (
        lambda: mse.estimate(_data(SPINA), method="loglinear", model="S1:S2 + S2:S3 + S1:eth", interval="wald"),
        [752.891891891976, 715.0463521619523, 805.9669949652998],
    ),
    "spina_cov_boot": (
        lambda: mse.estimate(
            _data(SPINA), method="loglinear", model="S1:S2 + S2:S3 + S1:eth", n_boot=50, random_seed=1
        ),
        [752.891891891976, 686.289285714286, 812.1910655850428],
    ),
    "spina_cov_bic": (
        lambda: mse.estimate(_data(SPINA), method="bic", n_boot=50, random_seed=1),
        [724.1245283018868, 644.0064759039547, 780.7932938334101],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pinned_estimate_and_interval(name):
    call, expected = CASES[name]
    res = _quiet(call)
    assert [res.estimate, res.lower, res.upper] == pytest.approx(expected, rel=REL)


def test_pinned_search_table_kosovo_bic():
    search = _quiet(lambda: mse.select_model(_data("kosovo"), method="bic"))
    assert list(search.table["estimate"].head(8)) == pytest.approx(
        [
            10356.51895725184,
            12740.967674334932,
            18393.30611501773,
            9824.170102089582,
            19233.477885967688,
            12840.705330677263,
            8650.438709587863,
            7664.962264150945,
        ],
        rel=REL,
    )
    assert list(search.table["deviance"].head(8)) == pytest.approx(
        [
            9.322670015666171,
            1.0170544176743346,
            10.25031924326345,
            7.046568532859434,
            8.095968501287054,
            1.0101246023444768,
            27.929175667276674,
            12.821276297133561,
        ],
        rel=REL,
    )


def test_pinned_covariate_model_with_missing_values_em():
    # netherlands_synthetic has missing covariate values: the fit, and every bootstrap replicate, runs EM.
    res = _quiet(
        lambda: mse.estimate(
            _data("netherlands_synthetic"),
            method="loglinear",
            model="I:form + K:nationality + O:age + O:sex + P:year",
            year_polynomial={"year": 1},
            n_boot=20,
            random_seed=11,
        )
    )
    assert [res.estimate, res.lower, res.upper] == pytest.approx(
        [25142.28013231008, 23925.248461717376, 26040.51058104281], rel=REL
    )
    assert list(res.breakdown("form")["estimate"]) == pytest.approx(
        [3801.3681689747345, 10438.047141576022, 1427.6971388971695, 9475.167682862151], rel=REL
    )
