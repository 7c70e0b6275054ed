"""``mse.estimate(data, method="lcmcr")``: the non-parametric latent-class model.

Runs the multi-chain Gibbs sampler of :mod:`mse.bayes.latent_class.gibbs`,
packs the draws into an ArviZ ``InferenceData`` and checks convergence of
``N`` (R-hat and effective sample size) before reporting the posterior median
and an equal-tailed interval.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from mse.bayes.latent_class.gibbs import LatentClassDraws, sample_latent_class
from mse.data.capture import CaptureData
from mse.errors import ConvergenceWarning, DataError, ModelError
from mse.results import Estimate

__all__ = ["DEFAULTS", "ESS_THRESHOLD", "RHAT_THRESHOLD", "lcmcr"]

#: Default settings of :func:`lcmcr`; every one can be passed as an option.
DEFAULTS: dict[str, Any] = {
    "K": 10,
    "a_alpha": 0.25,
    "b_alpha": 0.25,
    "a_lambda": 1.0,
    "b_lambda": 1.0,
    "n_chains": 10,
    "n_draws": 12_000,
    "n_burnin": 3_000,
    "thin": 1,
    "collapsed_steps": 2,
}

#: ``N`` is flagged as not converged above this R-hat ...
RHAT_THRESHOLD = 1.01
#: ... or below this bulk effective sample size.
ESS_THRESHOLD = 400.0

_MODEL = "NPLCM (truncated stick-breaking latent classes)"


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ModelError(f"unknown option(s) {unknown} for method 'lcmcr'; valid options are {sorted(DEFAULTS)}.")
    settings = {**DEFAULTS, **options}
    for name in ("K", "n_chains", "n_draws", "thin"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ModelError(f"{name} must be a positive integer, got {value!r}.")
    for name in ("n_burnin", "collapsed_steps"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ModelError(f"{name} must be a non-negative integer, got {value!r}.")
    if settings["K"] < 2:
        raise ModelError("K must be at least 2 latent classes (the model with K = 1 is the independence model).")
    if settings["n_chains"] < 2:
        raise ModelError("n_chains must be at least 2: R-hat compares chains.")
    for name in ("a_alpha", "b_alpha", "a_lambda", "b_lambda"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
            raise ModelError(f"prior parameter {name} must be a positive number, got {value!r}.")
    return settings


def to_inference_data(draws: LatentClassDraws, settings: dict[str, Any]) -> Any:
    """ArviZ ``InferenceData`` with ``N``, ``n0``, ``p0``, ``alpha`` and ``n_classes`` by chain and draw."""
    import arviz as az

    posterior = {
        "N": draws.N,
        "n0": draws.n0,
        "p0": draws.p0,
        "alpha": draws.alpha,
        "n_classes": draws.n_classes,
    }
    return az.from_dict(
        posterior=posterior,
        attrs={
            "model": _MODEL,
            "sampler": "mse multi-chain Gibbs with collapsed moves",
            **{k: v for k, v in settings.items()},
            "acceptance_collapsed_move": draws.acceptance,
            "sampling_time": draws.seconds,
        },
    )


def convergence_of_n(idata: Any) -> tuple[float, float, float]:
    """Rank-normalised split R-hat, bulk ESS and tail ESS of ``N``."""
    import arviz as az

    with warnings.catch_warnings():
        # ArviZ warns about its own future API; the numbers are what matter here.
        warnings.simplefilter("ignore", FutureWarning)
        rhat = float(az.rhat(idata, var_names=["N"])["N"])
        ess_bulk = float(az.ess(idata, var_names=["N"], method="bulk")["N"])
        ess_tail = float(az.ess(idata, var_names=["N"], method="tail")["N"])
    return rhat, ess_bulk, ess_tail


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
    This is the model of Manrique-Vallier (2016), fitted by a Gibbs sampler on
    the aggregated table that runs many chains at once.

    Parameters
    ----------
    data : CaptureData
        Capture histories; covariates, if any, are summed over.
    level : float
        Probability of the equal-tailed posterior interval.
    interval : {"posterior", None}
        Only the posterior interval is available.
    random_seed : int or None
        Seed for the sampler; the same seed gives the same draws.
    **options
        ``K`` (10): number of latent classes of the truncated prior.
        ``a_alpha``, ``b_alpha`` (0.25, 0.25): shape and rate of the gamma
        prior on the stick-breaking concentration ``alpha``.
        ``a_lambda``, ``b_lambda`` (1, 1): beta prior on every capture
        probability. The prior on ``N`` is ``p(N) ~ 1/N``.
        ``n_chains`` (10), ``n_draws`` (12000 per chain), ``n_burnin`` (3000
        per chain), ``thin`` (1): the run.
        ``collapsed_steps`` (2): Metropolis moves per iteration on the
        unobserved people with the class parameters integrated out (0 gives the
        plain Gibbs sampler of the paper).

    Returns
    -------
    Estimate
        ``estimate`` is the posterior median of ``N``; ``lower``/``upper`` the
        equal-tailed interval; ``draws`` the pooled draws of ``N``; ``idata`` an
        ArviZ ``InferenceData`` with ``N``, ``n0``, ``p0``, ``alpha`` and
        ``n_classes``; ``details`` holds ``rhat``, ``ess`` (bulk), ``ess_tail``,
        ``mean``, ``sd`` and the sampler settings.

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
        below 400; the message says how to rerun. The message is also kept in
        ``Estimate.warnings``.

    References
    ----------
    Manrique-Vallier, D. (2016). Bayesian population size estimation using
    Dirichlet process mixtures. *Biometrics* 72(3), 1054-1063.

    Dunson, D. B. and Xing, C. (2009). Nonparametric Bayes modeling of
    multivariate categorical data. *Journal of the American Statistical
    Association* 104(487), 1042-1051.

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

    keep = data.counts > 0
    draws = sample_latent_class(
        data.histories[keep],
        data.counts[keep],
        random_seed=random_seed,
        **settings,
    )
    idata = to_inference_data(draws, settings)
    rhat, ess_bulk, ess_tail = convergence_of_n(idata)
    pooled = draws.N.ravel().astype(float)
    tail = (1.0 - level) / 2.0
    lower, median, upper = np.quantile(pooled, [tail, 0.5, 1.0 - tail])

    messages: list[str] = []
    if not (rhat <= RHAT_THRESHOLD and ess_bulk >= ESS_THRESHOLD):
        message = (
            f"lcmcr: the sampler for N has not converged (R-hat {rhat:.3f}, threshold {RHAT_THRESHOLD}; "
            f"bulk ESS {ess_bulk:.0f}, threshold {ESS_THRESHOLD:.0f}). Do not report this estimate yet: rerun with "
            f"more draws and burn-in, for example n_draws={4 * settings['n_draws']}, "
            f"n_burnin={4 * settings['n_burnin']}, and more chains (n_chains={2 * settings['n_chains']})."
        )
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
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
        status="ok",
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
            **{k: v for k, v in settings.items()},
        },
    )
