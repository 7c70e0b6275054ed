"""What a log-linear model is: its terms, the capture table it is fitted to and its design columns.

* :mod:`~mse.loglinear.model.terms`: hierarchical models as sets of interaction
  terms over lists (and covariates), the model-string parser and the names.
* :mod:`~mse.loglinear.model.table`: the table of observable capture histories
  by complete covariate cell (one cell without covariates).
* :mod:`~mse.loglinear.model.design`: the design columns of the models on a
  table, and the extended-MLE masks of the terms no one is seen on.
"""

from mse.loglinear.model.design import (
    MAX_DESIGN_ENTRIES,
    Design,
    extended_masks,
    orthogonal_polynomial,
    term_columns,
    zero_margin_terms,
)
from mse.loglinear.model.table import CaptureTable, build_table, cell_histories
from mse.loglinear.model.terms import (
    ModelSpec,
    Term,
    Terms,
    all_k_way,
    format_covariate_model,
    format_model,
    generating_terms,
    hierarchical_closure,
    is_hierarchical,
    k_way_terms,
    parse_model,
    two_factor_terms,
)

__all__ = [
    "MAX_DESIGN_ENTRIES",
    "CaptureTable",
    "Design",
    "ModelSpec",
    "Term",
    "Terms",
    "all_k_way",
    "build_table",
    "cell_histories",
    "extended_masks",
    "format_covariate_model",
    "format_model",
    "generating_terms",
    "hierarchical_closure",
    "is_hierarchical",
    "k_way_terms",
    "orthogonal_polynomial",
    "parse_model",
    "term_columns",
    "two_factor_terms",
    "zero_margin_terms",
]
