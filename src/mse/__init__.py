"""mse: multiple-systems estimation of the size of hidden populations.

The public names are documented in the user guide; everything else is internal.
PyMC and ArviZ are imported only by the Bayesian methods that need them.
"""

from mse import methods, plotting
from mse._version import __version__
from mse.api import available_methods, compare, estimate
from mse.data import CaptureData, dataset_info, list_datasets, load_dataset, load_truth
from mse.diagnostics import (
    goodness_of_fit,
    internal_consistency,
    mcmc_diagnostics,
    overlap_diagnostics,
    sensitivity,
    trajectory,
)
from mse.disclosure import DisclosurePolicy, ProtectedEstimate
from mse.errors import (
    ConvergenceWarning,
    DataError,
    DataWarning,
    EstimabilityError,
    EstimabilityWarning,
    HeterogeneityWarning,
    ModelError,
    MSEDeprecationWarning,
    MSEError,
    MSEWarning,
    MultimodalityWarning,
)

# Re-exported under their own names: the plots are listed once, in mse.plotting.__all__.
from mse.plotting import (
    plot_breakdown as plot_breakdown,
    plot_comparison as plot_comparison,
    plot_internal_consistency as plot_internal_consistency,
    plot_models as plot_models,
    plot_overlaps as plot_overlaps,
    plot_posterior as plot_posterior,
    plot_residuals as plot_residuals,
    plot_sensitivity as plot_sensitivity,
)
from mse.result_table import ResultTable
from mse.results import Estimate, ModelSearch, load_result, protect_counts
from mse.settings import get_option, option_context, set_options

# Public names whose modules pull in heavier parts of SciPy, and the simulation and
# benchmarking subpackages, are imported on first use so that `import mse` stays fast.
_LAZY = {
    "closed_population_models": "mse.closed.table",
    "check_estimability": "mse.loglinear.fit.existence",
    "EstimabilityReport": "mse.loglinear.fit.existence",
    "select_model": "mse.loglinear.search.model_search",
    "rates": "mse.loglinear.covariates.population_rates",
}


_SUBPACKAGES = ("benchmark", "report", "simulate")


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"mse.{name}")
    else:
        raise AttributeError(f"module 'mse' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

__all__ = [
    "CaptureData",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "DisclosurePolicy",
    "EstimabilityError",
    "EstimabilityReport",
    "EstimabilityWarning",
    "Estimate",
    "HeterogeneityWarning",
    "MSEDeprecationWarning",
    "MSEError",
    "MSEWarning",
    "ModelError",
    "ModelSearch",
    "MultimodalityWarning",
    "ProtectedEstimate",
    "ResultTable",
    "__version__",
    "available_methods",
    "check_estimability",
    "closed_population_models",
    "compare",
    "dataset_info",
    "estimate",
    "get_option",
    "goodness_of_fit",
    "internal_consistency",
    "list_datasets",
    "load_dataset",
    "load_result",
    "load_truth",
    "mcmc_diagnostics",
    "methods",
    "option_context",
    "overlap_diagnostics",
    "protect_counts",
    "rates",
    "select_model",
    "sensitivity",
    "set_options",
    "trajectory",
]
__all__ += plotting.__all__
