"""Plots for reports: every function takes ``ax=`` and returns the Axes it drew on.

matplotlib is imported inside the functions, so ``import mse`` does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData
from mse.disclosure import SUPPRESSED, DisclosurePolicy
from mse.errors import DataError, ModelError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from mse.results import Estimate, ModelSearch

__all__ = [
    "plot_breakdown",
    "plot_comparison",
    "plot_internal_consistency",
    "plot_models",
    "plot_overlaps",
    "plot_posterior",
    "plot_residuals",
    "plot_sensitivity",
]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def plot_overlaps(
    data: CaptureData, *, max_histories: int = 30, ax: Axes | None = None, policy: DisclosurePolicy | None = None
) -> Axes:
    """An UpSet-style view of the capture histories: counts above, lists below.

    Parameters
    ----------
    data
        Capture histories (covariates are summed out).
    max_histories
        Show the most frequent histories only.
    ax
        Axes for the bars; the matrix of lists is drawn in an inset below it.
    policy
        For publication (see :class:`mse.DisclosurePolicy`): a history whose
        count is withheld gets an empty outlined bar labelled ``<k`` (or
        ``x`` for a complementary suppression), the other bars and the number
        in the title are rounded. The bars and the totals printed by
        ``describe`` are audited together, so no withheld bar is their difference.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Lex, A., Gehlenborg, N., Strobelt, H., Vuillemot, R. & Pfister, H. (2014).
    UpSet: visualization of intersecting sets. *IEEE Transactions on
    Visualization and Computer Graphics*, 20(12), 1983-1992.

    Examples
    --------
    >>> import mse
    >>> ax = mse.plot_overlaps(mse.load_dataset("kosovo"), policy=mse.DisclosurePolicy(suppress_below=10))
    """
    ax = _axes(ax)
    counts = data.pattern_counts().sort_values(ascending=False).head(max_histories)
    positions = np.arange(len(counts))
    heights = counts.to_numpy(dtype=float)
    title_n: Any = data.n_observed
    if policy is not None and policy.active:
        collapsed = data.collapse_covariates()
        row_of = {pattern: row for row, pattern in enumerate(collapsed.patterns)}
        shown = policy.protect_capture_counts(collapsed, cells=[row_of[pattern] for pattern in counts.index])
        labels = [shown[("cell", row_of[pattern])] for pattern in counts.index]
        withheld = np.array([isinstance(v, str) for v in labels])
        heights = np.array([np.nan if isinstance(v, str) else float(v) for v in labels])
        title_n = shown[("n",)]
        # a withheld bar is drawn empty at the threshold, so its height says nothing but "small"
        marker_height = float(policy.suppress_below or 1)
        ax.bar(positions[withheld], np.full(withheld.sum(), marker_height), color="none", edgecolor="0.3", hatch="//")
        for position, label in zip(positions[withheld], np.asarray(labels, dtype=object)[withheld]):
            ax.annotate(
                label if label != SUPPRESSED else "x",
                (position, marker_height),
                ha="center",
                va="bottom",
                fontsize="x-small",
            )
        ax.bar(positions[~withheld], heights[~withheld], color="0.3")
    else:
        ax.bar(positions, heights, color="0.3")
    ax.set_yscale("log")
    ax.set_ylabel("people")
    ax.set_xticks([])
    ax.set_xlim(-0.6, len(counts) - 0.4)
    title = title_n if isinstance(title_n, str) else f"{title_n:,}"
    ax.set_title(f"{title} people on {data.n_lists} lists")
    # The matrix takes the lower part of the Axes' own box (more of it with more lists), so it stays
    # inside the figure and a layout engine sees it.
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    matrix = make_axes_locatable(ax).append_axes("bottom", size=f"{10 * data.n_lists}%", pad=0.08, sharex=ax)
    for row in range(data.n_lists):
        on = np.array([history[row] == "1" for history in counts.index])
        matrix.scatter(positions[~on], np.full((~on).sum(), row), color="0.85", s=25)
        matrix.scatter(positions[on], np.full(on.sum(), row), color="0.1", s=25)
    for position, history in zip(positions, counts.index):
        rows = [i for i, ch in enumerate(history) if ch == "1"]
        if len(rows) > 1:
            matrix.plot([position, position], [min(rows), max(rows)], color="0.1", lw=1.5)
    matrix.set_yticks(range(data.n_lists), labels=list(data.lists))
    matrix.set_ylim(data.n_lists - 0.5, -0.5)
    matrix.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("top", "right", "bottom"):
        matrix.spines[side].set_visible(False)
    return ax


def plot_models(search: ModelSearch, *, criterion: str | None = None, ax: Axes | None = None) -> Axes:
    """Estimate against information criterion for every model of a search (Silverman 2020, Fig. 2).

    Parameters
    ----------
    search
        The result of :func:`mse.select_model`.
    criterion
        ``"aic"`` or ``"bic"`` (default: the search's criterion, else ``"bic"``).
    ax
        Axes to draw on; the current Axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with one point per model that has an estimate; the chosen model is marked.

    Raises
    ------
    ModelError
        When the search table has no column for ``criterion``.

    References
    ----------
    Silverman, B. W. (2020). Model fitting in multiple systems analysis for the
    quantification of modern slavery: classical and Bayesian approaches.
    *Journal of the Royal Statistical Society A*, 183(3), 691-736.

    Examples
    --------
    >>> import mse
    >>> import matplotlib.pyplot as plt
    >>> search = mse.select_model(mse.load_dataset("hepatitis_a"), method="aic")
    >>> figure, ax = plt.subplots()
    >>> ax = mse.plot_models(search, ax=ax)
    >>> ax.get_xlabel()
    'AIC'
    """
    ax = _axes(ax)
    criterion = (criterion or search.criterion or "bic").lower()
    if criterion not in search.table.columns:
        raise ModelError(f"the search table has no {criterion!r} column; use 'aic' or 'bic'.")
    table = search.table
    ok = (table["status"] == "ok") & np.isfinite(table["estimate"]) & np.isfinite(table[criterion])
    shown = table[ok]
    ax.scatter(shown[criterion], shown["estimate"], s=12, color="0.4", alpha=0.7, label="models")
    best = shown[shown["model"] == search.best]
    if len(best):
        ax.scatter(best[criterion], best["estimate"], s=60, color="C3", label=f"chosen: {search.best}", zorder=3)
    ax.set_xlabel(criterion.upper())
    ax.set_ylabel("estimated N")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_posterior(
    result: Estimate, *, bins: int = 60, ax: Axes | None = None, policy: DisclosurePolicy | None = None
) -> Axes:
    """Histogram of the posterior or bootstrap draws of N, with the estimate, interval and modes.

    When the posterior has separated modes (``result.details["modes"]``, or
    found in the draws by :func:`mse.bayes.modes.find_modes`), each mode's
    region is shaded and labelled with its location and share of the mass,
    so that a median falling between modes is seen for what it is.

    Parameters
    ----------
    result
        A result with ``draws``.
    bins
        Number of histogram bins.
    ax
        Axes to draw on; the current Axes by default.
    policy
        For publication (see :class:`mse.DisclosurePolicy`): the numbers in
        the title and the labels are rounded.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ModelError
        When the policy suppresses the number observed: draws of ``N`` start
        at it (a draw with no one unseen is exactly the number observed), so
        the histogram would show it.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("kosovo"), method="dga", random_seed=1)
    >>> ax = mse.plot_posterior(res)
    """
    policy = policy or DisclosurePolicy()
    if policy.is_small(result.observed):
        raise ModelError(
            f"the policy suppresses the number observed (below {policy.suppress_below}), and the draws of N start at "
            "it: publish the protected summary instead of the posterior plot."
        )
    ax = _axes(ax)
    if result.draws is None or len(result.draws) == 0:
        raise ModelError(f"the {result.method!r} result holds no draws to plot; use a Bayesian or bootstrap method.")
    draws = np.asarray(result.draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    ax.hist(draws, bins=bins, color="0.75", density=True)
    _mark_interval(ax, result)
    from mse.bayes.modes import posterior_modes

    modes = posterior_modes(result)
    if len(modes) > 1:
        for k, (location, lower, upper, share) in enumerate(
            modes[["N", "lower", "upper", "share"]].to_numpy(dtype=float)
        ):
            ax.axvspan(
                max(lower, draws.min()),
                min(upper, draws.max()),
                color=f"C{k % 10}",
                alpha=0.15,
                label=f"mode near {_people(policy, location)} ({100 * share:.0f} %)",
            )
        ax.legend(loc="upper right", fontsize="small")
    ax.set_xlabel("N")
    ax.set_ylabel("density")
    ax.set_title(
        f"{result.method}: N = {_people(policy, result.estimate)}" if math.isfinite(result.estimate) else result.method
    )
    return ax


def _people(policy: DisclosurePolicy, value: float) -> str:
    shown = policy.people(value)
    return shown if isinstance(shown, str) else f"{shown:,.0f}"


def _mark_interval(ax: Axes, result: Estimate) -> None:
    if math.isfinite(result.estimate):
        ax.axvline(result.estimate, color="C3", lw=2, label="estimate")
    for limit in (result.lower, result.upper):
        if math.isfinite(limit):
            ax.axvline(limit, color="C3", lw=1, ls="--")


def plot_residuals(
    fit: Any, *, kind: str = "pearson", ax: Axes | None = None, policy: DisclosurePolicy | None = None
) -> Axes:
    """Residuals per capture history against fitted values.

    Parameters
    ----------
    fit
        What :func:`mse.goodness_of_fit` returns, or a result it accepts.
    kind
        ``"pearson"`` or ``"deviance"``.
    ax
        Axes to draw on; the current Axes by default.
    policy
        A :class:`mse.DisclosurePolicy` that suppresses counts is refused:
        each point gives its cell back (``observed = fitted + residual *
        sqrt(fitted)``). The plot is for checking the model, not for publication.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with one point per observed history; the three largest residuals are labelled.

    Raises
    ------
    ModelError
        With a policy that suppresses counts.

    Examples
    --------
    >>> import mse
    >>> import matplotlib.pyplot as plt
    >>> figure, ax = plt.subplots()
    >>> ax = mse.plot_residuals(mse.goodness_of_fit(mse.load_dataset("hepatitis_a")), ax=ax)
    >>> len(ax.collections[0].get_offsets())  # one point per observed history
    7
    """
    if policy is not None and policy.suppress_below is not None:
        raise ModelError(
            "a residual plot shows every cell (observed = fitted + residual * sqrt(fitted)); it cannot be "
            "published under a policy that suppresses small counts."
        )
    ax = _axes(ax)
    if not isinstance(fit, Mapping) or "cells" not in fit:
        from mse.diagnostics import goodness_of_fit

        fit = goodness_of_fit(fit)
    cells = fit["cells"]
    column = f"{kind}_residual"
    if column not in cells.columns:
        raise ModelError(f"kind must be 'pearson' or 'deviance', got {kind!r}.")
    ax.scatter(cells["fitted"], cells[column], s=18, color="0.3")
    ax.axhline(0.0, color="0.6", lw=1)
    for level in (-2.0, 2.0):
        ax.axhline(level, color="0.8", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("fitted count")
    ax.set_ylabel(f"{kind} residual")
    worst = cells.reindex(cells[column].abs().sort_values(ascending=False).index).head(3)
    labels = [
        ax.annotate(
            str(row["history"]),
            (row["fitted"], row[column]),
            xytext=(4, 2),
            textcoords="offset points",
            fontsize="x-small",
        )
        for _, row in worst.iterrows()
    ]
    _keep_apart(ax, labels)
    return ax


def _keep_apart(ax: Axes, labels: list[Any]) -> None:
    """Move annotations down, one line at a time, until no two overlap (points close together share a spot)."""
    figure = ax.get_figure()
    if figure is None or len(labels) < 2:
        return
    placed: list[Any] = []
    for label in labels:
        for _ in range(20):
            box = label.get_window_extent()
            if not any(box.overlaps(other) for other in placed):
                break
            x, y = label.xyann
            label.xyann = (x, y - box.height * 72.0 / figure.dpi - 1.0)
        placed.append(label.get_window_extent())


def _interval_plot(ax: Axes, labels: list[str], table: pd.DataFrame) -> None:
    positions = np.arange(len(labels))
    estimate = table["estimate"].to_numpy(dtype=float)
    lower = table["lower"].to_numpy(dtype=float)
    upper = table["upper"].to_numpy(dtype=float)
    finite = np.isfinite(estimate)
    has_interval = finite & np.isfinite(lower) & np.isfinite(upper)
    ax.errorbar(
        estimate[has_interval],
        positions[has_interval],
        xerr=[estimate[has_interval] - lower[has_interval], upper[has_interval] - estimate[has_interval]],
        fmt="o",
        color="0.2",
        capsize=3,
    )
    ax.scatter(estimate[finite & ~has_interval], positions[finite & ~has_interval], color="0.2")
    # Said in the row's label rather than inside the axes, where it could cover a truth marker or a line.
    shown = [label if ok else f"{label} (no estimate)" for label, ok in zip(labels, finite, strict=True)]
    ax.set_yticks(positions, labels=shown)
    ax.invert_yaxis()


def _level_title(table: pd.DataFrame) -> str:
    """'95 % intervals' from a table's ``level`` column, or '' when it has none (or several)."""
    if "level" not in table.columns:
        return ""
    levels = pd.to_numeric(table["level"], errors="coerce").dropna().unique()
    return f"{100 * levels[0]:g} % intervals" if len(levels) == 1 else ""


def plot_internal_consistency(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Estimates of each list's size against the known truth (see :func:`mse.internal_consistency`).

    Parameters
    ----------
    table
        The table of :func:`mse.internal_consistency`.
    ax
        Axes to draw on; the current Axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with one row per list: the estimate, its interval and the truth (a cross).

    Raises
    ------
    DataError
        When ``table`` lacks one of the columns ``list``, ``truth``,
        ``estimate``, ``lower`` and ``upper`` of that table.

    Examples
    --------
    >>> import mse
    >>> table = mse.internal_consistency(mse.load_dataset("hepatitis_a"), min_observed=10)
    >>> import matplotlib.pyplot as plt
    >>> figure, ax = plt.subplots()
    >>> ax = mse.plot_internal_consistency(table, ax=ax)
    >>> ax.get_xlabel()
    'size of the list'
    """
    ax = _axes(ax)
    needed = {"list", "truth", "estimate", "lower", "upper"}
    if not needed <= set(table.columns):
        raise DataError(f"expected a table from mse.internal_consistency with columns {sorted(needed)}.")
    _interval_plot(ax, [str(v) for v in table["list"]], table)
    ax.scatter(table["truth"], np.arange(len(table)), marker="x", color="C3", s=60, label="truth", zorder=3)
    ax.set_xlabel("size of the list")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_sensitivity(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Estimates and intervals for each variation of :func:`mse.sensitivity`.

    Parameters
    ----------
    table
        The table of :func:`mse.sensitivity`; its first row, the analysis of
        all the data, is marked by a dotted line.
    ax
        Axes to draw on; the current Axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with one row per variation; a dotted line marks the estimate from all the data.

    Raises
    ------
    DataError
        When ``table`` lacks one of the columns ``variation``, ``estimate``,
        ``lower`` and ``upper`` of that table.

    Examples
    --------
    >>> import mse
    >>> table = mse.sensitivity(mse.load_dataset("hepatitis_a"), method="independence")
    >>> ax = mse.plot_sensitivity(table)  # on the current Axes
    >>> ax.get_xlabel()
    'estimated N'
    """
    ax = _axes(ax)
    if not {"variation", "estimate", "lower", "upper"} <= set(table.columns):
        raise DataError("expected a table from mse.sensitivity.")
    _interval_plot(ax, [str(v) for v in table["variation"]], table)
    baseline = table["estimate"].iloc[0]
    if math.isfinite(baseline):
        ax.axvline(baseline, color="C3", lw=1, ls=":")
    ax.set_xlabel("estimated N")
    intervals = _level_title(table)
    ax.set_title("Sensitivity to the lists" + (f", {intervals}" if intervals else ""))
    return ax


def plot_comparison(table: pd.DataFrame, *, ax: Axes | None = None, policy: DisclosurePolicy | None = None) -> Axes:
    """Estimates and intervals of several methods (see :func:`mse.compare`).

    Parameters
    ----------
    table
        The table of :func:`mse.compare` (protected or not).
    ax
        Axes to draw on; the current Axes by default.
    policy
        For publication (see :class:`mse.DisclosurePolicy`): estimates and
        limits are drawn rounded, and the line at the number observed only
        where the policy shows that number (rounded).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with one row per method; a dashed line marks the number
        observed where the table gives it.

    Examples
    --------
    >>> import pandas as pd, mse
    >>> table = pd.DataFrame({"label": ["a", "b"], "estimate": [18.3, 21.0], "lower": [7.0, 9.5],
    ...                       "upper": [201.0, 150.0], "observed": [7, 7]})
    >>> ax = mse.plot_comparison(table, policy=mse.DisclosurePolicy(suppress_below=10))
    >>> [line.get_label() for line in ax.get_lines() if line.get_label() == "observed"]
    []
    """
    ax = _axes(ax)
    if not {"estimate", "lower", "upper"} <= set(table.columns):
        raise DataError("expected a table from mse.compare.")
    if policy is not None and policy.active:
        table = policy.protect_table(table, estimates="bound")
    # a protected table holds markers ("<10", "suppressed"): they are not drawn
    numeric = table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in ("estimate", "lower", "upper")})
    labels = table["label"] if "label" in table.columns else table["method"]
    _interval_plot(ax, [str(v) for v in labels], numeric)
    observed = pd.to_numeric(table["observed"], errors="coerce") if "observed" in table.columns else None
    if observed is not None and len(table) and math.isfinite(float(observed.iloc[0])):
        ax.axvline(float(observed.iloc[0]), color="0.6", ls="--", lw=1, label="observed")
        ax.legend(loc="best", fontsize="small")
    ax.set_xlabel("estimated N")
    intervals = _level_title(table)
    ax.set_title("Estimates by method" + (f", {intervals}" if intervals else ""))
    return ax


def plot_breakdown(
    result: Estimate, by: str | None = None, *, ax: Axes | None = None, policy: DisclosurePolicy | None = None
) -> Axes:
    """Estimates by the levels of one covariate, with their intervals: a trend over years, say.

    Parameters
    ----------
    result
        An estimate with a breakdown by covariates (a log-linear model with
        covariates, see :meth:`mse.Estimate.breakdown`).
    by
        The covariate along the horizontal axis; by default the first one.
    ax
        Axes to draw on (default: the current Axes).
    policy
        For publication (see :class:`mse.DisclosurePolicy`): the estimates
        and limits are drawn rounded as the policy says, and a level whose
        estimate the policy withholds is marked "withheld" instead of drawn.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, mse
    >>> strata = pd.DataFrame({"year": [2016, 2017, 2018], "observed": [40, 50, 45],
    ...                        "estimate": [100.0, 130.0, 120.0]})
    >>> res = mse.Estimate(estimate=350.0, lower=320.0, upper=390.0, level=0.95, observed=135,
    ...                    method="demo", strata=strata)
    >>> ax = mse.plot_breakdown(res, "year")
    >>> ax.get_xlabel()
    'year'
    """
    if result.strata is None:
        raise ModelError(f"this {result.method!r} result holds no estimates by covariate; nothing to plot.")
    by = result.strata_covariates[0] if by is None else by
    table = result.breakdown(by, policy=policy) if policy is not None and policy.active else result.breakdown(by)
    ax = _axes(ax)
    positions = np.arange(len(table))
    numeric = {
        column: pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        for column in ("estimate", "lower", "upper")
    }
    shown = np.isfinite(numeric["estimate"])
    has_interval = shown & np.isfinite(numeric["lower"]) & np.isfinite(numeric["upper"])
    ax.errorbar(
        positions[has_interval],
        numeric["estimate"][has_interval],
        yerr=[
            numeric["estimate"][has_interval] - numeric["lower"][has_interval],
            numeric["upper"][has_interval] - numeric["estimate"][has_interval],
        ],
        fmt="o-",
        color="0.2",
        capsize=3,
    )
    ax.scatter(positions[shown & ~has_interval], numeric["estimate"][shown & ~has_interval], color="0.2")
    for position in positions[~shown]:
        ax.annotate("withheld", (position, 0.05), xycoords=("data", "axes fraction"), ha="center", fontsize="small")
    ax.set_xticks(positions, labels=[str(level) for level in table[by]])
    ax.set_xlabel(by)
    ax.set_ylabel("estimated population (N)")
    if has_interval.any():
        ax.set_title(f"Estimates by {by}, {result.level:.0%} intervals")
    ax.set_ylim(bottom=0)
    return ax
