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
All ``2**(t(t-1)/2)`` graphs are tested, with bit operations in a compiled
loop (:func:`mse.bayes.graphical.kernels.chordal_rows`), and from six lists
the result is kept on disk (:mod:`mse.bayes.graphical.graph_cache`), so that
each machine enumerates the 617,675 graphs on seven lists once.

Subsets of lists are bit masks: bit ``i`` stands for the ``i``-th list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import combinations

import numpy as np
import scipy.sparse as sp

from mse.bayes.graphical import graph_cache

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
        start, masks = self._interaction_cliques
        labels = [":".join(names[i] for i in range(t) if m >> i & 1) for m in range(1 << t)]
        if any("\n" in label for label in labels):
            listed = masks.tolist()
            terms = [" + ".join(labels[m] for m in listed[start[k] : start[k + 1]]) for k in rows.tolist()]
            return [term or "independence" for term in terms]
        return _joined_terms(labels, start, masks, rows)

    @cached_property
    def _interaction_cliques(self) -> tuple[np.ndarray, np.ndarray]:
        """The cliques of two or more lists of every graph, in the order of their tuples of list positions.

        As CSR arrays: graph ``g``'s cliques are ``masks[start[g] : start[g + 1]]``. Computed once per
        enumeration, so that tables of graph terms cost only the joining of their labels.
        """
        order = self._mask_order()
        matrix = self.coefficients
        # Rank the columns, sort each row, and map the ranks back to masks (sorting works in place: copies).
        ranked = sp.csr_matrix((matrix.data.copy(), order[matrix.indices], matrix.indptr.copy()), shape=matrix.shape)
        ranked.sort_indices()
        masks = np.argsort(order)[ranked.indices]
        sizes = np.array([bin(m).count("1") for m in range(1 << self.n_lists)])
        interaction = (ranked.data > 0) & (sizes[masks] >= 2)
        owner = np.repeat(np.arange(self.n_graphs), np.diff(ranked.indptr))
        counts = np.bincount(owner[interaction], minlength=self.n_graphs)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return start, masks[interaction].astype(np.int64)

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


def _joined_terms(labels: list[str], start: np.ndarray, masks: np.ndarray, rows: np.ndarray) -> list[str]:
    """``" + ".join`` of the labels of each graph's cliques (``masks[start[g] : start[g + 1]]``), or ``"independence"``.

    Joining strings one graph at a time takes seconds for the 600,000 graphs on seven lists. Here the
    text of every graph, one per line, is assembled as a single byte array by a compiled loop and
    split once; no label may contain a newline.
    """
    from mse.bayes.graphical.kernels import joined_lines

    pieces = [label.encode() for label in labels] + [b" + ", b"independence"]
    length = np.array([len(piece) for piece in pieces], dtype=np.int64)
    offset = np.concatenate([[0], np.cumsum(length)[:-1]])
    pool = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    text = joined_lines(pool, offset, length, start, masks, rows)
    return text.tobytes().decode().split("\n")[:-1]


@lru_cache(maxsize=MAX_LISTS + 1)
def decomposable_graphs(n_lists: int) -> DecomposableGraphs:
    """Enumerate the decomposable graphs on ``n_lists`` labelled vertices.

    There are 2, 8, 61, 822, 18,154 and 617,675 of them on 2 to 7 vertices
    (OEIS A058862). The result is cached in memory for the process and, from
    six lists, on disk for later processes (see
    :mod:`mse.bayes.graphical.graph_cache`; ``MSE_CACHE_DIR=off`` turns that
    off): seven lists take about a second to enumerate, a tenth of that to load.

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
    rows = graph_cache.load_rows(t)
    if rows is None:
        rows = _enumerate(t, pairs)
        graph_cache.save_rows(t, rows)
    edges, lengths, subsets, values = rows
    indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int32)
    # Within each row the subsets increase, as in a canonical CSR matrix; the summation order of the
    # graph's log density follows them.
    coefficients = sp.csr_matrix(
        (values.astype(np.float64), subsets.astype(np.int32), indptr), shape=(edges.size, 1 << t)
    )
    return DecomposableGraphs(n_lists=t, edges=edges.astype(np.uint32), pairs=pairs, coefficients=coefficients)


def _enumerate(t: int, pairs: tuple[tuple[int, int], ...]) -> graph_cache.Rows:
    """Test every graph on ``t`` vertices for chordality (all at once, compiled), keeping the chordal ones' rows."""
    from mse.bayes.graphical.kernels import chordal_rows

    first = np.array([i for i, _ in pairs], dtype=np.int64)
    second = np.array([j for _, j in pairs], dtype=np.int64)
    edges, lengths, subsets, values = chordal_rows(t, first, second)
    return edges, lengths, subsets, values
