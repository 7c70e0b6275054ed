"""A multi-chain Gibbs sampler for the non-parametric latent-class capture-recapture model.

The model (Manrique-Vallier 2016) describes each of the ``N`` people in the
population by a latent class ``z_i`` in ``1..K`` and, given the class,
independent Bernoulli captures on the ``J`` lists:

.. math::

    x_{ij} \\mid z_i = k \\sim \\mathrm{Bernoulli}(\\lambda_{jk}), \\quad
    \\pi \\sim \\mathrm{SB}_K(\\alpha), \\quad \\alpha \\sim \\mathrm{Gamma}(a_\\alpha, b_\\alpha), \\quad
    \\lambda_{jk} \\sim \\mathrm{Beta}(a_\\lambda, b_\\lambda), \\quad p(N) \\propto 1/N,

with a stick-breaking prior truncated at ``K`` classes (Dunson and Xing 2009).
Only people on at least one list are observed.

The sampler works on the aggregated table: the ``n_h`` people with history
``h`` are allocated to classes by one multinomial draw, so the cost of an
iteration is proportional to (distinct observed histories) x ``K`` and does
not grow with ``N``. All chains advance together in arrays of shape
``(chains, histories, classes)``, so extra chains cost little.

Each iteration is a valid composition of these updates:

1. the allocation of observed people, ``m_hk | pi, lambda`` (multinomial);
2. the unobserved count and its allocation, ``n0 | pi, lambda`` (negative
   binomial, from ``p(N) ~ 1/N``) and ``m_0k | n0, pi, lambda`` (multinomial);
3. a collapsed Metropolis move on the unobserved allocation ``m_0k`` with
   ``pi`` and ``lambda`` integrated out (Beta-binomial and stick-breaking
   marginals). This move breaks the strong coupling between ``n0`` and the
   capture probabilities of the hard-to-capture class, which is what makes
   the plain data-augmentation sampler mix slowly in ``N``; optionally
   (``observed_steps``), collapsed moves of people with one history between
   two classes;
4. ``lambda | m`` (beta), the sticks ``V | m`` (beta) and ``alpha | V`` (gamma).

Steps 3 and 4 together draw ``(m_0, pi, lambda)`` from their joint conditional
given the observed allocation, so the chain targets the posterior exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Unpack

import numpy as np
from scipy.special import gammaln, log_ndtr

from mse.bayes.backend import accepts_former_setting_names
from mse.bayes.latent_class.adaptive import RunBudget, RunOutcome, run_chains
from mse.bayes.latent_class.prior import LatentClassPrior, LatentClassPriorOptions

__all__ = ["LatentClassDraws", "sample_latent_class"]

#: The smallest value of ``1 - p0`` used in the negative-binomial draw of ``n0``.
#: It bounds ``N`` only at about ``n * 1e12``, far beyond any meaningful estimate,
#: and keeps the draw inside the range of 64-bit integers.
_MIN_CAPTURE_PROBABILITY = 1e-12

#: Log of ``1 - V_k`` is floored here so that ``alpha``'s gamma rate stays finite
#: when a stick takes (numerically) all the remaining mass.
_MIN_LOG_STICK = -700.0

#: Largest number of unobserved people in one class that the log-scale move proposes.
_MAX_PROPOSED_UNOBSERVED = 1e10

#: Target acceptance rate of the collapsed move during burn-in adaptation.
_TARGET_ACCEPTANCE = 0.35


@dataclass(frozen=True)
class LatentClassDraws:
    """Posterior draws from :func:`sample_latent_class`, each of shape ``(chains, draws)``.

    Attributes
    ----------
    N, n0 : numpy.ndarray of int64
        Population size and the number of people on no list.
    p0 : numpy.ndarray of float
        Probability that a person is on no list.
    alpha : numpy.ndarray of float
        Concentration of the stick-breaking prior.
    n_classes : numpy.ndarray of int64
        Number of classes holding at least one person.
    acceptance : float
        Acceptance rate of the collapsed move on ``n0`` after burn-in.
    step_scale : float
        The adapted scale of that move.
    seconds : float
        Wall-clock time of the sampler.
    settings : dict
        The run's settings (``n_draws`` is the number of draws kept per chain).
    stop_reason : str
        ``"fixed"`` (a set number of draws), ``"converged"``, ``"max_draws"``
        (an adaptive run that ran out of draws) or ``"max_seconds"`` (an
        adaptive run cut short by the time budget the user set).

    Examples
    --------
    >>> import numpy as np
    >>> import mse
    >>> from mse.bayes.latent_class.gibbs import sample_latent_class
    >>> data = mse.load_dataset("korea")
    >>> draws = sample_latent_class(np.asarray(data.histories), np.asarray(data.counts),
    ...                             n_chains=2, n_draws=200, n_burnin=200, random_seed=1)
    >>> draws.N.shape, draws.stop_reason
    ((2, 200), 'fixed')
    """

    N: np.ndarray
    n0: np.ndarray
    p0: np.ndarray
    alpha: np.ndarray
    n_classes: np.ndarray
    acceptance: float
    step_scale: float
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    stop_reason: str = "fixed"

    @classmethod
    def from_run(
        cls,
        outcome: RunOutcome,
        n_observed: int,
        *,
        K: int,
        tune: int,
        thin: int,
        acceptance: float,
        step_scale: float,
        seconds: float,
        **settings: Any,
    ) -> LatentClassDraws:
        """The draws of a sampler's run of :func:`~mse.bayes.latent_class.adaptive.run_chains`.

        ``N = n_observed + n0``; ``settings`` records ``K``, the chains, the
        draws kept per chain, ``tune`` (as ``n_burnin``), ``thin`` and the
        sampler's own ``settings``.
        """
        chains, kept = outcome.n0.shape
        carried = {name: getattr(outcome, name) for name in ("n0", "p0", "alpha", "n_classes", "stop_reason")}
        return cls(
            N=outcome.n0 + n_observed,
            acceptance=acceptance,
            step_scale=step_scale,
            seconds=seconds,
            settings={"K": K, "n_chains": chains, "n_draws": kept, "n_burnin": tune, "thin": thin, **settings},
            **carried,
        )


def _softmax_last(log_weights: np.ndarray) -> np.ndarray:
    weights = np.exp(log_weights - log_weights.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights


def _tail_sums(m: np.ndarray) -> np.ndarray:
    """``sum_{l > k} m_l`` along the last axis."""
    return np.cumsum(m[..., ::-1], axis=-1)[..., ::-1] - m


def _log_normal_interval(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a < b, accurate in both tails (no difference of numbers near 1)."""
    flip = a > 0.0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    log_hi = log_ndtr(hi)
    log_lo = log_ndtr(lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = log_hi + np.log1p(-np.exp(log_lo - log_hi))
        # Intervals too narrow for the subtraction: width times the density at the midpoint.
        mid = 0.5 * (lo + hi)
        fallback = np.log(hi - lo) - 0.5 * mid * mid - 0.5 * np.log(2.0 * np.pi)
    return np.where(np.isfinite(out), out, fallback)


def _log_rounding_probability(to: np.ndarray, start: np.ndarray, sigma: float) -> np.ndarray:
    """log P(max(round(start * exp(sigma * Z)), 1) == to) for Z standard normal and integers ``to >= 1``."""
    upper = np.log((to + 0.5) / start) / sigma
    lower = np.where(to > 1.0, np.log(np.maximum(to - 0.5, 0.5) / start) / sigma, -np.inf)
    return _log_normal_interval(lower, upper)


class _Sampler:
    """Holds the state of all chains; one call to :meth:`step` is one iteration."""

    def __init__(
        self,
        histories: np.ndarray,
        counts: np.ndarray,
        *,
        n_chains: int,
        collapsed_steps: int,
        observed_steps: int,
        rng: np.random.Generator,
        **prior: Unpack[LatentClassPriorOptions],
    ) -> None:
        self.x = histories.astype(float)  # (H, J)
        self.not_x = 1.0 - self.x
        self.counts = counts.astype(np.int64)  # (H,)
        self.n = int(self.counts.sum())
        self.prior = LatentClassPrior(**prior)
        self.K = K = self.prior.K
        self.C = n_chains
        self.collapsed_steps = collapsed_steps
        self.observed_steps = observed_steps
        self.chunk_accepted = 0.0
        self.chunk_proposed = 0.0
        self.rng = rng
        J = histories.shape[1]
        # Over-dispersed starting points: capture probabilities spread over
        # (0.05, 0.95), class weights from the stick-breaking prior with alpha = 1.
        self.lam = rng.uniform(0.05, 0.95, size=(n_chains, J, K))
        # The first class starts hard to capture on every list. Without such a class the chains
        # first split the rarely captured people over several list-specific classes, a state of
        # small N that they take thousands of iterations to leave.
        self.lam[:, :, 0] = rng.uniform(0.01, 0.1, size=(n_chains, J))
        self.alpha = rng.gamma(1.0, 1.0, size=n_chains) + 0.1
        sticks = rng.beta(1.0, 1.0, size=(n_chains, K))
        sticks[:, -1] = 1.0
        self.log_pi = self._log_pi_from_sticks(sticks)
        self.m_obs = np.zeros((n_chains, histories.shape[0], K), dtype=np.int64)
        self.m0 = np.zeros((n_chains, K), dtype=np.int64)
        self.log_step = np.log(0.5)
        self.log_step_obs = np.log(0.5)
        self.log_scale_step = np.log(0.5)
        self.accepted = 0.0
        self.proposed = 0.0

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _log_pi_from_sticks(sticks: np.ndarray) -> np.ndarray:
        log_v = np.log(np.clip(sticks, 1e-300, 1.0))
        with np.errstate(divide="ignore"):
            log_1mv = np.maximum(np.log1p(-np.minimum(sticks, 1.0)), _MIN_LOG_STICK)
        return log_v + np.concatenate([np.zeros_like(log_v[:, :1]), np.cumsum(log_1mv[:, :-1], axis=1)], axis=1)

    # ------------------------------------------------------------ updates
    def _allocate_observed(self, log_lam: np.ndarray, log_1mlam: np.ndarray) -> None:
        log_f = self.x @ log_lam + self.not_x @ log_1mlam  # (C, H, K)
        probs = _softmax_last(log_f + self.log_pi[:, None, :])
        self.m_obs = self.rng.multinomial(self.counts, probs)

    def _impute_unobserved(self, log_1mlam: np.ndarray) -> None:
        log_w = self.log_pi + log_1mlam.sum(axis=1)  # (C, K): log pi_k prod_j (1 - lambda_jk)
        top = log_w.max(axis=1, keepdims=True)
        p0 = np.exp(top[:, 0]) * np.exp(log_w - top).sum(axis=1)
        capture = np.clip(1.0 - p0, _MIN_CAPTURE_PROBABILITY, 1.0)
        n0 = self.rng.negative_binomial(self.n, capture)
        self.m0 = self.rng.multinomial(n0, _softmax_last(log_w))

    def _class_terms(self, s: np.ndarray, M: np.ndarray) -> np.ndarray:
        """Beta-binomial marginal of one class's captures, ``lambda`` integrated out; shapes (C, J), (C,) -> (C,)."""
        a, b = self.prior.a_lambda, self.prior.b_lambda
        return (gammaln(a + s) + gammaln(b + M[:, None] - s)).sum(axis=1) - s.shape[1] * gammaln(a + b + M)

    def _stick_terms(self, M: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """Stick-breaking marginal of the class sizes, ``pi`` integrated out; (C, K) -> (C,)."""
        at_or_after = np.cumsum(M[:, ::-1], axis=1)[:, ::-1]
        after = at_or_after - M
        a = alpha[:, None]
        return (gammaln(1.0 + M[:, :-1]) + gammaln(a + after[:, :-1]) - gammaln(1.0 + a + at_or_after[:, :-1])).sum(
            axis=1
        )

    def _unobserved_change(
        self,
        M: np.ndarray,
        s: np.ndarray,
        sticks: np.ndarray,
        k: np.ndarray,
        m0k: np.ndarray,
        new_m0k: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class sizes, stick terms and log target ratio when class ``k`` holds ``new_m0k`` unobserved people."""
        rows = np.arange(M.shape[0])
        delta = new_m0k - m0k
        N = self.n + self.m0.sum(axis=1)
        new_M = M.copy()
        new_M[rows, k] += delta
        s_k = s[rows, :, k]
        new_sticks = self._stick_terms(new_M, self.alpha)
        log_ratio = (
            gammaln(N + delta)
            - gammaln(N)
            - gammaln(new_m0k + 1.0)
            + gammaln(m0k + 1.0)
            + self._class_terms(s_k, new_M[rows, k])
            - self._class_terms(s_k, M[rows, k])
            + new_sticks
            - sticks
        )
        return new_M, new_sticks, log_ratio

    def _collapsed_moves(self, adapt: bool) -> None:
        """Metropolis moves on the allocation counts with ``pi`` and ``lambda`` integrated out.

        The target is p(m | alpha) ~ (N - 1)! / prod_hk m_hk! * prod_k BetaBinomial terms * stick-breaking
        terms. Each of ``collapsed_steps`` rounds changes the number of unobserved people in one class
        (on the additive and on the log scale; this changes N) and swaps the labels of two classes; then
        ``observed_steps`` moves shift people with one history between two classes.
        """
        C, _, K = self.m_obs.shape
        rows = np.arange(C)
        M = self.m_obs.sum(axis=1) + self.m0
        s = np.einsum("hj,chk->cjk", self.x, self.m_obs)
        sticks = self._stick_terms(M, self.alpha)
        for _ in range(self.collapsed_steps):
            # Unobserved people: add or remove |delta| in class k. N and M_k change.
            # The class is chosen with weights that this move keeps fixed (observed class
            # sizes), so the mixture of single-class moves leaves the target invariant.
            M_obs = M - self.m0
            cdf = np.cumsum(M_obs + 1.0, axis=1)
            k = np.minimum((self.rng.random((C, 1)) * cdf[:, -1:] > cdf).sum(axis=1), K - 1)
            scale = np.exp(self.log_step) * (M_obs[rows, k] + 1.0)
            delta = np.rint(self.rng.normal(size=C) * scale).astype(np.int64)
            m0k = self.m0[rows, k]
            new_m0k = m0k + delta
            feasible = new_m0k >= 0
            new_m0k = np.maximum(new_m0k, 0)
            delta = new_m0k - m0k
            new_M, new_sticks, log_ratio = self._unobserved_change(M, s, sticks, k, m0k, new_m0k)
            accept = feasible & (np.log(self.rng.random(C)) < log_ratio)
            self.m0[rows, k] = np.where(accept, new_m0k, m0k)
            M = np.where(accept[:, None], new_M, M)
            sticks = np.where(accept, new_sticks, sticks)
            rate = float(accept.mean())
            if adapt:
                self.log_step += 0.05 * (rate - _TARGET_ACCEPTANCE)
            else:
                self.accepted += rate
                self.proposed += 1.0
            # Unobserved people, on the log scale: u = m0_k + 1 is multiplied by exp(sigma * z) and
            # rounded. Classes that are rarely captured have a posterior for m0_k spread over orders of
            # magnitude, which additive steps cross only slowly. The Hastings ratio uses the exact
            # probabilities of the rounding intervals.
            sigma = np.exp(self.log_scale_step)
            k = self.rng.integers(K, size=C)
            m0k = self.m0[rows, k]
            u = m0k + 1.0
            new_u = np.maximum(np.rint(u * np.exp(sigma * self.rng.normal(size=C))), 1.0)
            # Beyond _MAX_PROPOSED_UNOBSERVED the differences of log-gamma values below lose all
            # precision (their magnitude exceeds 1e13); the posterior mass there is negligible for
            # any table with two or more lists, so such proposals are rejected.
            in_range = new_u <= _MAX_PROPOSED_UNOBSERVED
            new_u = np.where(in_range, new_u, u)
            new_m0k = (new_u - 1.0).astype(np.int64)
            new_M, new_sticks, log_ratio = self._unobserved_change(M, s, sticks, k, m0k, new_m0k)
            log_ratio = (
                log_ratio + _log_rounding_probability(u, new_u, sigma) - _log_rounding_probability(new_u, u, sigma)
            )
            accept = in_range & (np.log(self.rng.random(C)) < log_ratio)
            self.m0[rows, k] = np.where(accept, new_m0k, m0k)
            M = np.where(accept[:, None], new_M, M)
            sticks = np.where(accept, new_sticks, sticks)
            if adapt:
                self.log_scale_step += 0.05 * (float(accept.mean()) - _TARGET_ACCEPTANCE)
                # Bounded, so that nearly empty classes (which accept almost any move) cannot
                # drive the scale to jumps of many orders of magnitude.
                self.log_scale_step = min(max(self.log_scale_step, np.log(0.05)), np.log(1.5))
            # Relabel: swap the labels of two classes. Only the stick-breaking prior
            # depends on the order of the classes, so the other terms cancel. This lets
            # the weights (and alpha) move between configurations the sticks visit slowly.
            k = self.rng.integers(K, size=C)
            l_ = (k + self.rng.integers(1, K, size=C)) % K
            new_M = M.copy()
            new_M[rows, k], new_M[rows, l_] = M[rows, l_], M[rows, k]
            new_sticks = self._stick_terms(new_M, self.alpha)
            accept = np.log(self.rng.random(C)) < new_sticks - sticks
            kk, ll, rr = k[accept], l_[accept], rows[accept]
            if rr.size:
                self.m_obs[rr, :, kk], self.m_obs[rr, :, ll] = self.m_obs[rr, :, ll], self.m_obs[rr, :, kk].copy()
                self.m0[rr, kk], self.m0[rr, ll] = self.m0[rr, ll], self.m0[rr, kk].copy()
                s[rr, :, kk], s[rr, :, ll] = s[rr, :, ll], s[rr, :, kk].copy()
            M = np.where(accept[:, None], new_M, M)
            sticks = np.where(accept, new_sticks, sticks)
        for _ in range(self.observed_steps):
            M, sticks = self._move_observed_chunk(M, s, sticks)

    def _move_observed_chunk(self, M: np.ndarray, s: np.ndarray, sticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move some of the observed people with one history from one class to another, collapsed.

        The history ``h`` is chosen uniformly, the source class ``k`` in proportion to ``m_hk`` and
        the destination ``l`` uniformly among the others; ``delta`` people move, drawn uniformly from
        ``1..m_hk`` (a wide move that can empty a class, which is what merges classes) or from
        ``1..min(m_hk, w_h)`` (a local move), with probability 1/2 each. The reverse move is the same
        kind of proposal from the new state, so the Hastings ratio is the ratio of those probabilities.
        """
        C, H, K = self.m_obs.shape
        rows = np.arange(C)
        # h == H stands for the unobserved people, who move between classes with N unchanged.
        h = self.rng.integers(H + 1, size=C)
        unobserved = h == H
        h_obs = np.minimum(h, H - 1)
        m_h = np.where(unobserved[:, None], self.m0, self.m_obs[rows, h_obs, :])  # (C, K)
        cdf = np.cumsum(m_h, axis=1)
        target = self.rng.random(C) * cdf[:, -1]
        k = np.minimum((target[:, None] >= cdf).sum(axis=1), K - 1)
        l_ = (k + self.rng.integers(1, K, size=C)) % K
        mhk = m_h[rows, k]
        mhl = m_h[rows, l_]
        # The row total does not change under this move, so a width that depends on it keeps the
        # proposal reversible.
        width = np.maximum(np.ceil(np.sqrt(m_h.sum(axis=1))), 1.0)
        wide = self.rng.random(C) < 0.5
        span = np.where(wide, mhk, np.minimum(mhk, width))
        delta = 1 + np.floor(self.rng.random(C) * np.maximum(span, 1)).astype(np.int64)
        delta = np.minimum(delta, mhk)  # only matters when mhk == 0, which has probability zero
        new_mhl = mhl + delta

        def log_proposal(source: np.ndarray) -> np.ndarray:
            # log(source * q(delta | source)): the choice of the source class times the choice of delta.
            source = np.maximum(source, 1)
            local = np.minimum(source, width)
            q = 0.5 / source + 0.5 * (delta <= local) / local
            return np.log(source * q)

        log_hastings = log_proposal(new_mhl) - log_proposal(mhk)
        x_h = np.where(unobserved[:, None], 0.0, self.x[h_obs])  # (C, J)
        xh = x_h * delta[:, None]
        new_M = M.copy()
        new_M[rows, k] -= delta
        new_M[rows, l_] += delta
        new_s_k = s[rows, :, k] - xh
        new_s_l = s[rows, :, l_] + xh
        new_sticks = self._stick_terms(new_M, self.alpha)
        log_ratio = (
            gammaln(mhk + 1.0)
            + gammaln(mhl + 1.0)
            - gammaln(mhk - delta + 1.0)
            - gammaln(new_mhl + 1.0)
            + self._class_terms(new_s_k, new_M[rows, k])
            + self._class_terms(new_s_l, new_M[rows, l_])
            - self._class_terms(s[rows, :, k], M[rows, k])
            - self._class_terms(s[rows, :, l_], M[rows, l_])
            + new_sticks
            - sticks
            + log_hastings
        )
        accept = (mhk > 0) & (np.log(self.rng.random(C)) < log_ratio)
        moved_obs = np.where(accept & ~unobserved, delta, 0)
        moved_unobs = np.where(accept & unobserved, delta, 0)
        self.m_obs[rows, h_obs, k] -= moved_obs
        self.m_obs[rows, h_obs, l_] += moved_obs
        self.m0[rows, k] -= moved_unobs
        self.m0[rows, l_] += moved_unobs
        s[rows, :, k] -= x_h * moved_obs[:, None]
        s[rows, :, l_] += x_h * moved_obs[:, None]
        self.chunk_accepted += float(accept.mean())
        self.chunk_proposed += 1.0
        return np.where(accept[:, None], new_M, M), np.where(accept, new_sticks, sticks)

    def _update_parameters(self) -> None:
        M = self.m_obs.sum(axis=1) + self.m0  # (C, K)
        s = np.einsum("hj,chk->cjk", self.x, self.m_obs)
        self.lam = self.rng.beta(self.prior.a_lambda + s, self.prior.b_lambda + M[:, None, :] - s)
        # Sticks through gamma variates, so that log(1 - V) stays accurate when V is near 1.
        g1 = self.rng.gamma(1.0 + M[:, :-1])
        g2 = self.rng.gamma(self.alpha[:, None] + _tail_sums(M)[:, :-1])
        total = g1 + g2
        with np.errstate(divide="ignore"):
            log_v = np.log(g1) - np.log(total)
            log_1mv = np.maximum(np.log(g2) - np.log(total), _MIN_LOG_STICK)
        log_v = np.maximum(log_v, _MIN_LOG_STICK)
        cum = np.concatenate([np.zeros((self.C, 1)), np.cumsum(log_1mv, axis=1)], axis=1)
        self.log_pi = np.concatenate([log_v, np.zeros((self.C, 1))], axis=1) + cum
        rate = self.prior.b_alpha - log_1mv.sum(axis=1)
        self.alpha = self.rng.gamma(self.prior.a_alpha + self.K - 1.0, 1.0 / rate)

    def step(self, adapt: bool = False) -> None:
        # Capture probabilities are kept away from 0 and 1 only inside the logs.
        lam = np.clip(self.lam, 1e-300, 1.0 - 1e-12)
        log_lam = np.log(lam)
        log_1mlam = np.log1p(-lam)
        self._allocate_observed(log_lam, log_1mlam)
        self._impute_unobserved(log_1mlam)
        if self.collapsed_steps or self.observed_steps:
            self._collapsed_moves(adapt)
        self._update_parameters()

    def record(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n0 = self.m0.sum(axis=1)
        lam = np.clip(self.lam, 0.0, 1.0 - 1e-12)
        p0 = np.exp(self.log_pi + np.log1p(-lam).sum(axis=1)).sum(axis=1)
        occupied = ((self.m_obs.sum(axis=1) + self.m0) > 0).sum(axis=1)
        return n0, p0, self.alpha.copy(), occupied


@accepts_former_setting_names
def sample_latent_class(
    histories: np.ndarray,
    counts: np.ndarray,
    *,
    chains: int = 4,
    draws: int | None = 1000,
    tune: int = 1000,
    thin: int = 1,
    max_draws: int = 200_000,
    max_seconds: float | None = None,
    collapsed_steps: int = 3,
    observed_steps: int = 0,
    random_seed: int | np.random.SeedSequence | None = None,
    **prior: Unpack[LatentClassPriorOptions],
) -> LatentClassDraws:
    """Draw from the posterior of the latent-class capture-recapture model.

    Parameters
    ----------
    histories : numpy.ndarray, shape (H, J)
        Distinct observed capture histories (0/1), none all-zero.
    counts : numpy.ndarray, shape (H,)
        Number of people with each history.
    chains, tune, thin : int
        Chains run together; iterations discarded first (burn-in, during
        which the collapsed move adapts its step); keep every ``thin``-th
        iteration.
    draws : int or None
        Draws kept per chain; ``None`` draws until ``N`` has converged by the
        shared rule :data:`mse.bayes.backend.CONVERGENCE` (R-hat at most 1.01
        and bulk effective sample size at least 400), or until ``max_draws``
        or ``max_seconds`` is reached. The former names of ``chains``,
        ``tune`` and ``draws`` (``n_chains``, ``n_burnin``, ``n_draws``) still
        work, with an :class:`~mse.MSEDeprecationWarning`.
    max_draws : int
        Most draws per chain of a run with ``draws=None``.
    max_seconds : float or None
        Time budget of a run with ``draws=None``, in seconds including
        burn-in (which itself always runs to the end); ``None`` (the default)
        sets none, so that the draws depend on ``random_seed`` only.
    collapsed_steps : int
        Collapsed Metropolis moves on the unobserved allocation per iteration
        (0 gives the plain data-augmentation Gibbs sampler). Each is a move of
        the unobserved count of one class on the additive and on the log scale,
        and a relabelling of two classes.
    observed_steps : int
        Collapsed Metropolis moves per iteration that move people of one
        history (observed, or the unobserved) from one class to another.
    random_seed : int, numpy.random.SeedSequence or None
        Seed of the single random stream shared by all chains.
    **prior
        ``K`` (10), ``a_alpha`` (0.25), ``b_alpha`` (0.25), ``a_lambda`` (1)
        and ``b_lambda`` (1): the number of classes and the prior, as in
        :class:`~mse.bayes.latent_class.prior.LatentClassPrior`.

    Returns
    -------
    LatentClassDraws
        Arrays of shape ``(chains, draws)``.

    References
    ----------
    Dunson, D. B. and Xing, C. (2009). Nonparametric Bayes modeling of
    multivariate categorical data. *Journal of the American Statistical
    Association* 104(487), 1042-1051.

    Manrique-Vallier, D. (2016). Bayesian population size estimation using
    Dirichlet process mixtures. *Biometrics* 72(3), 1054-1063.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    >>> c = np.array([60, 50, 40, 20, 15, 12, 5])
    >>> draws = sample_latent_class(h, c, K=3, chains=2, draws=50, tune=50, random_seed=1)
    >>> draws.N.shape
    (2, 50)
    >>> bool((draws.N >= c.sum()).all())
    True
    """
    n_chains, n_burnin, n_draws = chains, tune, draws
    histories = np.asarray(histories)
    counts = np.asarray(counts, dtype=np.int64)
    started = time.perf_counter()
    rng = np.random.default_rng(random_seed)
    sampler = _Sampler(
        histories,
        counts,
        n_chains=n_chains,
        collapsed_steps=collapsed_steps,
        observed_steps=observed_steps,
        rng=rng,
        **prior,
    )
    for _ in range(n_burnin):
        sampler.step(adapt=True)
    budget = RunBudget(draws=n_draws, max_draws=max_draws, max_seconds=max_seconds)
    outcome = run_chains(sampler.step, sampler.record, sampler.n, budget, thin, started)
    return LatentClassDraws.from_run(
        outcome,
        sampler.n,
        K=sampler.K,
        tune=n_burnin,
        thin=thin,
        acceptance=sampler.accepted / sampler.proposed if sampler.proposed else float("nan"),
        step_scale=float(np.exp(sampler.log_step)),
        seconds=time.perf_counter() - started,
        collapsed_steps=collapsed_steps,
    )
