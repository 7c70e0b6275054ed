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
from mse.loglinear.existence import EstimabilityReport, check_estimability
from mse.loglinear.search import select_model
from mse.results import Estimate, ModelSearch

__all__ = [
    "CaptureData",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "EstimabilityError",
    "EstimabilityReport",
    "EstimabilityWarning",
    "Estimate",
    "MSEError",
    "MSEWarning",
    "ModelError",
    "ModelSearch",
    "__version__",
    "available_methods",
    "check_estimability",
    "dataset_info",
    "estimate",
    "list_datasets",
    "load_dataset",
    "select_model",
]
