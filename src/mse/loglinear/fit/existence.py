"""Does the maximum-likelihood estimate exist, and is the model identifiable?

Sparse capture tables have many empty cells. A log-linear model's MLE exists
(as a finite vector) exactly when the observed sufficient statistics lie in
the relative interior of the marginal cone; Fienberg & Rinaldo (2012) turn
this into a linear program over the design rows, solved here with SciPy's
HiGHS. A term whose lists never appear together is first fitted at minus
infinity by dropping the cells that contain it (the extended MLE of Chan,
Silverman & Vincent 2021); the check then applies to the remaining cells and
terms. A model is identifiable when its remaining design has full column rank.
Where the MLE still does not exist, the same program gives the facial set
(the cells the extended MLE does not fit at 0, :func:`facial_set`), and ``N``
has an extended MLE when the facial set determines the unobserved cell.

The linear program depends only on the model, the cells kept and which of
them are empty, so results are cached by that zero pattern: a stepwise search
repeated over bootstrap replicates solves each distinct program once. When no
kept cell is empty the MLE exists without any program (the log-likelihood is
then strictly concave and coercive on the identifiable part).

Which cells matter
------------------
The MLE fails to exist exactly when a direction ``d`` of the parameters
leaves the linear predictor unchanged on every positive cell and lowers it on
some empty cell without raising it on any (Fienberg & Rinaldo 2012, the
facial-set characterisation). Such a ``d`` must be orthogonal to the design
rows of all positive cells. So when the positive cells alone span the
parameter space (their rows have full column rank), the only candidate is
``d = 0`` and the MLE exists: this is decided from the observed cells only,
whatever the number of lists, and settles almost every real table with many
people. Only when the positive cells leave a non-trivial null space do the
empty cells matter, all ``2**t - 1 - (positive)`` of them (an empty cell
never observed is still a constraint of the program). The program over them
is solved up to :data:`MAX_PROGRAM_CELLS` empty cells (15 lists; about 1.3 s
and 0.3 GB with HiGHS); beyond that the check refuses rather than exhaust
memory, and the model is reported as not estimable with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np

from mse.budget import checkpoint
from mse.data.capture import CaptureData
from mse.errors import EstimabilityError
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.terms import ModelSpec, Term, format_model, parse_model

__all__ = [
    "MAX_PROGRAM_CELLS",
    "EstimabilityReport",
    "ExistenceUndecided",
    "Face",
    "check_estimability",
    "exists_batch",
    "facial_batch",
    "facial_set",
    "identifiable_batch",
    "mle_exists",
    "model_estimability",
]

_LP_TOLERANCE = 1e-7

#: The largest number of empty cells the existence program is solved over (all
#: of them for 15 lists). HiGHS needs about 9 kB per cell, so 2**20 cells (20
#: lists) would need about 9 GB.
MAX_PROGRAM_CELLS = 2**15


class ExistenceUndecided(EstimabilityError):
    """The existence of the MLE cannot be decided in bounded memory (too many empty cells)."""


def mle_exists(design: np.ndarray, positive: np.ndarray) -> tuple[bool, np.ndarray]:
    """Fienberg & Rinaldo's linear program for the existence of the Poisson MLE.

    The MLE fails to exist exactly when some direction ``d`` leaves the linear
    predictor unchanged on the positive cells, never raises it on the empty
    cells and lowers it on at least one: along ``d`` the likelihood increases
    for ever. We maximise the total decrease ``-sum_z (X d)_z`` over the empty
    cells, each capped at 1.

    Parameters
    ----------
    design
        Design rows of the cells fitted, shape ``(cells, p)``, columns of the model only.
    positive
        Boolean, which of these cells have a positive count.

    Returns
    -------
    exists : bool
    zero_fitted : ndarray of bool
        Empty cells whose fitted value is 0 in the extended MLE (found by the program).

    Raises
    ------
    ExistenceUndecided
        When the positive cells do not settle the question and the program
        would run over more than :data:`MAX_PROGRAM_CELLS` empty cells.

    References
    ----------
    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.
    """
    zero_fitted, _direction = _existence(design, positive)
    return not bool(zero_fitted.any()), zero_fitted


def _existence(design: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mle_exists` with the direction of recession: the observed-cells shortcut, else the program."""
    positive = np.asarray(positive, dtype=bool)
    p = design.shape[1]
    if positive.all():
        return np.zeros(positive.shape, dtype=bool), np.zeros(p)
    positive_rows = design[positive]
    # A direction of recession is orthogonal to every positive row: if those
    # rows span the parameter space there is none (see the module docstring).
    if _has_full_column_rank(positive_rows):
        return np.zeros(positive.shape, dtype=bool), np.zeros(p)
    n_empty = int((~positive).sum())
    if n_empty > MAX_PROGRAM_CELLS:
        raise ExistenceUndecided(
            f"whether the maximum-likelihood estimate exists cannot be decided in bounded memory: the "
            f"{int(positive.sum())} observed histories do not determine the model's {p} parameters, and the linear "
            f"program would run over {n_empty:,} empty cells (at most {MAX_PROGRAM_CELLS:,}); merge or drop lists, "
            "or choose a model with fewer terms"
        )
    return _facial_program(design, positive)


def _solve_program(design: np.ndarray, positive: np.ndarray) -> tuple[bool, np.ndarray]:
    """The linear program of :func:`mle_exists` itself, over every empty cell."""
    zero_fitted, _direction = _facial_program(design, positive)
    return not bool(zero_fitted.any()), zero_fitted


def _facial_program(design: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The empty cells fitted at 0 (the complement of the facial set) and a direction of recession.

    Fienberg & Rinaldo's (2012) program: maximise ``sum_z s_z`` over the
    empty cells ``z`` subject to ``X_+ d = 0``, ``(X_0 d)_z + s_z <= 0`` and
    ``0 <= s_z <= 1``. Directions of recession form a convex cone, so a sum of
    them, scaled up, lowers every cell that any of them lowers by at least 1:
    at the optimum ``s_z = 1`` exactly on those cells and 0 elsewhere, and
    the cells found are the whole complement of the facial set (a program
    that caps the decrease itself instead need not find them all).

    Returns
    -------
    zero_fitted : ndarray of bool
        Over the rows of ``design``: empty cells fitted at 0 by the extended MLE.
    direction : ndarray, shape (p,)
        A direction along which the likelihood rises for ever (0 when the MLE exists).
    """
    from scipy import sparse
    from scipy.optimize import linprog

    zero_fitted = np.zeros(positive.shape, dtype=bool)
    positive_rows = design[positive]
    empty_rows = design[~positive]
    m, p = empty_rows.shape
    a_ub = sparse.hstack([sparse.csr_matrix(empty_rows), sparse.identity(m, format="csr")], format="csr")
    a_eq = (
        sparse.hstack([sparse.csr_matrix(positive_rows), sparse.csr_matrix((len(positive_rows), m))], format="csr")
        if len(positive_rows)
        else None
    )
    result = linprog(
        c=np.concatenate([np.zeros(p), -np.ones(m)]),
        A_ub=a_ub,
        b_ub=np.zeros(m),
        A_eq=a_eq,
        b_eq=np.zeros(len(positive_rows)) if len(positive_rows) else None,
        bounds=[(None, None)] * p + [(0.0, 1.0)] * m,
        method="highs",
    )
    if result.status != 0:  # the program is bounded and feasible (d = 0); treat solver trouble as existence
        return zero_fitted, np.zeros(p)
    direction = np.asarray(result.x[:p], dtype=float)
    decrease = -(empty_rows @ direction)
    zero_fitted[np.flatnonzero(~positive)] = (result.x[p:] > 0.5) & (decrease > _LP_TOLERANCE)
    if not zero_fitted.any():
        direction = np.zeros(p)
    return zero_fitted, direction


@dataclass(frozen=True)
class Face:
    """The facial set of a model on a table: what the extended MLE fits, and what it cannot.

    When the MLE does not exist, the likelihood keeps rising along a
    direction of recession: the cells it lowers (``zero_fitted``) are fitted
    at 0 and the parameters it moves are infinite. The extended MLE is the
    MLE of the model on the remaining cells, the facial set (Fienberg &
    Rinaldo 2012, Theorem 4): there the model's columns are linearly
    dependent, and a basis of them (``basis``, in column order, the intercept
    first) spans the same fitted values. ``N`` is identifiable when the
    unobserved cell's linear predictor, the intercept, is determined by the
    facial set (its design row lies in the row space of the facial design);
    otherwise the unobserved cell moves with the diverging parameters.

    All masks are over the rows and columns of the design they were computed on.

    Attributes
    ----------
    exists : bool
        The MLE exists (then ``zero_fitted`` is all False and ``basis`` all True).
    zero_fitted : ndarray of bool
        Empty cells fitted at 0 by the extended MLE.
    basis : ndarray of bool
        Columns kept to fit the facial set.
    diverging : ndarray of bool
        Columns whose coefficient the facial set does not determine: infinite in the extended MLE.
    direction : ndarray
        A direction of recession found by the program (its sign says which way each coefficient runs off).
    n_identifiable : bool
        The intercept, hence ``N``, is determined on the facial set.

    References
    ----------
    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.
    """

    exists: bool
    zero_fitted: np.ndarray
    basis: np.ndarray
    diverging: np.ndarray
    direction: np.ndarray
    n_identifiable: bool


def facial_set(design: np.ndarray, positive: np.ndarray) -> Face:
    """The facial set of the extended MLE, and whether ``N`` is identifiable on it.

    Parameters
    ----------
    design
        Design rows of the cells fitted, shape ``(cells, p)``, columns of the
        model only, intercept first.
    positive
        Boolean, which of these cells have a positive count.

    Returns
    -------
    Face

    Raises
    ------
    ExistenceUndecided
        As :func:`mle_exists`.

    References
    ----------
    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.

    Examples
    --------
    Three lists, the model with every two-way term, no one on ``B`` and ``C``
    without ``A`` (cell ``011``): the MLE does not exist and the intercept
    runs off with the other parameters, so ``N`` is not identifiable.

    >>> from mse.loglinear.model.design import Design
    >>> from mse.loglinear.model.terms import all_k_way
    >>> X = Design(3, all_k_way(3, 2)).matrix
    >>> face = facial_set(X, np.array([True, True, False, True, True, True, True]))
    >>> face.exists, face.zero_fitted.nonzero()[0].tolist(), face.n_identifiable
    (False, [2], False)
    """
    design = np.asarray(design, dtype=float)
    positive = np.asarray(positive, dtype=bool)
    p = design.shape[1]
    zero_fitted, direction = _existence(design, positive)
    if not zero_fitted.any():
        return Face(True, zero_fitted, np.ones(p, dtype=bool), np.zeros(p, dtype=bool), direction, True)
    facial = design[~zero_fitted]
    gram = facial.T @ facial
    basis = _column_basis(gram)
    # coefficients not determined on the facial set: e_j outside the row space, i.e. a null vector touches j
    eigenvalues, vectors = np.linalg.eigh(gram)
    null = vectors[:, eigenvalues <= _RANK_TOLERANCE * max(float(eigenvalues[-1]), 1.0)]
    undetermined = np.sqrt((null**2).sum(axis=1)) > 1e-6
    return Face(False, zero_fitted, basis, undetermined, direction, not bool(undetermined[0]))


def _column_basis(gram: np.ndarray) -> np.ndarray:
    """Columns, taken in order, each independent of those kept before it (from the Gram matrix ``X'X``)."""
    p = gram.shape[0]
    keep = np.zeros(p, dtype=bool)
    for j in range(p):
        kept = np.flatnonzero(keep)
        residual = gram[j, j]
        if kept.size:
            block = gram[np.ix_(kept, kept)]
            cross = gram[kept, j]
            residual -= float(cross @ np.linalg.solve(block, cross))
        keep[j] = residual > 1e-9 * max(float(gram[j, j]), 1.0)
    return keep


@lru_cache(maxsize=200_000)
def _cached_face(
    n_lists: int, terms: tuple[Term, ...], columns: bytes, cells: bytes, positive: bytes
) -> tuple[bool, bytes, bytes, bool]:
    """Existence, facial cells and columns, and identifiability of ``N`` for one zero pattern.

    Returns ``(exists, cells, columns, n_identifiable)`` with the masks over
    the whole design; a pattern whose existence cannot be decided in bounded
    memory counts as not existing, with ``N`` not identifiable.
    """
    design = _design(n_lists, terms)
    column_mask = np.frombuffer(columns, dtype=bool)
    cell_mask = np.frombuffer(cells, dtype=bool)
    positive_mask = np.frombuffer(positive, dtype=bool)
    checkpoint("checking the existence of the MLE of each model")
    try:
        face = facial_set(design.matrix[np.ix_(cell_mask, column_mask)], positive_mask[cell_mask])
    except ExistenceUndecided:
        # a model whose estimate cannot be vouched for is not estimable in a search
        return False, cells, columns, False
    face_cells = cell_mask.copy()
    face_cells[np.flatnonzero(cell_mask)[face.zero_fitted]] = False
    face_columns = np.zeros_like(column_mask)
    face_columns[np.flatnonzero(column_mask)[face.basis]] = True
    return face.exists, face_cells.tobytes(), face_columns.tobytes(), face.n_identifiable


# Relative size below which an eigenvalue of a Gram matrix counts as zero (see identifiable_batch).
_RANK_TOLERANCE = 1e-10


def _has_full_column_rank(matrix: np.ndarray) -> bool:
    """Whether ``matrix`` (0/1 design rows) has full column rank, in time linear in its rows.

    The Gram matrix ``X'X`` has the rank of ``X`` and costs one pass over the
    rows, where an SVD of ``2**15`` rows takes seconds. Its eigenvalues are
    either at rounding level or far above it for these integer designs (see
    :func:`identifiable_batch`); in the rare case between, the SVD decides.
    """
    rows, p = matrix.shape
    if rows < p:
        return False
    if p == 0:
        return True
    eigenvalues = np.linalg.eigvalsh(matrix.T @ matrix)
    largest = eigenvalues[-1]
    if largest <= 0:
        return False
    if eigenvalues[0] > 1e-6 * largest:
        return True
    if eigenvalues[0] < 1e-12 * largest:
        return False
    return bool(np.linalg.matrix_rank(matrix) == p)


@lru_cache(maxsize=64)
def _design(n_lists: int, terms: tuple[Term, ...]) -> Design:
    return Design(n_lists, terms)


def exists_batch(design: Design, columns: np.ndarray, cells: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Existence of the (extended) MLE for each row of already-extended masks; cached by zero pattern.

    ``columns``, ``cells`` and ``counts`` have shapes ``(M, p)``, ``(M, n)``, ``(M, n)``.
    """
    return facial_batch(design, columns, cells, counts)[0]


def facial_batch(
    design: Design, columns: np.ndarray, cells: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The facial reduction of each row of already-extended masks (see :class:`Face`); cached by zero pattern.

    Parameters
    ----------
    design
        The shared design.
    columns, cells, counts
        Shapes ``(M, p)``, ``(M, n)``, ``(M, n)``: the masks after
        :func:`mse.loglinear.model.design.extended_masks`, and the counts.

    Returns
    -------
    exists : ndarray of bool, shape (M,)
        The MLE exists on the cells given.
    columns, cells : ndarray of bool
        The masks of the extended MLE: the facial set and a basis of the
        model's columns on it (the masks given where the MLE exists).
    n_identifiable : ndarray of bool, shape (M,)
        ``N`` is determined on the facial set.

    References
    ----------
    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.
    """
    columns = np.array(np.atleast_2d(columns), dtype=bool)
    cells = np.array(np.atleast_2d(cells), dtype=bool)
    counts = np.broadcast_to(np.atleast_2d(counts), cells.shape)
    positive = counts > 0
    # no empty fitted cell: the MLE exists without solving anything
    needs_program = (cells & ~positive).any(axis=1)
    exists = np.ones(len(cells), dtype=bool)
    n_identifiable = np.ones(len(cells), dtype=bool)
    key_terms = tuple(design.terms)
    for m in np.flatnonzero(needs_program):
        found, face_cells, face_columns, identified = _cached_face(
            design.n_lists, key_terms, columns[m].tobytes(), cells[m].tobytes(), positive[m].tobytes()
        )
        exists[m], n_identifiable[m] = found, identified
        if not found:
            cells[m] = np.frombuffer(face_cells, dtype=bool)
            columns[m] = np.frombuffer(face_columns, dtype=bool)
    return exists, columns, cells, n_identifiable


#: Up to this many models, identifiability is checked model by model on the kept columns only.
_COMPACT_MODELS = 8


def _kept_rank(matrix: np.ndarray, used: np.ndarray, kept: np.ndarray) -> bool:
    """Whether ``matrix[kept][:, used]`` has full column rank (eigenvalues of its Gram matrix)."""
    kept_design = matrix[np.ix_(kept, used)]
    eigenvalues = np.linalg.eigvalsh(kept_design.T @ kept_design)
    return bool(eigenvalues.size > 0 and eigenvalues[0] > _RANK_TOLERANCE * eigenvalues[-1])


@lru_cache(maxsize=200_000)
def _cached_kept_rank(n_lists: int, terms: tuple[Term, ...], used: bytes, kept: bytes) -> bool:
    """:func:`_kept_rank` on the design of ``n_lists`` lists and ``terms``, remembered by pattern."""
    return _kept_rank(
        _design(n_lists, terms).matrix, np.frombuffer(used, dtype=bool), np.frombuffer(kept, dtype=bool)
    )


def identifiable_batch(
    design: Design, columns: np.ndarray, cells: np.ndarray, *, chunk_size: int = 4096
) -> np.ndarray:
    """Whether each model's kept design (its cells and columns) has full column rank.

    The rank is read from the eigenvalues of the Gram matrix ``X_k' X_k`` of
    the kept cells and columns, with 1 on the diagonal of the columns left out
    so that every model is solved in one batch. The design holds 0s and 1s on
    at most ``2**t - 1`` rows, so a rank deficiency shows as an eigenvalue at
    rounding level (about 1e-14 of the largest), far below the smallest
    non-zero one (about 0.2 on the six-list designs). Models fitted on the
    same cells are first checked together, through the union of their columns
    (a model inside a full-rank union has full rank), so a model search needs
    about one eigenvalue problem per cell pattern.

    Parameters
    ----------
    design
        The shared design.
    columns, cells
        Boolean masks ``(M, p)`` and ``(M, n)`` (after the extended-MLE reduction).
    chunk_size
        Models handled together; bounds memory.

    Returns
    -------
    ndarray of bool, shape (M,)
    """
    columns = np.atleast_2d(np.asarray(columns, dtype=bool))
    cells = np.atleast_2d(np.asarray(cells, dtype=bool))
    matrix = design.matrix
    p = matrix.shape[1]
    if len(columns) <= _COMPACT_MODELS:
        # a few models (a stepwise candidate): the Gram matrix of the kept columns only, which on a
        # wide design (three-way terms of eight lists: 93 columns) is far smaller than the padded one
        # (a stepwise search meets the same few patterns in replicate after replicate: remembered on a
        # design of lists only, which its number of lists and terms determine)
        if design.table is None:
            terms = tuple(design.terms)
            return np.array(
                [_cached_kept_rank(design.n_lists, terms, u.tobytes(), k.tobytes()) for u, k in zip(columns, cells)],
                dtype=bool,
            )
        return np.array([_kept_rank(matrix, used, kept) for used, kept in zip(columns, cells)], dtype=bool)
    # Models on the same cells first share one check: the union of their columns. A model whose
    # columns are a subset of an identifiable set on the same cells is identifiable too (its Gram
    # matrix is a principal submatrix of the larger one, so by interlacing its smallest eigenvalue
    # is no smaller and its largest no larger). Only the models of a failed union are checked alone.
    packed = np.packbits(cells, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _keys, first, group = np.unique(keys, return_index=True, return_inverse=True)
    group = group.ravel()
    union = np.zeros((len(first), p), dtype=bool)
    np.logical_or.at(union, group, columns)
    out = _full_rank(matrix, union, cells[first], chunk_size)[group]
    alone = np.flatnonzero(~out)
    if alone.size:
        out[alone] = _full_rank(matrix, columns[alone], cells[alone], chunk_size)
    return out


def _full_rank(matrix: np.ndarray, columns: np.ndarray, cells: np.ndarray, chunk_size: int) -> np.ndarray:
    """Whether ``matrix[cells][:, columns]`` has full column rank, row by row of the masks, in batches."""
    n, p = matrix.shape
    outer = (matrix[:, :, None] * matrix[:, None, :]).reshape(n, p * p)
    diagonal = np.arange(p)
    out = np.empty(len(columns), dtype=bool)
    for start in range(0, len(columns), chunk_size):
        block = slice(start, start + chunk_size)
        used = columns[block]
        gram = (cells[block].astype(float) @ outer).reshape(-1, p, p)
        gram *= used[:, :, None] & used[:, None, :]
        gram[:, diagonal, diagonal] += ~used
        eigenvalues = np.linalg.eigvalsh(gram)
        out[block] = eigenvalues[:, 0] > _RANK_TOLERANCE * eigenvalues[:, -1]
    return out


@dataclass(frozen=True)
class EstimabilityReport:
    """Whether a log-linear model can be estimated on a capture table.

    Attributes
    ----------
    model : str
        The model in term syntax.
    mle_exists : bool
        The (extended) MLE exists: after fitting never-overlapping terms at minus
        infinity, the remaining parameters have a finite maximum.
    identifiable : bool
        The remaining design has full column rank on the cells kept.
    non_overlapping_pairs : list of tuple of str
        Pairs of lists no one is on together.
    overlapping_triples : int
        Triples of lists every pair of which overlaps (the ``count_triples`` of
        Chan et al. 2021); ``details["triples_seen_together"]`` counts triples
        with someone on all three.
    empty_lists : list of str
        Lists no one is on.
    infinite_terms : list of str
        Model terms fitted at minus infinity (their lists never appear together).
    zero_fitted_cells : list of str
        Empty cells that the linear program shows are fitted at 0 (why the MLE does not exist).
    n_cells_used, n_parameters_finite : int
        Cells kept and finite parameters after the extended-MLE reduction.
    n_identifiable : bool
        ``N`` is identifiable on the extended MLE: where the MLE does not
        exist, the unobserved cell does not move with the diverging
        parameters, so the model fitted on the facial set (the cells not in
        ``zero_fitted_cells``) gives ``N`` (Fienberg & Rinaldo 2012). True
        when the MLE exists and the model is identifiable.
    diverging_terms : dict of str to str
        Where the MLE does not exist: the coefficients the facial set does
        not determine, by name (``"(intercept)"``, a list, ``"A:B"``), each
        with ``"-inf"`` or ``"+inf"``, the way it runs off along a direction
        in which the likelihood rises for ever (``"inf"`` when that
        direction leaves it alone).

    Examples
    --------
    >>> import mse
    >>> report = mse.check_estimability(mse.load_dataset("uk2013"), "all two-way")
    >>> report.mle_exists, report.identifiable, report.non_overlapping_pairs
    (True, True, [('LA', 'GP'), ('LA', 'NCA')])
    """

    model: str
    mle_exists: bool
    identifiable: bool
    non_overlapping_pairs: list[tuple[str, str]]
    overlapping_triples: int
    empty_lists: list[str]
    infinite_terms: list[str]
    zero_fitted_cells: list[str]
    n_cells_used: int
    n_parameters_finite: int
    details: dict[str, Any] = field(default_factory=dict, repr=False)
    n_identifiable: bool = True
    diverging_terms: dict[str, str] = field(default_factory=dict)
    face: Face | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Both the MLE exists and the model is identifiable."""
        return self.mle_exists and self.identifiable

    @property
    def code(self) -> int:
        """0 ok, 1 MLE not finite, 2 not identifiable, 3 both (the coding of Chan et al. 2021)."""
        return (0 if self.mle_exists else 1) + (0 if self.identifiable else 2)

    @property
    def reason(self) -> str:
        """A sentence saying what is wrong, or ``"ok"``."""
        problems = []
        if not self.identifiable:
            problems.append(
                f"model {self.model!r} is not identifiable: after dropping the cells of terms whose lists never "
                f"overlap ({', '.join(self.infinite_terms) or 'none'}) {self.n_cells_used} cells remain for "
                f"{self.n_parameters_finite} parameters, or the kept design is rank deficient"
            )
        if self.details.get("existence_undecided"):
            problems.append(f"for model {self.model!r}, {self.details['existence_undecided']}")
        elif not self.mle_exists:
            problems.append(
                f"the maximum-likelihood estimate of model {self.model!r} does not exist: the empty cell(s) "
                f"{', '.join(self.zero_fitted_cells)} are fitted at 0 (a parameter is at infinity)"
            )
            if self.identifiable and self.n_identifiable:
                problems.append(
                    "N is still identifiable: the extended MLE fits those cells at 0 and N on the others "
                    f"({_directions(self.diverging_terms)}; Fienberg & Rinaldo 2012)"
                )
            elif self.identifiable:
                problems.append(
                    "N is not identifiable on the other cells either (the extended MLE does not determine it): the "
                    "unobserved cell's parameter runs off with the diverging ones "
                    f"({_directions(self.diverging_terms)})"
                )
        return "; ".join(problems) if problems else "ok"

    @property
    def extended_reason(self) -> str:
        """Why ``N`` has no extended MLE, or ``"ok"`` when it has one (Fienberg & Rinaldo 2012).

        ``"ok"`` where the MLE exists and the model is identifiable, and also
        where the MLE does not exist but ``N`` is identifiable on the facial set.
        """
        if self.identifiable and self.n_identifiable and not self.details.get("existence_undecided"):
            return "ok"
        return self.reason

    def summary(self) -> str:
        lines = [
            f"Estimability of {self.model}",
            f"  MLE exists:             {self.mle_exists}",
            f"  identifiable:           {self.identifiable}",
            f"  non-overlapping pairs:  {', '.join(':'.join(p) for p in self.non_overlapping_pairs) or 'none'}",
            f"  overlapping triples:    {self.overlapping_triples}",
            f"  empty lists:            {', '.join(self.empty_lists) or 'none'}",
            f"  terms at -infinity:     {', '.join(self.infinite_terms) or 'none'}",
        ]
        if not self.mle_exists and self.diverging_terms:
            lines.append(f"  cells fitted at 0:      {', '.join(self.zero_fitted_cells)}")
            lines.append(f"  diverging parameters:   {_directions(self.diverging_terms)}")
            lines.append(f"  N identifiable (extended MLE): {self.n_identifiable}")
        if not self.ok:
            lines.append(f"  reason: {self.reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _directions(terms: dict[str, str]) -> str:
    """``"C:D at minus infinity, B:C:D at plus infinity"``."""
    words = {"-inf": "at minus infinity", "+inf": "at plus infinity", "inf": "infinite"}
    return ", ".join(f"{name} {words[way]}" for name, way in terms.items()) or "none"


def model_estimability(
    design: Design, terms: frozenset[Term], counts: np.ndarray, lists: tuple[str, ...] | list[str]
) -> EstimabilityReport:
    """The report for one parsed model and one count vector (observable cells)."""
    counts = np.asarray(counts, dtype=float)
    t = design.n_lists
    columns, cells = extended_masks(design, design.column_mask(terms), counts)
    columns, cells = columns[0], cells[0]
    kept = design.matrix[np.ix_(cells, columns)]
    identifiable = _has_full_column_rank(kept)
    undecided = ""
    face: Face | None = None
    try:
        face = facial_set(kept, counts[cells] > 0)
        exists, zero_fitted = face.exists, face.zero_fitted
    except ExistenceUndecided as exc:
        exists, zero_fitted, undecided = False, np.zeros(int(cells.sum()), dtype=bool), str(exc)
    names = design.column_names(lists)
    diverging: dict[str, str] = {}
    if face is not None and not face.exists:
        scale = float(np.max(np.abs(face.direction))) or 1.0
        for k, column in enumerate(np.flatnonzero(columns)):
            if face.diverging[k]:
                way = face.direction[k] / scale
                diverging[names[column]] = "-inf" if way < -1e-6 else "+inf" if way > 1e-6 else "inf"
    histories = design.histories
    zero_cells = np.flatnonzero(cells)[zero_fitted]
    # overlaps are sums over observed cells: the others add nothing, and there may be 2**t of them
    seen = counts > 0
    seen_histories, seen_counts = histories[seen], counts[seen]
    pair_overlap = {
        pair: seen_counts[seen_histories[:, list(pair)].all(axis=1)].sum() for pair in combinations(range(t), 2)
    }
    # Chan et al. (2021) count the triples of lists whose three pairs all overlap
    triples = sum(
        all(pair_overlap[pair] > 0 for pair in combinations(triple, 2)) for triple in combinations(range(t), 3)
    )
    seen_together = sum(
        seen_counts[seen_histories[:, list(triple)].all(axis=1)].sum() > 0 for triple in combinations(range(t), 3)
    )
    totals = seen_counts @ seen_histories
    model_columns = design.column_mask(terms)
    infinite = [
        ":".join(lists[i] for i in term)
        for term in sorted(terms, key=lambda u: (len(u), u))
        if model_columns[design.index[term]] and not columns[design.index[term]]
    ]
    return EstimabilityReport(
        model=format_model(terms, lists),
        mle_exists=bool(exists),
        identifiable=bool(identifiable),
        non_overlapping_pairs=[(lists[a], lists[b]) for (a, b), v in pair_overlap.items() if v == 0],
        overlapping_triples=int(triples),
        empty_lists=[lists[i] for i in range(t) if totals[i] == 0],
        infinite_terms=infinite,
        zero_fitted_cells=["".join(str(int(b)) for b in histories[c]) for c in zero_cells],
        n_cells_used=int(cells.sum()),
        n_parameters_finite=int(columns.sum()),
        details={"triples_seen_together": int(seen_together), "existence_undecided": undecided},
        n_identifiable=bool(identifiable and face is not None and face.n_identifiable),
        diverging_terms=diverging,
        face=face,
    )


def check_estimability(data: CaptureData, model: ModelSpec = "independence") -> EstimabilityReport:
    """Check whether a log-linear model's population estimate exists and is identifiable.

    Parameters
    ----------
    data
        The capture histories (covariates are summed out).
    model
        The model, e.g. ``"A:B + B:C"``, ``"independence"`` or ``"all two-way"``.

    Returns
    -------
    EstimabilityReport
        ``mle_exists``, ``identifiable``, ``non_overlapping_pairs``,
        ``overlapping_triples``, ``empty_lists``, ``code`` (0 ok, 1 MLE not
        finite, 2 not identifiable, 3 both) and ``reason``.

    Raises
    ------
    ModelError
        For a malformed model, or a model naming lists the data do not have.

    References
    ----------
    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.

    Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation for
    sparse capture data: inferential challenges when there are nonoverlapping lists.
    *Journal of the American Statistical Association* 116(535), 1297–1306.

    Examples
    --------
    >>> import mse
    >>> report = mse.check_estimability(mse.load_dataset("artificial_3"), "all two-way")
    >>> report.identifiable, report.non_overlapping_pairs
    (False, [('A', 'C'), ('B', 'C')])
    """
    data = data.collapse_covariates()
    lists = data.lists
    terms = parse_model(model, lists)
    design = _design(len(lists), tuple(sorted(terms, key=lambda u: (len(u), u))))
    return model_estimability(design, terms, data.dense_counts()[1:], lists)


def no_model_can_exist(counts: np.ndarray, lists: tuple[str, ...] | list[str], max_order: int) -> str | None:
    """Why no hierarchical model up to ``max_order`` has an MLE on these counts, or ``None``.

    Decided from the independence model alone, before a search fits thousands
    of models. If its MLE does not exist, the linear program gives a direction
    ``d`` of intercept and main effects that is 0 on every positive cell,
    never positive on an empty one, and negative on the empty cells it fits at
    0. Every hierarchical model contains those columns, so ``d`` (with zeros
    on the interaction columns) is a direction of recession for it too, on
    any set of cells it keeps that contains one of those cells. The extended
    MLE of a larger model drops the cells that hold a term whose lists are
    never seen together, so the argument needs a zero-fitted cell that no
    candidate drops: one that holds no such term of order ``2..max_order``
    (a cell with a single list always qualifies).

    Parameters
    ----------
    counts
        Counts of the ``2**t - 1`` observable cells.
    lists
        The list names.
    max_order
        Highest interaction order among the candidate models.

    Returns
    -------
    str or None
        The reason, or ``None`` when some candidate may have an MLE (the
        search must then decide).

    References
    ----------
    Fienberg, S. E. & Rinaldo, A. (2012). Maximum likelihood estimation in log-linear
    models. *Annals of Statistics* 40(2), 996–1023.
    """
    counts = np.asarray(counts, dtype=float)
    design = _design(len(lists), ())
    columns, cells = extended_masks(design, design.column_mask(frozenset()), counts)
    columns, cells = columns[0], cells[0]
    try:
        exists, zero_fitted = mle_exists(design.matrix[np.ix_(cells, columns)], counts[cells] > 0)
    except ExistenceUndecided:
        return None
    if exists:
        return None
    seen = counts > 0
    seen_histories, seen_counts = design.histories[seen], counts[seen]
    zero_cells = design.histories[np.flatnonzero(cells)[zero_fitted]]
    # single-list cells first: they hold no interaction and settle the question at once
    for history in sorted(zero_cells, key=lambda h: int(h.sum()))[:1000]:
        on = np.flatnonzero(history)
        droppable = any(
            seen_counts[seen_histories[:, list(term)].all(axis=1)].sum() == 0
            for order in range(2, min(max_order, len(on)) + 1)
            for term in combinations(on, order)
        )
        if not droppable:
            cell = "".join(str(int(b)) for b in history)
            return (
                "no hierarchical model can be fitted: the maximum-likelihood estimate of the independence model "
                f"does not exist (the empty cell {cell} is fitted at 0), and every model up to order {max_order} "
                "contains its main effects and keeps that cell, so none has one either; the table has "
                f"{int(seen.sum())} observed histories (see mse.check_estimability(data) for the cells); merge or "
                "drop lists"
            )
    return None
