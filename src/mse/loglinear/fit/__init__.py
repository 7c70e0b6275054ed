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

from mse.loglinear.fit import batch, bias, existence, irls, model_fit
from mse.loglinear.fit.batch import *  # noqa: F403 (the module's __all__)
from mse.loglinear.fit.bias import *  # noqa: F403 (the module's __all__)
from mse.loglinear.fit.existence import *  # noqa: F403 (the module's __all__)
from mse.loglinear.fit.irls import *  # noqa: F403 (the module's __all__)
from mse.loglinear.fit.model_fit import *  # noqa: F403 (the module's __all__)

__all__ = [*irls.__all__, *existence.__all__, *model_fit.__all__, *batch.__all__, *bias.__all__]
