"""mse: multiple-systems estimation of the size of hidden populations.

The public names are documented in the user guide; everything else is internal.
PyMC and ArviZ are imported only by the Bayesian methods that need them.
"""

from mse._version import __version__
from mse.api import available_methods, estimate
from mse.closed import closed_population_models
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
    "__version__",
    "CaptureData",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "Estimate",
    "EstimabilityError",
    "EstimabilityWarning",
    "MSEError",
    "MSEWarning",
    "ModelError",
    "ModelSearch",
    "available_methods",
    "closed_population_models",
    "dataset_info",
    "estimate",
    "list_datasets",
    "load_dataset",
]
