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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mse._readonly import CopyOnRead, ReadOnlyMapping
from mse._version import __version__

__all__ = ["Estimate", "ModelSearch", "load_result", "protect_counts", "provenance"]

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
    """Plain JSON values; ``nan`` becomes ``null`` and infinities the strings ``"inf"``/``"-inf"``."""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def _protect_value(value: float, *, suppress_below: int | None, round_to: int | None) -> str:
    if value is None or not math.isfinite(value):
        return _format_number(value)
    if suppress_below is not None and 0 < value < suppress_below:
        return f"<{suppress_below}"
    if round_to:
        return f"{round_to * round(value / round_to):,.0f}"
    return _format_number(value)


def protect_counts(
    table: pd.DataFrame,
    *,
    suppress_below: int | None = 10,
    round_to: int | None = None,
    columns: tuple[str, ...] = ("observed", "estimate", "lower", "upper"),
) -> pd.DataFrame:
    """A copy of ``table`` fit for publication about vulnerable people.

    Observed counts below ``suppress_below`` (but above zero) become
    ``"<suppress_below"``; numbers of people are rounded to multiples of
    ``round_to``. Estimates are not suppressed, since they do not identify
    anyone, but are rounded.

    Examples
    --------
    >>> import pandas as pd
    >>> protect_counts(pd.DataFrame({"observed": [3, 250], "estimate": [41.7, 1234.4]}), round_to=10)
      observed estimate
    0      <10       40
    1      250    1,230
    """
    out = table.copy()
    for name in columns:
        if name not in out.columns:
            continue
        threshold = suppress_below if name == "observed" else None
        out[name] = [_protect_value(float(v), suppress_below=threshold, round_to=round_to) for v in out[name]]
    return out


def load_result(path: str | Path, *, max_bytes: int | None = None) -> Estimate:
    """Read an :class:`Estimate` written by :meth:`Estimate.save`, and check it.

    The file must be what ``save`` writes: strict JSON of the saved format,
    every key of the type and range ``save`` gives it, and a result that keeps
    the results contract (an ``"ok"`` estimate is finite and
    ``observed <= lower <= estimate <= upper``). See :mod:`mse.result_schema`.

    Parameters
    ----------
    path
        The file.
    max_bytes
        Largest file to read, in bytes; default :data:`mse.result_schema.MAX_BYTES` (256 MiB).

    Raises
    ------
    DataError
        When the file is anything else: too large, truncated, not JSON,
        edited, or of another format. The message names the key and what was
        expected.
    OSError
        When the file cannot be opened.

    Examples
    --------
    >>> import mse, tempfile, os
    >>> res = mse.Estimate(estimate=120.0, lower=100.0, upper=150.0, level=0.95, observed=80, method="demo")
    >>> path = os.path.join(tempfile.mkdtemp(), "result.json")
    >>> res.save(path)
    >>> mse.load_result(path) == res
    True
    """
    from mse.result_schema import MAX_BYTES, read_result

    return read_result(path, max_bytes=MAX_BYTES if max_bytes is None else max_bytes)


def _format_number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "not available" if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


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
        Bootstrap or posterior draws of ``N`` (a read-only array).
    idata : arviz.InferenceData or None
        The posterior for Bayesian methods. It is ArviZ's own object, kept as
        the sampler returned it; copy it before changing it.
    details : mapping
        Method-specific quantities (deviance, df, AIC, BIC, standard error,
        failed replicates, graph probabilities, ...). Read-only: arrays in it
        are read-only, and lists and DataFrames are handed out as copies.
    metadata : mapping
        Seed, versions, data hash and options (see :func:`provenance`); read-only.
    strata : pandas.DataFrame or None
        Estimates by covariate level (see :meth:`breakdown`); each read returns a copy.

    Results are immutable: to change a field, make a new result with
    :meth:`with_updates`.
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
    details: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    strata: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen fields are not enough: what they hold must not be editable either,
        # or ``res.details["se"] = -1`` would change ``res.se`` (see mse._readonly).
        if self.draws is not None:
            draws = np.array(self.draws, dtype=float)
            draws.flags.writeable = False
            object.__setattr__(self, "draws", draws)
        if isinstance(self.warnings, list):
            object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "details", ReadOnlyMapping(self.details))
        object.__setattr__(self, "metadata", ReadOnlyMapping(self.metadata))

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickled numpy arrays come back writeable: freeze them again.
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__post_init__()

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
    def breakdown(
        self,
        covariates: str | list[str] | tuple[str, ...],
        *,
        suppress_below: int | None = None,
        round_to: int | None = None,
    ) -> pd.DataFrame:
        """Estimated population by the levels of one covariate, or by combinations of several.

        Parameters
        ----------
        covariates
            One covariate name, or several for their combinations.
        suppress_below, round_to
            For publication: see :func:`protect_counts`.

        Returns
        -------
        pandas.DataFrame
            A column per covariate, then ``observed``, ``estimate``, ``lower``,
            ``upper``. The estimates of the levels add up to the total; the
            limits are percentiles of the same bootstrap or posterior replicates
            summed over the cells of each level.

        Raises
        ------
        ModelError
            When the result holds no estimates by covariate, or a name is not one of its covariates.
        """
        from mse.errors import ModelError

        names = [covariates] if isinstance(covariates, str) else list(covariates)
        if self.strata is None:
            raise ModelError(
                f"this {self.method!r} result holds no estimates by covariate; fit a model with covariates "
                "(data built with covariates=[...], and covariate terms in the model)."
            )
        unknown = [n for n in names if n not in self.strata.columns or n in ("observed", "estimate")]
        if unknown or not names:
            available = [c for c in self.strata.columns if c not in ("observed", "estimate")]
            raise ModelError(f"cannot break down by {unknown or names}; the result has covariates {available}.")
        grouped = self.strata.groupby(names, observed=True, dropna=False, sort=True)
        table = grouped[["observed", "estimate"]].sum().reset_index()
        group_of_cell = grouped.ngroup().to_numpy()
        draws = self.details.get("strata_draws")
        if draws is not None:
            indicator = np.zeros((len(group_of_cell), len(table)))
            indicator[np.arange(len(group_of_cell)), group_of_cell] = 1.0
            level_draws = np.asarray(draws, dtype=float) @ indicator
            tail = 100.0 * (1.0 - self.level) / 2.0
            table["lower"] = np.nanpercentile(level_draws, tail, axis=0)
            table["upper"] = np.nanpercentile(level_draws, 100.0 - tail, axis=0)
        else:
            table["lower"] = np.nan
            table["upper"] = np.nan
        if suppress_below is not None or round_to is not None:
            table = protect_counts(table, suppress_below=suppress_below, round_to=round_to)
        return table

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
            if isinstance(v, (str, int, float, bool, list, tuple, Mapping, np.integer, np.floating)) or v is None
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
        """:meth:`to_dict` as strict JSON (``nan`` as ``null``, infinite limits as ``"inf"``)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def save(self, path: str | Path) -> None:
        """Write the result to a JSON file that :func:`load_result` reads back.

        Draws and estimates by covariate are kept; an ArviZ posterior is not
        (save it with ``result.idata.to_netcdf(...)``).
        """
        payload = self.to_dict()
        payload["draws"] = None if self.draws is None else _jsonable(self.draws.tolist())
        payload["strata"] = None if self.strata is None else json.loads(self.strata.to_json(orient="split"))
        strata_draws = self.details.get("strata_draws")
        payload["strata_draws"] = None if strata_draws is None else _jsonable(np.asarray(strata_draws).tolist())
        payload["format"] = "mse.Estimate/1"
        Path(path).write_text(json.dumps(payload, indent=1, allow_nan=False), encoding="utf-8")

    def summary(self, *, suppress_below: int | None = None, round_to: int | None = None) -> str:
        """A readable summary for reports and the console.

        Parameters
        ----------
        suppress_below, round_to
            For publication: observed counts below ``suppress_below`` are shown
            as ``<suppress_below`` and numbers of people are rounded to
            multiples of ``round_to`` (see :func:`protect_counts`).
        """
        pct = f"{self.level:.0%}"

        def people(value: float) -> str:
            return _protect_value(value, suppress_below=None, round_to=round_to)

        observed = _protect_value(self.observed, suppress_below=suppress_below, round_to=round_to)
        lines = [
            f"Population size estimate ({self.method})",
            f"  model:            {self.model or '-'}",
            f"  observed (n):     {observed}",
        ]
        if self.ok or math.isfinite(self.estimate):
            lines.append(f"  estimate (N):     {people(self.estimate)}")
            lines.append(f"  dark figure:      {people(self.dark_figure)}")
            lines.append(
                f"  {pct} interval:     [{people(self.lower)}, {people(self.upper)}] ({self.interval_method or 'none'})"
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
        where the search has them, such as ``step`` or ``p_value``). Each read
        returns a copy.
    best : str
        The chosen model in term syntax.
    method : str
        The search method.
    criterion : str
        The criterion that ranked the models.
    details, metadata : mapping
        Read-only, as for :class:`Estimate`.
    """

    table: pd.DataFrame
    best: str
    method: str
    criterion: str = ""
    details: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", ReadOnlyMapping(self.details))
        object.__setattr__(self, "metadata", ReadOnlyMapping(self.metadata))

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


# A DataFrame cannot be made read-only, so these fields keep a private copy and
# hand out a new copy on every read (set after the dataclasses are built, so
# that their ``__init__`` keeps plain defaults).
setattr(Estimate, "strata", CopyOnRead("strata"))  # noqa: B010
setattr(ModelSearch, "table", CopyOnRead("table"))  # noqa: B010
