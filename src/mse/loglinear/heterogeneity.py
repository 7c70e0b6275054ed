"""A check for heterogeneity of capture that a fitted log-linear model does not capture.

When people differ in how visible they are, and the differences are shared by
the lists (the same people are hard to find for every list), the lists are
positively associated in a way that depends on *how many* lists a person is
on. Darroch, Fienberg, Glonek & Junker (1993) showed that a Rasch-type model of
such heterogeneity is, on the observed cells, a log-linear model with an extra
term in the number of captures ``k``; Rivest & Baillargeon (2007) use the
same representation for the ``Mh``/``Mth`` family (``k**2 / 2`` for Darroch's
model, ``2**k - 1`` for the Poisson2 model). Its signature in the table is
convex: more people seen on one list only and on many lists, fewer on some,
than a model without the term predicts. Such heterogeneity is what makes
log-linear estimates too low with intervals that are too narrow.

The check extends the fitted model by one column, the lowest-order symmetric
term ``C(k, d)`` (``d = 2, 3, ...``, the number of ``d``-list combinations a
person is on) that the model does not already contain, and computes the
one-sided score test of a positive coefficient: ``z = h'(y - mu) / sqrt(h~' W
h~)``, with ``mu`` the fitted means, ``W = diag(mu)`` and ``h~`` the column
after weighted projection on the model's columns (Rao's efficient score;
``h'(y - mu) = h~'(y - mu)`` at the maximum-likelihood fit). Under the fitted
model ``z`` is approximately standard normal, so ``p = 1 - Phi(z)``. For a
model without pairwise terms ``d = 2``, and the term is Darroch et al.'s
quadratic (``C(k, 2) = k**2/2 - k/2``, and ``k`` is in every model); for a
model with every pairwise term ``d = 3``: more people on three or more lists
than the model predicts. A model that already holds every symmetric term
(the saturated one, or two lists) cannot be checked and says so.

The statistic needs only the fitted means: no refit, a few small matrix
products on the ``2**t - 1`` cells (about 0.1 ms). It is a check of the model
against the observed table: heterogeneity that the chosen model has absorbed
(with three-way terms, say) while still extrapolating wrongly to the unseen
cell leaves nothing for it to see, and positive dependence among all the lists
has the same signature as heterogeneity. See the user guide section
"Heterogeneity of capture" for its measured false-alarm rate and power.

References
----------
Darroch, J. N., Fienberg, S. E., Glonek, G. F. V. & Junker, B. W. (1993). A
three-sample multiple-recapture approach to census population estimation with
heterogeneous catchability. *JASA* 88(423), 1137–1148.

Rivest, L.-P. & Baillargeon, S. (2007). Applications and extensions of Chao's
moment estimator for the size of a closed population. *Biometrics* 63(4),
999–1006.

Rao, C. R. (1948). Large sample tests of statistical hypotheses concerning
several parameters with applications to problems of estimation. *Proc.
Cambridge Philos. Soc.* 44, 50–57.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import comb, ndtr

from mse.loglinear.fit.model_fit import LoglinearFit
from mse.loglinear.model.design import Design, extended_masks
from mse.loglinear.model.table import cell_histories

__all__ = ["ALPHA", "HeterogeneityCheck", "heterogeneity_check", "record_heterogeneity"]

#: Significance level at which the check warns.
ALPHA = 0.05

_TEST = "score test of a Rasch-type heterogeneity term (Darroch et al. 1993)"


@dataclass(frozen=True)
class HeterogeneityCheck:
    """The outcome of :func:`heterogeneity_check`.

    Attributes
    ----------
    test : str
        What was tested.
    term : str
        The column added: ``"C(k,2)"`` (people on two lists or more, counted by
        pairs), ``"C(k,3)"``, ...; ``""`` when nothing could be tested.
    statistic : float
        The one-sided score statistic ``z`` (``nan`` when not testable).
    p_value : float
        ``1 - Phi(z)``; small when more people are seen on one list and on many
        lists than the model predicts.
    alpha : float
        The level at which ``verdict`` says ``"heterogeneity"``.
    verdict : str
        ``"heterogeneity"``, ``"no evidence"`` or ``"not testable"``.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear import fit_model, heterogeneity_check
    >>> check = heterogeneity_check(fit_model(mse.load_dataset("korea"), "independence"))
    >>> check.term, check.verdict, check.fired
    ('C(k,2)', 'no evidence', False)
    """

    test: str
    term: str
    statistic: float
    p_value: float
    alpha: float
    verdict: str

    @property
    def fired(self) -> bool:
        """Whether the check found evidence of heterogeneity at level ``alpha``."""
        return self.verdict == "heterogeneity"

    def to_dict(self) -> dict[str, Any]:
        """The plain dict stored in ``Estimate.details["heterogeneity"]``."""
        return {
            "test": self.test,
            "term": self.term,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "verdict": self.verdict,
        }

    def message(self, model: str) -> str:
        """The warning text for a fit of ``model`` that the check flagged."""
        order = self.term[4:-1]
        many = "many lists" if order == "2" else f"{order} lists or more"
        return (
            f"model {model!r}: more people were seen on {many}, and on one list only, "
            f"than the model predicts (one-sided {self.test}, term {self.term}: z = {self.statistic:.2f}, "
            f"p = {self.p_value:.2g}). People probably differ in how visible they are to all the lists, which "
            "makes log-linear estimates too low and their intervals too narrow. Try method='lcmcr' (latent "
            "classes), covariates that explain visibility, or estimates by stratum; compare several methods "
            "before reporting. heterogeneity_check=False switches this check off."
        )


def _not_testable(alpha: float) -> HeterogeneityCheck:
    return HeterogeneityCheck(_TEST, "", math.nan, math.nan, alpha, "not testable")


def heterogeneity_check(fit: LoglinearFit, *, alpha: float = ALPHA) -> HeterogeneityCheck:
    """Test a fitted log-linear model for capture heterogeneity it does not capture.

    Parameters
    ----------
    fit
        A fit from :func:`mse.loglinear.fit_model` with status ``"ok"``.
    alpha
        Level at which the verdict is ``"heterogeneity"``.

    Returns
    -------
    HeterogeneityCheck
        The term tested, ``z``, the one-sided p-value and the verdict. Fits
        that are not ``"ok"``, and models that already contain every symmetric
        term (two lists; the saturated model), are ``"not testable"``.

    Notes
    -----
    See the module notes for the statistic. It is invariant to the order of
    the lists, and ``z`` grows like ``sqrt(c)`` when every count is multiplied
    by ``c`` (the fitted means scale with the counts).

    References
    ----------
    Darroch, J. N., Fienberg, S. E., Glonek, G. F. V. & Junker, B. W. (1993).
    *JASA* 88(423), 1137–1148.

    Rivest, L.-P. & Baillargeon, S. (2007). *Biometrics* 63(4), 999–1006.

    Examples
    --------
    >>> import mse
    >>> from mse.loglinear import fit_model
    >>> fit = fit_model(mse.load_dataset("kosovo"), "independence")
    >>> check = heterogeneity_check(fit)
    >>> check.term, check.verdict
    ('C(k,2)', 'heterogeneity')
    """
    if not fit.ok:
        return _not_testable(alpha)
    t = len(fit.lists)
    design = Design(t, fit.terms)
    columns, cells = extended_masks(design, design.column_mask(fit.terms), fit.counts)
    used = cells[0]
    x = design.matrix[used][:, columns[0]].astype(float)
    y = fit.counts[used]
    mu = fit.fitted[used]
    k = cell_histories(t)[used].sum(axis=1).astype(float)
    xtw = x.T * mu
    try:
        gram_inv = np.linalg.pinv(xtw @ x)
    except np.linalg.LinAlgError:
        return _not_testable(alpha)
    for d in range(2, t + 1):
        h = comb(k, d)
        scale = float(h @ (mu * h))
        if scale <= 0:
            continue
        resid = h - x @ (gram_inv @ (xtw @ h))
        info = float(resid @ (mu * resid))
        # A column inside the model's span (up to rounding) has nothing left to test.
        if info <= 1e-9 * scale:
            continue
        z = float(resid @ (y - mu)) / math.sqrt(info)
        p = float(ndtr(-z))
        verdict = "heterogeneity" if p < alpha else "no evidence"
        return HeterogeneityCheck(_TEST, f"C(k,{d})", z, p, alpha, verdict)
    return _not_testable(alpha)


def record_heterogeneity(fit: LoglinearFit, model_name: str, details: dict[str, Any]) -> None:
    """Run :func:`heterogeneity_check` on ``fit``, store it in ``details["heterogeneity"]`` and warn when it fires.

    A warning and a details entry, not a status: the estimate is the model's
    MLE all the same, and a test at 5 % flags one homogeneous table in twenty.
    Every log-linear estimator reports the check through this function.

    Parameters
    ----------
    fit
        The fitted model (a failed fit is left unchecked).
    model_name
        The model as the warning should name it.
    details
        The result's details, updated in place.

    Examples
    --------
    >>> import warnings
    >>> import mse
    >>> from mse.loglinear.fit.model_fit import fit_model
    >>> details = {}
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     record_heterogeneity(fit_model(mse.load_dataset("hepatitis_a"), "independence"), "independence", details)
    >>> details["heterogeneity"]["verdict"], caught[0].category.__name__
    ('heterogeneity', 'HeterogeneityWarning')
    """
    from mse.errors import HeterogeneityWarning, warn

    if not fit.ok:
        return
    check = heterogeneity_check(fit)
    details["heterogeneity"] = check.to_dict()
    if check.fired:
        warn(check.message(model_name), HeterogeneityWarning)
