"""The posterior of a hierarchical log-linear model, sampled by HMC (or by NUTS in PyMC).

Model
-----
The ``2**t - 1`` observable cell counts are independent Poisson counts with
``log mu = X beta`` (the design of :mod:`mse.loglinear.model.design`: intercept,
one main effect per list, one column per interaction term). The expected
count of the unobserved all-zero cell is ``exp(beta_0)``.

Priors (Silverman 2020, section 6)
----------------------------------
``"normal"``
    Every interaction gets an independent ``N(0, sd**2)`` prior; Silverman
    uses ``sd = 1`` (his "proper" prior). The intercept and the main effects
    get ``N(0, main_sd**2)`` with ``main_sd = 100``, a precision of ``1e-4``,
    which is the vague prior Silverman's software places on them: they are
    well determined by the list totals, and the prior on them has no visible
    effect.
``"flat"``
    An improper uniform prior on every coefficient, so the posterior is the
    normalised likelihood. It is proper only when the maximum-likelihood
    estimate exists and the model is identifiable, which is checked first.

Population size
---------------
By default each posterior draw gives ``N = n + exp(beta_0)``: the number
observed plus the *expected* number on no list, as in Silverman (2020); this
is the parameter ``N`` of the Poisson model. With ``dark_figure="sampled"``
the dark figure is instead a Poisson draw with that mean, the posterior
predictive number of people on no list. The two differ by a variance equal to
the dark figure itself: on the data sets in ``tests/reference`` that is under
1 % of the posterior spread and both match the R values, but for a large,
well-covered population (posterior standard deviation of the dark figure not
much above its square root) the sampled version is noticeably wider.

Lists that never overlap
------------------------
When two lists have no one in common, the data say only that their
interaction is very negative: the likelihood keeps increasing as it goes to
minus infinity. With the normal prior the posterior is still proper (the
prior holds the parameter back), so such a term is kept in the model like
any other; its posterior sits below zero and is about as wide as the prior,
so Bayesian thresholding drops it (on the UK 2013 data the LA:GP and LA:NCA
terms have ``|mean| / sd`` of about 1.3 and 0.9). This is how Silverman's
proper-prior analysis treats them: no special case. With the flat prior the
posterior would be improper, so such terms are fitted at minus infinity, as
in the extended MLE of Chan, Silverman & Vincent (2021): their cells, all
empty, are dropped and the terms are reported in ``infinite_terms``. A list
no one is on is dropped with its cells under either prior.

Sampling
--------
The posterior mode ``m`` and the Hessian ``H`` of the negative log posterior
at ``m`` are found by Newton's method, and the sampler draws ``z`` in
``beta = m + L z`` with ``L L' = H^{-1}``. The map is linear, so its Jacobian
is constant and the posterior is exact; in ``z`` it is close to a standard
normal, so large steps give nearly independent draws. Two samplers use it:

``sampler="hmc"`` (the default)
    Hamiltonian Monte Carlo with compiled transitions
    (:mod:`mse.bayes.loglinear.hmc`): the step size is tuned, and the
    coordinates re-whitened by the covariance of the warm-up draws, during
    ``tune``; the kept draws come from one fixed kernel. No PyMC, no
    compilation at run time (numba's machine code is cached on disk).
``sampler="pymc"``
    PyMC's NUTS on the same coordinates, the formulation the fast sampler is
    checked against (``tests/bayes/loglinear``); it compiles a PyTensor graph
    on first use in a process.

Both report R-hat and effective sample sizes of ``N`` computed by
:func:`mse.bayes.backend.convergence_of_draws`; the ArviZ ``InferenceData``
of a posterior is built the first time ``idata`` is read.

References
----------
Silverman, B. W. (2020). Multiple-systems analysis for the quantification of
modern slavery: classical and Bayesian approaches. *Journal of the Royal
Statistical Society A* 183(3), 691–736.

Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation
for sparse capture data: inferential challenges when there are nonoverlapping
lists. *JASA* 116(535), 1297–1306.

Hoffman, M. D. & Gelman, A. (2014). The No-U-Turn sampler. *JMLR* 15, 1593–1623.

Neal, R. M. (2011). MCMC using Hamiltonian dynamics. In *Handbook of Markov
Chain Monte Carlo*, ch. 5. Chapman & Hall/CRC.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mse._deferred import Deferred, DeferredField
from mse.bayes import backend
from mse.bayes.backend import (
    ForeignWarnings,
    convergence_of_draws,
    foreign_calls,
    import_pymc,
    import_pytensor_tensor,
)
from mse.bayes.loglinear.hmc import sample_hmc
from mse.budget import checkpoint
from mse.data.capture import CaptureData
from mse.errors import ConvergenceWarning, EstimabilityError, ModelError, warn
from mse.loglinear.fit.existence import model_estimability
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.terms import ModelSpec, Term, format_model, parse_model

__all__ = ["MAIN_EFFECT_SD", "SAMPLERS", "LoglinearPosterior", "Prior", "fit_posterior", "posterior_mode"]

#: Prior standard deviation of the intercept and main effects (precision 1e-4).
MAIN_EFFECT_SD = 100.0
#: The thresholds of the shared rule, :data:`mse.bayes.backend.CONVERGENCE`, under their former names;
#: the code reads the rule itself.
RHAT_LIMIT = backend.CONVERGENCE.max_rhat
ESS_LIMIT = backend.CONVERGENCE.min_ess

_PRIOR_KINDS = ("normal", "flat")
_DARK_FIGURES = ("expected", "sampled")
#: The samplers of :func:`fit_posterior`: compiled HMC (the default) and PyMC's NUTS (the reference).
SAMPLERS = ("hmc", "pymc")


@dataclass(frozen=True)
class Prior:
    """Prior on the coefficients of a log-linear model.

    Parameters
    ----------
    kind
        ``"normal"`` (independent normal priors) or ``"flat"`` (improper uniform on every coefficient).
    sd
        Prior standard deviation of each interaction under ``"normal"``.
    main_sd
        Prior standard deviation of the intercept and main effects under ``"normal"``.

    Examples
    --------
    >>> Prior.from_options(prior_var=4.0).sd
    2.0
    """

    kind: str = "normal"
    sd: float = 1.0
    main_sd: float = MAIN_EFFECT_SD

    @classmethod
    def from_options(
        cls,
        prior: str = "normal",
        prior_sd: float | None = None,
        prior_var: float | None = None,
        main_sd: float = MAIN_EFFECT_SD,
    ) -> Prior:
        """Build a prior from the user-facing options, checking them.

        Raises
        ------
        ModelError
            For an unknown kind, both ``prior_sd`` and ``prior_var``, or a scale that is not positive and finite.
        """
        if prior not in _PRIOR_KINDS:
            raise ModelError(f"prior must be one of {list(_PRIOR_KINDS)}, got {prior!r}.")
        if prior_sd is not None and prior_var is not None:
            raise ModelError("give the interaction prior as prior_sd or as prior_var, not both.")
        if prior == "flat" and (prior_sd is not None or prior_var is not None):
            raise ModelError("prior='flat' takes no prior_sd or prior_var; use prior='normal' to set a prior scale.")
        sd = 1.0
        if prior_var is not None:
            _check_positive("prior_var", prior_var)
            sd = math.sqrt(float(prior_var))
        elif prior_sd is not None:
            _check_positive("prior_sd", prior_sd)
            sd = float(prior_sd)
        _check_positive("main_sd", main_sd)
        return cls(kind=prior, sd=sd, main_sd=float(main_sd))

    def precisions(self, n_base: int, n_terms: int) -> np.ndarray:
        """Prior precision of each coefficient (zeros for the flat prior)."""
        if self.kind == "flat":
            return np.zeros(n_base + n_terms)
        return np.r_[np.full(n_base, self.main_sd**-2.0), np.full(n_terms, self.sd**-2.0)]

    def describe(self) -> dict[str, Any]:
        """Plain values for :attr:`mse.Estimate.details`."""
        if self.kind == "flat":
            return {"prior": "flat"}
        return {"prior": "normal", "prior_sd": self.sd, "prior_var": self.sd**2, "main_sd": self.main_sd}


def _check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ModelError(f"{name} must be a positive number, got {value!r}.")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ModelError(f"{name} must be positive and finite, got {value!r}.")


def posterior_mode(
    X: np.ndarray, y: np.ndarray, precision: np.ndarray, start: np.ndarray, *, max_iter: int = 200
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Mode of ``sum(y X beta - exp(X beta)) - sum(precision beta**2) / 2`` by damped Newton steps.

    Returns the mode, the Hessian of the negative log posterior there, and
    whether the iteration converged. The objective is concave, so halving the
    step until it improves is enough to converge from any start.
    """
    beta = np.array(start, dtype=float)

    def objective(b: np.ndarray) -> float:
        eta = X @ b
        return float(y @ eta - np.exp(eta).sum() - 0.5 * (precision * b * b).sum())

    current = objective(beta)
    converged = False
    for _ in range(max_iter):
        mu = np.exp(X @ beta)
        gradient = X.T @ (y - mu) - precision * beta
        hessian = X.T @ (mu[:, None] * X) + np.diag(precision)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while True:
            candidate = beta + scale * step
            value = objective(candidate)
            if value >= current - 1e-12 * abs(current) or scale < 1e-10:
                break
            scale /= 2.0
        beta, current = candidate, value
        if np.max(np.abs(scale * step)) < 1e-10:
            converged = True
            break
    mu = np.exp(X @ beta)
    hessian = X.T @ (mu[:, None] * X) + np.diag(precision)
    return beta, hessian, converged


@dataclass(frozen=True)
class LoglinearPosterior:
    """Posterior draws of a log-linear model and of the population size.

    Attributes
    ----------
    lists : tuple of str
    terms : frozenset of tuple of int
        The interaction terms of the model asked for.
    model : str
        The model in term syntax.
    names : list of str
        Names of the sampled coefficients: ``"(intercept)"``, list names, ``"A:B"``, ...
    coef : ndarray, shape (chains, draws, len(names))
    population : ndarray, shape (chains, draws)
        Draws of ``N = n + exp(beta_0)``.
    observed : int
    prior : Prior
    idata : arviz.InferenceData
        ``posterior`` holds ``N`` and one variable per coefficient, named as in ``names``; built (and ArviZ
        imported) when first read.
    infinite_terms : tuple of str
        Terms fitted at minus infinity (flat prior, lists that never overlap) or of a list no one is on.
    rhat, ess_bulk, ess_tail : float
        Convergence diagnostics of ``N``.
    divergences : int
    mode : dict
        Posterior mode of each coefficient.
    sampler : dict
        The sampler (``"hmc"`` or ``"pymc"``), its settings and seed.
    sampler_problems : tuple of str
        What went wrong numerically while sampling (for PyMC, what the warnings it and PyTensor raised
        mean: non-finite values of the log density, ...), in the library's words; each counts as a
        convergence problem.

    Examples
    --------
    Made by :func:`fit_posterior` (sampling takes a while, so the example is not run in the tests):

    >>> import mse
    >>> from mse.bayes.loglinear import fit_posterior
    >>> post = fit_posterior(mse.load_dataset("kosovo"), "EXH:ABA", random_seed=1)  # doctest: +SKIP
    >>> post.population.shape  # chains, draws  # doctest: +SKIP
    (4, 1000)
    """

    lists: tuple[str, ...]
    terms: frozenset[Term]
    model: str
    names: list[str]
    coef: np.ndarray = field(repr=False)
    population: np.ndarray = field(repr=False)
    observed: int
    prior: Prior
    infinite_terms: tuple[str, ...]
    rhat: float
    ess_bulk: float
    ess_tail: float
    divergences: int
    mode: dict[str, float] = field(repr=False)
    sampler: dict[str, Any] = field(default_factory=dict, repr=False)
    sampler_problems: tuple[str, ...] = ()
    idata: Any = field(default=DeferredField(), repr=False, compare=False)

    def coefficient_table(self) -> pd.DataFrame:
        """Posterior mean, standard deviation and their ratio for every coefficient."""
        flat = self.coef.reshape(-1, self.coef.shape[-1])
        mean = flat.mean(axis=0)
        sd = flat.std(axis=0, ddof=1)
        return pd.DataFrame(
            {"term": self.names, "mean": mean, "sd": sd, "ratio": mean / sd, "mode": [self.mode[n] for n in self.names]}
        )

    def interval(self, level: float) -> tuple[float, float, float]:
        """Posterior median of ``N`` and the equal-tailed interval of coverage ``level``."""
        tail = 100.0 * (1.0 - level) / 2.0
        lower, median, upper = np.percentile(self.population, [tail, 50.0, 100.0 - tail])
        return float(median), float(lower), float(upper)

    def convergence_problems(self) -> list[str]:
        """Messages for each sign that the draws of ``N`` should not be trusted."""
        problems = []
        rule = backend.CONVERGENCE
        if not rule.rhat_ok(self.rhat):
            problems.append(f"R-hat of N is {self.rhat:.3f} (above {rule.max_rhat}); run longer chains (draws=, tune=)")
        if not rule.ess_ok(self.ess_bulk):
            problems.append(
                f"effective sample size of N is {self.ess_bulk:.0f} (below {rule.min_ess:.0f}); increase draws="
            )
        if self.divergences:
            problems.append(f"{self.divergences} divergent transitions; the posterior may be poorly explored")
        problems.extend(self.sampler_problems)
        return problems


def _sample_pymc(
    X: np.ndarray,
    y: np.ndarray,
    mode: np.ndarray,
    root: np.ndarray,
    precision: np.ndarray,
    *,
    draws: int,
    tune: int,
    chains: int,
    cores: int,
    random_seed: int,
) -> tuple[np.ndarray, dict[str, np.ndarray], ForeignWarnings]:
    """NUTS draws of ``z`` with ``beta = mode + root @ z``.

    Returns the ``beta`` draws, the sample stats and the warnings PyMC and PyTensor raised, which the
    caller translates; nothing of PyMC's (warnings, log messages, progress bar) reaches the user.
    """
    pm = import_pymc()
    pt = import_pytensor_tensor()

    with foreign_calls() as caught, pm.Model():
        z = pm.Flat("z", shape=X.shape[1])
        beta = pt.as_tensor_variable(mode) + pt.dot(pt.as_tensor_variable(root), z)
        if np.any(precision > 0):
            pm.Potential("log_prior", -0.5 * pt.sum(pt.as_tensor_variable(precision) * beta**2))
        pm.Poisson("counts", mu=pt.exp(pt.dot(pt.as_tensor_variable(X), beta)), observed=y)
        trace = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=random_seed,
            progressbar=False,
            compute_convergence_checks=False,
            # A time budget set with mse.estimate(..., max_seconds=...) is checked after every draw.
            callback=lambda **_: checkpoint("sampling with NUTS"),
        )
    z_draws = trace.posterior["z"].values
    stats = {
        name: trace.sample_stats[name].values
        for name in trace.sample_stats.data_vars
        if trace.sample_stats[name].dims == ("chain", "draw")
    }
    return mode + z_draws @ root.T, stats, caught


def _kept_columns_and_cells(
    design: Design, terms: frozenset[Term], counts: np.ndarray, prior: Prior
) -> tuple[np.ndarray, np.ndarray]:
    full = design.column_mask(terms)
    if prior.kind == "flat":
        columns, cells = extended_masks(design, full, counts)
        return columns[0], cells[0]
    # under a proper prior only lists nobody is on are dropped (their cells are all empty)
    main_only = full.copy()
    main_only[design.n_base :] = False
    _, cells = extended_masks(design, main_only, counts)
    columns = full.copy()
    columns[1:] &= (cells[0].astype(float) @ design.effect_incidence) > 0
    return columns, cells[0]


def fit_posterior(
    data: CaptureData,
    model: ModelSpec = "all two-way",
    prior: Prior | None = None,
    *,
    draws: int = 1000,
    tune: int = 500,
    chains: int = 4,
    cores: int = 1,
    random_seed: int | None = None,
    dark_figure: str = "expected",
    sampler: str = "hmc",
) -> LoglinearPosterior:
    """Sample the posterior of a hierarchical log-linear model and of the population size.

    Parameters
    ----------
    data
        Capture histories; covariates are summed out.
    model
        The interaction terms (``"all two-way"``, ``"A:B + B:C"``, ...; see
        :func:`mse.loglinear.model.terms.parse_model`).
    prior
        A :class:`Prior`; default ``N(0, 1)`` on interactions, ``N(0, 100**2)`` on the rest.
    draws, tune, chains, cores
        Kept draws and warm-up (tuning) iterations per chain, number of chains, and the processes PyMC
        samples the chains on (``sampler="pymc"`` only: the default sampler runs the chains one after
        another, in a fraction of a second).
    random_seed
        Seed of the sampler; ``None`` draws one from the operating system (recorded in ``sampler``).
    dark_figure
        ``"expected"`` (``N = n + exp(beta_0)``, the default) or ``"sampled"`` (``N = n + Poisson(exp(beta_0))``).
    sampler
        ``"hmc"`` (compiled Hamiltonian Monte Carlo, the default) or ``"pymc"`` (PyMC's NUTS, the
        reference it is tested against); both sample the same posterior (module docstring).

    Returns
    -------
    LoglinearPosterior

    Raises
    ------
    ModelError
        For a malformed model, sampler or sampler settings.
    EstimabilityError
        With the flat prior, when the maximum-likelihood estimate does not exist or the model is not identifiable
        (the posterior is then improper).

    Warns
    -----
    ConvergenceWarning
        When R-hat of ``N`` exceeds 1.01, its effective sample size is below 400, or the sampler diverged.

    Examples
    --------
    >>> import mse
    >>> post = fit_posterior(mse.load_dataset("kosovo"), "EXH:ABA", random_seed=1)  # doctest: +SKIP
    >>> post.interval(0.95)  # doctest: +SKIP
    """
    prior = prior or Prior()
    if dark_figure not in _DARK_FIGURES:
        raise ModelError(f"dark_figure must be one of {list(_DARK_FIGURES)}, got {dark_figure!r}.")
    if sampler not in SAMPLERS:
        raise ModelError(f"sampler must be one of {list(SAMPLERS)}, got {sampler!r}.")
    for name, value, minimum in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1), ("cores", cores, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ModelError(f"{name} must be an integer of at least {minimum}, got {value!r}.")
    data = data.collapse_covariates()
    lists = data.lists
    terms = parse_model(model, lists)
    counts = data.dense_counts()[1:].astype(float)
    design = Design(len(lists), terms)
    columns, cells = _kept_columns_and_cells(design, terms, counts, prior)
    if prior.kind == "flat":
        report = model_estimability(design, terms, counts, lists)
        if not report.ok:
            raise EstimabilityError(f"with a flat prior the posterior is improper: {report.reason}")
    names_all = ["(intercept)", *lists, *(":".join(lists[i] for i in term) for term in design.terms)]
    names = [names_all[k] for k in np.flatnonzero(columns)]
    dropped = tuple(names_all[k] for k in np.flatnonzero(design.column_mask(terms) & ~columns))
    X = design.matrix[np.ix_(cells, columns)]
    y = counts[cells]
    precision = prior.precisions(design.n_base, len(design.terms))[columns]
    start = np.zeros(X.shape[1])
    start[0] = math.log(max(y.mean(), 0.5))
    mode, hessian, converged = posterior_mode(X, y, precision, start)
    if not converged or not np.all(np.isfinite(mode)):
        raise EstimabilityError(f"the posterior mode of model {format_model(terms, lists)!r} could not be found")
    try:
        root = np.linalg.cholesky(np.linalg.inv(hessian))
    except np.linalg.LinAlgError:
        raise EstimabilityError(
            f"the posterior of model {format_model(terms, lists)!r} is degenerate (singular curvature at its mode)"
        ) from None
    sampler_seeds = np.random.SeedSequence(random_seed)
    seed = int(sampler_seeds.generate_state(1)[0])
    settings = {"draws": int(draws), "tune": int(tune), "chains": int(chains)}
    model_name = format_model(terms, lists)
    problems: list[str] = []
    if sampler == "pymc":
        coef, stats, caught = _sample_pymc(X, y, mode, root, precision, cores=int(cores), random_seed=seed, **settings)
        note = caught.describe(f"NUTS sampling of model {model_name!r}")
        if note is not None:
            problems.append(note)
    else:
        coef, stats = sample_hmc(X, y, mode, root, precision, random_seed=seed, **settings)
        # The log density overflowed somewhere on a trajectory: the move is rejected (and counted as
        # divergent), but it says the posterior is badly scaled, as PyTensor's warnings did.
        overflows = int(stats.pop("nonfinite").sum())
        if overflows:
            problems.append(
                f"HMC sampling of model {model_name!r} met floating-point trouble (overflow or invalid values "
                f"of the log density in {overflows} transition{'s' if overflows > 1 else ''}): the posterior "
                f"may be improper or badly scaled"
            )
    expected_dark = np.exp(coef[..., 0])
    if dark_figure == "sampled":
        expected_dark = np.random.default_rng(sampler_seeds.spawn(1)[0]).poisson(expected_dark).astype(float)
    population = data.n_observed + expected_dark
    rhat, ess_bulk, ess_tail = convergence_of_draws(population)
    divergences = int(np.asarray(stats.get("diverging", np.zeros(1))).sum())
    posterior = LoglinearPosterior(
        lists=lists,
        terms=terms,
        model=model_name,
        names=names,
        coef=coef,
        population=population,
        observed=data.n_observed,
        prior=prior,
        # plain values only in the recipe: results are pickled to worker processes before it is built
        idata=Deferred(
            functools.partial(
                _inference_data, names, coef, population, stats, lists, data.dense_counts()[1:], prior.describe()
            )
        ),
        infinite_terms=dropped,
        rhat=rhat,
        ess_bulk=ess_bulk,
        ess_tail=ess_tail,
        divergences=divergences,
        mode=dict(zip(names, map(float, mode))),
        sampler={"sampler": sampler, **settings, "seed": seed, "dark_figure": dark_figure},
        sampler_problems=tuple(problems),
    )
    for problem in posterior.convergence_problems():
        if chains == 1 and problem.startswith("R-hat"):
            continue
        warn(f"model {posterior.model!r}: {problem}.", ConvergenceWarning)
    return posterior


def _inference_data(
    names: list[str],
    coef: np.ndarray,
    population: np.ndarray,
    stats: dict[str, np.ndarray],
    lists: tuple[str, ...],
    counts: np.ndarray,
    prior: dict[str, Any],
) -> Any:
    posterior = {"N": population, **{name: coef[..., k] for k, name in enumerate(names)}}
    t = len(lists)
    histories = [format(code, f"0{t}b") for code in range(1, 1 << t)]
    return backend.inference_data(
        posterior=posterior,
        sample_stats=stats,
        observed_data={"counts": counts},
        coords={"history": histories},
        dims={"counts": ["history"]},
        attrs={"lists": list(lists), **{k: str(v) for k, v in prior.items()}},
    )
