"""Estimates that account for linkage errors: a table built from a linkage is one of many the linkage allows.

A :class:`~mse.linkage.LinkedCaptureData` is the table of the clusters at
the linkage's threshold. Missed links split one person into several
records (too many people, most of them on one list); false links merge two
people (too few). :meth:`mse.methods.Method.fit` hands such a table to
:func:`corrected_fit`, which applies one of four corrections
(``linkage_error=``). By default (``linkage_error=None``) it is
``"review"`` for a log-linear model of the lists when the linkage carries a
clerical review, ``"rates"`` for one without, and ``"resample"`` for every
other method (:data:`DEFAULT`).

``"review"`` (the default for log-linear models when the linkage has a review)
    A clerical review of a simple random sample of each list's records
    (:meth:`~mse.linkage.LinkageResult.review_sample`,
    :meth:`~mse.linkage.LinkageResult.with_review`) gives the table of true
    capture histories by two-phase sampling (:mod:`mse.linkage.review`); the
    method is fitted to it (:func:`review_fit`), and the review's sampling
    variance, from a rescaled bootstrap of the reviewed records, is added to
    the model's. It assumes nothing about the errors or the match
    probabilities. Through the whole pipeline
    (``benchmarks/bench_linkage_study.py``), with 100 records reviewed per list
    its 95 % intervals covered N in 94-98 % of replicates from clean records to
    28 % of true matches missed, with a bias under 1 %.

``"resample"``
    Multiple imputation of the linkage (Goldstein, Harron & Wade 2012): ``M``
    link configurations are drawn from the match probabilities
    (:meth:`~mse.linkage.LinkageResult.sample_clusters`), the method is fitted
    to the table of each, and the estimates are combined by Rubin's (1987)
    rules on the log scale. The linkage's part of the uncertainty is the
    between-configuration variance. Each pair is drawn independently, so a
    configuration carries the linkage's errors as the table at the threshold
    does: it is centred on the truth only where a table is linear in the
    number of links (two lists, each record in one candidate pair at most).
    With three lists, where people on several lists are joined by redundant
    pairs, it kept the bias of the naive table in simulations
    (``benchmarks/bench_linkage_correction.py``: -3.5 % against -2.7 % when
    10 % of true matches were missed and as many pairs falsely linked, with
    78.5 % coverage of 95 % intervals; -1.4 % against -1.0 % and 88.5 % at
    3 %): it widens the interval for the linkage, it does not remove a bias.
    For a log-linear model of three or more lists, ``"rates"`` does.
``"rates"`` (the default for log-linear models without a review)
    The correction of Ding & Fienberg (1994) and Di Consiglio & Tuoto (2015,
    2018), in log-linear models with several lists as in Zult, de Wolf,
    Bakker & van der Heijden (2021): the observed table is modelled as the
    true table distorted by linkage errors at known rates
    (:func:`rates_fit`). Log-linear methods only. In the same simulations
    it removed the bias (+0.7 % and +0.2 %, coverage 94 %), where the errors
    follow its model. It assumes calibrated match probabilities and errors
    that strike each pair of lists independently. Through the whole pipeline
    (``benchmarks/bench_linkage_study.py``: simulated records,
    pseudonymised, linked by :func:`~mse.linkage.link`) neither holds: the
    probabilities understate the false links of namesakes and, with many
    typing errors, the missed links, and a record with a misspelt name misses
    its links to every other list at once. Its 95 % intervals covered N in
    95 % of replicates without record errors, 86 % with 3 % of true matches
    missed, 78 % with 11 % and never with 28 %.
``"ignore"``
    The table at the threshold, as if the linkage were exact.

References
----------
Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.

Tenenbein, A. (1970). A double sampling scheme for estimating from binomial
data with misclassifications. *Journal of the American Statistical
Association* 65(331), 1350-1361.

Goldstein, H., Harron, K. & Wade, A. (2012). The analysis of record-linked
data using multiple imputation with data value priors. *Statistics in
Medicine* 31(28), 3481-3493.

Ding, Y. & Fienberg, S. E. (1994). Dual system estimation of Census
undercount in the presence of matching error. *Survey Methodology* 20(2),
149-158.

Di Consiglio, L. & Tuoto, T. (2015). Coverage evaluation on probabilistically
linked data. *Journal of Official Statistics* 31(3), 415-429.

Di Consiglio, L. & Tuoto, T. (2018). Population size estimation and linkage
errors: the multiple lists case. *Journal of Official Statistics* 34(4),
889-908.

Zult, D., de Wolf, P.-P., Bakker, B. F. M. & van der Heijden, P. G. M.
(2021). A general framework for multiple-recapture estimation that
incorporates linkage error correction. *Journal of Official Statistics*
37(3), 551-580.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from mse.errors import DataError, EstimabilityError, ModelError
from mse.linkage.linked_data import LinkedCaptureData
from mse.linkage.result import LinkageResult
from mse.results import Estimate

if TYPE_CHECKING:
    from mse.data.capture import CaptureData
    from mse.linkage.review import ReviewedTable
    from mse.methods.base import Method

__all__ = [
    "DEFAULT_LINKAGE_DRAWS",
    "DEFAULT_REVIEW_REPLICATES",
    "LINKAGE_ERRORS",
    "RATES_METHODS",
    "ReviewFit",
    "RubinCombination",
    "check_linkage_options",
    "corrected_fit",
    "linkage_mixing",
    "rates_fit",
    "review_fit",
    "rubin_combine",
    "two_list_rates_estimate",
]

#: The values of ``linkage_error``.
LINKAGE_ERRORS = ("review", "resample", "rates", "ignore")
#: What ``linkage_error=None`` means on a linked table: ``"review"`` where the method fits one log-linear model
#: of the lists and the linkage has a clerical review (the correction that covered N at every error level in
#: benchmarks/bench_linkage_study.py), ``"rates"`` for such a model without a review (the correction that
#: removes the bias with any number of lists when the match probabilities are calibrated,
#: benchmarks/bench_linkage_correction.py), ``"resample"`` for every other method. Decided after the naive
#: fit, because ``auto`` may or may not choose a log-linear model.
DEFAULT = "default"
#: Configurations drawn by ``"resample"`` when ``linkage_draws`` is not given. Measured over 200 seeds on
#: a three-list linkage where the linkage gave 35 % of the variance (benchmarks/bench_linkage_correction.py
#: --draws): the interval's width varies by 17.5 % (coefficient of variation) at 5 draws, 6.3 % at 20, 3.8 %
#: at 50 and 2.6 % at 100, and the point estimate by 0.27, 0.12, 0.08 and 0.06 of its standard error. At 20
#: the Monte Carlo noise is small beside the interval, Rubin's degrees of freedom account for the rest, and
#: a method that costs a second per fit costs 20; ask for 50-100 draws for limits stable to a few percent.
DEFAULT_LINKAGE_DRAWS = 20
#: Bootstrap replicates of a clerical review for ``"review"`` when ``linkage_draws`` is not given. The
#: between-replicate variance of ``log N`` then has a coefficient of variation of about ``sqrt(2 / 199)``,
#: 10 %, so the interval's half-width varies by about 5 % (less where the review's part is small); the
#: replicates are refitted in one batch, in well under a second for ten lists.
DEFAULT_REVIEW_REPLICATES = 200
#: Methods that ``"rates"`` accepts: those that fit one hierarchical log-linear model of the lists.
RATES_METHODS = frozenset({"independence", "loglinear", "stepwise", "aic", "bic", "bic_aic", "auto"})
#: Methods whose fits report a standard error of N: configurations are fitted with a Wald interval.
WALD_METHODS = frozenset({"independence", "loglinear", "stepwise", "aic", "bic", "bic_aic"})
#: Share of configurations that may fail before the result is no longer reported as ``"ok"``.
MAX_FAILED_SHARE = 0.25
#: The most lists ``"rates"`` and ``"review"`` take: the mixing matrix of ``"rates"`` has ``4**t`` entries,
#: and each of the review's bootstrap tables ``2**t`` cells.
MAX_RATES_LISTS = 10


def check_linkage_options(data: CaptureData, linkage_error: str | None, linkage_draws: int | None) -> tuple[str, int]:
    """``linkage_error`` and ``linkage_draws`` checked against the data; the correction and the draws to use.

    Parameters
    ----------
    data
        The table given to the method.
    linkage_error
        ``"review"``, ``"resample"``, ``"rates"``, ``"ignore"`` or ``None``:
        on a :class:`~mse.linkage.LinkedCaptureData`, ``None`` is
        ``"resample"`` when ``linkage_draws`` is given and the linkage has no
        clerical review, else :data:`DEFAULT` (decided by
        :func:`corrected_fit` once the model is known: ``"review"`` for a
        log-linear model of the lists when the linkage has a review,
        ``"rates"`` for one without, ``"resample"`` otherwise).
    linkage_draws
        Link configurations for ``"resample"``, bootstrap replicates of the
        review for ``"review"`` (``None``: :data:`DEFAULT_LINKAGE_DRAWS` and
        :data:`DEFAULT_REVIEW_REPLICATES`).

    Returns
    -------
    tuple
        The correction (``""`` for a table that is not linked) and the number
        of draws (``0`` on a linked table when ``linkage_draws`` is not given:
        the chosen correction's own default).

    Raises
    ------
    ModelError
        For an unknown correction, a number of draws that is not a whole
        number of at least 2, draws for a correction that takes none,
        ``"review"`` for a linkage without a review, or either option on a
        table that was not built from a linkage.

    Examples
    --------
    >>> import mse
    >>> check_linkage_options(mse.load_dataset("korea"), None, None)
    ('', 20)
    """
    linked = isinstance(data, LinkedCaptureData)
    if not linked:
        if linkage_error is not None or linkage_draws is not None:
            raise ModelError(
                "linkage_error and linkage_draws apply only to a table built from a linkage "
                "(mse.CaptureData.from_linked); this table is not linked, so leave them out."
            )
        return "", DEFAULT_LINKAGE_DRAWS
    assert isinstance(data, LinkedCaptureData)
    reviewed = data.linkage.review is not None
    if linkage_error is None:
        mode = "resample" if linkage_draws is not None and not reviewed else DEFAULT
    else:
        mode = linkage_error
    if mode not in (*LINKAGE_ERRORS, DEFAULT):
        raise ModelError(f"linkage_error must be one of {list(LINKAGE_ERRORS)}, got {linkage_error!r}.")
    if mode == "review" and not reviewed:
        raise ModelError(
            "linkage_error='review' needs a clerical review of the linkage: draw records with "
            "linkage.review_sample(n, random_seed=...), have them reviewed, and link them with "
            "linkage.with_review(reviewed) before mse.CaptureData.from_linked."
        )
    if linkage_draws is None:
        draws = 0
    elif isinstance(linkage_draws, bool) or not isinstance(linkage_draws, (int, np.integer)) or linkage_draws < 2:
        raise ModelError(f"linkage_draws must be a whole number of at least 2, got {linkage_draws!r}.")
    else:
        draws = int(linkage_draws)
    if linkage_draws is not None and mode not in ("resample", "review", DEFAULT):
        raise ModelError(f"linkage_draws applies only to linkage_error='resample' and 'review', not {mode!r}.")
    return mode, draws


# ---------------------------------------------------------------------- Rubin's rules
@dataclass(frozen=True)
class RubinCombination:
    """Estimates of ``log N`` over link configurations, combined by Rubin's rules.

    Attributes
    ----------
    estimate, lower, upper : float
        ``exp`` of the mean of ``log N`` and of the limits of its interval.
    mean_log : float
        The mean of ``log N`` over the configurations.
    within, between, total : float
        Variances of ``log N``: the mean sampling variance, the variance over
        configurations, and ``within + (1 + 1/M) between``.
    df : float
        Rubin's degrees of freedom of the t distribution (``inf`` when ``between`` is 0).
    linkage_share : float
        ``(1 + 1/M) between / total``, the part of the variance due to the linkage.

    Examples
    --------
    >>> import math
    >>> combined = rubin_combine([math.log(100), math.log(120)], [0.01, 0.01], 0.95)
    >>> round(combined.linkage_share, 2)
    0.71
    """

    estimate: float
    lower: float
    upper: float
    mean_log: float
    within: float
    between: float
    total: float
    df: float
    linkage_share: float


def rubin_combine(log_estimates: Sequence[float], log_variances: Sequence[float], level: float) -> RubinCombination:
    """Combine ``M`` estimates of ``log N`` and their sampling variances by Rubin's rules.

    With ``q_m`` the estimates and ``u_m`` their variances: ``q = mean(q_m)``,
    ``W = mean(u_m)``, ``B = sum (q_m - q)^2 / (M - 1)``,
    ``T = W + (1 + 1/M) B``, and the interval ``q +- t_nu sqrt(T)`` with
    ``nu = (M - 1) (1 + W / ((1 + 1/M) B))^2`` degrees of freedom, mapped
    back by ``exp``.

    Parameters
    ----------
    log_estimates, log_variances
        ``log N`` and its sampling variance for each configuration (at least two).
    level
        Coverage of the interval.

    Returns
    -------
    RubinCombination

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*.
    Wiley, section 3.1.

    Examples
    --------
    >>> import math
    >>> combined = rubin_combine([math.log(100), math.log(120)], [0.01, 0.01], 0.95)
    >>> round(combined.estimate, 2), round(combined.between, 5), round(combined.df, 2)
    (109.54, 0.01662, 1.96)
    """
    q = np.asarray(log_estimates, dtype=float)
    u = np.asarray(log_variances, dtype=float)
    m = len(q)
    if m < 2 or len(u) != m:
        raise DataError("Rubin's rules need at least two estimates, each with its variance.")
    mean = float(q.mean())
    within = float(u.mean())
    between = float(q.var(ddof=1))
    inflated = (1.0 + 1.0 / m) * between
    total = within + inflated
    if inflated > 0:
        df = (m - 1) * (1.0 + within / inflated) ** 2
        quantile = float(stats.t.ppf(0.5 + level / 2.0, df))
    else:
        df = math.inf
        quantile = float(stats.norm.ppf(0.5 + level / 2.0))
    half = quantile * math.sqrt(total)
    return RubinCombination(
        estimate=math.exp(mean),
        lower=math.exp(mean - half),
        upper=math.exp(mean + half),
        mean_log=mean,
        within=within,
        between=between,
        total=total,
        df=df,
        linkage_share=inflated / total if total > 0 else 0.0,
    )


def _log_variance(result: Estimate) -> float:
    """The sampling variance of ``log N`` of one fit: from its standard error, else from its interval.

    ``(se / N)^2`` by the delta method; a method that reports no standard
    error gives it through its interval, read as symmetric on the log scale:
    ``((log upper - log lower) / (2 z))^2`` with ``z`` the normal quantile of
    its level (exact for a Wald interval of ``log N``, an approximation for
    the others).
    """
    se = result.se
    if math.isfinite(se) and se >= 0 and result.estimate > 0:
        return (se / result.estimate) ** 2
    if result.lower > 0 and math.isfinite(result.upper) and result.upper >= result.lower:
        z = float(stats.norm.ppf(0.5 + result.level / 2.0))
        return ((math.log(result.upper) - math.log(result.lower)) / (2.0 * z)) ** 2
    return math.nan


# ---------------------------------------------------------------------- the rates model
def _pair_matrix(rates: pd.DataFrame, lists: Sequence[str], column: str, missing: float) -> np.ndarray:
    position = {name: k for k, name in enumerate(lists)}
    t = len(lists)
    out = np.full((t, t), missing)
    for row in rates.itertuples(index=False):
        value = float(getattr(row, column))
        a, b = position[str(row.list_a)], position[str(row.list_b)]
        out[a, b] = out[b, a] = value if math.isfinite(value) else missing
    return out


def _members(code: int, t: int) -> list[int]:
    """The list positions in a history code (first list the most significant bit)."""
    return [j for j in range(t) if code >> (t - 1 - j) & 1]


def linkage_mixing(alpha: np.ndarray) -> np.ndarray:
    """How missed links split people: the expected records of each history made from one person of each history.

    A person on the lists of history ``h`` is linked between two of them,
    ``a`` and ``b``, with probability ``alpha[a, b]``, independently over the
    pairs; the person's records then form the connected components of those
    links. The entry ``[g, h]`` is the expected number of components with
    history ``g`` (a subset of ``h``):
    ``P(g connected) * prod over a in g, b in h minus g of (1 - alpha[a, b])``,
    with the probability that ``g`` is connected by the usual recursion over
    the component of its first list.

    Parameters
    ----------
    alpha
        ``(t, t)`` symmetric link probabilities of true matches.

    Returns
    -------
    numpy.ndarray
        ``(2**t - 1, 2**t)`` matrix from true histories (the empty one first,
        whose column is 0) to observable ones, in the order of
        ``CaptureData.dense_counts()``.

    Examples
    --------
    >>> import numpy as np
    >>> linkage_mixing(np.array([[1.0, 0.9], [0.9, 1.0]])).round(2).tolist()
    [[0.0, 1.0, 0.0, 0.1], [0.0, 0.0, 1.0, 0.1], [0.0, 0.0, 0.0, 0.9]]
    """
    alpha = np.asarray(alpha, dtype=float)
    t = alpha.shape[0]
    if t > MAX_RATES_LISTS:
        raise ModelError(f"linkage_error='rates' takes at most {MAX_RATES_LISTS} lists; use 'resample'.")
    size = 1 << t
    members = [_members(code, t) for code in range(size)]
    miss = 1.0 - alpha

    def cut(g: int, rest: int) -> float:
        # probability that no link joins the lists of g to those of rest
        return float(np.prod(miss[np.ix_(members[g], members[rest])])) if g and rest else 1.0

    connected = np.zeros(size)
    for g in range(1, size):
        lowest = g & -g
        others = g ^ lowest
        total = 0.0
        sub = others
        # every proper subset S of g holding its lowest bit: g is disconnected with S the component of that list
        while True:
            part = sub | lowest
            if part != g:
                total += connected[part] * cut(part, g ^ part)
            if sub == 0:
                break
            sub = (sub - 1) & others
        connected[g] = 1.0 - total
    mixing = np.zeros((size - 1, size))
    for h in range(1, size):
        sub = h
        while sub:
            mixing[sub - 1, h] = connected[sub] * cut(sub, h ^ sub)
            sub = (sub - 1) & h
    return mixing


def _false_link_parts(beta: np.ndarray) -> list[tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
    """For every pair of lists with false links: its rate, the histories of each side, and the merged histories."""
    t = beta.shape[0]
    size = 1 << t
    codes = np.arange(size)
    parts = []
    for a in range(t):
        for b in range(a + 1, t):
            if beta[a, b] <= 0:
                continue
            bit_a, bit_b = 1 << (t - 1 - a), 1 << (t - 1 - b)
            second = np.flatnonzero((codes & bit_b > 0) & (codes & bit_a == 0))  # on b, not on a
            first = np.flatnonzero((codes & bit_a > 0) & (codes & bit_b == 0))  # on a, not on b
            merged = second[:, None] | first[None, :]
            parts.append((float(beta[a, b]), second, first, merged))
    return parts


def _expected_observed(mu: np.ndarray, mixing: np.ndarray, parts: list[Any]) -> np.ndarray:
    """The expected observed counts of the ``2**t - 1`` histories given the true expected counts ``mu`` (``2**t``)."""
    observed = mixing @ mu
    for beta, second, first, merged in parts:
        on_b, on_a = mu[second], mu[first]
        pool = on_a.sum()
        if pool <= 0:
            continue
        # first order in beta: each person on b but not a is merged, with probability beta, with a person on a
        # but not b drawn in proportion to their numbers
        moved = beta * np.outer(on_b, on_a) / pool
        observed += np.bincount(merged.ravel() - 1, weights=moved.ravel(), minlength=len(observed))
        # the histories on each side are distinct, so plain indexing subtracts each once
        observed[second - 1] -= moved.sum(axis=1)
        observed[first - 1] -= moved.sum(axis=0)
    return observed


@dataclass(frozen=True)
class RatesFit:
    """The log-linear model fitted to a linked table under linkage errors at known rates (see :func:`rates_fit`)."""

    estimate: float
    lower: float
    upper: float
    se_log: float
    coef: np.ndarray
    fitted: np.ndarray
    converged: bool
    iterations: int
    status: str
    #: ``se_log`` had the linkage been exact: the same model and expected counts, without the mixing.
    se_log_exact: float = math.nan

    @property
    def linkage_share(self) -> float:
        """The part of the variance of ``log N`` that the linkage errors add: ``1 - se_log_exact**2 / se_log**2``."""
        if not (self.se_log > 0 and math.isfinite(self.se_log_exact)):
            return math.nan
        return max(0.0, 1.0 - (self.se_log_exact / self.se_log) ** 2)


def rates_fit(
    counts: np.ndarray,
    terms: Sequence[tuple[int, ...]],
    alpha: np.ndarray,
    beta: np.ndarray,
    *,
    level: float = 0.95,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> RatesFit:
    """Fit a log-linear model to a linked table whose links miss and err at known rates, by maximum likelihood.

    The counts of the ``2**t - 1`` observable histories are Poisson with mean
    ``E[observed] = A(alpha, beta)[mu(theta)]``, where ``mu = exp(X theta)``
    are the expected counts of the true histories (the empty one included)
    under the log-linear model and ``A`` describes the linkage errors:

    - missed links (:func:`linkage_mixing`): a person on the lists ``h`` is
      linked between lists ``a`` and ``b`` with probability ``alpha_ab``, and
      appears as one record per connected component of those links;
    - false links, to first order in ``beta``: for every pair of lists
      ``a < b``, each person on ``b`` but not on ``a`` is, with probability
      ``beta_ab``, merged with a person on ``a`` but not on ``b`` (chosen in
      proportion to their expected numbers); the two become one record with
      the union of their histories. ``b`` plays the part of the second list
      of Di Consiglio & Tuoto, so the correction depends (slightly, through
      this first-order term) on the order of the lists.

    The rates are homogeneous within a pair of lists (every record of the
    pair has the same chance of a missed or false link) and taken as known:
    the interval (Wald, on ``log N``, from the information of this
    likelihood, given the number of people as for the log-linear estimators)
    leaves out their uncertainty. Adding it by a parametric bootstrap (true
    matches drawn from the match probabilities, the model refitted with the
    rates they give) over-covered in the simulations of
    ``benchmarks/bench_linkage_correction.py`` (97.5-98 % for 95 %, against
    94-94.5 % without): the Poisson variance of the observed counts already
    holds the randomness of the errors about their expected rates. Fisher scoring from the naive
    fit; the Jacobian of the mean is taken by central differences.

    For two lists and the independence model the fit is saturated and gives
    the estimator of Di Consiglio & Tuoto (2015, eq. 5):
    ``N = n_a n_b (alpha - beta) / (m - n_b beta)``, with ``m`` the people
    linked on both lists and ``n_b`` the records of the second list
    (:func:`two_list_rates_estimate`), because the observed cells are
    ``m = alpha M + beta (n_b - M)``, ``n_a - m`` and ``n_b - m``, with ``M``
    the true matches, and the independence model gives ``N = n_a n_b / M``.

    Parameters
    ----------
    counts
        Observed counts of the ``2**t - 1`` histories (``dense_counts()[1:]``).
    terms
        Interaction terms of the model (tuples of list positions), as in
        :class:`mse.loglinear.model.design.Design`.
    alpha, beta
        ``(t, t)`` rates by pair of lists (see
        :meth:`mse.linkage.LinkageResult.error_rates`).
    level
        Coverage of the interval.
    max_iter, tol
        Iteration limit and tolerance on the relative change of the log-likelihood.

    Returns
    -------
    RatesFit
        ``status`` is ``"ok"`` or says why the fit failed (then the numbers are ``nan``).

    References
    ----------
    Di Consiglio, L. & Tuoto, T. (2015). Coverage evaluation on
    probabilistically linked data. *Journal of Official Statistics* 31(3),
    415-429.

    Zult, D., de Wolf, P.-P., Bakker, B. F. M. & van der Heijden, P. G. M.
    (2021). A general framework for multiple-recapture estimation that
    incorporates linkage error correction. *Journal of Official Statistics*
    37(3), 551-580.

    Examples
    --------
    >>> import numpy as np
    >>> fit = rates_fit(np.array([40.0, 60.0, 50.0]), [], np.full((2, 2), 0.9), np.full((2, 2), 0.01))
    >>> round(fit.estimate, 3) == round(two_list_rates_estimate(110, 90, 50, 0.9, 0.01), 3)
    True
    """
    from mse.loglinear.model.design import Design

    counts = np.asarray(counts, dtype=float)
    t = round(math.log2(len(counts) + 1))
    design = Design(t, terms)
    # rows of the true table: the empty history (intercept only in 0/1 coding), then the observable ones
    matrix = np.vstack([np.eye(1, design.matrix.shape[1]), design.matrix])
    mixing = linkage_mixing(alpha)
    parts = _false_link_parts(np.asarray(beta, dtype=float))

    def mean(theta: np.ndarray) -> np.ndarray:
        return _expected_observed(np.exp(matrix @ theta), mixing, parts)

    def loglik(lam: np.ndarray) -> float:
        if np.any(lam <= 0):
            return -math.inf
        return float(np.sum(counts * np.log(lam) - lam))

    def jacobian(theta: np.ndarray) -> np.ndarray:
        step = 1e-6
        columns = []
        for k in range(len(theta)):
            shift = np.zeros_like(theta)
            shift[k] = step
            columns.append((mean(theta + shift) - mean(theta - shift)) / (2 * step))
        return np.column_stack(columns)

    # start: the naive log-linear fit of the observed table
    from mse.loglinear.fit.irls import fit_poisson

    start = fit_poisson(design.matrix, counts, full_cov=False)
    theta = np.array(start.coef[0], dtype=float)
    if not np.all(np.isfinite(theta)):
        theta = np.zeros(matrix.shape[1])
        theta[0] = math.log(max(counts.sum(), 1.0))
    current = loglik(mean(theta))
    converged = False
    iterations = 0
    info = np.eye(len(theta))
    for iterations in range(1, max_iter + 1):  # noqa: B007
        lam = mean(theta)
        jac = jacobian(theta)
        score = jac.T @ (counts / lam - 1.0)
        info = jac.T @ (jac / lam[:, None])
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            break
        scale = 1.0
        while scale > 1e-8:
            trial = theta + scale * step
            value = loglik(mean(trial))
            if value >= current - 1e-12 * abs(current):
                break
            scale /= 2
        else:
            break
        change = value - current
        theta, current = trial, value
        if abs(change) <= tol * max(1.0, abs(current)) and np.max(np.abs(scale * step)) < 1e-7:
            converged = True
            break
    nan = math.nan
    if not converged:
        return RatesFit(nan, nan, nan, nan, theta, mean(theta), False, iterations, "the rates model did not converge")
    lam = mean(theta)
    jac = jacobian(theta)
    info = jac.T @ (jac / lam[:, None])
    mu = np.exp(matrix @ theta)
    n_hat = float(mu.sum())
    gradient = mu @ matrix  # d N / d theta
    try:
        poisson_variance = float(gradient @ np.linalg.solve(info, gradient))
    except np.linalg.LinAlgError:
        return RatesFit(n_hat, nan, nan, nan, theta, lam, True, iterations, "the rates model's information is singular")
    # A population of fixed size: the error N-hat - N has the Poisson variance of N-hat minus N, because
    # var(N) = N under Poisson sampling and cov(N-hat, N) = N (N-hat is of degree one in the counts, whose
    # variances equal their means). This is the variance the log-linear estimators report as their standard
    # error (var(mu_0-hat) + mu_0 there); with alpha = 1 and beta = 0 the two agree.
    variance = poisson_variance - n_hat
    if not (variance > 0 and math.isfinite(variance)):
        return RatesFit(
            n_hat, nan, nan, nan, theta, lam, True, iterations, "the rates model's variance of N is not positive"
        )
    se_log = math.sqrt(variance) / n_hat
    # The same population seen through an exact linkage: the observed cells are the true ones (mu without
    # the empty history), whose information is that of the ordinary log-linear fit.
    exact_info = matrix[1:].T @ (matrix[1:] * mu[1:, None])
    try:
        exact_variance = float(gradient @ np.linalg.solve(exact_info, gradient)) - n_hat
    except np.linalg.LinAlgError:
        exact_variance = math.nan
    se_log_exact = math.sqrt(exact_variance) / n_hat if exact_variance > 0 else math.nan
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return RatesFit(
        estimate=n_hat,
        lower=n_hat * math.exp(-z * se_log),
        upper=n_hat * math.exp(z * se_log),
        se_log=se_log,
        coef=theta,
        fitted=lam,
        converged=True,
        iterations=iterations,
        status="ok",
        se_log_exact=se_log_exact,
    )


def two_list_rates_estimate(n_a: float, n_b: float, m: float, alpha: float, beta: float) -> float:
    """The estimator of Di Consiglio & Tuoto (2015) for two lists: ``n_a n_b (alpha - beta) / (m - n_b beta)``.

    Parameters
    ----------
    n_a, n_b
        Records of the first and second list.
    m
        Links (people on both lists in the linked table).
    alpha, beta
        Probability that a true match is linked, and that a record of the
        second list with no match on the first is falsely linked.

    Returns
    -------
    float
        The estimate of ``N``; with ``alpha = 1, beta = 0`` the
        Lincoln-Petersen estimator ``n_a n_b / m``.

    References
    ----------
    Di Consiglio, L. & Tuoto, T. (2015). Coverage evaluation on
    probabilistically linked data. *Journal of Official Statistics* 31(3),
    415-429.

    Examples
    --------
    >>> two_list_rates_estimate(100, 80, 40, 1.0, 0.0)
    200.0
    """
    return float(n_a * n_b * (alpha - beta) / (m - n_b * beta))


# ---------------------------------------------------------------------- the front door's entry
def _child_seeds(random_seed: int | None, count: int) -> list[int]:
    """Independent seeds for the draws and each configuration's fit, derived from ``random_seed``."""
    children = np.random.SeedSequence(random_seed).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def linkage_fingerprint(linkage: LinkageResult) -> str:
    """A SHA-256 of the records' ids and lists and the scored pairs, to tell linkages apart in metadata."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(linkage.records[["record_id", "list"]], index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(linkage.pairs, index=False).to_numpy().tobytes())
    digest.update(repr((linkage.lists, linkage.threshold)).encode())
    if linkage.review is not None:
        digest.update(repr(list(zip(linkage.review["record_id"], linkage.review["matches"], strict=True))).encode())
    return digest.hexdigest()


def _is_fixed_loglinear(method: Method, data: CaptureData) -> bool:
    """Whether every configuration's fit is the plain MLE of one model, so that all can be fitted in one batch."""
    return (
        method.name in ("independence", "loglinear")
        and not data.covariates
        and set(method.options()) <= {"model", "max_seconds", "heterogeneity_check"}
    )


def _resample(
    method: Method,
    data: LinkedCaptureData,
    naive: Estimate,
    draws: int,
    *,
    level: float,
    interval: str | None,
    random_seed: int | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``log N``, its sampling variance and a failure reason (``""`` when fine) for each configuration."""
    linkage = data.linkage
    seeds = _child_seeds(random_seed, draws + 1)
    labels = linkage.sample_clusters(draws, random_seed=seeds[0])
    log_n = np.full(draws, np.nan)
    log_var = np.full(draws, np.nan)
    reasons = [""] * draws
    if _is_fixed_loglinear(method, data) and naive.fit is not None and hasattr(naive.fit, "terms"):
        from mse.loglinear.fit.batch import evaluate_models
        from mse.loglinear.model.design import Design

        design = Design(len(linkage.lists), naive.fit.terms)
        fits = evaluate_models(
            design, design.column_mask(naive.fit.terms), linkage.history_counts(labels), extended=True
        )
        good = fits.ok & (fits.estimate > 0)
        log_n[good] = np.log(fits.estimate[good])
        log_var[good] = (fits.se[good] / fits.estimate[good]) ** 2
        for bad in np.flatnonzero(~good):
            reasons[int(bad)] = str(fits.status[bad])
    else:
        covariates = data._covariate_names_linked
        # Only the standard error of a configuration's fit is used, and the log-linear estimators always
        # report one: their intervals (a profile, or a bootstrap that repeats the selection) would be wasted.
        if method.name in WALD_METHODS:
            interval = "wald"
        for m in range(draws):
            table = linkage.capture_data(labels[m], covariates)
            try:
                result = method.fit(table, level=level, interval=interval, random_seed=seeds[m + 1])
            except EstimabilityError as exc:
                reasons[m] = str(exc)
                continue
            if not result.ok:
                reasons[m] = result.status
                continue
            variance = _log_variance(result)
            if not (result.estimate > 0 and math.isfinite(variance)):
                reasons[m] = "no standard error or finite interval to give the sampling variance"
                continue
            log_n[m], log_var[m] = math.log(result.estimate), variance
    return log_n, log_var, reasons


def _has_list_model(naive: Estimate, data: CaptureData) -> bool:
    return naive.fit is not None and hasattr(naive.fit, "terms") and not data.covariates


def _rates(method: Method, data: LinkedCaptureData, naive: Estimate, *, level: float) -> RatesFit:
    fit = naive.fit
    if fit is None or not _has_list_model(naive, data):
        raise ModelError(
            f"linkage_error='rates' needs a log-linear model of the lists without covariates; method "
            f"{method.name!r} gave {naive.model or 'no model'!r}"
            + (" with covariates" if data.covariates else "")
            + ". Use linkage_error='resample', which works with every method."
        )
    rates = data.linkage.error_rates()
    lists = data.linkage.lists
    alpha = _pair_matrix(rates, lists, "alpha", 1.0)
    beta = _pair_matrix(rates, lists, "beta", 0.0)
    counts = np.asarray(data.dense_counts()[1:], dtype=float)
    return rates_fit(counts, fit.terms, alpha, beta, level=level)


@dataclass(frozen=True)
class ReviewFit:
    """The method fitted to the table a clerical review estimates, with the review's sampling error.

    Made by :func:`review_fit`.

    Parameters
    ----------
    result
        The method's fit to the reviewed table, rounded to whole people.
    table
        The reviewed table (:func:`mse.linkage.review.reviewed_table`).
    estimate, lower, upper
        The estimate of ``N`` (the chosen model refitted to the unrounded
        table) and its interval; ``nan`` when the correction failed.
    within, between
        Variances of ``log N``: the model's on the reviewed table, and over
        the review's bootstrap replicates.
    replicates, failed
        Bootstrap replicates of the review, and how many gave no estimate.
    status
        ``"ok"`` or why the correction failed or is unreliable.

    Examples
    --------
    >>> fit = ReviewFit(None, None, 100.0, 80.0, 125.0, 0.01, 0.003, 200, 0, "ok")
    >>> round(fit.total, 3), round(fit.linkage_share, 3)
    (0.013, 0.231)
    """

    result: Estimate
    table: ReviewedTable
    estimate: float
    lower: float
    upper: float
    within: float
    between: float
    replicates: int
    failed: int
    status: str

    @property
    def total(self) -> float:
        """The variance of ``log N``: ``within + between``."""
        return self.within + self.between

    @property
    def linkage_share(self) -> float:
        """The part of the variance of ``log N`` that comes from reviewing a sample instead of every record."""
        return self.between / self.total if self.total > 0 else math.nan


def review_fit(
    method: Method,
    data: LinkedCaptureData,
    *,
    replicates: int,
    level: float,
    interval: str | None,
    random_seed: int | None,
) -> ReviewFit:
    """Fit a log-linear method to the table of true histories that a clerical review estimates.

    The linkage's clerical review gives the table of true capture histories
    by two-phase sampling (:func:`mse.linkage.review.reviewed_table`). The
    method is fitted to that table (rounded to whole people, which changes
    no count by more than half a person) and chooses its model there, where
    the interactions that linkage errors create are gone. The chosen model is
    then refitted to the unrounded table and to ``replicates`` bootstrap
    tables of the review, in one batch. The variance of ``log N`` adds the
    model's sampling variance on the estimated table (``within``, from its
    standard error) and the review's (``between``, the variance of ``log N``
    over the replicates); the interval is ``exp(log N +- z sqrt(within +
    between))``. The model is held fixed over the replicates: the review's
    effect on which model is chosen is not in the interval.

    Parameters
    ----------
    method
        A method that fits one hierarchical log-linear model of the lists
        (:data:`RATES_METHODS`).
    data
        A linked table whose linkage has a review.
    replicates
        Bootstrap replicates of the review.
    level, interval, random_seed
        As for :func:`mse.estimate`.

    Returns
    -------
    ReviewFit
        ``status`` is ``"ok"`` or says why the correction failed (then the
        numbers are ``nan``); ``result`` is the method's fit to the rounded
        table.

    Raises
    ------
    ModelError
        For a method, or a model it chose, that is not one log-linear model
        of the lists, or a table with covariates.

    References
    ----------
    Tenenbein, A. (1970). A double sampling scheme for estimating from
    binomial data with misclassifications. *Journal of the American
    Statistical Association* 65(331), 1350-1361.

    Examples
    --------
    :func:`mse.estimate` calls it for a linked table with a review; a perfect
    linkage reviewed gives the plain fit, and the review adds no variance:

    >>> import mse
    >>> from mse.linkage.scored_linkage import simulate_linkage
    >>> linkage = simulate_linkage(800, (0.4, 0.5, 0.3), c=1e-9, d=1e-9, random_seed=3)
    >>> sample = linkage.review_sample(30, random_seed=4)
    >>> person = {r: r.split(":")[1] for r in linkage.records["record_id"]}
    >>> sample["matches"] = [[r for r in person if person[r] == person[s] and r != s] for s in sample["record_id"]]
    >>> data = mse.CaptureData.from_linked(linkage.with_review(sample))
    >>> fit = review_fit(mse.methods.Independence(), data, replicates=50, level=0.95, interval=None, random_seed=1)
    >>> fit.status, round(fit.estimate) == round(fit.result.estimate), fit.between
    ('ok', True, 0.0)
    """
    from mse.data.capture import CaptureData
    from mse.linkage.review import reviewed_table
    from mse.loglinear.fit.batch import evaluate_models
    from mse.loglinear.model.design import Design

    linkage = data.linkage
    if data.covariates:
        raise ModelError(
            "linkage_error='review' corrects a table of the lists without covariates; leave the covariates out of "
            "CaptureData.from_linked, or use linkage_error='resample'."
        )
    if linkage.review is None:
        raise ModelError("linkage_error='review' needs a clerical review of the linkage (LinkageResult.with_review).")
    lists = list(linkage.lists)
    t = len(lists)
    if t > MAX_RATES_LISTS:
        raise ModelError(
            f"linkage_error='review' takes at most {MAX_RATES_LISTS} lists (its replicates hold 2**t cells each); "
            f"this linkage has {t}. Use linkage_error='resample'."
        )
    table = reviewed_table(linkage, linkage.review)
    codes = np.arange(1, 1 << t)
    frame = pd.DataFrame({name: (codes >> (t - 1 - k)) & 1 for k, name in enumerate(lists)})
    frame["count"] = np.round(table.counts).astype(np.int64)
    rounded = CaptureData.from_counts(frame, lists=lists)
    seeds = _child_seeds(random_seed, 2)
    chosen_interval = "wald" if method.name in WALD_METHODS else interval
    result = method.fit(rounded, level=level, interval=chosen_interval, random_seed=seeds[0])
    if result.fit is None or not hasattr(result.fit, "terms"):
        raise ModelError(
            f"linkage_error='review' corrects log-linear models of the lists; method {method.name!r} chose "
            f"{result.model or 'no model'!r} on the reviewed table. Use linkage_error='resample'."
        )
    nan = math.nan

    def failure(failed: int, reason: str) -> ReviewFit:
        return ReviewFit(result, table, nan, nan, nan, nan, nan, replicates, failed, reason)

    if not result.ok:
        return failure(0, f"on the reviewed table: {result.status}")
    design = Design(t, result.fit.terms)
    counts = np.vstack([table.counts[None, :], table.replicates(replicates, random_seed=seeds[1])])
    fits = evaluate_models(design, design.column_mask(result.fit.terms), counts, extended=True)
    good = fits.ok & (fits.estimate > 0) & np.isfinite(fits.se)
    if not good[0]:
        return failure(0, f"on the reviewed table: {fits.status[0]}")
    estimate = float(fits.estimate[0])
    within = float((fits.se[0] / estimate) ** 2)
    replicate_logs = np.log(fits.estimate[1:][good[1:]])
    failed = int((~good[1:]).sum())
    if len(replicate_logs) < 2:
        return failure(failed, f"only {len(replicate_logs)} of {replicates} review replicates gave an estimate")
    between = float(np.var(replicate_logs, ddof=1))
    half = float(stats.norm.ppf(0.5 + level / 2.0)) * math.sqrt(within + between)
    status = "ok"
    if failed > MAX_FAILED_SHARE * replicates:
        status = (
            f"linkage correction unreliable: {failed} of {replicates} review replicates failed "
            f"(more than {MAX_FAILED_SHARE:.0%})"
        )
    return ReviewFit(
        result=result,
        table=table,
        estimate=estimate,
        lower=estimate * math.exp(-half),
        upper=estimate * math.exp(half),
        within=within,
        between=between,
        replicates=replicates,
        failed=failed,
        status=status,
    )


def corrected_fit(
    method: Method,
    data: LinkedCaptureData,
    *,
    linkage_error: str,
    linkage_draws: int,
    level: float,
    interval: str | None,
    random_seed: int | None,
) -> Estimate:
    """``method`` fitted to a linked table with its linkage errors accounted for (see the module's text).

    The result is the naive fit (the table at the linkage's threshold) with
    the corrected estimate and interval, and ``details["linkage"]``: the
    correction, the configurations drawn and failed (with the reasons), the
    naive estimate and interval, the within and between variances of
    ``log N`` and the linkage's share of the total, and the error-rate table
    of :meth:`~mse.linkage.LinkageResult.error_rates` as records.

    Parameters
    ----------
    method
        The method, fitted to each table through :meth:`~mse.methods.Method.fit`.
    data
        The linked table.
    linkage_error, linkage_draws
        Checked by :func:`check_linkage_options`.
    level, interval, random_seed
        As for :func:`mse.estimate`; configuration ``m`` is fitted with a seed
        derived from ``random_seed`` and ``m``.

    Returns
    -------
    Estimate

    Raises
    ------
    ModelError
        For ``"rates"`` with a method that does not fit one log-linear model of the lists.

    Examples
    --------
    :func:`mse.estimate` calls it for a linked table:

    >>> import pandas as pd, mse
    >>> from mse.linkage import LinkageResult
    >>> records = pd.DataFrame({"record_id": [f"a{i}" for i in range(60)] + [f"b{i}" for i in range(50)],
    ...                         "list": ["A"] * 60 + ["B"] * 50})
    >>> pairs = pd.DataFrame({"record_id_l": [f"a{i}" for i in range(30)],
    ...                       "record_id_r": [f"b{i}" for i in range(30)], "match_probability": 0.95})
    >>> table = mse.CaptureData.from_linked(LinkageResult(records, pairs, lists=("A", "B")))
    >>> res = mse.estimate(table, "independence", linkage_error="rates")
    >>> res.details["linkage"]["correction"], round(res.details["linkage"]["naive_estimate"])
    ('rates', 100)
    """
    chosen_by_default = linkage_error == DEFAULT
    linkage = data.linkage
    if chosen_by_default:
        if method.name not in RATES_METHODS:
            linkage_error = "resample"
        elif linkage.review is not None and not data.covariates:
            linkage_error = "review"
        else:
            linkage_error = "resample" if linkage_draws else "rates"
    if linkage_error in ("rates", "review") and method.name not in RATES_METHODS:
        raise ModelError(
            f"linkage_error={linkage_error!r} corrects log-linear models of the lists only "
            f"({sorted(RATES_METHODS)}); for method {method.name!r} use linkage_error='resample', which works with "
            "every method."
        )
    if not linkage_draws:
        linkage_draws = DEFAULT_REVIEW_REPLICATES if linkage_error == "review" else DEFAULT_LINKAGE_DRAWS
    naive_table = linkage.capture_data(None, data._covariate_names_linked)
    naive = method.fit(naive_table, level=level, interval=interval, random_seed=random_seed)
    if chosen_by_default and linkage_error in ("rates", "review") and not _has_list_model(naive, data):
        linkage_error = "resample"  # auto chose a method that is not a log-linear model of the lists
        linkage_draws = DEFAULT_LINKAGE_DRAWS
    reviewed: ReviewFit | None = None
    if linkage_error == "review":
        try:
            reviewed = review_fit(
                method, data, replicates=linkage_draws, level=level, interval=interval, random_seed=random_seed
            )
        except ModelError:
            if not chosen_by_default:
                raise
            # auto chose a method that is not a log-linear model of the lists on the reviewed table
            linkage_error, linkage_draws = "resample", DEFAULT_LINKAGE_DRAWS
    base = naive  # the fit the result is built on: the naive one, or for "review" the reviewed table's
    rates = linkage.error_rates()
    record: dict[str, Any] = {
        "correction": linkage_error,
        "chosen_by_default": chosen_by_default,
        "naive_estimate": naive.estimate,
        "naive_lower": naive.lower,
        "naive_upper": naive.upper,
        "naive_status": naive.status,
        "error_rates": rates.to_dict(orient="records"),
    }
    changes: dict[str, Any] = {}
    if linkage_error == "ignore":
        record.update({"draws": 0, "failed": 0, "within": math.nan, "between": math.nan, "linkage_share": math.nan})
    elif linkage_error == "rates":
        fitted = _rates(method, data, naive, level=level)
        record.update(
            {
                "draws": 0,
                "failed": 0,
                "within": fitted.se_log_exact**2,
                "between": math.nan,
                "total": fitted.se_log**2,
                "linkage_share": fitted.linkage_share,
                "rates_known": True,
                "interval": "wald on log N from the rates model's likelihood, the rates taken as known",
            }
        )
        changes = {
            "estimate": fitted.estimate,
            "lower": fitted.lower,
            "upper": fitted.upper,
            "interval_method": "wald",
            "status": naive.status if fitted.status == "ok" and naive.ok else fitted.status,
            "se": fitted.estimate * fitted.se_log,
        }
        if fitted.status != "ok":
            changes["status"] = f"linkage correction failed: {fitted.status}"
    elif linkage_error == "review":
        assert reviewed is not None
        table = reviewed.table
        record.update(
            {
                "draws": reviewed.replicates,
                "failed": reviewed.failed,
                "within": reviewed.within,
                "between": reviewed.between,
                "total": reviewed.total,
                "linkage_share": reviewed.linkage_share,
                "model": reviewed.result.model,
                "reviewed_counts": [float(v) for v in table.counts],
                "review": {
                    **{key: float(value) for key, value in table.summary.items()},
                    "reviewed_by_list": dict(table.reviewed),
                    "records_by_list": dict(table.records),
                    "unreviewed_records": table.unreviewed_records,
                },
                "interval": "wald on log N; the review's sampling variance from bootstrap replicates of the review",
            }
        )
        # The corrected estimate is the method's fit to the reviewed table: its model and fit replace the naive
        # ones, and the number of people observed is that of the reviewed table.
        base = reviewed.result
        record["naive_model"] = naive.model
        status = base.status if reviewed.status == "ok" and base.ok else reviewed.status
        if reviewed.status != "ok" and not reviewed.status.startswith("linkage correction"):
            status = f"linkage correction failed: {reviewed.status}"
        changes = {
            "estimate": reviewed.estimate,
            "lower": reviewed.lower,
            "upper": reviewed.upper,
            "interval_method": "wald",
            "status": status,
            "se": reviewed.estimate * math.sqrt(reviewed.total) if math.isfinite(reviewed.total) else math.nan,
        }
    else:
        log_n, log_var, reasons = _resample(
            method, data, naive, linkage_draws, level=level, interval=interval, random_seed=random_seed
        )
        good = np.array([reason == "" for reason in reasons])
        failed = int((~good).sum())
        record.update(
            {
                "draws": linkage_draws,
                "failed": failed,
                "failure_reasons": dict(Counter(reason for reason in reasons if reason)),
                "log_estimates": [float(v) for v in log_n],
            }
        )
        if good.sum() < 2:
            record.update({"within": math.nan, "between": math.nan, "linkage_share": math.nan})
            changes = {
                "estimate": math.nan,
                "lower": math.nan,
                "upper": math.nan,
                "status": f"linkage correction failed: only {int(good.sum())} of {linkage_draws} link "
                "configurations gave an estimate",
                "se": math.nan,
            }
        else:
            combined = rubin_combine(log_n[good], log_var[good], level)
            record.update(
                {
                    "within": combined.within,
                    "between": combined.between,
                    "total": combined.total,
                    "df": combined.df,
                    "linkage_share": combined.linkage_share,
                }
            )
            status = naive.status
            if failed > MAX_FAILED_SHARE * linkage_draws:
                status = (
                    f"linkage correction unreliable: {failed} of {linkage_draws} link configurations failed "
                    f"(more than {MAX_FAILED_SHARE:.0%})"
                )
            changes = {
                "estimate": combined.estimate,
                "lower": combined.lower,
                "upper": combined.upper,
                "interval_method": "rubin",
                "status": status,
                "se": combined.estimate * math.sqrt(combined.total),
            }
    details = dict(base.details)
    details["linkage"] = record
    if "se" in changes:
        details["se"] = changes.pop("se")
    metadata = dict(base.metadata)
    if base is not naive:
        # the result answers for the linked table the user gave, not for the rounded table it was fitted to
        metadata["data_hash"] = data.content_hash
        metadata["reviewed_table_hash"] = base.metadata.get("data_hash")
    metadata["linkage"] = {
        "fingerprint": linkage_fingerprint(linkage),
        "backend": linkage.backend,
        "threshold": linkage.threshold,
        "records": linkage.n_records,
        "candidate_pairs": len(linkage.pairs),
        "linkage_metadata": dict(linkage.metadata),
        "linkage_error": linkage_error,
        "linkage_draws": linkage_draws if linkage_error in ("resample", "review") else None,
        "reviewed_records": None if linkage.review is None else len(linkage.review),
    }
    if linkage_error != "ignore":
        # the naive fit's draws and strata describe the table at the threshold, not the corrected estimate
        changes.update({"draws": None, "strata": None})
        details.pop("strata_draws", None)  # without the strata they belong to, a saved result would not load
    return base.with_updates(details=details, metadata=metadata, **changes)
