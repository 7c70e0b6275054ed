"""One results contract for every estimator: :class:`Estimate` and :class:`ModelSearch`.

Every method of :func:`mse.estimate` returns an :class:`Estimate`, whatever
model family produced it, so reports, comparisons and diagnostics need to
know only this class. An estimate that does not exist is never a number here:
``status`` says why and the numeric fields are ``nan``.
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from mse._version import __version__

__all__ = ["Estimate", "ModelSearch", "provenance"]

OK = "ok"


def provenance(data: Any = None, random_seed: Any = None, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Metadata that makes a result reproducible: seed, versions, data hash, options."""
    import scipy

    meta: dict[str, Any] = {
        "mse_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "random_seed": random_seed,
    }
    if data is not None:
        meta["data_hash"] = data.content_hash
        meta["lists"] = list(data.lists)
        meta["n_observed"] = data.n_observed
    if options:
        meta["options"] = {k: _jsonable(v) for k, v in options.items()}
    return meta


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def _format_number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "not available" if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


@dataclass(frozen=True)
class Estimate:
    """An estimate of the population size ``N`` (not the dark figure) with its interval.

    Attributes
    ----------
    estimate, lower, upper : float
        Point estimate and interval limits for ``N``; ``nan`` when they do not
        exist (then ``status`` says why). ``upper`` may be ``inf`` when the
        interval is unbounded.
    level : float
        Nominal coverage of the interval.
    observed : int
        The number of people seen on at least one list.
    method : str
        The method name given to :func:`mse.estimate`.
    model : str
        The fitted (or selected) model in term syntax, or a description.
    interval_method : str
        How the interval was computed (``"profile"``, ``"bca"``, ``"posterior"``, ...).
    status : str
        ``"ok"``, or the reason the estimate or interval is not available.
    warnings : tuple of str
        Messages of the warnings raised while fitting.
    draws : numpy.ndarray or None
        Bootstrap or posterior draws of ``N``.
    idata : arviz.InferenceData or None
        The posterior for Bayesian methods.
    details : dict
        Method-specific quantities (deviance, df, AIC, BIC, standard error,
        failed replicates, graph probabilities, ...).
    metadata : dict
        Seed, versions, data hash and options (see :func:`provenance`).
    strata : pandas.DataFrame or None
        Estimates by covariate level (see :meth:`breakdown`).
    """

    estimate: float
    lower: float
    upper: float
    level: float
    observed: int
    method: str
    model: str = ""
    interval_method: str = ""
    status: str = OK
    warnings: tuple[str, ...] = ()
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)
    idata: Any = field(default=None, repr=False, compare=False)
    details: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    metadata: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    strata: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.draws is not None:
            draws = np.array(self.draws, dtype=float)
            draws.flags.writeable = False
            object.__setattr__(self, "draws", draws)

    # ------------------------------------------------------------------ derived
    @property
    def ok(self) -> bool:
        """Whether the estimate exists and its computation raised no failure."""
        return self.status == OK

    @property
    def dark_figure(self) -> float:
        """The estimated number of people on no list, ``N - n``."""
        return self.estimate - self.observed

    @property
    def se(self) -> float:
        """Standard error of ``N`` where the method provides one, else ``nan``."""
        return float(self.details.get("se", math.nan))

    def with_updates(self, **changes: Any) -> Estimate:
        """A copy with some fields replaced (results are immutable)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ views
    def breakdown(self, covariates: str | list[str] | tuple[str, ...]) -> pd.DataFrame:
        """Estimated population by the levels of one covariate, or combinations of two.

        Returns a DataFrame with a column per covariate, then ``observed``,
        ``estimate``, ``lower``, ``upper``; the levels add up to the total.

        Raises
        ------
        ModelError
            When the method fitted no covariates, or ``covariates`` were not in the model.
        """
        from mse.errors import ModelError

        names = [covariates] if isinstance(covariates, str) else list(covariates)
        breakdown = self.details.get("breakdown")
        if breakdown is None:
            raise ModelError(
                f"method {self.method!r} estimated no breakdown by covariates; fit a model on data with covariates "
                "(for example mse.estimate(data, method='bic') on data built with covariates=[...])."
            )
        return breakdown(names)

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: method, model, estimate, lower, upper, level, observed, interval_method, status."""
        row = {
            "method": self.method,
            "model": self.model,
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "observed": self.observed,
            "interval_method": self.interval_method,
            "status": self.status,
        }
        return pd.DataFrame([row])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the main fields, details that are plain values, and metadata."""
        plain_details = {
            k: _jsonable(v)
            for k, v in self.details.items()
            if isinstance(v, (str, int, float, bool, list, tuple, dict, np.integer, np.floating)) or v is None
        }
        return {
            "estimate": _jsonable(self.estimate),
            "lower": _jsonable(self.lower),
            "upper": _jsonable(self.upper),
            "level": self.level,
            "observed": int(self.observed),
            "method": self.method,
            "model": self.model,
            "interval_method": self.interval_method,
            "status": self.status,
            "warnings": list(self.warnings),
            "details": plain_details,
            "metadata": _jsonable(self.metadata),
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string (non-finite numbers as ``NaN``/``Infinity``)."""
        return json.dumps(self.to_dict(), **kwargs)

    def summary(self) -> str:
        """A readable summary for reports and the console."""
        pct = f"{self.level:.0%}"
        lines = [
            f"Population size estimate ({self.method})",
            f"  model:            {self.model or '-'}",
            f"  observed (n):     {self.observed:,}",
        ]
        if self.ok or math.isfinite(self.estimate):
            lines.append(f"  estimate (N):     {_format_number(self.estimate)}")
            lines.append(f"  dark figure:      {_format_number(self.dark_figure)}")
            lines.append(
                f"  {pct} interval:     [{_format_number(self.lower)}, {_format_number(self.upper)}]"
                f" ({self.interval_method or 'none'})"
            )
        else:
            lines.append("  estimate (N):     not available")
        for key in ("deviance", "df", "aic", "bic"):
            if key in self.details and self.details[key] is not None:
                value = self.details[key]
                shown = f"{value:.3f}" if isinstance(value, float) else f"{value}"
                lines.append(f"  {key + ':':<18}{shown}")
        lines.append(f"  status:           {self.status}")
        for message in self.warnings:
            lines.append(f"  warning: {message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in [
                ("method", self.method),
                ("model", self.model or "-"),
                ("observed", f"{self.observed:,}"),
                ("estimate", _format_number(self.estimate)),
                (f"{self.level:.0%} interval", f"[{_format_number(self.lower)}, {_format_number(self.upper)}]"),
                ("interval", self.interval_method),
                ("status", self.status),
            ]
        )
        notes = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return f"<table>{rows}</table>" + (f"<ul>{notes}</ul>" if notes else "")

    @classmethod
    def failed(
        cls,
        *,
        method: str,
        observed: int,
        status: str,
        level: float = 0.95,
        model: str = "",
        interval_method: str = "",
        warnings: tuple[str, ...] = (),
        details: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Estimate:
        """An estimate that does not exist: every number is ``nan`` and ``status`` says why."""
        if status == OK:
            raise ValueError("a failed estimate needs a status other than 'ok'")
        return cls(
            estimate=math.nan,
            lower=math.nan,
            upper=math.nan,
            level=level,
            observed=observed,
            method=method,
            model=model,
            interval_method=interval_method,
            status=status,
            warnings=warnings,
            details=details or {},
            metadata=metadata or {},
        )


@dataclass(frozen=True)
class ModelSearch:
    """The outcome of a model search.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model considered: ``model``, ``n_params``, ``deviance``,
        ``df``, ``aic``, ``bic``, ``estimate``, ``status`` (and more columns
        where the search has them, such as ``step`` or ``p_value``).
    best : str
        The chosen model in term syntax.
    method : str
        The search method.
    criterion : str
        The criterion that ranked the models.
    """

    table: pd.DataFrame
    best: str
    method: str
    criterion: str = ""
    details: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    metadata: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def summary(self, top: int = 10) -> str:
        """The chosen model and the best ``top`` rows of the table."""
        header = f"Model search ({self.method}{', ' + self.criterion if self.criterion else ''}): best = {self.best}"
        return header + "\n" + self.table.head(top).to_string(index=False)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        return f"<p>Model search ({html.escape(self.method)}): best = <code>{html.escape(self.best)}</code></p>" + (
            self.table.head(20).to_html(index=False)
        )
