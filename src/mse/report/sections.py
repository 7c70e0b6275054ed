"""The sections of a report, each built from a result, its data and one disclosure policy.

Each function returns a :class:`Section`: paragraphs of text, tables
(DataFrames, rendered by the template) and figures (PNG bytes). They decide
*what* is published; the template decides how it looks. Every number of
people goes through the report's :class:`mse.DisclosurePolicy`: counts of
people observed are suppressed and rounded as it says, and cell-level
quantities that would give small counts back (coefficients, fitted cells,
residuals) are left out of a protected report, as they are of protected
files (see :mod:`mse.disclosure`).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from mse.data.capture import CaptureData
from mse.disclosure import DisclosurePolicy
from mse.report.assumptions import assumptions_for
from mse.report.display import display_value
from mse.results import Estimate

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Figure", "Section", "Table", "search_view"]


@dataclass(frozen=True)
class Table:
    """A table of a section: a caption and the rows to print (already protected)."""

    caption: str
    frame: pd.DataFrame
    highlight: int | None = None  # position of a row to mark (the chosen model)


@dataclass(frozen=True)
class Figure:
    """A figure of a section: a caption and a PNG image."""

    caption: str
    png: bytes


@dataclass(frozen=True)
class Section:
    """One section of a report: an anchor, a heading, text, tables and figures.

    Parameters
    ----------
    anchor
        The HTML id of the section (``"estimate"``, ``"breakdowns"``, ...).
    title
        Its heading.
    paragraphs
        Text, one paragraph per item.
    tables, figures
        What the section shows.
    items
        A bulleted list (the assumptions, the warnings).

    Examples
    --------
    >>> from mse.report import Section
    >>> Section("notes", "Notes", paragraphs=("Nothing to add.",)).title
    'Notes'
    """

    anchor: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    items: tuple[str, ...] = field(default=())


def _figure(draw: Callable[[Axes], Any], caption: str, *, size: tuple[float, float] = (7.0, 4.0)) -> Figure | None:
    """Draw with ``draw(ax)`` on a figure of its own and keep it as PNG; ``None`` if the plot cannot be drawn."""
    from matplotlib.figure import Figure as MatplotlibFigure

    from mse.errors import MSEError

    figure = MatplotlibFigure(figsize=size, layout="constrained")
    ax = figure.subplots()
    try:
        draw(ax)
    except MSEError:
        return None  # a plot that does not apply to this result (no search, no draws) is left out
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return Figure(caption, buffer.getvalue())


# --------------------------------------------------------------------------- sections
def summary_section(result: Estimate, policy: DisclosurePolicy) -> Section:
    """The headline: the estimate, its interval and what it rests on."""
    shown = policy.protect(result).to_frame().iloc[0] if policy.active else result.to_frame().iloc[0]
    if result.ok:
        said = {name: display_value(shown[name], name) for name in ("estimate", "lower", "upper", "observed")}
        lead = (
            f"Estimated population size: {said['estimate']} ({result.level:.0%} interval {said['lower']} to "
            f"{said['upper']}, {result.interval_method or 'no'} interval), of whom {said['observed']} were observed "
            "on at least one list."
        )
    else:
        lead = f"No estimate is reported: {result.status}."
    rows = pd.DataFrame(
        {
            "": ["method", "model", "people observed", "estimate", "lower limit", "upper limit", "interval", "status"],
            "value": [
                result.method,
                result.model or "-",
                shown["observed"],
                shown["estimate"],
                shown["lower"],
                shown["upper"],
                f"{result.level:.0%}, {result.interval_method or 'none'}",
                result.status,
            ],
        }
    )
    disclosure = f"Disclosure control: {policy.describe()}." if policy.active else "No disclosure control was applied."
    return Section("summary", "Summary", paragraphs=(lead, disclosure), tables=(Table("The estimate", rows),))


def data_section(data: CaptureData | None, policy: DisclosurePolicy) -> Section:
    """People per list, by number of lists and in each pair of lists, and the covariates."""
    title = "Data"
    if data is None:
        return Section(
            "data", title, paragraphs=("The data were not given to the report; only the estimate is shown.",)
        )
    shown = policy.protect_capture_counts(data)
    lists = list(data.lists)
    per_list = pd.DataFrame({"list": lists, "people": [shown[("list", name)] for name in lists]})
    on = pd.DataFrame(
        {
            "number of lists": list(range(1, len(lists) + 1)),
            "people": [shown[("on", k)] for k in range(1, len(lists) + 1)],
        }
    )
    pairs = [(a, b) for i, a in enumerate(lists) for b in lists[i + 1 :]]
    overlaps = pd.DataFrame(
        {
            "list": [a for a, _ in pairs],
            "and list": [b for _, b in pairs],
            "people on both": [shown[("pair", a, b)] for a, b in pairs],
        }
    )
    tables = [
        Table("People per list", per_list),
        Table("People by the number of lists they are on", on),
        Table("People on each pair of lists", overlaps),
    ]
    if data.covariates:
        levels = data.covariate_levels
        tables.append(
            Table(
                "Covariates",
                pd.DataFrame(
                    {
                        "covariate": list(data.covariates),
                        "levels": [", ".join(str(level) for level in levels[name]) for name in data.covariates],
                        "records missing it": [shown[("missing", name)] for name in data.covariates],
                    }
                ),
            )
        )
    observed = display_value(shown[("n",)], "people")
    text = f"{observed} people were observed on {len(lists)} lists ({', '.join(lists)})" + (
        f", with covariates {', '.join(data.covariates)}." if data.covariates else "."
    )
    return Section("data", title, paragraphs=(text,), tables=tuple(tables))


#: Columns of a search table shown in a report, in this order.
_SEARCH_COLUMNS = (
    "step",
    "rule",
    "criterion",
    "added",
    "p_value",
    "model",
    "n_params",
    "df",
    "aic",
    "bic",
    "estimate",
    "status",
)


def search_view(result: Estimate, policy: DisclosurePolicy, *, top: int = 10) -> Table | None:
    """The search that chose the model, labelled by what it is, with the chosen model marked; ``None`` if none.

    A forward search (stepwise, or BIC then AIC) is shown as its path, step by
    step, ending at the chosen model; an exhaustive search as its ``top``
    best models by its criterion. Both the report and ``mse estimate`` print
    it this way, so a path is never read as a ranking.

    Parameters
    ----------
    result
        The estimate; its search table is ``result.details["search"]``.
    policy
        Estimates of people in the table are rounded as it says.
    top
        How many models of an exhaustive search to show.

    Returns
    -------
    Table or None
        Caption, rows and the position of the chosen model.

    Examples
    --------
    >>> import mse
    >>> from mse.report.sections import search_view
    >>> view = search_view(mse.estimate(mse.load_dataset("kosovo"), method="stepwise"), mse.DisclosurePolicy())
    >>> view.caption.split(":")[0], view.highlight == len(view.frame) - 1
    ('The forward path of the stepwise search (Chan, Silverman & Vincent 2021)', True)
    """
    table = result.details.get("search")
    if not isinstance(table, pd.DataFrame) or table.empty:
        return None
    frame = table[[c for c in _SEARCH_COLUMNS if c in table.columns]].copy()
    chosen: int | None
    if "p_value" in frame.columns:
        caption = (
            "The forward path of the stepwise search (Chan, Silverman & Vincent 2021): each step adds the term whose "
            "observed overlap departs most from the current model; the last step is the chosen model."
        )
        chosen = len(frame) - 1
    elif "rule" in frame.columns or "criterion" in frame.columns:
        caption = "The forward path of the search: terms added by BIC, then by AIC; the last step is the chosen model."
        chosen = len(frame) - 1
    else:
        criterion = "bic" if "bic" in result.method else "aic"
        n_models = len(frame)
        frame = frame.sort_values(criterion, kind="stable").head(top).reset_index(drop=True)
        caption = (
            f"The {len(frame)} best of the {n_models:,} models of the exhaustive search, by {criterion.upper()}; "
            "the chosen model is marked."
        )
        matches = [i for i, model in enumerate(frame["model"].astype(str)) if _terms(model) == _terms(result.model)]
        chosen = matches[0] if matches else None
    if policy.active and "estimate" in frame:
        frame["estimate"] = [policy.people(float(v)) for v in frame["estimate"]]
    return Table(caption, frame, chosen)


def search_section(result: Estimate, policy: DisclosurePolicy) -> Section:
    """The model search that chose the model: the forward path, or the best models of an exhaustive search."""
    view = search_view(result, policy)
    if view is None:
        return Section(
            "search",
            "Model search",
            paragraphs=(f"The {result.method!r} estimate involves no search over models.",),
        )
    return Section("search", "Model search", paragraphs=(f"Chosen model: {result.model or '-'}.",), tables=(view,))


def estimate_section(result: Estimate, policy: DisclosurePolicy) -> Section:
    """The estimate as the library prints it (fit statistics and coefficients) and the warnings raised while fitting.

    The printed summary applies the policy itself: under an active policy it
    leaves out the coefficients, which would give suppressed counts back.
    """
    paragraphs = (result.summary(policy=policy),)
    return Section("estimate", "Estimate", paragraphs=paragraphs, items=result.warnings)


#: What each correction does and assumes, as the report says it (see :mod:`mse.linkage.correction`).
_CORRECTIONS = {
    "ignore": (
        "Linkage errors were ignored: the links at the threshold are taken as true. Missed links split a person into "
        "several records and inflate the estimate; false links merge two people and deflate it. The interval does "
        "not include the linkage's uncertainty."
    ),
    "rates": (
        "Correction 'rates' (Ding & Fienberg 1994; Di Consiglio & Tuoto 2015, 2018; Zult, de Wolf, Bakker & van der "
        "Heijden 2021): the observed table is modelled as the true table distorted by missed and false links at the "
        "rates below, estimated from the match probabilities and taken as known. It assumes calibrated match "
        "probabilities and errors that strike records independently of their capture history."
    ),
    "review": (
        "Correction 'review' (two-phase sampling; Tenenbein 1970): a simple random sample of each list's records was "
        "reviewed by people allowed to see the identifying data, who found the records of the same person on the "
        "other lists. Within each list and cluster history, the reviewed records give how the records divide among "
        "true capture histories; the table of true histories so estimated is the one the model is fitted to. No model "
        "of the linkage errors is assumed. The interval adds the sampling variance of the review (a rescaled "
        "bootstrap of the reviewed records, Rao & Wu 1988) to the model's."
    ),
    "resample": (
        "Correction 'resample' (multiple imputation of the linkage; Goldstein, Harron & Wade 2012): link "
        "configurations are drawn from the match probabilities, the method is fitted to the table of each, and the "
        "estimates are combined by Rubin's rules on the log scale. It adds the linkage's uncertainty to the interval; "
        "with three or more lists it does not remove the bias of the naive table."
    ),
}


def _shown_count(policy: DisclosurePolicy, value: Any, withheld: bool = False) -> Any:
    """A count of records or links as published: withheld where the data section withholds its count of people."""
    if withheld and policy.active:
        from mse.disclosure import SUPPRESSED

        return SUPPRESSED
    return policy.count(None if value is None else float(value)) if policy.active else value


def linkage_section(result: Estimate, data: CaptureData | None, policy: DisclosurePolicy) -> Section:
    """How the lists were linked, the correction for linkage errors, its part of the uncertainty, the error rates.

    Counts of records and links go through the policy as counts of people
    do (suppressed when small, rounded), and where the data section withholds
    the people on a list or on a pair of lists, the records of that list and
    the links of that pair are withheld too, since they are nearly the same
    numbers. Expected numbers of links and matches are estimates: rounded only.
    """
    title = "Linkage"
    record = result.details.get("linkage")
    if not isinstance(record, Mapping):
        return Section(
            "linkage",
            title,
            paragraphs=(
                "The capture histories were given as linked: no linkage error is accounted for in the estimate.",
            ),
        )
    about = result.metadata.get("linkage")
    about = about if isinstance(about, Mapping) else {}
    rates = pd.DataFrame(list(record.get("error_rates") or []))
    lists = list(dict.fromkeys([*rates.get("list_a", []), *rates.get("list_b", [])]))
    paragraphs = []
    if about:
        records = display_value(_shown_count(policy, about.get("records")), "people")
        pairs = display_value(_shown_count(policy, about.get("candidate_pairs")), "people")
        paragraphs.append(
            f"The records of {len(lists) or 'the'} lists were linked probabilistically (backend "
            f"{about.get('backend', '-')}, threshold {about.get('threshold', '-')}): {records} records, {pairs} "
            "candidate pairs of records on different lists scored. The capture histories are those of the clusters of "
            "records joined by links at the threshold."
        )
    correction = str(record.get("correction", ""))
    text = _CORRECTIONS.get(correction, f"Correction {correction!r}.")
    if record.get("chosen_by_default"):
        text += " It is the default for this method."
    paragraphs.append(text)
    if correction == "resample":
        reasons = record.get("failure_reasons") or {}
        if policy.active:  # a failed fit's message may quote a count of its table: numbers are left out
            merged: dict[str, int] = {}
            for reason, count in dict(reasons).items():
                key = re.sub(r"\d[\d,.]*", "n", str(reason))
                merged[key] = merged.get(key, 0) + int(count)
            reasons = merged
        said = "; ".join(f"{reason} ({count})" for reason, count in dict(reasons).items())
        paragraphs.append(
            f"{record.get('draws', 0)} link configurations were drawn; {record.get('failed', 0)} failed"
            + (f": {said}." if said else ".")
        )
    if correction == "review" and data is not None:
        # the two numbers of people seen differ, and the report shows both: say why
        seen_linked = display_value(_shown_count(policy, data.n_observed), "people")
        seen_reviewed = display_value(_shown_count(policy, result.observed), "people")
        paragraphs.append(
            f"The clusters of the linkage hold {seen_linked} people (the Data section); the review estimates that "
            f"{seen_reviewed} distinct people were seen (the estimate's observed number): missed links split people "
            f"into several clusters, false links merge them. Of the {record.get('draws', 0)} bootstrap replicates "
            f"of the review, {record.get('failed', 0)} gave no estimate."
        )

    # the naive and corrected estimates, each protected as the summary's estimate is
    observed = float(result.observed)
    _, naive = policy.protect_values(
        observed,
        {k: _number(record.get(f"naive_{k}")) for k in ("estimate", "lower", "upper")},
    )
    _, corrected = policy.protect_values(
        observed, {"estimate": result.estimate, "lower": result.lower, "upper": result.upper}
    )
    estimates = pd.DataFrame(
        {
            "table": ["naive (links at the threshold taken as true)", f"corrected ({correction})"],
            "estimate": [naive["estimate"], corrected["estimate"]],
            "lower": [naive["lower"], corrected["lower"]],
            "upper": [naive["upper"], corrected["upper"]],
        }
    )
    level = f"{result.level:.0%}"
    if correction == "ignore":
        tables = [Table(f"The estimate of the table at the threshold, {level} interval", estimates.iloc[:1])]
    else:
        caption = (
            f"The estimate without and with the linkage correction, {level} intervals (the corrected one "
            f"{result.interval_method or '-'})"
        )
        tables = [Table(caption, estimates)]
        share = _number(record.get("linkage_share"))
        within, between, total = (_number(record.get(k)) for k in ("within", "between", "total"))
        if correction == "rates":
            parts = ["through an exact linkage (sampling)", "added by the linkage errors", "total"]
            values = [within, total - within if math.isfinite(total) and math.isfinite(within) else math.nan, total]
        elif correction == "review":
            parts = ["of the model on the reviewed table (sampling)", "of the review (reviewing a sample)", "total"]
            values = [within, between, total]
        else:
            parts = ["within configurations (sampling)", "between configurations (linkage)", "total"]
            values = [within, between, total]
        source = "reviewing a sample instead of every record" if correction == "review" else "the linkage"
        tables.append(
            Table(
                "The variance of log N and the linkage's part of it"
                + (f": {share:.0%} of the variance comes from {source}" if math.isfinite(share) else ""),
                pd.DataFrame({"part": parts, "variance of log N": values}),
            )
        )
    if correction == "review" and isinstance(record.get("review"), Mapping):
        tables.append(Table(_REVIEW_CAPTION, _review_table(record["review"], policy)))
    if not rates.empty:
        tables.append(Table(_RATES_CAPTION, _error_rate_table(rates, data, policy)))
    return Section("linkage", title, paragraphs=tuple(paragraphs), tables=tuple(tables))


_REVIEW_CAPTION = (
    "The clerical review: records reviewed and what the review found about their links. Precision is the share of "
    "the reviewed records' links that join the same person, recall the share of their true matches that are linked."
)


def _review_table(review: Mapping[str, Any], policy: DisclosurePolicy) -> pd.DataFrame:
    """What the review found, counts through the policy (records reviewed, links checked, errors found)."""
    reviewed = dict(review.get("reviewed_by_list") or {})
    rows = [
        {"": f"records reviewed on {name}", "value": _shown_count(policy, count)} for name, count in reviewed.items()
    ]
    rows += [
        {"": "links of reviewed records checked", "value": _shown_count(policy, review.get("linked_records_checked"))},
        {"": "of which false", "value": _shown_count(policy, review.get("false_links"))},
        {"": "true matches of reviewed records", "value": _shown_count(policy, review.get("matches_found"))},
        {"": "of which not linked", "value": _shown_count(policy, review.get("matches_missed"))},
        {"": "precision of the links", "value": round(_number(review.get("precision")), 3)},
        {"": "recall of the links", "value": round(_number(review.get("recall")), 3)},
        {"": "records in cells nobody reviewed", "value": _shown_count(policy, review.get("unreviewed_records"))},
    ]
    return pd.DataFrame(rows)


_RATES_CAPTION = (
    "Linkage errors expected at the threshold, for each pair of lists: alpha is the share of true matches that are "
    "linked, beta the share of records of the second list without a match on the first that are falsely linked "
    "(Ding & Fienberg 1994). Expected numbers come from the match probabilities of the candidate pairs."
)


def _error_rate_table(rates: pd.DataFrame, data: CaptureData | None, policy: DisclosurePolicy) -> pd.DataFrame:
    """The error rates of each pair of lists, counts through the policy (see :func:`linkage_section`)."""
    from mse.disclosure import SUPPRESSED

    people = policy.protect_capture_counts(data) if data is not None and policy.active else {}

    def withheld(key: tuple[Any, ...]) -> bool:
        shown = people.get(key)
        return isinstance(shown, str) and shown == SUPPRESSED

    rows = []
    for row in rates.to_dict(orient="records"):
        a, b = row["list_a"], row["list_b"]
        pair_withheld = withheld(("pair", a, b))
        expected = {
            name: (SUPPRESSED if pair_withheld and policy.active else policy.people(_number(row.get(name))))
            if policy.active
            else round(_number(row.get(name)), 1)
            for name in ("expected_matches", "expected_false_links", "expected_missed_links")
        }
        rows.append(
            {
                "list": a,
                "and list": b,
                "records (list)": _shown_count(policy, row.get("records_a"), withheld(("list", a))),
                "records (and list)": _shown_count(policy, row.get("records_b"), withheld(("list", b))),
                "links": _shown_count(policy, row.get("links"), pair_withheld),
                "expected matches": expected["expected_matches"],
                "expected false links": expected["expected_false_links"],
                "expected missed links": expected["expected_missed_links"],
                "alpha": _number(row.get("alpha")),
                "beta": _number(row.get("beta")),
            }
        )
    return pd.DataFrame(rows)


def _number(value: Any) -> float:
    """A float from a stored value (``None`` and non-numbers as ``nan``)."""
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def breakdown_section(result: Estimate, by: Sequence[str | Sequence[str]], policy: DisclosurePolicy) -> Section:
    """Estimates by covariate, one table (and for a single covariate one figure) each."""
    from mse.plotting import plot_breakdown

    if result.strata is None:
        return Section(
            "breakdowns",
            "Breakdowns",
            paragraphs=("The model has no covariates, so there are no estimates by subgroup.",),
        )
    wanted = list(by) or [result.strata_covariates[0]]
    tables, figures = [], []
    for wanted_names in wanted:
        names = [wanted_names] if isinstance(wanted_names, str) else list(wanted_names)
        label = " x ".join(names)
        tables.append(Table(f"Estimated population by {label}", result.breakdown(names, policy=policy)))
        if len(names) == 1:
            covariate = names[0]

            def draw(ax: Axes, covariate: str = covariate) -> Axes:
                return plot_breakdown(result, covariate, ax=ax, policy=policy)

            figure = _figure(draw, f"Estimates by {label} with their {result.level:.0%} intervals")
            if figure is not None:
                figures.append(figure)
    text = (
        "The estimates of the levels add up to the total; the limits come from the same replicates as the total's "
        "interval, summed over the covariate cells of each level."
    )
    return Section("breakdowns", "Breakdowns", paragraphs=(text,), tables=tuple(tables), figures=tuple(figures))


def change_section(result: Estimate, changes: Sequence[tuple[str, Any, Any]], policy: DisclosurePolicy) -> Section:
    """The change in the estimate between levels of a covariate (between years), with intervals."""
    from mse.errors import MSEError

    title = "Change between years"
    if not changes and result.strata is not None and "year" in result.strata.columns:
        years = sorted(result.strata["year"].dropna().unique().tolist())
        changes = [("year", years[0], years[-1])] if len(years) > 1 else []
    if not changes:
        return Section(
            "change", title, paragraphs=("No change between levels was asked for, or the model has no year.",)
        )
    tables, paragraphs = [], []
    for covariate, first, second in changes:
        try:
            table = result.contrast(covariate, first, second, policy=policy)
        except MSEError as error:
            paragraphs.append(f"Change in {covariate} from {first} to {second}: not available ({error})")
            continue
        tables.append(Table(f"Change in the estimate from {covariate} {first} to {second}", table))
    paragraphs.append(
        "Differences and ratios take their intervals from the same replicates as the two estimates, so the "
        "correlation between them is kept."
    )
    for covariate in dict.fromkeys(covariate for covariate, _, _ in changes):
        try:
            trend = result.trend(covariate)
        except MSEError:
            continue  # fewer than three levels, or levels that are not numbers: no trend to fit
        tables.append(Table(f"Average change per {covariate} over all levels (log-linear trend)", trend))
        paragraphs.append(
            f"The trend is a straight line fitted to the logarithm of the estimate of each {covariate}; "
            "annual_factor is the factor by which the population changes per unit, with its interval from the "
            "same replicates."
        )
    return Section("change", title, paragraphs=tuple(paragraphs), tables=tuple(tables))


def diagnostics_section(result: Estimate, data: CaptureData | None, policy: DisclosurePolicy) -> Section:
    """Plots: the capture histories, the estimate against the criterion of every model, residuals, draws of N."""
    from mse.plotting import plot_overlaps, plot_posterior, plot_residuals

    figures = []
    if data is not None:
        figures.append(
            _figure(lambda ax: plot_overlaps(data, ax=ax, policy=policy), "The capture histories", size=(8, 5))
        )
    if result.draws is not None and len(result.draws):
        figures.append(
            _figure(lambda ax: plot_posterior(result, ax=ax, policy=policy), "Replicates of N behind the interval")
        )
    paragraphs = []
    if result.fit is not None and hasattr(result.fit, "pearson_residuals"):
        if policy.active:
            paragraphs.append("Residuals by capture history are left out: they would give the suppressed counts back.")
        else:
            figures.append(_figure(lambda ax: plot_residuals(result, ax=ax), "Pearson residuals of the fitted model"))
    kept = tuple(figure for figure in figures if figure is not None)
    if not kept and not paragraphs:
        paragraphs.append("No diagnostic plot applies to this result.")
    return Section("diagnostics", "Diagnostics", paragraphs=tuple(paragraphs), figures=kept)


def assumptions_section(result: Estimate) -> Section:
    """What the estimate assumes, in words."""
    covariates = result.strata_covariates
    return Section(
        "assumptions",
        "Assumptions",
        paragraphs=("The estimate holds under these assumptions; the data can test some of them only in part.",),
        items=tuple(assumptions_for(result.method, covariates=covariates)),
    )


def provenance_section(result: Estimate, created: str) -> Section:
    """Versions, the hash of the data, the seed and the options: what it takes to reproduce the estimate."""
    metadata = dict(result.metadata)
    options = metadata.pop("options", {}) or {}
    rows: list[tuple[str, Any]] = [("report created", created)]
    rows += [
        (name, metadata[name]) for name in ("mse_version", "python", "numpy", "scipy", "pandas") if name in metadata
    ]
    rows += [
        ("random seed", metadata.get("random_seed")),
        ("data hash (SHA-256)", metadata.get("data_hash", "not recorded")),
        ("options", ", ".join(f"{k}={v!r}" for k, v in dict(options).items()) or "-"),
    ]
    frame = pd.DataFrame(rows, columns=["", "value"])
    frame["value"] = frame["value"].astype(str)
    return Section("provenance", "Provenance", tables=(Table("How to reproduce the estimate", frame),))


def _terms(model: str) -> frozenset[str]:
    """A model string's terms, whatever their order (a search prints them sorted, a path in the order added)."""
    return frozenset(term.strip() for term in model.split("+"))
