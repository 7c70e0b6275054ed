"""Closed-population capture–recapture: M0, Mt, Mh, Mth, Mb, Mbh, two-list and sample-coverage estimators."""

from mse.closed.table import closed_population_models

__all__ = ["closed_population_models"]
