"""A method and its options in words, for the rows of a comparison and the labels of plots.

``Stepwise(max_order=3, interval="profile")`` reads "stepwise (Chan et al.),
up to three-way terms, profile interval": a reader of a report should not have
to know the option names of :func:`mse.estimate`, and a dict printed as a label
(``stepwise {'interval': 'profile'}``) is not something to publish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["describe_method"]

#: How each built-in method is named for a reader.
METHOD_NAMES: dict[str, str] = {
    "auto": "default rule",
    "independence": "independence",
    "loglinear": "log-linear model",
    "stepwise": "stepwise (Chan et al.)",
    "aic": "AIC-best model",
    "bic": "BIC-best model",
    "bic_aic": "BIC then AIC",
    "bic_average": "BIC-weighted average",
    "lincoln_petersen": "Lincoln-Petersen",
    "chapman": "Chapman",
    "sample_coverage": "sample coverage",
    "lcmcr": "latent classes (LCMCR)",
    "dga": "decomposable graphs (dga)",
    "bayes_loglinear": "Bayesian log-linear model",
    "bayesthresh": "Bayesian thresholding",
}

_INTERVALS: dict[str, str] = {
    "profile": "profile interval",
    "wald": "Wald interval",
    "bca": "BCa bootstrap",
    "percentile": "percentile bootstrap",
    "parametric_bootstrap": "parametric bootstrap",
    "bootstrap_top": "bootstrap of the top models",
    "posterior": "posterior interval",
    "none": "no interval",
}

_FIRST = ("model", "max_order", "covariates", "interval", "n_boot")

_ORDERS = {2: "pairs only", 3: "up to three-way terms", 4: "up to four-way terms"}


#: The closed-population models (Otis et al. 1978), named as they are in the literature.
_CLOSED_MODEL = re.compile(r"M(0|t|h|b|th|bh|tb|tbh)(?:_([a-z0-9]+))?")


def _closed_name(name: str) -> str | None:
    """``"Mth_chao"`` -> ``"Mth (Chao)"``: the closed-population models keep their names."""
    match = _CLOSED_MODEL.fullmatch(name)
    if match is None:
        return None
    model, estimator = match.group(0).split("_")[0], match.group(2)
    return f"{model} ({estimator.capitalize()})" if estimator else model


def _phrase(option: str, value: Any) -> str:
    if option == "interval" and isinstance(value, str):
        return _INTERVALS.get(value, f"{value} interval")
    if option == "max_order":
        return "terms of every order" if value is None else _ORDERS.get(value, f"up to {value}-way terms")
    if option == "model":
        return f"model {value}"
    if option == "n_boot":
        return f"{value:,} resamples" if isinstance(value, int) else f"n_boot={value}"
    if option == "covariates":
        return "no covariates" if not value else "covariates " + ", ".join(map(str, value))
    if isinstance(value, bool):
        return option.replace("_", " ") + ("" if value else ": off")
    return f"{option}={value}"


def describe_method(name: str, options: Mapping[str, Any] | None = None) -> str:
    """A method and the options it was given, in words.

    Parameters
    ----------
    name
        The method's name in :func:`mse.estimate` (``"stepwise"``, ``"Mh_chao"``, ...).
    options
        The options given (those equal to their defaults may be left out);
        ``progress`` and ``random_seed`` say nothing about the estimate and are
        not shown.

    Returns
    -------
    str
        The method's name for a reader, then one phrase per option.

    Examples
    --------
    >>> describe_method("stepwise", {"interval": "profile"})
    'stepwise (Chan et al.), profile interval'
    >>> describe_method("bic", {"max_order": 2})
    'BIC-best model, pairs only'
    >>> describe_method("Mth_chao")
    'Mth (Chao)'
    """
    title = METHOD_NAMES.get(name) or _closed_name(name) or name
    shown = {k: v for k, v in (options or {}).items() if k not in ("progress", "random_seed")}
    # What the model is comes before how its interval is made.
    ordered = sorted(shown, key=lambda option: _FIRST.index(option) if option in _FIRST else len(_FIRST))
    return ", ".join([title, *(_phrase(option, shown[option]) for option in ordered)])
