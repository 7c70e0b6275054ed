"""Fitting log-linear models: the Newton solver, one model's fit, many models at once, existence, bias.

* :mod:`~mse.loglinear.fit.irls`: Poisson maximum likelihood by Newton's
  method, batched over models and count vectors: the one solver.
* :mod:`~mse.loglinear.fit.existence`: whether the MLE exists (Fienberg &
  Rinaldo's linear program, the facial set) and whether the model is identifiable.
* :mod:`~mse.loglinear.fit.model_fit`: one model's fit (:func:`fit_model`) and
  the fit result types (:class:`ModelFit`, :class:`LoglinearFit`).
* :mod:`~mse.loglinear.fit.batch`: many models or tables in one solve, with a
  status label per fit (:func:`evaluate_models`).
* :mod:`~mse.loglinear.fit.bias`: the bias-reduced estimate of Rivest &
  Lévesque (2001).
"""

from mse.loglinear.fit.batch import BatchFits, evaluate_models
from mse.loglinear.fit.bias import DESCRIPTION, bias_corrected_batch, bias_corrected_fit, count_adjustment
from mse.loglinear.fit.existence import (
    MAX_PROGRAM_CELLS,
    EstimabilityReport,
    ExistenceUndecided,
    Face,
    check_estimability,
    exists_batch,
    facial_batch,
    facial_set,
    identifiable_batch,
    mle_exists,
    model_estimability,
)
from mse.loglinear.fit.irls import (
    MAX_ETA,
    DesignInformation,
    NewtonFits,
    NewtonPath,
    PoissonFits,
    fit_poisson,
    newton_fit,
    newton_iterations,
)
from mse.loglinear.fit.model_fit import (
    LoglinearFit,
    ModelFit,
    fit_model,
    fitted_design,
    information_criteria,
    population_from_fits,
)

__all__ = [
    "DESCRIPTION",
    "MAX_ETA",
    "MAX_PROGRAM_CELLS",
    "BatchFits",
    "DesignInformation",
    "EstimabilityReport",
    "ExistenceUndecided",
    "Face",
    "LoglinearFit",
    "ModelFit",
    "NewtonFits",
    "NewtonPath",
    "PoissonFits",
    "bias_corrected_batch",
    "bias_corrected_fit",
    "check_estimability",
    "count_adjustment",
    "evaluate_models",
    "exists_batch",
    "facial_batch",
    "facial_set",
    "fit_model",
    "fit_poisson",
    "fitted_design",
    "identifiable_batch",
    "information_criteria",
    "mle_exists",
    "model_estimability",
    "newton_fit",
    "newton_iterations",
    "population_from_fits",
]
