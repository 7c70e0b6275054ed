"""The API reference lists every public name of the package."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import mse

API_INDEX = Path(__file__).resolve().parents[1] / "docs" / "api" / "index.rst"


def _autosummary_entries(text: str) -> set[str]:
    """The names listed under the ``autosummary`` directives of an reST page."""
    entries: set[str] = set()
    inside = False
    for line in text.splitlines():
        if line.startswith(".. autosummary::"):
            inside = True
            continue
        if inside:
            if not line.strip() or line.lstrip().startswith(":"):
                continue
            if not line.startswith("   "):
                inside = False
                continue
            entries.add(line.strip())
    return entries


def test_autosummary_entries_are_read() -> None:
    text = ".. autosummary::\n   :toctree: generated\n\n   mse.a\n   mse.b\n\nText\n\n   mse.c\n"
    assert _autosummary_entries(text) == {"mse.a", "mse.b"}


def test_api_reference_lists_every_public_name() -> None:
    entries = _autosummary_entries(API_INDEX.read_text(encoding="utf-8"))
    missing = []
    for name in mse.__all__:
        if name.startswith("__"):
            continue
        value = getattr(mse, name)
        if inspect.ismodule(value):
            # a subpackage is listed through its members: ``mse.methods.Stepwise``
            listed = any(entry.startswith(f"mse.{name}.") for entry in entries)
        else:
            listed = f"mse.{name}" in entries
        if not listed:
            missing.append(name)
    assert not missing, f"public names missing from {API_INDEX.name}: {missing}"


def _resolve(entry: str) -> object:
    """The object a dotted name stands for: the longest importable module, then attributes."""
    parts = entry.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            value = getattr(value, part)
        return value
    raise ImportError(entry)


def test_api_reference_entries_exist() -> None:
    # a renamed or removed name cannot leave a dead row behind
    for entry in _autosummary_entries(API_INDEX.read_text(encoding="utf-8")):
        assert re.fullmatch(r"mse(\.\w+)+", entry), entry
        assert _resolve(entry) is not None
