"""Hierarchical log-linear models for multiple-systems estimation.

The subpackages go from what a model is to what is reported about it; each
imports only from those before it:

* :mod:`mse.loglinear.model`: model terms and the parser, the capture table
  (observable histories by covariate cell) and the design columns;
* :mod:`mse.loglinear.fit`: the Newton solver, one model's fit and its result
  type, many fits at once with status labels, existence and identifiability,
  the bias-reduced estimate;
* :mod:`mse.loglinear.search`: model searches on one table, the same rules on
  many tables, BIC averaging;
* :mod:`mse.loglinear.intervals`: Wald, profile-likelihood and bootstrap intervals;
* :mod:`mse.loglinear.covariates`: what is particular to models with
  covariates (their fit and search, EM, the breakdown bootstrap, rates);

and, on top, :mod:`mse.loglinear.estimators` (the estimators behind
:func:`mse.estimate`) and :mod:`mse.loglinear.heterogeneity` (the check of
capture heterogeneity every estimate makes).

The documented names are available here, ``mse.loglinear.fit_model`` and so
on; they are imported on first use, so that importing one part of the family
does not import all of it.
"""

from __future__ import annotations

from typing import Any

#: Documented public name -> the module it lives in.
_PUBLIC = {
    "independence": "mse.loglinear.estimators",
    "loglinear": "mse.loglinear.estimators",
    "stepwise": "mse.loglinear.estimators",
    "aic": "mse.loglinear.estimators",
    "bic": "mse.loglinear.estimators",
    "bic_aic": "mse.loglinear.estimators",
    "bic_average": "mse.loglinear.estimators",
    "bic_weights": "mse.loglinear.search.averaging",
    "select_model": "mse.loglinear.search.model_search",
    "fit_model": "mse.loglinear.fit.model_fit",
    "LoglinearFit": "mse.loglinear.fit.model_fit",
    "check_estimability": "mse.loglinear.fit.existence",
    "EstimabilityReport": "mse.loglinear.fit.existence",
    "bias_corrected_fit": "mse.loglinear.fit.bias",
    "count_adjustment": "mse.loglinear.fit.bias",
    "bootstrap_interval": "mse.loglinear.intervals.bootstrap",
    "heterogeneity_check": "mse.loglinear.heterogeneity",
    "HeterogeneityCheck": "mse.loglinear.heterogeneity",
    "rates": "mse.loglinear.covariates.population_rates",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    import importlib

    if name not in _PUBLIC:
        raise AttributeError(f"module 'mse.loglinear' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
