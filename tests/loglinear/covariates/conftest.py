"""Shared data for the tests of covariate models."""

from __future__ import annotations

import pytest

import mse
from mse.data.synthetic import generate_covariate_population


@pytest.fixture(scope="module")
def spina():
    return mse.load_dataset("spina_bifida_ethnicity")


@pytest.fixture(scope="module")
def missing_group():
    """Three lists and a two-level covariate that is missing more often for people not on list A."""
    return generate_covariate_population(
        ["A", "B", "C"],
        {"group": ["a", "b"]},
        lambda cell: 5.5,
        lambda cell: [-1.0 if cell["group"] == "a" else 0.0, -1.0, -1.2],
        missing=lambda history: {"group": 0.1 if history[0] else 0.4},
        random_seed=5,
    ).data
