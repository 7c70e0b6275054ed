"""The compiled HMC sampler of the Bayesian log-linear models against exact posteriors and PyMC's NUTS.

* Exact: when every cell has its own coefficient (``X`` the identity), the posterior factorises into
  one-dimensional posteriors ``p(beta) ~ exp(y beta - exp(beta)) N(beta; 0, sd**2)``, whose quantiles are
  computed here by quadrature; with a flat prior ``exp(beta)`` is Gamma(y, 1) exactly.
* Reference: PyMC's NUTS on the same whitened posterior (``sampler="pymc"``), compared on the posterior of
  ``N`` (median, 2.5 % and 97.5 % quantiles) within Monte Carlo error, judged from both runs' effective
  sample sizes.
"""

from __future__ import annotations

import math
import pickle
import warnings
from statistics import NormalDist

import numpy as np
import pytest
from scipy import integrate, stats

import mse
from mse.bayes.backend import convergence_of_draws
from mse.bayes.loglinear import bayes_loglinear, fit_posterior
from mse.bayes.loglinear.hmc import sample_hmc
from mse.bayes.loglinear.posterior import posterior_mode

#: Monte Carlo standard errors allowed between a sampler and the truth (or another sampler).
Z = 4.0


def _quantile_se(draws: np.ndarray, q: float, ess: float) -> float:
    """Monte Carlo standard error of the q-quantile of roughly normal draws with ``ess`` effective draws."""
    z = NormalDist().inv_cdf(q)
    return float(np.std(draws) * math.sqrt(q * (1 - q)) / NormalDist().pdf(z) / math.sqrt(ess))


def _exact_quantiles(y: float, precision: float, probs: tuple[float, ...]) -> list[float]:
    """Quantiles of ``p(beta) ~ exp(y beta - exp(beta) - precision beta**2 / 2)`` by quadrature."""
    grid = np.linspace(-12.0, 8.0, 200_001)
    log_density = y * grid - np.exp(grid) - 0.5 * precision * grid**2
    density = np.exp(log_density - log_density.max())
    cdf = integrate.cumulative_trapezoid(density, grid, initial=0.0)
    cdf /= cdf[-1]
    return [float(np.interp(p, cdf, grid)) for p in probs]


def _independent_cells(y: np.ndarray, precision: np.ndarray, **settings: int) -> np.ndarray:
    X = np.eye(len(y))
    start = np.log(np.maximum(y, 0.5))
    mode, hessian, converged = posterior_mode(X, y, precision, start)
    assert converged
    root = np.linalg.cholesky(np.linalg.inv(hessian))
    coef, stats_ = sample_hmc(X, y, mode, root, precision, **settings)
    assert not stats_["diverging"].any()
    return coef


def test_independent_cells_match_their_exact_posteriors():
    y = np.array([2.0, 20.0, 150.0, 0.0])
    precision = np.array([1.0, 0.0, 0.25, 1.0])  # N(0, 1), flat, N(0, 4) and N(0, 1) with an empty cell
    coef = _independent_cells(y, precision, draws=1000, tune=500, chains=4, random_seed=7)
    probs = (0.025, 0.5, 0.975)
    for k in range(len(y)):
        draws = coef[..., k]
        rhat, ess, _ = convergence_of_draws(draws)
        assert rhat < 1.01 and ess > 1000
        exact = _exact_quantiles(y[k], precision[k], probs)
        for p, value in zip(probs, exact):
            assert np.quantile(draws, p) == pytest.approx(value, abs=Z * _quantile_se(draws, p, ess)), (k, p)


def test_flat_prior_gives_the_gamma_posterior_of_the_mean():
    # y ~ Poisson(mu) with a flat prior on log mu: mu | y ~ Gamma(y, 1)
    coef = _independent_cells(np.array([12.0]), np.zeros(1), draws=2000, tune=500, chains=4, random_seed=3)
    mu = np.exp(coef[..., 0])
    _, ess, _ = convergence_of_draws(mu)
    # a KS test on dependent draws, with the sample size taken as the effective one
    statistic = stats.kstest(mu.ravel(), stats.gamma(12.0).cdf).statistic
    assert statistic < 1.63 / math.sqrt(ess)  # the 1 % critical value


def test_same_seed_same_draws_and_any_chain_count():
    data = mse.load_dataset("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.ConvergenceWarning)
        first = fit_posterior(data, "EXH:ABA", random_seed=11, draws=200, tune=100, chains=3)
        second = fit_posterior(data, "EXH:ABA", random_seed=11, draws=200, tune=100, chains=3)
        other = fit_posterior(data, "EXH:ABA", random_seed=12, draws=200, tune=100, chains=3)
    np.testing.assert_array_equal(first.coef, second.coef)
    assert not np.array_equal(first.coef, other.coef)
    assert first.coef.shape == (3, 200, len(first.names))
    assert first.sampler["sampler"] == "hmc"


def test_short_warm_up_and_one_chain_still_sample():
    data = mse.load_dataset("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.ConvergenceWarning)
        for tune in (0, 10):
            res = bayes_loglinear(data, model="EXH:ABA", draws=300, tune=tune, chains=1, random_seed=1)
            assert res.draws.shape == (300,) and np.isfinite(res.draws).all()
            assert math.isnan(res.details["rhat"])  # one chain: no R-hat


def test_unknown_sampler_is_a_model_error():
    with pytest.raises(mse.ModelError, match="sampler"):
        mse.estimate(mse.load_dataset("kosovo"), method="bayes_loglinear", sampler="nuts")


def test_idata_is_built_when_read_and_saved_with_the_result(tmp_path):
    res = bayes_loglinear(mse.load_dataset("kosovo"), model="EXH:ABA", random_seed=2)
    copy = res.with_updates(status=res.status)
    # results travel to worker processes before anyone reads idata: the recipe must pickle
    shipped = pickle.loads(pickle.dumps(res))
    assert shipped.idata.posterior["N"].equals(res.idata.posterior["N"])
    posterior = res.idata.posterior
    np.testing.assert_allclose(posterior["N"].values.ravel(), res.draws)
    assert {"acceptance_rate", "step_size", "n_steps", "diverging"} <= set(res.idata.sample_stats.data_vars)
    assert copy.idata.posterior["N"].equals(posterior["N"])
    res.save(tmp_path / "hmc.json")
    loaded = mse.load_result(tmp_path / "hmc.json")
    assert loaded.idata.posterior["N"].equals(posterior["N"])


@pytest.mark.slow
def test_hmc_and_pymc_agree_on_the_posterior_of_n():
    data = mse.load_dataset("kosovo")
    runs = {
        sampler: bayes_loglinear(data, model="all two-way", sampler=sampler, draws=1000, random_seed=21)
        for sampler in ("hmc", "pymc")
    }
    for res in runs.values():
        assert res.ok, res.status
    fast, reference = runs["hmc"], runs["pymc"]
    assert fast.details["sampler"] == "hmc" and reference.details["sampler"] == "pymc"
    for q in (0.025, 0.5, 0.975):
        se = math.hypot(
            _quantile_se(fast.draws, q, fast.details["ess_bulk"]),
            _quantile_se(reference.draws, q, reference.details["ess_bulk"]),
        )
        assert np.quantile(fast.draws, q) == pytest.approx(np.quantile(reference.draws, q), abs=Z * se), q
