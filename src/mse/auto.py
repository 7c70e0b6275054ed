"""``method="auto"``: a defensible default estimator chosen from the shape of the table.

The rule
--------
1. Covariates are summed out (use a covariate model explicitly for estimates
   by subgroup).
2. **Two lists**: Chapman's nearly unbiased estimator with Chao's log-normal
   interval. Two lists cannot reveal dependence between them, so the estimate
   assumes independence; the result says so in a warning.
3. **Three to twelve lists**: the log-linear model chosen by Chan, Silverman &
   Vincent's (2021) stepwise rule, allowed to go on to three-way terms once
   all their pairs are in (``max_order=3``; pairs only with three lists, and
   beyond seven lists, see :data:`THREE_WAY_MAX_LISTS`),
   with a BCa bootstrap interval that repeats the selection in every
   replicate, so the interval accounts for model selection. The rule was
   chosen by a study of candidates against known truths
   (``benchmarks/study_default_rule.py``; the evidence is in the user
   guide's "Choosing a method"): on Kosovo the search over pairs alone
   misses the Memory Book's count of 10,401 (14,342 [12,510, 16,715]),
   while with three-way terms the interval holds it; on tables drawn from
   Chan et al.'s fitted UK model its coverage is that of the pairs-only
   rule; BIC over all orders (with the top-model bootstrap, or averaged
   over models) covered less often there and overestimated by about 20 %.
   Every estimate carries the heterogeneity check of
   :mod:`mse.loglinear.heterogeneity`, which warns when people seem to
   differ in visibility in a way the chosen model does not capture; no
   log-linear rule removes that bias.
4. **More than twelve lists**: no default; the table has more cells than
   sparse data can support. Merge lists (``CaptureData.merge_lists``) first.

Whatever the rule chose is recorded in ``result.details["auto"]`` and in
``result.model``.
"""

from __future__ import annotations

from typing import Any

from mse.data.capture import CaptureData
from mse.errors import EstimabilityWarning, ModelError, warn
from mse.results import Estimate

__all__ = ["MAX_AUTO_LISTS", "STEPWISE_MAX_ORDER", "THREE_WAY_MAX_LISTS", "auto", "choose_method"]

#: More lists than this get no automatic estimate.
MAX_AUTO_LISTS = 12

#: The highest order of term the default stepwise search may add (three-way; see the module notes).
STEPWISE_MAX_ORDER = 3

#: Three-way terms are searched for up to this many lists. The rule was studied on three to six
#: lists; the number of candidate triples grows as t**3 / 6 (56 on eight lists, 220 on twelve), and on
#: eight lists with very large counts, where almost every term is significant, the search then adds
#: some 70 terms one step at a time in every bootstrap replicate (minutes per estimate).
THREE_WAY_MAX_LISTS = 7


def choose_method(data: CaptureData) -> tuple[str, dict[str, Any], str]:
    """The method, its options and the reason that ``method="auto"`` uses for ``data``.

    Parameters
    ----------
    data
        The capture table; only its number of lists matters.

    Returns
    -------
    method : str
        A method name of :func:`mse.estimate`.
    options : dict
        The options the rule passes to it.
    reason : str
        Why, in a sentence (recorded in ``result.details["auto"]``).

    Raises
    ------
    ModelError
        With more lists than the rule handles.

    Examples
    --------
    >>> import mse
    >>> from mse.auto import choose_method
    >>> choose_method(mse.load_dataset("kosovo"))[:2]
    ('stepwise', {'interval': 'bca', 'max_order': 3})
    """
    t = data.n_lists
    if t == 2:
        return "chapman", {}, "two lists: Chapman's estimator (independence of the two lists is assumed)"
    if t <= MAX_AUTO_LISTS:
        order = min(STEPWISE_MAX_ORDER if t <= THREE_WAY_MAX_LISTS else 2, t - 1)
        terms = "pairs" if order == 2 else "pairs, then three-way terms"
        return (
            "stepwise",
            {"interval": "bca", "max_order": order},
            f"{t} lists: stepwise log-linear model selection over {terms} (Chan et al. 2021) with a BCa bootstrap "
            "interval that repeats the selection in every replicate",
        )
    raise ModelError(
        f"method='auto' handles at most {MAX_AUTO_LISTS} lists, the data have {t}; merge related lists with "
        "data.merge_lists([...]) or choose a method explicitly."
    )


def auto(data: CaptureData, *, level: float, interval: str | None, random_seed: int | None, **options: Any) -> Estimate:
    """Estimate ``N`` with the default method for the table's shape (see :mod:`mse.auto` for the rule).

    Parameters
    ----------
    data
        Capture histories; covariates are summed out.
    level, random_seed
        As for :func:`mse.estimate`.
    interval
        Overrides the rule's interval (for example ``"profile"`` for a quick look).
    **options
        Passed to the chosen method (for example ``n_boot``); see
        :class:`mse.methods.Auto`.

    Returns
    -------
    Estimate
        The chosen method's result, with the choice and its reason in
        ``details["auto"]``.

    References
    ----------
    Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation
    for sparse capture data: inferential challenges when there are
    nonoverlapping lists. *Journal of the American Statistical Association*,
    116(535), 1297-1306.

    Chapman, D. G. (1951). Some properties of the hypergeometric distribution
    with applications to zoological sample censuses. *University of California
    Publications in Statistics*, 1, 131-160.

    Examples
    --------
    >>> import mse
    >>> res = mse.estimate(mse.load_dataset("korea"), method="auto", random_seed=1, n_boot=200)  # doctest: +SKIP
    >>> res.details["auto"]["method"]  # doctest: +SKIP
    'stepwise'
    """
    from mse.methods.registry import method_class

    data = data.collapse_covariates()
    method, chosen, reason = choose_method(data)
    if interval is not None:
        chosen = {**chosen, "interval": interval}
    run_interval = chosen.pop("interval", None)
    if method == "chapman":
        options.pop("heterogeneity_check", None)  # two lists hold no evidence of heterogeneity to check
        warn(
            "with two lists the estimate assumes the lists are independent; the data cannot check this.",
            EstimabilityWarning,
        )
    result = (
        method_class(method)
        .from_options({**chosen, **options})
        .run(data, level=level, interval=run_interval, random_seed=random_seed)
    )
    details = dict(result.details)
    details["auto"] = {"method": method, "interval": result.interval_method, "reason": reason}
    model = f"{method}: {result.model}" if result.model else method
    return result.with_updates(method="auto", model=model, details=details)
