"""An estimate of ``N`` with its interval, reported as the :class:`mse.Estimate` of a log-linear estimator."""

from __future__ import annotations

import math
from typing import Any

from mse.loglinear.intervals.likelihood import IntervalResult
from mse.results import Estimate

__all__ = ["reported_estimate"]


def reported_estimate(
    estimate: float,
    limits: IntervalResult | None,
    *,
    observed: int,
    method: str,
    model: str,
    level: float,
    interval: str,
    details: dict[str, Any],
    failure: str | None = None,
    **fields: Any,
) -> Estimate:
    """An estimate with its interval as an :class:`mse.Estimate`, or a failed estimate that says why.

    Parameters
    ----------
    estimate
        ``N``.
    limits
        Its interval: the limits, the status (``"ok"``, or what is wrong with
        the interval; the estimate itself exists) and, for a bootstrap, the
        replicate estimates. ``None``: no interval (``nan`` limits).
    observed, method, model, level, details
        As in :class:`mse.Estimate`.
    interval
        The interval asked for; ``"none"`` is reported as no interval method.
    failure
        Why the estimate does not exist (a fit whose status is not ``"ok"``):
        the result is :meth:`mse.Estimate.failed` with this status, keeping
        only the ``fit`` of ``fields``. ``None`` when it exists.
    **fields
        Other fields of :class:`mse.Estimate` (``fit``, ``strata``).

    Returns
    -------
    Estimate

    Examples
    --------
    >>> res = reported_estimate(120.0, IntervalResult(100.0, 150.0), observed=80, method="demo",
    ...                         model="independence", level=0.95, interval="wald", details={})
    >>> res.interval_method, res.upper
    ('wald', 150.0)
    """
    if failure is not None:
        return Estimate.failed(
            method=method,
            observed=observed,
            status=failure,
            level=level,
            model=model,
            interval_method=interval,
            details=details,
            fit=fields.get("fit"),
        )
    limits = IntervalResult(math.nan, math.nan) if limits is None else limits
    return Estimate(
        estimate=estimate,
        lower=float(limits.lower),
        upper=float(limits.upper),
        level=level,
        observed=observed,
        method=method,
        model=model,
        interval_method="" if interval == "none" else interval,
        status=limits.status,
        draws=limits.draws,
        details=details,
        **fields,
    )
