"""Synthetic capture data with covariates whose truth is known exactly.

:func:`generate_covariate_population` draws a whole population table —
every capture history, the all-zero one included, in every covariate cell —
from a log-linear model on lists x covariates,

``log mu(k, h) = lambda_k + sum_j h_j a_jk + sum_{j<l} h_j h_l g_jl``,

with ``lambda_k`` the log expected number of people on no list in covariate
cell ``k``, ``a_jk`` the log-odds-like effect of list ``j`` in cell ``k`` and
``g_jl`` the list interactions. Counts are independent Poisson draws, so the
realised population of every cell (observed plus unobserved) is known, as is
its expectation. Covariate values are then deleted at random with
probabilities that depend on the capture history (missing at random).

:func:`netherlands_synthetic` is the Dutch-style data set shipped as
``mse.load_dataset("netherlands_synthetic")``; its parameters are in
:data:`NETHERLANDS_PARAMETERS` and the shipped table is reproduced exactly by
``netherlands_synthetic()`` with the default seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from mse.data.capture import CaptureData
from mse.options import check_random_seed

__all__ = [
    "NETHERLANDS_PARAMETERS",
    "SyntheticPopulation",
    "generate_covariate_population",
    "netherlands_synthetic",
]


@dataclass(frozen=True)
class SyntheticPopulation:
    """A synthetic population with its truth.

    Attributes
    ----------
    data : CaptureData
        The observed records (some covariate values missing).
    truth : pandas.DataFrame
        One row per complete covariate cell: the covariates, ``N`` (realised
        population: observed plus unobserved), ``N_expected`` (its
        expectation under the model) and ``observed`` (people on a list, with
        their true covariate values).
    complete : CaptureData
        The observed records before covariate values were deleted.
    """

    data: CaptureData
    truth: pd.DataFrame
    complete: CaptureData

    def truth_by(self, covariates: str | Sequence[str]) -> pd.DataFrame:
        """The truth summed over the cells of each level (or combination of levels)."""
        names = [covariates] if isinstance(covariates, str) else list(covariates)
        return self.truth.groupby(names, sort=True)[["N", "N_expected", "observed"]].sum().reset_index()


def generate_covariate_population(
    lists: Sequence[str],
    levels: Mapping[str, Sequence[Any]],
    log_dark: Callable[[dict[str, Any]], float],
    list_effects: Callable[[dict[str, Any]], Sequence[float]],
    list_interactions: Mapping[tuple[str, str], float] | None = None,
    missing: Callable[[np.ndarray], Mapping[str, float]] | None = None,
    *,
    random_seed: int | None = None,
) -> SyntheticPopulation:
    """Draw a population from a log-linear model on lists x covariates, with values missing at random.

    Parameters
    ----------
    lists
        List names.
    levels
        Covariate -> its levels (the complete cells are all combinations).
    log_dark
        ``cell -> lambda_k``: log expected number on no list in a cell (``cell`` maps covariate to level).
    list_effects
        ``cell -> (a_1k, ..., a_tk)``: the effect of each list in the cell.
    list_interactions
        ``(list, list) -> g``: interactions between lists (the same in every cell).
    missing
        ``history (0/1 array) -> {covariate: probability missing}``; values are
        deleted independently across covariates and people.
    random_seed
        Seed.

    Returns
    -------
    SyntheticPopulation

    Examples
    --------
    >>> pop = generate_covariate_population(
    ...     ["A", "B"], {"sex": ["f", "m"]}, lambda cell: 6.0, lambda cell: [-1.0, -1.5], random_seed=1)
    >>> pop.data.lists, pop.data.covariates
    (('A', 'B'), ('sex',))
    >>> int(pop.truth["N"].sum()) > pop.data.n_observed
    True
    """
    rng = np.random.default_rng(check_random_seed(random_seed))
    lists = list(lists)
    t = len(lists)
    names = list(levels)
    histories = ((np.arange(1 << t)[:, None] >> np.arange(t - 1, -1, -1)[None, :]) & 1).astype(np.int64)
    pair_effect = np.zeros(1 << t)
    for (a, b), value in (list_interactions or {}).items():
        pair_effect += value * histories[:, lists.index(a)] * histories[:, lists.index(b)]
    cells = [dict(zip(names, combo)) for combo in product(*(levels[n] for n in names))]
    records = []
    truth_rows = []
    for cell in cells:
        effects = np.asarray(list_effects(cell), dtype=float)
        log_mu = log_dark(cell) + histories @ effects + pair_effect
        mu = np.exp(log_mu)
        counts = rng.poisson(mu)
        truth_rows.append(
            {**cell, "N": int(counts.sum()), "N_expected": float(mu.sum()), "observed": int(counts[1:].sum())}
        )
        for h in np.flatnonzero(counts[1:]) + 1:
            records.append((histories[h], cell, int(counts[h])))
    truth = pd.DataFrame(truth_rows)
    frame = pd.DataFrame(
        [[*history, *(cell[n] for n in names), count] for history, cell, count in records],
        columns=[*lists, *names, "count"],
    )
    complete = CaptureData.from_counts(frame, lists=lists, count="count", covariates=names)
    if missing is None:
        return SyntheticPopulation(complete, truth, complete)
    # delete values person by person: split each count over the 2**c missingness patterns
    rows = []
    for history, cell, count in records:
        rates = missing(np.asarray(history))
        probability = np.ones(1 << len(names))
        patterns = ((np.arange(1 << len(names))[:, None] >> np.arange(len(names))[None, :]) & 1).astype(bool)
        for c, name in enumerate(names):
            q = float(rates.get(name, 0.0))
            probability *= np.where(patterns[:, c], q, 1.0 - q)
        split = rng.multinomial(count, probability / probability.sum())
        for pattern, n in zip(patterns, split):
            if n:
                values = [None if pattern[c] else cell[name] for c, name in enumerate(names)]
                rows.append([*history, *values, int(n)])
    observed = pd.DataFrame(rows, columns=[*lists, *names, "count"])
    data = CaptureData.from_counts(observed, lists=lists, count="count", covariates=names)
    return SyntheticPopulation(data, truth, complete)


#: Parameters of :func:`netherlands_synthetic` (log scale). ``dark``: the log expected
#: number on no list in a cell is ``intercept`` plus the covariate effects plus the
#: covariate interactions; ``lists``: each list's effect is its baseline plus its
#: covariate effects (``year_trend`` is per year from 2012.5); ``pairs``: list
#: interactions; ``missing``: probability that a value is missing, by whether the
#: person is on the police (P) or border police (K) lists for nationality, on the
#: shelters (O) for age.
NETHERLANDS_PARAMETERS: dict[str, Any] = {
    "levels": {
        "year": [2010, 2011, 2012, 2013, 2014, 2015],
        "sex": ["female", "male"],
        "age": ["adult", "minor"],
        "nationality": ["Dutch", "non-Dutch"],
        "form": ["sexual", "labour", "criminal", "other"],
    },
    "dark": {
        "intercept": 5.55,
        "year_trend": 0.06,
        "sex": {"male": -0.7},
        "age": {"minor": -1.1},
        "nationality": {"non-Dutch": 0.3},
        "form": {"labour": -0.9, "criminal": -1.4, "other": -1.6},
        "sex:form": {("male", "labour"): 1.3, ("male", "criminal"): 0.8},
        "nationality:form": {("non-Dutch", "labour"): 0.8},
        "age:form": {("minor", "criminal"): 0.9},
    },
    "lists": {
        "I": {"baseline": -4.6, "form": {"labour": 2.2}},
        "K": {"baseline": -4.0, "nationality": {"non-Dutch": 1.4}},
        "O": {"baseline": -4.3, "age": {"minor": 1.0}, "sex": {"male": -0.8}},
        "P": {"baseline": -2.0, "form": {"sexual": 0.5}, "year_trend": -0.05},
        "R": {"baseline": -3.7, "sex": {"male": -0.5}},
        "Z": {"baseline": -3.9, "form": {"criminal": 0.8}, "age": {"minor": 0.4}},
    },
    "pairs": {("P", "R"): 0.9, ("K", "P"): 0.5, ("O", "R"): 0.7},
    "missing": {
        "nationality": {"on P or K": 0.03, "otherwise": 0.25},
        "age": {"on O": 0.01, "otherwise": 0.06},
        "sex": {"any": 0.01},
    },
}

#: The seed of the shipped ``netherlands_synthetic`` table.
NETHERLANDS_SEED = 20171128


def _netherlands_log_dark(cell: dict[str, Any]) -> float:
    dark = NETHERLANDS_PARAMETERS["dark"]
    value = dark["intercept"] + dark["year_trend"] * (cell["year"] - 2012.5)
    for name in ("sex", "age", "nationality", "form"):
        value += dark[name].get(cell[name], 0.0)
    for pair in ("sex:form", "nationality:form", "age:form"):
        a, b = pair.split(":")
        value += dark[pair].get((cell[a], cell[b]), 0.0)
    return float(value)


def _netherlands_list_effects(cell: dict[str, Any]) -> list[float]:
    effects = []
    for spec in NETHERLANDS_PARAMETERS["lists"].values():
        value = spec["baseline"] + spec.get("year_trend", 0.0) * (cell["year"] - 2012.5)
        for name in ("sex", "age", "nationality", "form"):
            value += spec.get(name, {}).get(cell[name], 0.0)
        effects.append(float(value))
    return effects


def _netherlands_missing(history: np.ndarray) -> dict[str, float]:
    on = dict(zip(NETHERLANDS_PARAMETERS["lists"], history))
    rates = NETHERLANDS_PARAMETERS["missing"]
    return {
        "nationality": rates["nationality"]["on P or K" if on["P"] or on["K"] else "otherwise"],
        "age": rates["age"]["on O" if on["O"] else "otherwise"],
        "sex": rates["sex"]["any"],
    }


def netherlands_synthetic(random_seed: int = NETHERLANDS_SEED) -> SyntheticPopulation:
    """A Dutch-style population of presumed trafficking victims, 2010–2015, with its truth.

    Six lists named like the Dutch registrations (I labour inspectorate, K border
    police, O shelters, P police, R care coordinators, Z other organisations) and
    covariates year (2010–2015), sex, age (adult/minor), nationality
    (Dutch/non-Dutch) and form of exploitation (sexual, labour, criminal, other),
    drawn from the log-linear model in :data:`NETHERLANDS_PARAMETERS`: lists
    depend on covariates (the border police see more non-Dutch victims, the
    labour inspectorate labour exploitation, shelters minors and women, the police
    fewer over time) and on each other (P–R, K–P, O–R). About 8,000 people are
    observed. Nationality is missing for a quarter of the people seen by neither
    police list, age more often outside the shelters: missing at random given the
    lists, so complete-case analysis is biased and EM is not.

    The design imitates the study of van Dijk et al. (2017); the numbers are
    invented.

    Parameters
    ----------
    random_seed
        The default reproduces the shipped data set exactly.

    Returns
    -------
    SyntheticPopulation

    References
    ----------
    van Dijk, J., Cruyff, M., van der Heijden, P. G. M. & Kragten-Heerdink, S. (2017).
    Monitoring Target 16.2 of the United Nations Sustainable Development Goals.
    UNODC research brief.
    """
    parameters = NETHERLANDS_PARAMETERS
    return generate_covariate_population(
        list(parameters["lists"]),
        parameters["levels"],
        _netherlands_log_dark,
        _netherlands_list_effects,
        parameters["pairs"],
        _netherlands_missing,
        random_seed=random_seed,
    )
