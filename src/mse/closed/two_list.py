"""Two-list (dual-system) estimators: Lincoln–Petersen and Chapman.

With ``n1`` people on the first list, ``n2`` on the second and ``m`` on both,

- Lincoln–Petersen: ``N = n1 n2 / m``, with Seber's (1982, §3.1.1) variance
  ``n1 n2 (n1 - m)(n2 - m) / m**3``; undefined when ``m = 0``;
- Chapman (1951): ``N = (n1 + 1)(n2 + 1) / (m + 1) - 1``, nearly unbiased when
  ``n1 + n2 >= N``, with the variance of Seber (1970, 1982)
  ``(n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)**2 (m + 2))``.

Two intervals are offered:

- ``"log_normal"`` (default): Chao's (1987) interval, which treats the number
  never seen ``f0 = N - n`` as log-normal: ``[n + f0 / C, n + f0 C]`` with
  ``C = exp(z sqrt(log(1 + Var / f0**2)))``; it never goes below ``n``;
- ``"wald"``: ``N ± z se``, with the lower limit raised to ``n`` when it falls below.

References
----------
Chao, A. (1987). Estimating the population size for capture–recapture data with unequal
catchability. *Biometrics* 43, 783–791.

Chapman, D. G. (1951). Some properties of the hypergeometric distribution with applications
to zoological sample censuses. *University of California Publications in Statistics* 1, 131–160.

Seber, G. A. F. (1982). *The Estimation of Animal Abundance and Related Parameters*, 2nd ed. Griffin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

__all__ = ["TwoListEstimate", "chapman_estimate", "lincoln_petersen_estimate", "log_normal_interval", "wald_interval"]

INTERVALS = ("log_normal", "wald")


@dataclass(frozen=True)
class TwoListEstimate:
    """A two-list estimate: ``estimate`` and ``variance`` (``nan`` when undefined) and ``status``."""

    estimate: float
    variance: float
    status: str = "ok"


def lincoln_petersen_estimate(n1: int, n2: int, m: int) -> TwoListEstimate:
    """Lincoln–Petersen estimate ``n1 n2 / m`` and Seber's variance.

    Examples
    --------
    >>> lincoln_petersen_estimate(40, 30, 10).estimate
    120.0
    """
    if m == 0:
        return TwoListEstimate(
            math.nan, math.nan, "no one is on both lists (overlap 0): the Lincoln–Petersen estimate is infinite"
        )
    return TwoListEstimate(n1 * n2 / m, n1 * n2 * (n1 - m) * (n2 - m) / m**3)


def chapman_estimate(n1: int, n2: int, m: int) -> TwoListEstimate:
    """Chapman's estimate ``(n1 + 1)(n2 + 1)/(m + 1) - 1`` and Seber's variance.

    Examples
    --------
    >>> round(chapman_estimate(40, 30, 10).estimate, 3)
    114.545
    """
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1.0
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    return TwoListEstimate(estimate, variance)


def log_normal_interval(estimate: float, variance: float, observed: float, level: float) -> tuple[float, float]:
    """Chao's (1987) interval: ``f0 = N - n`` log-normal, limits ``n + f0 / C`` and ``n + f0 C``."""
    z = stats.norm.ppf(0.5 + level / 2.0)
    unseen = estimate - observed
    if unseen <= 0 or not math.isfinite(variance):
        return (observed, observed) if unseen <= 0 and variance == 0 else (math.nan, math.nan)
    spread = math.exp(z * math.sqrt(math.log1p(variance / unseen**2)))
    return observed + unseen / spread, observed + unseen * spread


def wald_interval(estimate: float, variance: float, observed: float, level: float) -> tuple[float, float]:
    """``N ± z se`` with the lower limit raised to the number observed."""
    z = stats.norm.ppf(0.5 + level / 2.0)
    half = z * math.sqrt(variance)
    return max(estimate - half, float(observed)), estimate + half
