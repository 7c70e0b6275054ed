"""How a number is printed for a reader: the report's tables and the console tables of ``mse``.

Tables keep numbers as numbers (they can be summed, sorted and saved); they
become text only here, by what the column holds: people as whole numbers
with thousands separators, information criteria to one decimal, p-values
and rates as they are read, years and counts of parameters as they are.
"""

from __future__ import annotations

# The rules live with the results contract, where mse.ResultTable (compare(), breakdown(), a search's
# table) prints by them too; this module is where the report and the command line find them.
from mse.result_table import CRITERION_COLUMNS, PEOPLE_COLUMNS, display_value

__all__ = ["CRITERION_COLUMNS", "PEOPLE_COLUMNS", "display_value"]
