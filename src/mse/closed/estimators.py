"""The closed-population methods of :func:`mse.estimate`.

Each function has the estimator signature
``fn(data, *, level, interval, random_seed, **options) -> Estimate`` and works on
``data.collapse_covariates()``. The model methods (``M0`` ... ``Mbh``) accept
``interval="profile"`` (default) or ``"wald"``; the two-list methods
``"log_normal"`` (default) or ``"wald"``; ``sample_coverage`` gives the
bootstrap standard error with Chao's log-normal interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mse.closed import sample_coverage as coverage_module, two_list
from mse.closed.designs import model_design
from mse.closed.fit import behavioural_profile_interval, fit_closed_model
from mse.data.capture import CaptureData
from mse.errors import DataError, ModelError
from mse.information import information_problem
from mse.loglinear.intervals.likelihood import profile_interval
from mse.options import check_random_seed, choose_interval, reject_unknown_options
from mse.results import Estimate

__all__ = [
    "chapman",
    "lincoln_petersen",
    "m0",
    "mb",
    "mbh",
    "mh_chao",
    "mh_darroch",
    "mh_gamma",
    "mh_poisson2",
    "mt",
    "mth_chao",
    "mth_darroch",
    "mth_gamma",
    "mth_poisson2",
    "sample_coverage",
]


def _closed_model(
    name: str, data: CaptureData, level: float, interval: str | None, options: dict[str, Any]
) -> Estimate:
    reject_unknown_options(options, (), name)
    how = choose_interval(interval, ("profile", "wald"), name)
    data = data.collapse_covariates()
    cells = data.dense_counts()[1:].astype(float)
    design = model_design(name, data.n_lists, data.lists)
    fit = fit_closed_model(design, cells)
    model = f"{name} ({', '.join(design.columns[c] for c in fit.columns)})"
    common: dict[str, Any] = dict(
        method=name, observed=data.n_observed, level=level, model=model, interval_method=how, details=fit.details()
    )
    if not fit.ok:
        return Estimate.failed(status=fit.status, **common)
    status = "ok"
    if how == "wald":
        lower, upper = two_list.wald_interval(fit.estimate, fit.se**2, data.n_observed, level)
    elif design.behavioural:
        histories = design.matrix[:, 1]
        first = np.array([cells[histories == j].sum() for j in range(data.n_lists)])
        lower, upper, status = behavioural_profile_interval(
            first, fit.estimate, level, heterogeneous_first=name == "Mbh"
        )
    else:
        profile = profile_interval(design.matrix[:, list(fit.columns)], cells, fit.estimate, level)
        lower, upper, status = profile.lower, profile.upper, profile.status
    return Estimate(estimate=fit.estimate, lower=lower, upper=upper, status=status, **common)


def _estimator(name: str, function_name: str, run: Callable[..., Estimate], doc: str):
    """An estimator with the signature :func:`mse.estimate` calls, running ``run`` with the method name."""

    def estimator(
        data: CaptureData,
        *,
        level: float = 0.95,
        interval: str | None = None,
        random_seed: int | None = None,
        **options: Any,
    ) -> Estimate:
        return run(name, data, level, interval, options)

    estimator.__name__ = function_name
    estimator.__qualname__ = function_name
    estimator.__doc__ = doc
    return estimator


def _parameters_doc(interval: str, options: str, seed: str) -> str:
    """The Parameters and Returns sections shared by the generated estimators' docstrings."""
    return (
        "Parameters\n"
        "----------\n"
        "data : CaptureData\n"
        "    The capture table; covariates, if any, are summed over.\n"
        "level : float\n"
        "    Confidence level of the interval.\n"
        "interval : str, optional\n"
        f"    {interval}\n"
        "random_seed : int, optional\n"
        f"    {seed}\n"
        "**options\n"
        f"    {options}\n\n"
        "Returns\n"
        "-------\n"
        "Estimate\n"
        "    The estimate of N with its interval; a failed estimate, with the reason in\n"
        "    ``status``, when it does not exist.\n\n"
    )


def _model_method(name: str, doc: str, expected: float | str):
    """The estimator of model ``name``; its example shows ``expected``, the estimate or the start of the status."""
    if isinstance(expected, str):
        example = f">>> res.status.split(':')[0]  # too few recaptures to extrapolate the curve\n{expected!r}"
    else:
        example = f">>> round(res.estimate, 1)\n{expected}"
    return _estimator(
        name,
        name.lower(),
        _closed_model,
        f"Model {name}: {doc}\n\n"
        "Poisson regression on the observed cells (see :mod:`mse.closed.designs`); the interval is the\n"
        "profile-likelihood interval (default) or Wald. A fit that fails its checks (see\n"
        ":mod:`mse.closed.fit`) is returned by :meth:`mse.Estimate.failed` with the reason.\n\n"
        + _parameters_doc(
            '``"profile"`` (the default) or ``"wald"``.',
            "None; an unknown option raises :class:`mse.ModelError`.",
            "Accepted for the common signature; the fit draws no random numbers.",
        )
        + "Examples\n"
        "--------\n"
        ">>> import mse\n"
        f'>>> res = mse.estimate(mse.load_dataset("hepatitis_a"), method="{name}")\n'
        f"{example}\n",
    )


# The estimate on the hepatitis A data, or the start of the status where it is not reliable.
m0 = _model_method("M0", "equal capture probability on every list and for every person.", 388.8)
mt = _model_method("Mt", "capture probability varies between lists (the independence model).", 388.5)
mh_chao = _model_method("Mh_chao", "heterogeneous people, Chao's lower-bound model.", 479.1)
mh_poisson2 = _model_method("Mh_poisson2", "heterogeneous people, Poisson2 column 2**k - 1.", 736.9)
mh_darroch = _model_method("Mh_darroch", "heterogeneous people, Darroch column k**2 / 2.", 1313.6)
mh_gamma = _model_method("Mh_gamma", "heterogeneous people, Gamma(3.5) column log(3.5) - log(3.5 + k).", "unreliable")
mth_chao = _model_method("Mth_chao", "list and person effects, Chao's lower-bound model.", 478.7)
mth_poisson2 = _model_method("Mth_poisson2", "list and person effects, Poisson2 heterogeneity.", 736.3)
mth_darroch = _model_method("Mth_darroch", "list and person effects, Darroch heterogeneity.", 1313.5)
mth_gamma = _model_method("Mth_gamma", "list and person effects, Gamma(3.5) heterogeneity.", "unreliable")
mb = _model_method("Mb", "behavioural response: the first list changes the chance of being on later lists.", 383.1)
mbh = _model_method("Mbh", "behavioural response and heterogeneity (removal from the second list on).", 667.9)


# ---------------------------------------------------------------------- two lists
def _two_lists(data: CaptureData, options: dict[str, Any], method: str) -> CaptureData:
    reject_unknown_options(options, ("lists",), method)
    data = data.collapse_covariates()
    chosen = options.get("lists")
    if chosen is None:
        if data.n_lists != 2:
            raise DataError(
                f"{method} needs exactly two lists, the data have {data.n_lists}; pass lists=('A', 'B') to use two "
                "of them (people on neither are then unobserved)."
            )
        return data
    chosen = list(chosen)
    if len(chosen) != 2 or any(name not in data.lists for name in chosen):
        raise DataError(f"{method}: lists= must name two of {list(data.lists)}, got {chosen}.")
    return data.drop_lists([name for name in data.lists if name not in chosen]).reorder_lists(chosen)


def _two_list_estimate(method: str, data: CaptureData, level: float, interval: str | None, options: dict[str, Any]):
    how = choose_interval(interval, two_list.INTERVALS, method)
    data = _two_lists(data, options, method)
    cells = data.dense_counts()  # 00, 01, 10, 11
    m = int(cells[3])
    n1, n2 = int(cells[2] + cells[3]), int(cells[1] + cells[3])
    formula = two_list.lincoln_petersen_estimate if method == "lincoln_petersen" else two_list.chapman_estimate
    result = formula(n1, n2, m)
    details = {"n1": n1, "n2": n2, "m": m, "se": math.sqrt(result.variance) if result.variance >= 0 else math.nan}
    model = f"{data.lists[0]} x {data.lists[1]}"
    common: dict[str, Any] = dict(
        method=method, observed=data.n_observed, level=level, model=model, interval_method=how, details=details
    )
    # The two lists chosen with lists= may never overlap although the table's other lists do:
    # the front door's check then passes, and Chapman's +1 would turn "no overlap" into a number.
    no_information = information_problem(data)
    if no_information is not None:
        return Estimate.failed(status=no_information, **common)
    if result.status != "ok":
        return Estimate.failed(status=result.status, **common)
    limits = two_list.log_normal_interval if how == "log_normal" else two_list.wald_interval
    lower, upper = limits(result.estimate, result.variance, data.n_observed, level)
    return Estimate(estimate=result.estimate, lower=lower, upper=upper, **common)


def _two_list_method(method: str, formula: str, example: str):
    return _estimator(
        method,
        method,
        _two_list_estimate,
        f"{formula} for two lists (see :mod:`mse.closed.two_list`).\n\n"
        'Intervals: ``"log_normal"`` (Chao 1987, default) or ``"wald"``. When the estimate does not\n'
        "exist (no overlap for Lincoln–Petersen) the result is failed.\n\n"
        + _parameters_doc(
            '``"log_normal"`` (the default) or ``"wald"``.',
            "``lists``, documented with :class:`mse.methods.Chapman`; an unknown option raises "
            ":class:`mse.ModelError`.",
            "Accepted for the common signature; the estimate draws no random numbers.",
        )
        + "Examples\n"
        "--------\n"
        ">>> import mse\n"
        '>>> data = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])\n'
        f"{example}\n",
    )


lincoln_petersen = _two_list_method(
    "lincoln_petersen",
    "Lincoln–Petersen estimate ``n1 n2 / m``",
    '>>> mse.estimate(data, method="lincoln_petersen").estimate\n120.0',
)
chapman = _two_list_method(
    "chapman",
    "Chapman's estimate ``(n1+1)(n2+1)/(m+1) - 1``",
    '>>> round(mse.estimate(data, method="chapman").estimate, 3)\n114.545',
)


# ---------------------------------------------------------------------- sample coverage
def sample_coverage(
    data: CaptureData,
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    **options: Any,
) -> Estimate:
    """Chao & Tsay's sample-coverage estimate for three or more lists.

    The interval is Chao's (1987) log-normal interval with the bootstrap
    standard error (``interval="log_normal"``, the only choice).

    Parameters
    ----------
    data : CaptureData
        The capture table, with at least three lists; covariates, if any, are
        summed over.
    level : float
        Confidence level of the interval.
    interval : str, optional
        ``"log_normal"``, the only choice.
    random_seed : int, optional
        Seed of the bootstrap for the standard error.
    **options
        ``variant`` and ``n_boot``, documented with
        :class:`mse.methods.SampleCoverage`.

    Returns
    -------
    Estimate
        The estimate of N with its interval; a failed estimate, with the reason
        in ``status``, when the estimate does not exist.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("hepatitis_a"), method="sample_coverage", random_seed=1)
    >>> round(res.estimate, 1)
    407.0
    """
    reject_unknown_options(options, ("variant", "n_boot"), "sample_coverage")
    how = choose_interval(interval, ("log_normal",), "sample_coverage")
    variant = options.get("variant", "high_coverage")
    if variant not in coverage_module.VARIANTS:
        raise ModelError(
            f"sample_coverage: variant {variant!r} is unknown; choose one of {list(coverage_module.VARIANTS)}."
        )
    n_boot = int(options.get("n_boot", 200))
    if n_boot < 2:
        raise ModelError(f"sample_coverage: n_boot must be at least 2, got {n_boot}.")
    data = data.collapse_covariates()
    if data.n_lists < 3:
        raise DataError(
            f"sample_coverage needs at least three lists, the data have {data.n_lists}; use 'chapman' for two."
        )
    cells = data.dense_counts()[1:].astype(float)
    common: dict[str, Any] = dict(
        method="sample_coverage", observed=data.n_observed, level=level, model=f"sample coverage ({variant})"
    )
    estimate = coverage_module.sample_coverage_estimate(cells, data.n_lists, variant)
    if not math.isfinite(estimate) or estimate < data.n_observed:
        return Estimate.failed(
            interval_method=how,
            status="the sample-coverage estimate does not exist on these data (coverage 0, an empty list, or "
            "an estimate below the number observed)",
            **common,
        )
    rng = np.random.default_rng(check_random_seed(random_seed))
    draws = coverage_module.bootstrap_sample_coverage(cells, data.n_lists, estimate, variant, n_boot, rng)
    finite = draws[np.isfinite(draws)]
    se = float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan
    lower, upper = two_list.log_normal_interval(estimate, se**2, data.n_observed, level)
    coverage = coverage_module.sample_coverage_estimate(cells, data.n_lists, "high_coverage")
    details = {
        "se": se,
        "failed_replicates": int(draws.size - finite.size),
        "n_boot": n_boot,
        "variant": variant,
        "high_coverage_estimate": coverage,
    }
    return Estimate(
        estimate=estimate,
        lower=lower,
        upper=upper,
        interval_method="log_normal (bootstrap se)",
        draws=draws,
        details=details,
        **common,
    )
