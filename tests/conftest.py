"""Shared fixtures: the reference values from the R packages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REFERENCE = Path(__file__).parent / "reference" / "reference_estimates.csv"


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    """Estimates computed with the R packages (see tests/reference/README.md)."""
    return pd.read_csv(REFERENCE)
