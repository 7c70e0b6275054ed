"""Bayesian log-linear models fitted with PyMC, and Silverman's (2020) Bayesian thresholding.

:func:`bayes_loglinear` and :func:`bayesthresh` are the estimators behind
``mse.estimate(data, method="bayes_loglinear")`` and ``method="bayesthresh"``;
:func:`fit_posterior` is the sampler they share, and
:func:`prior_sensitivity_loglinear` refits over a range of prior variances.
PyMC and ArviZ are imported only when a model is fitted.
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
