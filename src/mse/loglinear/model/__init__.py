"""What a log-linear model is: its terms, the capture table it is fitted to and its design columns.

* :mod:`~mse.loglinear.model.terms`: hierarchical models as sets of interaction
  terms over lists (and covariates), the model-string parser and the names.
* :mod:`~mse.loglinear.model.table`: the table of observable capture histories
  by complete covariate cell (one cell without covariates).
* :mod:`~mse.loglinear.model.design`: the design columns of the models on a
  table, and the extended-MLE masks of the terms no one is seen on.
"""

from mse.loglinear.model import design, table, terms
from mse.loglinear.model.design import *  # noqa: F403 (the module's __all__)
from mse.loglinear.model.table import *  # noqa: F403 (the module's __all__)
from mse.loglinear.model.terms import *  # noqa: F403 (the module's __all__)

__all__ = [*terms.__all__, *table.__all__, *design.__all__]
