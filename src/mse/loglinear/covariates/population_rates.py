"""Hidden-population rates per 100,000 residents.

SDG indicator 16.2.2 is the number of victims of human trafficking per
100,000 population, by sex, age group and form of exploitation; the Dutch
multiple-systems estimates feed it (van Dijk et al. 2017). Given an estimate
with a breakdown by covariates and the resident population of every level,
the rate and its interval limits are the estimate and limits divided by the
population, times 100,000 (the population is taken as known exactly).

References
----------
van Dijk, J., Cruyff, M., van der Heijden, P. G. M. & Kragten-Heerdink, S. (2017).
Monitoring Target 16.2 of the United Nations Sustainable Development Goals. UNODC
research brief.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mse.errors import DataError
from mse.results import Estimate

__all__ = ["rates"]

PER = 100_000


def rates(
    result: Estimate,
    population: float | Mapping[Any, float] | pd.Series | pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    per: float = PER,
) -> pd.DataFrame:
    """Estimated hidden population per ``per`` (100,000) residents, overall or by covariate level.

    Parameters
    ----------
    result
        An estimate; with ``by``, one that holds a breakdown (a model with covariates).
    population
        The resident population: a number (with ``by=None``), a mapping or
        Series from level to population (one covariate), or a DataFrame with a
        column per covariate in ``by`` and a ``population`` column.
    by
        Covariate(s) to break down by; ``None`` for the total.
    per
        The rate base.

    Returns
    -------
    pandas.DataFrame
        The breakdown (or the total) with ``population``, ``rate``, ``rate_lower`` and ``rate_upper``.

    Raises
    ------
    DataError
        When a level has no population figure, or a population is not positive.

    Examples
    --------
    >>> import mse
    >>> res = mse.Estimate(estimate=3000.0, lower=2500.0, upper=4000.0, level=0.95, observed=1000, method="demo")
    >>> rates(res, 17_000_000)[["rate", "rate_lower", "rate_upper"]].round(2).values.tolist()
    [[17.65, 14.71, 23.53]]
    """
    if by is None:
        if not np.isscalar(population):
            raise DataError("without by=..., population must be one number (the resident population).")
        table = pd.DataFrame(
            {
                "observed": [result.observed],
                "estimate": [result.estimate],
                "lower": [result.lower],
                "upper": [result.upper],
                "population": [float(population)],  # type: ignore[arg-type]
            }
        )
    else:
        names = [by] if isinstance(by, str) else list(by)
        table = result.breakdown(names)
        if isinstance(population, pd.DataFrame):
            missing_columns = [c for c in [*names, "population"] if c not in population.columns]
            if missing_columns:
                raise DataError(f"the population table lacks column(s) {missing_columns}.")
            figures = population[[*names, "population"]]
        else:
            if len(names) != 1:
                raise DataError("for several covariates give population as a DataFrame with a 'population' column.")
            series = pd.Series(population, dtype=float) if not isinstance(population, pd.Series) else population
            figures = pd.DataFrame({names[0]: list(series.index), "population": series.to_numpy(dtype=float)})
        for name in names:  # compare levels by their text, so 2010 and "2010" match
            figures = figures.assign(**{name: figures[name].astype(str)})
        keys = table[names].astype(str)
        merged = keys.merge(figures, on=names, how="left")
        if merged["population"].isna().any():
            absent = keys[merged["population"].isna().to_numpy()].to_dict("records")
            raise DataError(f"no population figure for level(s) {absent}; give one for every level.")
        table["population"] = merged["population"].to_numpy(dtype=float)
    if (table["population"] <= 0).any():
        raise DataError("population figures must be positive.")
    for column, source in (("rate", "estimate"), ("rate_lower", "lower"), ("rate_upper", "upper")):
        table[column] = table[source] / table["population"] * per
    return table
