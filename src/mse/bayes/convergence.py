"""Rank-normalised split R-hat and bulk and tail effective sample sizes of one quantity, in numpy.

The same numbers as ArviZ's ``rhat(method="rank")`` and ``ess(method="bulk")``
and ``ess(method="tail")``
(Vehtari et al. 2021), computed on a plain ``(chains, draws)`` array. A sampler
that checks convergence every few hundred draws calls these on the draws so
far; going through ArviZ, each check wraps the array in ``xarray`` objects
and costs several milliseconds, most of it outside the arithmetic. The tests
compare these functions with ArviZ.

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C.
(2021). Rank-normalization, folding, and localization: an improved R-hat
for assessing convergence of MCMC. *Bayesian Analysis* 16(2), 667-718.
"""

from __future__ import annotations

import numpy as np
from scipy import fft, special, stats
from scipy.stats import mstats

__all__ = ["ess_bulk", "ess_tail", "rhat_rank"]


def _split_chains(draws: np.ndarray) -> np.ndarray:
    """Each chain cut into its first and last halves (the middle draw of an odd length left out)."""
    half = draws.shape[1] // 2
    return np.vstack((draws[:, :half], draws[:, -half:]))


def _z_scale(draws: np.ndarray) -> np.ndarray:
    """Normal scores of the pooled ranks (ties averaged; Blom's offset 3/8)."""
    rank = stats.rankdata(draws, method="average").reshape(draws.shape)
    return special.ndtri((rank - 0.375) / (draws.size + 0.25))


def _rhat(draws: np.ndarray) -> float:
    n = draws.shape[1]
    between = n * np.var(draws.mean(axis=1), ddof=1)
    within = np.mean(np.var(draws, axis=1, ddof=1))
    return float(np.sqrt((between / within + n - 1) / n))


def _invalid(draws: np.ndarray, min_chains: int) -> bool:
    return bool(np.isnan(draws).any()) or draws.shape[0] < min_chains or draws.shape[1] < 4


def rhat_rank(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat: the larger of the bulk and the tail (folded) R-hat.

    Parameters
    ----------
    draws : numpy.ndarray
        ``(chains, draws)``; at least two chains of four draws, else NaN.

    Returns
    -------
    float
        NaN when a chain never moves (zero within-chain variance).

    References
    ----------
    Vehtari et al. (2021), in the references of this module.

    Examples
    --------
    >>> draws = np.random.default_rng(1).normal(size=(4, 500))
    >>> bool(rhat_rank(draws) < 1.01)
    True
    """
    draws = np.asarray(draws, dtype=float)
    if _invalid(draws, min_chains=2):
        return float("nan")
    split = _split_chains(draws)
    with np.errstate(divide="ignore", invalid="ignore"):
        bulk = _rhat(_z_scale(split))
        tail = _rhat(_z_scale(np.abs(split - np.median(split))))
    return max(bulk, tail)  # as ArviZ takes it, NaN included


def _ess(z: np.ndarray) -> float:
    """Effective sample size of ``(chains, draws)`` by Geyer's initial monotone sequence."""
    if np.max(z) - np.min(z) < np.finfo(float).resolution:
        return float(z.size)
    n_chain, n_draw = z.shape
    # Autocovariances of every chain at every lag, by FFT (as ArviZ computes them).
    m = fft.next_fast_len(2 * n_draw)
    centred = z - z.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=m, axis=1)
    spectrum *= np.conjugate(spectrum)
    acov = np.fft.irfft(spectrum, n=m, axis=1)[:, :n_draw] / n_draw
    mean_acov = acov.mean(axis=0)
    mean_var = mean_acov[0] * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(z.mean(axis=1), ddof=1)
    rho = 1.0 - (mean_var - mean_acov) / var_plus  # autocorrelation at every lag
    rho[0] = 1.0
    # Geyer's initial positive sequence: sums of pairs (rho_t, rho_{t+1}), t = 0, 2, ..., kept while
    # positive. ArviZ walks the pairs (t + 1, t + 2) for t = 1, 3, ... up to n_draw - 4.
    rho_t = np.zeros(n_draw)
    rho_t[:2] = rho[:2]
    t = 1
    even, odd = 1.0, rho[1]
    pair_starts = np.arange(2, n_draw - 2, 2)  # t + 1 for t = 1, 3, ... while t < n_draw - 3
    sums = rho[pair_starts] + rho[pair_starts + 1]
    if even + odd > 0.0:
        # The walk stops after the first pair whose sum is not positive (that pair is not kept).
        stops = np.flatnonzero(~(sums > 0.0))
        n_walked = stops[0] + 1 if stops.size else pair_starts.size
        kept = n_walked if not stops.size else n_walked - 1 + (sums[stops[0]] >= 0)
        for i in range(kept):
            rho_t[pair_starts[i]] = rho[pair_starts[i]]
            rho_t[pair_starts[i] + 1] = rho[pair_starts[i] + 1]
        t = 1 + 2 * n_walked
        if n_walked:
            even = rho[pair_starts[n_walked - 1]]
    max_t = t - 2
    if even > 0:
        rho_t[max_t + 1] = even
    # Geyer's initial monotone sequence: the pair sums may not increase.
    t = 1
    while t <= max_t - 2:
        if rho_t[t + 1] + rho_t[t + 2] > rho_t[t - 1] + rho_t[t]:
            rho_t[t + 1] = (rho_t[t - 1] + rho_t[t]) / 2.0
            rho_t[t + 2] = rho_t[t + 1]
        t += 2
    ess = n_chain * n_draw
    tau = -1.0 + 2.0 * np.sum(rho_t[: max_t + 1]) + np.sum(rho_t[max_t + 1 : max_t + 2])
    tau = max(tau, 1 / np.log10(ess))
    return float("nan") if np.isnan(rho_t).any() else float(ess / tau)


def ess_bulk(draws: np.ndarray) -> float:
    """Bulk effective sample size: that of the normal scores of the ranks of the split chains.

    Parameters
    ----------
    draws : numpy.ndarray
        ``(chains, draws)``; at least four draws, else NaN.

    Returns
    -------
    float
        How many independent draws would pin down the centre of the
        distribution (its median and the quantiles near it) as well.

    References
    ----------
    Vehtari et al. (2021), the bulk effective sample size; in the references of this module.

    Examples
    --------
    >>> draws = np.random.default_rng(1).normal(size=(4, 500))
    >>> bool(1500 < ess_bulk(draws) < 2500)
    True
    """
    draws = np.asarray(draws, dtype=float)
    if _invalid(draws, min_chains=1):
        return float("nan")
    return _ess(_z_scale(_split_chains(draws)))


def ess_tail(draws: np.ndarray) -> float:
    """Tail effective sample size: the smaller of those of the indicators of the 5 % and 95 % quantiles.

    Parameters
    ----------
    draws : numpy.ndarray
        As for :func:`ess_bulk`.

    Returns
    -------
    float
        How many independent draws would pin down the 5 % and 95 % quantiles
        (the ends of a 90 % interval) as well.

    References
    ----------
    Vehtari et al. (2021), the tail effective sample size; in the references of this module.

    Examples
    --------
    >>> draws = np.random.default_rng(1).normal(size=(4, 500))
    >>> bool(1000 < ess_tail(draws) < 3000)
    True
    """
    draws = np.asarray(draws, dtype=float)
    if _invalid(draws, min_chains=1):
        return float("nan")
    sizes = []
    for prob in (0.05, 0.95):
        # The quantile as ArviZ takes it (R's type 7, through scipy's mquantiles).
        (quantile,) = mstats.mquantiles(draws, prob, alphap=1, betap=1)
        sizes.append(_ess(_split_chains(draws <= quantile).astype(float)))
    return min(sizes)
