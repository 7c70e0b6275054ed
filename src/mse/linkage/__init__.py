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
    "RecordErrors": "mse.linkage.synthetic",
    "SimulatedRecords": "mse.linkage.synthetic",
    "link": "mse.linkage.link",
    "pseudonymise": "mse.linkage.pseudonymise",
    "simulate_records": "mse.linkage.synthetic",
}

__all__ = sorted(_LAZY)

# Functions named like their modules are bound here, once: importing ``mse.linkage.pseudonymise``
# (or ``mse.linkage.link``) for the first time sets the package's attribute to the module, which
# would then hide the function from ``from mse.linkage import pseudonymise``. The modules need only
# the standard library, numpy and pandas at load (``link`` imports Splink when it runs).
from mse.linkage.link import link  # noqa: E402, F401
from mse.linkage.pseudonymise import pseudonymise  # noqa: E402, F401


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'mse.linkage' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
