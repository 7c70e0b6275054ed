"""Every deterministic maximum-likelihood value of the R reference table, row by row.

The rows of ``tests/reference/reference_estimates.csv`` (see the README beside it) were
computed with R 4.2.2, Rcapture 1.4-4, SparseMSE 2.0.1 and MultipleSystemsEstimation 1.2.0.
Each row is compared with the library call that computes the same quantities; the test id
is ``dataset|R call|model`` as the row has them. A row whose R call no check knows fails,
so that a new kind of row is either checked or listed, with the reason, in
:data:`NOT_COMPARABLE`; a new row of a known kind is checked without further work.

Tolerances
----------
``printed`` (:func:`printed_tolerance`)
    1e-6 relative beyond R's rounding: 1e-6 of the value plus half a unit in the last
    digit R printed. Estimates, standard errors and limits were printed to 8 significant
    digits, whose rounding is below 5e-8 relative: they are checked to 1e-6. Deviance, AIC,
    BIC and the profile maximum have 3 decimals, and the least-AIC model in the notes of
    ``closedpMS.t`` one (``N=11174.8 (se 791.3)``): for them the rounding sets the tolerance.
``glm`` (:func:`with_lag`)
    Standard errors and Wald limits. R's ``glm`` stops when the deviance changes by less
    than 1e-8 relative and reports the covariance from the weights of its last iteration,
    which were computed at the *previous* iterate, not at the estimate it returns; the
    library inverts the information at its estimate. On small tables R's lag moves the s.e.
    by up to 3.4e-4 (western_us, Mh Darroch). Rerunning R's iteration (:func:`r_glm`)
    reproduces every such number R printed, checked to 1e-6; the library's value must agree
    with R's to 1e-6 plus R's lag, the difference between the two covariances of R's
    iteration.
``stirling`` (:data:`STIRLING`)
    Profile-likelihood limits and maximum of ``closedpCI.t``. For ``N > 100`` Rcapture
    replaces ``log N!`` and ``log (N - n)!`` in the multinomial likelihood by Stirling's
    formula without its ``1/(12 x)`` term; the library uses the exact log-gamma. With
    Rcapture's terms put into the library's profile (:func:`rcapture_profile`) the limits
    and the maximum agree with R to 1e-6 (checked), which also shows that R's root finding
    (``uniroot(tol = 1e-4)``) is not what limits the agreement; the library's own values
    agree within 5e-4. The shift is largest, 3e-4, on korea (n = 123), where two lower limits
    leave 6 and 8 people unseen and Stirling's formula for ``(N - n)!`` is least accurate.

Rows whose R fit failed (Rcapture ``infoFit`` non-zero, or an estimate below the number
observed) must be failed fits here, with no number; their deviance, df, AIC and BIC, which
describe the fit rather than the estimate, are still compared.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln
from scipy.stats import norm

import mse
from mse.closed.designs import model_design
from mse.closed.fit import fit_closed_model
from mse.loglinear.intervals import likelihood_ratio_interval, multinomial_profile
from mse.loglinear.model.terms import parse_model

REFERENCE = Path(__file__).parent / "reference" / "reference_estimates.csv"
# Read as text: the digits R printed set the tolerance.
ROWS = pd.read_csv(REFERENCE, dtype=str, keep_default_na=False)

RELATIVE = 1e-6
# Largest relative shift of a profile limit or maximum from Rcapture's Stirling terms (module notes).
STIRLING = 5e-4
Z95 = float(norm.ppf(0.975))

# Rows no maximum-likelihood check applies to: (package, text of the R call) -> why.
NOT_COMPARABLE = {
    ("LCMCR", "lcmCR"): "posterior quantiles from MCMC; within Monte Carlo error in test_lcmcr.py",
    ("dga", "bma.cr"): "a Bayesian model-averaged posterior, not a maximum-likelihood value; test_dga.py",
    ("MultipleSystemsEstimation", "bayesthresh"): "posterior quantiles from MCMC; test_bayes_loglinear.py",
}
# Of the rows of SparseMSE's bootstrap only the point estimate, the stepwise MLE, is compared here: the
# BCa limits, bootstrap s.e. and median come from R's random stream, and test_bootstrap.py
# compares them within Monte Carlo error (and the jackknife acceleration to the digits R printed).
BOOTSTRAP = "estimatepopulation(nboot="

RCAPTURE_NAMES = {
    "M0": "M0",
    "Mt": "Mt",
    "Mh Chao (LB)": "Mh_chao",
    "Mh Poisson2": "Mh_poisson2",
    "Mh Darroch": "Mh_darroch",
    "Mh Gamma3.5": "Mh_gamma",
    "Mth Chao (LB)": "Mth_chao",
    "Mth Poisson2": "Mth_poisson2",
    "Mth Darroch": "Mth_darroch",
    "Mth Gamma3.5": "Mth_gamma",
    "Mb": "Mb",
    "Mbh": "Mbh",
}
# On new_orleans (8 lists, nobody on more than three) one of Chao's hinge coefficients diverges to -inf:
# Rcapture keeps the column in its glm fit and counts it; here the constraint (coefficient >= 0) sets it
# to 0 and it is not counted. Estimates, s.e. and deviances agree; R's df is one less, its AIC 2 and its
# BIC log(n) more.
R_COUNTS_DIVERGING_HINGE = {("new_orleans", "Mh_chao"), ("new_orleans", "Mth_chao")}


# ---------------------------------------------------------------------------- what R computes
def r_glm(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R's ``glm.fit`` for the Poisson family, with the convergence rule Rcapture and SparseMSE use.

    Starts from ``mu = y + 0.1``, iterates weighted least squares and stops when
    ``|dev - dev_old| / (|dev| + 0.1) < 1e-8``.

    Returns
    -------
    coef, reported_cov, converged_cov
        The coefficients R returns; the covariance R reports (``vcov``, from the weights of the
        last iteration, i.e. at the previous iterate); the inverse information at ``coef``.
    """

    def deviance(mu: np.ndarray) -> float:
        positive = y > 0
        return float(2.0 * np.sum(np.where(positive, y * np.log(np.where(positive, y, 1.0) / mu), 0.0) - (y - mu)))

    mu = y + 0.1
    eta = np.log(mu)
    previous = deviance(mu)
    for _ in range(25):
        weighted = design.T * mu
        information = weighted @ design
        coef = np.linalg.solve(information, weighted @ (eta + (y - mu) / mu))
        eta = design @ coef
        mu = np.exp(eta)
        current = deviance(mu)
        if abs(current - previous) / (abs(current) + 0.1) < 1e-8:
            break
        previous = current
    return coef, np.linalg.inv(information), np.linalg.inv((design.T * mu) @ design)


def loglinear_se(coef: np.ndarray, cov: np.ndarray) -> float:
    """Rcapture's s.e. of ``N`` (``getN``): ``sqrt(U + U**2 var(intercept))``, ``U = exp(intercept)``."""
    unseen = math.exp(coef[0])
    return math.sqrt(unseen + unseen**2 * cov[0, 0])


def wald_limits(coef: np.ndarray, cov: np.ndarray, n: int) -> tuple[float, float]:
    """SparseMSE's ``estimatepopulation.0`` interval, ``n + exp(intercept -/+ z se)``."""
    spread = Z95 * math.sqrt(cov[0, 0])
    return n + math.exp(coef[0] - spread), n + math.exp(coef[0] + spread)


def mb_se(coef: np.ndarray, cov: np.ndarray, t: int) -> float:
    """Rcapture's s.e. of Mb; columns: intercept, occasions before the first capture, recaptures."""
    a, b, g = coef
    denominator = 1 + math.exp(g) - math.exp(b)
    total = math.exp(a) * (1 + math.exp(g)) ** t / denominator
    gradient = total * np.array(
        [1.0, math.exp(b) / denominator, t * math.exp(g) / (1 + math.exp(g)) - math.exp(g) / denominator]
    )
    return math.sqrt(gradient @ cov @ gradient - total)


def mbh_se(coef: np.ndarray, cov: np.ndarray, t: int, *, as_rcapture: bool) -> float:
    """Rcapture's s.e. of Mbh; columns: intercept, not caught on list 1, occasions before the first capture, recaptures.

    ``N = exp(a) (1 + e**d)**(t-1) F`` with ``F = 1 + e**(h+b) / (1 + e**d - e**b)`` and
    ``Var N = grad' cov grad - N``. Rcapture's derivative in ``d``, the recapture coefficient,
    leaves the factor ``F`` out of its first term; ``as_rcapture=False`` puts it back.
    """
    a, h, b, d = coef
    denominator = 1 + math.exp(d) - math.exp(b)
    scale = math.exp(a) * (1 + math.exp(d)) ** (t - 1)
    factor = 1 + math.exp(h + b) / denominator
    recaptured = (t - 1) * math.exp(d) / (1 + math.exp(d))
    gradient = scale * np.array(
        [
            factor,
            math.exp(h + b) / denominator,
            math.exp(h + b) / denominator + math.exp(h + 2 * b) / denominator**2,
            recaptured * (1.0 if as_rcapture else factor) - math.exp(h + b + d) / denominator**2,
        ]
    )
    return math.sqrt(gradient @ cov @ gradient - scale * factor)


def rcapture_design(data: mse.CaptureData, name: str) -> np.ndarray:
    """The design Rcapture fits for a closed-population model (Mbh in Rcapture's parametrisation)."""
    design = model_design(name, data.n_lists, data.lists)
    if name == "Mbh":
        m = design.matrix  # intercept, first capture, recaptures, first capture on list 1
        return np.column_stack([m[:, 0], 1.0 - m[:, 3], m[:, 1], m[:, 2]])
    if name == "Mb":
        return design.matrix
    fit = fit_closed_model(design, data.dense_counts()[1:].astype(float))  # Chao's hinges kept
    return design.matrix[:, list(fit.columns)]


def model_matrix(fit: Any) -> tuple[np.ndarray, np.ndarray]:
    """Design and counts of a log-linear fit: its finite coefficients on the cells it fits, intercept first."""
    cells = fit.cells()
    cells = cells[cells["used"]]
    on = {name: (cells["history"].str[k] == "1").to_numpy(float) for k, name in enumerate(fit.lists)}
    columns = [
        np.ones(len(cells)) if name == "(intercept)" else np.prod([on[x] for x in name.split(":")], axis=0)
        for name in fit.coef_names
    ]
    return np.column_stack(columns), cells["observed"].to_numpy(float)


def stirling_error(x: float) -> float:
    """``log x!`` by Stirling's formula without its ``1/(12 x)`` term, minus ``log x!``."""
    return x * math.log(x) - x + 0.5 * math.log(2 * math.pi * x) - float(gammaln(x + 1.0))


def rcapture_profile(design: np.ndarray, y: np.ndarray) -> Callable[[float], float]:
    """The profile log-likelihood of ``closedpCI.t``: the library's, with Rcapture's Stirling terms for ``N > 100``."""
    exact_profile = multinomial_profile(design, y)
    n = float(y.sum())

    def loglik(big_n: float) -> float:
        if big_n <= 100:
            return exact_profile(big_n)
        unseen = big_n - n
        return exact_profile(big_n) + stirling_error(big_n) - (0.0 if unseen in (0.0, 1.0) else stirling_error(unseen))

    return loglik


# ---------------------------------------------------------------------------- comparisons
def printed_tolerance(text: str) -> float:
    """Absolute tolerance for a value R printed as ``text``: 1e-6 of it plus half a unit in its last digit."""
    decimals = len(text.partition(".")[2])
    return RELATIVE * abs(float(text)) + 0.5 * 10.0**-decimals


@dataclass(frozen=True)
class Value:
    """One value of the library against R's, with the tolerance and the kind of comparison."""

    name: str
    ours: float
    expected: float
    tolerance: float
    kind: str

    @property
    def ok(self) -> bool:
        return abs(self.ours - self.expected) <= self.tolerance


def printed(name: str, ours: float, text: str) -> Value:
    return Value(name, float(ours), float(text), printed_tolerance(text), "printed")


def exact(name: str, ours: float, expected: float) -> Value:
    return Value(name, float(ours), float(expected), 0.0, "exact")


def stirling(name: str, ours: float, text: str) -> Value:
    return Value(name, float(ours), float(text), STIRLING * abs(float(text)), "stirling")


def with_lag(name: str, ours: float, text: str, reported: float, converged: float) -> list[Value]:
    """R's number reproduced by R's iteration, and the library's within 1e-6 plus R's lag (module notes)."""
    expected = float(text)
    return [
        Value(f"{name} as R's glm reports it", reported, expected, printed_tolerance(text), "glm, R reproduced"),
        Value(name, float(ours), expected, printed_tolerance(text) + abs(reported - converged), "glm"),
    ]


def notes(row: pd.Series) -> dict[str, str]:
    keys = r"dev|df|AIC\(adj\)|AIC|BIC|infoFit|profile point estimate|count_triples"
    return dict(re.findall(rf"({keys})=(-?[\d.]+)", row["notes"]))


def same_model(ours: str, row: pd.Series, data: mse.CaptureData) -> Value:
    chosen = parse_model(ours, data.lists) == parse_model(row["model_terms"], data.lists)
    return exact(f"chosen model ({ours})", chosen, True)


def bracket_model(bracket: str, data: mse.CaptureData) -> str:
    """Rcapture's ``[12,35,4]`` (list positions) in this library's term syntax."""
    terms = [":".join(data.lists[int(k) - 1] for k in group) for group in bracket.strip("[]").split(",")]
    interactions = [term for term in terms if ":" in term]
    return " + ".join(interactions) if interactions else "independence"


class Library:
    """The library's side of the table: every call is made once per module, however many rows use it."""

    def __init__(self) -> None:
        self._cache: dict[tuple, Any] = {}

    def _once(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def data(self, dataset: str) -> mse.CaptureData:
        return self._once(("data", dataset), lambda: mse.load_dataset(dataset))

    def closed_table(self, dataset: str) -> pd.DataFrame:
        def table() -> pd.DataFrame:
            return mse.closed_population_models(self.data(dataset)).set_index("model")

        return self._once(("closedp", dataset), table)

    def estimate(self, dataset: str, method: str, **options: Any) -> mse.Estimate:
        key = ("estimate", dataset, method, tuple(sorted(options.items())))
        return self._once(key, lambda: mse.estimate(self.data(dataset), method=method, **options))

    def closed_r_glm(self, dataset: str, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        data = self.data(dataset)

        def fit() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return r_glm(rcapture_design(data, name), data.dense_counts()[1:].astype(float))

        return self._once(("r_glm", dataset, name), fit)

    def loglinear_r_glm(self, dataset: str, result: mse.Estimate) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._once(("r_glm", dataset, result.fit.model), lambda: r_glm(*model_matrix(result.fit)))


@pytest.fixture(scope="module")
def library() -> Library:
    return Library()


# ---------------------------------------------------------------------------- one check per kind of row
def check_closedp(row: pd.Series, library: Library) -> list[Value]:
    """``closedp.t(X, dfreq=TRUE)``: one model of the closed-population family."""
    dataset, name = row["dataset"], RCAPTURE_NAMES[row["model"]]
    data = library.data(dataset)
    ours = library.closed_table(dataset).loc[name]
    r = notes(row)
    values = [printed("deviance", ours["deviance"], r["dev"])]
    if (dataset, name) in R_COUNTS_DIVERGING_HINGE:
        values += [
            exact("df, less R's diverging column", ours["df"] - 1, float(r["df"])),
            printed("AIC, with R's diverging column", ours["aic"] + 2, r["AIC"]),
            printed("BIC, with R's diverging column", ours["bic"] + math.log(data.n_observed), r["BIC"]),
        ]
    else:
        values += [
            exact("df", ours["df"], float(r["df"])),
            printed("AIC", ours["aic"], r["AIC"]),
            printed("BIC", ours["bic"], r["BIC"]),
        ]
    if float(r["infoFit"]) != 0 or float(row["estimate"]) < data.n_observed:
        # R flags the fit, or prints an estimate below n: a failed fit here, with no number.
        failed = ours["status"] != "ok" and math.isnan(ours["estimate"]) and math.isnan(ours["se"])
        return [*values, exact(f"failed fit ({ours['status']})", failed, True)]
    values += [exact("status ok", ours["status"] == "ok", True), printed("estimate", ours["estimate"], row["estimate"])]
    coef, reported, converged = library.closed_r_glm(dataset, name)
    t = data.n_lists
    if name == "Mbh":
        # Rcapture's s.e. of Mbh has an error in one derivative (mbh_se): its number is reproduced, and the
        # library's s.e. is Rcapture's formula with the derivative corrected (uk2013: R 72.344177, 62.596714).
        corrected = mbh_se(coef, converged, t, as_rcapture=False)
        return [
            *values,
            printed("se as Rcapture computes it", mbh_se(coef, reported, t, as_rcapture=True), row["se"]),
            Value("se, Rcapture's derivative corrected", ours["se"], corrected, RELATIVE * corrected, "corrected"),
        ]
    if name == "Mb":
        se = mb_se(coef, reported, t), mb_se(coef, converged, t)
    else:
        se = loglinear_se(coef, reported), loglinear_se(coef, converged)
    return values + with_lag("se", ours["se"], row["se"], *se)


def fit_statistics(result: mse.Estimate, row: pd.Series) -> list[Value]:
    """Status, estimate, deviance, df, AIC and BIC of a log-linear fit against a row."""
    r = notes(row)
    values = [
        exact("status ok", result.ok, True),
        printed("estimate", result.estimate, row["estimate"]),
        printed("deviance", result.details["deviance"], r["dev"]),
        exact("df", result.details["df"], float(r["df"])),
    ]
    if "AIC" in r:
        values.append(printed("AIC", result.details["aic"], r["AIC"]))
    if "AIC(adj)" in r:  # SparseMSE's: parameters at minus infinity are not counted
        values.append(printed("AIC(adj)", result.details["aic"], r["AIC(adj)"]))
    if "BIC" in r:
        values.append(printed("BIC", result.details["bic"], r["BIC"]))
    return values


def check_closedpci(row: pd.Series, library: Library) -> list[Value]:
    """``closedpCI.t``: the Poisson estimate and fit, and the multinomial profile-likelihood interval."""
    dataset = row["dataset"]
    result = library.estimate(dataset, "loglinear", model=row["model_terms"], interval="profile")
    coef, reported, converged = library.loglinear_r_glm(dataset, result)
    se = loglinear_se(coef, reported), loglinear_se(coef, converged)
    design, y = model_matrix(result.fit)
    as_rcapture = likelihood_ratio_interval(rcapture_profile(design, y), float(y.sum()), result.estimate)
    maximum = notes(row)["profile point estimate"]
    values = [
        *fit_statistics(result, row),
        *with_lag("se", result.details["se"], row["se"], *se),
        printed("lower limit, Rcapture's profile", as_rcapture.lower, row["lower"]),
        printed("upper limit, Rcapture's profile", as_rcapture.upper, row["upper"]),
        printed("profile maximum, Rcapture's profile", as_rcapture.maximum, maximum),
        stirling("lower limit", result.lower, row["lower"]),
        stirling("upper limit", result.upper, row["upper"]),
        stirling("profile maximum", result.details["profile_maximum"], maximum),
    ]
    if "m='Mt'" in row["method"]:
        # the same model through the closed-population estimator
        mt = library.estimate(dataset, "Mt", interval="profile")
        values += [
            printed("estimate (method Mt)", mt.estimate, row["estimate"]),
            *with_lag("se (method Mt)", mt.details["se"], row["se"], *se),
            stirling("lower limit (method Mt)", mt.lower, row["lower"]),
            stirling("upper limit (method Mt)", mt.upper, row["upper"]),
        ]
    return values


def check_closedpms(row: pd.Series, library: Library) -> list[Value]:
    """``closedpMS.t``: the model of least BIC, and the model of least AIC given in the notes."""
    dataset = row["dataset"]
    data = library.data(dataset)
    max_order = int(re.search(r"maxorder=(\d)", row["method"]).group(1))
    result = library.estimate(dataset, "bic", max_order=max_order, interval="none")
    coef, reported, converged = library.loglinear_r_glm(dataset, result)
    bracket, estimate, se = re.search(r"min-AIC model (\[[\d,]+\]) N=([\d.]+) \(se ([\d.]+)\)", row["notes"]).groups()
    least_aic = library.estimate(dataset, "loglinear", model=bracket_model(bracket, data), interval="none")
    return [
        same_model(result.model, row, data),
        printed("estimate", result.estimate, row["estimate"]),
        printed("BIC", result.details["bic"], re.search(r"BIC=([\d.]+)", row["notes"]).group(1)),
        *with_lag("se", result.details["se"], row["se"], loglinear_se(coef, reported), loglinear_se(coef, converged)),
        printed(f"estimate of the least-AIC model {bracket}", least_aic.estimate, estimate),
        printed(f"se of the least-AIC model {bracket}", least_aic.details["se"], se),
    ]


def check_wald(row: pd.Series, library: Library) -> list[Value]:
    """``estimatepopulation.0``: a fixed model, or the stepwise choice, with the Wald interval."""
    dataset = row["dataset"]
    data = library.data(dataset)
    values = []
    if "method='stepwise'" in row["method"]:
        result = library.estimate(dataset, "stepwise", interval="wald")
        values.append(same_model(result.model, row, data))
    else:
        result = library.estimate(dataset, "loglinear", model=row["model_terms"], interval="wald")
    coef, reported, converged = library.loglinear_r_glm(dataset, result)
    (lower_r, upper_r), (lower_c, upper_c) = (wald_limits(coef, cov, data.n_observed) for cov in (reported, converged))
    return [
        *values,
        *fit_statistics(result, row),
        *with_lag("lower limit", result.lower, row["lower"], lower_r, lower_c),
        *with_lag("upper limit", result.upper, row["upper"], upper_r, upper_c),
    ]


def check_stepwise(row: pd.Series, library: Library) -> list[Value]:
    """The stepwise choice (p threshold 0.02): ``stepwisefit``, the point estimate of the bootstrap row,
    and ``estimate_population`` when it chose stepwise."""
    dataset = row["dataset"]
    result = library.estimate(dataset, "stepwise", interval="wald")
    values = [printed("estimate", result.estimate, row["estimate"])]
    if row["model_terms"]:
        values.append(same_model(result.model, row, library.data(dataset)))
    used = re.search(r"glm rows used=(\d+) of (\d+)", row["notes"])
    if used:
        values += [
            exact("cells fitted", result.fit.cells_used.sum(), int(used.group(1))),
            exact("cells", len(result.fit.cells_used), int(used.group(2))),
        ]
    return values


def check_bic_choice(row: pd.Series, library: Library) -> list[Value]:
    """``estimate_population(zdat)`` when it chose BIC: the fit of the model it chose.

    The search over every hierarchical model takes seconds on five lists; that the library's
    search chooses the same model is checked in test_model_search.py.
    """
    result = library.estimate(row["dataset"], "loglinear", model=row["model_terms"], interval="none")
    return [
        exact("status ok", result.ok, True),
        printed("estimate", result.estimate, row["estimate"]),
        printed("BIC", result.details["bic"], re.search(r"BIC=([\d.]+)", row["notes"]).group(1)),
    ]


def check_checkident(row: pd.Series, library: Library) -> list[Value]:
    """``checkident``: the code (0 ok, 1 MLE not finite, 2 not identifiable, 3 both) and ``count_triples``."""
    report = mse.check_estimability(library.data(row["dataset"]), row["model_terms"])
    values = [exact(f"code ({report.reason})", report.code, float(row["estimate"]))]
    if "count_triples" in notes(row):
        values.append(exact("overlapping triples", report.overlapping_triples, float(notes(row)["count_triples"])))
    return values


# (package, start of the R call, check); the first match applies.
CHECKS = [
    ("Rcapture", "closedp.t(", check_closedp),
    ("Rcapture", "closedpCI.t(", check_closedpci),
    ("Rcapture", "closedpMS.t(", check_closedpms),
    ("SparseMSE", "estimatepopulation.0(", check_wald),
    ("SparseMSE", "stepwisefit(", check_stepwise),
    ("SparseMSE", BOOTSTRAP, check_stepwise),
    ("SparseMSE", "checkident", check_checkident),
    ("MultipleSystemsEstimation", "estimate_population(zdat) [auto -> stepwise]", check_stepwise),
    ("MultipleSystemsEstimation", "estimate_population(zdat) [auto -> bic", check_bic_choice),
]


def check_for(row: pd.Series) -> Callable[[pd.Series, Library], list[Value]] | None:
    for package, call, check in CHECKS:
        if row["package"] == package and row["method"].startswith(call):
            return check
    return None


def not_comparable(row: pd.Series) -> str | None:
    for (package, call), reason in NOT_COMPARABLE.items():
        if row["package"] == package and call in row["method"]:
            return reason
    return None


def _row_id(row: pd.Series) -> str:
    return f"{row['dataset']}|{row['method']}|{row['model']}"


COMPARED = [row for _, row in ROWS.iterrows() if not_comparable(row) is None]


# The library's warnings about the models (lists that never overlap, heterogeneity) are advice, not results.
@pytest.mark.filterwarnings("ignore::mse.EstimabilityWarning", "ignore::mse.HeterogeneityWarning")
@pytest.mark.parametrize("row", COMPARED, ids=[_row_id(row) for row in COMPARED])
def test_row_matches_r(row: pd.Series, library: Library) -> None:
    check = check_for(row)
    assert check is not None, f"no check for the R call {row['method']!r} ({row['package']}): add one, or a reason"
    failures = [
        f"{v.name}: ours {v.ours!r}, R {v.expected!r}, |difference| {abs(v.ours - v.expected):.3g} > {v.tolerance:.3g}"
        for v in check(row, library)
        if not v.ok
    ]
    assert not failures, "\n".join(failures)


def test_only_the_listed_rows_are_left_out() -> None:
    left_out = [row for _, row in ROWS.iterrows() if not_comparable(row) is not None]
    assert all(check_for(row) is None for row in left_out)
    assert {row["package"] for row in left_out} == {package for package, _ in NOT_COMPARABLE}
