"""Diagnostics: known-truth checks, sensitivity to lists and model space, fit and overlaps."""

from mse.bayes.modes import find_modes, posterior_modes
from mse.diagnostics.consistency import internal_consistency, list_as_population, trajectory
from mse.diagnostics.fit import GoodnessOfFit, goodness_of_fit
from mse.diagnostics.mcmc import mcmc_diagnostics, plot_rank, plot_trace
from mse.diagnostics.overlaps import OverlapReport, overlap_diagnostics
from mse.diagnostics.sensitivity import sensitivity

__all__ = [
    "GoodnessOfFit",
    "OverlapReport",
    "find_modes",
    "goodness_of_fit",
    "internal_consistency",
    "list_as_population",
    "mcmc_diagnostics",
    "overlap_diagnostics",
    "plot_rank",
    "plot_trace",
    "posterior_modes",
    "sensitivity",
    "trajectory",
]
