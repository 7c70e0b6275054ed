"""The base class of every method: its options as typed fields, and one ``fit`` that every method shares.

``fit`` holds what the front door adds to every estimator: the input checks,
the check that the table informs ``N`` at all, the time budget, the record of
the warnings raised while fitting, the provenance metadata and the last-line
check that no impossible number is reported as ``"ok"``. :func:`mse.estimate`
builds a method from its name and options and calls ``fit``, so
``mse.estimate(data, "stepwise", max_order=3)`` and
``Stepwise(max_order=3).fit(data)`` are the same call.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import time
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from mse.budget import run_within_budget
from mse.data.capture import CaptureData
from mse.errors import DataError, EstimabilityError, ModelError, MSEDeprecationWarning
from mse.information import PRIOR_METHODS, information_problem, uninformative_estimate
from mse.methods.fields import check_types, option, specification
from mse.options import check_level, check_max_seconds, check_random_seed, reject_unknown_options
from mse.results import Estimate, provenance

__all__ = ["Method"]

_M = TypeVar("_M", bound="Method")


@specification
class Method:
    """A method of :func:`mse.estimate` with its options, ready to fit: ``Stepwise(max_order=3).fit(data)``.

    Every method of the library is a subclass: a frozen dataclass whose
    fields are the method's options, typed and documented (``help()`` and tab
    completion show them all), checked when the object is built. Two class
    attributes tie it to the library: ``name``, the method name of
    :func:`mse.estimate`, and ``estimator``, the ``"module:function"`` that
    computes the estimate (imported on first use). A class that computes its
    estimate itself overrides :meth:`run` instead. See the user guide's
    "Methods" page for writing one and making it available by name in every
    process through the ``mse.methods`` entry point.

    Examples
    --------
    >>> import mse
    >>> method = mse.methods.Chapman(lists=("EXH", "HRW"))
    >>> method
    Chapman(lists=('EXH', 'HRW'))
    >>> round(method.fit(mse.load_dataset("kosovo")).estimate)
    6756
    """

    #: The method name users pass to :func:`mse.estimate`.
    name: ClassVar[str]
    #: ``"module:function"`` of the estimator, ``fn(data, *, level, interval, random_seed, **options)``.
    estimator: ClassVar[str | None] = None
    #: The estimator keeps its own clock: ``max_seconds`` is passed to it instead of being applied around it.
    own_budget: ClassVar[bool] = False
    #: Former option names that the estimator still takes (with a deprecation warning of its own).
    former_names: ClassVar[frozenset[str]] = frozenset()

    max_seconds: float | None = option(
        None,
        """
        A time budget in seconds; none by default, so that results do not
        depend on the speed of the machine. A run that exceeds it stops and
        returns no numbers, with a status that starts with ``"cut short"``
        (see :mod:`mse.budget`).
        """,
    )
    # Options handed to the estimator as given, unchecked here: the former names of renamed settings, or
    # every option of a method registered as a bare function (which checks its own). Set by from_options.
    _unchecked: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not hasattr(type(self), "name"):
            raise TypeError(f"{type(self).__name__} has no method name: a method class sets name = '...'.")
        check_types(self, self.name)
        check_max_seconds(self.max_seconds)

    def __repr__(self) -> str:
        given = ", ".join(f"{key}={value!r}" for key, value in self.options().items())
        return f"{type(self).__name__}({given})"

    @classmethod
    def from_options(cls: type[_M], options: Mapping[str, Any]) -> _M:
        """The method built from the keyword options of :func:`mse.estimate`.

        Parameters
        ----------
        options
            Option names and values, as given to :func:`mse.estimate`.

        Returns
        -------
        Method
            An instance of this class.

        Raises
        ------
        ModelError
            For an option the method does not have (the message lists the
            valid ones), a missing required option, or a value of the wrong type.

        Examples
        --------
        >>> from mse.methods import Stepwise
        >>> Stepwise.from_options({"max_order": 3})
        Stepwise(max_order=3)
        >>> Stepwise.from_options({"max_ordr": 3})
        Traceback (most recent call last):
        ...
        mse.errors.ModelError: unknown option(s) ['max_ordr'] for method 'stepwise'; valid options are [...].
        """
        name = getattr(cls, "name", cls.__name__)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        passed_on = {key: value for key, value in options.items() if key not in fields and cls._passes_on(key)}
        reject_unknown_options(set(options) - set(passed_on), fields, name)
        missing = sorted(
            name
            for name, declared in fields.items()
            if name not in options and declared.default is dataclasses.MISSING
        )
        if missing:
            raise ModelError(f"method {name!r} needs {', '.join(f'{field}=...' for field in missing)}.")
        method = cls(**{key: value for key, value in options.items() if key in fields})
        if passed_on:
            object.__setattr__(method, "_unchecked", passed_on)
        return method

    def label(self) -> str:
        """The method and the options it was given, in words, for tables and plots.

        Returns
        -------
        str
            See :func:`mse.methods.labels.describe_method`.

        Examples
        --------
        >>> from mse.methods import Stepwise
        >>> Stepwise(max_order=3, n_boot=2000).label()
        'stepwise (Chan et al.), up to three-way terms, 2,000 resamples'
        """
        from mse.methods.labels import describe_method

        return describe_method(self.name, {**self.options(), **self._unchecked})

    @classmethod
    def _passes_on(cls, option_name: str) -> bool:
        """Whether an option that is not a field goes to the estimator unchecked (a former name)."""
        return option_name in cls.former_names

    def options(self) -> dict[str, Any]:
        """The options that differ from their defaults, as :func:`mse.estimate` takes them.

        Returns
        -------
        dict
            Option name -> value; an option equal to its default (same type
            and value) is left out, so the estimator applies its own default.

        Examples
        --------
        >>> from mse.methods import Stepwise
        >>> Stepwise(max_order=3, p_threshold=0.02).options()
        {'max_order': 3}
        """
        given: dict[str, Any] = {}
        for declared in dataclasses.fields(self):
            if not declared.init:
                continue
            value = getattr(self, declared.name)
            if declared.default is dataclasses.MISSING or not _same(value, declared.default):
                given[declared.name] = value
        given.update(self._unchecked)
        return given

    def run(self, data: CaptureData, *, level: float, interval: str | None, random_seed: int | None) -> Estimate:
        """The estimate alone: the estimator called with the options, without the checks :meth:`fit` adds.

        A method class that computes its estimate itself overrides this.

        Parameters
        ----------
        data
            The capture histories.
        level, interval, random_seed
            As for :meth:`fit`, already checked.

        Returns
        -------
        Estimate
            The estimator's result.

        Examples
        --------
        >>> import mse
        >>> res = mse.methods.M0().run(mse.load_dataset("hepatitis_a"), level=0.95, interval=None, random_seed=None)
        >>> round(res.estimate, 1)
        388.8
        """
        if self.estimator is None:
            raise NotImplementedError(
                f"{type(self).__name__} names no estimator: set estimator = 'module:function' or override run()."
            )
        module_name, function_name = self.estimator.split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        options = self.options()
        if not self.own_budget:
            options.pop("max_seconds", None)  # applied around the estimator by fit()
        return function(data, level=level, interval=interval, random_seed=random_seed, **options)

    def fit(
        self,
        data: CaptureData,
        *,
        level: float = 0.95,
        interval: str | None = None,
        random_seed: int | None = None,
        strict: bool = False,
        linkage_error: str | None = None,
        linkage_draws: int | None = None,
    ) -> Estimate:
        """Fit the method to ``data``: ``method.fit(data, ...)`` is ``mse.estimate(data, method, ...)``.

        Around the estimator this checks the arguments, refuses a table that
        carries no information about ``N``, applies ``max_seconds``, records
        the warnings raised and the provenance (the method, its options that
        differ from their defaults, the seed, the versions and the data), and
        never reports an impossible number as ``"ok"``.

        Parameters
        ----------
        data, level, interval, random_seed, strict
            As for :func:`mse.estimate`: the capture histories, the coverage
            of the interval, how to compute it (each method has its choices
            and a default), the seed and whether to raise instead of
            returning an estimate that is not ``"ok"``.
        linkage_error, linkage_draws
            For a table built from a linkage
            (:meth:`mse.CaptureData.from_linked`), how linkage errors are
            accounted for: ``"review"`` (the default for a log-linear model
            of the lists when the linkage carries a clerical review;
            ``linkage_draws`` bootstrap replicates of the review),
            ``"rates"`` (the default for one without a review),
            ``"resample"`` (the default for other methods;
            ``linkage_draws`` link configurations) or ``"ignore"`` (see
            :mod:`mse.linkage.correction`). Anything but ``None`` on another
            table is a :class:`~mse.ModelError`.

        Returns
        -------
        Estimate
            As for :func:`mse.estimate`.

        Raises
        ------
        DataError, ModelError, EstimabilityError
            As for :func:`mse.estimate`.

        Examples
        --------
        >>> import mse
        >>> method = mse.methods.Independence()
        >>> kosovo = mse.load_dataset("kosovo")
        >>> round(method.fit(kosovo, interval="profile").estimate), method.fit(kosovo, level=0.9).level
        (7395, 0.9)
        """
        if not isinstance(data, CaptureData):
            raise DataError(
                f"{self.name}: the data must be a mse.CaptureData, got {type(data).__name__}; build one with "
                "mse.CaptureData.from_counts(...) or from_records(...)."
            )
        level = check_level(level)
        random_seed = check_random_seed(random_seed)
        from mse.linkage.linked_data import LinkedCaptureData

        if isinstance(data, LinkedCaptureData) or linkage_error is not None or linkage_draws is not None:
            from mse.linkage.correction import check_linkage_options, corrected_fit

            correction, draws = check_linkage_options(data, linkage_error, linkage_draws)
            if correction:
                assert isinstance(data, LinkedCaptureData)
                result = corrected_fit(
                    self,
                    data,
                    linkage_error=correction,
                    linkage_draws=draws,
                    level=level,
                    interval=interval,
                    random_seed=random_seed,
                )
                # The corrected numbers face the same last line as any other: the people seen in the table at
                # the threshold are their floor, so that the result keeps the contract of a saved Estimate.
                return _last_line(result, self.name, strict)
        method = self.name
        options = self.options()
        # Decided here, once for every method, so that no estimator can forget it.
        no_information = information_problem(data)
        if strict and no_information is not None:
            raise EstimabilityError(f"{method}: {no_information}")
        budget = {} if self.own_budget or self.max_seconds is None else {"max_seconds": self.max_seconds}
        started = time.perf_counter()
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if no_information is not None and method not in PRIOR_METHODS:
                    result = uninformative_estimate(data, method, no_information, level=level, options=options)
                else:
                    result = run_within_budget(
                        self.run,
                        data,
                        method=method,
                        level=level,
                        interval=interval,
                        random_seed=random_seed,
                        options=budget,
                    )
        except BaseException:
            # A deprecated option name is said even when the call fails: the error may name the setting by its
            # new name.
            for record in caught:
                if issubclass(record.category, MSEDeprecationWarning):
                    warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
            raise
        seconds = time.perf_counter() - started
        messages = list(result.warnings)
        for record in caught:
            message = str(record.message)
            # A deprecated option concerns the call, not the result: said to the caller, not kept with the result.
            if message not in messages and not issubclass(record.category, MSEDeprecationWarning):
                messages.append(message)
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
        metadata = provenance(data, random_seed, {"method": method, "level": level, "interval": interval, **options})
        metadata.update(result.metadata)
        metadata["seconds"] = seconds
        result = result.with_updates(warnings=tuple(messages), metadata=metadata)
        if no_information is not None and method in PRIOR_METHODS:
            result = result.with_updates(
                status=f"{no_information}; the posterior of N shown is the prior speaking, not an estimate"
            )
        return _last_line(result, method, strict)


def _same(value: Any, default: Any) -> bool:
    """Whether an option equals its default closely enough for the estimator's own default to stand in."""
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):  # an array compared element by element
        return False


def _last_line(result: Estimate, method: str, strict: bool) -> Estimate:
    """The check every result passes last: an impossible number is not reported, and ``strict`` raises."""
    problem = _inconsistency(result) if result.ok else None
    if problem is not None:
        result = result.with_updates(status=f"not reported: {problem}")
    if strict and not result.ok:
        raise EstimabilityError(f"{method}: {result.status}")
    return result


def _inconsistency(result: Estimate) -> str | None:
    """Why the numbers of an ``"ok"`` result cannot be reported as they are, or ``None``.

    An estimate the user sees as ``"ok"`` must be finite, at least the number
    observed and inside a finite interval. Estimators are meant to say so
    themselves; this is the last line, so that no ``nan``, infinity or
    inverted interval ever reaches a report as ``"ok"``.
    """
    numbers = {"estimate": result.estimate, "lower": result.lower, "upper": result.upper}
    if not result.interval_method and math.isnan(result.lower) and math.isnan(result.upper):
        numbers = {"estimate": result.estimate}  # no interval was asked for (interval="none")
    nan = [name for name, value in numbers.items() if math.isnan(value)]
    if nan:
        return f"the {' and '.join(nan)} could not be computed (nan)"
    if math.isinf(result.estimate):
        return "the estimate is infinite: the data carry no information on the number never seen"
    slack = 1e-6 * max(1.0, abs(result.estimate))
    if result.estimate < result.observed - slack:
        return f"the estimate {result.estimate:.6g} is below the {result.observed} people observed"
    if len(numbers) == 1:
        return None
    if math.isinf(result.upper) or math.isinf(result.lower):
        return "the interval has no finite upper limit: the data cannot rule out an arbitrarily large population"
    if result.lower < result.observed - slack:
        return f"the lower limit {result.lower:.6g} is below the {result.observed} people observed"
    if not (result.lower - slack <= result.estimate <= result.upper + slack):
        return (
            f"the estimate {result.estimate:.6g} lies outside its interval [{result.lower:.6g}, {result.upper:.6g}] "
            "(a numerical failure at the edge of the parameter space)"
        )
    return None
