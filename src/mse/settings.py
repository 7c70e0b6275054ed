"""Library-wide settings: one switch instead of an argument on every call.

Today there is one setting, ``progress``: whether long runs (bootstraps,
model searches, samplers, simulation studies) draw a progress bar.

* ``None`` (the default): a bar where someone can watch it, in a terminal or
  a notebook, once a run is expected to take more than a few seconds; never
  in logs, pipes or CI.
* ``True``: always (when a call does not say otherwise).
* ``False``: never.

The environment variable ``MSE_PROGRESS`` (``0``/``off``/``false`` or
``1``/``on``/``true``) sets the starting value, for scripts and batch jobs;
:func:`set_options` overrides it; a call's own ``progress=`` overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mse.errors import ModelError

__all__ = ["get_option", "option_context", "set_options"]

_OFF = {"0", "off", "false", "no"}
_ON = {"1", "on", "true", "yes"}


def _progress_from_environment() -> bool | None:
    value = os.environ.get("MSE_PROGRESS", "").strip().lower()
    if value in _OFF:
        return False
    if value in _ON:
        return True
    return None


_options: dict[str, Any] = {"progress": _progress_from_environment()}


def _check(name: str, value: Any) -> None:
    if name not in _options:
        raise ModelError(f"unknown option {name!r}; the options are {sorted(_options)}.")
    if name == "progress" and value not in (None, True, False):
        raise ModelError(f"progress must be True, False or None (automatic), got {value!r}.")


def set_options(**options: Any) -> None:
    """Change library-wide settings for the rest of the session.

    Parameters
    ----------
    **options
        ``progress``: ``True``, ``False`` or ``None`` (automatic: a bar in a
        terminal or notebook for runs of more than a few seconds).

    Raises
    ------
    ModelError
        For an unknown setting or a value it cannot take.

    See Also
    --------
    option_context : settings for one block of code only.
    get_option : the current value.

    Examples
    --------
    >>> import mse
    >>> mse.set_options(progress=False)   # no bars, in any call that does not ask for one
    >>> mse.get_option("progress")
    False
    >>> mse.set_options(progress=None)    # back to automatic
    """
    for name, value in options.items():
        _check(name, value)
    _options.update(options)


def get_option(name: str) -> Any:
    """The current value of a library-wide setting.

    Parameters
    ----------
    name
        ``"progress"``.

    Returns
    -------
    object
        Its value.

    Raises
    ------
    ModelError
        For an unknown setting.

    Examples
    --------
    >>> import mse
    >>> mse.get_option("progress") in (None, True, False)
    True
    """
    if name not in _options:
        raise ModelError(f"unknown option {name!r}; the options are {sorted(_options)}.")
    return _options[name]


@contextmanager
def option_context(**options: Any) -> Iterator[None]:
    """Settings that hold inside a ``with`` block and are restored after it.

    Parameters
    ----------
    **options
        As for :func:`set_options`.

    Yields
    ------
    None

    Examples
    --------
    >>> import mse
    >>> with mse.option_context(progress=False):
    ...     mse.get_option("progress")
    False
    """
    for name, value in options.items():
        _check(name, value)
    saved = {name: _options[name] for name in options}
    _options.update(options)
    try:
        yield
    finally:
        _options.update(saved)
