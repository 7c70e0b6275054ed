"""Hierarchical log-linear models over the lists: parsing, hierarchy and names.

A model is held as a frozenset of *interaction terms*, each a sorted tuple of
list positions of length two or more. Main effects (every list) and the
intercept are always in the model and are not stored. The set is closed under
taking sub-terms (hierarchy): ``"A:B:C"`` brings ``A:B``, ``A:C`` and ``B:C``.

Model strings join terms by ``+`` and lists within a term by ``:``
(``"LA:NG + NG:PF"``). ``"independence"`` (or an empty string) is the
main-effects model; ``"all two-way"`` and ``"all three-way"`` hold every term
up to that order. A sequence of tuples of list names is accepted as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from math import comb

from mse.errors import ModelError

__all__ = [
    "ModelSpec",
    "Term",
    "Terms",
    "all_k_way",
    "format_model",
    "generating_terms",
    "hierarchical_closure",
    "is_hierarchical",
    "k_way_terms",
    "parse_model",
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


def _split_term(text: str) -> list[str]:
    return [part.strip() for part in text.split(":")]


def parse_model(spec: ModelSpec, lists: Sequence[str]) -> Terms:
    """Read a model specification into a hierarchical set of interaction terms.

    Parameters
    ----------
    spec
        ``"A:B + B:C"``, ``"independence"``, ``"all two-way"``, ``"all three-way"``,
        a sequence of terms (``[("A", "B"), "B:C"]``), or an already parsed
        frozenset of position tuples.
    lists
        The list names, in the order of the data.

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
    """
    lists = list(lists)
    t = len(lists)
    if spec is None:
        return frozenset()
    if isinstance(spec, frozenset) and all(isinstance(x, tuple) and all(isinstance(i, int) for i in x) for x in spec):
        raw_terms: list[list[str]] = [[lists[i] for i in term] for term in spec if all(0 <= i < t for i in term)]
        if len(raw_terms) != len(spec):
            raise ModelError(f"model terms {sorted(spec)} refer to list positions outside 0..{t - 1}.")
    elif isinstance(spec, str):
        key = " ".join(spec.strip().lower().replace("_", " ").replace("-", " ").split())
        words = {" ".join(w.replace("-", " ").split()): order for w, order in _WORDS.items()}
        if key in words:
            order = words[key]
            return frozenset() if order == 1 else all_k_way(t, order)
        raw_terms = [_split_term(part) for part in spec.split("+")]
    else:
        try:
            items = list(spec)
        except TypeError:
            raise ModelError(
                f"a model is a string like 'A:B + B:C' or a sequence of terms, got {type(spec).__name__}."
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
            raise ModelError(
                f"malformed model {spec!r}: empty term; write terms like 'A:B + B:C' with lists from {lists}."
            )
        unknown = [name for name in names if name not in lists]
        if unknown:
            raise ModelError(f"model {spec!r} names unknown list(s) {unknown}; the lists are {lists}.")
        if len(set(names)) != len(names):
            raise ModelError(f"model term {':'.join(names)!r} repeats a list; each list may appear once per term.")
        if len(names) >= t:
            raise ModelError(
                f"model term {':'.join(names)!r} involves all {t} lists; the highest estimable order is {t - 1} "
                "(the full interaction would need the unobserved cell)."
            )
        positions.append(tuple(sorted(lists.index(name) for name in names)))
    return hierarchical_closure(term for term in positions if len(term) >= 2)
