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

The trajectories are compiled (:mod:`mse.bayes.latent_class.hmc_kernel`) and
the chains run in parallel threads. Each chain adapts its own step size (dual
averaging, Hoffman and Gelman 2014) and the chains share a diagonal mass
matrix (windowed variance estimates, as in Stan) during warm-up. Posteriors
with several modes (solutions with different numbers of occupied classes)
are crossed by parallel tempering: companions of every chain sample the
posterior with a flattened likelihood and exchange states with it
(:class:`HMCChains`).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Unpack

import numpy as np

from mse.bayes.backend import accepts_former_setting_names
from mse.bayes.latent_class.adaptive import RunBudget, deadline, past, run_chains
from mse.bayes.latent_class.gibbs import LatentClassDraws
from mse.bayes.latent_class.prior import LatentClassPrior, LatentClassPriorOptions

__all__ = ["LatentClassHMC", "available_cores", "sample_latent_class_hmc"]

#: Target mean acceptance probability of the step-size adaptation.
_TARGET_ACCEPT = 0.8

#: Log-density gap below the median of the chains beyond which a chain is restarted during warm-up.
_STRANDED_GAP = 8.0

#: Most iterations run in one call of the compiled sampler (the clock of a time budget is read between calls).
_BLOCK = 50

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

    The position of chain ``c`` is the flat vector ``q[c]`` of length ``J * K + (K - 1) + 1``. The keywords
    ``**prior`` are those of :class:`~mse.bayes.latent_class.prior.LatentClassPrior`.
    """

    def __init__(self, histories: np.ndarray, counts: np.ndarray, **prior: Unpack[LatentClassPriorOptions]) -> None:
        self.x = np.asarray(histories, dtype=float)  # (H, J)
        self.x_t = np.ascontiguousarray(self.x.T)
        self.not_x = 1.0 - self.x
        self.counts = np.asarray(counts, dtype=float)
        self.n = float(self.counts.sum())
        self.prior = LatentClassPrior(**prior)
        self.K = K = self.prior.K
        self.J = self.x.shape[1]
        self.dim = self.J * K + K
        self._kernel: Any = None

    def _compiled(self) -> Any:
        # numba is imported on first use: compiling (or loading the cached machine code) is paid
        # only by the fits that run the sampler.
        if self._kernel is None:
            from mse.bayes.latent_class import hmc_kernel

            sets, lengths = hmc_kernel.history_sets(self.x)
            self._data = (sets, lengths, self.counts, self.J, self.K)
            prior = self.prior
            self._priors = (float(prior.a_alpha), float(prior.b_alpha), float(prior.a_lambda), float(prior.b_lambda))
            self._kernel = hmc_kernel
        return self._kernel

    def transitions(
        self,
        state: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        beta: np.ndarray,
        momenta: np.ndarray,
        step: np.ndarray,
        n_steps: np.ndarray,
        inv_mass: np.ndarray,
        log_uniform: np.ndarray,
        executor: ThreadPoolExecutor | None = None,
        n_threads: int = 1,
        order: np.ndarray | None = None,
    ) -> np.ndarray:
        """One HMC transition of every chain, updating ``state = (q, logp, grad, loglik)`` in place.

        Chain ``c`` targets the posterior tempered by ``beta[c]``.

        The chains, taken in ``order`` (by default ``0, 1, ...``), are split into ``n_threads``
        contiguous groups run by ``executor``; every random number is an argument, so the result
        does not depend on the split. Returns the acceptance probabilities. See
        :func:`mse.bayes.latent_class.hmc_kernel.hmc_transitions`.
        """
        kernel = self._compiled()
        q, logp, grad, loglik = state
        C = q.shape[0]
        accept_prob = np.empty(C)
        if order is None:
            order = np.arange(C)
        arrays = (q, logp, grad, loglik, beta, momenta, step, n_steps, inv_mass, log_uniform, accept_prob, order)

        def run(first: int, last: int) -> None:
            kernel.hmc_transitions(*arrays, first, last, *self._data, *self._priors)

        if executor is None or n_threads <= 1:
            run(0, C)
            return accept_prob
        bounds = [C * i // n_threads for i in range(n_threads + 1)]
        futures = [executor.submit(run, first, last) for first, last in itertools.pairwise(bounds)]
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
        logp, grad, _ = self.tempered(q, np.ones(q.shape[0]))
        return logp, grad

    def tempered(self, q: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log density and gradient of the posterior tempered by ``beta`` ``(C,)``, and the log-likelihood.

        The tempered posterior is the prior times the likelihood to the power ``beta``; the
        log-likelihood returned is not tempered.
        """
        eta, nu, omega = self.unpack(q)
        K = self.K
        prior = self.prior
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
        a *= (beta[:, None] * self.counts)[:, :, None] / total  # beta n_h w_hk
        with np.errstate(divide="ignore", invalid="ignore"):
            log_1mp0 = np.log(-np.expm1(log_p0))
        odds = beta * self.n * np.exp(log_p0 - log_1mp0)  # beta n p0 / (1 - p0)

        G = a.sum(axis=1) + odds[:, None] * u  # d logL / d log pi_k
        S = self.x_t @ a  # (C, J, K): sum_h n_h w_hk x_hj
        grad_eta = S - lam * G[:, None, :] + prior.a_lambda - (prior.a_lambda + prior.b_lambda) * lam
        tail_after = np.cumsum(G[:, ::-1], axis=1)[:, ::-1][:, 1:]  # sum_{k > l} G_k, l < K
        grad_nu = G[:, :-1] * (1.0 - v) - v * tail_after + (1.0 - v) - alpha[:, None] * v
        sum_log_1mv = cum[:, -1]
        grad_omega = (K - 1.0) + alpha * sum_log_1mv + prior.a_alpha - prior.b_alpha * alpha

        loglik = log_p_h @ self.counts - self.n * log_1mp0
        logp = (
            beta * loglik
            + (prior.a_lambda * eta).sum(axis=(1, 2))
            + (prior.a_lambda + prior.b_lambda) * log_1mlam.sum(axis=(1, 2))
            + log_v.sum(axis=1)
            + alpha * sum_log_1mv
            + (K - 1.0 + prior.a_alpha) * omega
            - prior.b_alpha * alpha
        )
        grad = np.empty_like(q)
        JK = self.J * K
        grad[:, :JK] = grad_eta.reshape(C, JK)
        grad[:, JK:-1] = grad_nu
        grad[:, -1] = grad_omega
        bad = ~np.isfinite(logp) | ~np.isfinite(grad).all(axis=1)
        if bad.any():
            logp = np.where(bad, -np.inf, logp)
            loglik = np.where(bad, -np.inf, loglik)
            grad[bad] = 0.0
        return logp, grad, loglik

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
    """The state of the per-chain step-size adaptation of Hoffman and Gelman (2014)."""

    def __init__(self, step: np.ndarray) -> None:
        self.restart(step)

    def restart(self, step: np.ndarray) -> None:
        self.mu = np.log(10.0 * step)
        self.log_step = np.log(step)
        self.log_step_bar = np.zeros_like(step)
        self.h_bar = np.zeros_like(step)
        self.t = 0
        # The updates after every transition are made in compiled code, on these arrays in place
        # (mse.bayes.latent_class.hmc_kernel.run_replicas, called by HMCChains.run).

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
    """The state of all chains; :meth:`iterate` runs one HMC transition of every chain.

    With ``n_temperatures`` ``T > 1`` each of the ``n_chains`` chains of the posterior (the
    cold chains, the first ``n_chains`` rows) has ``T - 1`` companions that target the posterior
    with the likelihood raised to powers ``beta`` between 1 and ``1 / max_temperature``
    (geometric spacing); their trajectories are ``tempered_leapfrog`` leapfrog steps long on
    average (``None``: a quarter of ``n_leapfrog``). After every transition, neighbouring
    temperatures of one replica exchange their states by a Metropolis step (parallel tempering;
    Geyer 1991), alternating
    between the even and the odd pairs (Syed et al. 2022). The flatter tempered posteriors cross
    between modes that the posterior itself separates, and the exchanges carry those crossings
    down to the cold chains, whose draws are the only ones kept.
    """

    def __init__(
        self,
        model: LatentClassHMC,
        n_chains: int,
        n_leapfrog: int,
        rng: np.random.Generator,
        n_threads: int = 1,
        n_temperatures: int = 1,
        max_temperature: float = 4.0,
        tempered_leapfrog: int | None = None,
    ) -> None:
        self.model = model
        self.rng = rng
        self.R = n_chains
        self.T = n_temperatures
        self.C = n_chains * n_temperatures
        ladder = max_temperature ** -(np.arange(n_temperatures) / max(n_temperatures - 1, 1))
        self.beta = np.repeat(ladder, n_chains)
        # Trajectory lengths are drawn per chain between half and 1.5 times its mean: ``n_leapfrog`` for
        # the posterior, ``tempered_leapfrog`` for the companions.
        companion = max(1, n_leapfrog // 4) if tempered_leapfrog is None else tempered_leapfrog
        means = np.where(np.arange(self.C) < n_chains, n_leapfrog, companion)
        self.min_steps, self.max_steps = np.maximum(1, (means + 1) // 2), (3 * means) // 2
        self.tempered_leapfrog = companion
        self.q = model.initial_positions(self.C, rng)
        self.logp, self.grad, self.loglik = model.tempered(self.q, self.beta)
        self.n_threads = n_threads
        self.executor: ThreadPoolExecutor | None = None
        self.inv_mass = np.ones_like(self.q)
        self.step = np.full(self.C, 0.05)
        self.adapter = _DualAveraging(self.step)
        self.accept_sum = 0.0
        self.accept_count = 0
        self.divergent = 0
        self.restarted = 0
        self.exchange_parity = 0
        self.exchanges_accepted = np.zeros(max(n_temperatures - 1, 0))
        self.exchanges_proposed = np.zeros(max(n_temperatures - 1, 0))

    def level(self, t: int) -> slice:
        """Rows of the chains at temperature ``t`` (0 is the posterior)."""
        return slice(t * self.R, (t + 1) * self.R)

    def run(
        self, n: int, adapter: _DualAveraging | None = None, n_kept: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n`` iterations of every chain: an HMC transition, then the exchanges between temperatures.

        The random numbers of all ``n`` iterations are drawn first, in one fixed order, and the
        replicas (every temperature of one chain) are run by the threads in compiled code
        (:func:`mse.bayes.latent_class.hmc_kernel.run_replicas`), each thread a contiguous group of
        replicas; the draws depend on the seed and on the lengths of the runs only. With an
        ``adapter`` the step sizes are adapted after every transition. Returns the acceptance
        probabilities ``(n, C)`` and the positions and log densities after each iteration of the
        first ``n_kept`` rows, ``(n, n_kept, D)`` and ``(n, n_kept)``.
        """
        rng = self.rng
        C, D = self.q.shape
        z = rng.standard_normal((n, C, D))
        # Jittered step sizes (Neal 2011, section 5.4.2.2) avoid periodic trajectories.
        jitter = rng.uniform(0.6, 1.2, size=(n, C))
        # So are trajectory lengths, drawn around each chain's mean.
        n_steps = rng.integers(self.min_steps, self.max_steps + 1, size=(n, C))
        log_u = np.log(rng.random((n, C)))
        log_u_exchange = np.log(rng.random((n, C)))
        accept_prob = np.empty((n, C))
        exchanged = np.zeros((n, C), dtype=np.bool_)
        kept = np.empty((n, n_kept, D))
        kept_logp = np.empty((n, n_kept))
        if adapter is None:
            zeros = np.zeros(C)
            adaptation = (False, 0.0, zeros, zeros, zeros, zeros, _TARGET_ACCEPT)
        else:
            adaptation = (
                True,
                float(adapter.t),
                adapter.mu,
                adapter.log_step,
                adapter.log_step_bar,
                adapter.h_bar,
                _TARGET_ACCEPT,
            )
        kernel = self.model._compiled()
        arguments = (
            (self.q, self.logp, self.grad, self.loglik),
            self.beta,
            self.inv_mass,
            self.step,
            (z, jitter, n_steps, log_u, log_u_exchange),
            self.exchange_parity,
            self.R,
        )
        data = (*self.model._data[:2], self.model.counts, self.model.J, self.model.K, self.model._priors)

        def replicas(first: int, last: int) -> None:
            kernel.run_replicas(*arguments, first, last, adaptation, accept_prob, exchanged, kept, kept_logp, *data)

        threads = min(self.n_threads, self.R)
        if self.executor is None or threads <= 1:
            replicas(0, self.R)
        else:
            bounds = [self.R * i // threads for i in range(threads + 1)]
            futures = [self.executor.submit(replicas, first, last) for first, last in itertools.pairwise(bounds)]
            for future in futures:
                future.result()
        if adapter is not None:
            adapter.t += n
        # Exchange statistics: iteration i proposed the pairs of parity (exchange_parity + i) mod 2.
        for offset in (0, 1):
            pairs = np.arange((self.exchange_parity + offset) % 2, self.T - 1, 2)
            iterations = exchanged[offset::2]
            if pairs.size == 0 or iterations.shape[0] == 0:
                continue
            lower = iterations.reshape(iterations.shape[0], self.T, self.R)[:, pairs]
            self.exchanges_accepted[pairs] += lower.sum(axis=(0, 2))
            self.exchanges_proposed[pairs] += iterations.shape[0] * self.R
        self.exchange_parity = (self.exchange_parity + n) % 2
        return accept_prob, kept, kept_logp

    def iterate(self) -> np.ndarray:
        """One HMC transition of every chain, then the exchanges; returns the acceptance probabilities."""
        return self.run(1)[0][0]

    def warmup(self, n_warmup: int, deadline: float | None = None) -> int:
        """Adapt the step sizes and the (diagonal) mass matrices; the warm-up draws are discarded.

        Warm-up stops early once ``time.perf_counter()`` passes ``deadline``, the time budget a user
        asked for (read after every block of at most :data:`_BLOCK` iterations); with ``None`` (no
        budget) the clock is not read and warm-up always runs its ``n_warmup`` iterations. Returns
        the number of iterations run.
        """
        ends = _adaptation_windows(n_warmup)
        window: list[np.ndarray] = []
        window_logp: list[np.ndarray] = []
        # Warm-up trajectories are half as long: adaptation needs many transitions more than long ones.
        full_lengths = self.min_steps, self.max_steps
        self.min_steps, self.max_steps = np.maximum(1, self.min_steps // 2), np.maximum(1, self.max_steps // 2)
        # Blocks end where the mass matrix is re-estimated, where collecting its draws begins (after
        # iteration 75) and every _BLOCK iterations, at the same iterations whatever the budget.
        stops = sorted({*range(_BLOCK, n_warmup, _BLOCK), *ends, *([75] if ends else []), n_warmup})
        it = 0
        for stop in stops:
            collect = bool(ends) and it >= 75
            _, kept, kept_logp = self.run(stop - it, self.adapter, self.C if collect else 0)
            it = stop
            if collect:
                window.append(kept)
                window_logp.append(kept_logp)
            if it in ends:
                draws = np.concatenate(window)  # (n, C, D)
                mean_logp = np.concatenate(window_logp).mean(axis=0)
                for t in range(self.T):
                    rows = self.level(t)
                    self._adapt_mass(draws[:, rows], rows)
                    self._replace_stranded_chains(mean_logp, rows)
                    self.step[rows] = float(np.median(self.step[rows]))
                window = []
                window_logp = []
                self.adapter.restart(self.step)
            if past(deadline):
                break
        self.step = self.adapter.final()
        self.min_steps, self.max_steps = full_lengths
        return it

    def _adapt_mass(self, draws: np.ndarray, rows: slice) -> None:
        """Diagonal inverse mass matrix of the chains ``rows`` from their draws ``(n, R, D)``.

        One matrix for all chains of a temperature, from the median over chains of the within-chain
        variances: the classes are ordered by the stick-breaking prior, so coordinates mean the same in
        every chain; a chain stuck in an odd region does not get a mass matrix of its own that keeps it
        there; and the wide excursions of one chain (a stick wandering over the flat part of its prior)
        do not inflate the scale of every chain, which would force a small step size on all of them.
        """
        n_pooled = draws.shape[0] * draws.shape[1]
        var = np.median(draws.var(axis=0), axis=0)
        self.inv_mass[rows] = (n_pooled / (n_pooled + 5.0)) * var + 1e-3 * (5.0 / (n_pooled + 5.0))

    def _replace_stranded_chains(self, mean_logp: np.ndarray, rows: slice) -> None:
        """During warm-up, restart chains stranded far below the others from the positions of others.

        Among the chains ``rows`` (one temperature), a chain whose log density, averaged over the last
        adaptation window, is more than ``_STRANDED_GAP`` below the median of these averages sits in a
        region of negligible posterior mass (typically a configuration that splits the rarely captured
        people over several classes) that it may take thousands of iterations to leave. It is moved to
        the position of a randomly chosen chain above the median; the rest of warm-up separates the two
        again. This affects warm-up only; the draws kept afterwards come from the unchanged kernel.
        """
        level_logp = mean_logp[rows]
        median = np.median(level_logp)
        offset = rows.start
        stranded = offset + np.flatnonzero(level_logp < median - _STRANDED_GAP)
        if stranded.size == 0:
            return
        good = offset + np.flatnonzero(level_logp >= median)
        donors = self.rng.choice(good, size=stranded.size)
        for array in (self.q, self.logp, self.grad, self.loglik):
            array[stranded] = array[donors]
        self.restarted += int(stranded.size)

    def draw(self, n: int) -> np.ndarray:
        """``n`` iterations after warm-up; returns the positions of the cold chains after each ``(n, R, D)``.

        Counts the acceptance and the divergences of the cold chains.
        """
        accept_prob, kept, _ = self.run(n, n_kept=self.R)
        cold = accept_prob[:, : self.R]
        self.accept_sum += float(cold.sum())
        self.accept_count += cold.size
        # Acceptance probability 0: the trajectory diverged (energy error beyond floating point).
        self.divergent += int((cold == 0.0).sum())
        return kept


@accepts_former_setting_names
def sample_latent_class_hmc(
    histories: np.ndarray,
    counts: np.ndarray,
    *,
    chains: int = 10,
    tune: int = 300,
    draws: int | None = 1000,
    max_draws: int = 50_000,
    max_seconds: float | None = None,
    thin: int = 1,
    n_leapfrog: int = 48,
    n_temperatures: int = 1,
    max_temperature: float = 4.0,
    tempered_leapfrog: int | None = None,
    n_threads: int | None = None,
    random_seed: int | np.random.SeedSequence | None = None,
    **prior: Unpack[LatentClassPriorOptions],
) -> LatentClassDraws:
    """Draw from the posterior of the latent-class capture-recapture model by HMC.

    Parameters
    ----------
    histories, counts, draws, max_draws, random_seed, **prior
        As in :func:`mse.bayes.latent_class.gibbs.sample_latent_class`.
    chains : int
        Chains run together.
    tune : int
        Warm-up iterations per chain (step-size and mass-matrix adaptation),
        discarded.
    max_seconds : float or None
        Time budget of a run with ``draws=None``, in seconds including
        warm-up; ``None`` (the default) sets none, so that the draws depend on
        ``random_seed`` only. A run that the budget cuts short (warm-up
        included) has ``stop_reason == "max_seconds"``.
    thin : int
        Keep every ``thin``-th iteration.
    n_leapfrog : int
        Mean number of leapfrog steps per HMC iteration; each trajectory draws
        its length between half and one and a half times this.
    n_temperatures, max_temperature : int, float
        Parallel tempering: each chain has ``n_temperatures - 1`` companions
        at temperatures up to ``max_temperature`` (geometric spacing) with
        which it exchanges states; ``1`` (no tempering) by default. See
        :class:`HMCChains`.
    tempered_leapfrog : int or None
        Mean number of leapfrog steps of the tempered companions' trajectories
        (``None``: a quarter of ``n_leapfrog``). Their flatter posteriors are
        crossed in fewer steps, and they only need to move far enough between
        exchanges to carry the cold chains between modes, so shorter
        trajectories cut the cost of an iteration by more than half.
    n_threads : int or None
        Threads that run the chains (``None``: one per available core, at most
        one per chain). The draws do not depend on it.

    Returns
    -------
    LatentClassDraws
        Arrays of shape ``(chains, draws)``; ``acceptance`` is the mean
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

    Geyer, C. J. (1991). Markov chain Monte Carlo maximum likelihood. In
    *Computing Science and Statistics: Proceedings of the 23rd Symposium on the
    Interface*, 156-163.

    Syed, S., Bouchard-Côté, A., Deligiannidis, G. and Doucet, A. (2022).
    Non-reversible parallel tempering: a scalable highly parallel MCMC scheme.
    *Journal of the Royal Statistical Society B* 84(2), 321-350.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    >>> c = np.array([60, 50, 40, 20, 15, 12, 5])
    >>> draws = sample_latent_class_hmc(h, c, K=3, chains=2, draws=50, tune=50, n_temperatures=2, random_seed=1)
    >>> draws.N.shape, len(draws.settings["exchange_rates"])  # one pair of neighbouring temperatures
    ((2, 50), 1)
    """
    started = time.perf_counter()
    n_chains, n_burnin, n_draws = chains, tune, draws
    rng = np.random.default_rng(random_seed)
    model = LatentClassHMC(histories, counts, **prior)
    threads = available_cores() if n_threads is None else n_threads
    threads = max(1, min(threads, n_chains * n_temperatures))
    ensemble = HMCChains(model, n_chains, n_leapfrog, rng, threads, n_temperatures, max_temperature, tempered_leapfrog)
    occupancy_counts = model.counts.astype(np.int64)

    def block(m: int) -> list[np.ndarray]:
        # The positions of the cold chains at every thin-th iteration of m * thin.
        return list(ensemble.draw(m * thin)[thin - 1 :: thin])

    def summarise(states: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # For the positions of the cold chains at many iterations at once: n0 | pi, lambda ~
        # NegativeBinomial(n, 1 - p0); the allocation of everybody (observed and not) is drawn
        # too, only to count the occupied classes.
        cold = np.concatenate(states)  # iteration by iteration, the chains of each
        log_pi, log_lam, log_1mlam = model.log_weights(cold)
        log_p0, u = _logsumexp_last(log_pi + log_1mlam.sum(axis=1))
        n0 = rng.negative_binomial(int(model.n), np.clip(-np.expm1(log_p0), _MIN_CAPTURE_PROBABILITY, 1.0))
        _, w = _logsumexp_last(model.x @ log_lam + model.not_x @ log_1mlam + log_pi[:, None, :])
        occupied = rng.multinomial(occupancy_counts, w).sum(axis=1) + rng.multinomial(n0, u)
        shape = (len(states), n_chains)
        return tuple(  # type: ignore[return-value]
            value.reshape(shape).T for value in (n0, np.exp(log_p0), np.exp(cold[:, -1]), (occupied > 0).sum(axis=1))
        )

    budget = RunBudget(draws=n_draws, max_draws=max_draws, max_seconds=max_seconds)
    with ThreadPoolExecutor(threads) as executor:
        ensemble.executor = executor
        warmup_iterations = ensemble.warmup(n_burnin, deadline(started, max_seconds) if n_draws is None else None)
        outcome = run_chains(
            ensemble.iterate,
            lambda: ensemble.q[:n_chains].copy(),
            int(model.n),
            budget,
            thin,
            started,
            summarise,
            block=block,
        )
    return LatentClassDraws.from_run(
        outcome,
        int(model.n),
        K=model.K,
        tune=n_burnin,
        thin=thin,
        acceptance=ensemble.accept_sum / max(ensemble.accept_count, 1),
        step_scale=float(ensemble.step[:n_chains].mean()),
        seconds=time.perf_counter() - started,
        warmup_iterations=warmup_iterations,
        n_leapfrog=n_leapfrog,
        n_threads=threads,
        n_temperatures=n_temperatures,
        max_temperature=max_temperature,
        tempered_leapfrog=int(ensemble.tempered_leapfrog),
        exchange_rates=(ensemble.exchanges_accepted / np.maximum(ensemble.exchanges_proposed, 1)).round(3).tolist(),
        divergent=ensemble.divergent,
        restarted_in_warmup=ensemble.restarted,
    )
