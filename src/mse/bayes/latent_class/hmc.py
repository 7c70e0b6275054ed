"""Hamiltonian Monte Carlo on the latent-class model with the classes and ``N`` summed out.

With the prior ``p(N) ~ 1/N``, summing over ``N`` and over the latent class of
every person leaves the conditional likelihood of the observed histories
(Manrique-Vallier 2016; Sanathanan 1972),

.. math::

    \\log L = \\sum_h n_h \\log p_h - n \\log(1 - p_0), \\qquad
    p_h = \\sum_k \\pi_k \\prod_j \\lambda_{jk}^{x_{hj}} (1 - \\lambda_{jk})^{1 - x_{hj}},

a smooth function of the class weights ``pi`` (stick-breaking), the capture
probabilities ``lambda`` and the concentration ``alpha``. Data augmentation
samplers move ``N`` only as fast as the allocation of people to classes
changes, which on some tables takes thousands of iterations; here the
allocation is gone, and the posterior of ``(pi, lambda, alpha)`` is sampled
by HMC (Neal 2011) on the unconstrained scale
``(logit lambda, logit V, log alpha)``. After every iteration
``n0 | pi, lambda ~ NegativeBinomial(n, 1 - p0)`` is drawn, its exact
conditional, so the draws of ``N`` come from its marginal posterior.

All chains move together: one leapfrog step is a handful of numpy operations
on arrays of shape ``(chains, histories, classes)``. Each chain adapts its own
step size (dual averaging, Hoffman and Gelman 2014) and diagonal mass matrix
(windowed variance estimates, as in Stan) during warm-up.
"""

from __future__ import annotations

import itertools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from mse.bayes.latent_class.adaptive import RunBudget, run_chains
from mse.bayes.latent_class.gibbs import LatentClassDraws

__all__ = ["LatentClassHMC", "available_cores", "sample_latent_class_hmc"]

#: Target mean acceptance probability of the step-size adaptation.
_TARGET_ACCEPT = 0.8

#: Log-density gap below the median of the chains beyond which a chain is restarted during warm-up.
_STRANDED_GAP = 8.0

#: Smallest value of ``1 - p0`` in the negative-binomial draw of ``n0``.
_MIN_CAPTURE_PROBABILITY = 1e-12


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _logsumexp_last(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log sum exp over the last axis, and the normalised weights exp(a - lse)."""
    top = a.max(axis=-1, keepdims=True)
    weights = np.exp(a - top)
    total = weights.sum(axis=-1, keepdims=True)
    weights /= total
    return (np.log(total) + top)[..., 0], weights


class LatentClassHMC:
    """Log posterior and gradient of ``(logit lambda, logit V, log alpha)`` for many chains at once.

    The position of chain ``c`` is the flat vector ``q[c]`` of length ``J * K + (K - 1) + 1``.
    """

    def __init__(
        self,
        histories: np.ndarray,
        counts: np.ndarray,
        *,
        K: int,
        a_alpha: float,
        b_alpha: float,
        a_lambda: float,
        b_lambda: float,
    ) -> None:
        self.x = np.asarray(histories, dtype=float)  # (H, J)
        self.x_t = np.ascontiguousarray(self.x.T)
        self.not_x = 1.0 - self.x
        self.counts = np.asarray(counts, dtype=float)
        self.n = float(self.counts.sum())
        self.K = K
        self.J = self.x.shape[1]
        self.a_alpha, self.b_alpha = a_alpha, b_alpha
        self.a_lambda, self.b_lambda = a_lambda, b_lambda
        self.dim = self.J * K + K
        self._kernel: Any = None

    def _compiled(self) -> Any:
        # numba is imported on first use: compiling (or loading the cached machine code) is paid
        # only by the fits that run the sampler.
        if self._kernel is None:
            from mse.bayes.latent_class import hmc_kernel

            sets, lengths = hmc_kernel.history_sets(self.x)
            self._data = (sets, lengths, self.counts, self.J, self.K)
            self._priors = (float(self.a_alpha), float(self.b_alpha), float(self.a_lambda), float(self.b_lambda))
            self._kernel = hmc_kernel
        return self._kernel

    def transitions(
        self,
        state: tuple[np.ndarray, np.ndarray, np.ndarray],
        momenta: np.ndarray,
        step: np.ndarray,
        n_steps: np.ndarray,
        inv_mass: np.ndarray,
        log_uniform: np.ndarray,
        executor: ThreadPoolExecutor | None = None,
        n_threads: int = 1,
    ) -> np.ndarray:
        """One HMC transition of every chain, updating ``state = (q, logp, grad)`` in place.

        The chains are split into ``n_threads`` contiguous groups run by ``executor``; every
        random number is an argument, so the result does not depend on the split. Returns the
        acceptance probabilities. See :func:`mse.bayes.latent_class.hmc_kernel.hmc_transitions`.
        """
        kernel = self._compiled()
        q, logp, grad = state
        C = q.shape[0]
        accept_prob = np.empty(C)
        arrays = (q, logp, grad, momenta, step, n_steps, inv_mass, log_uniform, accept_prob)

        def run(first: int, last: int) -> None:
            kernel.hmc_transitions(*arrays, first, last, *self._data, *self._priors)

        if executor is None or n_threads <= 1:
            run(0, C)
            return accept_prob
        bounds = np.linspace(0, C, n_threads + 1).astype(int)
        futures = [executor.submit(run, int(first), int(last)) for first, last in itertools.pairwise(bounds)]
        for future in futures:
            future.result()
        return accept_prob

    def unpack(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        C = q.shape[0]
        JK = self.J * self.K
        return q[:, :JK].reshape(C, self.J, self.K), q[:, JK : JK + self.K - 1], q[:, -1]

    def log_weights(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log pi (C, K), log lambda and log(1 - lambda) (C, J, K)."""
        eta, nu, _ = self.unpack(q)
        log_lam = -_softplus(-eta)
        log_1mlam = -_softplus(eta)
        log_v = -_softplus(-nu)
        log_1mv = -_softplus(nu)
        C = q.shape[0]
        log_pi = np.empty((C, self.K))
        cum = np.cumsum(log_1mv, axis=1)
        log_pi[:, 0] = log_v[:, 0]
        log_pi[:, 1:-1] = log_v[:, 1:] + cum[:, :-1]
        log_pi[:, -1] = cum[:, -1]
        return log_pi, log_lam, log_1mlam

    def log_p0(self, q: np.ndarray) -> np.ndarray:
        log_pi, _, log_1mlam = self.log_weights(q)
        lse, _ = _logsumexp_last(log_pi + log_1mlam.sum(axis=1))
        return lse

    def logp_and_grad(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log posterior density (up to a constant) and its gradient, for every chain."""
        eta, nu, omega = self.unpack(q)
        K = self.K
        C = q.shape[0]
        # log(1 - lambda) = -softplus(eta) and log(lambda) = eta + log(1 - lambda); same for the sticks.
        log_1mlam = -np.logaddexp(0.0, eta)
        lam = np.exp(eta + log_1mlam)
        log_1mv = -np.logaddexp(0.0, nu)
        log_v = nu + log_1mv
        v = np.exp(log_v)
        alpha = np.exp(omega)
        log_pi = np.empty((C, K))
        cum = np.cumsum(log_1mv, axis=1)
        log_pi[:, 0] = log_v[:, 0]
        log_pi[:, 1:-1] = log_v[:, 1:] + cum[:, :-1]
        log_pi[:, -1] = cum[:, -1]

        # Nobody captured: p0 = sum_k pi_k g_k with g_k = prod_j (1 - lambda_jk); u_k = pi_k g_k / p0.
        log_pi_g = log_pi + log_1mlam.sum(axis=1)
        log_p0, u = _logsumexp_last(log_pi_g)
        # History h: log(pi_k f_hk) = x_h . eta_k + log(pi_k g_k); w_hk = pi_k f_hk / p_h.
        a = self.x @ eta
        a += log_pi_g[:, None, :]
        top = a.max(axis=2, keepdims=True)
        a -= top
        np.exp(a, out=a)
        total = a.sum(axis=2, keepdims=True)
        log_p_h = (np.log(total) + top)[..., 0]
        a *= self.counts[:, None] / total  # n_h w_hk
        with np.errstate(divide="ignore", invalid="ignore"):
            log_1mp0 = np.log(-np.expm1(log_p0))
        odds = self.n * np.exp(log_p0 - log_1mp0)  # n p0 / (1 - p0)

        G = a.sum(axis=1) + odds[:, None] * u  # d logL / d log pi_k
        S = self.x_t @ a  # (C, J, K): sum_h n_h w_hk x_hj
        grad_eta = S - lam * G[:, None, :] + self.a_lambda - (self.a_lambda + self.b_lambda) * lam
        tail_after = np.cumsum(G[:, ::-1], axis=1)[:, ::-1][:, 1:]  # sum_{k > l} G_k, l < K
        grad_nu = G[:, :-1] * (1.0 - v) - v * tail_after + (1.0 - v) - alpha[:, None] * v
        sum_log_1mv = cum[:, -1]
        grad_omega = (K - 1.0) + alpha * sum_log_1mv + self.a_alpha - self.b_alpha * alpha

        logp = (
            log_p_h @ self.counts
            - self.n * log_1mp0
            + (self.a_lambda * eta).sum(axis=(1, 2))
            + (self.a_lambda + self.b_lambda) * log_1mlam.sum(axis=(1, 2))
            + log_v.sum(axis=1)
            + alpha * sum_log_1mv
            + (K - 1.0 + self.a_alpha) * omega
            - self.b_alpha * alpha
        )
        grad = np.empty_like(q)
        JK = self.J * K
        grad[:, :JK] = grad_eta.reshape(C, JK)
        grad[:, JK:-1] = grad_nu
        grad[:, -1] = grad_omega
        bad = ~np.isfinite(logp) | ~np.isfinite(grad).all(axis=1)
        if bad.any():
            logp = np.where(bad, -np.inf, logp)
            grad[bad] = 0.0
        return logp, grad

    def initial_positions(self, n_chains: int, rng: np.random.Generator) -> np.ndarray:
        """Over-dispersed starting points; one class starts hard to capture."""
        lam = rng.uniform(0.05, 0.95, size=(n_chains, self.J, self.K))
        lam[:, :, 0] = rng.uniform(0.01, 0.1, size=(n_chains, self.J))
        sticks = rng.uniform(0.1, 0.9, size=(n_chains, self.K - 1))
        alpha = rng.gamma(1.0, 1.0, size=n_chains) + 0.1
        return np.concatenate(
            [np.log(lam / (1.0 - lam)).reshape(n_chains, -1), np.log(sticks / (1.0 - sticks)), np.log(alpha)[:, None]],
            axis=1,
        )


class _DualAveraging:
    """Per-chain step-size adaptation of Hoffman and Gelman (2014)."""

    def __init__(self, step: np.ndarray) -> None:
        self.restart(step)

    def restart(self, step: np.ndarray) -> None:
        self.mu = np.log(10.0 * step)
        self.log_step = np.log(step)
        self.log_step_bar = np.zeros_like(step)
        self.h_bar = np.zeros_like(step)
        self.t = 0

    def update(self, accept_prob: np.ndarray) -> np.ndarray:
        self.t += 1
        t = self.t
        eta = 1.0 / (t + 10.0)
        self.h_bar = (1.0 - eta) * self.h_bar + eta * (_TARGET_ACCEPT - accept_prob)
        self.log_step = self.mu - np.sqrt(t) / 0.05 * self.h_bar
        weight = t**-0.75
        self.log_step_bar = weight * self.log_step + (1.0 - weight) * self.log_step_bar
        return np.exp(self.log_step)

    def final(self) -> np.ndarray:
        return np.exp(self.log_step_bar)


def _adaptation_windows(n_warmup: int) -> list[int]:
    """Iterations at which the mass matrix is re-estimated (Stan's doubling windows)."""
    if n_warmup < 150:
        return []
    start, end = 75, n_warmup - 50
    ends = []
    window = 25
    at = start
    while at < end:
        next_at = at + window
        if next_at + 2 * window > end:
            next_at = end
        ends.append(next_at)
        at = next_at
        window *= 2
    return ends


class HMCChains:
    """The state of all chains; :meth:`iterate` runs one HMC transition of every chain."""

    def __init__(
        self, model: LatentClassHMC, n_chains: int, n_leapfrog: int, rng: np.random.Generator, n_threads: int = 1
    ) -> None:
        self.model = model
        self.rng = rng
        self.C = n_chains
        self.n_leapfrog = n_leapfrog
        self.n_steps = np.full(n_chains, n_leapfrog, dtype=np.int64)
        self.min_steps, self.max_steps = max(1, (n_leapfrog + 1) // 2), (3 * n_leapfrog) // 2
        self.q = model.initial_positions(n_chains, rng)
        self.logp, self.grad = model.logp_and_grad(self.q)
        self.n_threads = n_threads
        self.executor: ThreadPoolExecutor | None = None
        self.inv_mass = np.ones_like(self.q)
        self.step = np.full(n_chains, 0.05)
        self.adapter = _DualAveraging(self.step)
        self.accept_sum = 0.0
        self.accept_count = 0
        self.divergent = 0
        self.restarted = 0

    def iterate(self) -> np.ndarray:
        """One HMC transition of every chain; returns the acceptance probabilities."""
        rng = self.rng
        momenta = rng.standard_normal(self.q.shape) / np.sqrt(self.inv_mass)
        # Jittered step sizes (Neal 2011, section 5.4.2.2) avoid periodic trajectories.
        step = self.step * rng.uniform(0.6, 1.2, size=self.C)
        # So are trajectory lengths, drawn around ``n_leapfrog``.
        self.n_steps = rng.integers(self.min_steps, self.max_steps + 1, size=self.C)
        log_uniform = np.log(rng.random(self.C))
        accept_prob = self.model.transitions(
            (self.q, self.logp, self.grad),
            momenta,
            step,
            self.n_steps,
            self.inv_mass,
            log_uniform,
            self.executor,
            self.n_threads,
        )
        self.divergent += int((accept_prob == 0.0).sum())
        return accept_prob

    def warmup(self, n_warmup: int) -> None:
        """Adapt the step sizes and the (diagonal) mass matrix; the warm-up draws are discarded."""
        ends = set(_adaptation_windows(n_warmup))
        window: list[np.ndarray] = []
        window_logp: list[np.ndarray] = []
        for it in range(1, n_warmup + 1):
            accept_prob = self.iterate()
            self.step = self.adapter.update(accept_prob)
            if it > 75 and ends:
                window.append(self.q.copy())
                window_logp.append(self.logp.copy())
            if it in ends:
                draws = np.stack(window)  # (n, C, D)
                n = draws.shape[0]
                # One mass matrix for all chains, from the median over chains of the within-chain
                # variances: the classes are ordered by the stick-breaking prior, so coordinates mean
                # the same in every chain; a chain stuck in an odd region does not get a mass matrix
                # of its own that keeps it there; and the wide excursions of one chain (a stick
                # wandering over the flat part of its prior) do not inflate the scale of every chain,
                # which would force a small step size on all of them.
                var = np.median(draws.var(axis=0), axis=0)
                n_pooled = n * self.C
                self.inv_mass = np.broadcast_to(
                    (n_pooled / (n_pooled + 5.0)) * var + 1e-3 * (5.0 / (n_pooled + 5.0)), self.q.shape
                ).copy()
                self._replace_stranded_chains(np.mean(window_logp, axis=0))
                window = []
                window_logp = []
                self.step = np.full(self.C, float(np.median(self.step)))
                self.adapter.restart(self.step)
        self.step = self.adapter.final()

    def _replace_stranded_chains(self, mean_logp: np.ndarray) -> None:
        """During warm-up, restart chains stranded far below the others from the positions of others.

        A chain whose log density, averaged over the last adaptation window, is more than
        ``_STRANDED_GAP`` below the median of these averages sits in a
        region of negligible posterior mass (typically a configuration that splits the rarely captured
        people over several classes) that it may take thousands of iterations to leave. It is moved to
        the position of a randomly chosen chain above the median; the rest of warm-up separates the two
        again. This affects warm-up only; the draws kept afterwards come from the unchanged HMC kernel.
        """
        median = np.median(mean_logp)
        stranded = np.flatnonzero(mean_logp < median - _STRANDED_GAP)
        if stranded.size == 0:
            return
        good = np.flatnonzero(mean_logp >= median)
        donors = self.rng.choice(good, size=stranded.size)
        self.q[stranded] = self.q[donors]
        self.logp[stranded] = self.logp[donors]
        self.grad[stranded] = self.grad[donors]
        self.restarted += int(stranded.size)

    def iterate_and_count(self) -> None:
        accept_prob = self.iterate()
        self.accept_sum += float(accept_prob.sum())
        self.accept_count += self.C


def sample_latent_class_hmc(
    histories: np.ndarray,
    counts: np.ndarray,
    *,
    K: int = 10,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    a_lambda: float = 1.0,
    b_lambda: float = 1.0,
    n_chains: int = 10,
    n_burnin: int = 300,
    n_draws: int | None = 1000,
    max_draws: int = 50_000,
    max_seconds: float = 60.0,
    thin: int = 1,
    n_leapfrog: int = 24,
    n_threads: int | None = None,
    random_seed: int | np.random.SeedSequence | None = None,
) -> LatentClassDraws:
    """Draw from the posterior of the latent-class capture-recapture model by HMC.

    Parameters
    ----------
    histories : numpy.ndarray, shape (H, J)
        Distinct observed capture histories (0/1), none all-zero.
    counts : numpy.ndarray, shape (H,)
        Number of people with each history.
    K, a_alpha, b_alpha, a_lambda, b_lambda
        As in :func:`mse.bayes.latent_class.gibbs.sample_latent_class`.
    n_chains : int
        Chains run together.
    n_burnin : int
        Warm-up iterations per chain (step-size and mass-matrix adaptation),
        discarded.
    n_draws : int or None
        Draws kept per chain; ``None`` draws until R-hat of ``N`` is at most
        1.01 and its bulk effective sample size at least 400, or until
        ``max_draws`` or ``max_seconds`` is reached.
    max_draws, max_seconds : int, float
        Budget of a run with ``n_draws=None`` (draws per chain; seconds
        including warm-up).
    thin : int
        Keep every ``thin``-th iteration.
    n_leapfrog : int
        Leapfrog steps per HMC iteration.
    n_threads : int or None
        Threads that run the chains (``None``: one per available core, at most
        one per chain). The draws do not depend on it.
    random_seed : int, numpy.random.SeedSequence or None
        Seed of the single random stream shared by all chains.

    Returns
    -------
    LatentClassDraws
        Arrays of shape ``(n_chains, draws)``; ``acceptance`` is the mean
        HMC acceptance probability after warm-up and ``step_scale`` the mean
        adapted step size; ``stop_reason`` says why the run ended.

    References
    ----------
    Manrique-Vallier, D. (2016). Bayesian population size estimation using
    Dirichlet process mixtures. *Biometrics* 72(3), 1054-1063.

    Neal, R. M. (2011). MCMC using Hamiltonian dynamics. In *Handbook of
    Markov Chain Monte Carlo*, 113-162. Chapman and Hall/CRC.

    Hoffman, M. D. and Gelman, A. (2014). The No-U-Turn sampler. *Journal of
    Machine Learning Research* 15, 1593-1623.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    >>> c = np.array([60, 50, 40, 20, 15, 12, 5])
    >>> draws = sample_latent_class_hmc(h, c, K=3, n_chains=2, n_draws=50, n_burnin=50, random_seed=1)
    >>> draws.N.shape
    (2, 50)
    >>> bool((draws.N >= c.sum()).all())
    True
    """
    started = time.perf_counter()
    rng = np.random.default_rng(random_seed)
    model = LatentClassHMC(
        histories, counts, K=K, a_alpha=a_alpha, b_alpha=b_alpha, a_lambda=a_lambda, b_lambda=b_lambda
    )
    threads = available_cores() if n_threads is None else n_threads
    threads = max(1, min(threads, n_chains))
    chains = HMCChains(model, n_chains, n_leapfrog, rng, threads)
    occupancy_counts = model.counts.astype(np.int64)

    def record() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # n0 | pi, lambda ~ NegativeBinomial(n, 1 - p0); the allocation of everybody (observed
        # and not) is drawn too, only to count the occupied classes.
        log_pi, log_lam, log_1mlam = model.log_weights(chains.q)
        log_p0, u = _logsumexp_last(log_pi + log_1mlam.sum(axis=1))
        n0 = rng.negative_binomial(int(model.n), np.clip(-np.expm1(log_p0), _MIN_CAPTURE_PROBABILITY, 1.0))
        _, w = _logsumexp_last(model.x @ log_lam + model.not_x @ log_1mlam + log_pi[:, None, :])
        occupied = rng.multinomial(occupancy_counts, w).sum(axis=1) + rng.multinomial(n0, u)
        return n0, np.exp(log_p0), np.exp(chains.q[:, -1]), (occupied > 0).sum(axis=1)

    budget = RunBudget(n_draws=n_draws, max_draws=max_draws, max_seconds=max_seconds)
    with ThreadPoolExecutor(threads) as executor:
        chains.executor = executor
        chains.warmup(n_burnin)
        outcome = run_chains(chains.iterate_and_count, record, int(model.n), budget, thin, started)
    return LatentClassDraws(
        N=outcome.n0 + int(model.n),
        n0=outcome.n0,
        p0=outcome.p0,
        alpha=outcome.alpha,
        n_classes=outcome.n_classes,
        acceptance=chains.accept_sum / max(chains.accept_count, 1),
        step_scale=float(chains.step.mean()),
        seconds=time.perf_counter() - started,
        stop_reason=outcome.stop_reason,
        settings={
            "K": K,
            "n_chains": n_chains,
            "n_draws": outcome.n0.shape[1],
            "n_burnin": n_burnin,
            "thin": thin,
            "n_leapfrog": n_leapfrog,
            "n_threads": threads,
            "restarted_in_warmup": chains.restarted,
        },
    )
