"""Declaring a method's options: typed fields, each documented once, checked when the method is built.

A method class declares every option as a dataclass field with
:func:`option`, which keeps the option's description with its declaration.
:func:`specification` makes the class a frozen, keyword-only dataclass and
writes the ``Parameters`` section of its docstring from the fields: the name,
the annotation and the default come from the field itself and the description
from the nearest class that declared one, so an option shared by several
methods (``n_boot``, ``draws``) is described in one place and its documented
default is always the one in force. :func:`check_types` compares every value
with its annotation, so that ``max_order="three"`` is refused when the method
is built, not deep inside a fit.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import types
import typing
from typing import Any, Literal, TypeVar, Union

import numpy as np

from mse.errors import ModelError

__all__ = ["check_types", "option", "parameters_section", "specification"]

_T = TypeVar("_T", bound=type)

#: Where in a field's metadata its description is kept.
DOC = "doc"


def option(default: Any = dataclasses.MISSING, doc: str = "") -> Any:
    """A field of a method class: its default and its description.

    Parameters
    ----------
    default
        The value used when the option is not given; omit it for an option
        that must be given.
    doc
        What the option does, for the ``Parameters`` section (a subclass that
        only changes the default may leave it out and keep the description of
        the class it inherits the option from).

    Returns
    -------
    dataclasses.Field
        For the class body: ``max_order: int | None = option(None, "...")``.

    Examples
    --------
    >>> from mse.methods.fields import option
    >>> option(200, "Bootstrap replicates.").default
    200
    """
    metadata = {DOC: inspect.cleandoc(doc)} if doc else {}
    return dataclasses.field(default=default, metadata=metadata)


@typing.dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
def specification(cls: _T) -> _T:
    """Make ``cls`` a frozen, keyword-only dataclass and document its fields in its docstring.

    Parameters
    ----------
    cls
        A class whose annotated attributes are its options, declared with
        :func:`option`. Its ``__repr__`` is kept (a dataclass's would list
        every default).

    Returns
    -------
    type
        The same class, with the ``Parameters`` section inserted before the
        first section of its docstring (or at its end).

    Examples
    --------
    >>> from mse.methods.fields import option, specification
    >>> @specification
    ... class Budget:
    ...     '''How long to try.
    ...
    ...     Examples
    ...     --------
    ...     >>> Budget(seconds=2.0).seconds
    ...     2.0
    ...     '''
    ...     seconds: float = option(1.0, "Wall-clock seconds.")
    >>> print(Budget.__doc__.split("Examples")[0].strip())
    How long to try.
    <BLANKLINE>
    Parameters
    ----------
    seconds : float, default 1.0
        Wall-clock seconds.
    """
    made: Any = dataclasses.dataclass(frozen=True, kw_only=True, repr=False)(cls)
    if made.__doc__:
        made.__doc__ = _with_parameters(inspect.cleandoc(made.__doc__), parameters_section(made))
    return typing.cast(_T, made)


def _declared_in_order(cls: type) -> list[dataclasses.Field[Any]]:
    """The init fields of ``cls``: those it introduces first, then those of its bases, nearest first.

    A field is placed with the class that introduced it, even where a subclass
    redeclares it with another default, so a method's own options come first.
    """
    by_name = {f.name: f for f in dataclasses.fields(cls) if f.init}
    introduced: dict[str, type] = {}
    for klass in reversed(cls.__mro__):
        for name in vars(klass).get("__annotations__", {}):
            introduced.setdefault(name, klass)
    return [
        by_name[name]
        for klass in cls.__mro__
        for name in vars(klass).get("__annotations__", {})
        if name in by_name and introduced[name] is klass
    ]


def _description(cls: type, name: str) -> str:
    """The description of field ``name``: from the nearest class in ``cls``'s MRO that gives one."""
    for klass in cls.__mro__:
        declared = vars(klass).get("__dataclass_fields__", {}).get(name)
        if declared is not None and declared.metadata.get(DOC):
            return str(declared.metadata[DOC])
    return ""


def parameters_section(cls: type) -> str:
    """The numpydoc ``Parameters`` section of a method class, built from its fields.

    Parameters
    ----------
    cls
        A dataclass whose fields were declared with :func:`option` (those of
        its bases included).

    Returns
    -------
    str
        One entry per init field, ``name : annotation, default value`` and
        its description, the class's own fields first.

    Raises
    ------
    TypeError
        When a field has no description anywhere in the class's bases.

    Examples
    --------
    >>> from mse.methods import Chapman
    >>> from mse.methods.fields import parameters_section
    >>> print(parameters_section(Chapman).splitlines()[2])
    lists : Sequence[str] | None, default None
    """
    lines = ["Parameters", "----------"]
    for declared in _declared_in_order(cls):
        text = _description(cls, declared.name)
        if not text:
            raise TypeError(f"{cls.__name__}.{declared.name} has no description: declare it with option(default, doc).")
        default = "" if declared.default is dataclasses.MISSING else f", default {declared.default!r}"
        lines.append(f"{declared.name} : {declared.type}{default}")
        lines.extend(f"    {line}" if line else "" for line in text.splitlines())
    return "\n".join(lines)


def _with_parameters(doc: str, section: str) -> str:
    if "\nParameters\n----------" in doc:
        raise TypeError("a method class documents its options with option(...), not in its own Parameters section.")
    lines = doc.splitlines()
    for i in range(1, len(lines) - 1):
        heading, underline = lines[i].strip(), lines[i + 1].strip()
        if heading and underline and set(underline) == {"-"} and len(underline) == len(heading):
            return "\n".join([*lines[:i], section, "", *lines[i:]])
    return f"{doc}\n\n{section}\n"


#: The evaluated annotations of each method class, computed once per class.
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _conforms(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_conforms(value, arm) for arm in typing.get_args(hint))
    if origin is Literal:
        return any(type(value) is type(choice) and value == choice for choice in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, (bool, np.bool_))
    if hint is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if origin is collections.abc.Sequence:
        return isinstance(value, collections.abc.Sequence) and not isinstance(value, str)
    if origin is not None:
        return isinstance(value, origin)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    """``int | None`` as "an integer or None", for messages."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(arm) for arm in typing.get_args(hint))
    if origin is Literal:
        return "one of " + ", ".join(repr(choice) for choice in typing.get_args(hint))
    words = {
        type(None): "None",
        bool: "True or False",
        int: "a whole number",
        float: "a number",
        str: "a string",
        collections.abc.Sequence: "a list or tuple",
        collections.abc.Mapping: "a dict",
    }
    return words.get(origin or hint, getattr(hint, "__name__", str(hint)))


def check_types(spec: Any, method: str) -> None:
    """Raise when a field of the dataclass ``spec`` holds a value of the wrong type.

    Parameters
    ----------
    spec
        A method object (any dataclass instance).
    method
        The method name, for the message.

    Raises
    ------
    ModelError
        Naming the option, what it must be and what it got.

    Examples
    --------
    >>> from mse.methods import Stepwise
    >>> Stepwise(max_order="three")
    Traceback (most recent call last):
    ...
    mse.errors.ModelError: max_order must be a whole number or None, got 'three' (an option of method 'stepwise'; ...).
    """
    hints = _hints(type(spec))
    for declared in dataclasses.fields(spec):
        if not declared.init:
            continue
        value = getattr(spec, declared.name)
        hint = hints[declared.name]
        if not _conforms(value, hint):
            raise ModelError(
                f"{declared.name} must be {_describe(hint)}, got {value!r} (an option of method {method!r}; "
                f"see help({_public_path(type(spec))}))."
            )


def _public_path(cls: type) -> str:
    """Where users find ``cls``: ``mse.methods.Stepwise`` for the built-in classes, else its module path."""
    module = cls.__module__
    if module.startswith("mse.methods."):
        module = "mse.methods"
    return f"{module}.{cls.__qualname__}"
