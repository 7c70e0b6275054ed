"""Exceptions and warnings raised by :mod:`mse`.

Every error the library raises on purpose derives from :class:`MSEError`, so a
script can catch the library's complaints without also catching programming
errors. The value-type errors also derive from :class:`ValueError`, which is
what generic numerical code expects for bad input.
"""

from __future__ import annotations

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
    """Base class of every error raised by :mod:`mse`."""


class DataError(MSEError, ValueError):
    """The input data are malformed; the message names the column, row and fix."""


class ModelError(MSEError, ValueError):
    """A model specification is malformed or refers to unknown lists or covariates."""


class EstimabilityError(MSEError):
    """The requested estimate does not exist or is not identifiable.

    Raised only when the caller asked for a number that cannot be given; search
    and bootstrap routines record such failures in a status column instead.
    """


class MSEWarning(UserWarning):
    """Base class of every warning issued by :mod:`mse`."""


class MSEDeprecationWarning(MSEWarning, FutureWarning):
    """A name or argument of :mod:`mse` is deprecated; the message names its replacement.

    A :class:`FutureWarning` (shown by default, since it is meant for the
    people who write the scripts) as well as an :class:`MSEWarning`, so that
    filters on either catch it. It concerns the call, not the result, so it
    is not kept in :attr:`mse.Estimate.warnings`.
    """


class ConvergenceWarning(MSEWarning):
    """A fit or sampler did not converge; the number it gave should not be trusted."""


class EstimabilityWarning(MSEWarning):
    """An estimate exists only on the boundary, or is fragile (for example, lists never overlap)."""


class DataWarning(MSEWarning):
    """The data are usable but odd in a way that may matter (for example, a list nobody is on)."""


class MultimodalityWarning(MSEWarning):
    """The posterior of N has separated modes; its median and interval summarise a mixture of them."""


class HeterogeneityWarning(MSEWarning):
    """The data suggest that people differ in how visible they are in a way no fitted model captures.

    Log-linear models absorb heterogeneity only as far as it shows up as
    dependence between lists; heterogeneity shared by every list biases ``N``
    downwards and makes intervals too narrow. The message says what the
    check saw and what to try (the latent-class model, covariates, strata).
    """
