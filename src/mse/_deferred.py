"""Values of an immutable result that are built on first read.

An ArviZ ``InferenceData`` costs more to make than some posteriors cost to
sample: importing ArviZ takes 1-2 s in a fresh process, and packing the
draws into xarray objects takes longer than drawing them with the compiled
samplers. A result therefore holds a :class:`Deferred` (a recipe) and builds
the value the first time the attribute is read, then keeps it. A dataclass
field declared with :class:`DeferredField` does this; the value given to the
constructor may be the finished value or a :class:`Deferred`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Deferred", "DeferredField", "raw"]


class Deferred:
    """A value to be built by calling ``build()`` with no arguments, once, when it is first needed.

    ``build`` must be picklable (a module-level function or a ``functools.partial`` of one) for results to be
    sent to worker processes before the value is built.

    Examples
    --------
    >>> Deferred(lambda: 41 + 1).build()
    42
    """

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], Any]) -> None:
        self.build = build

    def __repr__(self) -> str:
        return "Deferred(...)"


class DeferredField:
    """A dataclass field (with default ``None``) whose :class:`Deferred` value is built when first read.

    Works on frozen dataclasses: the value is kept in the instance's ``__dict__`` under a private name, set
    through the descriptor by the generated ``__init__``; assignment after construction is still refused by
    the frozen class. Pickling keeps the recipe, not the built value, until it has been read.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Result:
    ...     value: int
    ...     extra: object = DeferredField()
    >>> res = Result(1, Deferred(lambda: [1, 2]))
    >>> res.extra
    [1, 2]
    >>> Result(2).extra is None
    True
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_stored"

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return None  # the dataclass default
        value = instance.__dict__.get(self._slot)
        if isinstance(value, Deferred):
            value = value.build()
            instance.__dict__[self._slot] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        # The generated __init__ passes the descriptor itself when the argument is left out.
        instance.__dict__[self._slot] = None if value is self else value


def raw(instance: Any, name: str) -> Any:
    """The attribute ``name`` of ``instance`` as held: a :class:`DeferredField`'s recipe is not built (for copies).

    For any other attribute, its value (``None`` if there is none).
    """
    if isinstance(type(instance).__dict__.get(name), DeferredField):
        return instance.__dict__.get(f"_{name}_stored")
    return getattr(instance, name, None)
