"""Bayesian model averaging over decomposable graphical models (Madigan & York, 1997)."""

from mse.bayes.graphical.estimator import dga, fit_dga
from mse.bayes.graphical.graphs import DecomposableGraphs, decomposable_graphs
from mse.bayes.graphical.sensitivity import plot_prior_sensitivity, prior_sensitivity

__all__ = [
    "DecomposableGraphs",
    "decomposable_graphs",
    "dga",
    "fit_dga",
    "plot_prior_sensitivity",
    "prior_sensitivity",
]
