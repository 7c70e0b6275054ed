"""The front door: :func:`estimate` dispatches a method name to its estimator.

Estimators live in their model families (``mse.loglinear``, ``mse.closed``,
``mse.bayes``) and are imported only when first asked for, so ``import mse``
stays fast and PyMC is never imported unless a PyMC method runs.

Every estimator has the signature ``fn(data, *, level, interval, random_seed,
**options) -> Estimate``. This module adds what all of them share: input
checks, provenance metadata and the record of warnings raised while fitting.
"""

from __future__ import annotations

import importlib
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

from mse.data.capture import CaptureData
from mse.errors import DataError, EstimabilityError, ModelError
from mse.results import Estimate, provenance

__all__ = ["estimate", "available_methods", "METHODS"]

#: Method name -> "module:function" of its estimator, imported on first use.
METHODS: dict[str, str] = {}


def register_method(name: str, target: str) -> None:
    """Make ``target`` ("package.module:function") available as ``mse.estimate(method=name)``."""
    METHODS[name] = target


def available_methods() -> list[str]:
    """The method names :func:`estimate` accepts."""
    return sorted(METHODS)


def _resolve(method: str) -> Callable[..., Estimate]:
    try:
        target = METHODS[method]
    except KeyError:
        raise ModelError(f"unknown method {method!r}; choose one of {available_methods()}.") from None
    module_name, function_name = target.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def estimate(
    data: CaptureData,
    method: str = "auto",
    *,
    level: float = 0.95,
    interval: str | None = None,
    random_seed: int | None = None,
    strict: bool = False,
    **options: Any,
) -> Estimate:
    """Estimate the population size ``N`` from capture histories.

    Parameters
    ----------
    data
        The capture histories, a :class:`~mse.CaptureData`.
    method
        The estimator (see :func:`available_methods`): for example
        ``"independence"``, ``"loglinear"`` (with ``model=``), ``"stepwise"``,
        ``"aic"``, ``"bic"``, ``"bic_aic"``, the closed-population models
        ``"M0"``, ``"Mt"``, ``"Mh_chao"``, ..., or the Bayesian ``"lcmcr"``,
        ``"dga"``, ``"bayes_loglinear"``, ``"bayesthresh"``.
    level
        Nominal coverage of the interval, in (0, 1).
    interval
        How to compute the interval (``"wald"``, ``"profile"``,
        ``"parametric_bootstrap"``, ``"bca"``, ``"bootstrap_top"``,
        ``"posterior"``); each method has a default.
    random_seed
        Seed for every random step, recorded in ``result.metadata``.
    strict
        If ``True``, raise :class:`~mse.EstimabilityError` instead of returning
        an estimate whose status is not ``"ok"``.
    **options
        Passed to the estimator (``model``, ``max_order``, ``p_threshold``,
        ``n_boot``, ...).

    Returns
    -------
    Estimate
        ``status`` is ``"ok"`` or says why no estimate (or no interval) exists;
        an estimate that does not exist is ``nan``, never a plain number.

    Raises
    ------
    DataError
        If ``data`` is not a :class:`~mse.CaptureData`.
    ModelError
        For an unknown method, a malformed model, or a bad option.
    EstimabilityError
        With ``strict=True``, when the estimate does not exist.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="independence", interval="profile")
    >>> round(res.estimate)
    7395
    """
    if not isinstance(data, CaptureData):
        raise DataError(
            f"estimate() needs a mse.CaptureData, got {type(data).__name__}; build one with "
            "mse.CaptureData.from_counts(...) or from_records(...)."
        )
    if not (isinstance(level, (int, float)) and 0.0 < float(level) < 1.0):
        raise ModelError(f"level must be a number strictly between 0 and 1, got {level!r}.")
    estimator = _resolve(method)
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = estimator(data, level=float(level), interval=interval, random_seed=random_seed, **options)
    seconds = time.perf_counter() - started
    messages = list(result.warnings)
    for record in caught:
        message = str(record.message)
        if message not in messages:
            messages.append(message)
        warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    metadata = provenance(data, random_seed, {"method": method, "level": level, "interval": interval, **options})
    metadata.update(result.metadata)
    metadata["seconds"] = seconds
    result = result.with_updates(warnings=tuple(messages), metadata=metadata)
    if strict and not result.ok:
        raise EstimabilityError(f"{method}: {result.status}")
    if result.ok and not (math.isfinite(result.estimate) and result.estimate >= result.observed):
        raise AssertionError(f"estimator {method!r} returned status 'ok' with estimate {result.estimate}")
    return result
