"""Bayesian log-linear models and Silverman's (2020) Bayesian thresholding.

:func:`bayes_loglinear` and :func:`bayesthresh` are the estimators behind
``mse.estimate(data, method="bayes_loglinear")`` and ``method="bayesthresh"``;
:func:`fit_posterior` is the sampler they share, and
:func:`prior_sensitivity_loglinear` refits over a range of prior variances.
The posterior is sampled by compiled Hamiltonian Monte Carlo
(:mod:`mse.bayes.loglinear.hmc`), or by PyMC's NUTS with ``sampler="pymc"``;
PyMC is imported only then, and ArviZ only when a result's ``idata`` is read.
"""

from mse.bayes.loglinear.estimators import bayes_loglinear, bayesthresh
from mse.bayes.loglinear.posterior import LoglinearPosterior, Prior, fit_posterior
from mse.bayes.loglinear.sensitivity import plot_prior_sensitivity, prior_sensitivity_loglinear

__all__ = [
    "LoglinearPosterior",
    "Prior",
    "bayes_loglinear",
    "bayesthresh",
    "fit_posterior",
    "plot_prior_sensitivity",
    "prior_sensitivity_loglinear",
]
