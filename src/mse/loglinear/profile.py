"""Profile-likelihood intervals for ``N``: now in :mod:`mse.loglinear.intervals`.

Kept so that ``from mse.loglinear.profile import profile_interval`` (and the
other names below) goes on working; new code imports from
:mod:`mse.loglinear.intervals`, which holds the one implementation.
"""

from __future__ import annotations

from mse.loglinear.intervals import (
    NO_UPPER_LIMIT,
    ProfileInterval,
    likelihood_ratio_interval,
    multinomial_profile,
    profile_interval,
)

__all__ = ["NO_UPPER_LIMIT", "ProfileInterval", "likelihood_ratio_interval", "multinomial_profile", "profile_interval"]
