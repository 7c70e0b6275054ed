"""Exceptions and warnings raised by :mod:`mse`.

Every error the library raises on purpose derives from :class:`MSEError`, so a
script can catch the library's complaints without also catching programming
errors. The value-type errors also derive from :class:`ValueError`, which is
what generic numerical code expects for bad input.
"""

from __future__ import annotations

import os
import sys
import types
import warnings

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "EstimabilityError",
    "EstimabilityWarning",
    "HeterogeneityWarning",
    "MSEDeprecationWarning",
    "MSEError",
    "MSEWarning",
    "ModelError",
    "MultimodalityWarning",
]


class MSEError(Exception):
    """Base class of every error raised by :mod:`mse`.

    Examples
    --------
    >>> import mse
    >>> try:
    ...     mse.estimate(mse.load_dataset("korea"), method="no such method")
    ... except mse.MSEError as error:
    ...     print(type(error).__name__)
    ModelError
    """


class DataError(MSEError, ValueError):
    """The input data are malformed; the message names the column, row and fix.

    Examples
    --------
    >>> import mse
    >>> mse.CaptureData.from_patterns({"12": 5}, lists=["A", "B"])
    Traceback (most recent call last):
    ...
    mse.errors.DataError: pattern '12' must be a string of 2 characters 0/1, one per list ['A', 'B'].
    """


class ModelError(MSEError, ValueError):
    """A model specification is malformed or refers to unknown lists or covariates.

    Examples
    --------
    >>> import mse
    >>> mse.estimate(mse.load_dataset("korea"), method="no such method")
    Traceback (most recent call last):
    ...
    mse.errors.ModelError: unknown method 'no such method'; choose one of [...].
    """


class EstimabilityError(MSEError):
    """The requested estimate does not exist or is not identifiable.

    Raised only when the caller asked for a number that cannot be given; search
    and bootstrap routines record such failures in a status column instead.

    Examples
    --------
    Two lists that never overlap say nothing about the people on neither;
    with ``strict=True`` :func:`mse.estimate` raises instead of returning a
    failed result:

    >>> import mse
    >>> data = mse.CaptureData.from_patterns({"10": 5, "01": 7}, lists=["A", "B"])
    >>> mse.estimate(data, method="independence", strict=True)
    Traceback (most recent call last):
    ...
    mse.errors.EstimabilityError: independence: no information about N: lists A and B never overlap ...
    """


class MSEWarning(UserWarning):
    """Base class of every warning issued by :mod:`mse`.

    Examples
    --------
    Turn every warning of the library into an error, for a script that must
    not report a number with a caveat attached:

    >>> import warnings
    >>> import mse
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", mse.MSEWarning)
    ...     try:
    ...         mse.estimate(mse.load_dataset("hepatitis_a"), method="independence")
    ...     except mse.MSEWarning as warning:
    ...         print(type(warning).__name__)
    HeterogeneityWarning
    """


class MSEDeprecationWarning(MSEWarning, FutureWarning):
    """A name or argument of :mod:`mse` is deprecated; the message names its replacement.

    A :class:`FutureWarning` (shown by default, since it is meant for the
    people who write the scripts) as well as an :class:`MSEWarning`, so that
    filters on either catch it. It concerns the call, not the result, so it
    is not kept in :attr:`mse.Estimate.warnings`.

    Examples
    --------
    >>> import warnings
    >>> import mse
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     res = mse.estimate(mse.load_dataset("kosovo"), method="dga", n_draws=100, random_seed=1)
    >>> [w.category.__name__ for w in caught]
    ['MSEDeprecationWarning']
    """


class ConvergenceWarning(MSEWarning):
    """A fit or sampler did not converge; the number it gave should not be trusted.

    Examples
    --------
    >>> import warnings
    >>> import mse
    >>> issubclass(mse.ConvergenceWarning, mse.MSEWarning)
    True
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", mse.ConvergenceWarning)  # a fit that did not converge stops here
    ...     res = mse.estimate(mse.load_dataset("korea"), method="Mt")
    >>> res.status
    'ok'
    """


class EstimabilityWarning(MSEWarning):
    """An estimate exists only on the boundary, or is fragile (for example, lists never overlap).

    Examples
    --------
    >>> import warnings
    >>> import mse
    >>> data = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     res = mse.estimate(data)
    >>> [str(w.message) for w in caught if w.category is mse.EstimabilityWarning]
    ['with two lists the estimate assumes the lists are independent; the data cannot check this.']
    """


class DataWarning(MSEWarning):
    """The data are usable but odd in a way that may matter (for example, a list nobody is on).

    Examples
    --------
    >>> import warnings
    >>> import mse
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     data = mse.CaptureData.from_patterns({"100": 5, "010": 3, "110": 2}, lists=["A", "B", "C"])
    >>> print(caught[0].category.__name__, caught[0].message)
    DataWarning nobody is on list(s) ['C']; they carry no information. Consider drop_lists(['C']).
    """


class MultimodalityWarning(MSEWarning):
    """The posterior of N has separated modes; its median and interval summarise a mixture of them.

    Examples
    --------
    The modes themselves are in the result (``res.details["modes"]``) and on
    :func:`mse.plot_posterior`; the warning is a :class:`MSEWarning`:

    >>> import mse
    >>> issubclass(mse.MultimodalityWarning, mse.MSEWarning)
    True
    """


class HeterogeneityWarning(MSEWarning):
    """The data suggest that people differ in how visible they are in a way no fitted model captures.

    Log-linear models absorb heterogeneity only as far as it shows up as
    dependence between lists; heterogeneity shared by every list biases ``N``
    downwards and makes intervals too narrow. The message says what the
    check saw and what to try (the latent-class model, covariates, strata).

    Examples
    --------
    >>> import warnings
    >>> import mse
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     res = mse.estimate(mse.load_dataset("hepatitis_a"), method="independence")
    >>> [w.category.__name__ for w in caught]
    ['HeterogeneityWarning']
    >>> res.warnings[0].startswith("model 'independence': more people were seen on many lists")
    True
    """


def people(count: int) -> str:
    """A number of people as a message says it: ``"1 person"``, ``"4,400 people"``.

    Parameters
    ----------
    count
        How many.

    Returns
    -------
    str
        The count with thousands separators and the right noun.

    Examples
    --------
    >>> from mse.errors import people
    >>> people(1), people(0), people(4400)
    ('1 person', '0 people', '4,400 people')
    """
    return f"{int(count):,} {'person' if int(count) == 1 else 'people'}"


_PACKAGE_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first line outside :mod:`mse`: the user's own.

    A fixed ``stacklevel`` counts frames, and the path from :func:`mse.estimate`
    to the code that finds a problem differs from method to method, so a fixed
    number points into the library as often as not. This walks the stack
    instead (the approach of pandas' ``find_stack_level``).

    Returns
    -------
    int
        For :func:`warnings.warn` called by the function that calls this one.

    Examples
    --------
    >>> user_stacklevel() >= 1
    True
    """
    frame: types.FrameType | None = sys._getframe(1)  # the function that will call warnings.warn: its stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIRECTORY + os.sep):
        frame = frame.f_back
        level += 1
    return level


def warn(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the user's line that led to it (see :func:`user_stacklevel`).

    Parameters
    ----------
    message
        What happened and what to do about it.
    category
        One of the library's warning classes.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     warn("check the draws", ConvergenceWarning)
    >>> caught[0].category.__name__
    'ConvergenceWarning'
    """
    warnings.warn(message, category, stacklevel=user_stacklevel())
