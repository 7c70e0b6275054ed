"""Design columns of the closed-population models on the ``2**t - 1`` observed cells.

Every model of the Otis et al. (1978) family is a Poisson regression on the
counts of the observed capture histories (Cormack 1989; Rivest & Baillargeon
2007). The rows of every design here are the histories in the order of
:meth:`mse.CaptureData.dense_counts` without the all-zero cell: row ``j`` is the
history whose binary value (first list the most significant bit) is ``j + 1``.
The first column is always the intercept. For the M0/Mt/Mh/Mth models every
other column is zero on the unobserved history, so the intercept is the log of
the expected number of people on no list and ``N = n + exp(intercept)``.

Models
------
``M0``
    intercept + number of captures ``k``.
``Mt``
    intercept + one indicator per list.
``Mh`` / ``Mth``
    ``M0`` / ``Mt`` plus heterogeneity column(s) that are functions of ``k``
    (Rivest & Lévesque 2001; Rivest & Baillargeon 2007):

    - ``poisson2``: ``2**k - 1`` (capture probabilities whose log-odds follow a
      Poisson-type mixing distribution);
    - ``darroch``: ``k**2 / 2`` (normal mixing of the log-odds, Darroch et al. 1993);
    - ``gamma``: ``log(3.5) - log(3.5 + k)`` (gamma mixing with shape 3.5);
    - ``chao``: the ``t - 2`` hinge columns ``max(k - j, 0)``, ``j = 2, ..., t - 1``,
      whose coefficients are constrained to be non-negative: the log of
      ``E f_k / C(t, k)`` must be convex in ``k`` for any mixture of binomials,
      and the model with the constraint active everywhere above ``k = 2`` gives
      Chao's (1987) lower bound (Rivest & Baillargeon 2007).
``Mb`` / ``Mbh``
    Behavioural response: intercept + (first-capture occasion - 1) + (number of
    recaptures, ``k - 1``); ``Mbh`` adds an indicator of a first capture on the
    first list, so that the removal model applies from the second list on
    (Otis et al. 1978; Pollock & Otto 1983). Their unobserved cell is not
    log-linear: it is the tail of the geometric series of first captures
    (see :func:`mse.closed.fit.behavioural_unseen`).

References
----------
Cormack, R. M. (1989). Log-linear models for capture–recapture. *Biometrics* 45, 395–413.

Otis, D. L., Burnham, K. P., White, G. C. & Anderson, D. R. (1978). Statistical inference
from capture data on closed animal populations. *Wildlife Monographs* 62.

Rivest, L.-P. & Lévesque, T. (2001). Improved log-linear model estimators of abundance in
capture–recapture experiments. *Canadian Journal of Statistics* 29, 555–572.

Rivest, L.-P. & Baillargeon, S. (2007). Applications and extensions of Chao's moment
estimator for the size of a closed population. *Biometrics* 63, 999–1006.

Baillargeon, S. & Rivest, L.-P. (2007). Rcapture: loglinear models for capture–recapture
in R. *Journal of Statistical Software* 19(5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "HETEROGENEITY",
    "MODELS",
    "ModelDesign",
    "capture_histories",
    "model_design",
]

#: Heterogeneity forms with a single column, as functions of the number of captures.
HETEROGENEITY = {
    "poisson2": lambda k: 2.0**k - 1.0,
    "darroch": lambda k: k**2 / 2.0,
    "gamma": lambda k: np.log(3.5) - np.log(3.5 + k),
}

#: Public model names, in the order of :func:`mse.closed_population_models`.
MODELS = (
    "M0",
    "Mt",
    "Mh_chao",
    "Mh_poisson2",
    "Mh_darroch",
    "Mh_gamma",
    "Mth_chao",
    "Mth_poisson2",
    "Mth_darroch",
    "Mth_gamma",
    "Mb",
    "Mbh",
)


@dataclass(frozen=True)
class ModelDesign:
    """The design of one closed-population model on the observed cells.

    Attributes
    ----------
    name : str
        Public model name (``"Mth_chao"``, ...).
    matrix : numpy.ndarray
        Shape ``(2**t - 1, p)``; column 0 is the intercept.
    columns : tuple of str
        Column names.
    nonnegative : tuple of int
        Columns whose coefficients are constrained to be ``>= 0`` (Chao's hinges).
    behavioural : bool
        Whether the unobserved cell follows the removal (geometric) form.
    t : int
        Number of lists.
    """

    name: str
    matrix: np.ndarray
    columns: tuple[str, ...]
    nonnegative: tuple[int, ...] = ()
    behavioural: bool = False
    t: int = 0


def capture_histories(t: int) -> np.ndarray:
    """The ``2**t - 1`` observed histories as a 0/1 matrix, in dense-count order.

    Examples
    --------
    >>> capture_histories(2).tolist()
    [[0, 1], [1, 0], [1, 1]]
    """
    index = np.arange(1, 2**t)
    shifts = t - 1 - np.arange(t)
    return ((index[:, None] >> shifts[None, :]) & 1).astype(np.int64)


def model_design(name: str, t: int, lists: tuple[str, ...] | None = None) -> ModelDesign:
    """The design matrix of a closed-population model for ``t`` lists.

    Parameters
    ----------
    name
        One of :data:`MODELS`.
    t
        Number of lists (at least 2).
    lists
        List names for the column labels (default ``c1, ..., ct``).

    Returns
    -------
    ModelDesign

    Raises
    ------
    ValueError
        For an unknown model name.

    Examples
    --------
    >>> model_design("Mh_poisson2", 3).matrix[-1].tolist()  # history 111
    [1.0, 3.0, 7.0]
    """
    if name not in MODELS:
        raise ValueError(f"unknown closed-population model {name!r}; choose one of {list(MODELS)}")
    lists = tuple(lists) if lists is not None else tuple(f"c{i + 1}" for i in range(t))
    histories = capture_histories(t).astype(float)
    k = histories.sum(axis=1)
    one = np.ones_like(k)
    if name in ("Mb", "Mbh"):
        first = np.argmax(histories, axis=1).astype(float)  # occasion of first capture - 1
        cols = [one, first, k - 1.0]
        names = ["intercept", "first_capture", "recaptures"]
        if name == "Mbh":
            cols.append((first == 0).astype(float))
            names.append("first_on_list_1")
        return ModelDesign(name, np.column_stack(cols), tuple(names), behavioural=True, t=t)
    family, _, heterogeneity = name.partition("_")
    if family in ("M0", "Mh"):
        cols, names = [one, k], ["intercept", "captures"]
    else:
        cols, names = [one, *histories.T], ["intercept", *lists]
    nonnegative: tuple[int, ...] = ()
    if heterogeneity == "chao":
        start = len(cols)
        for j in range(2, t):
            cols.append(np.maximum(k - j, 0.0))
            names.append(f"(k-{j})+")
        nonnegative = tuple(range(start, len(cols)))
    elif heterogeneity:
        cols.append(HETEROGENEITY[heterogeneity](k))
        names.append(heterogeneity)
    return ModelDesign(name, np.column_stack(cols), tuple(names), nonnegative=nonnegative, t=t)
