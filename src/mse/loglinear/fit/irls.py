"""Poisson maximum likelihood by Newton's method, vectorised over many models: the one solver.

Log-linear capture–recapture models are Poisson regressions on the observed
cells of the contingency table. Model search and the bootstrap fit thousands
of them on the same small table, so this solver fits a whole batch at once:
one shared design matrix holding every candidate column, a mask saying which
columns each model uses, a mask saying which cells it fits (cells dropped by
the extended MLE, for instance), and one count vector per model or one for all.

The iteration is Newton–Raphson on the Poisson log-likelihood (the canonical
link, so it coincides with iteratively reweighted least squares), with step
halving whenever a step fails to increase the likelihood, which keeps it
monotone on sparse tables where plain IRLS can overshoot.

Both entry points run the same iteration, :func:`newton_iterations`:

* :func:`fit_poisson` fits many models of one table (model search, the
  bootstrap of a search): one shared design, column and cell masks per model;
* :func:`newton_fit` fits one design, without masks, to many count vectors (a
  bootstrap of one covariate model, the M-steps of EM) from warm starts; its
  information matrices come from :class:`DesignInformation`, which keeps memory
  bounded on the large lists x covariates tables.

They differ only in how a Newton direction is solved and in the starting point.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from mse.budget import checkpoint

__all__ = [
    "MAX_ETA",
    "DesignInformation",
    "NewtonFits",
    "NewtonPath",
    "PoissonFits",
    "fit_poisson",
    "newton_fit",
    "newton_iterations",
    "precision_reached",
]

#: Largest linear predictor used in ``exp``: ``exp(700)`` is close to the largest finite double.
MAX_ETA = 700.0
#: Largest ``rows * columns**2 / 2`` (in doubles) for the precomputed outer products of :class:`DesignInformation`.
OUTER_LIMIT = 40_000_000


@dataclass(frozen=True)
class PoissonFits:
    """Results of a batch of Poisson fits; every array has the batch as its first axis.

    Attributes
    ----------
    coef : ndarray, shape (M, p)
        Coefficients; ``nan`` for columns a model does not use.
    cov : ndarray, shape (M, p, p)
        Inverse observed information (``nan`` outside a model's columns); shape
        ``(M, 1, 1)``, the variance of the coefficient of column 0 only, from
        ``fit_poisson(..., full_cov=False)``.
    fitted : ndarray, shape (M, n)
        Fitted means; 0 for cells a model does not fit.
    deviance : ndarray, shape (M,)
        Poisson deviance over the fitted cells.
    loglik : ndarray, shape (M,)
        Poisson log-likelihood over the fitted cells (with the ``log y!`` term).
    n_params : ndarray, shape (M,)
        Number of columns each model uses.
    n_cells : ndarray, shape (M,)
        Number of cells each model fits.
    converged : ndarray of bool, shape (M,)
        Whether the Newton iteration met its tolerance.
    boundary : ndarray of bool, shape (M,)
        Whether some coefficient diverges (the MLE is on the boundary, i.e. does
        not exist as a finite vector) or the information matrix is singular.
    iterations : ndarray, shape (M,)
        Newton iterations used.
    """

    coef: np.ndarray
    cov: np.ndarray
    fitted: np.ndarray
    deviance: np.ndarray
    loglik: np.ndarray
    n_params: np.ndarray
    n_cells: np.ndarray
    converged: np.ndarray
    boundary: np.ndarray
    iterations: np.ndarray

    @property
    def df(self) -> np.ndarray:
        """Residual degrees of freedom: fitted cells minus parameters."""
        return self.n_cells - self.n_params


def _as_batch(array: np.ndarray | None, default: np.ndarray, batch: int) -> np.ndarray:
    value = default if array is None else np.asarray(array)
    if value.ndim == default.ndim:
        value = np.broadcast_to(value, (batch, *value.shape))
    return value


def _objective(y: np.ndarray, eta: np.ndarray, cells: np.ndarray | None) -> np.ndarray:
    """Negative Poisson log-likelihood without the constant ``log y!``, over ``cells`` (all when None)."""
    mu = np.exp(np.minimum(eta, MAX_ETA))
    # A step that overshoots can make eta infinite or NaN, and y * eta then NaN; the caller treats a
    # non-finite objective as a worse one and halves the step, so NumPy's warning about it says nothing.
    with np.errstate(invalid="ignore", over="ignore"):
        terms = mu - y * eta
        return (terms if cells is None else np.where(cells, terms, 0.0)).sum(axis=1)


@dataclass(frozen=True)
class NewtonPath:
    """Where :func:`newton_iterations` stopped; every array has the batch as its first axis.

    Attributes
    ----------
    coef : ndarray, shape (B, p)
        Last coefficients.
    eta : ndarray, shape (B, n)
        Linear predictor at ``coef`` (offset included).
    converged : ndarray of bool
        The log-likelihood and the step met the tolerance.
    drifted : ndarray of bool
        The log-likelihood settled while some coefficient kept growing past
        ``boundary_coef`` (the MLE is on the boundary); disjoint from ``converged``.
    singular : ndarray of bool
        Some Newton direction could not be solved exactly (see ``direction``).
    iterations : ndarray of int
        Newton steps taken.
    """

    coef: np.ndarray
    eta: np.ndarray
    converged: np.ndarray
    drifted: np.ndarray
    singular: np.ndarray
    iterations: np.ndarray


#: ``direction(rows, mu, score) -> (step, singular)``: the Newton step of the models ``rows`` (``None``: all of
#: them) from their fitted means and scores ``(y - mu) @ design``, and which of them had a singular
#: information matrix (``None``: none).
Direction = Callable[[np.ndarray | None, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray | None]]


def precision_reached(change: np.ndarray, tol: float) -> np.ndarray:
    """How far each fit has come towards convergence, in [0, 1]: the digits of ``tol`` its last change has reached.

    An iteration's relative change of the log-likelihood falls geometrically
    (EM) or faster (Newton), so ``log(change) / log(tol)`` grows about evenly
    with the iterations and reaches 1 at convergence: a measure of work done
    for a progress bar when the number of iterations is not known in advance.

    Examples
    --------
    >>> precision_reached(np.array([1.0, 1e-5, 1e-12, 0.0, np.nan]), 1e-10).tolist()
    [0.0, 0.5, 1.0, 1.0, 0.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        digits = np.log(np.asarray(change, dtype=float)) / math.log(tol)
    return np.clip(np.nan_to_num(digits, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def newton_iterations(
    design: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    direction: Direction,
    *,
    offset: np.ndarray | None = None,
    cells: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-9,
    boundary_coef: float = 25.0,
    stage: str = "fitting log-linear models",
    on_progress: Callable[[float], object] | None = None,
) -> NewtonPath:
    """Newton–Raphson with step halving on a batch of Poisson log-likelihoods: the loop of every fit.

    Parameters
    ----------
    design
        ``(n, p)`` design shared by the batch.
    y
        ``(B, n)`` counts (0 outside ``cells``; may be fractional).
    coef
        ``(B, p)`` starting coefficients (0 in columns a model does not use); not modified.
    direction
        Solves the Newton system of the models still iterating (see :data:`Direction`); the step
        must be 0 in columns a model does not use.
    offset, cells
        ``(B, n)`` offset on the linear predictor and the cells each model fits (all when None).
    max_iter, tol
        Newton iterations and the relative tolerance on the log-likelihood change (and its square
        root on the step, relative to the largest coefficient).
    boundary_coef
        A model whose log-likelihood has settled while a coefficient exceeds this stops (``drifted``):
        on the boundary the coefficients drift off for ever, as in R's ``glm``.
    stage
        What the run is doing, for the time budget (:func:`mse.budget.checkpoint`).
    on_progress
        Told after each iteration the batch's mean :func:`precision_reached`
        (1 for a model that has stopped), a non-decreasing fraction for a
        progress bar; it does not change the fits.

    Returns
    -------
    NewtonPath

    Notes
    -----
    A step that does not decrease the negative log-likelihood (or makes it
    non-finite) is halved, up to 40 times, model by model; models leave the
    batch as they converge, so the cost follows the slowest ones only.
    """
    batch = y.shape[0]
    coef = np.array(coef, dtype=float)
    eta = coef @ design.T if offset is None else coef @ design.T + offset
    objective = _objective(y, eta, cells)
    converged = np.zeros(batch, dtype=bool)
    drifted = np.zeros(batch, dtype=bool)
    iterations = np.zeros(batch, dtype=int)
    singular = np.zeros(batch, dtype=bool)
    tol_step = math.sqrt(tol)
    active = np.arange(batch)
    reached = np.zeros(batch) if on_progress is not None else None
    for _ in range(max_iter):
        if active.size == 0:
            break
        checkpoint(stage)
        # while every model iterates, work on the arrays themselves rather than copies
        rows = None if active.size == batch else active
        a_coef, a_eta, a_y = (coef, eta, y) if rows is None else (coef[rows], eta[rows], y[rows])
        a_cells = cells if rows is None or cells is None else cells[rows]
        a_off = offset if rows is None or offset is None else offset[rows]
        mu = np.exp(np.minimum(a_eta, MAX_ETA))
        if a_cells is not None:
            mu = np.where(a_cells, mu, 0.0)
        step, failed = direction(rows, mu, (a_y - mu) @ design)
        if failed is not None:
            singular[active[failed]] = True
        old = objective[active]
        scale = np.ones(active.size)
        new_coef = a_coef + step
        new_eta = new_coef @ design.T if a_off is None else new_coef @ design.T + a_off
        new_objective = _objective(a_y, new_eta, a_cells)
        for _halving in range(40):
            worse = ~(new_objective <= old + 1e-12 * np.abs(old)) | ~np.isfinite(new_objective)
            if not worse.any():
                break
            scale[worse] *= 0.5
            new_coef[worse] = a_coef[worse] + scale[worse, None] * step[worse]
            new_eta[worse] = new_coef[worse] @ design.T if a_off is None else new_coef[worse] @ design.T + a_off[worse]
            new_objective[worse] = _objective(a_y[worse], new_eta[worse], None if a_cells is None else a_cells[worse])
        coef[active], eta[active], objective[active] = new_coef, new_eta, new_objective
        iterations[active] += 1
        with np.errstate(invalid="ignore"):
            # A fit whose objective or coefficients went non-finite gives a NaN change or step size, which is
            # not "< tol": it goes on until max_iter and is reported as not converged; NumPy's warning about
            # the NaN would add nothing to that.
            change = np.abs(old - new_objective) / (np.abs(new_objective) + 1.0)
            largest = np.max(np.abs(new_coef), axis=1)
            step_size = np.max(np.abs(scale[:, None] * step), axis=1) / (1.0 + largest)
        done = (change < tol) & (step_size < tol_step)
        # on the boundary the coefficients drift off for ever: stop once the likelihood has settled
        drifting = (change < tol) & (largest > boundary_coef) & ~done
        converged[active[done]] = True
        drifted[active[drifting]] = True
        if reached is not None and on_progress is not None:
            stopped = done | drifting
            reached[active] = np.maximum(reached[active], np.where(stopped, 1.0, precision_reached(change, tol)))
            on_progress(float(reached.mean()))
        active = active[~(done | drifting)]
    return NewtonPath(coef, eta, converged, drifted, singular, iterations)


def fit_poisson(
    design: np.ndarray,
    y: np.ndarray,
    *,
    column_mask: np.ndarray | None = None,
    cell_mask: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-9,
    boundary_coef: float = 25.0,
    chunk_size: int = 4096,
    full_cov: bool = True,
    on_chunk: Callable[[int], object] | None = None,
) -> PoissonFits:
    """Fit Poisson log-linear models ``log E[y] = offset + design @ coef`` by maximum likelihood.

    Parameters
    ----------
    design
        Shared design matrix, shape ``(n, p)``, holding every column any model uses.
    y
        Counts, shape ``(n,)`` (the same for every model) or ``(M, n)``.
    column_mask
        Boolean, shape ``(p,)`` or ``(M, p)``: the columns each model uses.
    cell_mask
        Boolean, shape ``(n,)`` or ``(M, n)``: the cells each model fits.
    offset
        Offset on the linear predictor, shape ``(n,)`` or ``(M, n)``.
    start
        Warm start, shape ``(p,)`` or ``(M, p)`` (entries of unused columns are ignored); default one
        weighted least-squares step on ``log(y + 1/2)``.
    max_iter, tol
        Newton iterations and the relative tolerance on the log-likelihood change
        and on the step.
    boundary_coef
        A coefficient larger than this in absolute value marks the fit as on the
        boundary (a fitted cell mean of about ``exp(-25)``: the MLE does not
        exist as a finite vector). Such a fit stops once its likelihood has
        converged, as R's ``glm`` does, and is reported with ``boundary=True``.
    chunk_size
        Models solved together; bounds memory for very large batches.
    full_cov
        Return each model's whole inverse information; with ``False``, ``cov``
        has shape ``(M, 1, 1)`` and holds the variance of the coefficient of
        column 0 only (what a population estimate needs), which saves building
        a ``(M, p, p)`` array for a model search.

    on_chunk
        Called with the number of models of each chunk once it is fitted (a
        progress bar's ``update``).

    Returns
    -------
    PoissonFits

    Notes
    -----
    Newton–Raphson for the canonical Poisson link, with step halving
    (McCullagh & Nelder 1989, §2.5). The information matrices of a chunk come
    from one matrix product, ``mu @ outer``, with ``outer`` the distinct cell-wise
    products of pairs of design columns (on a log-linear design most pairs
    share theirs, see :func:`_distinct_products`). Each model's columns are then packed into
    ``k x k`` systems, ``k`` the largest model of the chunk, with an identity
    block for the slots a model leaves unused, and the whole chunk is solved by
    one batched linear solve. Models are sorted by size before chunking, so the
    systems are hardly larger than the models. Unless given a warm start, the
    iteration starts from one weighted least-squares step on ``log(y + 1/2)``.
    The iteration itself is :func:`newton_iterations`.

    References
    ----------
    McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed. Chapman & Hall.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(3), [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> fit = fit_poisson(X, np.array([40.0, 30.0, 10.0]))
    >>> round(float(np.exp(fit.coef[0, 0])), 3)  # the independence model's dark figure: 40 * 30 / 10
    120.0
    """
    design = np.asarray(design, dtype=float)
    n, p = design.shape
    y = np.asarray(y, dtype=float)
    batch = max(
        1 if y.ndim == 1 else y.shape[0],
        1 if column_mask is None or np.ndim(column_mask) == 1 else np.shape(column_mask)[0],
        1 if cell_mask is None or np.ndim(cell_mask) == 1 else np.shape(cell_mask)[0],
        1 if offset is None or np.ndim(offset) == 1 else np.shape(offset)[0],
        1 if start is None or np.ndim(start) == 1 else np.shape(start)[0],
    )
    y_b = np.broadcast_to(y, (batch, n)) if y.ndim == 1 else y
    columns = _as_batch(column_mask, np.ones(p, dtype=bool), batch).astype(bool)
    cells = _as_batch(cell_mask, np.ones(n, dtype=bool), batch).astype(bool)
    # no offset (every model search) is not an array of zeros: it saves an addition per Newton step
    off = None if offset is None else _as_batch(offset, np.zeros(n), batch).astype(float)
    start_b = None if start is None else _as_batch(np.asarray(start, dtype=float), np.zeros(p), batch)
    # Products of pairs of columns take rows * columns**2 / 2 doubles: past OUTER_LIMIT (many lists) each
    # model's information is formed from its own columns instead (None), which grows with its size only.
    pairs = p * (p + 1) // 2
    largest = int(columns.sum(axis=1).max()) if batch else p
    # Each model's own columns cost about rows * k**2 per model, the shared products rows * (distinct
    # products), at most rows * pairs, in one matrix product for the whole batch: a few small models on
    # a wide design (the candidates of a stepwise step on many lists) are cheaper on their own columns,
    # large batches (bootstrap replicates) on the shared products, whose single product beats a loop.
    shared = n * pairs <= OUTER_LIMIT and (4 * largest**2 >= pairs or batch > _OWN_COLUMNS_BATCH)
    outer, pair_product = _distinct_products(design) if shared else (None, None)
    # Models of similar size are solved together, so each chunk's linear systems are only as
    # large as its largest model (the cost of a solve grows with the cube of its size).
    sizes = columns.sum(axis=1)
    order = np.argsort(sizes, kind="stable") if batch > chunk_size and np.ptp(sizes) > 0 else None

    def rows(array: np.ndarray, s: slice) -> np.ndarray:
        return array[s] if order is None else array[order[s]]

    results: dict[str, np.ndarray] = {}
    for s in (slice(i, i + chunk_size) for i in range(0, batch, chunk_size)):
        checkpoint("fitting log-linear models")
        chunk_cells = rows(cells, s)
        part = _fit_chunk(
            design,
            outer,
            pair_product,
            np.where(chunk_cells, rows(y_b, s), 0.0),
            rows(columns, s),
            chunk_cells,
            None if off is None else rows(off, s),
            None if start_b is None else rows(start_b, s),
            max_iter=max_iter,
            tol=tol,
            boundary_coef=boundary_coef,
            full_cov=full_cov,
        )
        if on_chunk is not None:
            on_chunk(min(s.stop, batch) - s.start)
        if batch <= chunk_size:
            return part
        for name in PoissonFits.__dataclass_fields__:
            value = getattr(part, name)
            if name not in results:
                results[name] = np.empty((batch, *value.shape[1:]), dtype=value.dtype)
            results[name][s if order is None else order[s]] = value
    return PoissonFits(**results)


def _solve_each(information: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve model by model, falling back to least squares only where the information is singular."""
    step = np.empty_like(score)
    failed = np.zeros(len(score), dtype=bool)
    for m, (info, s) in enumerate(zip(information, score)):
        try:
            step[m] = np.linalg.solve(info, s)
        except np.linalg.LinAlgError:
            # a fit that overflowed has a non-finite information matrix: leave it where it is
            finite = np.all(np.isfinite(info)) and np.all(np.isfinite(s))
            step[m] = np.linalg.lstsq(info, s, rcond=None)[0] if finite else 0.0
            failed[m] = True
    return step, failed


def _distinct_products(design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_find_distinct_products`, kept for the last few designs.

    A profile interval fits one design dozens of times, and a stepwise search
    fits the same candidate design at every step; finding the distinct
    products sorts ``rows x columns**2 / 2`` numbers, which on ten or more
    lists costs more than the fits.
    """
    key = (design.shape, hashlib.blake2b(np.ascontiguousarray(design).tobytes(), digest_size=16).digest())
    found = _PRODUCTS_CACHE.get(key)
    if found is None:
        found = _find_distinct_products(design)
        for array in found:
            array.setflags(write=False)  # shared by every later fit of the design
        if len(_PRODUCTS_CACHE) >= 8:
            _PRODUCTS_CACHE.pop(next(iter(_PRODUCTS_CACHE)))
        _PRODUCTS_CACHE[key] = found
    return found


#: Largest batch whose models may be fitted on their own columns (each is then one product in a loop).
_OWN_COLUMNS_BATCH = 128

_PRODUCTS_CACHE: dict[tuple[tuple[int, ...], bytes], tuple[np.ndarray, np.ndarray]] = {}


def _find_distinct_products(design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct cell-wise products of pairs of design columns, and where each pair's product is.

    Entry ``(i, j)`` of ``X' diag(mu) X`` is ``mu @ (x_i * x_j)``, so the
    information matrices of a whole batch come from one matrix product
    ``mu @ outer``. On a log-linear design many pairs share a product (the
    product of two terms' indicators is the indicator of the cells holding the
    union of their lists: 57 distinct products among the 253 pairs of the
    two-way design of six lists), so ``outer`` keeps each product once, which
    makes that matrix product several times cheaper. A last column of zeros
    serves the pairs that a packed system leaves empty.

    Returns
    -------
    outer : ndarray, shape (n, u + 1)
        The ``u`` distinct products, then zeros.
    pair_product : ndarray of int, shape (p, p)
        The column of ``outer`` holding the product of design columns ``i`` and ``j``.
    """
    n, p = design.shape
    upper_rows, upper_cols = np.triu_indices(p)
    products = design[:, upper_rows] * design[:, upper_cols]
    distinct, position = np.unique(products, axis=1, return_inverse=True)
    pair_product = np.zeros((p, p), dtype=np.intp)
    pair_product[upper_rows, upper_cols] = pair_product[upper_cols, upper_rows] = position.ravel()
    return np.hstack([distinct, np.zeros((n, 1))]), pair_product


class _Slots:
    """Each model's columns packed to the front of ``k`` slots, ``k`` the largest model of the chunk.

    Slots past a model's own columns hold distinct columns it does not use; they
    get an identity block, so the packed ``k x k`` systems of the whole chunk are
    solved in one batched call and are no larger than the largest model.

    Every gather and scatter goes through flat indices into the raveled arrays,
    computed once per chunk: a one-dimensional ``take`` is several times faster
    than the row-wise fancy indexing of ``take_along_axis``, and the Newton loop
    repeats them at every iteration.
    """

    def __init__(self, columns: np.ndarray, pair_product: np.ndarray | None, design: np.ndarray) -> None:
        batch, p = columns.shape
        k = int(columns.sum(axis=1).max())
        self.p, self.k = p, k
        self.design = design
        self.index = np.argsort(~columns, axis=1, kind="stable")[:, :k]
        self.unused = ~np.take_along_axis(columns, self.index, axis=1)
        self._index_all = self.index + (np.arange(batch) * p)[:, None]
        if pair_product is None:
            return
        # the product of columns (i, j) is column pair_product[i, j] of ``mu @ outer``; the one after
        # the last of them is identically 0 and stands for every pair with an unused slot
        self.width = int(pair_product.max()) + 2
        gather = pair_product[self.index[:, :, None], self.index[:, None, :]]
        gather[self.unused[:, :, None] | self.unused[:, None, :]] = self.width - 1
        self.gather = gather.reshape(batch, k * k)
        self._gather_all = self.gather + (np.arange(batch) * self.width)[:, None]

    def _flat(self, local: np.ndarray, every: np.ndarray, stride: int, rows: np.ndarray | None) -> np.ndarray:
        if rows is None:
            return every
        flat = local[rows]
        flat += (np.arange(len(rows)) * stride)[:, None]
        return flat

    def information(self, mu: np.ndarray, outer: np.ndarray | None, rows: np.ndarray | None = None) -> np.ndarray:
        """Packed ``X' diag(mu) X`` of the models ``rows`` (all when None), identity on the unused slots.

        ``outer`` holds the distinct products of pairs of design columns (:func:`_distinct_products`), or is
        None when they would not fit in memory: each model's matrix is then formed from its own columns.
        """
        k = self.k
        if outer is None:
            return self._information_by_model(mu, rows)
        products = mu @ outer
        flat = self._flat(self.gather, self._gather_all, self.width, rows)
        packed = products.ravel().take(flat).reshape(len(mu), k, k)
        diagonal = np.arange(k)
        packed[:, diagonal, diagonal] += self.unused if rows is None else self.unused[rows]
        return packed

    def _information_by_model(self, mu: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        index = self.index if rows is None else self.index[rows]
        unused = self.unused if rows is None else self.unused[rows]
        packed = np.empty((len(mu), self.k, self.k))
        for m in range(len(mu)):
            # W'W with W = sqrt(mu) X_m, the model's own columns (a symmetric rank-k update); unused slots
            # are zero columns, given an identity block below as in the products path
            weighted = self.design[:, index[m]] * np.sqrt(mu[m])[:, None]
            weighted[:, unused[m]] = 0.0
            packed[m] = weighted.T @ weighted
        diagonal = np.arange(self.k)
        packed[:, diagonal, diagonal] += unused
        return packed

    def pack(self, vector: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        flat = self._flat(self.index, self._index_all, self.p, rows)
        return vector.ravel().take(flat)

    def unpack(self, packed: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        flat = self._flat(self.index, self._index_all, self.p, rows)
        out = np.zeros(len(packed) * self.p)
        out[flat.ravel()] = packed.ravel()
        return out.reshape(len(packed), self.p)

    def unpack_matrix(self, packed: np.ndarray) -> np.ndarray:
        positions = (self.index[:, :, None] * self.p + self.index[:, None, :]).reshape(len(packed), -1)
        out = np.zeros((len(packed), self.p * self.p))
        np.put_along_axis(out, positions, packed.reshape(len(packed), -1), axis=1)
        return out.reshape(len(packed), self.p, self.p)


def _solve(information: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched solve; model by model (least squares where singular) only when the batch fails."""
    try:
        return np.linalg.solve(information, score[..., None])[..., 0], np.zeros(len(score), dtype=bool)
    except np.linalg.LinAlgError:
        return _solve_each(information, score)


#: Condition number above which a fit's information matrix counts as nearly singular.
MAX_CONDITION = 1e12


def _condition(information: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """2-norm condition numbers of symmetric matrices, exact only where it matters.

    ``||A||_F ||A^-1||_F`` bounds the 2-norm condition number from above and,
    divided by the size ``k``, from below. Only the matrices whose bounds do not
    settle which side of :data:`MAX_CONDITION` they are on (with a factor 2 to
    spare for rounding) get their eigenvalues, which cost ten times a solve;
    the others get the upper bound, which is on the same side.
    """
    k = information.shape[-1]
    bound = np.sqrt(np.einsum("bij,bij->b", information, information) * np.einsum("bij,bij->b", inverse, inverse))
    unsure = ~(bound < 0.5 * MAX_CONDITION) & ~(bound > 2.0 * k * MAX_CONDITION)
    if not unsure.any():
        return bound
    condition = bound.copy()
    try:
        eigenvalues = np.linalg.eigvalsh(information[unsure])
        condition[unsure] = np.abs(eigenvalues[:, -1]) / np.abs(eigenvalues[:, 0])
    except np.linalg.LinAlgError:
        condition[unsure] = np.nan
    return condition


def _fit_chunk(
    design: np.ndarray,
    outer: np.ndarray | None,
    pair_product: np.ndarray | None,
    y_b: np.ndarray,
    columns: np.ndarray,
    cells: np.ndarray,
    off: np.ndarray | None,
    start: np.ndarray | None,
    *,
    max_iter: int,
    tol: float,
    boundary_coef: float,
    full_cov: bool,
) -> PoissonFits:
    slots = _Slots(columns, pair_product, design)
    if start is not None:
        coef = np.where(columns, start, 0.0)
    else:
        # Weighted least squares on log(y + 1/2) with weights y + 1/2: the first IRLS step from the
        # usual GLM starting point, which saves Newton iterations.
        weight = np.where(cells, y_b + 0.5, 0.0)
        z = np.where(cells, np.log(y_b + 0.5) if off is None else np.log(y_b + 0.5) - off, 0.0)
        gram = slots.information(weight, outer)
        gram += 1e-10 * np.eye(gram.shape[-1])
        packed_start, _ = _solve(gram, slots.pack((weight * z) @ design))
        coef = slots.unpack(packed_start) * columns

    def direction(active: np.ndarray | None, mu: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        packed_step, failed = _solve(slots.information(mu, outer, active), slots.pack(score, active))
        return slots.unpack(packed_step, active) * (columns if active is None else columns[active]), failed

    path = newton_iterations(
        design,
        y_b,
        coef,
        direction,
        offset=off,
        cells=cells,
        max_iter=max_iter,
        tol=tol,
        boundary_coef=boundary_coef,
    )
    coef, eta, converged, singular, iterations = path.coef, path.eta, path.converged, path.singular, path.iterations
    mu = np.where(cells, np.exp(np.minimum(eta, MAX_ETA)), 0.0)
    information = slots.information(mu, outer)
    # A fit that overflowed has a non-finite information matrix, on which LAPACK fails for the
    # whole batch: decompose only the finite ones; the others come out as nan, flagged as boundary.
    finite = np.all(np.isfinite(information), axis=(1, 2))
    safe = information if finite.all() else np.where(finite[:, None, None], information, np.eye(information.shape[-1]))
    with np.errstate(all="ignore"):
        try:
            inverse = np.linalg.inv(safe)
            condition = _condition(safe, inverse)
        except np.linalg.LinAlgError:
            # an exactly singular matrix in the chunk: eigenvalues of all, and the pseudo-inverse
            try:
                eigenvalues = np.linalg.eigvalsh(safe)
            except np.linalg.LinAlgError:
                eigenvalues = np.full(safe.shape[:2], np.nan)
            condition = np.abs(eigenvalues[:, -1]) / np.abs(eigenvalues[:, 0])
            inverse = np.linalg.pinv(safe)
        if not finite.all():
            condition = np.where(finite, condition, np.nan)
            inverse = np.where(finite[:, None, None], inverse, np.nan)
    if full_cov:
        cov = np.where(columns[:, :, None] & columns[:, None, :], slots.unpack_matrix(inverse), np.nan)
    else:
        # column 0 is packed into slot 0 whenever the model uses it
        cov = np.where(columns[:, 0], inverse[:, 0, 0], np.nan)[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where(y_b > 0, y_b * np.log(np.where(y_b > 0, y_b, 1.0) / np.where(mu > 0, mu, 1.0)), 0.0)
        deviance = 2.0 * np.where(cells, log_ratio - (y_b - mu), 0.0).sum(axis=1)
        loglik = np.where(cells, y_b * np.log(np.where(mu > 0, mu, 1.0)) - mu - gammaln(y_b + 1.0), 0.0).sum(axis=1)
    coef_out = np.where(columns, coef, np.nan)
    boundary = (
        (np.max(np.abs(np.where(columns, coef, 0.0)), axis=1) > boundary_coef)
        | singular
        | ~np.isfinite(condition)
        | (condition > MAX_CONDITION)
    )
    return PoissonFits(
        coef=coef_out,
        cov=cov,
        fitted=mu,
        deviance=deviance,
        loglik=loglik,
        n_params=columns.sum(axis=1),
        n_cells=cells.sum(axis=1),
        converged=converged,
        boundary=boundary,
        iterations=iterations,
    )


class DesignInformation:
    """``X' diag(mu) X`` of one design for a batch of ``mu``, through precomputed outer products when they fit.

    The outer products of the design rows (upper triangle) turn the information
    matrices of a whole batch into one matrix product; they take
    ``rows * columns**2 / 2`` doubles, so past :data:`OUTER_LIMIT` (large lists x
    covariates tables) each matrix is a symmetric rank-k update instead.

    Parameters
    ----------
    design
        ``(n, p)`` design matrix.
    """

    def __init__(self, design: np.ndarray) -> None:
        self.design = design
        n, p = design.shape
        self.rows, self.cols = np.triu_indices(p)
        self.fits_in_memory = n * len(self.rows) <= OUTER_LIMIT
        self.outer: np.ndarray | None = None

    def __call__(self, mu: np.ndarray) -> np.ndarray:
        """Information matrices, shape ``(B, p, p)``, for fitted means ``mu`` of shape ``(B, n)``."""
        p = self.design.shape[1]
        if self.fits_in_memory and len(mu) > 4:
            if self.outer is None:  # built on first use: single fits never need it
                self.outer = self.design[:, self.rows] * self.design[:, self.cols]
            packed = mu @ self.outer
            full = np.empty((len(mu), p, p))
            full[:, self.rows, self.cols] = packed
            full[:, self.cols, self.rows] = packed
            return full
        # W'W with W = sqrt(mu) X: numpy computes a product with its own transpose by a symmetric rank-k update
        out = np.empty((len(mu), p, p))
        for b, m in enumerate(mu):
            weighted = self.design * np.sqrt(m)[:, None]
            out[b] = weighted.T @ weighted
        return out


@dataclass(frozen=True)
class NewtonFits:
    """Poisson fits of one design to a batch of count vectors (first axis: the batch)."""

    coef: np.ndarray
    fitted: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    boundary: np.ndarray
    iterations: np.ndarray
    cov: np.ndarray | None = None


def newton_fit(
    design: np.ndarray,
    y: np.ndarray,
    *,
    start: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    boundary_coef: float = 25.0,
    with_cov: bool = False,
    information: DesignInformation | None = None,
    on_progress: Callable[[float], object] | None = None,
) -> NewtonFits:
    """Poisson maximum likelihood for one design and a batch of count vectors, from an optional warm start.

    The iteration of :func:`fit_poisson` (:func:`newton_iterations`) for one
    shared design without masks (one model, many replicates or EM steps): the
    information matrices of the batch come from :class:`DesignInformation`, and a
    warm start (the point estimate, or the previous EM step) saves most iterations.

    Parameters
    ----------
    design
        ``(n, p)`` design matrix.
    y
        ``(n,)`` or ``(B, n)`` counts (may be fractional, as after an E-step).
    start
        ``(p,)`` or ``(B, p)`` starting coefficients; default least squares on ``log(y + 1/2)``.
    max_iter, tol
        Newton iterations and the relative tolerance on the log-likelihood.
    boundary_coef
        Coefficients beyond this in absolute value flag the fit as on the boundary.
    with_cov
        Also return the inverse information matrices.
    information
        The design's :class:`DesignInformation`, to reuse its outer products across calls.
    on_progress
        Told the fraction of the way to convergence after each iteration (see :func:`newton_iterations`).

    Returns
    -------
    NewtonFits
        ``converged`` includes fits stopped on the boundary once their likelihood settled.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(3), [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> fit = newton_fit(X, np.array([40.0, 30.0, 10.0]))
    >>> round(float(np.exp(fit.coef[0, 0])), 3)
    120.0
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    batch = y.shape[0]
    p = design.shape[1]
    info = information if information is not None else DesignInformation(design)
    if start is None:
        z = np.log(y + 0.5)
        gram = design.T @ design
        coef = np.linalg.lstsq(gram + 1e-10 * np.eye(p), design.T @ z.T, rcond=None)[0].T.copy()
    else:
        coef = np.array(np.broadcast_to(np.asarray(start, dtype=float), (batch, p)))
    eye = np.eye(p)

    def direction(active: np.ndarray | None, mu: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, None]:
        hessian = info(mu) + 1e-12 * eye
        try:
            return np.linalg.solve(hessian, score[..., None])[..., 0], None
        except np.linalg.LinAlgError:
            return np.stack([np.linalg.lstsq(h, s, rcond=None)[0] for h, s in zip(hessian, score)]), None

    path = newton_iterations(
        design,
        y,
        coef,
        direction,
        max_iter=max_iter,
        tol=tol,
        boundary_coef=boundary_coef,
        stage="fitting the covariate model",
        on_progress=on_progress,
    )
    coef, eta = path.coef, path.eta
    mu = np.exp(np.minimum(eta, MAX_ETA))
    loglik = (y * eta - mu - gammaln(y + 1.0)).sum(axis=1)
    boundary = np.max(np.abs(coef), axis=1) > boundary_coef
    cov = None
    if with_cov:
        hessian = info(mu)
        cov = np.full_like(hessian, np.nan)
        for b in range(batch):
            try:
                cov[b] = np.linalg.inv(hessian[b])
            except np.linalg.LinAlgError:
                boundary[b] = True
        with np.errstate(invalid="ignore"):
            condition = np.linalg.cond(hessian)
        boundary |= ~np.isfinite(condition) | (condition > 1e13)
    return NewtonFits(coef, mu, loglik, path.converged | path.drifted, boundary, path.iterations, cov)
