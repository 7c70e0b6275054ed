"""Build a report from an estimate and render it as one self-contained HTML page."""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mse.data.capture import CaptureData
from mse.disclosure import DisclosurePolicy, resolve_policy
from mse.errors import DataError
from mse.report import sections
from mse.report.display import display_value
from mse.report.sections import Figure, Section, Table
from mse.results import Estimate

__all__ = ["Report", "Section", "build_report"]


@dataclass(frozen=True)
class Report:
    """A report of one estimate: a title and its sections, ready to render.

    Build one with :func:`build_report`; :meth:`to_html` renders it and
    :meth:`save` writes it. In a notebook the report shows itself.

    Parameters
    ----------
    title
        The heading of the page.
    sections
        The sections in order (:class:`Section`).
    policy
        The disclosure policy every number of people went through.

    Examples
    --------
    >>> import mse
    >>> result = mse.estimate(mse.load_dataset("korea"), method="independence")
    >>> report = mse.report.build_report(result, mse.load_dataset("korea"))
    >>> [section.anchor for section in report.sections][:3]
    ['summary', 'data', 'search']
    """

    title: str
    sections: tuple[Section, ...]
    policy: DisclosurePolicy

    def section(self, anchor: str) -> Section:
        """The section with the HTML id ``anchor`` (``"summary"``, ``"breakdowns"``, ...).

        Parameters
        ----------
        anchor
            The section's id.

        Returns
        -------
        Section
            Its heading, paragraphs, tables and figures, as the page shows them.

        Raises
        ------
        KeyError
            When the report has no section with that id; the message lists the ids it has.

        Examples
        --------
        >>> import mse
        >>> report = mse.report.build_report(mse.estimate(mse.load_dataset("korea"), method="M0"))
        >>> report.section("assumptions").title
        'Assumptions'
        """
        for candidate in self.sections:
            if candidate.anchor == anchor:
                return candidate
        raise KeyError(f"no section {anchor!r}; the report has {[s.anchor for s in self.sections]}")

    def to_html(self) -> str:
        """The report as one HTML page, figures embedded, no external resources.

        Returns
        -------
        str
            The page.

        Examples
        --------
        >>> import mse
        >>> report = mse.report.build_report(mse.estimate(mse.load_dataset("korea"), method="M0"))
        >>> report.to_html().startswith("<!DOCTYPE html>")
        True
        """
        import jinja2

        environment = jinja2.Environment(
            loader=jinja2.PackageLoader("mse.report", "templates"),
            autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.filters["cell"] = display_value
        environment.filters["data_uri"] = _data_uri
        template = environment.get_template("report.html.j2")
        return template.render(title=self.title, sections=self.sections, rows=_rows)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8).

        Parameters
        ----------
        path
            Where to write it, e.g. ``"report.html"``.

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import mse, tempfile, pathlib
        >>> report = mse.report.build_report(mse.estimate(mse.load_dataset("korea"), method="M0"))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     report.save(pathlib.Path(folder) / "report.html").stat().st_size > 1000
        True
        """
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.to_html()


def build_report(
    result: Estimate,
    data: CaptureData | None = None,
    *,
    by: Sequence[str | Sequence[str]] = (),
    changes: Sequence[tuple[str, Any, Any]] = (),
    policy: DisclosurePolicy | None = None,
    suppress_below: int | None = None,
    round_to: int | None = None,
    title: str | None = None,
) -> Report:
    """A report of ``result`` that a statistician can attach to a publication.

    Sections, in order: summary, data, model search, estimate, linkage,
    breakdowns, change between years, diagnostics, assumptions, provenance.
    A section that does not apply (no covariates, no search, no linkage) is
    kept and says so, so every report has the same outline.

    Parameters
    ----------
    result
        The estimate, from :func:`mse.estimate` or :func:`mse.load_result`.
    data
        The data it was fitted to, for the data summary and the plot of the
        capture histories. Its hash must match the one the result recorded.
    by
        Breakdowns to show: covariate names, or tuples of names for their
        combinations (``["year", ("age", "form")]``). By default the first
        covariate of the model.
    changes
        Changes to show, as ``(covariate, first, second)``: for example
        ``[("year", 2016, 2018)]``. By default, when the model has a
        ``year`` covariate, from its first year to its last.
    policy
        The :class:`mse.DisclosurePolicy` every number of people goes
        through. The organisation publishing sets it; without one, the
        report says that no disclosure control was applied.
    suppress_below, round_to
        Shorthands for ``policy=mse.DisclosurePolicy(suppress_below, round_to)``.
    title
        The page's heading; by default it names the method and the data's lists.

    Returns
    -------
    Report
        Render it with :meth:`Report.to_html` or write it with :meth:`Report.save`.

    Raises
    ------
    DataError
        When ``data`` is not the data the result was fitted to.

    Examples
    --------
    >>> import mse
    >>> data = mse.load_dataset("kosovo")
    >>> result = mse.estimate(data, method="independence")
    >>> report = mse.report.build_report(result, data, suppress_below=10)
    >>> report.section("summary").paragraphs[1]
    'Disclosure control: counts below 10 suppressed.'
    """
    if not isinstance(result, Estimate):
        raise DataError(f"build_report() needs a mse.Estimate, got {type(result).__name__}.")
    recorded = result.metadata.get("data_hash")
    if data is not None and recorded is not None and data.content_hash != recorded:
        raise DataError(
            "the data given to the report are not the data the result was fitted to (their hashes differ); pass "
            "the same data, or leave data out."
        )
    protection = resolve_policy(policy, suppress_below=suppress_below, round_to=round_to)
    created = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lists = ", ".join(data.lists) if data is not None else ", ".join(result.metadata.get("lists", []))
    heading = title or f"Population size estimate ({result.method})" + (f": lists {lists}" if lists else "")
    parts = (
        sections.summary_section(result, protection),
        sections.data_section(data, protection),
        sections.search_section(result, protection),
        sections.estimate_section(result, protection),
        sections.linkage_section(result, data, protection),
        sections.breakdown_section(result, by, protection),
        sections.change_section(result, changes, protection),
        sections.diagnostics_section(result, data, protection),
        sections.assumptions_section(result),
        sections.provenance_section(result, created),
    )
    return Report(heading, parts, protection)


def _data_uri(figure: Figure) -> str:
    return "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")


def _rows(table: Table) -> list[tuple[bool, list[tuple[str, Any]]]]:
    """The rows of a table for the template: whether the row is marked, and (column, value) pairs."""
    frame: pd.DataFrame = table.frame
    columns = [str(c) for c in frame.columns]
    return [
        (position == table.highlight, list(zip(columns, row)))
        for position, row in enumerate(frame.itertuples(index=False, name=None))
    ]
