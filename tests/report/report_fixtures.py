"""Data shared by the report tests."""

from __future__ import annotations

import mse
from mse.data.synthetic import generate_covariate_population

SECTIONS = [
    "summary", "data", "search", "estimate", "linkage",
    "breakdowns", "change", "diagnostics", "assumptions", "provenance",
]


def yearly_population(random_seed: int = 3) -> mse.CaptureData:
    """Three lists over three years and two sexes; the population grows by about 20 % a year."""
    return generate_covariate_population(
        ["A", "B", "C"],
        {"year": [2016, 2017, 2018], "sex": ["f", "m"]},
        log_dark=lambda cell: 5.0 + 0.2 * (cell["year"] - 2016) + (0.3 if cell["sex"] == "f" else 0.0),
        list_effects=lambda cell: [-1.0, -1.2, -0.8],
        random_seed=random_seed,
    ).data
