"""Tables of results that print for a reader and keep their numbers whole.

:func:`mse.compare`, :meth:`mse.Estimate.breakdown` and a model search's
``table`` are DataFrames of full-precision floats: a user sums, sorts, plots
and saves them. Shown as they are, a notebook prints ``7395.213049`` and
``NaN``; :class:`ResultTable` is a DataFrame that only *shows* them as the
summaries do (people as whole numbers with thousands separators, criteria to
one decimal, the interval level as a percentage, a missing estimate as "no
estimate", status text in full) and leaves the data alone: ``table["estimate"]``
is the float column, and arithmetic, ``to_csv``, ``to_json`` and
``to_dict`` are pandas' own.

How a cell is printed depends on its column's name only (:func:`display_value`);
the report and the command line print their tables with the same function.
"""

from __future__ import annotations

import math
from functools import partial
from html import escape
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["CRITERION_COLUMNS", "PEOPLE_COLUMNS", "ResultTable", "display_value", "reader_value"]

#: Columns that hold numbers of people: whole numbers with thousands separators.
PEOPLE_COLUMNS = frozenset(
    {"observed", "allocated", "estimate", "lower", "upper", "people", "people on both", "records missing it",
     "population", "truth", "value", "dark_figure"}
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


class _Missing:
    """Stands for a missing cell while a table is printed (pandas prints ``NaN`` without asking a formatter)."""

    def __repr__(self) -> str:
        return "missing"


_MISSING = _Missing()


def reader_value(value: Any, column: str = "") -> str:
    """A cell of a :class:`ResultTable` as it is shown: :func:`display_value`, with a few columns read as words.

    A missing estimate reads "no estimate" and any other missing number "—";
    the interval level is a percentage, ``seconds`` a duration, and a
    standard error (``se``) of an estimate a number of people.

    Parameters
    ----------
    value
        A cell of the table.
    column
        Its column's name.

    Returns
    -------
    str
        The cell as printed.

    Examples
    --------
    >>> reader_value(float("nan"), "estimate"), reader_value(None, "lower"), reader_value(0.95, "level")
    ('no estimate', '—', '95%')
    >>> reader_value(7395.213, "estimate"), reader_value(1.234, "seconds"), reader_value(0.975, "level")
    ('7,395', '1.23 s', '97.5%')
    """
    if value is _MISSING or value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "no estimate" if column == "estimate" else "—"
    numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if numeric and column == "level" and math.isfinite(float(value)):
        percent = 100 * float(value)
        return f"{percent:.0f}%" if percent.is_integer() else f"{percent:g}%"
    if numeric and column == "seconds":
        return f"{float(value):,.2f} s"
    if column == "se":  # the standard error of an estimated number of people is one too
        return display_value(value, "estimate")
    return display_value(value, column)


class ResultTable(pd.DataFrame):
    """A DataFrame of results that prints for a reader and holds full-precision numbers.

    The console (``repr``, :meth:`to_string`) and notebook (``_repr_html_``,
    :meth:`to_html`) show each cell through :func:`reader_value`, text in full
    (the console's ``repr`` cuts it at pandas' ``display.max_colwidth``, so
    that a long status leaves the other columns on the line); every other
    use of the frame is pandas' own, on the unchanged data. A table made under
    a disclosure policy says so under the table (``disclosure``); its values
    were protected when it was made.

    Attributes
    ----------
    disclosure : str or None
        What the disclosure policy did (``DisclosurePolicy.describe()``), or
        ``None`` when none was applied.

    Examples
    --------
    >>> table = ResultTable({"label": ["independence"], "estimate": [7395.213049], "lower": [float("nan")],
    ...                      "level": [0.95], "status": ["ok"]})
    >>> table
              label estimate lower level status
    0  independence    7,395     —   95%     ok
    >>> float(table["estimate"].iloc[0])
    7395.213049
    >>> type(table.sort_values("estimate")).__name__, type(table["estimate"]).__name__
    ('ResultTable', 'Series')
    """

    # pandas' subclassing rules (https://pandas.pydata.org/docs/development/extending.html): attributes
    # listed in _metadata travel to derived frames through __finalize__.
    _metadata: ClassVar[list[str]] = ["disclosure"]
    disclosure: str | None = None

    @property
    def _constructor(self) -> type[ResultTable]:
        # Derived frames (a selection of rows or columns, a sort, head()) stay ResultTables: users
        # narrow a comparison to the columns they want and expect it to print as before. The display
        # follows column names only, and a column it does not know prints as pandas prints it, so a
        # frame with new columns is not misread; the data are never changed, so arithmetic, joins and
        # files are exactly a DataFrame's. A single column is a plain Series (_constructor_sliced is
        # pandas' default), so table["estimate"] is the float column.
        return ResultTable

    # ------------------------------------------------------------------ display
    def _for_reading(self) -> tuple[pd.DataFrame, list[Any]]:
        """A plain frame whose missing cells are marked (so that the formatters see them), and the formatters."""
        columns = {}
        for position in range(self.shape[1]):
            values = pd.Series(self.iloc[:, position].to_numpy(), index=self.index)
            missing = values.isna().to_numpy()
            if missing.any():
                values = values.astype(object)
                values[missing] = _MISSING
            columns[position] = values
        frame = pd.DataFrame(columns, index=self.index)
        frame.columns = self.columns
        formatters = [partial(reader_value, column=str(column)) for column in self.columns]
        return frame, formatters

    def _footer(self) -> str:
        return f"disclosure: {self.disclosure}" if self.disclosure else ""

    def to_string(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """:meth:`pandas.DataFrame.to_string` with the cells as a reader reads them (see :func:`reader_value`).

        Given ``formatters`` or ``float_format``, pandas' own rendering of the data.
        """
        if args or "formatters" in kwargs or "float_format" in kwargs:
            return pd.DataFrame(self).to_string(*args, **kwargs)
        frame, formatters = self._for_reading()
        kwargs.setdefault("max_colwidth", None)  # status text in full
        text = frame.to_string(formatters=formatters, **kwargs)
        if text is None or not self._footer():  # written to buf, or nothing to add
            return text
        return f"{text}\n{self._footer()}"

    def to_html(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """:meth:`pandas.DataFrame.to_html` with the cells as a reader reads them (see :func:`reader_value`).

        Given ``formatters`` or ``float_format``, pandas' own rendering of the data.
        """
        if args or "formatters" in kwargs or "float_format" in kwargs:
            return pd.DataFrame(self).to_html(*args, **kwargs)
        frame, formatters = self._for_reading()
        with pd.option_context("display.max_colwidth", None):
            html = frame.to_html(formatters=formatters, **kwargs)
        if html is None or not self._footer():  # written to buf, or nothing to add
            return html
        return f"{html}\n<p><small>{escape(self._footer())}</small></p>"

    def __repr__(self) -> str:
        # pandas' console limits: a status or model cut at display.max_colwidth keeps the other columns
        # on a terminal's line; to_string() and the notebook's HTML give text in full
        return self.to_string(
            max_rows=pd.get_option("display.max_rows"),
            min_rows=pd.get_option("display.min_rows"),
            max_cols=pd.get_option("display.max_columns"),
            max_colwidth=pd.get_option("display.max_colwidth"),
            show_dimensions=pd.get_option("display.show_dimensions"),
            line_width=pd.get_option("display.width"),
        )

    def _repr_html_(self) -> str:
        return self.to_html(
            max_rows=pd.get_option("display.max_rows"),
            max_cols=pd.get_option("display.max_columns"),
            show_dimensions=pd.get_option("display.show_dimensions"),
            notebook=True,
        )
