"""Diagnostics: known-truth checks, sensitivity, goodness of fit, overlaps, MCMC convergence."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import mse
from mse.diagnostics import list_as_population


@pytest.fixture(scope="module")
def uk5_consistency():
    return mse.internal_consistency(mse.load_dataset("uk2013_5"), method="independence")


def test_internal_consistency_reproduces_binette_steorts(uk5_consistency):
    # Binette & Steorts (2022), independence model on the 5-list UK data: list NG as the
    # population has 567 members, 104 of whom the other lists see; the estimate is 426.
    row = uk5_consistency.set_index("list").loc["NG"]
    assert (row["truth"], row["observed"]) == (567, 104)
    assert row["estimate"] == pytest.approx(426, abs=1)
    assert list(uk5_consistency.columns) == [
        "list",
        "truth",
        "observed",
        "estimate",
        "lower",
        "upper",
        "covered",
        "log_relative_bias",
        "status",
    ]


def test_internal_consistency_truths_and_thresholds(uk5_consistency):
    data = mse.load_dataset("uk2013_5")
    assert uk5_consistency["truth"].tolist() == data.list_totals().tolist()
    gp = uk5_consistency.set_index("list").loc["GP"]
    assert gp["observed"] == 20 and math.isnan(gp["estimate"]) and "min_observed" in gp["status"]
    ok = uk5_consistency[uk5_consistency["status"] == "ok"]
    assert np.allclose(ok["log_relative_bias"], np.log(ok["estimate"] / ok["truth"]))


def test_list_as_population_restricts_to_members():
    data = mse.CaptureData.from_patterns({"110": 5, "101": 3, "100": 9, "011": 4}, lists=["A", "B", "C"])
    truth, restricted = list_as_population(data, "A")
    assert truth == 17
    assert restricted.pattern_counts().to_dict() == {"10": 5, "01": 3}


def test_trajectory_ends_with_the_full_estimate():
    data = mse.load_dataset("kosovo")
    table = mse.trajectory(data)
    assert table["n_lists"].tolist() == [2, 3, 4]
    full = mse.estimate(data, method="independence")
    assert table["estimate"].iloc[-1] == pytest.approx(full.estimate)
    # two lists: the independence model is Lincoln-Petersen
    a, b = data.lists[:2]
    two = data.drop_lists([n for n in data.lists if n not in (a, b)])
    n1, n2 = two.list_totals().tolist()
    m = two.overlaps()["overlap"].item()
    assert table["estimate"].iloc[0] == pytest.approx(n1 * n2 / m, rel=1e-6)


def test_sensitivity_names_a_merged_list_from_its_parts():
    table = mse.sensitivity(mse.load_dataset("uk2013"), method="independence", leave_out=False, merges=[["PF", "NCA"]])
    merged = table[table["kind"] == "merge"].iloc[0]
    assert merged["variation"] == "merge PF/NCA"
    assert "PF/NCA" in merged["lists"]


def test_sensitivity_table():
    data = mse.load_dataset("uk2013")
    table = mse.sensitivity(data, method="independence", merges={"PFNCA": ["PF", "NCA"]})
    assert table["kind"].tolist() == ["baseline"] + ["leave_out"] * 6 + ["merge"]
    merged = mse.estimate(mse.load_dataset("uk2013_5"), method="independence")
    assert table.iloc[-1]["estimate"] == pytest.approx(merged.estimate)
    without_gp = mse.estimate(data.drop_lists(["GP"]), method="independence")
    assert table.set_index("variation").loc["without GP", "estimate"] == pytest.approx(without_gp.estimate)


def test_sensitivity_records_failures_instead_of_raising():
    table = mse.sensitivity(mse.load_dataset("kosovo"), method="loglinear", model="EXH:ABA", leave_out=True)
    assert table.set_index("variation").loc["without EXH", "status"].startswith("error:")


@pytest.mark.parametrize(
    ("dataset", "model", "deviance", "df"),
    [
        # Rcapture closedp.t(X, dfreq=TRUE), model Mt (independence): dev=245.939 df=10
        ("kosovo", "independence", 245.939, 10),
        # SparseMSE estimatepopulation.0(method='stepwise'): dev=22.994 df=49
        ("uk2013", "PF:NCA + LA:NG + NG:GP + LA:PF + PF:GP + GO:GP + NG:GO", 22.994, 49),
        # Rcapture closedpCI.t(X, mX='[12,23]') on korea: dev=1.927 df=1
        ("korea", "b:c + c:d", 1.927, 1),
    ],
)
def test_goodness_of_fit_matches_r(dataset, model, deviance, df):
    result = mse.estimate(mse.load_dataset(dataset), method="loglinear", model=model)
    fit = mse.goodness_of_fit(result, influence=False)
    assert fit["deviance"] == pytest.approx(deviance, abs=5e-4)  # R printed 3 decimals: half a unit
    assert fit["df"] == df


def test_goodness_of_fit_residuals_and_influence():
    data = mse.load_dataset("korea")
    fit = mse.goodness_of_fit(data, model="b:c + c:d")
    cells = fit["cells"]
    used = cells[cells["used"]]
    assert fit["pearson"] == pytest.approx(((used.observed - used.fitted) ** 2 / used.fitted).sum())
    assert (used["deviance_residual"] ** 2).sum() == pytest.approx(fit["deviance"])
    from scipy.stats import chi2

    assert fit["p_value"] == pytest.approx(chi2.sf(fit["deviance"], fit["df"]))
    # influence: the estimate without the people of one history is the fit to the data without them
    for _, row in cells[cells["observed"] > 0].iterrows():
        rest = {h: int(c) for h, c in zip(cells.history, cells.observed) if c > 0 and h != row["history"]}
        refit = mse.estimate(
            mse.CaptureData.from_patterns(rest, lists=list(data.lists)), method="loglinear", model="b:c + c:d"
        )
        if refit.ok:
            assert row["estimate_without"] == pytest.approx(refit.estimate)
        else:  # without these people the model has no estimate: no number either
            assert math.isnan(row["estimate_without"])
    assert cells["estimate_without"].notna().any()


def test_goodness_of_fit_rejects_non_loglinear_results():
    with pytest.raises(mse.ModelError, match="log-linear"):
        mse.goodness_of_fit(mse.Estimate(estimate=1.0, lower=1.0, upper=1.0, level=0.95, observed=1, method="dga"))


def test_overlap_diagnostics():
    report = mse.overlap_diagnostics(mse.load_dataset("uk2013"))
    empty = report.pairs[report.pairs["overlap"] == 0]
    assert {tuple(p) for p in empty[["list_a", "list_b"]].to_numpy()} == {("LA", "GP"), ("LA", "NCA")}
    assert np.allclose(report.pairs["p_empty"], np.exp(-report.pairs["expected"]))
    assert report.components == [list(mse.load_dataset("uk2013").lists)]
    artificial = mse.overlap_diagnostics(mse.load_dataset("artificial_3"))
    assert artificial.uninformative_lists == ["C"]
    assert artificial.components == [["A", "B"], ["C"]]


def test_overlap_odds_ratio_closed_form():
    data = mse.CaptureData.from_patterns({"110": 10, "100": 20, "010": 30, "001": 40}, lists=["A", "B", "C"])
    pair = mse.overlap_diagnostics(data).pairs.iloc[0]
    assert pair["odds_ratio"] == pytest.approx(10 * 40 / (20 * 30))
    se = math.sqrt(1 / 10 + 1 / 20 + 1 / 30 + 1 / 40)
    assert pair["or_upper"] == pytest.approx(10 * 40 / (20 * 30) * math.exp(1.959964 * se), rel=1e-5)


def test_expected_overlap_under_independence_is_saturated_for_two_lists():
    data = mse.CaptureData.from_patterns({"11": 10, "10": 20, "01": 30}, lists=["A", "B"])
    pair = mse.overlap_diagnostics(data).pairs.iloc[0]
    assert pair["expected"] == pytest.approx(10.0)


def test_mcmc_diagnostics_from_posterior_draws():
    az = pytest.importorskip("arviz")
    rng = np.random.default_rng(2)
    good = az.from_dict(posterior={"N": rng.normal(1000, 10, size=(4, 500))})
    stuck = az.from_dict(posterior={"N": rng.normal(1000, 10, size=(4, 500)) + np.array([[0], [0], [0], [80]])})
    result = mse.Estimate(
        estimate=1000.0, lower=980.0, upper=1020.0, level=0.95, observed=500, method="lcmcr", idata=good
    )
    table = mse.mcmc_diagnostics(result)
    assert table["variable"].tolist() == ["N"] and bool(table["converged"].iloc[0])
    assert not bool(mse.mcmc_diagnostics(result.with_updates(idata=stuck))["converged"].iloc[0])
    with pytest.raises(mse.ModelError, match="no posterior samples"):
        mse.mcmc_diagnostics(result.with_updates(idata=None))
    from mse.diagnostics import plot_rank, plot_trace

    assert plot_trace(result) is not None and plot_rank(result) is not None
    import matplotlib.pyplot as plt

    plt.close("all")


def test_residual_plot_from_a_result():
    import matplotlib.pyplot as plt

    result = mse.estimate(mse.load_dataset("kosovo"), method="independence")
    figure, ax = plt.subplots()
    assert mse.plot_residuals(result, ax=ax) is ax
    plt.close(figure)
