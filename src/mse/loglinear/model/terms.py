"""Hierarchical log-linear models over the lists: parsing, hierarchy and names.

A model is held as a frozenset of *interaction terms*, each a sorted tuple of
list positions of length two or more. Main effects (every list) and the
intercept are always in the model and are not stored. The set is closed under
taking sub-terms (hierarchy): ``"A:B:C"`` brings ``A:B``, ``A:C`` and ``B:C``.

Model strings join terms by ``+`` and lists within a term by ``:``
(``"LA:NG + NG:PF"``). ``"independence"`` (or an empty string) is the
main-effects model; ``"all two-way"`` and ``"all three-way"`` hold every term
up to that order. A sequence of tuples of list names is accepted as well.

Covariates
----------
With ``covariates=(...)`` the parser also accepts covariate names as factors
(``"P:sex + K:nationality + year"``). Factors are numbered lists first
(``0 .. t-1``), then covariates (``t, t+1, ...``), so a term such as ``P:sex``
is the tuple ``(index of P, t + index of sex)``. Main effects of the lists and
of every covariate in the model are always in (as in the models of van der
Heijden et al. 2012 and Cruyff et al. 2017): a term naming a single covariate
is allowed and adds nothing. One parser serves both: a model over the lists
alone is a model with no covariates (the factors are then the lists).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations, compress
from math import comb

import numpy as np

from mse.errors import ModelError

__all__ = [
    "ModelSpec",
    "Term",
    "Terms",
    "all_k_way",
    "format_covariate_model",
    "format_model",
    "format_models",
    "generating_terms",
    "hierarchical_closure",
    "is_hierarchical",
    "k_way_terms",
    "parse_model",
    "two_factor_terms",
]

Term = tuple[int, ...]
Terms = frozenset[Term]
ModelSpec = str | Sequence[str | Sequence[str]] | frozenset | None

_WORDS = {"independence": 1, "main effects": 1, "": 1, "all two-way": 2, "all three-way": 3, "all four-way": 4}
_ORDER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def k_way_terms(n_lists: int, order: int) -> list[Term]:
    """Every term of exactly ``order`` lists, in lexicographic order of list positions."""
    return [tuple(c) for c in combinations(range(n_lists), order)]


def all_k_way(n_lists: int, max_order: int) -> Terms:
    """The model with every interaction term of order 2 to ``max_order``.

    Raises
    ------
    ModelError
        If ``max_order`` reaches the number of lists: the ``t``-way term cannot be
        estimated, because the all-zero cell is not observed.
    """
    if max_order >= n_lists:
        raise ModelError(
            f"terms of order {max_order} need more than {n_lists} lists: with {n_lists} lists the highest estimable "
            f"order is {n_lists - 1} (the {n_lists}-way term would need the unobserved cell)."
        )
    return frozenset(term for order in range(2, max_order + 1) for term in k_way_terms(n_lists, order))


def hierarchical_closure(terms: Iterable[Term]) -> Terms:
    """Add every sub-term of order two or more, so the model is hierarchical."""
    closed: set[Term] = set()
    for term in terms:
        term = tuple(sorted(term))
        for order in range(2, len(term) + 1):
            closed.update(combinations(term, order))
    return frozenset(closed)


def is_hierarchical(terms: Iterable[Term]) -> bool:
    """Whether every sub-term (of order two or more) of each term is present."""
    terms = frozenset(terms)
    return hierarchical_closure(terms) == terms


def generating_terms(terms: Iterable[Term]) -> list[Term]:
    """The maximal terms (the generating class), ordered by order then position."""
    terms = frozenset(terms)
    maximal = [t for t in terms if not any(len(u) > len(t) and set(t) <= set(u) for u in terms)]
    return sorted(maximal, key=lambda t: (len(t), t))


def format_model(terms: Iterable[Term], lists: Sequence[str]) -> str:
    """The model in term syntax: its generating class, or ``"independence"``.

    Examples
    --------
    >>> format_model({(0, 1), (1, 2), (0, 1, 2), (0, 2)}, ["A", "B", "C"])
    'A:B:C'
    >>> format_model(set(), ["A", "B"])
    'independence'
    >>> format_model({(0, 1), (0, 2), (1, 2)}, ["A", "B", "C"])
    'all two-way'
    """
    terms = frozenset(terms)
    if not terms:
        return "independence"
    t = len(lists)
    if all(len(term) == 2 for term in terms):  # a graph: every edge is maximal
        if len(terms) == comb(t, 2) and t > 2:
            return "all two-way"
        return " + ".join(f"{lists[a]}:{lists[b]}" for a, b in sorted(terms))
    maximal = generating_terms(terms)
    for order, word in _ORDER_WORDS.items():
        size = sum(comb(t, k) for k in range(2, order + 1))
        if order < t and order <= 4 and len(terms) == size and terms == all_k_way(t, order) and len(maximal) > 1:
            return f"all {word}-way"
    return " + ".join(":".join(lists[i] for i in term) for term in maximal)


def format_models(present: np.ndarray, terms: Sequence[Term], lists: Sequence[str]) -> list[str]:
    """:func:`format_model` of many models at once, each given as a row of booleans over ``terms``.

    A model search names tens of thousands of models; finding their
    generating classes by one matrix product instead of model by model makes
    that cheap.

    Parameters
    ----------
    present
        ``(M, len(terms))``: which of ``terms`` each model has (hierarchical models).
    terms
        The candidate terms.
    lists
        The list names.

    Returns
    -------
    list of str
        The same strings as ``format_model`` gives for each model.

    Examples
    --------
    >>> terms = [(0, 1), (0, 2), (1, 2), (0, 1, 2)]
    >>> format_models([[True, True, True, True], [True, False, False, False]], terms, "ABC")
    ['A:B:C', 'A:B']
    """
    present = np.atleast_2d(np.asarray(present, dtype=bool))
    position = sorted(range(len(terms)), key=lambda j: (len(terms[j]), tuple(terms[j])))
    ordered = [tuple(terms[j]) for j in position]
    present = present[:, position]
    t = len(lists)
    # inside[i, j]: term j strictly contains term i, so term i is not in the generating class
    inside = np.array(
        [[len(u) > len(v) and set(v) <= set(u) for u in ordered] for v in ordered], dtype=np.int64
    ).reshape(len(ordered), len(ordered))
    maximal = present & ((present.astype(np.int64) @ inside.T) == 0)
    names = [":".join(lists[i] for i in term) for term in ordered]
    out = [" + ".join(compress(names, row)) if any(row) else "independence" for row in maximal.tolist()]
    n_maximal = maximal.sum(axis=1)
    known = set(ordered)
    for order, word in _ORDER_WORDS.items():
        if not (order < t and order <= 4):
            continue
        target = all_k_way(t, order)
        if not target <= known:
            continue
        every = (present == np.array([term in target for term in ordered])).all(axis=1) & (n_maximal > 1)
        for m in np.flatnonzero(every):
            out[m] = f"all {word}-way"
    return out


def _split_term(text: str) -> list[str]:
    return [part.strip() for part in text.split(":")]


def parse_model(spec: ModelSpec, lists: Sequence[str], covariates: Sequence[str] = ()) -> Terms:
    """Read a model specification into a hierarchical set of interaction terms.

    Parameters
    ----------
    spec
        ``"A:B + B:C"``, ``"independence"``, ``"all two-way"``, ``"all three-way"``,
        a sequence of terms (``[("A", "B"), "B:C"]``), or an already parsed
        frozenset of position tuples.
    lists
        The list names, in the order of the data.
    covariates
        Covariate names that may appear in terms as factors, numbered after the
        lists (see the module notes). ``"all two-way"`` then means every term of
        two factors (list x list, list x covariate, covariate x covariate).

    Returns
    -------
    frozenset of tuple of int
        Interaction terms (order two or more) as sorted list positions, closed
        under sub-terms.

    Raises
    ------
    ModelError
        For unknown lists, a list repeated within a term, an empty term, or a
        term of all ``t`` lists (not estimable).

    Examples
    --------
    >>> sorted(parse_model("A:B:C", ["A", "B", "C", "D"]))
    [(0, 1), (0, 1, 2), (0, 2), (1, 2)]
    >>> sorted(parse_model("all two-way", ["A", "B", "C"]))
    [(0, 1), (0, 2), (1, 2)]
    >>> sorted(parse_model("A:sex + year", ["A", "B", "C"], covariates=["sex", "year"]))
    [(0, 3)]
    """
    lists, covariates = list(lists), list(covariates)
    factors = lists + covariates
    t = len(lists)
    # Without covariates the factors are the lists; only the wording of the messages differs.
    example = "'A:B + B:sex'" if covariates else "'A:B + B:C'"
    if spec is None:
        return frozenset()
    if isinstance(spec, frozenset) and all(isinstance(x, tuple) and all(isinstance(i, int) for i in x) for x in spec):
        raw_terms: list[list[str]] = [
            [factors[i] for i in term] for term in spec if all(0 <= i < len(factors) for i in term)
        ]
        if len(raw_terms) != len(spec):
            kind = "factor" if covariates else "list"
            raise ModelError(f"model terms {sorted(spec)} refer to {kind} positions outside 0..{len(factors) - 1}.")
    elif isinstance(spec, str):
        key = " ".join(spec.strip().lower().replace("_", " ").replace("-", " ").split())
        words = {" ".join(w.replace("-", " ").split()): order for w, order in _WORDS.items()}
        if key in words:
            order = words[key]
            if order == 1:
                return frozenset()
            if not covariates:
                return all_k_way(t, order)
            if order == 2:
                return frozenset(two_factor_terms(t, len(covariates)))
            raise ModelError(
                f"{spec!r} is not available for models with covariates; name the terms, e.g. 'A:B + A:sex'."
            )
        raw_terms = [_split_term(part) for part in spec.split("+")]
    else:
        try:
            items = list(spec)
        except TypeError:
            raise ModelError(
                f"a model is a string like {example} or a sequence of terms, got {type(spec).__name__}."
            ) from None
        raw_terms = []
        for item in items:
            if isinstance(item, str):
                raw_terms.append(_split_term(item))
            else:
                try:
                    raw_terms.append([str(x).strip() for x in item])
                except TypeError:
                    raise ModelError(f"cannot read model term {item!r}; write terms like ('A', 'B').") from None
    positions: list[Term] = []
    for names in raw_terms:
        if not names or any(name == "" for name in names):
            available = f"lists from {lists} and covariates from {covariates}" if covariates else f"lists from {lists}"
            raise ModelError(f"malformed model {spec!r}: empty term; write terms like {example} with {available}.")
        unknown = [name for name in names if name not in factors]
        if unknown and covariates:
            raise ModelError(
                f"model {spec!r} names {unknown}, which are neither lists nor covariates of the data; the lists are "
                f"{lists} and the covariates {covariates}."
            )
        if unknown:
            raise ModelError(
                f"model {spec!r} names unknown list(s) {unknown}; the lists are {lists}. A covariate can enter a "
                "term only when the data carry it (build the data with covariates=[...])."
            )
        if len(set(names)) != len(names):
            what = "a factor; each may" if covariates else "a list; each list may"
            raise ModelError(f"model term {':'.join(names)!r} repeats {what} appear once per term.")
        if sum(name in lists for name in names) >= t:
            among, cells = (" among lists", "cells") if covariates else ("", "cell")
            raise ModelError(
                f"model term {':'.join(names)!r} involves all {t} lists; the highest estimable order{among} is "
                f"{t - 1} (the full interaction would need the unobserved {cells})."
            )
        positions.append(tuple(sorted(factors.index(name) for name in names)))
    return hierarchical_closure(term for term in positions if len(term) >= 2)


def two_factor_terms(n_lists: int, n_covariates: int) -> list[Term]:
    """Every estimable term of two factors (lists ``0..t-1``, covariates ``t..``), in lexicographic order.

    With two lists the list pair is left out: it would need the unobserved cell.
    """
    return [pair for pair in combinations(range(n_lists + n_covariates), 2) if not (n_lists == 2 and pair == (0, 1))]


def format_covariate_model(terms: Iterable[Term], factors: Sequence[str]) -> str:
    """A model over lists and covariates in term syntax: its generating class, or ``"independence"``.

    Examples
    --------
    >>> format_covariate_model({(0, 1), (1, 3)}, ["A", "B", "C", "sex"])
    'A:B + B:sex'
    """
    terms = frozenset(terms)
    if not terms:
        return "independence"
    return " + ".join(":".join(factors[i] for i in term) for term in generating_terms(terms))
