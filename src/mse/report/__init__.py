"""Reports ready for publication: one self-contained HTML page per estimate.

:func:`build_report` turns an :class:`mse.Estimate` (and the data it was
fitted to) into a :class:`Report`: the data summary, the model search, the
estimate and its interval, breakdowns by covariates, the change between
years, diagnostic plots, the method's assumptions in words, and provenance.
The page carries its figures inside it, so it can be attached to a
publication or archived as one file, and every number of people on it goes
through one :class:`mse.DisclosurePolicy`.

Jinja2 renders the page and matplotlib draws the figures; both are imported
when a report is built, so ``import mse`` does not load them.
"""

from mse.report.build import Report, Section, build_report

__all__ = ["Report", "Section", "build_report"]
