"""Log-linear models on lists x covariates: their fit and search, EM, the breakdown bootstrap, rates.

The table and design of these models are those of every log-linear model
(:mod:`mse.loglinear.model`); what is particular to covariates is here.

* :mod:`~mse.loglinear.covariates.model_fit`: one model's fit, the dark figure
  of every complete covariate cell (:class:`CovariateFit`).
* :mod:`~mse.loglinear.covariates.model_search`: BIC, AIC and BIC-then-AIC
  searches over the two-factor terms of lists and covariates.
* :mod:`~mse.loglinear.covariates.em`: EM for records that lack some covariate values.
* :mod:`~mse.loglinear.covariates.breakdown`: the parametric bootstrap of the
  total and of every level from one set of replicates.
* :mod:`~mse.loglinear.covariates.reselection`: the bootstrap that
  resamples the people and repeats EM and the model search in every replicate.
* :mod:`~mse.loglinear.covariates.profile`: the profile-likelihood interval of a fixed model.
* :mod:`~mse.loglinear.covariates.population_rates`: rates per 100,000 residents by level.
* :mod:`~mse.loglinear.covariates.estimators`: the estimators of
  :func:`mse.estimate` on data with covariates.
"""

from mse.loglinear.covariates import (
    breakdown,
    em,
    estimators,
    model_fit,
    model_search,
    population_rates,
    profile,
    reselection,
)
from mse.loglinear.covariates.breakdown import *  # noqa: F403 (the module's __all__)
from mse.loglinear.covariates.em import *  # noqa: F403 (the module's __all__)
from mse.loglinear.covariates.estimators import *  # noqa: F403 (the module's __all__)
from mse.loglinear.covariates.model_fit import *  # noqa: F403 (the module's __all__)
from mse.loglinear.covariates.model_search import *  # noqa: F403 (the module's __all__)
from mse.loglinear.covariates.population_rates import *  # noqa: F403 (the module's __all__)
from mse.loglinear.covariates.profile import *  # noqa: F403 (the module's __all__)
from mse.loglinear.covariates.reselection import *  # noqa: F403 (the module's __all__)

__all__ = [
    *model_fit.__all__,
    *model_search.__all__,
    *em.__all__,
    *breakdown.__all__,
    *population_rates.__all__,
    *reselection.__all__,
    *profile.__all__,
    *estimators.__all__,
]
