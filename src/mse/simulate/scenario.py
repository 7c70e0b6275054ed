"""A declarative, serialisable description of a population and how it is listed.

A :class:`Scenario` says everything a simulation needs to know and nothing
about how to draw from it: the population size, each list's capture
probability, heterogeneity of capture between people, dependence between
lists, covariates and their effects, missing covariate values, and pairs of
lists that never share anybody. It is a frozen dataclass that round-trips
through a plain dictionary and JSON, so a study can be written down, shared
and rerun exactly.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mse.data.validation import MAX_COUNT
from mse.errors import ModelError

__all__ = ["HETEROGENEITY_KINDS", "MAX_SIMULATED_LISTS", "Scenario"]

#: Heterogeneity models understood by :class:`Scenario` (``"rasch"`` is an alias of ``"logit_normal"``).
HETEROGENEITY_KINDS = ("latent_class", "logit_normal", "rasch", "beta")

#: The generators work on all ``2**t`` cells; beyond this the table is too large to be cheap.
MAX_SIMULATED_LISTS = 20


def _default_list_names(t: int) -> tuple[str, ...]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return tuple(letters[i] if t <= len(letters) else f"L{i + 1}" for i in range(t))


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ModelError(f"{what} must be a number, got {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ModelError(f"{what} must be finite, got {value!r}.")
    return number


def _probability_vector(values: Any, what: str, length: int | None = None) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence | np.ndarray):
        raise ModelError(f"{what} must be a sequence of probabilities, got {values!r}.")
    numbers = [_number(v, f"each entry of {what}") for v in values]
    if length is not None and len(numbers) != length:
        raise ModelError(f"{what} needs {length} entries, got {len(numbers)}.")
    if any(p <= 0 for p in numbers):
        raise ModelError(f"{what} must be positive, got {numbers}.")
    if not math.isclose(sum(numbers), 1.0, rel_tol=0, abs_tol=1e-8):
        raise ModelError(f"{what} must add up to 1, got {numbers} (sum {sum(numbers):.6g}).")
    return numbers


def _term_key(key: Any, lists: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(part.strip() for part in key.split(":")) if isinstance(key, str) else tuple(key)
    unknown = [n for n in names if n not in lists]
    if unknown:
        raise ModelError(f"interaction {key!r} names unknown list(s) {unknown}; the lists are {list(lists)}.")
    if len(set(names)) != len(names) or len(names) < 2:
        raise ModelError(
            f"an interaction needs two or more distinct lists, got {key!r}; write it as ('A', 'B') or 'A:B'."
        )
    return tuple(sorted(names, key=lists.index))


def _check_names(names: Sequence[str], role: str) -> None:
    """Raise unless every name can be written in a model string, as for the data (see ``check_column_names``)."""
    bad = [n for n in names if ":" in n or "+" in n or n != n.strip() or not n.isprintable()]
    if bad:
        raise ModelError(
            f"{role} name(s) {bad} hold ':', '+', surrounding whitespace or control characters, which model strings "
            "('A:B + B:C') cannot hold; rename them."
        )


@dataclass(frozen=True)
class Scenario:
    """A closed population of known size, listed by ``t`` lists.

    Parameters
    ----------
    population_size
        ``N``, the number of people in the population (an integer >= 1).
    capture_probabilities
        One baseline capture probability per list, each in (0, 1). With
        heterogeneity these are the probabilities of a person at the centre of
        the heterogeneity distribution (see ``heterogeneity``); covariate
        effects and interactions modify them.
    lists
        The list names; ``"A"``, ``"B"``, ... by default.
    heterogeneity
        How capture varies between people, or ``None`` for none. One of

        * ``{"kind": "latent_class", "weights": [...], "multipliers": [...]}``:
          a finite mixture; a person of class ``k`` has capture odds multiplied
          by ``multipliers[k]`` on every list (or by ``multipliers[k][j]`` on
          list ``j`` when a class-by-list table is given).
        * ``{"kind": "logit_normal", "sd": s}`` (alias ``"rasch"``): a person
          effect ``theta ~ Normal(0, s**2)`` added to every list's capture
          logit, the Rasch model of Darroch et al. (1993).
        * ``{"kind": "beta", "concentration": c}``: each person's capture
          probability on list ``j`` is Beta with mean ``capture_probabilities[j]``
          and concentration ``c`` (smaller is more heterogeneous), the same
          quantile for a person on every list (catchable people are catchable
          everywhere). With equal probabilities this is model Mh with a beta
          mixing distribution (Burnham & Overton 1978).

    interactions
        Log-linear dependence between lists: ``{("A", "B"): 0.7}`` adds
        ``0.7`` to the log-probability of every history on both A and B (an
        odds ratio of ``exp(0.7)`` between A and B); keys may also be written
        ``"A:B"``; three-way terms are allowed.
    covariates
        Categorical covariates, ``{"sex": {"levels": ["f", "m"], "probabilities":
        [0.5, 0.5], "odds_ratios": [1.0, 2.0]}}``: people fall in levels with
        the given probabilities, and the capture odds of a person at a level are
        multiplied by its odds ratio, on every list, or per list when
        ``odds_ratios`` is ``{"A": [...], "B": [...]}`` (lists not named keep 1).
        Covariates are independent of each other.
    missing_covariates
        Missing covariate values among observed people:
        ``{"sex": {"rate": 0.1}}`` (missing completely at random), or
        ``{"sex": {"rate_by_list": {"A": 0.5}}}`` (each list fails to record
        the value with its rate; the value is missing when every list the
        person is on failed to record it; lists not named always record it).
    non_overlapping
        Pairs of lists that share nobody, ``[("A", "C")]``: histories on both
        have probability zero (the others are renormalised).
    name
        A label for reports.

    Raises
    ------
    ModelError
        When a field is malformed; the message names the field and the fix.

    Examples
    --------
    >>> from mse.simulate import Scenario
    >>> s = Scenario(
    ...     population_size=3000,
    ...     capture_probabilities=[0.15, 0.2, 0.25, 0.2],
    ...     heterogeneity={"kind": "latent_class", "weights": [0.6, 0.4], "multipliers": [0.3, 2.5]},
    ...     interactions={("A", "B"): 0.7},
    ... )
    >>> s.lists
    ('A', 'B', 'C', 'D')
    >>> Scenario.from_json(s.to_json()) == s
    True
    """

    population_size: int
    capture_probabilities: tuple[float, ...]
    lists: tuple[str, ...] = ()
    heterogeneity: dict[str, Any] | None = None
    interactions: dict[tuple[str, ...], float] = field(default_factory=dict)
    covariates: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing_covariates: dict[str, dict[str, Any]] = field(default_factory=dict)
    non_overlapping: tuple[tuple[str, str], ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        size: Any = self.population_size
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            if isinstance(size, float) and size.is_integer() and size >= 1:
                size = int(size)
            else:
                raise ModelError(f"population_size must be a positive integer, got {size!r}.")
        if size > MAX_COUNT:
            raise ModelError(
                f"population_size must be at most 2**62, got {self.population_size!r}: "
                "the largest count held exactly; simulate a smaller population."
            )
        set_ = object.__setattr__
        set_(self, "population_size", int(size))
        probs = self.capture_probabilities
        if isinstance(probs, (str, bytes)) or not isinstance(probs, Sequence | np.ndarray):
            raise ModelError(f"capture_probabilities must be a sequence with one probability per list, got {probs!r}.")
        probs = tuple(_number(p, "each capture probability") for p in probs)
        if len(probs) < 2:
            raise ModelError(f"a scenario needs at least two lists, got {len(probs)} capture probabilities.")
        if len(probs) > MAX_SIMULATED_LISTS:
            raise ModelError(f"at most {MAX_SIMULATED_LISTS} lists can be simulated, got {len(probs)}.")
        bad = [p for p in probs if not 0.0 < p < 1.0]
        if bad:
            raise ModelError(f"capture probabilities must lie strictly between 0 and 1, got {bad}.")
        set_(self, "capture_probabilities", probs)
        t = len(probs)
        lists = tuple(self.lists) if self.lists else _default_list_names(t)
        if len(lists) != t:
            raise ModelError(f"lists has {len(lists)} names but there are {t} capture probabilities; give one each.")
        if len(set(lists)) != t or not all(isinstance(n, str) and n for n in lists):
            raise ModelError(f"list names must be distinct non-empty strings, got {list(lists)}.")
        _check_names(lists, "list")
        set_(self, "lists", lists)
        set_(self, "heterogeneity", self._check_heterogeneity(self.heterogeneity))
        interactions: dict[tuple[str, ...], float] = {}
        for key, value in dict(self.interactions or {}).items():
            term = _term_key(key, lists)
            if term in interactions:
                raise ModelError(f"interaction {':'.join(term)} is given twice.")
            interactions[term] = _number(value, f"the interaction {':'.join(term)}")
        set_(self, "interactions", interactions)
        set_(self, "covariates", self._check_covariates(self.covariates))
        set_(self, "missing_covariates", self._check_missing(self.missing_covariates))
        pairs = []
        for pair in self.non_overlapping or ():
            term = _term_key(pair, lists)
            if len(term) != 2:
                raise ModelError(f"non_overlapping takes pairs of lists, got {pair!r}.")
            if term not in pairs:
                pairs.append(term)
        set_(self, "non_overlapping", tuple(pairs))
        if not isinstance(self.name, str):
            raise ModelError(f"name must be a string, got {self.name!r}.")

    # ------------------------------------------------------------------ validation
    def _check_heterogeneity(self, spec: Any) -> dict[str, Any] | None:
        if spec is None:
            return None
        if not isinstance(spec, Mapping) or "kind" not in spec:
            raise ModelError(
                f"heterogeneity must be None or a dict with a 'kind' in {list(HETEROGENEITY_KINDS)}, got {spec!r}."
            )
        kind = spec["kind"]
        keys = set(spec) - {"kind"}
        t = len(self.capture_probabilities)
        if kind == "latent_class":
            allowed = {"weights", "multipliers"}
            if keys != allowed:
                raise ModelError(
                    f"latent_class heterogeneity needs exactly the keys {sorted(allowed)}, got {sorted(keys)}."
                )
            weights = _probability_vector(spec["weights"], "latent class weights")
            multipliers = spec["multipliers"]
            if isinstance(multipliers, np.ndarray):
                multipliers = multipliers.tolist()
            if not isinstance(multipliers, Sequence) or len(multipliers) != len(weights):
                raise ModelError(
                    f"latent_class needs one multiplier (or one row of {t} per-list multipliers) per class "
                    f"({len(weights)}), got {multipliers!r}."
                )
            rows: list[Any] = []
            for row in multipliers:
                if isinstance(row, Sequence | np.ndarray) and not isinstance(row, str):
                    values = [_number(v, "a latent class multiplier") for v in row]
                    if len(values) != t:
                        raise ModelError(f"a per-list row of class multipliers needs {t} entries, got {len(values)}.")
                    rows.append(values)
                else:
                    rows.append(_number(row, "a latent class multiplier"))
            flat = [v for r in rows for v in (r if isinstance(r, list) else [r])]
            if any(v <= 0 for v in flat):
                raise ModelError(f"latent class multipliers multiply odds and must be positive, got {flat}.")
            return {"kind": kind, "weights": weights, "multipliers": rows}
        if kind in ("logit_normal", "rasch"):
            if keys - {"sd", "nodes"} or "sd" not in keys:
                raise ModelError(f"{kind} heterogeneity takes 'sd' (and optionally 'nodes'), got {sorted(keys)}.")
            sd = _number(spec["sd"], f"{kind} sd")
            if sd < 0:
                raise ModelError(f"{kind} sd must be >= 0, got {sd}.")
            nodes = spec.get("nodes", 40)
            if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or not 2 <= nodes <= 400:
                raise ModelError(f"nodes (quadrature points) must be an integer in [2, 400], got {nodes!r}.")
            return {"kind": kind, "sd": sd, "nodes": int(nodes)}
        if kind == "beta":
            if keys - {"concentration", "nodes"} or "concentration" not in keys:
                raise ModelError(
                    f"beta heterogeneity takes 'concentration' (and optionally 'nodes'), got {sorted(keys)}."
                )
            concentration = _number(spec["concentration"], "beta concentration")
            if concentration <= 0:
                raise ModelError(f"beta concentration must be positive, got {concentration}.")
            nodes = spec.get("nodes", 100)
            if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or not 2 <= nodes <= 1000:
                raise ModelError(f"nodes (quadrature points) must be an integer in [2, 1000], got {nodes!r}.")
            return {"kind": kind, "concentration": concentration, "nodes": int(nodes)}
        raise ModelError(f"unknown heterogeneity kind {kind!r}; choose one of {list(HETEROGENEITY_KINDS)}.")

    def _check_covariates(self, specs: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(specs, Mapping):
            raise ModelError(f"covariates must be a dict name -> specification, got {specs!r}.")
        checked: dict[str, dict[str, Any]] = {}
        for name, spec in specs.items():
            if not isinstance(name, str) or not name or name in self.lists:
                raise ModelError(f"covariate names must be non-empty strings different from list names, got {name!r}.")
            _check_names([name], "covariate")
            if not isinstance(spec, Mapping) or not {"levels", "probabilities"} <= set(spec):
                raise ModelError(
                    f"covariate {name!r} needs 'levels' and 'probabilities' (and optionally 'odds_ratios'), "
                    f"got {spec!r}."
                )
            extra = set(spec) - {"levels", "probabilities", "odds_ratios"}
            if extra:
                raise ModelError(f"covariate {name!r} has unknown key(s) {sorted(extra)}.")
            levels = list(spec["levels"])
            if len(levels) < 1 or len(set(map(str, levels))) != len(levels):
                raise ModelError(f"covariate {name!r} needs distinct levels, got {levels!r}.")
            probabilities = _probability_vector(spec["probabilities"], f"level probabilities of {name!r}", len(levels))
            ratios = spec.get("odds_ratios")
            table = [[1.0] * len(self.lists) for _ in levels]
            if ratios is None:
                pass
            elif isinstance(ratios, Mapping):
                for list_name, values in ratios.items():
                    if list_name not in self.lists:
                        raise ModelError(
                            f"odds_ratios of {name!r} name unknown list {list_name!r}; lists: {self.lists}."
                        )
                    column = [_number(v, f"an odds ratio of {name!r}") for v in values]
                    if len(column) != len(levels):
                        raise ModelError(f"odds_ratios of {name!r} for list {list_name!r} need one per level.")
                    for i, v in enumerate(column):
                        table[i][self.lists.index(list_name)] = v
            else:
                values = list(ratios)
                if len(values) != len(levels):
                    raise ModelError(f"odds_ratios of {name!r} need one per level ({len(levels)}), got {values!r}.")
                for i, v in enumerate(values):
                    if isinstance(v, Sequence) and not isinstance(v, str):
                        row = [_number(x, f"an odds ratio of {name!r}") for x in v]
                        if len(row) != len(self.lists):
                            raise ModelError(
                                f"a per-list row of odds ratios of {name!r} needs {len(self.lists)} entries."
                            )
                        table[i] = row
                    else:
                        table[i] = [_number(v, f"an odds ratio of {name!r}")] * len(self.lists)
            if any(v <= 0 for row in table for v in row):
                raise ModelError(f"odds ratios of {name!r} must be positive.")
            checked[name] = {"levels": levels, "probabilities": probabilities, "odds_ratios": table}
        return checked

    def _check_missing(self, specs: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(specs, Mapping):
            raise ModelError(f"missing_covariates must be a dict covariate -> specification, got {specs!r}.")
        checked: dict[str, dict[str, Any]] = {}
        for name, spec in specs.items():
            if name not in self.covariates:
                raise ModelError(f"missing_covariates names {name!r}, which is not a covariate of the scenario.")
            if (
                not isinstance(spec, Mapping)
                or len(spec) != 1
                or not ({"rate"} >= set(spec) or {"rate_by_list"} >= set(spec))
            ):
                raise ModelError(
                    f"missing_covariates[{name!r}] must be {{'rate': r}} or {{'rate_by_list': {{list: r}}}}, "
                    f"got {spec!r}."
                )
            if "rate" in spec:
                rate = _number(spec["rate"], f"the missing rate of {name!r}")
                if not 0 <= rate < 1:
                    raise ModelError(f"the missing rate of {name!r} must be in [0, 1), got {rate}.")
                checked[name] = {"rate": rate}
            else:
                rates = [0.0] * len(self.lists)
                for list_name, value in dict(spec["rate_by_list"]).items():
                    if list_name not in self.lists:
                        raise ModelError(f"rate_by_list of {name!r} names unknown list {list_name!r}.")
                    rate = _number(value, f"the missing rate of {name!r} on {list_name!r}")
                    if not 0 <= rate <= 1:
                        raise ModelError(
                            f"the missing rate of {name!r} on {list_name!r} must be in [0, 1], got {rate}."
                        )
                    rates[self.lists.index(list_name)] = rate
                checked[name] = {"rate_by_list": dict(zip(self.lists, rates))}
        return checked

    # ------------------------------------------------------------------ properties
    @property
    def n_lists(self) -> int:
        """The number of lists ``t``."""
        return len(self.lists)

    @property
    def is_independent(self) -> bool:
        """Whether lists are independent for every person (no interactions, exclusions or heterogeneity)."""
        return not self.interactions and not self.non_overlapping and self.heterogeneity is None

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; :meth:`from_dict` rebuilds an equal scenario."""
        return {
            "name": self.name,
            "population_size": self.population_size,
            "capture_probabilities": list(self.capture_probabilities),
            "lists": list(self.lists),
            "heterogeneity": copy.deepcopy(self.heterogeneity),
            "interactions": {":".join(k): v for k, v in self.interactions.items()},
            "covariates": copy.deepcopy(self.covariates),
            "missing_covariates": copy.deepcopy(self.missing_covariates),
            "non_overlapping": [list(p) for p in self.non_overlapping],
        }

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Scenario:
        """Build a scenario from :meth:`to_dict` output (or any dict of the constructor's arguments)."""
        if not isinstance(spec, Mapping):
            raise ModelError(f"Scenario.from_dict expects a dict, got {type(spec).__name__}.")
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(spec) - known
        if unknown:
            raise ModelError(f"unknown scenario field(s) {sorted(unknown)}; valid fields are {sorted(known)}.")
        required = [name for name in ("population_size", "capture_probabilities") if name not in spec]
        if required:
            raise ModelError(
                f"a scenario needs the field(s) {required}; for example "
                '{"population_size": 1000, "capture_probabilities": [0.3, 0.4, 0.5]}.'
            )
        return cls(**dict(spec))

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        """Rebuild a scenario from :meth:`to_json` output.

        Raises
        ------
        ModelError
            When ``text`` is not JSON or does not describe a valid scenario.
        """
        try:
            spec = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ModelError(f"a scenario must be JSON, as written by Scenario.to_json(): {exc}.") from None
        return cls.from_dict(spec)

    def __hash__(self) -> int:
        return hash(self.to_json(sort_keys=True))

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (scenarios are immutable)."""
        spec = self.to_dict()
        spec.update(changes)
        if "capture_probabilities" in changes and "lists" not in changes:
            if len(changes["capture_probabilities"]) != len(self.lists):
                spec["lists"] = ()
        return Scenario.from_dict(spec)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_cell_expectations(
        cls,
        expected: Sequence[float] | np.ndarray,
        lists: Sequence[str] | None = None,
        *,
        name: str = "",
        tol: float = 1e-8,
    ) -> Scenario:
        """The scenario whose cell probabilities are proportional to ``expected``.

        A fitted log-linear model gives an expected count for every one of the
        ``2**t`` cells, including the unobserved one. Its log-linear
        parameters are recovered exactly by Möbius inversion, so simulating
        from the returned scenario is simulating from the fitted model, as in
        the parametric studies of Chan, Silverman & Vincent (2021).

        Parameters
        ----------
        expected
            Positive expected counts of all ``2**t`` cells, indexed by the
            history read as binary with the first list most significant (cell 0
            is the unobserved history), as in :meth:`mse.CaptureData.dense_counts`.
        lists
            The list names.
        name
            A label for reports.
        tol
            Interactions smaller than this in absolute value are treated as 0.

        Returns
        -------
        Scenario
            With ``population_size`` the rounded total of ``expected``.

        References
        ----------
        Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems
        estimation for sparse capture data: inferential challenges when there
        are nonoverlapping lists. JASA 116(535), 1297-1306.

        Examples
        --------
        >>> s = Scenario.from_cell_expectations([400, 100, 100, 50], lists=["A", "B"])
        >>> s.population_size, s.capture_probabilities, s.interactions
        (650, (0.2, 0.2), {('A', 'B'): 0.6931...})
        """
        mu = np.asarray(expected, dtype=float)
        t = round(math.log2(mu.size)) if mu.size > 1 else 0
        if mu.ndim != 1 or mu.size != 2**t or t < 2:
            raise ModelError(f"expected needs 2**t cells for t >= 2 lists, got {mu.size} values.")
        if not np.all(np.isfinite(mu)) or np.any(mu <= 0):
            raise ModelError("expected cell counts must all be positive and finite (a log-linear model has no zeros).")
        log_mu = np.log(mu)
        # Möbius inversion: the coefficient of subset S is the alternating sum of log mu over subsets of S.
        coefficients = log_mu.copy()
        for bit in range(t):
            step = 1 << bit
            for code in range(mu.size):
                if code & step:
                    coefficients[code] -= coefficients[code ^ step]
        names = tuple(lists) if lists is not None else _default_list_names(t)
        # List j (first is the most significant bit) is bit t-1-j.
        main = [coefficients[1 << (t - 1 - j)] for j in range(t)]
        probabilities = [1.0 / (1.0 + math.exp(-m)) for m in main]
        interactions: dict[tuple[str, ...], float] = {}
        for code in range(mu.size):
            members = [names[j] for j in range(t) if code & (1 << (t - 1 - j))]
            if len(members) >= 2 and abs(coefficients[code]) > tol:
                interactions[tuple(members)] = float(coefficients[code])
        return cls(
            population_size=round(mu.sum()),
            capture_probabilities=tuple(probabilities),
            lists=names,
            interactions=interactions,
            name=name,
        )
