"""Summary metrics of a simulation study: bias, RMSE, coverage, width, failures, time.

Point metrics use the replicates whose status is ``"ok"``; coverage and
interval width use, among those, the replicates whose interval has finite
limits on both sides (an unbounded interval covers trivially and has no
width, so it would flatter both numbers). ``failure_rate`` counts every
replicate whose status is not ``"ok"``; ``n_cut_short`` counts, among them,
the fits that a time budget set in the method's options stopped early (their
status starts with :data:`CUT_SHORT`), whose numbers depend on the speed of
the machine that ran them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CUT_SHORT", "SUMMARY_COLUMNS", "summarise"]

#: How the status of a fit that a user's time budget (``max_seconds`` of ``"lcmcr"``) stopped early begins.
CUT_SHORT = "cut short by the time budget"

#: Columns of :func:`summarise`, in order.
SUMMARY_COLUMNS = [
    "scenario",
    "method",
    "bias",
    "relative_bias",
    "mean_log_relative_bias",
    "rmse",
    "coverage",
    "mean_width",
    "failure_rate",
    "seconds",
    "replicates",
    "n_ok",
    "n_intervals",
    "n_cut_short",
]


def _nanmean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _group_metrics(group: pd.DataFrame) -> dict[str, float]:
    truth = group["truth"].to_numpy(dtype=float)
    estimate = group["estimate"].to_numpy(dtype=float)
    lower = group["lower"].to_numpy(dtype=float)
    upper = group["upper"].to_numpy(dtype=float)
    ok = (group["status"] == "ok").to_numpy() & np.isfinite(estimate)
    error = estimate[ok] - truth[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(estimate[ok] / truth[ok])
    has_interval = ok & np.isfinite(lower) & np.isfinite(upper)
    covered = (lower[has_interval] <= truth[has_interval]) & (truth[has_interval] <= upper[has_interval])
    return {
        "bias": _nanmean(error),
        "relative_bias": _nanmean(error / truth[ok]),
        "mean_log_relative_bias": _nanmean(log_ratio),
        "rmse": float(np.sqrt(np.mean(error**2))) if error.size else float("nan"),
        "coverage": _nanmean(covered.astype(float)),
        "mean_width": _nanmean(upper[has_interval] - lower[has_interval]),
        "failure_rate": float(1.0 - ok.mean()) if ok.size else float("nan"),
        "seconds": float(group["seconds"].to_numpy(dtype=float).mean()),
        "replicates": len(group),
        "n_ok": int(ok.sum()),
        "n_intervals": int(has_interval.sum()),
        "n_cut_short": int(group["status"].astype(str).str.startswith(CUT_SHORT).sum()),
    }


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario and method with the metrics of :data:`SUMMARY_COLUMNS`.

    Parameters
    ----------
    results
        One row per scenario, method and replicate, with at least the columns
        ``scenario``, ``method``, ``truth``, ``estimate``, ``lower``, ``upper``,
        ``status`` and ``seconds`` (as in :attr:`BenchmarkResult.results`).

    Returns
    -------
    pandas.DataFrame
        ``bias`` and ``rmse`` in people; ``relative_bias`` the mean of
        ``(estimate - N) / N``; ``mean_log_relative_bias`` the mean of
        ``log(estimate / N)``; ``coverage`` the share of finite intervals
        containing ``N``; ``mean_width`` their mean width; ``failure_rate`` the
        share of replicates whose status is not ``"ok"``; ``seconds`` the mean
        time per fit; then the counts behind them, and ``n_cut_short``, the
        fits stopped early by a time budget (counted as failures too).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"scenario": "s", "method": "m", "truth": 100, "estimate": [90.0, 110.0],
    ...                      "lower": [80.0, 105.0], "upper": [120.0, 130.0], "status": "ok", "seconds": 0.1})
    >>> summarise(rows)[["bias", "rmse", "coverage", "mean_width"]]
       bias  rmse  coverage  mean_width
    0   0.0  10.0       0.5        32.5
    """
    rows = []
    for (scenario, method), group in results.groupby(["scenario", "method"], sort=False):
        rows.append({"scenario": scenario, "method": method, **_group_metrics(group)})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
