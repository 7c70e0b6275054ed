"""How a number is printed for a reader: the report's tables and the console tables of ``mse``.

Tables keep numbers as numbers (they can be summed, sorted and saved); they
become text only here, by what the column holds: people as whole numbers
with thousands separators, information criteria to one decimal, p-values
and rates as they are read, years and counts of parameters as they are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CRITERION_COLUMNS", "PEOPLE_COLUMNS", "display_value"]

#: Columns that hold numbers of people: whole numbers with thousands separators.
PEOPLE_COLUMNS = frozenset(
    {"observed", "allocated", "estimate", "lower", "upper", "people", "people on both", "records missing it",
     "population", "truth", "value"}
)  # fmt: skip
#: Columns of information criteria and deviances: one decimal.
CRITERION_COLUMNS = frozenset({"aic", "bic", "aicc", "deviance"})


def display_value(value: Any, column: str = "") -> str:
    """How a number is printed in a report; the tables keep numbers as numbers until here.

    Parameters
    ----------
    value
        A cell of a table.
    column
        Its column's name, which says what kind of number it is: people
        (:data:`PEOPLE_COLUMNS`), an information criterion, a p-value or a
        rate; any other whole number (a year, a step, degrees of freedom) is
        printed as it is.

    Returns
    -------
    str
        Numbers of people as whole numbers with thousands separators,
        criteria to one decimal, small p-values in scientific notation,
        rates to two decimals, other fractions with three significant digits,
        text as it is.

    Examples
    --------
    >>> from mse.report.display import display_value
    >>> display_value(12345.6, "estimate"), display_value(2016, "year"), display_value(0.000012, "p_value")
    ('12,346', '2016', '1.2e-05')
    >>> display_value(1.2345, "ratio"), display_value(245.94, "bic"), display_value("<10", "observed")
    ('1.23', '245.9', '<10')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    number = float(value)
    if math.isinf(number):
        return "unbounded" if number > 0 else "-unbounded"
    if column == "p_value":
        return f"{number:.2g}"
    if column in CRITERION_COLUMNS:
        return f"{number:,.1f}"
    if column.startswith("rate"):
        return f"{number:,.2f}"
    if column in PEOPLE_COLUMNS and (number.is_integer() or abs(number) >= 100):
        return f"{number:,.0f}"
    if isinstance(value, (int, np.integer)) or number.is_integer():
        return str(int(number))  # a year, a step, a count of parameters: no separators
    return f"{number:.3g}"
