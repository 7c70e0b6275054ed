"""The Bayesian methods (:mod:`mse.bayes`) with their options.

Importing this module imports no sampler: PyMC, PyTensor and ArviZ are
imported by :mod:`mse.bayes.backend` when a method runs. Each method has only
the posterior interval (``interval="posterior"``, the default).

The settings every sampler shares are named as PyMC names them (``draws``,
``tune``, ``chains``; :data:`mse.bayes.backend.SETTING_NAMES`). Their former
names ``n_draws``, ``n_burnin`` and ``n_chains`` are still taken by
:func:`mse.estimate`, with an :class:`~mse.MSEDeprecationWarning`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from mse.bayes.backend import DEPRECATED_SETTING_NAMES
from mse.methods.base import Method
from mse.methods.fields import option, specification

__all__ = ["DGA", "LCMCR", "BayesLoglinear", "BayesThresh"]


@specification
class Sampler:
    """The settings every Markov chain Monte Carlo sampler of the library shares."""

    former_names: ClassVar[frozenset[str]] = frozenset(DEPRECATED_SETTING_NAMES)

    draws: int = option(500, "Draws kept per chain.")
    tune: int = option(500, "Warm-up (tuning) iterations per chain, discarded.")
    chains: int = option(4, "Chains, started apart; R-hat compares them, so at least 2.")


@specification
class LCMCR(Method):
    """The non-parametric latent-class model (LCMCR) of Manrique-Vallier (2016).

    People belong to latent classes; within a class, captures on the lists
    are independent. The class weights have a truncated stick-breaking
    (Dirichlet-process) prior, so the data choose how many classes they need;
    the prior on ``N`` is ``p(N) ~ 1/N``. By default the model is fitted by
    Hamiltonian Monte Carlo on the posterior with the classes and ``N``
    summed out (many chains at once, with parallel tempering), drawing until
    ``N`` has converged: R-hat at most 1.01 and bulk effective sample size at
    least 400 (:data:`mse.bayes.backend.CONVERGENCE`). The run is set in
    draws, not seconds, so the same seed gives the same draws on any machine.
    See :func:`mse.bayes.latent_class.estimator.lcmcr` for the result.

    References
    ----------
    Geyer, C. J. (1991). Markov chain Monte Carlo maximum likelihood. In
    *Computing Science and Statistics: Proceedings of the 23rd Symposium on the
    Interface*, 156-163. (The parallel tempering of ``n_temperatures``.)

    Manrique-Vallier, D. (2016). Bayesian population size estimation using
    Dirichlet process mixtures. *Biometrics* 72(3), 1054-1063.

    Examples
    --------
    >>> import mse
    >>> res = mse.methods.LCMCR(K=5).fit(mse.load_dataset("kosovo"), random_seed=1)  # doctest: +SKIP
    >>> round(res.estimate, -2)  # doctest: +SKIP
    10400.0
    """

    name = "lcmcr"
    estimator = "mse.bayes.latent_class.estimator:lcmcr"
    own_budget = True
    former_names = frozenset(DEPRECATED_SETTING_NAMES)

    sampler: Literal["hmc", "gibbs"] = option(
        "hmc",
        """
        ``"hmc"``, or ``"gibbs"`` for the data-augmentation Gibbs sampler of
        the paper with collapsed moves on the unobserved people.
        """,
    )
    K: int = option(10, "Number of latent classes of the truncated prior, at least 2.")
    a_alpha: float = option(
        0.25, "Shape of the gamma prior on the stick-breaking concentration ``alpha`` (rate ``b_alpha``)."
    )
    b_alpha: float = option(0.25, "Rate of the gamma prior on ``alpha``.")
    a_lambda: float = option(1.0, "First parameter of the beta prior on every capture probability.")
    b_lambda: float = option(1.0, "Second parameter of the beta prior on every capture probability.")
    chains: int = option(
        16,
        """
        Chains of the posterior, run together (each with
        ``n_temperatures - 1`` tempered companions under the HMC sampler); at
        least 2, since R-hat compares chains.
        """,
    )
    tune: int | None = option(None, "Warm-up iterations per chain (``None``: 500 for HMC, 3,000 for Gibbs).")
    draws: int | None = option(
        None,
        """
        Draws kept per chain. ``None`` draws in blocks until R-hat and ESS of
        ``N`` reach their thresholds (checked after fixed numbers of draws),
        or until ``max_draws`` draws per chain.
        """,
    )
    max_draws: int | None = option(
        None,
        """
        The budget of draws per chain of an adaptive run; ``None`` for the
        sampler's (100,000 for HMC, 200,000 for Gibbs).
        """,
    )
    max_seconds: float | None = option(
        None,
        """
        A time budget for an adaptive run, in seconds including warm-up; none
        by default. A run that it cuts short keeps its draws, but its status
        is not ``"ok"`` and names ``max_seconds``, with
        ``details["stop_reason"] == "max_seconds"`` and a warning, even if
        ``N`` looked converged: its length depended on the speed of the machine.
        """,
    )
    thin: int = option(1, "Keep every ``thin``-th iteration.")
    n_leapfrog: int = option(
        48,
        """
        Mean number of leapfrog steps per HMC iteration (each trajectory draws
        its length between half and one and a half times this).
        """,
    )
    n_temperatures: int = option(
        4,
        """
        Temperatures of the parallel tempering of the HMC chains; each chain
        exchanges states with companions whose likelihood is raised to powers
        down to ``1 / max_temperature``, which carries it between modes of
        the posterior (1 switches tempering off).
        """,
    )
    max_temperature: float = option(4.0, "The highest temperature of the tempering, above 1.")
    tempered_leapfrog: int | None = option(
        None,
        """
        Mean number of leapfrog steps of the tempered companions' trajectories
        (``None``: a quarter of ``n_leapfrog``); they need only move far
        enough between exchanges to carry the chains between modes.
        """,
    )
    n_threads: int | None = option(
        None, "Threads that run the HMC chains (``None``: one per available core); the draws do not depend on it."
    )
    collapsed_steps: int = option(
        2, "Collapsed Metropolis moves per Gibbs iteration (0 gives the plain Gibbs sampler)."
    )


@specification
class DGA(Method):
    """Bayesian model averaging over decomposable graphical models (Madigan & York 1997).

    Every decomposable graph on the lists is a log-linear model of list
    dependence with a hyper-Dirichlet prior on its cell probabilities; the
    graphs are equally likely a priori. The joint posterior of (graph, ``N``)
    is computed exactly on a grid of ``N``, so there is no Monte Carlo error
    in the estimate or the interval. From 2 to 7 lists. See
    :func:`mse.bayes.graphical.dga` for the result.

    References
    ----------
    Dawid, A. P. and Lauritzen, S. L. (1993). Hyper Markov laws in the
    statistical analysis of decomposable graphical models. *Annals of
    Statistics* 21(3), 1272-1317.

    Madigan, D. and York, J. C. (1997). Bayesian methods for estimation of the
    size of a closed population. *Biometrika* 84(1), 19-31.

    Examples
    --------
    >>> import mse
    >>> res = mse.methods.DGA().fit(mse.load_dataset("kosovo"), random_seed=1)
    >>> round(res.estimate), round(res.lower), round(res.upper)
    (12595, 9827, 16544)
    """

    name = "dga"
    estimator = "mse.bayes.graphical.estimator:dga"
    former_names = frozenset({"n_draws"})

    delta: float | None = option(
        None,
        """
        Hyper-Dirichlet weight of each cell of the complete ``2**t`` table
        (``None``: ``2**-t``); the marginal table of ``k`` lists then has
        weight ``delta * 2**(t-k)`` per cell. It changes which graphs are
        favoured and can move the estimate a lot; report
        :func:`~mse.bayes.graphical.sensitivity.prior_sensitivity`.
        """,
    )
    prior: Literal["1/N", "inverse", "uniform", "negative_binomial"] = option(
        "1/N",
        """
        Prior on ``N``: proportional to ``1/N`` (``"inverse"`` is an alias);
        flat; or Madigan & York's negative binomial (``prior_params``).
        """,
    )
    prior_params: Mapping[str, float] | None = option(
        None,
        """
        For ``"negative_binomial"``: ``{"a": shape, "b": scale}``, the
        gamma-Poisson mixture ``N ~ Poisson(lambda)``,
        ``lambda ~ Gamma(shape=a, scale=b)``, that is
        ``p(N) = Gamma(N + a) / (Gamma(a) N!) * b**N / (1 + b)**(N + a)``,
        with mean ``a b`` and variance ``a b (1 + b)``. Madigan & York's
        spina bifida prior is ``{"a": 13.14, "b": 55.17}`` (mean 725, sd 202).
        """,
    )
    max_n: int | None = option(None, "Truncate the prior at ``N <= max_n`` (and end the grid there); none by default.")
    draws: int = option(
        4000,
        "Posterior draws of ``N`` returned in ``Estimate.draws``, taken from the exact grid posterior.",
    )
    max_points: int = option(
        20_000,
        """
        Most points at which the posterior density is computed exactly
        (nodes); between them it is interpolated, and nodes are added where
        the posterior has mass until the median and limits move by at most
        half a person or 0.01 %, or until every node interval there is one
        person wide (the exact integer posterior).
        """,
    )


@specification
class BayesLoglinearOptions(Sampler):
    """The options of the Bayesian log-linear models, sampled by HMC (or by PyMC's NUTS)."""

    draws: int = option(
        1000,
        """
        Draws kept per chain. Draws of the default sampler cost little, and
        with 1,000 the chance excursions of R-hat of ``N`` stay below 1.01
        (with 500 about one fit in 100-300 crossed it, a false alarm).
        """,
    )

    model: str | Sequence[Any] = option(
        "all two-way",
        """
        The model's interaction terms (``"A:B + B:C"``, ``"all two-way"``;
        see :func:`mse.loglinear.model.terms.parse_model`); for ``BayesThresh`` the
        candidate terms.
        """,
    )
    prior: Literal["normal", "flat"] = option(
        "normal", 'Independent normal priors on the coefficients, or ``"flat"`` (improper uniform).'
    )
    prior_sd: float | None = option(
        None, "Standard deviation of the normal prior on the interactions (``None``: 1); or give ``prior_var``."
    )
    prior_var: float | None = option(None, "Variance of the normal prior on the interactions, instead of ``prior_sd``.")
    main_sd: float = option(100.0, "Prior standard deviation of the intercept and main effects.")
    dark_figure: Literal["expected", "sampled"] = option(
        "expected",
        """
        ``"expected"``: ``N = n + exp(intercept)``; ``"sampled"``: a Poisson
        draw of the people on no list is added to each draw.
        """,
    )
    sampler: Literal["hmc", "pymc"] = option(
        "hmc",
        """
        ``"hmc"``: Hamiltonian Monte Carlo with compiled transitions, in
        coordinates whitened at the posterior mode, its step size and metric
        tuned during ``tune``; no PyMC, a fraction of a second per fit.
        ``"pymc"``: PyMC's NUTS on the same posterior, the reference the
        default is tested against (slower; compiles a PyTensor graph on first
        use in a process).
        """,
    )
    cores: int = option(1, 'Processes PyMC samples the chains on (``sampler="pymc"`` only).')


@specification
class BayesLoglinear(BayesLoglinearOptions, Method):
    """Population size from the posterior of one Bayesian log-linear model (Silverman 2020).

    The posterior median of ``N`` with an equal-tailed interval; see
    :func:`mse.bayes.loglinear.bayes_loglinear` for the result.

    References
    ----------
    Silverman, B. W. (2020). Multiple-systems analysis for the quantification
    of modern slavery: classical and Bayesian approaches. *Journal of the
    Royal Statistical Society A* 183(3), 691-736.

    Examples
    --------
    >>> import mse
    >>> res = mse.methods.BayesLoglinear(draws=1000).fit(mse.load_dataset("kosovo"), random_seed=1)  # doctest: +SKIP
    """

    name = "bayes_loglinear"
    estimator = "mse.bayes.loglinear:bayes_loglinear"


@specification
class BayesThresh(BayesLoglinearOptions, Method):
    """Silverman's (2020) Bayesian thresholding of interactions, then a Bayesian fit of the terms kept.

    Every candidate interaction is fitted under the prior; a term is kept
    when ``|posterior mean| / posterior sd >= threshold``, and the model of
    the kept terms is refitted with the same prior. The interval is
    conditional on the terms kept. See :func:`mse.bayes.loglinear.bayesthresh`
    for the result, and :class:`BayesLoglinear` for the reference.

    Examples
    --------
    Keep only the interactions at least three posterior standard deviations
    from zero, with a tighter prior on them:

    >>> import mse
    >>> method = mse.methods.BayesThresh(threshold=3, prior_sd=0.5)
    >>> method.fit(mse.load_dataset("kosovo"), random_seed=1).details["retained_terms"]  # doctest: +SKIP
    """

    name = "bayesthresh"
    estimator = "mse.bayes.loglinear:bayesthresh"

    threshold: float = option(2.0, "Keep a term whose posterior mean is at least this many posterior sds from 0.")
