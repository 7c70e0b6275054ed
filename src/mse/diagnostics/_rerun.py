"""One estimate of a varied table, as a row of a diagnostic table.

The sensitivity table, the list trajectory and the internal-consistency check
re-run :func:`mse.estimate` on tables made from the user's data. A variation
on which the method fails is a row too, with ``nan`` numbers and the reason
in ``status``, so that one failure does not hide the others.
"""

from __future__ import annotations

import math
from typing import Any

from mse.data.capture import CaptureData
from mse.errors import MSEError


def no_estimate(status: str) -> dict[str, Any]:
    """The numbers of a row without an estimate: ``nan``, and ``status`` saying why."""
    return {"estimate": math.nan, "lower": math.nan, "upper": math.nan, "status": status}


def rerun(data: CaptureData, method: str, *, level: float, random_seed: int | None, **options: Any) -> dict[str, Any]:
    """``estimate``, ``lower``, ``upper`` and ``status`` of :func:`mse.estimate` on ``data``.

    An :class:`mse.MSEError` becomes a row without an estimate whose status
    is the error's message.
    """
    from mse.api import estimate

    try:
        result = estimate(data, method, level=level, random_seed=random_seed, **options)
    except MSEError as exc:
        return no_estimate(f"error: {exc}")
    return {"estimate": result.estimate, "lower": result.lower, "upper": result.upper, "status": result.status}
