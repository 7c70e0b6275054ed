"""Choosing a log-linear model: the searches on one table, the same rules over many tables, BIC averaging.

* :mod:`~mse.loglinear.search.model_search`: stepwise (Chan, Silverman &
  Vincent 2021), exhaustive by AIC or BIC, greedy and BIC-then-AIC searches,
  each giving a :class:`mse.ModelSearch` (:func:`select_model`).
* :mod:`~mse.loglinear.search.reselection`: the same selection rules repeated
  on many count tables at once (bootstrap replicates, :func:`select_batch`).
* :mod:`~mse.loglinear.search.averaging`: BIC weights and the BIC-weighted
  average of ``N`` over models.
"""

from mse.loglinear.search import averaging, model_search, reselection
from mse.loglinear.search.averaging import *  # noqa: F403 (the module's __all__)
from mse.loglinear.search.model_search import *  # noqa: F403 (the module's __all__)
from mse.loglinear.search.reselection import *  # noqa: F403 (the module's __all__)

__all__ = [*model_search.__all__, *reselection.__all__, *averaging.__all__]
