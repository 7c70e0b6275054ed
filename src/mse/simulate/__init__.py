"""Simulation of capture data from populations of known size.

A :class:`Scenario` describes a population and its lists declaratively;
:func:`generate` draws a :class:`~mse.CaptureData` and the :class:`Truth` it
came from. Studies over many scenarios, replicates and methods are run by
:func:`mse.benchmark.run`.
"""

from mse.simulate.generate import Truth, cell_probabilities, generate, history_matrix
from mse.simulate.scenario import HETEROGENEITY_KINDS, Scenario

__all__ = ["HETEROGENEITY_KINDS", "Scenario", "Truth", "cell_probabilities", "generate", "history_matrix"]
