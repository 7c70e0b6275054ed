"""Draw capture data from a :class:`~mse.simulate.Scenario` with known truth.

Everything here works on the ``2**t`` cells of the contingency table, never
one row per person, so the cost does not grow with the population size: the
cell probabilities of a stratum are a finite mixture of products of
Bernoullis (latent classes exactly, continuous heterogeneity by Gaussian
quadrature), tilted by the log-linear interactions, and the counts are one
multinomial draw per covariate stratum. Missing covariate values thin the
observed cells binomially.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from mse.data.capture import CaptureData
from mse.options import check_random_seed
from mse.simulate.scenario import Scenario

__all__ = ["Truth", "cell_probabilities", "generate", "history_matrix"]

_P_CLIP = 1e-12  # keeps quadrature nodes of a very skewed beta off exact 0 and 1


def history_matrix(t: int) -> np.ndarray:
    """All ``2**t`` capture histories as rows of 0/1, the first list the most significant bit.

    Parameters
    ----------
    t
        The number of lists.

    Returns
    -------
    numpy.ndarray
        ``(2**t, t)`` array of 0/1 (``int8``), row ``i`` the binary digits of ``i``.

    Examples
    --------
    >>> history_matrix(2)
    array([[0, 0],
           [0, 1],
           [1, 0],
           [1, 1]], dtype=int8)
    """
    codes = np.arange(2**t, dtype=np.int64)
    return ((codes[:, None] >> np.arange(t - 1, -1, -1)) & 1).astype(np.int8)


def _components(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Mixture weights ``(C,)`` and per-list capture logits ``(C, t)`` of the heterogeneity model."""
    p = np.asarray(scenario.capture_probabilities, dtype=float)
    base = special.logit(p)
    spec = scenario.heterogeneity
    if spec is None:
        return np.ones(1), base[None, :]
    kind = spec["kind"]
    if kind == "latent_class":
        weights = np.asarray(spec["weights"], dtype=float)
        log_multipliers = np.array(
            [np.log(np.broadcast_to(np.asarray(row, dtype=float), p.shape)) for row in spec["multipliers"]]
        )
        return weights, base[None, :] + log_multipliers
    if kind in ("logit_normal", "rasch"):
        # E f(theta), theta ~ N(0, sd^2), by Gauss-Hermite quadrature (probabilists' weight exp(-x^2/2)).
        nodes, weights = np.polynomial.hermite_e.hermegauss(spec["nodes"])
        weights = weights / np.sqrt(2.0 * np.pi)
        return weights, base[None, :] + spec["sd"] * nodes[:, None]
    if kind == "beta":
        # A person at quantile u has probability F_j^{-1}(u) on list j; integrate u over (0, 1) by Gauss-Legendre.
        nodes, weights = np.polynomial.legendre.leggauss(spec["nodes"])
        u = (nodes + 1.0) / 2.0
        c = spec["concentration"]
        probs = stats.beta.ppf(u[:, None], p[None, :] * c, (1.0 - p[None, :]) * c)
        probs = np.clip(probs, _P_CLIP, 1.0 - _P_CLIP)
        return weights / 2.0, special.logit(probs)
    raise AssertionError(f"unvalidated heterogeneity kind {kind!r}")


def _interaction_offsets(scenario: Scenario, histories: np.ndarray) -> np.ndarray:
    offsets = np.zeros(histories.shape[0])
    for term, value in scenario.interactions.items():
        columns = [scenario.lists.index(name) for name in term]
        offsets += value * histories[:, columns].all(axis=1)
    for a, b in scenario.non_overlapping:
        both = histories[:, scenario.lists.index(a)].astype(bool) & histories[:, scenario.lists.index(b)].astype(bool)
        offsets[both] = -np.inf
    return offsets


def _strata(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level indices ``(S, m)``, probabilities ``(S,)`` and capture-logit offsets ``(S, t)`` of each stratum."""
    names = list(scenario.covariates)
    t = scenario.n_lists
    if not names:
        return np.zeros((1, 0), dtype=np.int64), np.ones(1), np.zeros((1, t))
    ranges = [range(len(scenario.covariates[n]["levels"])) for n in names]
    levels = np.array(list(itertools.product(*ranges)), dtype=np.int64)
    probabilities = np.ones(levels.shape[0])
    offsets = np.zeros((levels.shape[0], t))
    for k, name in enumerate(names):
        spec = scenario.covariates[name]
        probabilities *= np.asarray(spec["probabilities"])[levels[:, k]]
        offsets += np.log(np.asarray(spec["odds_ratios"], dtype=float))[levels[:, k]]
    return levels, probabilities, offsets


def _stratum_cell_probabilities(scenario: Scenario, offsets: np.ndarray) -> np.ndarray:
    """Cell probabilities ``(S, 2**t)`` for capture-logit offsets ``(S, t)``."""
    histories = history_matrix(scenario.n_lists)
    h = histories.astype(float)
    weights, logits = _components(scenario)
    tilt = _interaction_offsets(scenario, histories)
    out = np.empty((offsets.shape[0], histories.shape[0]))
    for s, offset in enumerate(offsets):
        eta = logits + offset[None, :]  # (C, t)
        log_cells = h @ special.log_expit(eta).T + (1.0 - h) @ special.log_expit(-eta).T  # (2**t, C)
        log_cells = log_cells + tilt[:, None]
        # Interactions and exclusions act within each component, each renormalised to a distribution.
        log_cells -= special.logsumexp(log_cells, axis=0, keepdims=True)
        out[s] = np.exp(log_cells) @ weights
    out /= out.sum(axis=1, keepdims=True)
    return out


def cell_probabilities(scenario: Scenario) -> np.ndarray:
    """The probability of each of the ``2**t`` capture histories for a person drawn from the population.

    Indexed like :meth:`mse.CaptureData.dense_counts` (first list the most
    significant bit; cell 0 is the unobserved history), averaged over strata.

    Parameters
    ----------
    scenario
        The population and its lists.

    Returns
    -------
    numpy.ndarray
        ``2**t`` probabilities that sum to one.

    Examples
    --------
    >>> from mse.simulate import Scenario
    >>> cell_probabilities(Scenario(100, [0.5, 0.2])).round(2)
    array([0.4, 0.1, 0.4, 0.1])
    """
    _, probabilities, offsets = _strata(scenario)
    return probabilities @ _stratum_cell_probabilities(scenario, offsets)


@dataclass(frozen=True, eq=False)
class Truth:
    """What a simulated data set was drawn from, and what was drawn.

    Attributes
    ----------
    population_size : int
        ``N``.
    n_observed : int
        People on at least one list.
    dark_figure : int
        People on no list, ``N - n_observed``.
    lists : tuple of str
        The list names.
    cell_probabilities : numpy.ndarray
        Expected probability of each of the ``2**t`` histories (see :func:`cell_probabilities`).
    cell_counts : numpy.ndarray
        The drawn count of each history, cell 0 included (people on no list).
    strata : pandas.DataFrame or None
        With covariates: one row per combination of covariate levels with
        ``population_size``, ``observed`` and ``dark_figure``.

    Examples
    --------
    >>> from mse.simulate import Scenario, generate
    >>> data, truth = generate(Scenario(1000, [0.3, 0.4, 0.5]), random_seed=1)
    >>> truth.population_size, truth.n_observed, truth.dark_figure
    (1000, 794, 206)
    """

    population_size: int
    n_observed: int
    dark_figure: int
    lists: tuple[str, ...]
    cell_probabilities: np.ndarray = field(repr=False)
    cell_counts: np.ndarray = field(repr=False)
    strata: pd.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "population_size": self.population_size,
            "n_observed": self.n_observed,
            "dark_figure": self.dark_figure,
            "lists": list(self.lists),
            "cell_probabilities": self.cell_probabilities.tolist(),
            "cell_counts": self.cell_counts.tolist(),
            "strata": None if self.strata is None else self.strata.to_dict(orient="list"),
        }


def _thin_missing(
    scenario: Scenario,
    rng: np.random.Generator,
    levels: np.ndarray,
    codes: np.ndarray,
    counts: np.ndarray,
    histories: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each observed row into people whose covariate value was recorded and those whose value is missing."""
    for k, name in enumerate(scenario.covariates):
        spec = scenario.missing_covariates.get(name)
        if spec is None:
            continue
        if "rate" in spec:
            rate = np.full(codes.shape, spec["rate"])
        else:
            per_list = np.array([spec["rate_by_list"][n] for n in scenario.lists])
            # Missing only when every list the person is on failed to record it.
            rate = np.prod(np.where(histories[codes] == 1, per_list[None, :], 1.0), axis=1)
        missing = rng.binomial(counts, rate)
        missing_levels = levels.copy()
        missing_levels[:, k] = -1
        levels = np.concatenate([levels, missing_levels])
        codes = np.concatenate([codes, codes])
        counts = np.concatenate([counts - missing, missing])
    keep = counts > 0
    return levels[keep], codes[keep], counts[keep]


def generate(scenario: Scenario, random_seed: int | np.random.SeedSequence | None = None) -> tuple[CaptureData, Truth]:
    """Draw one data set from ``scenario``.

    Parameters
    ----------
    scenario
        The population and its lists.
    random_seed
        An integer or a :class:`numpy.random.SeedSequence`; the same seed gives
        the same data.

    Returns
    -------
    data : CaptureData
        The observed histories (with the scenario's covariates, if any).
    truth : Truth
        ``N``, the dark figure, the cell probabilities and, with covariates,
        the size of each stratum.

    Raises
    ------
    DataError
        When nobody in the population was seen on any list.

    Notes
    -----
    The cost is ``O(S * C * 2**t)`` for ``S`` covariate strata and ``C``
    mixture components or quadrature nodes, whatever ``N``. Drawing one
    multinomial from the mixture of cell distributions is the same, in law, as
    drawing each person's class and then their histories.

    Examples
    --------
    >>> from mse.simulate import Scenario, generate
    >>> data, truth = generate(Scenario(1000, [0.3, 0.4, 0.5]), random_seed=1)
    >>> data.n_observed + truth.dark_figure == truth.population_size == 1000
    True
    """
    if not isinstance(scenario, Scenario):
        from mse.errors import ModelError

        raise ModelError(f"generate() needs a mse.simulate.Scenario, got {type(scenario).__name__}.")
    rng = np.random.default_rng(check_random_seed(random_seed, allow_sequence=True))
    t = scenario.n_lists
    histories = history_matrix(t)
    levels, stratum_probabilities, offsets = _strata(scenario)
    cells = _stratum_cell_probabilities(scenario, offsets)
    stratum_sizes = rng.multinomial(scenario.population_size, stratum_probabilities)
    counts = rng.multinomial(stratum_sizes, cells)  # (S, 2**t)
    cell_counts = counts.sum(axis=0)

    stratum_index, codes = np.nonzero(counts[:, 1:])
    codes = codes + 1
    row_counts = counts[stratum_index, codes]
    row_levels = levels[stratum_index]
    row_levels, codes, row_counts = _thin_missing(scenario, rng, row_levels, codes, row_counts, histories)

    frame = pd.DataFrame(histories[codes].astype(np.int64), columns=list(scenario.lists))
    for k, (name, spec) in enumerate(scenario.covariates.items()):
        frame[name] = pd.Categorical.from_codes(row_levels[:, k], categories=spec["levels"])
    frame["count"] = row_counts
    data = CaptureData.from_counts(frame, lists=list(scenario.lists), covariates=list(scenario.covariates))

    strata = None
    if scenario.covariates:
        strata = pd.DataFrame(
            {
                name: [spec["levels"][i] for i in levels[:, k]]
                for k, (name, spec) in enumerate(scenario.covariates.items())
            }
        )
        strata["population_size"] = stratum_sizes
        strata["observed"] = stratum_sizes - counts[:, 0]
        strata["dark_figure"] = counts[:, 0]
    cell_probs = stratum_probabilities @ cells
    cell_probs.flags.writeable = False
    cell_counts.flags.writeable = False
    truth = Truth(
        population_size=scenario.population_size,
        n_observed=int(scenario.population_size - cell_counts[0]),
        dark_figure=int(cell_counts[0]),
        lists=scenario.lists,
        cell_probabilities=cell_probs,
        cell_counts=cell_counts,
        strata=strata,
    )
    return data, truth
