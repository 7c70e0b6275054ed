"""A time budget the user asks for: ``mse.estimate(..., max_seconds=...)``.

Results must not depend on how fast the machine is, so no method has a time
limit by default: defaults are counted in draws, replicates or iterations. A
user who cannot wait may pass ``max_seconds``; the long-running loops of the
library (every Poisson fit, every existence program, every bootstrap chunk,
every EM iteration of the covariate models) call :func:`checkpoint`, which
stops the run once the budget is spent. The result then has no numbers and a
status that starts with ``"cut short"`` and says where the time ran out, so a
partial search or a short bootstrap is never reported as ``"ok"``.

The budget lives in a context variable set by :func:`mse.estimate`, so the
numerical cores need no extra argument and a budget never leaks from one call
into the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mse.errors import MSEError
from mse.options import check_max_seconds

__all__ = ["CUT_SHORT", "BudgetExhausted", "checkpoint", "run_within_budget", "time_budget"]

#: Every status of a run stopped by its time budget starts with this.
CUT_SHORT = "cut short"


class BudgetExhausted(MSEError):
    """The time budget given with ``max_seconds`` ran out (caught by :func:`mse.estimate`).

    :func:`checkpoint` raises it; :func:`mse.estimate` turns it into a result
    without numbers whose status says where the time ran out.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="independence", max_seconds=1e-9)
    >>> res.ok, res.details["stopped_while"]
    (False, 'fitting log-linear models')
    >>> res.status.split(";")[0]
    'cut short: the time budget of 1e-09 s ran out while fitting log-linear models'
    """


@dataclass
class _Budget:
    max_seconds: float
    deadline: float
    stage: str = ""

    @property
    def expired(self) -> bool:
        return bool(self.stage)


_CURRENT: ContextVar[_Budget | None] = ContextVar("mse_time_budget", default=None)


@contextmanager
def time_budget(max_seconds: float | None) -> Iterator[_Budget | None]:
    """Run the block under a time budget (``None``: no budget).

    Parameters
    ----------
    max_seconds
        Seconds of wall-clock time, or ``None``.

    Yields
    ------
    The budget (its ``expired`` flag and ``stage`` say whether and where it ran out), or ``None``.

    Raises
    ------
    ModelError
        If ``max_seconds`` is not a positive number or ``None``.

    Examples
    --------
    Every estimator that calls :func:`checkpoint` stops when the budget runs
    out; :func:`mse.estimate` then returns a result whose status says so.

    >>> import mse
    >>> from mse.budget import time_budget
    >>> with time_budget(60) as budget:
    ...     res = mse.estimate(mse.load_dataset("korea"), method="independence")
    >>> budget.expired
    False
    """
    seconds = check_max_seconds(max_seconds)
    if seconds is None:
        token = _CURRENT.set(None)
        try:
            yield None
        finally:
            _CURRENT.reset(token)
        return
    budget = _Budget(seconds, time.perf_counter() + seconds)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def checkpoint(stage: str) -> None:
    """Stop the run if the current time budget is spent.

    Parameters
    ----------
    stage
        What the run was doing (``"fitting log-linear models"``), for the status.

    Raises
    ------
    BudgetExhausted
        When a budget is set and its deadline has passed.

    Examples
    --------
    >>> import time
    >>> from mse.budget import BudgetExhausted, checkpoint, time_budget
    >>> with time_budget(0.001) as budget:
    ...     time.sleep(0.01)
    ...     try:
    ...         checkpoint("fitting log-linear models")
    ...     except BudgetExhausted as stop:
    ...         print(stop)
    the time budget of 0.001 s ran out while fitting log-linear models
    >>> budget.expired, budget.stage
    (True, 'fitting log-linear models')
    """
    budget = _CURRENT.get()
    if budget is None:
        return
    if budget.expired or time.perf_counter() > budget.deadline:
        # remember where, in case a loop records the failure instead of letting it through
        budget.stage = budget.stage or stage
        raise BudgetExhausted(f"the time budget of {budget.max_seconds:g} s ran out while {budget.stage}")


def run_within_budget(
    estimator: Callable[..., Any],
    data: Any,
    *,
    method: str,
    level: float,
    interval: str | None,
    random_seed: int | None,
    options: dict[str, Any],
    own_budget: bool = False,
) -> Any:
    """Call ``estimator`` under the ``max_seconds`` in ``options``; a run cut short has no numbers.

    Parameters
    ----------
    estimator
        The method's estimator, ``fn(data, *, level, interval, random_seed, **options)``.
    data, level, interval, random_seed
        As for :func:`mse.estimate`.
    method
        The method name, for the result.
    options
        The estimator's options; ``max_seconds`` is taken out of them unless
        ``own_budget`` (a sampler that keeps its own clock and reports its
        own stop reason).
    own_budget
        Pass ``max_seconds`` through to the estimator untouched.

    Returns
    -------
    Estimate
        The estimator's result; when the budget ran out, a failed estimate
        whose status starts with ``"cut short"``.

    Examples
    --------
    >>> import mse
    >>> from mse.budget import run_within_budget
    >>> from mse.loglinear.estimators import independence
    >>> res = run_within_budget(independence, mse.load_dataset("korea"), method="independence", level=0.95,
    ...                         interval=None, random_seed=None, options={"max_seconds": 60})
    >>> res.status
    'ok'
    """
    from mse.results import Estimate

    options = dict(options)
    if own_budget or "max_seconds" not in options:
        return estimator(data, level=level, interval=interval, random_seed=random_seed, **options)
    with time_budget(options.pop("max_seconds")) as budget:
        try:
            result = estimator(data, level=level, interval=interval, random_seed=random_seed, **options)
        except BudgetExhausted as exc:
            result = None
            message = str(exc)
    if budget is None or (result is not None and not budget.expired):
        return result
    if result is not None:
        message = f"the time budget of {budget.max_seconds:g} s ran out while {budget.stage}"
    status = f"{CUT_SHORT}: {message}; rerun with a larger max_seconds (or none) for a result"
    return Estimate.failed(
        method=method,
        observed=data.n_observed,
        status=status,
        level=level,
        details={"max_seconds": budget.max_seconds, "stopped_while": budget.stage},
    )
