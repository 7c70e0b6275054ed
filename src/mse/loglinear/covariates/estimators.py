"""The log-linear estimators on data with covariates.

:mod:`mse.loglinear.estimators` sends data that carry covariates here (unless
``covariates=[]`` asks for them to be summed out): ``independence`` (main
effects of lists and covariates), ``loglinear`` (a given model such as
``"P:sex + K:nationality + year"``), ``bic`` and ``aic`` (exhaustive over the
two-factor terms where feasible, else forward) and ``bic_aic`` (the Dutch
forward recipe); see :mod:`mse.loglinear.covariates.model_search`. The result holds
the estimate by complete covariate cell in :attr:`mse.Estimate.strata` and the
bootstrap replicates per cell in ``details["strata_draws"]``, so that
:meth:`mse.Estimate.breakdown` gives every level and combination of levels with
intervals from the same replicates.

Options: ``covariates``, ``year_polynomial``, ``n_boot``, ``progress``,
``max_exhaustive_terms`` (``bic``, ``aic``, ``bic_aic``) and ``max_order``
(``None`` or 2: only two-factor terms are searched), documented with the
method classes of :mod:`mse.methods` (:class:`mse.methods.BIC`, ...).

Size: a model with covariates is fitted on at most :data:`MAX_COVARIATE_CELLS`
complete covariate cells (200 combinations of levels) and
:data:`MAX_COVARIATE_ROWS` rows; a larger table is refused with the advice to
merge levels, since every level adds a parameter to every model and the cost
grows with the cube of the parameters.

Intervals: ``"parametric_bootstrap"`` (the default; percentile intervals for the
total and every level, :mod:`mse.loglinear.covariates.breakdown`; the chosen model is
held fixed), ``"bca"`` (the people are resampled and EM and the model search are
repeated in every replicate, :mod:`mse.loglinear.covariates.reselection`;
BCa limits for the total, percentile limits for the levels), ``"profile"`` (total
only, for a fixed model: ``independence`` or ``loglinear``;
:mod:`mse.loglinear.covariates.profile`), ``"wald"`` (total only,
log-normal from the delta method; not with missing covariate values) or ``"none"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mse.data.capture import CaptureData
from mse.errors import EstimabilityWarning, ModelError, warn
from mse.loglinear.covariates.model_fit import CovariateFit, fit_covariate_model
from mse.loglinear.covariates.model_search import covariate_search
from mse.loglinear.covariates.profile import covariate_profile_interval
from mse.loglinear.covariates.reselection import Procedure, selection_bootstrap
from mse.loglinear.intervals.likelihood import IntervalResult, wald_interval
from mse.loglinear.intervals.reported import reported_estimate
from mse.loglinear.model.design import Design
from mse.loglinear.model.table import CaptureTable, build_table
from mse.loglinear.model.terms import parse_model
from mse.results import Estimate, ModelSearch

__all__ = ["COVARIATE_INTERVALS", "covariate_estimate", "uses_covariates"]

COVARIATE_INTERVALS = ("parametric_bootstrap", "bca", "profile", "wald", "none")
# heterogeneity_check is accepted and has no effect here: a model with covariates is how one answers it.
_OPTIONS = {
    "covariates",
    "year_polynomial",
    "n_boot",
    "progress",
    "max_exhaustive_terms",
    "max_order",
    "heterogeneity_check",
}


def uses_covariates(data: CaptureData, options: dict[str, Any]) -> bool:
    """Whether an estimator should model the data's covariates (and drop ``covariates=[]`` from ``options``)."""
    chosen = options.get("covariates")
    if chosen is not None and len(chosen) == 0:
        options.pop("covariates")
        return False
    if chosen is not None and not data.covariates:
        raise ModelError(
            f"covariates={list(chosen)} were asked for, but the data have no covariates; build the data with "
            "covariates=[...] (CaptureData.from_counts or from_records)."
        )
    return bool(data.covariates)


def _percentile(values: np.ndarray, level: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan
    tail = 100.0 * (1.0 - level) / 2.0
    return float(np.percentile(finite, tail)), float(np.percentile(finite, 100.0 - tail))


#: The most complete covariate cells (combinations of levels) a covariate model is fitted on. Each
#: level of a covariate adds a parameter to every model, and the Newton solver's cost grows with
#: the cube of the parameters: on three lists and 20,000 records, the independence model with a
#: Wald interval takes 0.6 s with 100 levels, 3.3 s with 300 and 22 s with 1,000, and models with
#: a list x covariate term or a search with a bootstrap take tens of times longer.
MAX_COVARIATE_CELLS = 200

#: The most rows (covariate cells x observable histories) of the lists x covariates table.
MAX_COVARIATE_ROWS = 2**16


def _check_affordable(table: Any) -> None:
    """Refuse, with advice, a lists x covariates table too large to fit in reasonable time and memory."""
    rows = table.n_cells * table.n_histories
    if table.n_cells <= MAX_COVARIATE_CELLS and rows <= MAX_COVARIATE_ROWS:
        return
    levels = ", ".join(f"{name} ({len(table.cells[name].unique())} levels)" for name in table.covariates)
    raise ModelError(
        f"the covariates {levels} make {table.n_cells:,} covariate cells and {rows:,} rows of the lists x "
        f"covariates table; models with covariates are fitted on at most {MAX_COVARIATE_CELLS} cells and "
        f"{MAX_COVARIATE_ROWS:,} rows, since every level adds a parameter to every model. Merge levels into "
        "fewer groups (a coarser region, age bands), or sum a covariate out (covariates=[...] naming fewer, "
        "or data.collapse_covariates())."
    )


def covariate_estimate(
    data: CaptureData,
    *,
    method: str,
    level: float,
    interval: str | None,
    random_seed: int | None,
    model: Any = None,
    options: dict[str, Any],
) -> Estimate:
    """Estimate ``N`` and its breakdown by covariates with a log-linear model on lists x covariates.

    Parameters
    ----------
    data
        Capture histories with covariates (missing values allowed: EM).
    method
        ``"independence"``, ``"loglinear"``, ``"bic"``, ``"aic"`` or ``"bic_aic"``.
    level, interval, random_seed
        As for :func:`mse.estimate`.
    model
        The model for ``method="loglinear"``.
    options
        The method's options (see the module notes).

    Returns
    -------
    Estimate
        With ``strata`` (one row per complete covariate cell) and, for the
        bootstrap, ``details["strata_draws"]``.

    Raises
    ------
    ModelError
        For unknown options, terms or intervals.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("spina_bifida_ethnicity"), method="loglinear",
    ...                    model="S1:S2 + S2:S3 + S1:eth", interval="wald")
    >>> round(res.estimate, 1), list(res.breakdown("eth")["eth"])
    (752.9, ['afro-american', 'caucasian', 'other'])
    """
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ModelError(
            f"unknown option(s) {sorted(unknown)} for method {method!r} with covariates; valid options: "
            f"{sorted(_OPTIONS)}."
        )
    max_order = options.get("max_order")
    if max_order not in (None, 2):
        raise ModelError(
            f"max_order={max_order}: models with covariates are searched over two-factor terms only (max_order=2)."
        )
    interval = "parametric_bootstrap" if interval is None else interval
    if interval not in COVARIATE_INTERVALS:
        raise ModelError(
            f"interval {interval!r} is not available for log-linear models with covariates; choose one of "
            f"{COVARIATE_INTERVALS} (or sum the covariates out with covariates=[])."
        )
    if interval == "profile" and method not in ("independence", "loglinear"):
        raise ModelError(
            f"interval='profile' is the interval of a fixed model, but method {method!r} chooses the model from "
            "the data; use interval='bca', which repeats the search in every replicate, or pass the chosen "
            "model as method='loglinear', model=... to ignore the choice."
        )
    table = build_table(data, options.get("covariates"))
    _check_affordable(table)
    design = Design(table, polynomial=options.get("year_polynomial"))
    search: ModelSearch | None = None
    if method == "independence":
        fit = fit_covariate_model(table, design, frozenset())
    elif method == "loglinear":
        if model is None:
            raise ModelError("method 'loglinear' needs model=..., e.g. model='A:B + A:sex'.")
        fit = fit_covariate_model(table, design, parse_model(model, table.lists, table.covariates))
    elif method in ("bic", "aic", "bic_aic"):
        search, chosen = covariate_search(
            table, design, method, max_exhaustive_terms=options.get("max_exhaustive_terms", 10)
        )
        fit = fit_covariate_model(table, design, chosen.terms, start_from=chosen)
    else:
        raise ModelError(f"method {method!r} does not model covariates; sum them out with covariates=[].")
    return _finish(
        data, fit, method, level, interval, random_seed, search, options, _procedure(design, method, fit, options)
    )


def _procedure(design: Design, method: str, fit: CovariateFit, options: dict[str, Any]) -> Procedure:
    """The estimator as a function of the table, for the bootstrap that repeats it in every replicate."""
    if method in ("bic", "aic", "bic_aic"):
        max_exhaustive_terms = options.get("max_exhaustive_terms", 10)

        def search_again(table: CaptureTable) -> CovariateFit:
            return covariate_search(table, design, method, max_exhaustive_terms=max_exhaustive_terms)[1]

        return search_again

    def refit(table: CaptureTable) -> CovariateFit:
        return fit_covariate_model(table, design, fit.terms, start_from=fit, with_cov=False)

    return refit


def _finish(
    data: CaptureData,
    fit: CovariateFit,
    method: str,
    level: float,
    interval: str,
    random_seed: int | None,
    search: ModelSearch | None,
    options: dict[str, Any],
    procedure: Procedure,
) -> Estimate:
    details = fit.details()
    if search is not None:
        details["search"] = search.table
        details["search_method"] = search.method
        if "candidates" in search.details:
            details["search_candidates"] = search.details["candidates"]
    if options.get("year_polynomial"):
        details["year_polynomial"] = dict(options["year_polynomial"])
    limits = None
    if fit.ok:
        if fit.boundary:
            warn(
                f"model {fit.model!r}: some coefficients diverge (sampling zeros in the lists x covariates table); "
                "the fitted values of the cells involved go to 0.",
                EstimabilityWarning,
            )
        if interval == "wald":
            wald = wald_interval(fit, level)
            missing = "no Wald interval with missing covariate values; use interval='parametric_bootstrap'"
            limits = IntervalResult(wald.lower, wald.upper, missing if table_missing(fit) else "ok")
        elif interval == "parametric_bootstrap":
            from mse.loglinear.covariates.breakdown import parametric_bootstrap

            boot = parametric_bootstrap(
                fit, n_boot=int(options.get("n_boot", 1000)), random_seed=random_seed, progress=options.get("progress")
            )
            limits = IntervalResult(*_percentile(boot.totals, level), draws=boot.totals)
            details["strata_draws"] = boot.strata_draws
            details["n_boot"] = len(boot.totals)
            details["n_failed"] = boot.n_failed
            if boot.n_failed:
                warn(
                    f"{boot.n_failed} of {len(boot.totals)} bootstrap replicates failed to refit and are left out.",
                    EstimabilityWarning,
                )
        elif interval == "profile":
            limits = covariate_profile_interval(fit, level)
            details.update(limits.details)
        elif interval == "bca":
            limits = _selection_bca(fit, procedure, level, random_seed, options, details)
    return reported_estimate(
        fit.estimate,
        limits,
        observed=fit.observed,
        method=method,
        model=fit.model,
        level=level,
        interval=interval,
        details=details,
        failure=None if fit.ok else fit.status,
        strata=fit.strata(),
    )


#: A BCa upper limit more than this many times the percentile upper limit rests on runaway replicates.
UNSTABLE_BCA = 10.0


def _selection_bca(
    fit: CovariateFit,
    procedure: Procedure,
    level: float,
    random_seed: int | None,
    options: dict[str, Any],
    details: dict[str, Any],
) -> IntervalResult:
    """BCa limits of the total from the bootstrap that repeats EM and the search; its draws go to ``details``."""
    boot = selection_bootstrap(
        fit.table,
        procedure,
        n_boot=int(options.get("n_boot", 1000)),
        random_seed=random_seed,
        progress=options.get("progress"),
    )
    limits = boot.limits(fit.estimate, level)
    details["strata_draws"] = boot.strata_draws
    # kept as plain lists so that a saved result keeps them: breakdowns take their BCa limits from them
    details["strata_jackknife"] = boot.jackknife_cells.tolist()
    details["jackknife_weights"] = boot.jackknife_weights.tolist()
    details["n_boot"] = len(boot.totals)
    details["n_failed"] = boot.n_failed
    details["failure_reasons"] = boot.failure_reasons
    details["resampling"] = "nonparametric: the observed people resampled; EM and the model search repeated"
    details["selected_models"] = boot.models
    details["model_frequencies"] = boot.model_frequencies()
    details["percentile_limits"] = limits["percentile_limits"]
    details["z0"] = limits["z0"]
    details["acceleration"] = limits["acceleration"]
    if boot.n_failed:
        warn(
            f"{boot.n_failed} of {len(boot.totals)} bootstrap replicates failed to select and fit a model and are "
            "left out.",
            EstimabilityWarning,
        )
    status = str(limits["status"])
    percentile_upper = limits["percentile_limits"][1]
    if status == "ok" and limits["upper"] > UNSTABLE_BCA * percentile_upper:
        # A resample can select a model whose estimate runs off (a dark figure of billions): the BCa
        # correction then reaches for the most extreme replicates, and the limit describes them, not N.
        status = (
            f"BCa upper limit unstable: {limits['upper']:,.0f} against a percentile upper limit of "
            f"{percentile_upper:,.0f}; some resamples select a model whose estimate runs off (see "
            "details['selected_models']); report the percentile limits (details['percentile_limits']) or "
            "raise n_boot"
        )
    return IntervalResult(float(limits["lower"]), float(limits["upper"]), status, draws=boot.totals)


def table_missing(fit: CovariateFit) -> bool:
    return fit.table.has_missing
