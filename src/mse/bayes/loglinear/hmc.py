"""Hamiltonian Monte Carlo for the posterior of a Poisson log-linear model, without PyMC.

The posterior of :mod:`mse.bayes.loglinear.posterior` is log-concave and, in
coordinates whitened at its mode (``beta = mode + root @ z`` with
``root root' = H^{-1}``, the inverse curvature), close to a standard normal.
On such a target, HMC with an identity mass matrix and an integration time
near a quarter period (``pi / 2``) gives nearly independent draws. This module
runs it with the compiled transitions of :mod:`mse.bayes.loglinear.hmc_kernel`:

1. warm-up, first part: each chain starts from a standard normal draw of
   ``z`` and its step size is tuned by dual averaging (acceptance 0.8);
2. warm-up, second part: where the posterior is not as Gaussian as the mode's
   curvature says (lists that never overlap, sparse tables), the covariance
   of the first part's draws re-whitens the coordinates (regularised towards
   the identity as in Stan) and the step size is tuned again;
3. the kept draws, with every setting fixed, so they come from one
   exact Metropolis kernel that leaves the posterior invariant.

The sampler needs no compilation by PyMC or PyTensor (numba's machine code is
cached on disk) and does not depend on the number of processes or on timing:
the same seed gives the same draws.

References
----------
Hoffman, M. D. & Gelman, A. (2014). The No-U-Turn sampler. *JMLR* 15, 1593-1623.

Neal, R. M. (2011). MCMC using Hamiltonian dynamics. In *Handbook of Markov
Chain Monte Carlo*, ch. 5. Chapman & Hall/CRC.

Stan Development Team. *Stan Reference Manual*, "HMC algorithm parameters"
(the regularised metric of the warm-up windows).
"""

from __future__ import annotations

import math

import numpy as np

from mse.budget import checkpoint

__all__ = ["TARGET_ACCEPT", "TRAJECTORY", "sample_hmc"]

#: Acceptance rate the step size is tuned towards.
TARGET_ACCEPT = 0.8
#: Mean integration time in whitened coordinates: a quarter period of a standard normal.
TRAJECTORY = math.pi / 2
#: Relative spread of the integration time around :data:`TRAJECTORY` (uniform).
SPREAD = 0.2
#: Most leapfrog steps per transition (a tiny step on a badly scaled posterior stops here, as NUTS's depth limit).
MAX_STEPS = 1024
#: Kept draws between two looks at the time budget (``max_seconds``).
_BLOCK = 250
#: Warm-up iterations below which the metric is not re-estimated (too few draws for a covariance).
_MIN_METRIC_WARMUP = 100


def _whitened(
    X: np.ndarray, y: np.ndarray, centre: np.ndarray, root: np.ndarray, precision: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    A = np.ascontiguousarray(X @ root)
    c = np.ascontiguousarray(X @ centre)
    P = np.ascontiguousarray(root.T @ (precision[:, None] * root))
    b = np.ascontiguousarray(root.T @ (precision * centre))
    return A, c, P, b


class _Chains:
    """Positions, step sizes and dual-averaging state of every chain, and the whitened model."""

    def __init__(
        self, X: np.ndarray, y: np.ndarray, centre: np.ndarray, root: np.ndarray, precision: np.ndarray, z: np.ndarray
    ) -> None:
        self.X, self.y, self.centre, self.precision = X, y, centre, precision
        self.root = root
        self.model = _whitened(X, y, centre, root, precision)
        self.z = np.ascontiguousarray(z, dtype=float)
        chains = z.shape[0]
        self.log_step = np.zeros(chains)
        self.dual = np.zeros((chains, 4))
        self.restart_adaptation()

    def restart_adaptation(self) -> None:
        # Hoffman & Gelman's mu = log(10 eps): the averaging is pulled towards steps larger than the start.
        self.dual[:, 0] = self.log_step + math.log(10.0)
        self.dual[:, 1:] = 0.0

    def rewhiten(self, draws: np.ndarray) -> None:
        """Re-whiten by the covariance of ``draws`` (``(chains, n, p)`` in the current coordinates)."""
        flat = draws.reshape(-1, draws.shape[-1])
        n = flat.shape[0]
        # Stan's regularisation: shrink towards a small multiple of the identity, more so for few draws.
        cov = (n / (n + 5.0)) * np.cov(flat, rowvar=False) + 1e-3 * (5.0 / (n + 5.0)) * np.eye(flat.shape[1])
        try:
            factor = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            return
        self.root = self.root @ factor
        self.z = np.ascontiguousarray(np.linalg.solve(factor, self.z.T).T)
        self.model = _whitened(self.X, self.y, self.centre, self.root, self.precision)
        # A step fit for the old scale is roughly right for the new one, whose spread is 1 by construction.
        self.log_step = np.zeros_like(self.log_step)

    def run(self, rng: np.random.Generator, n: int, *, adapt: bool) -> dict[str, np.ndarray]:
        from mse.bayes.loglinear.hmc_kernel import hmc_segment

        chains, p = self.z.shape
        momenta = rng.standard_normal((chains, n, p))
        jitter = rng.random((chains, n))
        log_u = np.log(rng.random((chains, n)))
        out = {
            "z": np.empty((chains, n, p)),
            "lp": np.empty((chains, n)),
            "acceptance_rate": np.empty((chains, n)),
            "n_steps": np.empty((chains, n), dtype=np.int64),
            "diverging": np.empty((chains, n), dtype=np.bool_),
            "energy": np.empty((chains, n)),
            "nonfinite": np.empty((chains, n), dtype=np.bool_),
        }
        A, c, P, b = self.model
        hmc_segment(
            A,
            c,
            self.y,
            P,
            b,
            self.z,
            momenta,
            jitter,
            log_u,
            TRAJECTORY,
            SPREAD,
            MAX_STEPS,
            adapt,
            TARGET_ACCEPT,
            self.log_step,
            self.dual,
            out["z"],
            out["lp"],
            out["acceptance_rate"],
            out["n_steps"],
            out["diverging"],
            out["energy"],
            out["nonfinite"],
        )
        return out


def sample_hmc(
    X: np.ndarray,
    y: np.ndarray,
    mode: np.ndarray,
    root: np.ndarray,
    precision: np.ndarray,
    *,
    draws: int,
    tune: int,
    chains: int,
    random_seed: int,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Posterior draws of ``beta`` for ``y ~ Poisson(exp(X beta))`` with independent normal priors.

    Parameters
    ----------
    X, y
        Design matrix of the observed cells and their counts.
    mode, root
        Posterior mode and a square root of the inverse Hessian of the negative log posterior there.
    precision
        Prior precision of each coefficient (0 for a flat prior).
    draws, tune, chains
        Kept draws and warm-up iterations per chain, and the number of chains.
    random_seed
        Seed of the one ``numpy.random.Generator`` every random number is drawn from.

    Returns
    -------
    coef : ndarray, shape (chains, draws, p)
    stats : dict of ndarray, shape (chains, draws)
        ``lp``, ``acceptance_rate``, ``step_size``, ``n_steps``, ``diverging``, ``energy`` (ArviZ's names
        for the sample statistics) and ``nonfinite``: the trajectory met a log density that is not finite.
    """
    rng = np.random.default_rng(random_seed)
    p = X.shape[1]
    y = np.ascontiguousarray(y, dtype=float)
    state = _Chains(
        np.ascontiguousarray(X, dtype=float),
        y,
        np.asarray(mode, dtype=float),
        np.asarray(root, dtype=float),
        np.asarray(precision, dtype=float),
        rng.standard_normal((chains, p)),
    )
    checkpoint("sampling with HMC")
    if tune >= _MIN_METRIC_WARMUP:
        first = tune // 2
        warm = state.run(rng, first, adapt=True)
        # the second half of the first window has forgotten the start
        state.rewhiten(warm["z"][:, first // 2 :])
        state.restart_adaptation()
        checkpoint("sampling with HMC")
        state.run(rng, tune - first, adapt=True)
    elif tune > 0:
        state.run(rng, tune, adapt=True)
    # the averaged step of the warm-up, fixed from here on
    if tune > 0:
        state.log_step = state.dual[:, 2].copy()
    blocks = []
    for start in range(0, draws, _BLOCK):
        checkpoint("sampling with HMC")
        blocks.append(state.run(rng, min(_BLOCK, draws - start), adapt=False))
    out = {key: np.concatenate([block[key] for block in blocks], axis=1) for key in blocks[0]}
    coef = state.centre + out.pop("z") @ state.root.T
    out["step_size"] = np.repeat(np.exp(state.log_step)[:, None], draws, axis=1)
    return coef, out
