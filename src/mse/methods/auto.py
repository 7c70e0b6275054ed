"""``method="auto"`` with its options: those of the methods its rule may choose."""

from __future__ import annotations

from mse.methods.base import Method
from mse.methods.closed import TwoLists
from mse.methods.fields import option, specification
from mse.methods.loglinear import LoglinearOptions, StepwiseSearch

__all__ = ["Auto"]


@specification
class Auto(StepwiseSearch, LoglinearOptions, TwoLists, Method):
    """A defensible default estimator, chosen from the shape of the table (see :mod:`mse.auto` for the rule).

    Two lists get Chapman's estimator; three to twelve lists the stepwise
    log-linear selection with a BCa bootstrap interval that repeats the
    selection in every replicate. The options are passed to the method the
    rule chooses (``lists`` to Chapman's, the others to the stepwise
    selection); the choice and its reason are in ``details["auto"]``.
    ``fit(..., interval=...)`` overrides the rule's interval.

    Examples
    --------
    >>> import mse
    >>> res = mse.methods.Auto().fit(mse.load_dataset("korea"), interval="wald")
    >>> res.model, res.details["auto"]["method"]
    ('stepwise: b:c', 'stepwise')
    """

    name = "auto"
    estimator = "mse.auto:auto"

    max_order: int | None = option(
        None,
        """
        Highest order of the terms the stepwise search may add (``None``:
        the rule's, three-way terms for three to seven lists, else pairs).
        """,
    )
