"""The closed-population methods (:mod:`mse.closed`) with their options.

The models ``M0`` ... ``Mbh`` are Poisson regressions on the observed cells
(:mod:`mse.closed.designs`) with no options; their interval is the
profile-likelihood interval (``interval="profile"``, the default) or
``"wald"``. The two-list estimators take ``interval="log_normal"`` (Chao
1987, the default) or ``"wald"``; ``SampleCoverage`` has only its log-normal
interval with a bootstrap standard error. Covariates are summed out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from mse.methods.base import Method
from mse.methods.fields import option, specification

__all__ = [
    "M0", "Chapman", "LincolnPetersen", "Mb", "Mbh", "MhChao", "MhDarroch", "MhGamma", "MhPoisson2", "Mt",
    "MthChao", "MthDarroch", "MthGamma", "MthPoisson2", "SampleCoverage",
]  # fmt: skip


@specification
class ClosedModel(Method):
    """A model of the closed-population family, fitted by Poisson regression on the observed cells.

    A fit that fails its checks (:mod:`mse.closed.fit`) comes back as a
    failed estimate with the reason in its status.
    """


#: The estimate of each model on the hepatitis A table, shown in its example (Gamma: too few recaptures).
_ON_HEPATITIS_A = {"M0": 388.8, "Mt": 388.5, "Mb": 383.1, "Mbh": 667.9, "Mh_chao": 479.1, "Mth_chao": 478.7}
_ON_HEPATITIS_A |= {"Mh_poisson2": 736.9, "Mth_poisson2": 736.3, "Mh_darroch": 1313.6, "Mth_darroch": 1313.5}
_ON_HEPATITIS_A |= {"Mh_gamma": math.nan, "Mth_gamma": math.nan}

#: The heterogeneity terms of the ``Mh`` and ``Mth`` models: a column in the number of captures ``k``.
_HETEROGENEITY = {
    "chao": "Chao's lower-bound model",
    "poisson2": "Poisson2 column 2**k - 1",
    "darroch": "Darroch column k**2 / 2",
    "gamma": "Gamma(3.5) column log(3.5) - log(3.5 + k)",
}


def _closed_model(name: str, assumption: str) -> type[ClosedModel]:
    """The class of model ``name`` (``"Mh_chao"`` becomes ``MhChao``)."""
    class_name = "".join(part[:1].upper() + part[1:] for part in name.split("_"))
    doc = (
        f"Model {name}: {assumption}.\n\n"
        "Examples\n"
        "--------\n"
        ">>> import mse\n"
        f'>>> res = mse.methods.{class_name}().fit(mse.load_dataset("hepatitis_a"))\n'
        ">>> round(res.estimate, 1)\n"
        f"{_ON_HEPATITIS_A[name]}\n"
    )
    namespace = {
        "__doc__": doc,
        "__module__": __name__,
        "__qualname__": class_name,
        "name": name,
        "estimator": f"mse.closed.estimators:{name.lower()}",
    }
    return specification(type(class_name, (ClosedModel,), namespace))


M0 = _closed_model("M0", "equal capture probability on every list and for every person")
Mt = _closed_model("Mt", "capture probability varies between lists (the independence model)")
Mb = _closed_model("Mb", "behavioural response: the first list changes the chance of being on later lists")
Mbh = _closed_model("Mbh", "behavioural response and heterogeneity (removal from the second list on)")
MhChao, MhPoisson2, MhDarroch, MhGamma = (
    _closed_model(f"Mh_{kind}", f"heterogeneous people, {term}") for kind, term in _HETEROGENEITY.items()
)
MthChao, MthPoisson2, MthDarroch, MthGamma = (
    _closed_model(f"Mth_{kind}", f"list and person effects, {term}") for kind, term in _HETEROGENEITY.items()
)


@specification
class TwoLists:
    """The option of the two-list estimators."""

    lists: Sequence[str] | None = option(
        None,
        """
        With more than two lists: the two to use, ``("A", "B")``; the people
        on neither are then unobserved.
        """,
    )


@specification
class LincolnPetersen(TwoLists, Method):
    """The Lincoln-Petersen estimate ``n1 n2 / m`` for two lists (:mod:`mse.closed.two_list`).

    With no overlap (``m = 0``) the estimate does not exist and the result is
    a failed estimate.

    Examples
    --------
    >>> import mse
    >>> data = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])
    >>> mse.methods.LincolnPetersen().fit(data).estimate
    120.0
    """

    name = "lincoln_petersen"
    estimator = "mse.closed.estimators:lincoln_petersen"


@specification
class Chapman(TwoLists, Method):
    """Chapman's nearly unbiased estimate ``(n1 + 1)(n2 + 1) / (m + 1) - 1`` for two lists.

    References
    ----------
    Chapman, D. G. (1951). Some properties of the hypergeometric distribution
    with applications to zoological sample censuses. *University of
    California Publications in Statistics*, 1, 131-160.

    Examples
    --------
    >>> import mse
    >>> data = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])
    >>> round(mse.methods.Chapman().fit(data).estimate, 3)
    114.545
    """

    name = "chapman"
    estimator = "mse.closed.estimators:chapman"


@specification
class SampleCoverage(Method):
    """Chao & Tsay's sample-coverage estimate for three or more lists.

    The interval is Chao's (1987) log-normal interval with a bootstrap
    standard error (:mod:`mse.closed.sample_coverage`).

    References
    ----------
    Chao, A. & Tsay, P. K. (1998). A sample coverage approach to
    multiple-system estimation with application to census undercount.
    *Journal of the American Statistical Association* 93(441), 283-293.

    Examples
    --------
    >>> import mse
    >>> res = mse.methods.SampleCoverage().fit(mse.load_dataset("hepatitis_a"), random_seed=1)
    >>> round(res.estimate, 1)
    407.0
    """

    name = "sample_coverage"
    estimator = "mse.closed.estimators:sample_coverage"

    variant: Literal["high_coverage", "one_step", "independence"] = option(
        "high_coverage", "The estimator of the coverage approach (see :mod:`mse.closed.sample_coverage`)."
    )
    n_boot: int = option(200, "Bootstrap replicates for the standard error, at least 2.")
