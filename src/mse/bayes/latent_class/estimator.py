"""``mse.estimate(data, method="lcmcr")``: the non-parametric latent-class model.

Runs many chains of the HMC sampler of :mod:`mse.bayes.latent_class.hmc`
(classes and ``N`` summed out) or of the Gibbs sampler of
:mod:`mse.bayes.latent_class.gibbs` until ``N`` has converged (R-hat and
effective sample size) or a budget of draws is spent, packs the draws into an
ArviZ ``InferenceData`` and reports the posterior median and an equal-tailed
interval, with a warning that says what to change when the budget ran out
first.

The default run is set in draws, never in seconds, so the same seed gives the
same draws on any machine. A time budget (``max_seconds``) is only used when
the user asks for one; a run it cuts short is not ``"ok"``, and its status,
``details["stop_reason"]`` and warning say so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mse.bayes import backend
from mse.bayes.backend import DEPRECATED_SETTING_NAMES, foreign_calls, import_arviz, sampler_options
from mse.bayes.convergence import ess_bulk as bulk_ess, ess_tail as tail_ess, rhat_rank
from mse.bayes.latent_class.gibbs import LatentClassDraws, sample_latent_class
from mse.bayes.latent_class.hmc import sample_latent_class_hmc
from mse.bayes.latent_class.prior import LatentClassPrior
from mse.bayes.modes import Mode, describe_modes, find_modes, modes_frame
from mse.data.capture import CaptureData
from mse.errors import ConvergenceWarning, DataError, ModelError, MultimodalityWarning, warn
from mse.options import check_max_seconds
from mse.results import Estimate

__all__ = ["DEFAULTS", "ESS_THRESHOLD", "RHAT_THRESHOLD", "lcmcr"]

#: Default settings of :func:`lcmcr`; every one can be passed as an option. ``None`` for
#: ``tune`` means the sampler's own default; ``None`` for ``draws`` means an adaptive run. The shared
#: sampler settings (``draws``, ``tune``, ``chains``) are named as in :data:`mse.bayes.backend.SETTING_NAMES`;
#: their older names ``n_draws``, ``n_burnin`` and ``n_chains`` are accepted with a deprecation warning.
DEFAULTS: dict[str, Any] = {
    "sampler": "hmc",
    **LatentClassPrior().keywords(),
    "chains": 16,
    "tune": None,
    "draws": None,
    "max_draws": None,
    "max_seconds": None,
    "thin": 1,
    "n_leapfrog": 48,
    "n_temperatures": 4,
    "max_temperature": 4.0,
    "tempered_leapfrog": None,
    "n_threads": None,
    "collapsed_steps": 2,
}

#: Per-sampler defaults of the settings left at ``None`` above.
SAMPLER_DEFAULTS: dict[str, dict[str, int]] = {
    "hmc": {"tune": 500, "max_draws": 100_000},
    "gibbs": {"tune": 3_000, "max_draws": 200_000},
}

#: The thresholds of the shared rule, :data:`mse.bayes.backend.CONVERGENCE`, kept under their former
#: names for scripts that import them; the code reads the rule itself.
RHAT_THRESHOLD = backend.CONVERGENCE.max_rhat
ESS_THRESHOLD = backend.CONVERGENCE.min_ess

_MODEL = "NPLCM (truncated stick-breaking latent classes)"


def _is_count(value: Any, minimum: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and bool(value >= minimum)


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    # Messages name a setting as the caller did, under its deprecated name if that is the one given.
    given = {new: old for old, new in DEPRECATED_SETTING_NAMES.items() if old in options}

    def name_of(setting: str) -> str:
        return given.get(setting, setting)

    options = sampler_options(options, "lcmcr")
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ModelError(f"unknown option(s) {unknown} for method 'lcmcr'; valid options are {sorted(DEFAULTS)}.")
    settings = {**DEFAULTS, **options}
    if settings["sampler"] not in SAMPLER_DEFAULTS:
        raise ModelError(f"sampler must be one of {sorted(SAMPLER_DEFAULTS)}, got {settings['sampler']!r}.")
    for name, value in SAMPLER_DEFAULTS[settings["sampler"]].items():
        if settings[name] is None:
            settings[name] = value
    for name in ("K", "chains", "thin", "max_draws", "n_leapfrog", "n_temperatures"):
        if not _is_count(settings[name], 1):
            raise ModelError(f"{name_of(name)} must be a positive integer, got {settings[name]!r}.")
    if settings["tempered_leapfrog"] is not None and not _is_count(settings["tempered_leapfrog"], 1):
        raise ModelError(
            "tempered_leapfrog must be a positive integer (or None for a quarter of n_leapfrog), "
            f"got {settings['tempered_leapfrog']!r}."
        )
    if settings["n_threads"] is not None and not _is_count(settings["n_threads"], 1):
        raise ModelError(
            f"n_threads must be a positive integer (or None for one per core), got {settings['n_threads']!r}."
        )
    if settings["draws"] is not None and not _is_count(settings["draws"], 1):
        raise ModelError(
            f"{name_of('draws')} must be a positive integer (or None to run until convergence), "
            f"got {settings['draws']!r}."
        )
    for name in ("tune", "collapsed_steps"):
        if not _is_count(settings[name], 0):
            raise ModelError(f"{name_of(name)} must be a non-negative integer, got {settings[name]!r}.")
    max_temperature = settings["max_temperature"]
    if (
        isinstance(max_temperature, bool)
        or not isinstance(max_temperature, (int, float))
        or not (math.isfinite(max_temperature) and max_temperature > 1)
    ):
        raise ModelError(f"max_temperature must be a number above 1, got {max_temperature!r}.")
    settings["max_seconds"] = check_max_seconds(settings["max_seconds"])
    if settings["K"] < 2:
        raise ModelError("K must be at least 2 latent classes (the model with K = 1 is the independence model).")
    if settings["chains"] < 2:
        raise ModelError(f"{name_of('chains')} must be at least 2: R-hat compares chains.")
    for name in ("a_alpha", "b_alpha", "a_lambda", "b_lambda"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
            raise ModelError(f"prior parameter {name} must be a positive number, got {value!r}.")
    return settings


def _run(data: CaptureData, settings: dict[str, Any], random_seed: int | None) -> LatentClassDraws:
    keep = data.counts > 0
    prior, _ = LatentClassPrior.split(settings)
    common = {
        **prior.keywords(),
        **{name: settings[name] for name in ("chains", "tune", "draws", "max_draws", "max_seconds", "thin")},
    }
    if settings["sampler"] == "hmc":
        return sample_latent_class_hmc(
            data.histories[keep],
            data.counts[keep],
            n_leapfrog=settings["n_leapfrog"],
            n_temperatures=settings["n_temperatures"],
            max_temperature=settings["max_temperature"],
            tempered_leapfrog=settings["tempered_leapfrog"],
            n_threads=settings["n_threads"],
            random_seed=random_seed,
            **common,
        )
    return sample_latent_class(
        data.histories[keep],
        data.counts[keep],
        collapsed_steps=settings["collapsed_steps"],
        random_seed=random_seed,
        **common,
    )


def _convergence_message(draws: LatentClassDraws, settings: dict[str, Any], rhat: float, ess: float) -> str:
    """What went wrong and which option to raise, by how much."""
    rule = backend.CONVERGENCE
    state = (
        f"lcmcr: the sampler for N has not converged (R-hat {rhat:.3f}, threshold {rule.max_rhat}; "
        f"bulk ESS {ess:.0f}, threshold {rule.min_ess:.0f}; {draws.N.shape[1]} draws from each of "
        f"{draws.N.shape[0]} chains in {draws.seconds:.0f} s). Do not report this estimate yet. "
    )
    # Rough factor by which the run must grow: ESS grows in proportion to the draws, and R-hat - 1
    # shrinks about in inverse proportion to them.
    # A run stopped during its first draws has no ESS (NaN): count it as none.
    shortfall = rule.min_ess / max(ess if math.isfinite(ess) else 0.0, 1.0)
    if math.isfinite(rhat):
        shortfall = max(shortfall, (rhat - 1.0) / (rule.max_rhat - 1.0))
    factor = max(2, math.ceil(1.5 * shortfall))
    if rhat > 1.1:
        state += (
            "The chains disagree: they sit in different modes of the posterior (for this model, typically "
            "solutions with different numbers of occupied latent classes; compare idata.posterior['N'] and "
            "['n_classes'] by chain) and cross between them only rarely, so a longer run converges only slowly; "
            f"more tempered companions help them cross (n_temperatures={settings['n_temperatures'] + 2}, "
            f"max_temperature={2 * settings['max_temperature']:g}). "
        )
    if draws.stop_reason == "max_seconds":
        return state + _time_budget_advice(draws, settings, factor)
    if draws.stop_reason == "max_draws":
        return state + (f"The budget of draws ran out: rerun with max_draws={factor * settings['max_draws']}.")
    return state + (
        f"Rerun without draws so that the sampler runs until convergence, or with "
        f"draws={factor * draws.N.shape[1]} and tune={2 * settings['tune']}."
    )


def _modes_message(modes: tuple[Mode, ...], chains: np.ndarray) -> str:
    """The modes, their share of the draws, and how many chains spent time in each."""
    edges = [mode.upper for mode in modes[:-1]]
    visits = [int(np.sum(np.mean(np.digitize(chains, edges) == k, axis=1) >= 0.1)) for k in range(len(modes))]
    chains_text = ", ".join(
        f"{count} of {chains.shape[0]} chains spent at least 10 % of their draws near {mode.location:,.0f}"
        for mode, count in zip(modes, visits, strict=True)
    )
    return f"{describe_modes('lcmcr', modes, of='draws')} By chain: {chains_text}."


def _time_budget_advice(draws: LatentClassDraws, settings: dict[str, Any], factor: int | None = None) -> str:
    """Why a run cut short by ``max_seconds`` is not a result, and how to rerun it.

    ``factor`` is the rough factor by which a run that has not converged must grow, if it has not.
    """
    warmup = draws.settings.get("warmup_iterations", settings["tune"])
    where = (
        f"during warm-up ({warmup} of {settings['tune']} iterations)"
        if warmup < settings["tune"]
        else f"after {draws.N.shape[1]} draws from each of {draws.N.shape[0]} chains"
    )
    return (
        f"The time budget max_seconds={settings['max_seconds']:g} cut the run short {where}, so where it "
        "stopped, and hence the draws, depend on the speed of this machine. Rerun without max_seconds: the "
        f"default run draws until convergence or max_draws={settings['max_draws']}, and gives the same draws "
        "for the same random_seed on any machine"
        + (
            "."
            if factor is None
            else f" (to keep a time limit, raise it about {factor} times: max_seconds="
            f"{math.ceil(factor * settings['max_seconds'])})."
        )
    )


def _cut_short_message(draws: LatentClassDraws, settings: dict[str, Any], rhat: float, ess: float) -> str:
    """The warning of a run that looked converged where the time budget stopped it."""
    return (
        f"lcmcr: R-hat of N ({rhat:.3f}) and its bulk ESS ({ess:.0f}) meet their thresholds, but the result "
        "is not reproducible. " + _time_budget_advice(draws, settings)
    )


def _former_names(draws: LatentClassDraws, settings: dict[str, Any]) -> dict[str, Any]:
    """The run's draws, warm-up and chains under the keys ``details`` and ``idata.attrs`` had before the
    settings took their current names, so that scripts reading them keep working."""
    return {"n_chains": settings["chains"], "n_burnin": settings["tune"], "n_draws": draws.N.shape[1]}


def to_inference_data(draws: LatentClassDraws, settings: dict[str, Any]) -> Any:
    """ArviZ ``InferenceData`` with ``N``, ``n0``, ``p0``, ``alpha`` and ``n_classes`` by chain and draw."""
    az = import_arviz()

    posterior = {
        "N": draws.N,
        "n0": draws.n0,
        "p0": draws.p0,
        "alpha": draws.alpha,
        "n_classes": draws.n_classes,
    }
    # Packing arrays whose shapes are built here: anything ArviZ says concerns its own API.
    with foreign_calls():
        idata = az.from_dict(
            posterior=posterior,
            attrs={
                "model": _MODEL,
                "sampler": (
                    "mse multi-chain HMC, classes and N summed out"
                    if settings["sampler"] == "hmc"
                    else "mse multi-chain Gibbs with collapsed moves"
                ),
                **{k: v for k, v in settings.items() if k not in ("sampler", "draws")},
                "draws": draws.N.shape[1],
                **_former_names(draws, settings),
                "stop_reason": draws.stop_reason,
                "acceptance": draws.acceptance,
                "sampling_time": draws.seconds,
            },
        )
    return idata


def lcmcr(
    data: CaptureData,
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    **options: Any,
) -> Estimate:
    """Population size from the non-parametric latent-class model (LCMCR).

    People belong to latent classes; within a class, captures on the lists are
    independent. The class weights have a truncated stick-breaking
    (Dirichlet-process) prior, so the data choose how many classes they need.
    This is the model of Manrique-Vallier (2016). By default it is fitted by
    Hamiltonian Monte Carlo on the posterior with the classes and ``N`` summed
    out (compiled, many chains at once, with parallel tempering), drawing
    until ``N`` has converged: R-hat at most 1.01 and bulk effective sample
    size at least 400 (Vehtari et al. 2021).

    Parameters
    ----------
    data : CaptureData
        Capture histories; covariates, if any, are summed over.
    level : float
        Probability of the equal-tailed posterior interval.
    interval : {"posterior", None}
        Only the posterior interval is available.
    random_seed : int or None
        Seed for the sampler; with the default options the same seed gives
        the same draws on any machine, whatever its speed and ``n_threads``
        (only a time budget the user sets, ``max_seconds``, can make a run
        depend on the machine, and such a run says so).
    **options
        The options of :class:`mse.methods.LCMCR`, where each is documented
        with its default (``K``, the priors, ``sampler``, ``chains``,
        ``tune``, ``draws``, ``max_draws``, ``max_seconds``, ...); the former
        names ``n_chains``, ``n_burnin`` and ``n_draws`` still work, with an
        :class:`~mse.MSEDeprecationWarning`.

    Returns
    -------
    Estimate
        ``estimate`` is the posterior median of ``N``; ``lower``/``upper`` the
        equal-tailed interval; ``draws`` the pooled draws of ``N``; ``idata`` an
        ArviZ ``InferenceData`` with ``N``, ``n0``, ``p0``, ``alpha`` and
        ``n_classes``; ``details`` holds ``rhat``, ``ess`` (bulk), ``ess_tail``,
        ``mean``, ``sd``, ``stop_reason`` (``"converged"``, ``"max_draws"``,
        ``"max_seconds"`` or ``"fixed"``), ``modes`` (one row per separated
        mode of ``N``: ``N``, ``lower``, ``upper``, ``share``) and the sampler
        settings (``draws`` is the number of draws per chain of the run; it
        and ``tune`` and ``chains`` are also under their former keys
        ``n_draws``, ``n_burnin`` and ``n_chains``).

    Raises
    ------
    ModelError
        For an interval other than ``"posterior"``, an unknown option or a bad
        setting.
    DataError
        When there are fewer than two lists or nobody was observed.

    Warns
    -----
    ConvergenceWarning
        When R-hat of ``N`` exceeds 1.01 or its bulk effective sample size is
        below 400 (the shared rule, :data:`mse.bayes.backend.CONVERGENCE`),
        which an adaptive run reaches only when its budget ran out,
        or when a time budget the user set cut the run short; the message says
        which option to change and by how much. The message is also kept in
        ``Estimate.warnings``.
    MultimodalityWarning
        When the draws of ``N`` fall in separated modes (for this model,
        typically solutions with different numbers of occupied classes); the
        message names each mode, its share of the draws and how many chains
        visited it, and ``details["modes"]`` holds them as a table.

    References
    ----------
    Manrique-Vallier, D. (2016). Bayesian population size estimation using
    Dirichlet process mixtures. *Biometrics* 72(3), 1054-1063.

    Dunson, D. B. and Xing, C. (2009). Nonparametric Bayes modeling of
    multivariate categorical data. *Journal of the American Statistical
    Association* 104(487), 1042-1051.

    Neal, R. M. (2011). MCMC using Hamiltonian dynamics. In *Handbook of
    Markov Chain Monte Carlo*, 113-162. Chapman and Hall/CRC.

    Geyer, C. J. (1991). Markov chain Monte Carlo maximum likelihood. In
    *Computing Science and Statistics: Proceedings of the 23rd Symposium on the
    Interface*, 156-163.

    Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C.
    (2021). Rank-normalization, folding, and localization: an improved R-hat
    for assessing convergence of MCMC. *Bayesian Analysis* 16(2), 667-718.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=1)  # doctest: +SKIP
    >>> round(res.estimate, -2)  # doctest: +SKIP
    10400.0
    """
    if interval not in (None, "posterior"):
        raise ModelError(f"method 'lcmcr' gives a posterior interval only; use interval='posterior', not {interval!r}.")
    settings = _check_options(dict(options))
    if data.covariates:
        data = data.collapse_covariates()
    if data.n_observed < 1:
        raise DataError("lcmcr needs at least one observed person; every count is zero.")
    if data.n_lists < 2:
        raise DataError(f"lcmcr needs at least two lists, got {data.n_lists}.")

    draws = _run(data, settings, random_seed)
    idata = to_inference_data(draws, settings)
    # The numbers of mse.bayes.backend.convergence_of_n(idata), computed on the draws without ArviZ.
    values = draws.N.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat, ess_bulk, ess_tail = rhat_rank(values), bulk_ess(values), tail_ess(values)
    pooled = draws.N.ravel().astype(float)
    tail = (1.0 - level) / 2.0
    lower, median, upper = np.quantile(pooled, [tail, 0.5, 1.0 - tail])

    messages: list[str] = []
    status = "ok"
    rule = backend.CONVERGENCE
    converged = rule.converged(rhat, ess_bulk)
    if not converged:
        # The numbers are reported so that the user can look, but a run that has not converged is not "ok".
        status = (
            f"not converged: R-hat of N {rhat:.3f} (threshold {rule.max_rhat}), bulk ESS {ess_bulk:.0f} "
            f"(threshold {rule.min_ess}); see the warning for what to change"
        )
        messages.append(_convergence_message(draws, settings, rhat, ess_bulk))
    if draws.stop_reason == "max_seconds":
        # A run stopped by the clock is not reproducible, converged or not: never "ok".
        status = f"cut short by the time budget max_seconds={settings['max_seconds']:g}; " + (
            "R-hat and ESS of N meet their thresholds, but the draws depend on the speed of the machine"
            if converged
            else status
        )
        if converged:
            messages.append(_cut_short_message(draws, settings, rhat, ess_bulk))
    for message in messages:
        warn(message, ConvergenceWarning)

    modes = find_modes(pooled, n_effective=ess_bulk)
    if len(modes) > 1:
        message = _modes_message(modes, draws.N)
        warn(message, MultimodalityWarning)
        messages.append(message)

    return Estimate(
        estimate=float(median),
        lower=float(lower),
        upper=float(upper),
        level=level,
        observed=data.n_observed,
        method="lcmcr",
        model=f"{_MODEL}, K={settings['K']}",
        interval_method="posterior",
        status=status,
        warnings=tuple(messages),
        draws=pooled,
        idata=idata,
        details={
            "rhat": rhat,
            "ess": ess_bulk,
            "ess_tail": ess_tail,
            "mean": float(pooled.mean()),
            "sd": float(pooled.std(ddof=1)),
            "se": float(pooled.std(ddof=1)),
            "n0_median": float(np.median(draws.n0)),
            "n_classes_mean": float(draws.n_classes.mean()),
            "acceptance": draws.acceptance,
            "sampling_seconds": draws.seconds,
            "stop_reason": draws.stop_reason,
            "modes": modes_frame(modes),
            "warmup_iterations": int(draws.settings.get("warmup_iterations", settings["tune"])),
            **{k: v for k, v in settings.items() if k != "draws"},
            "draws": draws.N.shape[1],
            **_former_names(draws, settings),
        },
    )
