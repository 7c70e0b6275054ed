"""The benchmark scripts keep the contract that ``benchmarks/run_all.py --quick`` relies on.

The scripts are read, not run: their timings belong in ``benchmarks/README.md``,
never in the test suite.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


def test_there_are_benchmark_scripts():
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_has_a_quick_run(script):
    tree = ast.parse(script.read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "quick" in functions, f"{script.name} has no quick() for run_all.py --quick"
    quick = functions["quick"]
    assert not quick.args.args, f"{script.name}: quick() takes no arguments"
    assert ast.get_docstring(quick), f"{script.name}: quick() says what small run it makes"
