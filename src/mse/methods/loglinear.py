"""The log-linear methods (:mod:`mse.loglinear`) with their options.

Every class names its estimator as a string, so importing this module imports
no model code. Data with covariates go to the models on lists x covariates
(:mod:`mse.loglinear.covariates.estimators`) unless ``covariates=[]`` sums the
covariates out; options that only apply there say so.

Intervals (``fit(..., interval=...)``): ``"profile"`` (the default),
``"wald"``, ``"parametric_bootstrap"``, ``"bca"``, ``"bootstrap_top"`` or
``"none"``; with covariates ``"parametric_bootstrap"`` (the default; the
chosen model held fixed), ``"bca"`` (the people resampled and EM and the model
search repeated in every replicate), ``"profile"`` (``Independence`` and
``Loglinear`` only), ``"wald"`` or ``"none"``. ``BICAverage`` has only ``"bootstrap_top"`` (the
default), ``"bca"`` and ``"none"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mse.methods.base import Method
from mse.methods.fields import option, specification

__all__ = ["AIC", "BIC", "BICAIC", "BICAverage", "Independence", "Loglinear", "Stepwise"]


@specification
class Bootstrap:
    """The options of the bootstrap intervals of the log-linear methods."""

    n_boot: int = option(1000, "Bootstrap replicates of a bootstrap interval.")
    n_top: int | None = option(
        60,
        """
        For ``interval="bootstrap_top"``: how many of the best models by BIC
        on the data are refitted in every replicate (Silverman, Chan &
        Vincent 2024); ``None`` refits every candidate.
        """,
    )
    progress: bool | None = option(
        None,
        """
        A progress bar on standard error: ``True`` always, ``False`` never,
        ``None`` when standard error is a terminal and the run is expected to
        take more than a few seconds.
        """,
    )
    n_workers: int | None = option(
        None,
        """
        Spread the replicates of a bootstrap interval over this many local
        worker processes (``None``: this process). The replicates are drawn
        from ``random_seed`` before any is evaluated, so the interval is the
        same on any number of workers. Worth it when the bootstrap takes more
        than a few seconds. Not for models with covariates.
        """,
    )
    executor: Any = option(
        None,
        """
        Or run the replicates on this ``concurrent.futures.Executor`` or
        ``dask.distributed.Client`` (it is left open). Not for models with
        covariates.
        """,
    )


@specification
class LoglinearOptions(Bootstrap):
    """The options every log-linear method without averaging shares."""

    covariates: Sequence[str] | None = option(
        None,
        """
        The covariates to model, by default all of the data's; ``[]`` sums
        them out and fits the model without covariates.
        """,
    )
    bias_correction: bool = option(
        False,
        """
        Replace the maximum-likelihood estimate of ``N`` under the chosen
        model by the bias-reduced estimator of Rivest & Lévesque (2001)
        (:mod:`mse.loglinear.fit.bias`; Chapman's estimator for two lists), in
        the bootstrap replicates too; the model selection is unchanged. Not
        for models with covariates (pass ``covariates=[]``).
        """,
    )
    heterogeneity_check: bool = option(
        True,
        """
        Test the chosen model for capture heterogeneity it does not capture
        (:mod:`mse.loglinear.heterogeneity`): the outcome goes to
        ``details["heterogeneity"]`` and evidence at the 5 % level to a
        :class:`~mse.HeterogeneityWarning`. ``False`` switches it off; it
        does not apply to models with covariates.
        """,
    )
    candidates: Sequence[Any] | None = option(
        None,
        """
        For ``interval="bootstrap_top"``: the models to rank (model strings),
        by default every hierarchical model up to ``max_order``.
        """,
    )


@specification
class CovariateModels:
    """The options of the models on lists x covariates."""

    year_polynomial: Mapping[str, int] | None = option(
        None,
        """
        With covariates: ``{"year": 2}`` codes that covariate by an orthogonal
        polynomial of that degree instead of a factor.
        """,
    )


@specification
class CovariateSearch(CovariateModels):
    """The options of the model searches on lists x covariates."""

    max_exhaustive_terms: int = option(
        10,
        """
        With covariates: the most candidate terms searched exhaustively;
        beyond, the search goes forward (see :mod:`mse.loglinear.covariates.model_search`).
        """,
    )


@specification
class Independence(LoglinearOptions, CovariateModels, Method):
    """The independence (main-effects) log-linear model, model ``Mt`` of Rcapture.

    Examples
    --------
    With the bias-reduced estimator, for a small table:

    >>> import mse
    >>> korea = mse.load_dataset("korea")
    >>> [round(mse.methods.Independence(bias_correction=bc).fit(korea).estimate, 1) for bc in (False, True)]
    [142.0, 141.8]
    """

    name = "independence"
    estimator = "mse.loglinear.estimators:independence"


@specification
class Loglinear(LoglinearOptions, CovariateModels, Method):
    """``N`` under a given hierarchical log-linear model.

    Examples
    --------
    >>> import mse
    >>> res = mse.methods.Loglinear(model="all two-way").fit(mse.load_dataset("kosovo"), interval="wald")
    >>> round(res.estimate)
    14402
    """

    name = "loglinear"
    estimator = "mse.loglinear.estimators:loglinear"

    model: str | Sequence[Any] | None = option(
        None,
        """
        The model: a string of terms (``"A:B + B:C"``, ``"all two-way"``;
        with covariates also terms such as ``"A:sex"``) or a sequence of
        tuples of list names. Required: fitting without it is a
        :class:`~mse.ModelError`.
        """,
    )


@specification
class StepwiseSearch:
    """The options of Chan et al.'s (2021) stepwise selection."""

    p_threshold: float = option(0.02, "A term enters while its p-value is below this, in (0, 1].")
    max_order: int | None = option(
        None,
        """
        Highest order of the terms the search may add: ``None`` for pairs
        only (Chan et al.'s rule), 3 to go on to three-way terms once all
        their pairs are in, and so on.
        """,
    )


@specification
class Stepwise(StepwiseSearch, LoglinearOptions, Method):
    """Chan, Silverman & Vincent's (2021) stepwise selection, then ``N`` under the chosen model.

    The search starts from independence and adds, one at a time, the term
    whose observed overlap is least likely under the current model, while
    its Poisson tail probability is below ``p_threshold``
    (:func:`mse.loglinear.search.model_search.stepwise_search`). The model is named by its
    terms in the order they entered; the bootstrap intervals repeat the
    search in every replicate. Covariates are summed out.

    References
    ----------
    Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems
    estimation for sparse capture data: inferential challenges when there
    are nonoverlapping lists. *Journal of the American Statistical
    Association* 116(535), 1297-1306.

    Examples
    --------
    On Kosovo, three-way terms change the answer:

    >>> import mse
    >>> kosovo = mse.load_dataset("kosovo")
    >>> for order in (2, 3):
    ...     res = mse.methods.Stepwise(max_order=order).fit(kosovo, interval="none")
    ...     print(order, round(res.estimate), res.model.split(" + ")[-1])
    2 14342 EXH:HRW
    3 18393 EXH:OSCE:HRW
    """

    name = "stepwise"
    estimator = "mse.loglinear.estimators:stepwise"

    covariates: Sequence[str] | None = option(
        None,
        """
        Has no effect: stepwise selection sums the covariates out (taken so
        that ``covariates=[]`` can be passed to every log-linear method alike).
        """,
    )


@specification
class CriterionSearch(LoglinearOptions, CovariateSearch, Method):
    """The options of the exhaustive searches by an information criterion (``AIC``, ``BIC``)."""

    max_order: int | None = option(
        None,
        """
        Highest order of interaction searched: by default 3 for up to five
        lists, else 2. With covariates only two-factor terms are searched
        (``None`` or 2).
        """,
    )
    max_models: int | None = option(
        None,
        """
        The most models fitted one by one (``None``: 100,000); with more the
        search goes greedy (:func:`mse.loglinear.search.model_search.exhaustive_search`).
        Not for data with covariates (see ``max_exhaustive_terms``).
        """,
    )
    extended_mle: bool = option(
        True,
        """
        Let the search choose a model with terms fitted at minus infinity
        because their lists never overlap (the extended MLE); ``False`` rules
        such models out, a conservative choice.
        """,
    )


@specification
class AIC(CriterionSearch):
    """The best hierarchical log-linear model by AIC up to ``max_order``, then ``N`` under it.

    Examples
    --------
    >>> import mse
    >>> korea = mse.load_dataset("korea")
    >>> mse.methods.AIC().fit(korea, interval="wald").model
    'b:c + c:d'
    >>> mse.methods.AIC(max_order=1).fit(korea, interval="wald").model  # main effects only
    'independence'
    """

    name = "aic"
    estimator = "mse.loglinear.estimators:aic"


@specification
class BIC(CriterionSearch):
    """The best hierarchical log-linear model by BIC up to ``max_order``, then ``N`` under it.

    Examples
    --------
    >>> import mse
    >>> best = mse.methods.BIC().fit(mse.load_dataset("kosovo"), interval="wald")
    >>> print(best.model)
    EXH:HRW + OSCE:HRW + EXH:ABA:OSCE
    >>> round(best.estimate)
    10357
    """

    name = "bic"
    estimator = "mse.loglinear.estimators:bic"


@specification
class BICAIC(LoglinearOptions, CovariateSearch, Method):
    """Forward selection by BIC from independence, then on by AIC (the Dutch recipe).

    References
    ----------
    Cruyff, M., van Dijk, J. & van der Heijden, P. G. M. (2017). The
    challenge of counting victims of human trafficking. *Chance* 30(3), 41-49.

    Examples
    --------
    >>> import mse
    >>> chosen = mse.methods.BICAIC().fit(mse.load_dataset("korea"), interval="wald")
    >>> print(f"{chosen.model}: {chosen.estimate:.1f} [{chosen.lower:.1f}, {chosen.upper:.1f}]")
    b:c + c:d: 157.2 [133.0, 239.4]
    """

    name = "bic_aic"
    estimator = "mse.loglinear.estimators:bic_aic"

    max_order: int | None = option(2, "Highest order of the terms the search may add.")


@specification
class BICAverage(Bootstrap, Method):
    """The BIC-weighted average of ``N`` over every hierarchical log-linear model up to ``max_order``.

    Each model that fits is weighted by its approximate posterior probability
    under equal prior model probabilities, ``exp(-BIC / 2)`` normalised
    (Raftery 1995); the bootstrap intervals repeat the averaging in every
    resample (Buckland, Burnham & Augustin 1997). Covariates are summed out.
    With more than ``max_models`` models there is no average.

    References
    ----------
    Raftery, A. E. (1995). Bayesian model selection in social research.
    *Sociological Methodology* 25, 111-163.

    Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection:
    an integral part of inference. *Biometrics* 53(2), 603-618.

    Examples
    --------
    On Kosovo the weight is spread over about three models:

    >>> import mse
    >>> average = mse.methods.BICAverage().fit(mse.load_dataset("kosovo"), interval="none")
    >>> round(average.estimate), average.details["n_models"], round(average.details["effective_models"], 1)
    (13184, 113, 3.1)
    """

    name = "bic_average"
    estimator = "mse.loglinear.estimators:bic_average"

    max_order: int | None = option(None, "Highest order of interaction: by default 3 for up to five lists, else 2.")
    max_models: int | None = option(None, "At most this many models (``None``: 100,000); beyond, no average is formed.")
    heterogeneity_check: bool = option(
        True,
        """
        Test the model with the most weight for capture heterogeneity it does
        not capture (:mod:`mse.loglinear.heterogeneity`), as the other
        log-linear methods test theirs; ``False`` switches it off.
        """,
    )
