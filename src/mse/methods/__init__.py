"""Every method of :func:`mse.estimate` as a class, with its options as typed, documented fields.

``mse.estimate(data, "stepwise", max_order=3)`` builds
``mse.methods.Stepwise(max_order=3)`` and fits it: the two are the same call.
The classes show every option of a method in one place (``help()`` and tab
completion), refuse an unknown option or a value of the wrong type when they
are built, before any fitting, and can be kept, compared and passed around::

    >>> import mse
    >>> method = mse.methods.Stepwise(max_order=3)
    >>> method
    Stepwise(max_order=3)
    >>> round(method.fit(mse.load_dataset("kosovo"), interval="wald").estimate)
    18393

The classes name their estimators as strings, so importing this package
imports no model code. :func:`method_class` finds the class behind a method
name, including the methods of installed packages (the ``mse.methods`` entry
point, see :mod:`mse.methods.registry`); :class:`Method` is the base class for
writing one.
"""

from mse.methods.auto import Auto
from mse.methods.base import Method
from mse.methods.bayes import DGA, LCMCR, BayesLoglinear, BayesThresh
from mse.methods.closed import (
    M0,
    Chapman,
    LincolnPetersen,
    Mb,
    Mbh,
    MhChao,
    MhDarroch,
    MhGamma,
    MhPoisson2,
    Mt,
    MthChao,
    MthDarroch,
    MthGamma,
    MthPoisson2,
    SampleCoverage,
)
from mse.methods.fields import option, specification
from mse.methods.loglinear import AIC, BIC, BICAIC, BICAverage, Independence, Loglinear, Stepwise
from mse.methods.registry import available_methods, method_class, register_method

__all__ = [
    "AIC",
    "BIC",
    "BICAIC",
    "DGA",
    "LCMCR",
    "M0",
    "Auto",
    "BICAverage",
    "BayesLoglinear",
    "BayesThresh",
    "Chapman",
    "Independence",
    "LincolnPetersen",
    "Loglinear",
    "Mb",
    "Mbh",
    "Method",
    "MhChao",
    "MhDarroch",
    "MhGamma",
    "MhPoisson2",
    "Mt",
    "MthChao",
    "MthDarroch",
    "MthGamma",
    "MthPoisson2",
    "SampleCoverage",
    "Stepwise",
    "available_methods",
    "method_class",
    "option",
    "register_method",
    "specification",
]
