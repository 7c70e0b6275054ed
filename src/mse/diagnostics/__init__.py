"""Diagnostics: known-truth checks, sensitivity to lists and model space, fit and overlaps."""

from mse.diagnostics.consistency import internal_consistency, list_as_population, trajectory
from mse.diagnostics.sensitivity import sensitivity

__all__ = ["internal_consistency", "list_as_population", "sensitivity", "trajectory"]
