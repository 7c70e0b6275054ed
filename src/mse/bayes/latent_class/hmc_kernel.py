"""Compiled log posterior, gradient and HMC transitions of the marginal latent-class posterior.

The HMC sampler of :mod:`mse.bayes.latent_class.hmc` spends nearly all its
time evaluating the log posterior of ``(logit lambda, logit V, log alpha)``
and its gradient, on arrays as small as 15 histories x 10 classes. In numpy
each evaluation is some forty array operations whose call overhead dwarfs the
arithmetic, so this module compiles the evaluation, whole leapfrog
trajectories and, in :func:`run_replicas`, blocks of iterations of the
parallel-tempered chains (transitions, step-size adaptation and exchanges),
which the sampler runs in parallel threads, a group of replicas each.

Every random number (momenta, step-size jitter, the acceptance uniforms) is
drawn by the caller from its ``numpy.random.Generator`` and passed in, so the
draws do not depend on the number of threads. The formulas are those of
:meth:`mse.bayes.latent_class.hmc.LatentClassHMC.logp_and_grad`, which the
tests use as the reference.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["history_sets", "hmc_transitions", "run_replicas"]


#: Sum over a history's lists of |logit lambda| up to which class weights are formed as products
#: of odds rather than in the log domain (see :func:`_logp_grad_one`).
_PRODUCT_RANGE = 150.0


@njit(cache=True, nogil=True, error_model="numpy")
def _logp_grad_one(q, grad, beta, x_sets, x_len, counts, n, J, K, a_alpha, b_alpha, a_lambda, b_lambda, work):
    """Tempered log posterior and log-likelihood of one chain at ``q``; writes the gradient into ``grad``.

    The tempered posterior is the prior times the likelihood to the power ``beta``
    (1 for the posterior itself); the log-likelihood returned is not tempered.

    ``x_sets[h, :x_len[h]]`` are the lists on which history ``h`` appears.
    ``work`` is scratch space of length at least ``(2 * J + 4) * K + H * K``.

    The weight of class ``k`` for history ``h`` is ``pi_k g_k prod_{j in h} exp(eta_jk)``
    with ``g_k = prod_j (1 - lambda_jk)``. Exponentials are the cost here, so
    ``b_k = pi_k g_k / max_l pi_l g_l`` and the odds ``exp(eta_jk)`` are computed
    once and the weights are their products: one exponential per (list,
    class) instead of one per (history, class). The products stay within
    ``exp(+-_PRODUCT_RANGE)`` when every ``|eta_jk|`` is at most
    ``_PRODUCT_RANGE / J``, and a class whose ``b_k`` underflows is then
    negligible against the largest one; otherwise (rare: a capture
    probability within ``exp(-_PRODUCT_RANGE / J)`` of 0 or 1) the weights
    are formed in the log domain.
    """
    H = counts.shape[0]
    JK = J * K
    omega = q[JK + K - 1]
    alpha = math.exp(omega)
    # Scratch layout: lam (J*K), odds (J*K), log_pi_g (K), G (K), u (K), log_pi (K), a (H*K).
    lam = work[0:JK]
    odds = work[JK : 2 * JK]
    log_pi_g = work[2 * JK : 2 * JK + K]
    G = work[2 * JK + K : 2 * JK + 2 * K]
    u = work[2 * JK + 2 * K : 2 * JK + 3 * K]
    log_pi = work[2 * JK + 3 * K : 2 * JK + 4 * K]
    a = work[2 * JK + 4 * K : 2 * JK + 4 * K + H * K]

    logp = 0.0
    # Capture probabilities and their prior (Beta(a, b) on the logit scale). With
    # e = exp(-|eta|): lambda = odds / (1 + odds), and
    # log(1 - lambda) = -log(1 + e) - max(eta, 0), summed over the lists of a class with a
    # single logarithm of the product of the (1 + e), which lies in [1, 2^J].
    products = True
    limit = _PRODUCT_RANGE / J
    for k in range(K):
        log_pi_g[k] = 1.0  # the product of (1 + e) over the lists, for now
        G[k] = 0.0  # the sum of max(eta, 0) over the lists, for now
    for j in range(J):
        for k in range(K):
            eta = q[j * K + k]
            e = math.exp(-abs(eta))
            if eta > 0.0:
                lam[j * K + k] = 1.0 / (1.0 + e)
                odds[j * K + k] = 1.0 / e
                G[k] += eta
            else:
                lam[j * K + k] = e / (1.0 + e)
                odds[j * K + k] = e
            if abs(eta) > limit:
                products = False
            log_pi_g[k] *= 1.0 + e
            logp += a_lambda * eta
    for k in range(K):
        log_g = -math.log(log_pi_g[k]) - G[k]  # sum_j log(1 - lambda_jk)
        log_pi_g[k] = log_g
        logp += (a_lambda + b_lambda) * log_g
    # Stick-breaking weights and the prior of the sticks and of alpha. The sticks V are kept in
    # ``grad`` for now (their gradient overwrites them below).
    cum = 0.0
    for k in range(K - 1):
        nu = q[JK + k]
        e = math.exp(-abs(nu))
        if nu > 0.0:
            log_1mv = -(nu + math.log1p(e))
            grad[JK + k] = 1.0 / (1.0 + e)
        else:
            log_1mv = -math.log1p(e)
            grad[JK + k] = e / (1.0 + e)
        log_v = nu + log_1mv
        log_pi[k] = log_v + cum
        cum += log_1mv
        logp += log_v
    log_pi[K - 1] = cum
    sum_log_1mv = cum
    logp += alpha * sum_log_1mv + (K - 1.0 + a_alpha) * omega - b_alpha * alpha
    for k in range(K):
        log_pi_g[k] += log_pi[k]

    # Nobody captured: p0 = sum_k pi_k g_k; u_k = pi_k g_k / p0 = b_k / sum_l b_l.
    top = log_pi_g[0]
    for k in range(1, K):
        top = max(top, log_pi_g[k])
    total = 0.0
    for k in range(K):
        u[k] = math.exp(log_pi_g[k] - top)
        total += u[k]
    log_p0 = math.log(total) + top
    log_1mp0 = math.log(-math.expm1(log_p0))
    odds_p0 = beta * n * math.exp(log_p0 - log_1mp0)
    loglik = -n * log_1mp0

    # Observed histories: a_hk = n_h w_hk with w_hk = pi_k f_hk / p_h; G_k collects them.
    for h in range(H):
        row = a[h * K : (h + 1) * K]
        if products:
            total_h = 0.0
            for k in range(K):
                value = u[k]  # b_k, not yet normalised
                for i in range(x_len[h]):
                    value *= odds[x_sets[h, i] * K + k]
                row[k] = value
                total_h += value
            log_p_h = math.log(total_h) + top
        else:
            top_h = -np.inf
            for k in range(K):
                value = log_pi_g[k]
                for i in range(x_len[h]):
                    value += q[x_sets[h, i] * K + k]
                row[k] = value
                top_h = max(top_h, value)
            total_h = 0.0
            for k in range(K):
                row[k] = math.exp(row[k] - top_h)
                total_h += row[k]
            log_p_h = math.log(total_h) + top_h
        loglik += counts[h] * log_p_h
        scale = beta * counts[h] / total_h
        for k in range(K):
            row[k] *= scale
    for k in range(K):
        G[k] = odds_p0 * u[k] / total
    for h in range(H):
        for k in range(K):
            G[k] += a[h * K + k]

    # d/d eta_jk: sum_h n_h w_hk x_hj - lambda_jk G_k, plus the prior.
    for j in range(J):
        for k in range(K):
            grad[j * K + k] = a_lambda - (a_lambda + b_lambda) * lam[j * K + k] - lam[j * K + k] * G[k]
    for h in range(H):
        for i in range(x_len[h]):
            row_j = x_sets[h, i] * K
            for k in range(K):
                grad[row_j + k] += a[h * K + k]
    # d/d nu_l: G_l (1 - v_l) - v_l sum_{k > l} G_k, plus the prior of V_l and its Jacobian.
    tail = G[K - 1]
    for k in range(K - 2, -1, -1):
        v = grad[JK + k]
        grad[JK + k] = G[k] * (1.0 - v) - v * tail + (1.0 - v) - alpha * v
        tail += G[k]
    grad[JK + K - 1] = (K - 1.0) + alpha * sum_log_1mv + a_alpha - b_alpha * alpha

    logp += beta * loglik
    if not math.isfinite(logp):
        return -np.inf, -np.inf
    for d in range(grad.shape[0]):
        if not math.isfinite(grad[d]):
            for e in range(grad.shape[0]):
                grad[e] = 0.0
            return -np.inf, -np.inf
    return logp, loglik


def history_sets(histories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each history, the indices of the lists it appears on (padded) and how many there are."""
    x = np.asarray(histories, dtype=bool)
    lengths = x.sum(axis=1).astype(np.int64)
    sets = np.zeros((x.shape[0], max(int(lengths.max(initial=0)), 1)), dtype=np.int64)
    for h, row in enumerate(x):
        on = np.flatnonzero(row)
        sets[h, : on.size] = on
    return sets, lengths


@njit(cache=True, nogil=True, error_model="numpy")
def _transition(c, p, eps, n_steps, log_u, q, logp, grad, loglik, beta, inv_mass, new_q, new_grad, data, priors, work):
    """One HMC transition of chain ``c`` from momentum ``p`` (overwritten); returns the acceptance probability."""
    x_sets, x_len, counts, n, J, K = data
    a_alpha, b_alpha, a_lambda, b_lambda = priors
    D = q.shape[1]
    new_q[:] = q[c]
    new_grad[:] = grad[c]
    kinetic = 0.0
    for d in range(D):
        kinetic += 0.5 * p[d] * p[d] * inv_mass[c, d]
    new_logp = logp[c]
    new_loglik = loglik[c]
    for d in range(D):
        p[d] += 0.5 * eps * new_grad[d]
    for i in range(n_steps):
        for d in range(D):
            new_q[d] += eps * inv_mass[c, d] * p[d]
        new_logp, new_loglik = _logp_grad_one(
            new_q, new_grad, beta[c], x_sets, x_len, counts, n, J, K, a_alpha, b_alpha, a_lambda, b_lambda, work
        )
        if not math.isfinite(new_logp):
            break
        scale = eps if i < n_steps - 1 else 0.5 * eps
        for d in range(D):
            p[d] += scale * new_grad[d]
    new_kinetic = 0.0
    for d in range(D):
        new_kinetic += 0.5 * p[d] * p[d] * inv_mass[c, d]
    log_accept = new_logp - new_kinetic - logp[c] + kinetic
    if not math.isfinite(log_accept):
        log_accept = -np.inf
    if log_u < log_accept:
        q[c] = new_q
        logp[c] = new_logp
        loglik[c] = new_loglik
        grad[c] = new_grad
    return math.exp(min(log_accept, 0.0))


@njit(cache=True, nogil=True, error_model="numpy")
def hmc_transitions(
    q,
    logp,
    grad,
    loglik,
    beta,
    momenta,
    step,
    n_steps,
    inv_mass,
    log_uniform,
    accept_prob,
    order,
    first,
    last,
    x_sets,
    x_len,
    counts,
    J,
    K,
    a_alpha,
    b_alpha,
    a_lambda,
    b_lambda,
):
    """One HMC transition of chains ``order[first:last]``, in place.

    Chain ``c`` targets the posterior tempered by ``beta[c]`` (the likelihood
    to that power). It runs ``n_steps[c]`` leapfrog steps of size ``step[c]``
    from ``q[c]`` with momentum ``momenta[c]`` (already scaled by the mass
    matrix, whose inverse diagonal is ``inv_mass[c]``) and accepts the end
    point when ``log_uniform[c]`` is below the change in the Hamiltonian.
    ``q``, ``logp`` (tempered), ``grad`` and ``loglik`` (not tempered) are
    updated to the accepted state and ``accept_prob[c]`` is set. Disjoint
    ranges of chains may run at the same time in different threads (the
    function releases the GIL).
    """
    D = q.shape[1]
    H = counts.shape[0]
    data = (x_sets, x_len, counts, counts.sum(), J, K)
    priors = (a_alpha, b_alpha, a_lambda, b_lambda)
    work = np.empty((2 * J + 4) * K + H * K)
    new_q = np.empty(D)
    new_grad = np.empty(D)
    p = np.empty(D)
    for position in range(first, last):
        c = order[position]
        p[:] = momenta[c]
        accept_prob[c] = _transition(
            c,
            p,
            step[c],
            n_steps[c],
            log_uniform[c],
            q,
            logp,
            grad,
            loglik,
            beta,
            inv_mass,
            new_q,
            new_grad,
            data,
            priors,
            work,
        )


@njit(cache=True, nogil=True, error_model="numpy")
def run_replicas(
    state,
    beta,
    inv_mass,
    step,
    randoms,
    parity,
    n_replicas,
    first,
    last,
    adaptation,
    accept_prob,
    exchanged,
    kept,
    kept_logp,
    x_sets,
    x_len,
    counts,
    J,
    K,
    priors,
):
    """Iterations of parallel-tempered HMC for the replicas ``first`` to ``last - 1``, in place.

    Row ``t * n_replicas + r`` of the state arrays ``state = (q, logp, grad, loglik)`` is
    replica ``r`` at temperature ``t`` (likelihood power ``beta``). Iteration ``i`` moves every
    temperature of a replica by one HMC transition (as :func:`hmc_transitions`, the momentum
    ``z[i, c] / sqrt(inv_mass[c])``, step ``step[c] * jitter[i, c]``, ``n_steps[i, c]`` leapfrog
    steps, accepted when ``log_u[i, c]`` is below the change in the Hamiltonian), then proposes
    exchanges between neighbouring temperatures ``(t, t + 1)`` for ``t = parity + i (mod 2),
    parity + i + 2, ...``, accepted when ``log_u_exchange[i, lower row]`` is below
    ``(beta_t - beta_{t+1}) (loglik_{t+1} - loglik_t)`` (``exchanged[i, lower row]`` records
    it). ``randoms = (z, jitter, n_steps, log_u, log_u_exchange)``, drawn by the caller, so the
    replicas are independent of one another and the split into threads does not matter.

    ``adaptation = (on, t0, mu, log_step, log_step_bar, h_bar, target)``: when ``on``, the step
    size of every chain is adapted after each transition by dual averaging (Hoffman and Gelman
    2014; ``t0`` updates done since its restart), and ``step`` holds the current step sizes.
    ``accept_prob[i, c]`` is set; the state of rows ``c < kept.shape[1]`` after iteration ``i``
    is copied to ``kept[i, c]`` and ``kept_logp[i, c]``.
    """
    q, logp, grad, loglik = state
    z, jitter, n_steps, log_u, log_u_exchange = randoms
    adapt, t0, mu, log_step, log_step_bar, h_bar, target = adaptation
    a_alpha, b_alpha, a_lambda, b_lambda = priors
    C, D = q.shape
    T = C // n_replicas
    H = counts.shape[0]
    n = counts.sum()
    data = (x_sets, x_len, counts, n, J, K)
    work = np.empty((2 * J + 4) * K + H * K)
    new_q = np.empty(D)
    new_grad = np.empty(D)
    p = np.empty(D)
    n_kept = kept.shape[1]
    for r in range(first, last):
        for i in range(z.shape[0]):
            for t in range(T):
                c = t * n_replicas + r
                for d in range(D):
                    p[d] = z[i, c, d] / math.sqrt(inv_mass[c, d])
                prob = _transition(
                    c,
                    p,
                    step[c] * jitter[i, c],
                    n_steps[i, c],
                    log_u[i, c],
                    q,
                    logp,
                    grad,
                    loglik,
                    beta,
                    inv_mass,
                    new_q,
                    new_grad,
                    data,
                    priors,
                    work,
                )
                accept_prob[i, c] = prob
                if adapt:
                    u = t0 + i + 1.0
                    weight = 1.0 / (u + 10.0)
                    h_bar[c] = (1.0 - weight) * h_bar[c] + weight * (target - prob)
                    log_step[c] = mu[c] - math.sqrt(u) / 0.05 * h_bar[c]
                    smoothing = u**-0.75
                    log_step_bar[c] = smoothing * log_step[c] + (1.0 - smoothing) * log_step_bar[c]
                    step[c] = math.exp(log_step[c])
            for t in range((parity + i) % 2, T - 1, 2):
                lower = t * n_replicas + r
                upper = lower + n_replicas
                log_ratio = (beta[lower] - beta[upper]) * (loglik[upper] - loglik[lower])
                if not math.isfinite(log_ratio):
                    log_ratio = -np.inf
                if log_u_exchange[i, lower] < log_ratio:
                    exchanged[i, lower] = True
                    for d in range(D):
                        swap = q[lower, d]
                        q[lower, d] = q[upper, d]
                        q[upper, d] = swap
                    for c in (lower, upper):
                        logp[c], loglik[c] = _logp_grad_one(
                            q[c],
                            grad[c],
                            beta[c],
                            x_sets,
                            x_len,
                            counts,
                            n,
                            J,
                            K,
                            a_alpha,
                            b_alpha,
                            a_lambda,
                            b_lambda,
                            work,
                        )
            for t in range(T):
                c = t * n_replicas + r
                if c < n_kept:
                    kept[i, c] = q[c]
                    kept_logp[i, c] = logp[c]
