"""Intervals for ``N`` from log-linear models: Wald and profile likelihood, and the bootstrap family.

* :mod:`~mse.loglinear.intervals.likelihood`: under a fixed model, the Wald
  (log-normal) interval and the profile-likelihood interval, the one
  implementation the closed-population family uses too.
* :mod:`~mse.loglinear.intervals.bootstrap`: the parametric bootstrap, BCa
  with the model selection repeated in every replicate, and the top-model
  bootstrap (:func:`bootstrap_interval`).
* :mod:`~mse.loglinear.intervals.reported`: an estimate and its interval as
  the :class:`mse.Estimate` the estimators return.
"""

from mse.loglinear.intervals import bootstrap, likelihood, reported
from mse.loglinear.intervals.bootstrap import *  # noqa: F403 (the module's __all__)
from mse.loglinear.intervals.likelihood import *  # noqa: F403 (the module's __all__)
from mse.loglinear.intervals.reported import *  # noqa: F403 (the module's __all__)

__all__ = [*likelihood.__all__, *bootstrap.__all__, *reported.__all__]
