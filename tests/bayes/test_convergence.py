"""The numpy R-hat, bulk and tail ESS against ArviZ's, on chains of every kind the samplers produce."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mse.bayes.backend import import_arviz
from mse.bayes.convergence import ess_bulk, ess_tail, rhat_rank


def _chains(kind: str, rng: np.random.Generator) -> np.ndarray:
    C, n = int(rng.integers(2, 20)), int(rng.integers(4, 700))
    if kind == "independent":
        return rng.normal(size=(C, n))
    if kind == "ties":  # integer draws, like N
        return 10_000 + rng.negative_binomial(50, 0.01, size=(C, n)).astype(float)
    if kind == "few values":
        return rng.poisson(2, size=(C, n)).astype(float)
    # Autocorrelated chains with different means: R-hat well above 1, ESS far below the draws.
    a = rng.uniform(0.5, 0.999)
    x = np.zeros((C, n))
    e = rng.normal(size=(C, n))
    for t in range(1, n):
        x[:, t] = a * x[:, t - 1] + e[:, t]
    return x + rng.normal(size=(C, 1)) * rng.uniform(0.0, 1.0)


@pytest.mark.parametrize("kind", ["independent", "ties", "few values", "autocorrelated"])
def test_rhat_and_bulk_ess_equal_arviz(kind):
    az = import_arviz()
    rng = np.random.default_rng(len(kind))
    for _ in range(25):
        draws = _chains(kind, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected_rhat, expected_ess = float(az.rhat(draws)), float(az.ess(draws, method="bulk"))
            expected_tail = float(az.ess(draws, method="tail"))
        assert rhat_rank(draws) == pytest.approx(expected_rhat, rel=1e-10, abs=1e-10)
        assert ess_bulk(draws) == pytest.approx(expected_ess, rel=1e-10, abs=1e-10)
        assert ess_tail(draws) == pytest.approx(expected_tail, rel=1e-10, abs=1e-10, nan_ok=True)


def test_degenerate_chains_as_arviz():
    az = import_arviz()
    constant = np.ones((4, 10))
    apart = np.r_[np.ones((2, 10)), np.zeros((2, 10))]
    short = np.ones((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for draws in (constant, apart, short):
            np.testing.assert_equal(rhat_rank(draws), float(az.rhat(draws)))
            np.testing.assert_equal(ess_bulk(draws), float(az.ess(draws, method="bulk")))
            np.testing.assert_equal(ess_tail(draws), float(az.ess(draws, method="tail")))
