"""Log-linear models on lists x covariates: fits, search, breakdown, EM, rates, synthetic data."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings, strategies as st
from scipy import optimize, sparse

import mse
from mse.data.synthetic import generate_covariate_population, netherlands_synthetic
from mse.loglinear.covariates.em import fit_em, observed_loglik
from mse.loglinear.covariates.model_fit import fit_covariate_model
from mse.loglinear.covariates.model_search import covariate_search
from mse.loglinear.fit.model_fit import fit_model
from mse.loglinear.model.design import Design, orthogonal_polynomial
from mse.loglinear.model.table import build_table
from mse.loglinear.model.terms import parse_model

SPINA = "spina_bifida_ethnicity"
PWID = "scottish_pwid"
# The model the BIC-then-AIC search selects on netherlands_synthetic (see test_search_recovers_generating_terms).
NL_MODEL = (
    "I:form + K:P + K:nationality + O:R + O:sex + O:age + P:R + P:form + R:Z + R:sex + Z:age + Z:form + sex:form "
    "+ age:form + nationality:form"
)


def _fit(data, model):
    table = build_table(data)
    return fit_covariate_model(table, Design(table), parse_model(model, data.lists, data.covariates))


# ---------------------------------------------------------------- reduction to the plain log-linear fits
@pytest.mark.parametrize(
    ("name", "plain", "with_covariates"),
    [
        (SPINA, "independence", "independence"),
        (SPINA, "S1:S2 + S2:S3", "S1:S2 + S2:S3 + eth"),
        (PWID, "S1:S3 + S2:S4", "S1:S3 + S2:S4 + Region + Gender"),
        (PWID, "all two-way", "S1:S2 + S1:S3 + S1:S4 + S2:S3 + S2:S4 + S3:S4"),
    ],
)
def test_covariate_main_effects_sum_out_to_the_plain_fit(name, plain, with_covariates):
    # With covariates only as main effects the lists are independent of them, so the
    # model collapses over the covariates and N is the plain fit's N exactly.
    data = mse.load_dataset(name)
    fit = _fit(data, with_covariates)
    reference = fit_model(data, plain)
    assert fit.estimate == pytest.approx(reference.estimate, rel=1e-7)  # both Newton fits stop at 1e-10 on log L
    assert fit.details()["se"] == pytest.approx(reference.se, rel=1e-6)


def test_covariates_summed_out_on_request_give_the_plain_estimator():
    data = mse.load_dataset(PWID)
    summed = mse.estimate(data, method="bic", covariates=[], interval="wald")
    plain = mse.estimate(data.collapse_covariates(), method="bic", interval="wald")
    assert (summed.estimate, summed.lower, summed.upper, summed.model) == (
        plain.estimate,
        plain.lower,
        plain.upper,
        plain.model,
    )
    assert summed.strata is None


def test_fit_agrees_with_statsmodels_poisson_glm():
    # R: glm(y ~ S1*S2 + S2*S3 + S1*eth, family = poisson) on the lists x eth table; here statsmodels.
    data = mse.load_dataset(SPINA)
    fit = _fit(data, "S1:S2 + S2:S3 + S1:eth")
    table = fit.table
    frame = pd.DataFrame(table.histories[table.history_of_row].astype(int), columns=list(data.lists))
    frame["eth"] = table.cells["eth"].to_numpy()[table.cell_of_row]
    frame["y"] = table.counts
    glm = smf.glm("y ~ S1*S2 + S2*S3 + S1*C(eth)", frame, family=sm.families.Poisson()).fit()
    dark = glm.predict(pd.DataFrame({"S1": 0, "S2": 0, "S3": 0, "eth": list(table.cells["eth"])}))
    assert fit.dark == pytest.approx(dark.to_numpy(), rel=1e-6, abs=1e-6)  # 'other' is a boundary cell, ~0
    assert fit.loglik == pytest.approx(glm.llf, rel=1e-9)
    assert fit.deviance == pytest.approx(glm.deviance, rel=1e-6)


@settings(max_examples=5, deadline=None)
@given(factor=st.integers(min_value=2, max_value=5))
def test_scaling_the_counts_scales_the_estimate(factor):
    data = mse.load_dataset(SPINA)
    model = "S1:S2 + S2:S3 + S1:eth"
    assert _fit(data.scale_counts(factor), model).estimate == pytest.approx(factor * _fit(data, model).estimate)


def test_polynomial_of_full_degree_equals_the_factor_coding():
    pop = netherlands_synthetic()
    data = pop.complete.drop_covariates(["sex", "age", "nationality", "form"])
    table = build_table(data)
    terms = parse_model("P:year + K:P", data.lists, data.covariates)
    factor = fit_covariate_model(table, Design(table), terms)
    full = fit_covariate_model(table, Design(table, polynomial={"year": 5}), terms)
    linear = fit_covariate_model(table, Design(table, polynomial={"year": 1}), terms)
    assert full.estimate == pytest.approx(factor.estimate, rel=1e-8)
    assert linear.n_params == factor.n_params - 2 * 4  # 4 fewer year columns, in the main effect and in P:year
    P = orthogonal_polynomial(range(2010, 2016), 3)
    assert np.allclose(P.T @ P, np.eye(3)) and np.allclose(P.sum(axis=0), 0.0)


# ---------------------------------------------------------------- real covariate data sets
def test_spina_bifida_search_and_breakdown():
    data = mse.load_dataset(SPINA)
    res = mse.estimate(data, method="bic_aic", random_seed=3, n_boot=200)
    assert res.ok and res.model == "S1:S2 + S1:eth + S2:S3"
    assert res.estimate == pytest.approx(752.89, abs=0.01)
    assert res.lower < res.estimate < res.upper
    by_eth = res.breakdown("eth")
    assert list(by_eth.columns) == ["eth", "observed", "allocated", "estimate", "lower", "upper"]
    assert (by_eth["allocated"] == 0).all()  # no missing values: nothing allocated
    assert by_eth["estimate"].sum() == pytest.approx(res.estimate)
    assert by_eth["observed"].sum() == pytest.approx(data.n_observed)
    assert (by_eth["estimate"] >= by_eth["observed"] - 1e-9).all()
    # the exhaustive AIC search over the 6 two-factor terms agrees with the forward path
    table = build_table(data)
    search, fit = covariate_search(table, Design(table), "aic")
    assert search.method == "exhaustive" and len(search.table) == 64
    assert fit.model == res.model and search.table["aic"].iloc[0] == pytest.approx(fit.aic)


def test_scottish_pwid_runs_with_list_by_covariate_terms():
    data = mse.load_dataset(PWID)
    res = mse.estimate(data, method="bic", random_seed=1, n_boot=100)
    assert res.ok and res.estimate > data.n_observed
    assert ":Region" in res.model and ":Age" in res.model
    assert res.details["search_method"] == "forward"  # 21 candidate terms: too many for the exhaustive search
    path = res.details["search"]
    assert list(path["bic"]) == sorted(path["bic"], reverse=True)  # every accepted step lowers BIC
    two = res.breakdown(["Gender", "Age"])
    assert len(two) == 4 and two["estimate"].sum() == pytest.approx(res.estimate)


# ---------------------------------------------------------------- bootstrap and breakdown
def test_breakdown_levels_and_total_come_from_the_same_replicates():
    data = mse.load_dataset(PWID)
    res = mse.estimate(data, method="loglinear", model="S1:S3 + S2:S4 + S3:Region + S1:Age", random_seed=7, n_boot=150)
    strata_draws = res.details["strata_draws"]
    assert strata_draws.shape == (150, 8)
    assert np.allclose(strata_draws.sum(axis=1), res.draws)
    assert res.lower == pytest.approx(np.percentile(res.draws, 2.5))
    by_region = res.breakdown("Region")
    level_draws = np.column_stack(
        [strata_draws[:, (res.strata["Region"] == level).to_numpy()].sum(axis=1) for level in by_region["Region"]]
    )
    assert np.allclose(level_draws.sum(axis=1), res.draws)
    assert by_region["upper"].to_numpy() == pytest.approx(np.percentile(level_draws, 97.5, axis=0))
    again = mse.estimate(
        data, method="loglinear", model="S1:S3 + S2:S4 + S3:Region + S1:Age", random_seed=7, n_boot=150
    )
    assert np.array_equal(again.draws, res.draws)


def test_breakdown_survives_save_and_load(tmp_path):
    res = mse.estimate(
        mse.load_dataset(SPINA), method="loglinear", model="S1:S2 + S2:S3 + S1:eth", n_boot=50, random_seed=1
    )
    res.save(tmp_path / "res.json")
    loaded = mse.load_result(tmp_path / "res.json")
    pd.testing.assert_frame_equal(loaded.breakdown("eth"), res.breakdown("eth"), check_dtype=False)


def test_wald_interval_of_the_total():
    data = mse.load_dataset(SPINA)
    res = mse.estimate(data, method="independence", interval="wald")
    plain = mse.estimate(data.collapse_covariates(), method="independence", interval="wald")
    assert (res.lower, res.upper) == pytest.approx((plain.lower, plain.upper), rel=1e-6)


# ---------------------------------------------------------------- EM
def _with_missing(data, covariate, fraction, seed):
    """Delete a share of one covariate's values, record by record."""
    frame = data.to_frame()
    rng = np.random.default_rng(seed)
    rows = []
    for row in frame.itertuples(index=False):
        record = row._asdict()
        lost = rng.binomial(int(record["count"]), fraction)
        if lost:
            rows.append({**record, covariate: None, "count": lost})
        if record["count"] - lost:
            rows.append({**record, "count": record["count"] - lost})
    out = pd.DataFrame(rows)
    out[covariate] = out[covariate].astype(object)
    return mse.CaptureData.from_counts(out, lists=list(data.lists), covariates=list(data.covariates))


def test_em_with_nothing_missing_is_the_complete_data_fit():
    data = mse.load_dataset(SPINA)
    table = build_table(data)
    design = Design(table)
    X, _, _, _ = design.matrices(parse_model("S1:S2 + S2:S3 + S1:eth", data.lists, data.covariates))
    from scipy import sparse

    some_groups = sparse.csr_matrix(np.eye(table.n_rows)[:3])  # groups present, but holding no records
    em = fit_em(X, table.counts, some_groups, np.zeros(3))
    direct = fit_em(X, table.counts, sparse.csr_matrix((0, table.n_rows)), np.zeros(0))
    assert np.allclose(em.coef, direct.coef) and em.iterations[0] == 0
    assert _fit(data, "S1:S2 + S2:S3 + S1:eth").em_iterations == 0


def test_em_maximises_the_observed_data_likelihood():
    # An independent check: maximise the observed-data Poisson likelihood directly with BFGS.
    data = _with_missing(mse.load_dataset(SPINA), "eth", 0.3, seed=2)
    table = build_table(data)
    assert table.has_missing
    design = Design(table)
    X, X_dark, _, _ = design.matrices(parse_model("S1:S2 + S2:S3 + S1:eth", data.lists, data.covariates))
    em = fit_em(X, table.counts, table.partial, table.partial_counts, tol=1e-13)

    def negative(beta):
        mu = np.exp(X @ beta)[None, :]
        return -observed_loglik(mu, table.counts, table.partial, table.partial_counts)[0]

    direct = optimize.minimize(negative, np.zeros(X.shape[1]), method="BFGS", options={"gtol": 1e-8})
    assert -direct.fun == pytest.approx(em.loglik[0], abs=1e-5)
    assert np.exp(X_dark @ em.coef[0]).sum() == pytest.approx(np.exp(X_dark @ direct.x).sum(), rel=1e-4)


def _simulated_population(seed):
    # Three lists, one covariate that changes the capture probability of list A; values are missing
    # far more often for people not on list A (missing at random given the lists).
    return generate_covariate_population(
        ["A", "B", "C"],
        {"group": ["a", "b"]},
        lambda cell: 7.0 if cell["group"] == "a" else 6.3,
        lambda cell: [-1.0 if cell["group"] == "a" else 0.2, -1.2, -1.5],
        missing=lambda history: {"group": 0.05 if history[0] else 0.6},
        random_seed=seed,
    )


def test_complete_case_analysis_is_biased_and_em_is_not():
    model = "A:group"
    em_errors, cc_errors, share_truth, em_share = [], [], [], []
    for seed in range(12):
        pop = _simulated_population(seed)
        truth = pop.truth["N"].sum()
        em = _fit(pop.data, model)
        complete_cases = pop.data.select(group=["a", "b"])
        cc = _fit(complete_cases, model)
        em_errors.append(em.estimate / truth - 1)
        # the usual complete-case fix: scale the complete-case estimate up to everyone observed
        cc_errors.append(cc.estimate * pop.data.n_observed / complete_cases.n_observed / truth - 1)
        share_truth.append(pop.truth["N"].iloc[1] / truth)
        em_share.append(em.strata()["estimate"].iloc[1] / em.estimate)
    assert abs(np.mean(em_errors)) < 0.02
    assert np.mean(cc_errors) < -0.10
    assert np.mean(em_share) == pytest.approx(np.mean(share_truth), abs=0.02)


@pytest.mark.slow
def test_em_bootstrap_covers_the_truth_in_repeated_simulations():
    covered = 0
    for seed in range(20):
        pop = _simulated_population(100 + seed)
        res = mse.estimate(pop.data, method="loglinear", model="A:group", n_boot=200, random_seed=seed)
        covered += res.lower <= pop.truth["N"].sum() <= res.upper
    assert covered >= 16


# ---------------------------------------------------------------- the synthetic Dutch-style data set
def test_shipped_synthetic_data_are_the_generator_output():
    pop = netherlands_synthetic()
    assert mse.load_dataset("netherlands_synthetic") == pop.data
    truth = mse.load_truth("netherlands_synthetic")
    pd.testing.assert_frame_equal(truth, pop.truth, check_dtype=False)
    assert 7500 < pop.data.n_observed < 8500 and pop.data.has_missing_covariates
    with pytest.raises(mse.DataError, match="not synthetic"):
        mse.load_truth("kosovo")


def test_recovery_of_the_synthetic_truth_under_the_generating_model():
    # The generating model: the terms below plus P:year, with year linear (a trend) everywhere.
    data = mse.load_dataset("netherlands_synthetic")
    truth = mse.load_truth("netherlands_synthetic")
    res = mse.estimate(
        data,
        method="loglinear",
        model=NL_MODEL + " + P:year",
        year_polynomial={"year": 1},
        n_boot=100,
        random_seed=11,
    )
    assert res.ok
    assert res.lower <= truth["N"].sum() <= res.upper
    for covariate in ("year", "form"):
        table = res.breakdown(covariate).merge(truth.groupby(covariate, as_index=False)["N"].sum(), on=covariate)
        assert ((table["lower"] <= table["N"]) & (table["N"] <= table["upper"])).all(), table
        assert table["estimate"].sum() == pytest.approx(res.estimate)


@pytest.mark.slow
def test_search_recovers_generating_terms():
    data = mse.load_dataset("netherlands_synthetic")
    table = build_table(data)
    _search, fit = covariate_search(table, Design(table), "bic_aic")
    generating = {
        "I:form",
        "K:nationality",
        "O:age",
        "O:sex",
        "P:form",
        "R:sex",
        "Z:form",
        "Z:age",
        "P:R",
        "K:P",
        "O:R",
        "sex:form",
        "nationality:form",
        "age:form",
    }
    assert generating <= set(fit.model.split(" + "))
    assert fit.model == NL_MODEL


# ---------------------------------------------------------------- rates
def test_rates_per_100000_closed_form():
    res = mse.estimate(
        mse.load_dataset(SPINA), method="loglinear", model="S1:S2 + S2:S3 + S1:eth", n_boot=50, random_seed=1
    )
    population = {"afro-american": 150_000, "caucasian": 2_000_000, "other": 40_000}
    table = mse.rates(res, population, by="eth")
    assert table["rate"].to_numpy() == pytest.approx(
        table["estimate"].to_numpy() / np.array(list(population.values())) * 1e5
    )
    assert table["rate_upper"].to_numpy() == pytest.approx(table["upper"].to_numpy() / table["population"] * 1e5)
    total = mse.rates(res, 2_190_000)
    assert total["rate"].iloc[0] == pytest.approx(res.estimate / 2_190_000 * 1e5)
    with pytest.raises(mse.DataError, match="no population figure"):
        mse.rates(res, {"caucasian": 1.0}, by="eth")


# ---------------------------------------------------------------- errors
def test_errors_say_what_to_do():
    spina = mse.load_dataset(SPINA)
    with pytest.raises(mse.ModelError, match="neither lists nor covariates"):
        mse.estimate(spina, method="loglinear", model="S1:sex")
    with pytest.raises(mse.ModelError, match=r"covariates=\[\.\.\.\]"):
        mse.estimate(spina.collapse_covariates(), method="loglinear", model="S1:eth", interval="wald")
    with pytest.raises(mse.ModelError, match="data have no covariates"):
        mse.estimate(spina.collapse_covariates(), method="bic", covariates=["eth"])
    with pytest.raises(mse.ModelError, match="not available for log-linear models with covariates"):
        mse.estimate(spina, method="bic", interval="bootstrap_top")
    with pytest.raises(mse.ModelError, match="interval of a fixed model"):
        mse.estimate(spina, method="bic", interval="profile")
    with pytest.raises(mse.ModelError, match="valid options"):
        mse.estimate(spina, method="bic", n_bootstrap=10)
    with pytest.raises(mse.ModelError, match="non-numeric"):
        mse.estimate(spina, method="independence", interval="none", year_polynomial={"eth": 1})
    with pytest.raises(mse.ModelError, match="involves all 3 lists"):
        mse.estimate(spina, method="loglinear", model="S1:S2:S3:eth")
    res = mse.estimate(spina.collapse_covariates(), method="independence", interval="wald")
    with pytest.raises(mse.ModelError, match="no estimates by covariate"):
        res.breakdown("eth")


def test_truth_file_is_valid_json():
    from importlib import resources

    text = resources.files("mse.data.datasets").joinpath("netherlands_synthetic_truth.json").read_text()
    payload = json.loads(text)
    assert payload["N"] == sum(cell["N"] for cell in payload["cells"]) and math.isfinite(payload["N_expected"])


def test_a_breakdown_separates_people_seen_from_people_allocated_by_em():
    """``observed`` counts whole people with every covariate known; EM's share of the others is ``allocated``."""
    data = mse.load_dataset("netherlands_synthetic")
    res = mse.estimate(data, method="independence", n_boot=20, random_seed=1)
    frame = data.to_frame()
    complete = frame[list(data.covariates)].notna().all(axis=1)
    for covariate in ("age", "form"):
        table = res.breakdown(covariate)
        assert pd.api.types.is_integer_dtype(table["observed"])
        assert table["observed"].sum() == frame.loc[complete, "count"].sum()
        assert table["allocated"].sum() == pytest.approx(frame.loc[~complete, "count"].sum())
        known = frame[complete].groupby(covariate, observed=True)["count"].sum()
        assert table.set_index(covariate)["observed"].to_dict() == known.to_dict()
        assert (table["estimate"] >= table["observed"] + table["allocated"] - 1e-9).all()


def test_em_and_newton_report_their_progress_without_changing_the_fits():
    data = _with_missing(mse.load_dataset(SPINA), "eth", 0.3, seed=2)
    table = build_table(data)
    X, _, _, _ = Design(table).matrices(parse_model("S1:S2 + S2:S3 + S1:eth", data.lists, data.covariates))
    counts = np.random.default_rng(4).poisson(table.counts + 0.5, size=(40, table.n_rows)).astype(float)
    partial = np.tile(table.partial_counts, (40, 1))
    none = sparse.csr_matrix((0, table.n_rows))
    for groups, partial_counts in ((table.partial, partial), (none, np.zeros((40, 0)))):
        fractions: list[float] = []
        reported = fit_em(X, counts, groups, partial_counts, on_progress=fractions.append)
        plain = fit_em(X, counts, groups, partial_counts)
        np.testing.assert_array_equal(reported.coef, plain.coef)
        assert len(fractions) >= 3 and fractions == sorted(fractions)
        assert 0.0 <= fractions[0] < 1.0 and fractions[-1] == 1.0


def test_the_covariate_bootstrap_bar_moves_within_a_chunk_and_ends_at_n_boot(monkeypatch, missing_group):
    import mse.loglinear.covariates.breakdown as breakdown

    steps: list[int] = []

    class Recording:
        def __init__(self, total, **_):
            self.total = total

        def __enter__(self):
            return self

        def __exit__(self, *_):
            pass

        def update(self, n=1, *, note=None):
            steps.append(n)

    monkeypatch.setattr(breakdown, "ProgressBar", Recording)
    res = mse.estimate(missing_group, method="loglinear", model="A:B + A:group", n_boot=200, random_seed=1)
    assert res.details["n_boot"] == 200  # one chunk: before, the bar went from 0 to 200 at once
    assert len(steps) >= 4 and min(steps) >= 1 and sum(steps) == 200
