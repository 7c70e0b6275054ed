"""Method names and the classes behind them.

A name of :func:`mse.estimate` comes from one of three places, looked up in
this order:

1. the built-in methods, in :data:`METHODS` as ``"module:Class"`` strings
   (imported on first use);
2. methods added at run time with :func:`register_method` (in this process
   only);
3. methods that installed packages declare under the ``mse.methods`` entry
   point, for example in their ``pyproject.toml``::

       [project.entry-points."mse.methods"]
       my_method = "my_package.methods:MyMethod"

   These exist in every process where the package is installed, so worker
   processes and Dask workers find them too. They are read only when a name
   is not found above, or when the methods are listed; one that cannot be
   loaded is left out of the list with a warning that names it.

A target may be a :class:`~mse.methods.Method` subclass, or a bare estimator
function ``fn(data, *, level, interval, random_seed, **options)``, which is
wrapped in a method class that takes any option and lets the function check
its own.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from typing import Any, ClassVar

from mse.data.capture import CaptureData
from mse.errors import ModelError, MSEWarning, warn
from mse.methods.base import Method
from mse.methods.fields import specification
from mse.results import Estimate

__all__ = ["ENTRY_POINT_GROUP", "METHODS", "available_methods", "method_class", "register_method"]

#: The entry-point group where installed packages declare their methods.
ENTRY_POINT_GROUP = "mse.methods"

#: What a method name can stand for.
Target = str | type[Method] | Callable[..., Estimate]

#: Method name -> its class (``"module:Class"``, imported on first use), or a target registered at run time.
METHODS: dict[str, Target] = {
    # log-linear models (mse.loglinear)
    "independence": "mse.methods.loglinear:Independence",
    "loglinear": "mse.methods.loglinear:Loglinear",
    "stepwise": "mse.methods.loglinear:Stepwise",
    "aic": "mse.methods.loglinear:AIC",
    "bic": "mse.methods.loglinear:BIC",
    "bic_aic": "mse.methods.loglinear:BICAIC",
    "bic_average": "mse.methods.loglinear:BICAverage",
    # the closed-population family (mse.closed)
    "M0": "mse.methods.closed:M0",
    "Mt": "mse.methods.closed:Mt",
    "Mh_chao": "mse.methods.closed:MhChao",
    "Mh_poisson2": "mse.methods.closed:MhPoisson2",
    "Mh_darroch": "mse.methods.closed:MhDarroch",
    "Mh_gamma": "mse.methods.closed:MhGamma",
    "Mth_chao": "mse.methods.closed:MthChao",
    "Mth_poisson2": "mse.methods.closed:MthPoisson2",
    "Mth_darroch": "mse.methods.closed:MthDarroch",
    "Mth_gamma": "mse.methods.closed:MthGamma",
    "Mb": "mse.methods.closed:Mb",
    "Mbh": "mse.methods.closed:Mbh",
    "lincoln_petersen": "mse.methods.closed:LincolnPetersen",
    "chapman": "mse.methods.closed:Chapman",
    "sample_coverage": "mse.methods.closed:SampleCoverage",
    # Bayesian models (mse.bayes)
    "lcmcr": "mse.methods.bayes:LCMCR",
    "dga": "mse.methods.bayes:DGA",
    "bayes_loglinear": "mse.methods.bayes:BayesLoglinear",
    "bayesthresh": "mse.methods.bayes:BayesThresh",
    # the default
    "auto": "mse.methods.auto:Auto",
}

#: Methods loaded from entry points, by name, so that each is loaded once per process.
_LOADED: dict[str, type[Method]] = {}


@specification
class FunctionMethod(Method):
    """A method registered as a bare estimator function: it takes any option and the function checks its own.

    Examples
    --------
    >>> import mse
    >>> from mse.methods.registry import method_class
    >>> from mse.api import METHODS
    >>> METHODS["chapman_function"] = "mse.closed.estimators:chapman"
    >>> method = method_class("chapman_function").from_options({"lists": ("EXH", "HRW")})
    >>> method
    FunctionMethod(lists=('EXH', 'HRW'))
    >>> round(method.fit(mse.load_dataset("kosovo")).estimate)
    6756
    >>> del METHODS["chapman_function"]
    """

    #: The estimator function.
    function: ClassVar[Callable[..., Estimate]]

    @classmethod
    def _passes_on(cls, option_name: str) -> bool:
        return True

    def run(self, data: CaptureData, *, level: float, interval: str | None, random_seed: int | None) -> Estimate:
        return self.function(data, level=level, interval=interval, random_seed=random_seed, **self._unchecked)


@functools.cache
def _wrapped(name: str, function: Callable[..., Estimate]) -> type[Method]:
    return type(
        FunctionMethod.__name__,
        (FunctionMethod,),
        {"name": name, "function": staticmethod(function), "__doc__": function.__doc__},
    )


def _as_method_class(name: str, target: Any, origin: str) -> type[Method]:
    """The method class that ``target`` stands for (``origin`` says where it came from, for messages)."""
    if isinstance(target, str):
        module_name, _, attribute = target.partition(":")
        target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, type) and issubclass(target, Method):
        if not isinstance(getattr(target, "name", None), str):
            raise ModelError(f"{origin}: the class {target.__qualname__} sets no method name (name = '...').")
        return target
    if callable(target) and not isinstance(target, type):
        return _wrapped(name, target)
    raise ModelError(
        f"{origin}: {target!r} is neither a mse.methods.Method subclass nor an estimator function "
        "fn(data, *, level, interval, random_seed, **options)."
    )


def register_method(name: str, target: Target) -> None:
    """Make ``target`` available as ``mse.estimate(data, method=name)`` in this process.

    To make a method available in every process (worker processes, a Dask
    cluster), declare it under the ``mse.methods`` entry point of an
    installed package instead (see :mod:`mse.methods.registry`).

    Parameters
    ----------
    name
        The method name users pass to :func:`mse.estimate`; an existing name
        is replaced.
    target
        A :class:`~mse.methods.Method` subclass; ``"package.module:Class"``
        or ``"package.module:function"``, imported on first use; or an
        estimator function ``fn(data, *, level, interval, random_seed,
        **options)`` returning an :class:`~mse.Estimate`.

    Raises
    ------
    ModelError
        When ``name`` is not a non-empty string or ``target`` is none of the above.

    Examples
    --------
    >>> import mse
    >>> from mse.api import METHODS, register_method
    >>> register_method("two_list_chapman", "mse.closed.estimators:chapman")
    >>> data = mse.CaptureData.from_patterns({"10": 30, "01": 20, "11": 10}, lists=["A", "B"])
    >>> round(mse.estimate(data, method="two_list_chapman").estimate, 3)
    114.545
    >>> del METHODS["two_list_chapman"]
    """
    if not isinstance(name, str) or not name:
        raise ModelError(f"a method name is a non-empty string, got {name!r}.")
    is_class = isinstance(target, type) and issubclass(target, Method)
    if not (is_class or (isinstance(target, str) and ":" in target) or callable(target)):
        raise ModelError(
            f"register_method({name!r}, ...) takes a mse.methods.Method subclass, 'module:Class', "
            f"'module:function' or an estimator function, got {target!r}."
        )
    METHODS[name] = target


def _is_installed(target: Target) -> bool:
    if not isinstance(target, str):
        return True
    module_name = target.split(":")[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """The methods installed packages declare, by name (the first declaration of a name wins)."""
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry)
    return found


def _load(entry: importlib.metadata.EntryPoint) -> type[Method]:
    origin = f"the entry point {entry.name} = {entry.value!r} (group {ENTRY_POINT_GROUP!r})"
    if entry.name not in _LOADED:
        try:
            target = entry.load()
        except Exception as exc:  # whatever the package's import raises, said as a problem of that package
            raise ModelError(f"{origin} could not be loaded: {type(exc).__name__}: {exc}") from exc
        _LOADED[entry.name] = _as_method_class(entry.name, target, origin)
    return _LOADED[entry.name]


def method_class(name: str) -> type[Method]:
    """The :class:`~mse.methods.Method` subclass behind a method name of :func:`mse.estimate`.

    Parameters
    ----------
    name
        A method name: built in, registered with :func:`register_method`, or
        declared by an installed package under the ``mse.methods`` entry point.

    Returns
    -------
    type
        The class; ``method_class(name).from_options(options)`` builds the
        method as :func:`mse.estimate` does.

    Raises
    ------
    ModelError
        For an unknown name (the message lists the available ones), or a
        name whose package cannot be loaded.

    Examples
    --------
    >>> from mse.methods import method_class
    >>> method_class("stepwise")
    <class 'mse.methods.loglinear.Stepwise'>
    """
    if isinstance(name, str):
        target = METHODS.get(name)
        if target is not None and _is_installed(target):
            return _as_method_class(name, target, f"method {name!r}")
        if target is None and name in _LOADED:
            return _LOADED[name]
        if target is None:
            entry = _entry_points().get(name)
            if entry is not None:
                return _load(entry)
    raise ModelError(f"unknown method {name!r}; choose one of {available_methods()}.")


def available_methods() -> list[str]:
    """The method names :func:`mse.estimate` accepts.

    Returns
    -------
    list of str
        The built-in and registered methods whose module can be imported
        here (a method whose optional dependency is missing is left out),
        then the methods of installed packages (``mse.methods`` entry
        points); one that cannot be loaded is left out with an
        :class:`~mse.MSEWarning` that names it.

    Examples
    --------
    >>> import mse
    >>> {"auto", "stepwise", "chapman"} <= set(mse.available_methods())
    True
    """
    names = [name for name, target in METHODS.items() if _is_installed(target)]
    for name, entry in _entry_points().items():
        if name in METHODS:
            continue
        try:
            _load(entry)
        except ModelError as exc:
            warn(f"{exc}; method {name!r} is left out.", MSEWarning)
            continue
        names.append(name)
    return names
