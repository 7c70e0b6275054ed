"""The assumptions behind each family of estimators, in words a reader of a report can check.

Every multiple-systems estimate rests on assumptions that the data cannot
fully test. A report states them, so that a reader can judge whether they
hold for the registrations at hand (Bird & King 2018 list them as the first
thing a published estimate must say).

References
----------
Bird, S. M. & King, R. (2018). Multiple systems estimation (or capture-recapture
estimation) to inform public policy. *Annual Review of Statistics and Its
Application* 5, 95-118.

International Working Group for Disease Monitoring and Forecasting (1995).
Capture-recapture and multiple-record systems estimation I: history and
theoretical development. *American Journal of Epidemiology* 142(10), 1047-1058.
"""

from __future__ import annotations

__all__ = ["assumptions_for"]

#: What every multiple-systems estimate assumes, whatever its model.
COMMON: tuple[str, ...] = (
    "Closed population: the people counted are one population over the period the lists cover; no one joins "
    "or leaves it in a way that depends on being listed.",
    "Perfect linkage: a person on several lists is recognised as the same person, and two people are never "
    "taken for one. Linkage errors bias the overlaps, and with them the estimate.",
    "Every person could have been on every list (no list is restricted to a part of the population the others "
    "cannot reach), unless the model says otherwise.",
)

#: Assumptions by family, keyed by the method names of :func:`mse.estimate`.
FAMILY: dict[str, tuple[str, ...]] = {
    "loglinear": (
        "The dependence between lists is captured by the interaction terms of the chosen log-linear model; the "
        "highest-order interaction of all lists is zero (it cannot be estimated, and the number of people on no "
        "list follows from assuming it away).",
        "People are alike in how visible they are, or their differences are explained by the modelled "
        "interactions and covariates; heterogeneity shared by all lists makes the estimate too low.",
        "The model was chosen from the data; the interval says whether it accounts for that choice.",
    ),
    "closed": (
        "The capture probabilities follow the stated closed-population model (constant, varying by list, "
        "varying by person, or changed by a first capture), and lists act as successive capture occasions.",
    ),
    "latent_class": (
        "People belong to latent classes within which the lists are independent; the number of classes is "
        "learned from the data under a truncated Dirichlet-process prior.",
        "The prior on the class weights and capture probabilities matters when lists overlap little; the "
        "posterior should be checked for sensitivity to it.",
    ),
    "graphical": (
        "The dependence between lists is one of the decomposable graphical models, averaged with their "
        "posterior probabilities; the result depends on the prior on N and on the cell probabilities.",
    ),
    "bayes_loglinear": (
        "The dependence between lists is captured by a log-linear model whose interaction terms have "
        "shrinkage priors; the prior on the interactions matters when lists overlap little.",
    ),
}

_LOGLINEAR = ("auto", "independence", "loglinear", "stepwise", "aic", "bic", "bic_aic", "bic_average")
_CLOSED = (
    "M0", "Mt", "Mb", "Mbh", "Mh_chao", "Mh_poisson2", "Mh_darroch", "Mh_gamma", "Mth_chao", "Mth_poisson2",
    "Mth_darroch", "Mth_gamma", "lincoln_petersen", "chapman", "sample_coverage",
)  # fmt: skip
_FAMILY_OF_METHOD: dict[str, str] = {
    **dict.fromkeys(_LOGLINEAR, "loglinear"),
    **dict.fromkeys(_CLOSED, "closed"),
    "lcmcr": "latent_class",
    "dga": "graphical",
    "bayes_loglinear": "bayes_loglinear",
    "bayesthresh": "bayes_loglinear",
}


def assumptions_for(method: str, *, covariates: tuple[str, ...] = ()) -> list[str]:
    """The assumptions of an estimate made with ``method``, common ones first.

    Parameters
    ----------
    method
        A method name of :func:`mse.estimate`; an unknown one gets the
        common assumptions only.
    covariates
        The covariates of the fitted model, if any.

    Returns
    -------
    list of str
        One sentence or two per assumption.

    Examples
    --------
    >>> from mse.report.assumptions import assumptions_for
    >>> assumptions_for("stepwise")[0].split(":")[0]
    'Closed population'
    >>> len(assumptions_for("Mt")) > len(assumptions_for("unknown method"))
    True
    """
    sentences = list(COMMON) + list(FAMILY.get(_FAMILY_OF_METHOD.get(method, ""), ()))
    if covariates:
        sentences.append(
            f"Within each combination of the covariates ({', '.join(covariates)}), the model's assumptions hold; a "
            "record with a missing covariate value is missing at random given what is known of it."
        )
    return sentences
