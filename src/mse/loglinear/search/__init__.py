"""Choosing a log-linear model: the searches on one table, the same rules over many tables, BIC averaging.

* :mod:`~mse.loglinear.search.model_search`: stepwise (Chan, Silverman &
  Vincent 2021), exhaustive by AIC or BIC, greedy and BIC-then-AIC searches,
  each giving a :class:`mse.ModelSearch` (:func:`select_model`).
* :mod:`~mse.loglinear.search.reselection`: the same selection rules repeated
  on many count tables at once (bootstrap replicates, :func:`select_batch`).
* :mod:`~mse.loglinear.search.averaging`: BIC weights and the BIC-weighted
  average of ``N`` over models.
"""

from mse.loglinear.search.averaging import AVERAGE_INTERVALS, FitBlock, averaged_fits, bic_average, bic_weights
from mse.loglinear.search.model_search import (
    bic_aic_search,
    check_max_order,
    check_p_threshold,
    check_stepwise_order,
    default_max_order,
    enumerate_models,
    exclude_infinite,
    exhaustive_search,
    forward_candidates,
    greedy_search,
    select_model,
    stepwise_paths,
    stepwise_search,
)
from mse.loglinear.search.reselection import (
    ROWS_PER_BLOCK,
    BatchSelection,
    averaged_models_batch,
    best_fits,
    best_models_batch,
    fit_models_batch,
    forward_paths,
    parse_models,
    select_batch,
)

__all__ = [
    "AVERAGE_INTERVALS",
    "ROWS_PER_BLOCK",
    "BatchSelection",
    "FitBlock",
    "averaged_fits",
    "averaged_models_batch",
    "best_fits",
    "best_models_batch",
    "bic_aic_search",
    "bic_average",
    "bic_weights",
    "check_max_order",
    "check_p_threshold",
    "check_stepwise_order",
    "default_max_order",
    "enumerate_models",
    "exclude_infinite",
    "exhaustive_search",
    "fit_models_batch",
    "forward_candidates",
    "forward_paths",
    "greedy_search",
    "parse_models",
    "select_batch",
    "select_model",
    "stepwise_paths",
    "stepwise_search",
]
