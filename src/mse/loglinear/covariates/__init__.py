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
* :mod:`~mse.loglinear.covariates.population_rates`: rates per 100,000 residents by level.
* :mod:`~mse.loglinear.covariates.estimators`: the estimators of
  :func:`mse.estimate` on data with covariates.
"""

from mse.loglinear.covariates.breakdown import BootstrapDraws, parametric_bootstrap
from mse.loglinear.covariates.em import EMFits, e_step, fit_em, observed_loglik
from mse.loglinear.covariates.estimators import COVARIATE_INTERVALS, covariate_estimate, uses_covariates
from mse.loglinear.covariates.model_fit import CovariateFit, fit_covariate_model, warm_start
from mse.loglinear.covariates.model_search import covariate_search
from mse.loglinear.covariates.population_rates import rates

__all__ = [
    "COVARIATE_INTERVALS",
    "BootstrapDraws",
    "CovariateFit",
    "EMFits",
    "covariate_estimate",
    "covariate_search",
    "e_step",
    "fit_covariate_model",
    "fit_em",
    "observed_loglik",
    "parametric_bootstrap",
    "rates",
    "uses_covariates",
    "warm_start",
]
