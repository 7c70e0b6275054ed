"""Separated modes of a posterior distribution of ``N``.

A posterior of the population size can have more than one mode: a few
well-supported models (graphs, numbers of latent classes) may each put ``N``
in a different place. Its median and equal-tailed interval then describe a
mixture, and the median may fall in the valley between the modes, where
little posterior mass lies. The library reports such posteriors instead of
summarising them silently.

The density of ``log N`` is estimated on a fine grid (a weighted histogram
smoothed with a Gaussian kernel, the binned kernel estimate of Silverman,
1986, section 3.5), its local maxima are found, and neighbouring maxima are
merged unless the density between them falls below ``valley_ratio`` times
the lower of the two peaks. Each mode's region runs from valley to valley;
modes holding less than ``min_share`` of the mass are merged into their
neighbour. Working in ``log N`` treats a mode at 50,000 and one at 150,000
with the same resolution as a mode at 50 and one at 150.

References
----------
Silverman, B. W. (1986). *Density Estimation for Statistics and Data
Analysis*. Chapman and Hall, London.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from mse.results import Estimate

__all__ = ["MODE_COLUMNS", "Mode", "describe_modes", "find_modes", "modes_frame", "posterior_modes"]

#: Columns of :func:`modes_frame`.
MODE_COLUMNS = ["N", "lower", "upper", "share"]

#: Bins of the histogram of log N over the range that holds all but 1e-4 of the mass.
_BINS = 1024


@dataclass(frozen=True)
class Mode:
    """One separated mode of a posterior of ``N``.

    Attributes
    ----------
    location : float
        ``N`` at the peak of the smoothed density of ``log N`` (for a
        log-normal posterior, its median).
    lower, upper : float
        The region attributed to the mode (from valley to valley).
    share : float
        Posterior mass (share of the draws) in the region.
    """

    location: float
    lower: float
    upper: float
    share: float


def _bandwidth(log_values: np.ndarray, weights: np.ndarray, n_effective: float | None) -> float:
    """Silverman's rule of thumb on weighted values, with the Kish effective sample size by default."""
    mean = float(np.sum(weights * log_values))
    sd = math.sqrt(max(float(np.sum(weights * (log_values - mean) ** 2)), 0.0))
    order = np.argsort(log_values, kind="stable")
    cumulative = np.cumsum(weights[order])
    q25, q75 = log_values[order][np.searchsorted(cumulative, [0.25, 0.75]).clip(0, order.size - 1)]
    spread = min(sd, (q75 - q25) / 1.34) if q75 > q25 else sd
    if n_effective is None or not math.isfinite(n_effective) or n_effective < 2:
        n_effective = 1.0 / float(np.sum(weights**2))
    return 0.9 * spread * n_effective ** (-0.2)


def find_modes(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    min_share: float = 0.02,
    valley_ratio: float = 0.5,
    n_effective: float | None = None,
) -> tuple[Mode, ...]:
    """The separated modes of a distribution of ``N`` given by draws or by a weighted grid.

    Parameters
    ----------
    values : array_like
        Draws of ``N``, or the points of a grid.
    weights : array_like, optional
        Probability of each value (a grid posterior); equal weights for draws.
    min_share : float
        A mode must hold at least this share of the mass.
    valley_ratio : float
        Two peaks are separate modes only if the density between them falls
        below this multiple of the lower peak.
    n_effective : float, optional
        Effective sample size of the draws (for Markov chains, their ESS),
        which sets the smoothing: autocorrelated draws carry less
        information than their number, and smoothing them as if independent
        turns Monte Carlo noise into bumps. By default the number of draws
        (or the Kish effective size of the weights).

    Returns
    -------
    tuple of Mode
        In increasing order of ``N``; a single mode when the distribution is
        unimodal (or has no spread); empty when there are no finite values.

    Examples
    --------
    >>> import numpy as np
    >>> from mse.bayes.modes import find_modes
    >>> rng = np.random.default_rng(1)
    >>> low = rng.lognormal(np.log(48_000), 0.08, 6_000)
    >>> high = rng.lognormal(np.log(150_000), 0.12, 4_000)
    >>> draws = np.concatenate([low, high])
    >>> [(round(m.location, -3), round(m.share, 2)) for m in find_modes(draws)]
    [(48000.0, 0.6), (150000.0, 0.4)]
    """
    points: np.ndarray = np.asarray(values, dtype=float).ravel()
    mass: np.ndarray = np.ones_like(points) if weights is None else np.asarray(weights, dtype=float).ravel()
    keep = np.isfinite(points) & (points > 0) & np.isfinite(mass) & (mass > 0)
    points, mass = points[keep], mass[keep]
    if points.size == 0:
        return ()
    mass = mass / mass.sum()
    log_values = np.log(points)
    order = np.argsort(log_values, kind="stable")
    cumulative = np.cumsum(mass[order])
    low, high = log_values[order][np.searchsorted(cumulative, [5e-5, 1.0 - 5e-5]).clip(0, order.size - 1)]
    if not high > low:
        return (Mode(float(points[order][0]), float(points.min()), float(points.max()), 1.0),)
    bandwidth = _bandwidth(log_values, mass, n_effective)
    width = (high - low) / _BINS
    # Pad by four bandwidths so the kernel's tails fit on the grid.
    pad = math.ceil(4 * max(bandwidth, width) / width)
    edges = low + width * np.arange(-pad, _BINS + pad + 1)
    histogram, _ = np.histogram(log_values, bins=edges, weights=mass)
    offsets = np.arange(-pad, pad + 1) * width
    kernel = np.exp(-0.5 * (offsets / max(bandwidth, width)) ** 2)
    density = np.convolve(histogram, kernel / kernel.sum(), mode="same")
    centres = (edges[:-1] + edges[1:]) / 2.0

    # Local maxima (a plateau counts once), then merge peaks whose valley is not deep enough.
    rising = np.diff(density) > 0
    peaks = [i for i in range(1, density.size - 1) if rising[i - 1] and not rising[i] and density[i] > 0]
    if density[0] > density[1]:
        peaks.insert(0, 0)
    merged = True
    while merged and len(peaks) > 1:
        merged = False
        for k in range(len(peaks) - 1):
            a, b = peaks[k], peaks[k + 1]
            valley = a + int(np.argmin(density[a : b + 1]))
            if density[valley] >= valley_ratio * min(density[a], density[b]):
                peaks[k : k + 2] = [a if density[a] >= density[b] else b]
                merged = True
                break
    while True:
        valleys = [peaks[k] + int(np.argmin(density[peaks[k] : peaks[k + 1] + 1])) for k in range(len(peaks) - 1)]
        bounds = [-np.inf, *(centres[v] for v in valleys), np.inf]
        shares = [float(mass[(log_values > lo) & (log_values <= hi)].sum()) for lo, hi in itertools.pairwise(bounds)]
        smallest = int(np.argmin(shares))
        if len(peaks) == 1:
            shares = [1.0]
            break
        if shares[smallest] >= min_share:
            break
        # Drop its peak: the valley between its neighbours is then the deeper of its two valleys, so its
        # mass joins the neighbour across the shallower one.
        del peaks[smallest]
    modes = []
    for k, peak in enumerate(peaks):
        # The outer ends are where all but 1e-4 of the mass lies, not the extreme draws or grid points.
        lower = float(np.exp(bounds[k] if k > 0 else low))
        upper = float(np.exp(bounds[k + 1] if k < len(peaks) - 1 else high))
        modes.append(Mode(float(np.exp(centres[peak])), lower, upper, shares[k]))
    return tuple(modes)


def modes_frame(modes: tuple[Mode, ...]) -> pd.DataFrame:
    """The modes as a table with columns ``N``, ``lower``, ``upper``, ``share``."""
    return pd.DataFrame([(m.location, m.lower, m.upper, m.share) for m in modes], columns=MODE_COLUMNS)


def describe_modes(method: str, modes: tuple[Mode, ...], of: str = "posterior mass") -> str:
    """The warning text for a posterior with more than one mode."""
    parts = [
        f"near {m.location:,.0f} ({100 * m.share:.0f} % of the {of}, N from {m.lower:,.0f} to {m.upper:,.0f})"
        for m in modes
    ]
    return (
        f"{method}: the posterior of N has {len(modes)} separated modes: {'; '.join(parts)}. The median and interval "
        "summarise a mixture of them and may fall where little mass lies; report the modes as well "
        "(details['modes'], mse.plot_posterior), and look at which models or classes carry each one."
    )


def posterior_modes(result: Estimate) -> pd.DataFrame:
    """The separated modes of a result's posterior (or bootstrap distribution) of ``N``.

    Parameters
    ----------
    result : Estimate
        A result whose fit reported its modes (``details["modes"]``, as
        ``dga`` and ``lcmcr`` do) or that holds ``draws``.

    Returns
    -------
    pandas.DataFrame
        One row per mode: ``N`` at its peak, the ``lower`` and ``upper`` ends
        of its region, and its ``share`` of the mass; empty when the result
        has neither modes nor draws.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="dga", random_seed=1)
    >>> len(mse.diagnostics.posterior_modes(res))
    1
    """
    reported = (result.details or {}).get("modes")
    if isinstance(reported, pd.DataFrame):
        return reported
    if result.draws is None:
        return modes_frame(())
    return modes_frame(find_modes(result.draws))
