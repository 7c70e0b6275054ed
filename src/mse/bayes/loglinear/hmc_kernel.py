"""Compiled HMC transitions for the whitened posterior of a Poisson log-linear model.

The sampler of :mod:`mse.bayes.loglinear.hmc` works in coordinates ``z`` with
``beta = centre + root @ z``, in which the posterior is close to a standard
normal. There the log posterior, up to a constant, is

    ``y' eta - sum(exp(eta)) - z' P z / 2 - b' z``,  with ``eta = c + A z``,

where ``A = X root``, ``c = X centre``, ``P = root' diag(precision) root`` and
``b = root' (precision * centre)``; its gradient is
``A' (y - exp(eta)) - P z - b``. The tables are small (at most a few hundred
cells and a few dozen coefficients), so in numpy every evaluation would be
dominated by call overhead; this module compiles whole trajectories with
numba (``cache=True``: the machine code is kept on disk and later processes
load it instead of compiling).

Every random number (momenta, trajectory jitter, acceptance uniforms) is
drawn by the caller from its ``numpy.random.Generator`` and passed in, so the
draws depend on the seed only. The step size is tuned by the dual averaging
of Hoffman & Gelman (2014, section 3.2) while ``adapt`` is true and fixed
otherwise, so the kept draws come from a fixed, exact Metropolis kernel.

References
----------
Hoffman, M. D. & Gelman, A. (2014). The No-U-Turn sampler: adaptively setting
path lengths in Hamiltonian Monte Carlo. *JMLR* 15, 1593-1623.

Neal, R. M. (2011). MCMC using Hamiltonian dynamics. In *Handbook of Markov
Chain Monte Carlo*, ch. 5. Chapman & Hall/CRC.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["hmc_segment"]

#: Dual-averaging constants of Hoffman & Gelman (2014): shrinkage, iteration offset, decay.
_GAMMA = 0.05
_T0 = 10.0
_KAPPA = 0.75
#: An energy error above this marks the transition as divergent (as in Stan and PyMC).
_DIVERGENCE = 1000.0


@njit(cache=True, nogil=True, error_model="numpy")
def _logp_grad(z, A, c, y, P, b, grad):  # pragma: no cover - compiled
    """Log posterior at ``z`` (up to a constant); writes its gradient into ``grad``."""
    m, p = A.shape
    lp = 0.0
    for k in range(p):
        grad[k] = 0.0
    for i in range(m):
        eta = c[i]
        for k in range(p):
            eta += A[i, k] * z[k]
        mu = math.exp(eta)
        lp += y[i] * eta - mu
        r = y[i] - mu
        for k in range(p):
            grad[k] += A[i, k] * r
    for k in range(p):
        s = b[k]
        for j in range(p):
            s += P[k, j] * z[j]
        grad[k] -= s
        # -z'Pz/2 - b'z, summed term by term: z_k ((Pz)_k / 2 + b_k) = z_k (s + b_k) / 2
        lp -= 0.5 * z[k] * (s + b[k])
    return lp


@njit(cache=True, nogil=True, error_model="numpy")
def hmc_segment(
    A,
    c,
    y,
    P,
    b,
    z,
    momenta,
    jitter,
    log_u,
    trajectory,
    spread,
    max_steps,
    adapt,
    target_accept,
    log_step,
    dual,
    out_z,
    out_lp,
    out_accept,
    out_steps,
    out_diverging,
    out_energy,
    out_nonfinite,
):  # pragma: no cover - compiled
    """Run ``momenta.shape[1]`` HMC transitions of every chain, in place.

    Parameters
    ----------
    A, c, y, P, b
        The whitened model (module docstring).
    z
        ``(chains, p)`` current positions; updated.
    momenta, jitter, log_u
        ``(chains, n, p)`` standard normals, ``(chains, n)`` uniforms on (0, 1) and
        ``(chains, n)`` logs of uniforms, one set per transition.
    trajectory, spread
        Mean integration time and its relative spread: transition ``t`` takes
        ``ceil((1 - spread + 2 spread jitter) * trajectory / step)`` leapfrog steps, at most ``max_steps``, so
        its length is uniform on ``trajectory * (1 - spread, 1 + spread)`` (a random length keeps the chain from
        locking onto a period of the dynamics; Neal 2011, 5.4.2.2).
    adapt
        Tune the step size by dual averaging towards ``target_accept``.
    log_step
        ``(chains,)`` log step sizes; updated while adapting.
    dual
        ``(chains, 4)`` dual-averaging state (``mu``, running mean statistic ``h``, averaged log step,
        iteration count); updated while adapting.
    out_z, out_lp, out_accept, out_steps, out_diverging, out_energy, out_nonfinite
        ``(chains, n, p)`` and ``(chains, n)`` outputs: position, log density, acceptance probability,
        leapfrog steps, divergence, Hamiltonian after the transition, and whether the trajectory met a
        log density that is not finite (overflow; such a transition is also divergent).
    """
    chains, n, p = momenta.shape
    grad = np.empty(p)
    grad_new = np.empty(p)
    q = np.empty(p)
    r = np.empty(p)
    for ch in range(chains):
        lp = _logp_grad(z[ch], A, c, y, P, b, grad)
        for t in range(n):
            step = math.exp(log_step[ch])
            n_steps = math.ceil((1.0 - spread + 2.0 * spread * jitter[ch, t]) * trajectory / step)
            n_steps = max(1, min(n_steps, max_steps))
            kinetic0 = 0.0
            for k in range(p):
                q[k] = z[ch, k]
                r[k] = momenta[ch, t, k]
                kinetic0 += r[k] * r[k]
            h0 = -lp + 0.5 * kinetic0
            for k in range(p):
                grad_new[k] = grad[k]
            lp_new = lp
            nonfinite = False
            for _ in range(n_steps):
                for k in range(p):
                    r[k] += 0.5 * step * grad_new[k]
                    q[k] += step * r[k]
                lp_new = _logp_grad(q, A, c, y, P, b, grad_new)
                for k in range(p):
                    r[k] += 0.5 * step * grad_new[k]
                if not math.isfinite(lp_new):
                    nonfinite = True
                    break
            kinetic = 0.0
            for k in range(p):
                kinetic += r[k] * r[k]
            h1 = -lp_new + 0.5 * kinetic
            nonfinite = nonfinite or not math.isfinite(h1)
            diverging = nonfinite or h1 - h0 > _DIVERGENCE
            accept_prob = 0.0 if diverging else min(1.0, math.exp(h0 - h1))
            if not diverging and log_u[ch, t] < h0 - h1:
                for k in range(p):
                    z[ch, k] = q[k]
                    grad[k] = grad_new[k]
                lp = lp_new
                energy = h1
            else:
                energy = h0
            if adapt:
                # dual averaging (Hoffman & Gelman 2014, algorithm 5)
                dual[ch, 3] += 1.0
                m = dual[ch, 3]
                w = 1.0 / (m + _T0)
                dual[ch, 1] = (1.0 - w) * dual[ch, 1] + w * (target_accept - accept_prob)
                log_step[ch] = dual[ch, 0] - math.sqrt(m) / _GAMMA * dual[ch, 1]
                decay = m ** (-_KAPPA)
                dual[ch, 2] = decay * log_step[ch] + (1.0 - decay) * dual[ch, 2]
            for k in range(p):
                out_z[ch, t, k] = z[ch, k]
            out_lp[ch, t] = lp
            out_accept[ch, t] = accept_prob
            out_steps[ch, t] = n_steps
            out_diverging[ch, t] = diverging
            out_energy[ch, t] = energy
            out_nonfinite[ch, t] = nonfinite
