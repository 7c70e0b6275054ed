"""Every documented function and class has a complete numpydoc docstring.

The documented names are those in ``mse.__all__``, the entries of
``docs/api/index.rst``, and the public names (``__all__``) of the modules
those entries come from. The log-linear family documents its names where
its package re-exports them (``mse.loglinear.fit_model``); the modules that
define them count as the modules they come from. Each needs a summary line, a ``Parameters`` section
when it takes arguments (for a class, ``Attributes`` documents the fields of
a results container), a ``Returns`` (or ``Yields``) section when it returns
something, and an ``Examples`` section.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
from pathlib import Path
from typing import Any

import pytest

import mse

INDEX = Path(__file__).resolve().parents[1] / "docs" / "api" / "index.rst"


def documented_names() -> list[str]:
    names = [f"mse.{name}" for name in mse.__all__ if name != "__version__"]
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        entry = line.strip()
        if entry.startswith("mse.") and entry not in names:
            names.append(entry)
    return names


def resolve(path: str) -> Any:
    """The object a dotted path names; an attribute wins over a submodule of the same name."""
    parts = path.split(".")
    obj: Any = importlib.import_module(parts[0])
    for depth, attribute in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, attribute)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:depth]))
    return obj


def sections_by_headings(doc: str) -> dict[str, str]:
    """Sections found by their underlined headings, for when numpydoc is not installed."""
    found: dict[str, str] = {"Summary": doc.strip().split("\n\n")[0].strip()}
    for heading, underline in itertools.pairwise(doc.splitlines()):
        if heading.strip() and underline.strip() and set(underline.strip()) == {"-"}:
            found[heading.strip()] = "present"
    return found


def sections(doc: str) -> dict[str, str]:
    """Section name -> text; the summary is under ``"Summary"``."""
    try:
        from numpydoc.docscrape import NumpyDocString
    except ImportError:  # numpydoc comes with the docs extra
        return sections_by_headings(doc)
    parsed = NumpyDocString(doc)
    found = {"Summary": " ".join(parsed["Summary"]).strip()}
    for name in ("Parameters", "Attributes", "Returns", "Yields", "Examples"):
        if parsed[name]:
            found[name] = "present"
    return found


def problems(path: str) -> list[str]:
    obj = resolve(path)
    doc = inspect.getdoc(obj) or ""
    found = sections(doc)
    missing = []
    if not found.get("Summary"):
        missing.append("summary")
    try:
        signature: inspect.Signature | None = inspect.signature(obj)
    except (TypeError, ValueError):
        signature = None
    arguments = [p for p in signature.parameters.values() if p.name not in ("self", "cls")] if signature else []
    if arguments and "Parameters" not in found and not (inspect.isclass(obj) and "Attributes" in found):
        missing.append("Parameters")
    if inspect.isfunction(obj) and signature is not None:
        returned = signature.return_annotation
        if returned not in (None, "None", inspect.Signature.empty) and not ({"Returns", "Yields"} & set(found)):
            missing.append("Returns")
    if "Examples" not in found:
        missing.append("Examples")
    return missing


def _module_of(path: str) -> str:
    """The module part of a dotted path (``mse.loglinear.heterogeneity.ALPHA`` -> ``mse.loglinear.heterogeneity``)."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:split])
        if inspect.ismodule(resolve(name)):
            return name
    return parts[0]


def public_names_of(module_name: str) -> list[str]:
    """``__all__`` of a module, else the functions and classes it defines (or its package re-exports)."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", "").startswith(module_name)
        ]
    return [f"{module_name}.{name}" for name in names if name != "__version__"]


#: Packages whose documented names are re-exported from the modules that define them.
RE_EXPORTING = ("mse.loglinear",)


def modules_of(path: str) -> set[str]:
    """The module a documented name is reached through, and the one defining it when a package re-exports it."""
    module = _module_of(path)
    if module in RE_EXPORTING:
        return {module, getattr(resolve(path), "__module__", module)}
    return {module}


def documented_objects() -> list[str]:
    """The documented names, then the public names of every module they come from, each object once."""
    names = documented_names()
    for module_name in sorted(set().union(*(modules_of(path) for path in names))):
        names += [name for name in public_names_of(module_name) if name not in names]
    seen: set[int] = set()
    paths = []
    for path in names:
        obj = resolve(path)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in seen:
            seen.add(id(obj))
            paths.append(path)
    return paths


def test_the_list_is_not_empty():
    paths = documented_objects()
    assert "mse.estimate" in paths and "mse.closed.estimators.m0" in paths
    assert len(paths) > 120
    assert "mse.loglinear.fit.model_fit.population_from_fits" in paths  # public in a documented module


@pytest.mark.parametrize("path", documented_objects())
def test_numpydoc_sections(path):
    assert not problems(path), f"{path}: docstring lacks {', '.join(problems(path))}"


def test_heading_parser_agrees_with_numpydoc():
    doc = inspect.getdoc(mse.estimate) or ""
    by_headings = sections_by_headings(doc)
    assert by_headings["Summary"] == sections(doc)["Summary"]
    assert {"Parameters", "Returns", "Examples"} <= set(by_headings)
