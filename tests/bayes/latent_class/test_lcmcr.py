"""The latent-class model (method="lcmcr"): R's LCMCR, simulations with known classes, the Gibbs and HMC
samplers against each other, and the PyMC formulation."""

from __future__ import annotations

import dataclasses
import inspect
import warnings

import numpy as np
import pytest

import mse
from mse.bayes.latent_class.gibbs import sample_latent_class
from mse.bayes.latent_class.hmc import LatentClassHMC, sample_latent_class_hmc

# A short run for the checks that do not need a converged posterior.
QUICK = {"n_chains": 4, "n_draws": 200, "n_burnin": 100}


def _simulate_two_classes(N: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Capture histories of N people from two latent classes on four lists (aggregated, zero row dropped)."""
    rng = np.random.default_rng(seed)
    lam = np.array([[0.25, 0.30, 0.20, 0.30], [0.70, 0.60, 0.75, 0.65]])  # class x list
    z = rng.choice(2, size=N, p=[0.65, 0.35])
    x = (rng.random((N, 4)) < lam[z]).astype(np.uint8)
    histories, counts = np.unique(x, axis=0, return_counts=True)
    seen = histories.any(axis=1)
    return histories[seen], counts[seen]


def _capture_data(histories: np.ndarray, counts: np.ndarray, lists: list[str]) -> mse.CaptureData:
    patterns = {"".join(map(str, h)): int(c) for h, c in zip(histories, counts)}
    return mse.CaptureData.from_patterns(patterns, lists=lists)


def test_kosovo_matches_lcmcr(reference):
    # R, LCMCR 0.4.14 (tests/reference/reference_estimates.csv):
    #   lcmCR(K=10, a_alpha=0.25, b_alpha=0.25, seed=12345)
    #     + lcmCR_PostSampl(burnin=100000, samples=10000, thinning=100)
    #   -> median 10413, 95 % interval [8956, 13910]; with seed=20240601: 10483 [9047, 14213].
    # Monte Carlo error: the posterior sd of N is about 1,400; our default run stops once it has at least
    # 400 effective draws (and R-hat <= 1.01), so the median has a Monte Carlo sd of about
    # 1.25 * 1400 / sqrt(400) = 90 and the 2.5 / 97.5 % quantiles about 2-3 times that. R's two seeds
    # differ by 70 in the median and 300 in the upper limit. Tolerances are about 3 combined Monte Carlo
    # sd: 300 for the median, 450 for the lower limit and 900 for the upper limit (the long right tail).
    rows = reference[(reference.dataset == "kosovo") & (reference.package == "LCMCR")]
    r_median = rows.estimate.mean()
    r_lower = rows.lower.mean()
    r_upper = rows.upper.mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.ConvergenceWarning)
        res = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=2024)
    assert res.ok and res.method == "lcmcr" and res.interval_method == "posterior"
    assert abs(res.estimate - r_median) < 300
    assert abs(res.lower - r_lower) < 450
    assert abs(res.upper - r_upper) < 900
    assert res.details["rhat"] < 1.05
    assert res.details["stop_reason"] == "converged"


def test_simulation_with_known_classes_covers_truth():
    N = 3000
    histories, counts = _simulate_two_classes(N, seed=7)
    data = _capture_data(histories, counts, ["A", "B", "C", "D"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.ConvergenceWarning)
        res = mse.estimate(data, method="lcmcr", random_seed=3)
    assert res.lower <= N <= res.upper
    assert abs(res.estimate - N) < 0.1 * N


def test_collapsed_moves_leave_the_posterior_unchanged():
    # The plain data-augmentation Gibbs sampler of the paper and the sampler with collapsed moves (of the
    # unobserved count of a class, class labels, and people of one history between classes) must target
    # the same posterior. Both runs give about 2,000+ effective draws on this small table;
    # medians agree within 3 % (about 4 Monte Carlo sd).
    histories, counts = _simulate_two_classes(800, seed=11)
    common = {"K": 4, "n_chains": 8, "n_draws": 3000, "n_burnin": 1000}
    plain = sample_latent_class(histories, counts, collapsed_steps=0, random_seed=1, **common)
    collapsed = sample_latent_class(histories, counts, collapsed_steps=2, observed_steps=2, random_seed=2, **common)
    m_plain, m_collapsed = np.median(plain.N), np.median(collapsed.N)
    assert abs(m_plain - m_collapsed) < 0.03 * m_plain
    q_plain = np.quantile(plain.N, [0.1, 0.9])
    q_collapsed = np.quantile(collapsed.N, [0.1, 0.9])
    assert np.allclose(q_plain, q_collapsed, rtol=0.06)


def test_hmc_and_plain_gibbs_agree():
    # The plain data-augmentation Gibbs sampler (classes and N sampled) and HMC on the posterior with
    # classes and N summed out are different algorithms for the same posterior. HMC: 8 x 1500 draws
    # (1,000+ effective); Gibbs as above. Medians within 3 %, deciles within 6 %.
    histories, counts = _simulate_two_classes(800, seed=11)
    plain = sample_latent_class(
        histories, counts, K=4, n_chains=8, n_draws=3000, n_burnin=1000, collapsed_steps=0, random_seed=1
    )
    hmc = sample_latent_class_hmc(histories, counts, K=4, n_chains=8, n_draws=1500, n_burnin=300, random_seed=2)
    m_plain, m_hmc = np.median(plain.N), np.median(hmc.N)
    assert abs(m_plain - m_hmc) < 0.03 * m_plain
    np.testing.assert_allclose(np.quantile(hmc.N, [0.1, 0.9]), np.quantile(plain.N, [0.1, 0.9]), rtol=0.06)


def test_hmc_density_is_the_model_posterior():
    # The log density HMC samples, on (logit lambda, logit V, log alpha), against the model written out
    # with scipy.stats on (lambda, V, alpha) plus the log-Jacobians of the transforms: differences between
    # two points must agree (the normalising constant cancels). The gradient against finite differences.
    from scipy import stats
    from scipy.special import expit

    data = mse.load_dataset("kosovo")
    model = LatentClassHMC(data.histories, data.counts, K=4, a_alpha=0.25, b_alpha=0.25, a_lambda=1.0, b_lambda=2.0)
    q = model.initial_positions(3, np.random.default_rng(0))
    logp, grad = model.logp_and_grad(q)

    def written_out(point: np.ndarray) -> float:
        eta, nu, omega = (part[0] for part in model.unpack(point[None, :]))
        lam, v, alpha = expit(eta), expit(nu), np.exp(omega)
        pi = np.append(v, 1.0) * np.concatenate([[1.0], np.cumprod(1.0 - v)])
        f = np.prod(np.where(model.x[:, :, None] == 1, lam[None], 1.0 - lam[None]), axis=1)
        p_h, p0 = f @ pi, pi @ np.prod(1.0 - lam, axis=0)
        log_lik = model.counts @ np.log(p_h) - model.n * np.log1p(-p0)
        log_prior = (
            stats.beta(1.0, 2.0).logpdf(lam).sum()
            + stats.beta(1.0, alpha).logpdf(v).sum()
            + stats.gamma(0.25, scale=1 / 0.25).logpdf(alpha)
        )
        log_jacobian = np.log(lam * (1.0 - lam)).sum() + np.log(v * (1.0 - v)).sum() + omega
        return float(log_lik + log_prior + log_jacobian)

    for i, j in ((0, 1), (0, 2)):
        assert logp[i] - logp[j] == pytest.approx(written_out(q[i]) - written_out(q[j]), abs=1e-6)
    step = 1e-6
    numeric = np.empty_like(q)
    for d in range(q.shape[1]):
        shift = np.zeros_like(q)
        shift[:, d] = step
        numeric[:, d] = (model.logp_and_grad(q + shift)[0] - model.logp_and_grad(q - shift)[0]) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)


def _numpy_transition(model, q, beta, momenta, step, n_steps, inv_mass, log_uniform):
    """One HMC transition written out with the numpy density: the oracle for the compiled kernel."""
    logp, grad, _ = model.tempered(q, beta)
    new_q, p = q.copy(), momenta.copy()
    kinetic = 0.5 * (p * p * inv_mass).sum(axis=1)
    p += 0.5 * step[:, None] * grad
    for i in range(int(n_steps[0])):
        new_q += step[:, None] * inv_mass * p
        new_logp, new_grad, _ = model.tempered(new_q, beta)
        p += (step if i < n_steps[0] - 1 else 0.5 * step)[:, None] * new_grad
    log_accept = new_logp - 0.5 * (p * p * inv_mass).sum(axis=1) - logp + kinetic
    accept = log_uniform < log_accept
    return np.where(accept[:, None], new_q, q), np.where(accept, new_logp, logp), np.minimum(np.exp(log_accept), 1)


@pytest.mark.parametrize("dataset", ["kosovo", "netherlands"])
def test_compiled_transition_matches_the_numpy_density(dataset):
    # The compiled leapfrog trajectories against the same trajectories computed with the numpy density
    # (itself checked against the model written out above), at several temperatures. Chains split over
    # threads give the same result.
    from concurrent.futures import ThreadPoolExecutor

    data = mse.load_dataset(dataset)
    keep = data.counts > 0
    model = LatentClassHMC(
        data.histories[keep], data.counts[keep], K=6, a_alpha=0.25, b_alpha=0.5, a_lambda=1.0, b_lambda=1.5
    )
    rng = np.random.default_rng(3)
    C = 5
    q = model.initial_positions(C, rng)
    beta = np.array([1.0, 1.0, 0.5, 0.25, 1.0])
    inv_mass = rng.uniform(0.5, 2.0, size=q.shape)
    momenta = rng.standard_normal(q.shape) / np.sqrt(inv_mass)
    step = np.full(C, 0.01)
    n_steps = np.full(C, 7, dtype=np.int64)
    log_uniform = np.log(rng.random(C)) - np.r_[0.0, 0.0, 50.0, 0.0, 0.0]  # chain 2 certainly accepts
    expected_q, expected_logp, expected_accept = _numpy_transition(
        model, q, beta, momenta, step, n_steps, inv_mass, log_uniform
    )
    for threads in (1, 2):
        logp, grad, loglik = model.tempered(q, beta)
        state = (q.copy(), logp, grad, loglik)
        with ThreadPoolExecutor(threads) as executor:
            accept = model.transitions(state, beta, momenta, step, n_steps, inv_mass, log_uniform, executor, threads)
        np.testing.assert_allclose(state[0], expected_q, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(state[1], expected_logp, rtol=1e-10)
        np.testing.assert_allclose(state[3], model.tempered(state[0], np.ones(C))[2], rtol=1e-10)
        np.testing.assert_allclose(accept, expected_accept, rtol=1e-8)
        assert not np.array_equal(state[0][2], q[2])


def test_tempered_density_is_prior_times_powered_likelihood():
    # logp(beta) - logp(1) = (beta - 1) loglik at any point, and the gradient is linear in beta.
    data = mse.load_dataset("kosovo")
    model = LatentClassHMC(data.histories, data.counts, K=5, a_alpha=0.25, b_alpha=0.25, a_lambda=1.0, b_lambda=1.0)
    q = model.initial_positions(4, np.random.default_rng(1))
    cold, grad_cold, loglik = model.tempered(q, np.ones(4))
    hot, grad_hot, loglik_hot = model.tempered(q, np.full(4, 0.3))
    np.testing.assert_allclose(loglik_hot, loglik)
    np.testing.assert_allclose(hot - cold, -0.7 * loglik, rtol=1e-10)
    _, grad_zero, _ = model.tempered(q, np.zeros(4))
    np.testing.assert_allclose(grad_hot, grad_zero + 0.3 * (grad_cold - grad_zero), rtol=1e-8, atol=1e-8)


def test_parallel_tempering_samples_the_same_posterior():
    # Tempered companions change how the cold chains move, not what they target: on a small table the
    # medians agree within 3 % and the deciles within 6 % of a run without tempering (about 1,000+
    # effective draws each).
    histories, counts = _simulate_two_classes(800, seed=11)
    common = {"K": 4, "n_chains": 8, "n_draws": 1500, "n_burnin": 300}
    plain = sample_latent_class_hmc(histories, counts, random_seed=1, **common)
    tempered = sample_latent_class_hmc(histories, counts, random_seed=2, n_temperatures=3, **common)
    assert tempered.N.shape == (8, 1500)
    assert all(0.05 < rate < 1.0 for rate in tempered.settings["exchange_rates"])
    assert abs(np.median(plain.N) - np.median(tempered.N)) < 0.03 * np.median(plain.N)
    np.testing.assert_allclose(np.quantile(tempered.N, [0.1, 0.9]), np.quantile(plain.N, [0.1, 0.9]), rtol=0.06)


def test_hmc_draws_do_not_depend_on_the_number_of_threads():
    data = mse.load_dataset("kosovo")
    one = sample_latent_class_hmc(
        data.histories, data.counts, n_chains=5, n_draws=30, n_burnin=40, n_threads=1, random_seed=9
    )
    two = sample_latent_class_hmc(
        data.histories, data.counts, n_chains=5, n_draws=30, n_burnin=40, n_threads=2, random_seed=9
    )
    np.testing.assert_array_equal(one.N, two.N)
    np.testing.assert_array_equal(one.alpha, two.alpha)


def test_same_seed_same_draws_and_inference_data():
    data = mse.load_dataset("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.ConvergenceWarning)
        first = mse.estimate(data, method="lcmcr", random_seed=5, **QUICK)
        second = mse.estimate(data, method="lcmcr", random_seed=5, **QUICK)
        other = mse.estimate(data, method="lcmcr", random_seed=6, **QUICK)
    np.testing.assert_array_equal(first.draws, second.draws)
    assert not np.array_equal(first.draws, other.draws)
    posterior = first.idata.posterior
    for name in ("N", "n0", "p0", "alpha", "n_classes"):
        assert posterior[name].shape == (4, 200)
    np.testing.assert_array_equal(posterior["N"].values, posterior["n0"].values + data.n_observed)
    assert (posterior["n_classes"].values >= 1).all() and (posterior["n_classes"].values <= 10).all()
    assert {"rhat", "ess", "mean"} <= set(first.details)
    assert first.lower <= first.estimate <= first.upper


def test_short_run_warns_about_convergence():
    with pytest.warns(mse.ConvergenceWarning, match="R-hat"):
        res = mse.estimate(
            mse.load_dataset("kosovo"), method="lcmcr", random_seed=1, n_chains=2, n_draws=30, n_burnin=5
        )
    assert any("has not converged" in w for w in res.warnings)
    assert res.details["stop_reason"] == "fixed"


@pytest.mark.parametrize("sampler", ["hmc", "gibbs"])
def test_adaptive_run_out_of_budget_says_which_option_to_raise(sampler):
    # A budget far too small to converge: the run stops at max_draws and the warning names the option
    # with a larger value.
    with pytest.warns(mse.ConvergenceWarning, match=r"max_draws=\d+"):
        res = mse.estimate(
            mse.load_dataset("kosovo"),
            method="lcmcr",
            random_seed=1,
            sampler=sampler,
            n_chains=3,
            n_burnin=20,
            max_draws=40,
        )
    assert res.details["stop_reason"] == "max_draws"
    assert res.details["n_draws"] == 40
    assert res.idata.posterior["N"].shape == (3, 40)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"interval": "wald"}, "posterior"),
        ({"n_iterations": 10}, "unknown option"),
        ({"K": 1}, "K must be"),
        ({"n_chains": 1}, "n_chains"),
        ({"a_alpha": -1.0}, "a_alpha"),
        ({"n_draws": 0}, "n_draws"),
        ({"sampler": "nuts"}, "sampler"),
        ({"max_seconds": 0}, "max_seconds"),
        ({"max_draws": 0}, "max_draws"),
        ({"n_threads": 0}, "n_threads"),
        ({"tempered_leapfrog": 0}, "tempered_leapfrog"),
        ({"tempered_leapfrog": 2.5}, "tempered_leapfrog"),
    ],
)
def test_bad_options_raise_model_error(kwargs, match):
    with pytest.raises(mse.ModelError, match=match):
        mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", **kwargs)


@pytest.mark.slow  # compiling the PyTensor graph takes most of a minute on a shared 2-core machine
def test_pymc_formulation_agrees_with_gibbs():
    pytest.importorskip("pymc")
    from mse.bayes.latent_class.pymc_model import sample_pymc

    histories = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    counts = np.array([120, 100, 90, 40, 35, 30, 20])
    gibbs = sample_latent_class(histories, counts, K=2, n_chains=8, n_draws=2000, n_burnin=500, random_seed=1)
    idata = sample_pymc(histories, counts, K=2, draws=400, tune=400, chains=2, random_seed=1, target_accept=0.9)
    n_pymc = idata.posterior["N"].values.ravel()
    # 800 NUTS draws: the Monte Carlo sd of the median is a few percent of the posterior sd;
    # medians agree within 5 % and the quartiles within 8 %.
    assert abs(np.median(n_pymc) - np.median(gibbs.N)) < 0.05 * np.median(gibbs.N)
    np.testing.assert_allclose(np.quantile(n_pymc, [0.25, 0.75]), np.quantile(gibbs.N, [0.25, 0.75]), rtol=0.08)


class _Clock:
    """A stand-in for ``time``: each call of ``perf_counter`` advances by ``tick`` seconds (a slow machine)."""

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.now = 0.0
        self.calls = 0

    def perf_counter(self) -> float:
        self.calls += 1
        self.now += self.tick
        return self.now


class _NoClock:
    """A stand-in for ``time`` that fails the test when a decision reads the clock."""

    def perf_counter(self) -> float:
        raise AssertionError("the run read the clock to decide when to stop")


def _slow_machine(monkeypatch: pytest.MonkeyPatch, clock: object) -> None:
    from mse.bayes.latent_class import adaptive, gibbs, hmc

    for module in (adaptive, gibbs, hmc):
        monkeypatch.setattr(module, "time", clock)


def test_defaults_are_set_in_draws_not_seconds():
    from mse.bayes.latent_class.adaptive import RunBudget
    from mse.bayes.latent_class.estimator import DEFAULTS, SAMPLER_DEFAULTS

    assert DEFAULTS["max_seconds"] is None and RunBudget().max_seconds is None
    for function in (sample_latent_class, sample_latent_class_hmc):
        assert inspect.signature(function).parameters["max_seconds"].default is None
    # The documented budgets of draws (with the method's options, in its class) are the ones in the code.
    doc = " ".join(mse.methods.LCMCR.__doc__.split())
    assert f"({SAMPLER_DEFAULTS['hmc']['max_draws']:,} for HMC, {SAMPLER_DEFAULTS['gibbs']['max_draws']:,} for Gibbs)" in doc


def _same_draws_on_a_slow_machine(monkeypatch: pytest.MonkeyPatch, **options: object) -> None:
    # An adaptive run: warm-up, then blocks of draws until R-hat and ESS of N reach their targets. On a
    # machine a million times slower (every reading of the clock a thousand seconds later) it must stop at
    # the same check with the same draws, and the decisions must not read the clock at all.
    data = mse.load_dataset("kosovo")
    fast = mse.estimate(data, method="lcmcr", random_seed=1, **options)
    from mse.bayes.latent_class import adaptive, gibbs, hmc

    monkeypatch.setattr(hmc, "time", _Clock(1000.0))
    monkeypatch.setattr(gibbs, "time", _Clock(1000.0))
    monkeypatch.setattr(adaptive, "time", _NoClock())
    slow = mse.estimate(data, method="lcmcr", random_seed=1, **options)
    assert fast.ok and slow.ok and slow.details["stop_reason"] == "converged"
    np.testing.assert_array_equal(fast.draws, slow.draws)
    assert slow.details["n_draws"] == fast.details["n_draws"]
    assert slow.details["sampling_seconds"] >= 1000  # the slow clock was in use for the report


def test_adaptive_run_gives_the_same_draws_on_a_slow_machine(monkeypatch):
    # The default run length (n_draws, max_draws, max_seconds, n_burnin) on a smaller sampler, which
    # converges after four checks (500 draws per chain).
    _same_draws_on_a_slow_machine(monkeypatch, n_chains=4, n_temperatures=2, K=5)


@pytest.mark.slow  # two default fits of kosovo: 5-25 s on a shared 2-core machine
def test_default_run_gives_the_same_draws_on_a_slow_machine(monkeypatch):
    _same_draws_on_a_slow_machine(monkeypatch)


def test_gibbs_default_run_does_not_read_the_clock(monkeypatch):
    data = mse.load_dataset("kosovo")
    options = {"sampler": "gibbs", "n_chains": 3, "n_burnin": 50, "max_draws": 300}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.ConvergenceWarning)
        fast = mse.estimate(data, method="lcmcr", random_seed=2, **options)
        _slow_machine(monkeypatch, _NoClock())
        monkeypatch.setattr("mse.bayes.latent_class.gibbs.time", _Clock(1000.0))
        slow = mse.estimate(data, method="lcmcr", random_seed=2, **options)
    np.testing.assert_array_equal(fast.draws, slow.draws)
    assert slow.details["stop_reason"] == fast.details["stop_reason"]


def test_a_time_budget_spent_in_warm_up_says_so(monkeypatch):
    # Regression: a budget that runs out during warm-up leaves one draw per chain, whose ESS is NaN; the
    # advice in the warning must still be computed, and the result must say that the clock cut it short.
    # Each reading of the fake clock is one second later, so a budget of 5 s ends warm-up after a few iterations.
    _slow_machine(monkeypatch, _Clock(1.0))
    with pytest.warns(mse.ConvergenceWarning, match=r"max_seconds=5 cut the run short during warm-up"):
        result = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=1, max_seconds=5)
    assert not result.ok and "max_seconds" in result.status and "not converged" in result.status
    assert result.details["stop_reason"] == "max_seconds" and result.details["n_draws"] == 1
    assert result.details["warmup_iterations"] < result.details["n_burnin"]
    assert any("Rerun without max_seconds" in w for w in result.warnings)


@pytest.mark.parametrize("sampler", ["hmc", "gibbs"])
def test_a_time_budget_spent_while_drawing_says_so(monkeypatch, sampler):
    # A thousandth of a second per reading of the clock (one reading per warm-up iteration and per draw):
    # warm-up ends (Gibbs burn-in never reads the clock), then the budget of 0.15 s runs out while drawing,
    # before the first convergence check at 200 draws.
    _slow_machine(monkeypatch, _Clock(0.001))
    options = {"n_chains": 3, "n_burnin": 100, "max_seconds": 0.15, "sampler": sampler}
    with pytest.warns(mse.ConvergenceWarning, match="max_seconds=0.15") as caught:
        result = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=1, **options)
    assert result.details["stop_reason"] == "max_seconds"
    assert result.status.startswith("cut short by the time budget max_seconds=0.15")
    assert result.details["warmup_iterations"] == 100 and 1 <= result.details["n_draws"] < 200
    assert all(issubclass(w.category, mse.MSEWarning) for w in caught)


def test_a_converged_run_cut_short_by_the_clock_is_not_ok(monkeypatch):
    # Where a time budget stops a run depends on the machine, so even a run that looks converged there is
    # not a reproducible result.
    from mse.bayes.latent_class import estimator

    real_run = estimator._run

    def run_cut_short(data, settings, random_seed):
        # The first 500 draws of this sampler converge (see the slow-machine test above).
        draws = real_run(data, {**settings, "draws": 500}, random_seed)
        return dataclasses.replace(draws, stop_reason="max_seconds")

    monkeypatch.setattr(estimator, "_run", run_cut_short)
    options = {"n_chains": 4, "n_temperatures": 2, "K": 5, "max_seconds": 30}
    with pytest.warns(mse.ConvergenceWarning, match="not reproducible"):
        result = mse.estimate(mse.load_dataset("kosovo"), method="lcmcr", random_seed=1, **options)
    assert result.details["rhat"] <= 1.01 and result.details["ess"] >= 400
    assert not result.ok and "max_seconds=30" in result.status
    assert result.details["stop_reason"] == "max_seconds"


def test_the_block_that_the_clock_cuts_short_ends_the_run():
    # run_chains on independent draws that converge at the first check: when the clock passes the deadline
    # in the middle of the first block, the run stops there, as cut short, not as converged.
    from mse.bayes.latent_class import adaptive

    rng = np.random.default_rng(0)
    state = {"n0": rng.poisson(100, 4)}

    def advance():
        state["n0"] = rng.poisson(100, 4)

    def record():
        return state["n0"], np.full(4, 0.5), np.ones(4), np.ones(4, dtype=int)

    clock = _Clock(1.0)
    original = adaptive.time
    adaptive.time = clock
    try:
        budget = adaptive.RunBudget(max_seconds=150.0, target_ess=100.0)
        cut = adaptive.run_chains(advance, record, 10, budget, thin=1, started=0.0)
        unlimited = adaptive.run_chains(advance, record, 10, adaptive.RunBudget(target_ess=100.0), 1, 0.0)
    finally:
        adaptive.time = original
    # The clock reads 1, 2, ... after each draw; it passes the deadline of 150 s at the 151st draw.
    assert cut.stop_reason == "max_seconds" and cut.n0.shape == (4, 151)
    assert unlimited.stop_reason == "converged" and unlimited.n0.shape == (4, 200)


def test_a_run_that_has_not_converged_is_not_ok():
    data = mse.load_dataset("kosovo")
    with pytest.warns(mse.ConvergenceWarning):
        result = mse.estimate(data, method="lcmcr", n_chains=2, n_draws=30, n_burnin=10, random_seed=1)
    assert result.status.startswith("not converged") and not result.ok
    assert result.lower <= result.estimate <= result.upper  # the numbers are there to look at
    with pytest.raises(mse.EstimabilityError, match="not converged"), pytest.warns(mse.ConvergenceWarning):
        mse.estimate(data, method="lcmcr", n_chains=2, n_draws=30, n_burnin=10, random_seed=1, strict=True)


def test_draws_in_separated_modes_are_reported(monkeypatch):
    # Twelve chains near 48,000 and four near 150,000 (the two answers seen on netherlands_5): the result must
    # name both modes, their shares of the draws and how many chains visited each, not just a median between.
    from mse.bayes.latent_class import estimator
    from mse.bayes.latent_class.gibbs import LatentClassDraws

    rng = np.random.default_rng(1)
    centres = np.r_[np.full(12, 48_000.0), np.full(4, 150_000.0)]
    N = np.round(centres[:, None] * rng.lognormal(0.0, 0.08, (16, 500))).astype(np.int64)
    fake = LatentClassDraws(
        N=N,
        n0=N - 8_234,
        p0=1 - 8_234 / N,
        alpha=np.ones_like(N, dtype=float),
        n_classes=np.full_like(N, 3),
        acceptance=0.8,
        step_scale=1.0,
        seconds=1.0,
        stop_reason="converged",
    )
    monkeypatch.setattr(estimator, "_run", lambda data, settings, random_seed: fake)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = mse.estimate(mse.load_dataset("netherlands_5"), method="lcmcr", random_seed=1)
    (message,) = [str(w.message) for w in record if issubclass(w.category, mse.MultimodalityWarning)]
    assert "75 % of the draws" in message and "25 % of the draws" in message
    assert "12 of 16 chains" in message and "4 of 16 chains" in message
    modes = result.details["modes"]
    assert modes["share"].to_list() == pytest.approx([0.75, 0.25])
    assert modes["N"].iloc[0] == pytest.approx(48_000, rel=0.05)
    assert modes["N"].iloc[1] == pytest.approx(150_000, rel=0.05)
    assert any("separated modes" in text for text in result.warnings)


# netherlands_5: the posterior of the latent-class model has a minor mode (N about 50,000; two large classes,
# each missed by a different group of lists) and a major one (N about 145,000; one large class that every
# list rarely captures). benchmarks/study_lcmcr_netherlands5.py measures the mass of each; these states
# are taken from its runs (lists IO, K, P, R, Z; the three largest classes: weights, capture probabilities).
_NETHERLANDS5_MODES = {
    "low": (
        [0.7453, 0.2462, 0.0084],
        [
            [0.0176, 0.0015, 0.0921, 0.0155, 0.0064],
            [0.0014, 0.0837, 0.0263, 0.0022, 0.0050],
            [0.1487, 0.0123, 0.2606, 0.0039, 0.9476],
        ],
    ),
    "high": (
        [0.9708, 0.0283, 0.0009],
        [
            [0.0039, 0.0103, 0.0320, 0.0043, 0.0004],
            [0.1078, 0.0056, 0.1800, 0.0024, 0.2104],
            [0.0447, 0.0011, 0.4960, 0.8896, 0.0156],
        ],
    ),
}


def _netherlands5() -> tuple[np.ndarray, np.ndarray]:
    data = mse.load_dataset("netherlands_5")
    keep = data.counts > 0
    return data.histories[keep], data.counts[keep]


def test_data_augmentation_gibbs_on_netherlands5_stays_in_the_mode_it_starts_in():
    # R's LCMCR 0.4.14, lcmCR(K=10, a_alpha=0.25, b_alpha=0.25, seed=12345) + lcmCR_PostSampl(burnin=100000,
    # samples=10000, thinning=100): median 48,442 [41,631, 58,228]; seed=20240601: 48,954 [42,655, 58,098].
    # That is the posterior restricted to the minor mode: the data-augmentation Gibbs sampler of the paper
    # (no collapsed moves), started there, gives the same numbers and does not leave; started in the major
    # mode it does not leave either. 4 + 4 chains x 2,000 iterations; the chain medians of the minor mode
    # spread over 48,000-55,000 in longer runs, hence the bounds.
    from mse.bayes.latent_class.gibbs import _Sampler

    histories, counts = _netherlands5()
    rng = np.random.default_rng(4)
    sampler = _Sampler(
        histories,
        counts,
        K=10,
        a_alpha=0.25,
        b_alpha=0.25,
        a_lambda=1.0,
        b_lambda=1.0,
        n_chains=8,
        collapsed_steps=0,
        observed_steps=0,
        rng=rng,
    )
    for rows, mode in ((slice(0, 4), "low"), (slice(4, 8), "high")):
        weights, lam = _NETHERLANDS5_MODES[mode]
        sampler.lam[rows, :, :3] = np.array(lam).T
        pi = np.full(10, 1e-6)
        pi[:3] = weights
        sampler.log_pi[rows] = np.log(pi / pi.sum())
    N = []
    for _ in range(2000):
        sampler.step()
        N.append(sampler.n + sampler.m0.sum(axis=1))
    N = np.array(N[500:]).T
    assert (N[:4] < 75_000).all() and (N[4:] > 75_000).all()
    assert 45_000 < np.median(N[:4]) < 56_000
    assert np.median(N[4:]) > 110_000


@pytest.mark.slow  # about a minute on a shared 2-core machine
def test_netherlands5_posterior_mass_is_in_the_high_mode():
    # Parallel tempering with a dense ladder (12 temperatures down to beta = 1/4, exchange acceptance about
    # 0.6-0.8) crosses between the modes; the minor mode holds a few per cent of the posterior
    # (benchmarks/README.md: 5-10 % by thermodynamic integration), the median of N is about 145,000.
    from concurrent.futures import ThreadPoolExecutor

    from mse.bayes.latent_class.hmc import HMCChains

    histories, counts = _netherlands5()
    n = int(counts.sum())
    model = LatentClassHMC(histories, counts, K=10, a_alpha=0.25, b_alpha=0.25, a_lambda=1.0, b_lambda=1.0)
    chains = HMCChains(model, 8, 48, np.random.default_rng(1), n_threads=2, n_temperatures=12, max_temperature=4.0)
    expected_n = []
    with ThreadPoolExecutor(2) as executor:
        chains.executor = executor
        chains.warmup(500)
        for _ in range(4000):
            chains.iterate()
            expected_n.append(n / -np.expm1(model.log_p0(chains.q[:8])))
    expected_n = np.array(expected_n)
    assert (expected_n < 75_000).mean() < 0.15
    assert 120_000 < np.median(expected_n) < 175_000


@pytest.mark.slow  # compiling the PyTensor graph
def test_pymc_formulation_has_the_density_hmc_samples():
    # The PyMC model (with PyMC's own log and logit transforms and their Jacobians) and the density of the
    # HMC sampler must differ by a constant only, on the coordinates (logit lambda, logit V, log alpha).
    pytest.importorskip("pymc")
    from mse.bayes.latent_class.pymc_model import build_model

    histories, counts = _netherlands5()
    model = LatentClassHMC(histories, counts, K=10, a_alpha=0.25, b_alpha=0.5, a_lambda=1.0, b_lambda=1.5)
    q = model.initial_positions(5, np.random.default_rng(2))
    ours, _ = model.logp_and_grad(q)
    logp = build_model(histories, counts, K=10, a_alpha=0.25, b_alpha=0.5, a_lambda=1.0, b_lambda=1.5).compile_logp()
    JK = model.J * model.K
    theirs = np.array(
        [
            logp(
                {"alpha_log__": x[-1], "sticks_logodds__": x[JK:-1], "lam_logodds__": x[:JK].reshape(model.J, model.K)}
            )
            for x in q
        ]
    )
    np.testing.assert_allclose(ours - ours[0], theirs - theirs[0], atol=1e-7)
