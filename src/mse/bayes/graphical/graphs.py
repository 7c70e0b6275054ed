"""Every decomposable (chordal) graph on ``t`` labelled lists, as compact arrays.

A graphical model's marginal likelihood under a hyper-Dirichlet prior factorises
over the cliques and separators of the graph (Dawid & Lauritzen, 1993). Here
each graph is stored as one row of a sparse matrix over the ``2**t`` subsets of
lists, with coefficient ``+1`` on every clique and ``-m`` on a separator that
occurs ``m`` times in a junction tree, so that the log marginal likelihood of
every graph is one sparse matrix product with a table of per-subset terms.

The rows are found by eliminating simplicial vertices: a graph is decomposable
exactly when its vertices can be removed one at a time, each one's remaining
neighbours forming a complete set. Removing vertex ``v`` with remaining
neighbours ``P`` contributes ``+1`` on ``P | {v}`` and ``-1`` on ``P``; summed
over the elimination these telescope to the cliques minus the separators.
All ``2**(t(t-1)/2)`` graphs are tested at once with bit operations.

Subsets of lists are bit masks: bit ``i`` stands for the ``i``-th list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np
import scipy.sparse as sp

__all__ = ["MAX_LISTS", "DecomposableGraphs", "decomposable_graphs"]

#: The largest number of lists handled (617,675 graphs on 7 lists; 8 lists would have about 30 million).
MAX_LISTS = 7


@dataclass(frozen=True)
class DecomposableGraphs:
    """All decomposable graphs on ``n_lists`` labelled vertices.

    Attributes
    ----------
    n_lists : int
        The number of vertices (lists).
    edges : numpy.ndarray
        ``(n_graphs,)`` unsigned integers; bit ``k`` says whether the ``k``-th
        pair of :attr:`pairs` is joined.
    pairs : tuple of (int, int)
        The vertex pairs in the order of the edge bits.
    coefficients : scipy.sparse.csr_matrix
        ``(n_graphs, 2**n_lists)``: ``+1`` on each clique, minus the
        multiplicity of each non-empty separator. Column 0 (the empty set,
        whose term is zero) is empty.

    Examples
    --------
    >>> from mse.bayes.graphical import decomposable_graphs
    >>> graphs = decomposable_graphs(3)
    >>> len(graphs.edges), graphs.pairs
    (8, ((0, 1), (0, 2), (1, 2)))
    """

    n_lists: int
    edges: np.ndarray
    pairs: tuple[tuple[int, int], ...]
    coefficients: sp.csr_matrix

    @property
    def n_graphs(self) -> int:
        """The number of decomposable graphs."""
        return int(self.edges.shape[0])

    def _mask_order(self) -> np.ndarray:
        """Rank of every subset mask when subsets are ordered by their tuples of list positions."""
        masks = sorted(range(1 << self.n_lists), key=lambda m: [i for i in range(self.n_lists) if m >> i & 1])
        rank = np.empty(1 << self.n_lists, dtype=np.int64)
        rank[masks] = np.arange(len(masks))
        return rank

    def cliques(self, index: int) -> list[int]:
        """The maximal cliques of graph ``index``, as bit masks in increasing order of their lists."""
        start, stop = self.coefficients.indptr[index], self.coefficients.indptr[index + 1]
        columns = self.coefficients.indices[start:stop]
        values = self.coefficients.data[start:stop]
        rank = self._mask_order()
        return sorted((int(c) for c, v in zip(columns, values) if v > 0), key=lambda m: rank[m])

    def terms(self, index: int, names: Sequence[str]) -> str:
        """Graph ``index`` in the library's term syntax (``"A:B:C + A:C:D"``).

        Cliques of one list are main effects, which every model has, so they
        are left out; the graph with no edges is ``"independence"``.
        """
        return self.all_terms(names, np.array([index]))[0]

    def all_terms(self, names: Sequence[str], rows: np.ndarray | None = None) -> list[str]:
        """:meth:`terms` for many graphs at once (all of them by default)."""
        t = self.n_lists
        rows = np.arange(self.n_graphs) if rows is None else np.asarray(rows, dtype=np.int64)
        block = self.coefficients[rows].tocoo()
        sizes = np.array([bin(m).count("1") for m in range(1 << t)])
        interaction = (block.data > 0) & (sizes[block.col] >= 2)
        graph, mask = block.row[interaction], block.col[interaction]
        order = np.lexsort((self._mask_order()[mask], graph))
        graph, mask = graph[order], mask[order]
        labels = [":".join(names[i] for i in range(t) if m >> i & 1) for m in range(1 << t)]
        bounds = np.searchsorted(graph, np.arange(rows.size + 1))
        masks = mask.tolist()
        terms = [" + ".join(labels[m] for m in masks[bounds[k] : bounds[k + 1]]) for k in range(rows.size)]
        return [term or "independence" for term in terms]

    def index_of(self, cliques: list[tuple[int, ...]]) -> int:
        """The row of the graph whose edges are those of the given cliques (tuples of list positions)."""
        bits = 0
        for k, (i, j) in enumerate(self.pairs):
            if any(i in c and j in c for c in cliques):
                bits |= 1 << k
        found = np.flatnonzero(self.edges == bits)
        if found.size != 1:
            raise ValueError(f"no decomposable graph has the cliques {cliques}")
        return int(found[0])


@lru_cache(maxsize=MAX_LISTS + 1)
def decomposable_graphs(n_lists: int) -> DecomposableGraphs:
    """Enumerate the decomposable graphs on ``n_lists`` labelled vertices.

    There are 2, 8, 61, 822, 18,154 and 617,675 of them on 2 to 7 vertices
    (OEIS A058862). The result is cached: 7 lists take a few seconds once.

    Parameters
    ----------
    n_lists
        Number of vertices, from 1 to :data:`MAX_LISTS`.

    Returns
    -------
    DecomposableGraphs

    Examples
    --------
    >>> decomposable_graphs(4).n_graphs
    61
    """
    if not 1 <= n_lists <= MAX_LISTS:
        raise ValueError(f"decomposable graphs are enumerated for 1 to {MAX_LISTS} lists, got {n_lists}")
    t = n_lists
    pairs = tuple(combinations(range(t), 2))
    graphs = np.arange(1 << len(pairs), dtype=np.uint32)
    adjacency = np.zeros((graphs.size, t), dtype=np.uint8)
    for k, (i, j) in enumerate(pairs):
        edge = ((graphs >> np.uint32(k)) & np.uint32(1)).astype(np.uint8)
        adjacency[:, i] |= edge << np.uint8(j)
        adjacency[:, j] |= edge << np.uint8(i)

    families = np.zeros((graphs.size, t), dtype=np.uint8)
    parents = np.zeros((graphs.size, t), dtype=np.uint8)
    remaining = np.full(graphs.size, (1 << t) - 1, dtype=np.uint8)
    alive = np.arange(graphs.size)
    for step in range(t):
        adj = adjacency[alive]
        rem = remaining[alive]
        simplicial = np.zeros((alive.size, t), dtype=bool)
        neighbours = np.empty((alive.size, t), dtype=np.uint8)
        for v in range(t):
            nbr = adj[:, v] & rem
            neighbours[:, v] = nbr
            ok = (rem >> np.uint8(v)) & np.uint8(1) == 1
            for u in range(t):
                if u == v:
                    continue
                has_u = (nbr >> np.uint8(u)) & np.uint8(1) == 1
                closed_u = adj[:, u] | np.uint8(1 << u)
                ok &= ~has_u | ((closed_u & nbr) == nbr)
            simplicial[:, v] = ok
        found = simplicial.any(axis=1)
        chosen = simplicial.argmax(axis=1)
        rows = np.arange(alive.size)
        nbr = neighbours[rows, chosen]
        families[alive, step] = nbr | (np.uint8(1) << chosen.astype(np.uint8))
        parents[alive, step] = nbr
        remaining[alive] = rem & ~(np.uint8(1) << chosen.astype(np.uint8))
        # A graph left with no simplicial vertex is not chordal.
        alive = alive[found]
    # After t rounds the survivors are exactly the chordal graphs.
    chordal = alive
    n_graphs = chordal.size
    rows = np.repeat(np.arange(n_graphs), 2 * t)
    columns = np.concatenate([families[chordal], parents[chordal]], axis=1).astype(np.int64).ravel()
    values = np.tile(np.concatenate([np.ones(t), -np.ones(t)]), n_graphs)
    # The empty set's term is identically zero, so its column is left empty.
    values[columns == 0] = 0.0
    coefficients = sp.csr_matrix((values, (rows, columns)), shape=(n_graphs, 1 << t))
    coefficients.sum_duplicates()
    coefficients.eliminate_zeros()
    return DecomposableGraphs(n_lists=t, edges=graphs[chordal], pairs=pairs, coefficients=coefficients)
