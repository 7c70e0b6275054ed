"""Compiled loops over every decomposable graph: enumeration, and each graph's log density on a grid.

On seven lists there are 617,675 graphs, and the posterior of ``N`` needs each
one's log density at several hundred dark figures. Each log density is a
sparse ``+/-`` combination of a few rows of a per-subset table (about seven
on average: the cliques minus the separators). Done by a general sparse
product this allocates a matrix of hundreds of megabytes per call, which is
slower than the arithmetic; here the rows of a block of graphs are formed
into a small reusable buffer that stays in cache, and the per-graph and
per-dark-figure sums are taken from it before the next block.

The sums over a row are taken in the order of the row's non-zero entries,
with the coefficients (small integers) multiplied exactly, as a compressed
sparse row product does, so the log densities are the same numbers to the
last bit.

numba is imported with this module, which :mod:`mse.bayes.graphical` loads
on first use: compiled code is cached on disk, so later processes load it
instead of compiling.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "chordal_rows",
    "first_turns",
    "joined_lines",
    "log_density_block",
    "row_sums",
    "shifted_rows",
    "values_at",
]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _density_row(indptr, indices, data, r, table, common, row):  # pragma: no cover
    """Row ``r`` of ``coefficients @ table + common`` into ``row`` (terms added in storage order); its maximum.

    Log densities and their slopes on the grid are both rows of this form.
    """
    width = table.shape[1]
    for j in range(width):
        row[j] = 0.0
    for k in range(indptr[r], indptr[r + 1]):
        coefficient = data[k]
        term = table[indices[k]]
        for j in range(width):
            row[j] += coefficient * term[j]
    largest = -np.inf
    for j in range(width):
        value = row[j] + common[j]
        row[j] = value
        if value > largest:
            largest = value
    return largest


@njit(cache=True, nogil=True, error_model="numpy")
def log_density_block(indptr, indices, data, start, stop, table, common, out, row_max, column_max):  # pragma: no cover
    """Rows ``start:stop`` of ``coefficients @ table + common`` into ``out``, with their maxima.

    ``row_max[r - start]`` receives the largest value of row ``r``; ``column_max``
    is raised to the largest value of each column seen (the caller initialises it).
    """
    width = table.shape[1]
    for r in range(start, stop):
        row = out[r - start]
        row_max[r - start] = _density_row(indptr, indices, data, r, table, common, row)
        for j in range(width):
            if row[j] > column_max[j]:
                column_max[j] = row[j]


@njit(cache=True, nogil=True, error_model="numpy")
def shifted_rows(indptr, indices, data, start, stop, table, common, out, row_max, shifted):  # pragma: no cover
    """As :func:`log_density_block` without column maxima, and also ``shifted = out - row_max`` row by row.

    Each row is shifted while it is still in the processor's first-level cache.
    """
    width = table.shape[1]
    for r in range(start, stop):
        row = out[r - start]
        largest = _density_row(indptr, indices, data, r, table, common, row)
        row_max[r - start] = largest
        below = shifted[r - start]
        for j in range(width):
            below[j] = row[j] - largest


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "nsz"})
def row_sums(weights, row_max, population, row_sum, row_dot, column_total):  # pragma: no cover
    """Per row the sum of ``weights`` and its dot product with ``population``; per column the sum over rows
    of ``weights * exp(row_max - max(row_max))``, returning ``max(row_max)``.

    The order of the additions is left to the compiler (so that they run in vector registers): the
    sums agree with any other order to a few units in the last place.
    """
    size, width = weights.shape
    block_max = -np.inf
    for i in range(size):
        block_max = max(block_max, row_max[i])
    for j in range(width):
        column_total[j] = 0.0
    for i in range(size):
        row = weights[i]
        scale = np.exp(row_max[i] - block_max)
        total = 0.0
        dot = 0.0
        for j in range(width):
            total += row[j]
            dot += row[j] * population[j]
            column_total[j] += scale * row[j]
        row_sum[i] = total
        row_dot[i] = dot
    return block_max


@njit(cache=True, nogil=True, error_model="numpy")
def first_turns(indptr, indices, data, start, stop, table, common, lower):  # pragma: no cover
    """For graphs ``start:stop``, the first grid interval over which the slope turns from rising to falling.

    ``slope = coefficients @ table + common``; ``lower[g]`` receives the index ``j``
    of the first ``slope[j] > 0 >= slope[j + 1]``, or -1.
    """
    width = table.shape[1]
    slope = np.empty(width)
    for r in range(start, stop):
        _density_row(indptr, indices, data, r, table, common, slope)
        lower[r] = -1
        previous = slope[0]
        for j in range(width - 1):
            following = slope[j + 1]
            if previous > 0 and following <= 0:
                lower[r] = j
                break
            previous = following


@njit(cache=True, nogil=True, error_model="numpy")
def values_at(indptr, indices, data, rows, table, column, out):  # pragma: no cover
    """``out[i] = coefficients[rows[i]] @ table[:, column[i]]``: each graph at its own grid point."""
    for i in range(rows.size):
        row = rows[i]
        point = column[i]
        total = 0.0
        for k in range(indptr[row], indptr[row + 1]):
            total += data[k] * table[indices[k], point]
        out[i] = total


@njit(cache=True, nogil=True, error_model="numpy")
def chordal_rows(n_lists, pairs_i, pairs_j):  # pragma: no cover
    """Every chordal graph on ``n_lists`` vertices, by elimination of simplicial vertices.

    Graphs are the ``2**n_pairs`` edge masks in increasing order; bit ``k`` joins
    ``pairs_i[k]`` and ``pairs_j[k]``. At each step the lowest-numbered
    simplicial vertex ``v`` of the remaining graph, with remaining neighbours
    ``P``, adds ``+1`` on ``P | {v}`` and ``-1`` on ``P``; a graph left with no
    simplicial vertex is not chordal. Returns the chordal edge masks, the
    number of non-zero coefficients of each, and the non-zero (subset,
    coefficient) pairs in increasing order of subset within each graph.
    """
    t = n_lists
    n_pairs = pairs_i.size
    n_candidates = 1 << n_pairs
    n_subsets = 1 << t
    full = n_subsets - 1
    # Growable outputs: at most half the candidates are chordal beyond t = 3; grown on demand.
    capacity = 1024
    edges = np.empty(capacity, dtype=np.int64)
    lengths = np.empty(capacity, dtype=np.int64)
    subsets = np.empty(capacity * 2 * t, dtype=np.int64)
    values = np.empty(capacity * 2 * t, dtype=np.int64)
    n_found = 0
    n_entries = 0
    adjacency = np.zeros(t, dtype=np.int64)
    accumulator = np.zeros(n_subsets, dtype=np.int64)
    touched = np.zeros(2 * t, dtype=np.int64)
    for mask in range(n_candidates):
        for v in range(t):
            adjacency[v] = 0
        for k in range(n_pairs):
            if (mask >> k) & 1:
                adjacency[pairs_i[k]] |= 1 << pairs_j[k]
                adjacency[pairs_j[k]] |= 1 << pairs_i[k]
        remaining = full
        chordal = True
        n_touched = 0
        for _ in range(t):
            chosen = -1
            chosen_neighbours = 0
            for v in range(t):
                if not (remaining >> v) & 1:
                    continue
                neighbours = adjacency[v] & remaining
                simplicial = True
                for u in range(t):
                    if u != v and (neighbours >> u) & 1:
                        closed = adjacency[u] | (1 << u)
                        if (closed & neighbours) != neighbours:
                            simplicial = False
                            break
                if simplicial:
                    chosen = v
                    chosen_neighbours = neighbours
                    break
            if chosen < 0:
                chordal = False
                break
            family = chosen_neighbours | (1 << chosen)
            accumulator[family] += 1
            touched[n_touched] = family
            n_touched += 1
            accumulator[chosen_neighbours] -= 1
            touched[n_touched] = chosen_neighbours
            n_touched += 1
            remaining &= ~(1 << chosen)
        if chordal:
            if n_found == capacity:
                capacity *= 2
                edges = _grow(edges, capacity)
                lengths = _grow(lengths, capacity)
                subsets = _grow(subsets, capacity * 2 * t)
                values = _grow(values, capacity * 2 * t)
            # Non-zero coefficients in increasing order of subset; the empty set's term is zero, so it is left out.
            touched_sorted = np.sort(touched[:n_touched])
            count = 0
            last = -1
            for i in range(n_touched):
                s = touched_sorted[i]
                if s == last:
                    continue
                last = s
                if s != 0 and accumulator[s] != 0:
                    subsets[n_entries + count] = s
                    values[n_entries + count] = accumulator[s]
                    count += 1
            edges[n_found] = mask
            lengths[n_found] = count
            n_found += 1
            n_entries += count
        for i in range(n_touched):
            accumulator[touched[i]] = 0
    return edges[:n_found].copy(), lengths[:n_found].copy(), subsets[:n_entries].copy(), values[:n_entries].copy()


@njit(cache=True, nogil=True)
def _grow(array, size):  # pragma: no cover
    grown = np.empty(size, dtype=array.dtype)
    grown[: array.size] = array
    return grown


@njit(cache=True, nogil=True)
def joined_lines(pool, offset, length, start, masks, rows):  # pragma: no cover
    """The lines ``label + " + " + label ...`` of graphs ``rows``, as bytes, each ending in a newline.

    Piece ``p`` is ``pool[offset[p] : offset[p] + length[p]]``: the label of subset mask ``p``, then
    (after the ``2**t`` labels) the separator and the word for a graph without cliques.
    """
    separator = offset.size - 2
    empty = offset.size - 1
    total = 0
    for g in rows:
        count = start[g + 1] - start[g]
        if count == 0:
            total += length[empty] + 1
        else:
            for k in range(start[g], start[g + 1]):
                total += length[masks[k]]
            total += (count - 1) * length[separator] + 1
    text = np.empty(total, dtype=np.uint8)
    position = 0
    for g in rows:
        if start[g + 1] == start[g]:
            position = _put(text, position, pool, offset[empty], length[empty])
        for k in range(start[g], start[g + 1]):
            if k > start[g]:
                position = _put(text, position, pool, offset[separator], length[separator])
            position = _put(text, position, pool, offset[masks[k]], length[masks[k]])
        text[position] = 10  # newline
        position += 1
    return text


@njit(cache=True, nogil=True, inline="always")
def _put(text, position, pool, begin, size):  # pragma: no cover
    for i in range(size):
        text[position + i] = pool[begin + i]
    return position + size
