"""mse: multiple-systems estimation of the size of hidden populations.

The public names are documented in the user guide; everything else is internal.
PyMC and ArviZ are imported only by the Bayesian methods that need them.
"""

from mse._version import __version__
from mse.api import available_methods, estimate
from mse.data import CaptureData, dataset_info, list_datasets, load_dataset
from mse.errors import (
    ConvergenceWarning,
    DataError,
    DataWarning,
    EstimabilityError,
    EstimabilityWarning,
    ModelError,
    MSEError,
    MSEWarning,
)
from mse.results import Estimate, ModelSearch

__all__ = [
    "CaptureData",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "EstimabilityError",
    "EstimabilityWarning",
    "Estimate",
    "MSEError",
    "MSEWarning",
    "ModelError",
    "ModelSearch",
    "__version__",
    "available_methods",
    "dataset_info",
    "estimate",
    "list_datasets",
    "load_dataset",
]

_SUBPACKAGES = ("benchmark", "simulate")


def __getattr__(name: str) -> object:
    # Simulation and benchmarking are imported on first use so that `import mse` stays fast.
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"mse.{name}")
    raise AttributeError(f"module 'mse' has no attribute {name!r}")
