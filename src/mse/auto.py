"""``method="auto"``: a defensible default estimator chosen from the shape of the table.

The rule
--------
1. Covariates are summed out (use a covariate model explicitly for estimates
   by subgroup).
2. **Two lists**: Chapman's nearly unbiased estimator with Chao's log-normal
   interval. Two lists cannot reveal dependence between them, so the estimate
   assumes independence; the result says so in a warning.
3. **Three to twelve lists**: the log-linear model chosen by Chan, Silverman &
   Vincent's (2021) stepwise rule, with a BCa bootstrap interval that repeats
   the selection in every replicate, so the interval accounts for model
   selection. In their simulation from the UK data, this interval covered the
   truth in 90 % of replicates at nominal 95 %, against 61 % for intervals
   that condition on the BIC-chosen model; stepwise selection with the
   extended MLE also copes with lists that never overlap, which make many
   models inestimable in sparse trafficking tables. The library's own
   replication of that study (``benchmarks/study_chan2021.py``, 500 tables
   drawn from the stepwise fit to ``uk2013_5``) gives 89.0 % coverage for
   stepwise + BCa against 59.0 % for the BIC-conditional interval; the
   grid study in ``benchmarks/`` shows that no method, the latent-class
   model (``"lcmcr"``) included, removes the downward bias of individual
   heterogeneity that affects four lists alike.
4. **More than twelve lists**: no default; the table has more cells than
   sparse data can support. Merge lists (``CaptureData.merge_lists``) first.

Whatever the rule chose is recorded in ``result.details["auto"]`` and in
``result.model``.
"""

from __future__ import annotations

from typing import Any

from mse.data.capture import CaptureData
from mse.errors import EstimabilityWarning, ModelError
from mse.results import Estimate

__all__ = ["auto", "choose_method"]

#: More lists than this get no automatic estimate.
MAX_AUTO_LISTS = 12


def choose_method(data: CaptureData) -> tuple[str, dict[str, Any], str]:
    """The method, its options and the reason that ``method="auto"`` uses for ``data``.

    Examples
    --------
    >>> import mse
    >>> from mse.auto import choose_method
    >>> choose_method(mse.load_dataset("kosovo"))[:2]
    ('stepwise', {'interval': 'bca'})
    """
    t = data.n_lists
    if t == 2:
        return "chapman", {}, "two lists: Chapman's estimator (independence of the two lists is assumed)"
    if t <= MAX_AUTO_LISTS:
        return (
            "stepwise",
            {"interval": "bca"},
            f"{t} lists: stepwise log-linear model selection (Chan et al. 2021) with a BCa bootstrap interval that "
            "repeats the selection in every replicate",
        )
    raise ModelError(
        f"method='auto' handles at most {MAX_AUTO_LISTS} lists, the data have {t}; merge related lists with "
        "data.merge_lists([...], into=...) or choose a method explicitly."
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
        Passed to the chosen method (for example ``n_boot``).

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
    import warnings

    from mse.api import _resolve

    data = data.collapse_covariates()
    method, chosen, reason = choose_method(data)
    if interval is not None:
        chosen = {**chosen, "interval": interval}
    run_interval = chosen.pop("interval", None)
    if method == "chapman":
        options.pop("heterogeneity_check", None)  # two lists hold no evidence of heterogeneity to check
        warnings.warn(
            "with two lists the estimate assumes the lists are independent; the data cannot check this.",
            EstimabilityWarning,
            stacklevel=3,
        )
    result = _resolve(method)(
        data, level=level, interval=run_interval, random_seed=random_seed, **{**chosen, **options}
    )
    details = dict(result.details)
    details["auto"] = {"method": method, "interval": result.interval_method, "reason": reason}
    model = f"{method}: {result.model}" if result.model else method
    return result.with_updates(method="auto", model=model, details=details)
