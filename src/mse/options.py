"""Checks of the arguments every estimator receives: options, interval name, level.

Estimators reject what they do not understand with a :class:`mse.ModelError`
that names the valid choices, so a misspelt option never passes silently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from mse.errors import ModelError

__all__ = ["check_level", "check_random_seed", "choose_interval", "reject_unknown_options"]


def reject_unknown_options(options: Mapping[str, Any] | Iterable[str], valid: Iterable[str], method: str) -> None:
    """Raise when ``options`` holds a name outside ``valid``.

    Raises
    ------
    ModelError
        Naming the unknown options and the valid ones.

    Examples
    --------
    >>> reject_unknown_options({"n_boot": 10}, {"n_boot"}, "M0")
    >>> reject_unknown_options({"nboot": 10}, {"n_boot"}, "M0")
    Traceback (most recent call last):
    ...
    mse.errors.ModelError: unknown option(s) ['nboot'] for method 'M0'; valid options are ['n_boot'].
    """
    valid = sorted(valid)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ModelError(f"unknown option(s) {unknown} for method {method!r}; valid options are {valid or 'none'}.")


def choose_interval(interval: str | None, valid: Iterable[str], method: str) -> str:
    """The interval to compute: ``interval``, or the first of ``valid`` when it is ``None``.

    Raises
    ------
    ModelError
        When ``interval`` is not one of ``valid``.

    Examples
    --------
    >>> choose_interval(None, ("profile", "wald"), "Mt")
    'profile'
    """
    valid = tuple(valid)
    chosen = valid[0] if interval is None else interval
    if chosen not in valid:
        raise ModelError(f"interval {interval!r} is not available for method {method!r}; choose one of {list(valid)}.")
    return chosen


def check_level(level: Any) -> float:
    """``level`` as a float strictly between 0 and 1.

    Raises
    ------
    ModelError
        For anything else (``95`` instead of ``0.95``, say).

    Examples
    --------
    >>> check_level(0.9)
    0.9
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < float(level) < 1.0:
        raise ModelError(f"level must be a number strictly between 0 and 1 (0.95 for 95 %), got {level!r}.")
    return float(level)


def check_max_seconds(max_seconds: Any) -> float | None:
    """A time budget in seconds, or ``None`` for none (an infinite budget is none).

    Raises
    ------
    ModelError
        For anything but ``None`` or a positive number.

    Examples
    --------
    >>> check_max_seconds(600) is None, check_max_seconds(None) is None
    (False, True)
    """
    if max_seconds is None:
        return None
    if isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float)) or not max_seconds > 0:
        raise ModelError(
            f"max_seconds must be a positive number of seconds (or None for no time budget), got {max_seconds!r}."
        )
    return None if math.isinf(max_seconds) else float(max_seconds)


def check_random_seed(random_seed: Any, *, allow_sequence: bool = False) -> Any:
    """``random_seed`` checked: ``None`` or a non-negative integer (a numpy integer too).

    Every function of the library that draws random numbers passes its seed
    through here, so a bad seed is the same :class:`~mse.ModelError` whatever
    the method, and never numpy's ``ValueError`` or ``TypeError`` from deep
    inside a fit.

    Parameters
    ----------
    random_seed
        The seed given by the user.
    allow_sequence
        Also accept a :class:`numpy.random.SeedSequence` (the simulation
        functions take the children of one study seed).

    Returns
    -------
    int, None or numpy.random.SeedSequence
        A numpy integer becomes a plain ``int``, so it is recorded as the user
        would write it.

    Raises
    ------
    ModelError
        For a negative number, a fraction, text, a bool or anything else.

    Examples
    --------
    >>> check_random_seed(np.int64(7))
    7
    >>> check_random_seed(-1)
    Traceback (most recent call last):
    ...
    mse.errors.ModelError: random_seed must be None or a non-negative whole number (such as 2026), got -1.
    """
    if random_seed is None:
        return None
    if allow_sequence and isinstance(random_seed, np.random.SeedSequence):
        return random_seed
    # bool is an int to Python, but True as a seed is almost certainly a slip for another argument.
    if isinstance(random_seed, bool) or not isinstance(random_seed, (int, np.integer)) or random_seed < 0:
        raise ModelError(
            f"random_seed must be None or a non-negative whole number (such as 2026), got {random_seed!r}."
        )
    return int(random_seed)
