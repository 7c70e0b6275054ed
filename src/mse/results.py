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

from mse._deferred import DeferredField, raw
from mse._readonly import CopyOnRead, ReadOnlyMapping
from mse._version import __version__
from mse.disclosure import DisclosurePolicy, resolve_policy
from mse.result_table import ResultTable

__all__ = ["Estimate", "ModelSearch", "load_result", "protect_counts", "provenance"]

OK = "ok"

#: The columns of :attr:`Estimate.strata` that are numbers of people, not covariates: people observed with
#: every covariate value known, people with missing values allocated to the cell by EM, and the estimate.
STRATA_NUMBERS: tuple[str, ...] = ("observed", "allocated", "estimate")


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


def protect_counts(
    table: pd.DataFrame,
    *,
    suppress_below: int | None = 10,
    round_to: int | None = None,
    columns: tuple[str, ...] = ("observed", "estimate", "lower", "upper"),
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """A copy of ``table`` fit for publication about vulnerable people, as strings ready to print.

    Observed counts below ``suppress_below`` (but above zero) become
    ``"<suppress_below"``; numbers of people are rounded to multiples of
    ``round_to``. In a row whose count is suppressed the estimate and limits
    are withheld too (``"suppressed"``): the estimate of a covariate level is
    often its count times a ratio published elsewhere. Each row is judged on
    its own: for a table whose rows add up to a published total, use
    ``res.breakdown(..., policy=...)``, which adds complementary suppression.

    Parameters
    ----------
    table
        A table with some of the ``columns``.
    suppress_below, round_to
        Shorthands for ``policy=mse.DisclosurePolicy(suppress_below, round_to)``.
    columns
        The count column ``"observed"`` and the columns of estimated people.
    policy
        A :class:`mse.DisclosurePolicy`; replaces the shorthands.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with the ``columns`` present as text.

    Examples
    --------
    >>> import pandas as pd
    >>> protect_counts(pd.DataFrame({"observed": [3, 250], "estimate": [41.7, 1234.4]}), round_to=10)
      observed    estimate
    0      <10  suppressed
    1      250       1,230
    """
    if policy is None:
        policy = DisclosurePolicy(suppress_below=suppress_below, round_to=round_to)
    counts = [c for c in columns if c == "observed"]
    people = [c for c in columns if c != "observed"]
    out = policy.protect_table(table, counts=counts, people=people)
    for name in columns:
        if name in out.columns:
            out[name] = [v if isinstance(v, str) else _format_number(v) for v in out[name]]
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

    Returns
    -------
    Estimate
        The saved result, equal to the one saved.

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


def _netcdf_ready(idata: Any) -> Any:
    """A copy of an InferenceData whose attributes netCDF can store (``None``, booleans, mappings become text or 0/1).

    Samplers record their settings as attributes, some of them ``None``; netCDF
    refuses those. The user's object is left as it is.
    """
    from mse.bayes.backend import import_arviz

    arviz = import_arviz()

    def clean(attrs: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in attrs.items():
            if isinstance(value, (bool, np.bool_)):
                value = int(value)
            elif isinstance(value, Mapping):
                value = json.dumps(_jsonable(value))
            elif value is None or not isinstance(value, (str, int, float, np.number, np.ndarray, list, tuple, bytes)):
                value = str(value)
            out[str(key)] = value
        return out

    groups = {}
    for name in idata.groups():
        dataset = getattr(idata, name).copy()
        dataset.attrs = clean(dataset.attrs)
        for variable in dataset.variables.values():
            variable.attrs = clean(variable.attrs)
        groups[name] = dataset
    return arviz.InferenceData(**groups)


def _format_number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "not available" if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _bca_by_level(
    draws: np.ndarray, jackknife: np.ndarray, weights: np.ndarray, estimates: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """BCa limits of every level from its replicates and its jackknife (one column per level)."""
    from mse.bootstrap_limits import bca_limits, jackknife_acceleration  # SciPy, only when a breakdown needs it

    lower, upper = np.full(len(estimates), np.nan), np.full(len(estimates), np.nan)
    for k, estimate in enumerate(estimates):
        acceleration = jackknife_acceleration(jackknife[:, k], weights)
        lower[k], upper[k], _, _ = bca_limits(draws[:, k], float(estimate), acceleration, level)
    return lower, upper


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
        the sampler returned it; copy it before changing it. Methods whose
        sampling takes less than importing ArviZ (``"bayes_loglinear"``,
        ``"bayesthresh"``) give a recipe (:class:`mse._deferred.Deferred`),
        and the object is built, once, the first time ``idata`` is read.
    details : mapping
        Method-specific quantities (deviance, df, AIC, BIC, standard error,
        failed replicates, graph probabilities, ...). Read-only: arrays in it
        are read-only, and lists and DataFrames are handed out as copies.
    metadata : mapping
        Seed, versions, data hash and options (see :func:`provenance`); read-only.
    strata : pandas.DataFrame or None
        Estimates by covariate level (see :meth:`breakdown`); each read returns a copy.
    fit : object or None
        The model family's own typed, immutable result. For the log-linear
        methods without covariates (``"independence"``, ``"loglinear"``,
        ``"stepwise"``, ``"aic"``, ``"bic"``, ``"bic_aic"``, and ``"auto"``
        when it picks one of them) a :class:`mse.loglinear.LoglinearFit`:
        terms, coefficients with their names, standard errors and covariance
        matrix, fitted values and residuals of the observed cells, deviance,
        df, AIC and BIC, and the search table when a search chose the model.
        ``None`` for the other methods. ``details`` keeps the same numbers as
        plain values.

    Results are immutable: to change a field, make a new result with
    :meth:`with_updates`.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("korea"), method="independence")
    >>> res.method, res.observed, res.status, res.interval_method
    ('independence', 123, 'ok', 'profile')
    >>> round(res.estimate, 1), round(res.lower, 1), round(res.upper, 1)
    (142.0, 131.0, 155.8)
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
    # The posterior may be given as an mse._deferred.Deferred recipe, packed into ArviZ's
    # InferenceData when first read (importing ArviZ alone takes longer than some samplers).
    idata: Any = field(default=DeferredField(), repr=False, compare=False)
    details: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    strata: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    fit: Any = field(default=None, repr=False, compare=False)

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

    @property
    def strata_covariates(self) -> tuple[str, ...]:
        """The covariates of :attr:`strata` (the columns that are not :data:`STRATA_NUMBERS`); empty without strata."""
        if self.strata is None:
            return ()
        return tuple(c for c in self.strata.columns if c not in STRATA_NUMBERS)

    def with_updates(self, **changes: Any) -> Estimate:
        """A copy with some fields replaced (results are immutable)."""
        if "idata" not in changes:
            changes["idata"] = raw(self, "idata")  # a posterior not yet built stays unbuilt in the copy
        return replace(self, **changes)

    # ------------------------------------------------------------------ views
    def breakdown(
        self,
        covariates: str | list[str] | tuple[str, ...],
        *,
        suppress_below: int | None = None,
        round_to: int | None = None,
        policy: DisclosurePolicy | None = None,
        limits: str | None = None,
    ) -> pd.DataFrame:
        """Estimated population by the levels of one covariate, or by combinations of several.

        Parameters
        ----------
        covariates
            One covariate name, or several for their combinations.
        policy
            For publication: a :class:`mse.DisclosurePolicy`. Small counts are
            suppressed and, because the levels add up to the total (and to
            the breakdowns by fewer covariates), further levels are withheld
            until no suppressed count can be worked out by subtraction.
        suppress_below, round_to
            Shorthands for ``policy=mse.DisclosurePolicy(suppress_below, round_to)``.
        limits
            ``"percentile"`` (default) or ``"bca"``: the bias-corrected and
            accelerated limits of each level, for a result that holds the
            jackknife of every covariate cell (``interval="bca"`` of a model
            with covariates). Percentile limits are the default because they
            covered better in the study of the covariate selection bootstrap
            (``benchmarks/study_covariate_selection.py``).

        Returns
        -------
        mse.ResultTable
            A :class:`pandas.DataFrame` (shown in a notebook or console as
            the summaries show numbers; the data at full precision) with a
            column per covariate, then ``observed`` (people seen whose
            covariate values are known: whole people), ``allocated`` (for a
            model fitted with missing covariate values, the expected number
            of people with missing values that EM places in the level),
            ``estimate``, ``lower``, ``upper``. The estimates of the levels
            add up to the total; the limits come from the same bootstrap or
            posterior replicates summed over the cells of each level
            (see ``limits``).

        Raises
        ------
        ModelError
            When the result holds no estimates by covariate, or a name is not one of its covariates.

        Examples
        --------
        >>> import pandas as pd, mse
        >>> strata = pd.DataFrame({"region": ["east", "north", "south"], "observed": [65, 4, 96],
        ...                        "estimate": [131.8, 8.1, 194.7]})
        >>> res = mse.Estimate(estimate=334.6, lower=280.0, upper=416.0, level=0.95, observed=165,
        ...                    method="demo", strata=strata)
        >>> res.breakdown("region")  # no replicates here, so no limits
          region observed estimate lower upper
        0   east       65      132     —     —
        1  north        4      8.1     —     —
        2  south       96      195     —     —
        >>> res.breakdown("region")["estimate"].tolist()  # the data keep their precision
        [131.8, 8.1, 194.7]
        >>> res.breakdown("region", suppress_below=10)[["region", "observed"]]
          region   observed
        0   east suppressed
        1  north        <10
        2  south         96
        disclosure: counts below 10 suppressed
        """
        from mse.errors import ModelError

        protection = resolve_policy(policy, suppress_below=suppress_below, round_to=round_to)
        if protection.active:
            protected = ResultTable(protection.protect(self).breakdown(covariates, limits=limits))
            protected.disclosure = protection.describe()
            return protected

        table, indicator = self._levels([covariates] if isinstance(covariates, str) else list(covariates))
        draws = self.details.get("strata_draws")
        jackknife = self.details.get("strata_jackknife")
        chosen = "percentile" if limits is None else limits
        if chosen not in ("bca", "percentile") or (chosen == "bca" and jackknife is None):
            raise ModelError(
                f"limits must be 'percentile'{' or ' + repr('bca') if jackknife is not None else ''} for this "
                f"result, got {limits!r}; BCa limits by level need interval='bca' on a model with covariates."
            )
        if draws is not None:
            level_draws = np.asarray(draws, dtype=float) @ indicator
            if chosen == "bca":
                table["lower"], table["upper"] = _bca_by_level(
                    level_draws,
                    np.asarray(jackknife, dtype=float) @ indicator,
                    np.asarray(self.details["jackknife_weights"], dtype=float),
                    table["estimate"].to_numpy(dtype=float),
                    self.level,
                )
            else:
                from mse.bootstrap_limits import percentile_limits

                # an infinite replicate (a resample that cannot bound N) counts above every finite one
                percentiles = [percentile_limits(level_draws[:, k], self.level) for k in range(len(table))]
                table["lower"] = [lower for lower, _ in percentiles]
                table["upper"] = [upper for _, upper in percentiles]
        else:
            table["lower"] = np.nan
            table["upper"] = np.nan
        return ResultTable(table)

    def _levels(self, names: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
        """The strata summed over the levels of ``names``, and the 0/1 matrix from cells to levels."""
        from mse.errors import ModelError

        if self.strata is None:
            raise ModelError(
                f"this {self.method!r} result holds no estimates by covariate; fit a model with covariates "
                "(data built with covariates=[...], and covariate terms in the model)."
            )
        available = list(self.strata_covariates)
        unknown = [n for n in names if n not in available]
        if unknown or not names:
            raise ModelError(f"cannot break down by {unknown or names}; the result has covariates {available}.")
        grouped = self.strata.groupby(names, observed=True, dropna=False, sort=True)
        table = grouped[[c for c in STRATA_NUMBERS if c in self.strata.columns]].sum().reset_index()
        group_of_cell = grouped.ngroup().to_numpy()
        indicator = np.zeros((len(group_of_cell), len(table)))
        indicator[np.arange(len(group_of_cell)), group_of_cell] = 1.0
        return table, indicator

    def _level_replicates(self, covariate: str, what: str) -> tuple[pd.DataFrame, np.ndarray]:
        """The levels of ``covariate`` and their replicates (one column per level), for ``what`` needs an interval."""
        from mse.errors import ModelError

        table, indicator = self._levels([covariate])
        draws = self.details.get("strata_draws")
        if draws is None:
            raise ModelError(
                f"this {self.method!r} result holds no replicates of its estimates by {covariate!r}, so {what} "
                "would have no interval; refit with a bootstrap interval (interval='parametric_bootstrap' or 'bca')."
            )
        return table, np.asarray(draws, dtype=float) @ indicator

    def contrast(
        self, covariate: str, first: Any, second: Any, *, policy: DisclosurePolicy | None = None
    ) -> pd.DataFrame:
        """The change in the estimated population from one level of a covariate to another.

        Monitoring asks whether the hidden population grew or shrank: from one
        year to the next, say. The difference ``second - first`` and the ratio
        ``second / first`` get their intervals from the *same* replicates as
        the two levels (bootstrap or posterior draws summed over the cells of
        each level), so the correlation between the two estimates, which
        share the model's list effects, is kept; subtracting two separately
        computed intervals would ignore it.

        Parameters
        ----------
        covariate
            The covariate, e.g. ``"year"``.
        first, second
            Its two levels; the change is from ``first`` to ``second``.
        policy
            For publication: numbers of people (the two estimates, the
            difference and their limits) are rounded as the policy says; the
            ratio is a ratio of estimates and is shown to three decimals.

        Returns
        -------
        pandas.DataFrame
            One row each for ``first``, ``second``, ``difference`` and
            ``ratio`` (column ``quantity``), with ``estimate``, ``lower`` and
            ``upper`` at the result's level (percentile limits).

        Raises
        ------
        ModelError
            When the result has no estimates by ``covariate`` or no replicates
            to take the intervals from, or a level is not one of its levels.

        Examples
        --------
        >>> import numpy as np, pandas as pd, mse
        >>> strata = pd.DataFrame({"year": [2016, 2017], "observed": [40, 50], "estimate": [100.0, 130.0]})
        >>> rng = np.random.default_rng(1)
        >>> draws = np.column_stack([rng.normal(100, 5, 500), rng.normal(130, 5, 500)])
        >>> res = mse.Estimate(estimate=230.0, lower=215.0, upper=245.0, level=0.95, observed=90, method="demo",
        ...                    strata=strata, details={"strata_draws": draws})
        >>> res.contrast("year", 2016, 2017)["quantity"].tolist()
        ['2016', '2017', 'difference', 'ratio']
        >>> change = res.contrast("year", 2016, 2017).set_index("quantity")
        >>> float(change.loc["difference", "estimate"]), bool(change.loc["ratio", "lower"] > 1)
        (30.0, True)
        """
        from mse.bootstrap_limits import percentile_limits
        from mse.errors import ModelError

        table, by_level = self._level_replicates(covariate, "the change between levels")
        levels = table[covariate].tolist()
        for level in (first, second):
            if level not in levels:
                raise ModelError(f"{level!r} is not a level of {covariate!r}; its levels are {levels}.")
        level_draws = by_level[:, [levels.index(first), levels.index(second)]]
        estimates = table.set_index(covariate).loc[[first, second], "estimate"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            replicates = {
                str(first): level_draws[:, 0],
                str(second): level_draws[:, 1],
                "difference": level_draws[:, 1] - level_draws[:, 0],
                "ratio": level_draws[:, 1] / level_draws[:, 0],
            }
            points = [estimates[0], estimates[1], estimates[1] - estimates[0], estimates[1] / estimates[0]]
        rows = []
        for (quantity, values), point in zip(replicates.items(), points):
            lower, upper = percentile_limits(values, self.level)
            rows.append({"quantity": quantity, "estimate": float(point), "lower": float(lower), "upper": float(upper)})
        result = pd.DataFrame(rows)
        protection = resolve_policy(policy)
        if protection.active:
            people = result["quantity"] != "ratio"
            for column in ("estimate", "lower", "upper"):
                result[column] = [
                    protection.people(value) if is_people else round(value, 3)
                    for value, is_people in zip(result[column], people)
                ]
        return result

    def trend(self, covariate: str = "year") -> pd.DataFrame:
        """The average change per unit of a numeric covariate (per year), fitted to the estimates by level.

        A straight line is fitted by least squares to the logarithm of the
        estimated population of each level against the level (the year), so
        its slope is the average relative change per unit: ``exp(slope)``
        is the factor by which the population changes from one year to the
        next, and ``exp(slope) - 1`` the annual change. The same line is
        fitted to every bootstrap or posterior replicate of the levels, and
        the interval is the percentile interval of those slopes, so it carries
        the correlation between the years' estimates.

        Parameters
        ----------
        covariate
            A covariate whose levels are numbers (years, say).

        Returns
        -------
        pandas.DataFrame
            One row: ``covariate``, ``first`` and ``last`` level, ``levels``
            (how many), ``annual_factor`` with ``lower`` and ``upper`` (the
            factor per unit of the covariate and its interval), and
            ``annual_change`` (``annual_factor - 1``).

        Raises
        ------
        ModelError
            When the result has no estimates by ``covariate``, no replicates,
            fewer than three levels, or levels that are not numbers.

        Examples
        --------
        >>> import numpy as np, pandas as pd, mse
        >>> strata = pd.DataFrame({"year": [2016, 2017, 2018], "observed": [40, 44, 48],
        ...                        "estimate": [100.0, 110.0, 121.0]})
        >>> rng = np.random.default_rng(1)
        >>> draws = np.column_stack([rng.normal(m, 3, 400) for m in (100.0, 110.0, 121.0)])
        >>> res = mse.Estimate(estimate=331.0, lower=310.0, upper=350.0, level=0.95, observed=132, method="demo",
        ...                    strata=strata, details={"strata_draws": draws})
        >>> round(float(res.trend("year")["annual_factor"].iloc[0]), 3)
        1.1
        """
        from mse.errors import ModelError

        table, level_draws = self._level_replicates(covariate, "a trend")
        levels = pd.to_numeric(table[covariate], errors="coerce").to_numpy(dtype=float)
        if np.isnan(levels).any() or len(levels) < 3:
            raise ModelError(
                f"a trend needs at least three levels of {covariate!r} that are numbers (years); it has "
                f"{table[covariate].tolist()}."
            )
        centred = levels - levels.mean()

        def slopes(estimates: np.ndarray) -> np.ndarray:
            # least-squares slope of log N on the level, row by row
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log(estimates)
            return (logs - logs.mean(axis=-1, keepdims=True)) @ centred / (centred @ centred)

        point = float(slopes(table["estimate"].to_numpy(dtype=float)))
        tail = 100.0 * (1.0 - self.level) / 2.0
        replicated = slopes(level_draws)
        lower, upper = np.nanpercentile(replicated[np.isfinite(replicated)], [tail, 100.0 - tail])
        return pd.DataFrame(
            [
                {
                    "covariate": covariate,
                    "first": table[covariate].iloc[0],
                    "last": table[covariate].iloc[-1],
                    "levels": len(levels),
                    "annual_factor": float(np.exp(point)),
                    "lower": float(np.exp(lower)),
                    "upper": float(np.exp(upper)),
                    "annual_change": float(np.expm1(point)),
                }
            ]
        )

    def to_frame(
        self,
        *,
        policy: DisclosurePolicy | None = None,
        suppress_below: int | None = None,
        round_to: int | None = None,
    ) -> pd.DataFrame:
        """One tidy row: method, model, estimate, lower, upper, level, observed, interval_method, status.

        Parameters
        ----------
        policy, suppress_below, round_to
            For publication (see :class:`mse.DisclosurePolicy`): the protected
            columns then hold rounded numbers, ``"<k"`` or ``"suppressed"``.

        Examples
        --------
        >>> import mse
        >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo")
        >>> res.to_frame(suppress_below=10)[["observed", "estimate", "lower", "upper"]]
          observed estimate lower upper
        0      <10       12   <10    40
        """
        protection = resolve_policy(policy, suppress_below=suppress_below, round_to=round_to)
        if protection.active:
            return protection.protect(self).to_frame()
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

    def to_dict(
        self,
        *,
        policy: DisclosurePolicy | None = None,
        suppress_below: int | None = None,
        round_to: int | None = None,
    ) -> dict[str, Any]:
        """A JSON-ready dictionary of the main fields, details that are plain values, and metadata.

        Parameters
        ----------
        policy, suppress_below, round_to
            For publication (see :class:`mse.DisclosurePolicy`): the main
            fields protected, the dark figure added, and every detail that
            could rebuild a cell (coefficients, fitted values, the data hash)
            left out.

        Examples
        --------
        >>> import mse
        >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo",
        ...                    details={"coef": {"(Intercept)": 1.2}, "deviance": 0.5})
        >>> sorted(res.to_dict(suppress_below=10)["details"])
        ['deviance']
        """
        protection = resolve_policy(policy, suppress_below=suppress_below, round_to=round_to)
        if protection.active:
            return protection.protect(self).to_dict()
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

    def to_json(
        self,
        *,
        policy: DisclosurePolicy | None = None,
        suppress_below: int | None = None,
        round_to: int | None = None,
        archive: bool = False,
        **kwargs: Any,
    ) -> str:
        """:meth:`to_dict` as strict JSON (``nan`` as ``null``, infinite limits as ``"inf"``).

        Parameters
        ----------
        policy, suppress_below, round_to
            Those of :meth:`to_dict`: for publication, the protected fields
            and the protected breakdown by each covariate.
        archive
            The whole result instead, as :meth:`save` writes it and
            :func:`load_result` reads it back: draws, estimates by covariate
            cell, the tables in ``details`` and the typed fit. Only an ArviZ
            posterior (:attr:`idata`) is left out (``"idata": null``), because
            it is written as netCDF beside a saved file. Not with a policy:
            an archive is the unprotected record.
        **kwargs
            Passed to :func:`json.dumps` (``indent=2``, ...).

        Returns
        -------
        str
            The JSON text.

        Raises
        ------
        ModelError
            For ``archive=True`` together with a disclosure policy.

        Examples
        --------
        >>> import mse
        >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo")
        >>> '"observed": "<10"' in res.to_json(suppress_below=10)
        True
        >>> '"format": "mse.Estimate/' in res.to_json(archive=True)
        True
        """
        protection = resolve_policy(policy, suppress_below=suppress_below, round_to=round_to)
        if archive:
            if protection.active:
                from mse.errors import ModelError

                raise ModelError(
                    "an archive is the whole, unprotected result; for publication use to_json(policy=...) "
                    "without archive=True."
                )
            payload = self._archive()
        else:
            payload = self.to_dict(policy=protection)
        return json.dumps(payload, allow_nan=False, **kwargs)

    def _archive(self, idata_file: str | None = None) -> dict[str, Any]:
        """Everything the result holds, as JSON-ready values (see :meth:`save`)."""
        from mse.result_schema import FORMAT, encode_fit, encode_frame

        payload = self.to_dict()
        payload["draws"] = None if self.draws is None else _jsonable(self.draws.tolist())
        # to_dict, not to_json: pandas' JSON writer keeps 10 significant digits, and a saved result must be exact
        payload["strata"] = None if self.strata is None else _jsonable(self.strata.to_dict(orient="split"))
        strata_draws = self.details.get("strata_draws")
        payload["strata_draws"] = None if strata_draws is None else _jsonable(np.asarray(strata_draws).tolist())
        payload["frames"] = {k: encode_frame(v) for k, v in self.details.items() if isinstance(v, pd.DataFrame)}
        payload["fit"] = encode_fit(self.fit)
        payload["idata"] = idata_file
        payload["format"] = FORMAT
        return payload

    def save(
        self,
        path: str | Path,
        *,
        policy: DisclosurePolicy | None = None,
        suppress_below: int | None = None,
        round_to: int | None = None,
    ) -> None:
        """Write the result to a JSON file that :func:`load_result` reads back.

        Everything the result holds is kept: draws, estimates by covariate,
        the tables in ``details`` (search tables, fitted cells, graph weights,
        modes), and the typed fit (:attr:`fit`, with its covariance matrix).
        An ArviZ posterior (:attr:`idata`) is written with ArviZ's
        ``to_netcdf`` beside the JSON, as ``<name>.idata.nc`` for
        ``<name>.json``; the JSON names it, and :func:`load_result` reads
        it back from the same folder (keep the two files together).

        Parameters
        ----------
        path
            The file to write.
        policy, suppress_below, round_to
            For publication (see :class:`mse.DisclosurePolicy`): writes the
            protected :meth:`to_dict` and the protected breakdown by each
            covariate instead, without draws or cells. Such a file is an
            output, not an archive: :func:`load_result` does not read it.

        Examples
        --------
        >>> import mse, tempfile, os
        >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo")
        >>> folder = tempfile.mkdtemp()
        >>> res.save(os.path.join(folder, "archive.json"))
        >>> res.save(os.path.join(folder, "publish.json"), suppress_below=10)
        """
        protection = resolve_policy(policy, suppress_below=suppress_below, round_to=round_to)
        if protection.active:
            protection.protect(self).save(path)
            return
        path = Path(path)
        idata_file = None
        if self.idata is not None:
            # ArviZ's own format beside the JSON; the JSON names it, so the two travel together.
            posterior = path.with_name(path.stem + ".idata.nc")
            _netcdf_ready(self.idata).to_netcdf(str(posterior))
            idata_file = posterior.name
        path.write_text(json.dumps(self._archive(idata_file), indent=1, allow_nan=False), encoding="utf-8")

    def summary(
        self,
        *,
        suppress_below: int | None = None,
        round_to: int | None = None,
        policy: DisclosurePolicy | None = None,
    ) -> str:
        """A readable summary for reports and the console.

        Parameters
        ----------
        policy
            For publication: a :class:`mse.DisclosurePolicy`. A small number
            observed is shown as ``<k``, and then the dark figure (which would
            give it back) is withheld too; numbers of people are rounded.
        suppress_below, round_to
            Shorthands for ``policy=mse.DisclosurePolicy(suppress_below, round_to)``.

        Examples
        --------
        >>> import mse
        >>> res = mse.Estimate(estimate=1234.4, lower=1000.0, upper=1500.0, level=0.95, observed=812, method="demo")
        >>> print(res.summary(round_to=10))
        Population size estimate (demo)
          model:            -
          observed (n):     810
          estimate (N):     1,230
          dark figure:      420
          95% interval:     [1,000, 1,500] (none)
          status:           ok
          disclosure:       numbers of people rounded to multiples of 10
        """
        return resolve_policy(policy, suppress_below=suppress_below, round_to=round_to).protect(self).summary()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return DisclosurePolicy().protect(self)._repr_html_()

    def to_html(self, *, policy: DisclosurePolicy | None = None) -> str:
        """The HTML table a notebook shows, with ``policy`` applied (see :class:`mse.DisclosurePolicy`).

        Examples
        --------
        >>> import mse
        >>> res = mse.Estimate(estimate=12.0, lower=7.0, upper=40.0, level=0.95, observed=7, method="demo")
        >>> "&lt;10" in res.to_html(policy=mse.DisclosurePolicy(suppress_below=10))
        True
        """
        return resolve_policy(policy).protect(self)._repr_html_()

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
        fit: Any = None,
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
            fit=fit,
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

    Examples
    --------
    >>> import mse
    >>> search = mse.select_model(mse.load_dataset("korea"), method="aic")
    >>> search.best, search.criterion
    ('b:c + c:d', 'aic')
    >>> list(search.table.columns[:6])
    ['model', 'n_params', 'deviance', 'df', 'aic', 'bic']
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
# that their ``__init__`` keeps plain defaults). A search's table is read as a ResultTable, which
# prints its numbers as a reader reads them.
setattr(Estimate, "strata", CopyOnRead("strata"))  # noqa: B010
setattr(ModelSearch, "table", CopyOnRead("table", ResultTable))  # noqa: B010
