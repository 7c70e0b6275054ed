"""The latent-class capture-recapture model written in PyMC, for extensions.

The Gibbs sampler in :mod:`mse.bayes.latent_class.gibbs` is the fast way to
fit the model of Manrique-Vallier (2016). This formulation is the same model
in PyMC, so that it can be changed: informative priors on capture
probabilities, list-specific effects, other priors on ``alpha``.

With ``p(N) ~ 1/N``, summing over ``N`` leaves the conditional likelihood of
the observed histories,

.. math::

    \\prod_h \\left( \\frac{p_h}{1 - p_0} \\right)^{n_h}, \\qquad
    p_h = \\sum_k \\pi_k \\prod_j \\lambda_{jk}^{x_{hj}} (1 - \\lambda_{jk})^{1 - x_{hj}},

with the latent classes summed out. NUTS samples ``(pi, lambda, alpha)``;
afterwards ``n0 | n, p0 ~ NegativeBinomial(n, 1 - p0)`` is drawn for every
posterior draw, which is its exact conditional under ``p(N) ~ 1/N``.
PyMC is imported inside the functions only.
"""

from __future__ import annotations

from typing import Any, Unpack

import numpy as np

from mse.bayes.backend import foreign_calls, import_pymc, import_pytensor_tensor
from mse.bayes.latent_class.prior import LatentClassPrior, LatentClassPriorOptions
from mse.errors import ConvergenceWarning, warn

__all__ = ["build_model", "sample_pymc"]


def build_model(histories: np.ndarray, counts: np.ndarray, **prior: Unpack[LatentClassPriorOptions]) -> Any:
    """The PyMC model of the observed histories, classes and ``N`` summed out.

    Parameters
    ----------
    histories, counts, **prior
        As in :func:`mse.bayes.latent_class.gibbs.sample_latent_class`: the
        distinct observed histories, their counts, and ``K``, ``a_alpha``,
        ``b_alpha``, ``a_lambda`` and ``b_lambda`` of the
        :class:`~mse.bayes.latent_class.prior.LatentClassPrior`.

    Returns
    -------
    pymc.Model
        With free variables ``alpha``, ``sticks`` (``K - 1``) and ``lam``
        (``J x K``), and deterministics ``pi`` and ``p0``.

    References
    ----------
    Manrique-Vallier, D. (2016). Bayesian population size estimation using
    Dirichlet process mixtures. *Biometrics* 72(3), 1054-1063.

    Examples
    --------
    Building the model imports PyMC, which takes seconds, so the example is not run in the tests:

    >>> import numpy as np
    >>> import mse
    >>> from mse.bayes.latent_class.pymc_model import build_model
    >>> data = mse.load_dataset("korea")
    >>> model = build_model(np.asarray(data.histories), np.asarray(data.counts), K=5)  # doctest: +SKIP
    >>> sorted(variable.name for variable in model.free_RVs)  # doctest: +SKIP
    ['alpha', 'lam', 'sticks']
    """
    pm = import_pymc()
    pt = import_pytensor_tensor()

    x = np.asarray(histories, dtype=float)
    n_h = np.asarray(counts, dtype=float)
    n_lists = x.shape[1]
    model_prior = LatentClassPrior(**prior)
    with pm.Model() as model:
        alpha = pm.Gamma("alpha", alpha=model_prior.a_alpha, beta=model_prior.b_alpha)
        sticks = pm.Beta("sticks", alpha=1.0, beta=alpha, shape=model_prior.K - 1)
        remaining = pt.concatenate([pt.ones(1), pt.cumprod(1.0 - sticks)])
        pi = pm.Deterministic("pi", pt.concatenate([sticks, pt.ones(1)]) * remaining)
        lam = pm.Beta("lam", alpha=model_prior.a_lambda, beta=model_prior.b_lambda, shape=(n_lists, model_prior.K))
        log_f = pt.dot(x, pt.log(lam)) + pt.dot(1.0 - x, pt.log1p(-lam))  # (H, K)
        log_p_h = pt.logsumexp(log_f + pt.log(pi)[None, :], axis=1)
        log_p0 = pt.logsumexp(pt.log(pi) + pt.sum(pt.log1p(-lam), axis=0))
        pm.Deterministic("p0", pt.exp(log_p0))
        # log(1 - p0) computed stably from log p0.
        log_capture = pt.log1p(-pt.exp(log_p0))
        pm.Potential("conditional_likelihood", pt.sum(n_h * log_p_h) - n_h.sum() * log_capture)
    return model


def sample_pymc(
    histories: np.ndarray,
    counts: np.ndarray,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    random_seed: int | None = None,
    **options: Any,
) -> Any:
    """Sample the PyMC formulation with NUTS and add ``n0`` and ``N`` to the posterior.

    Parameters
    ----------
    histories, counts
        As in :func:`build_model`.
    draws, tune, chains : int
        Passed to :func:`pymc.sample`.
    random_seed : int or None
        Seeds NUTS and the negative-binomial draws of ``n0``.
    **options
        The prior (``K``, ``a_alpha``, ``b_alpha``, ``a_lambda``,
        ``b_lambda``, as in :func:`build_model`); the others are passed to
        :func:`pymc.sample` (``target_accept``, ``cores``, ...).

    Returns
    -------
    arviz.InferenceData
        The posterior of ``alpha``, ``sticks``, ``lam``, ``pi``, ``p0``, plus
        ``n0`` and ``N``.

    Warns
    -----
    ConvergenceWarning
        When PyMC or PyTensor warned while sampling (floating-point trouble in
        the log density, ...); their own warnings and log messages are not
        passed on, and the progress bar is off unless ``progressbar=True``.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    >>> idata = sample_pymc(h, [60, 50, 40, 20, 15, 12, 5], K=2, draws=200, tune=200)  # doctest: +SKIP
    """
    pm = import_pymc()

    counts = np.asarray(counts, dtype=np.int64)
    prior, sample_kwargs = LatentClassPrior.split(options)
    model = build_model(histories, counts, **prior.keywords())
    sample_kwargs.setdefault("progressbar", False)
    sample_kwargs.setdefault("cores", 1)
    with foreign_calls() as caught, model:
        idata = pm.sample(draws=draws, tune=tune, chains=chains, random_seed=random_seed, **sample_kwargs)
    note = caught.describe("NUTS sampling of the latent-class model")
    if note is not None:
        warn(f"{note}; check the draws (divergences, R-hat) before using them.", ConvergenceWarning)
    rng = np.random.default_rng(None if random_seed is None else np.random.SeedSequence([random_seed, 1]))
    p0 = idata.posterior["p0"].values
    n = int(counts.sum())
    n0 = rng.negative_binomial(n, np.clip(1.0 - p0, 1e-12, 1.0))
    idata.posterior["n0"] = (("chain", "draw"), n0)
    idata.posterior["N"] = (("chain", "draw"), n0 + n)
    return idata
