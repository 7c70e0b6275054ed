"""From several agencies' records to capture histories, without sharing names.

The optional part of the library for data that are not yet linked
(``pip install "multiple-systems-estimation[linkage]"``; add ``[spark]`` for
data that outgrow one machine):

1. each agency pseudonymises its own records with a secret key
   (:func:`pseudonymise`): identifying fields become keyed hashes of whole
   fields and of partial keys, so that typing errors can still be tolerated;
2. a trusted party links the tokens of all agencies probabilistically
   (:func:`link`, Fellegi-Sunter with EM through Splink, on DuckDB or Spark)
   into a :class:`LinkageResult`: clusters of records and the match
   probabilities of candidate pairs;
3. :meth:`mse.CaptureData.from_linked` builds the capture-history table,
   and :func:`mse.estimate` accounts for linkage errors in the estimate and
   reports their part of the uncertainty separately.

Nothing here imports Splink, DuckDB or Spark until :func:`link` runs.
"""

from __future__ import annotations

import importlib

# Public name -> module that defines it, imported on first use.
_LAZY = {
    "LinkageResult": "mse.linkage.result",
    "LinkedCaptureData": "mse.linkage.linked_data",
    "link": "mse.linkage.link",
}

__all__ = sorted(_LAZY)

# A function named like its module is bound here, once: importing ``mse.linkage.link`` for the first
# time sets the package's ``link`` to the module, which would then hide the function from
# ``from mse.linkage import link``. The module imports no Splink (only pandas and numpy) at load.
from mse.linkage.link import link  # noqa: E402, F401


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'mse.linkage' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
