"""Intervals for ``N`` from log-linear models: Wald and profile likelihood, and the bootstrap family.

* :mod:`~mse.loglinear.intervals.likelihood`: under a fixed model, the Wald
  (log-normal) interval and the profile-likelihood interval, the one
  implementation the closed-population family uses too.
* :mod:`~mse.loglinear.intervals.bootstrap`: the parametric bootstrap, BCa
  with the model selection repeated in every replicate, and the top-model
  bootstrap (:func:`bootstrap_interval`).
"""

from mse.loglinear.intervals.bootstrap import (
    CHUNK_SIZE,
    DEFAULT_N_TOP,
    FAILURE_THRESHOLD,
    KINDS,
    MAX_RESELECTION_FITS,
    BootstrapResult,
    bca_limits,
    bootstrap_interval,
    hierarchical_models,
    jackknife_acceleration,
    percentile_limits,
    top_models_of_search,
)
from mse.loglinear.intervals.likelihood import (
    NO_UPPER_LIMIT,
    IntervalResult,
    ProfileInterval,
    likelihood_ratio_interval,
    multinomial_profile,
    profile_interval,
    wald_interval,
)

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_N_TOP",
    "FAILURE_THRESHOLD",
    "KINDS",
    "MAX_RESELECTION_FITS",
    "NO_UPPER_LIMIT",
    "BootstrapResult",
    "IntervalResult",
    "ProfileInterval",
    "bca_limits",
    "bootstrap_interval",
    "hierarchical_models",
    "jackknife_acceleration",
    "likelihood_ratio_interval",
    "multinomial_profile",
    "percentile_limits",
    "profile_interval",
    "top_models_of_search",
    "wald_interval",
]
