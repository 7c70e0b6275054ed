"""The import graph follows the layer map in ARCHITECTURE.md.

Every module under ``src/mse`` is parsed with :mod:`ast` (nothing is
imported), and every ``import mse...`` / ``from mse... import`` it contains,
at module level or inside a function, is checked: a module may import from
its own layer or from lower ones. Imports under ``if TYPE_CHECKING:`` are
annotations only and never run, so they are not checked.

The few deliberate exceptions are listed in ``EXCEPTIONS`` with the reason.
The list is checked both ways: an exception that is no longer needed must be
removed from it.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "mse"

# Lowest first. A module belongs to the first layer with a prefix that names it
# or one of its parent packages (the longest matching prefix wins).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "mse._version",
            "mse._readonly",
            "mse._deferred",
            "mse.errors",
            "mse.options",
            "mse.settings",
            "mse.progress_bars",
            "mse.bootstrap_limits",
        ),
    ),
    ("disclosure", ("mse.disclosure",)),
    ("data", ("mse.data", "mse.linkage")),
    ("results contract", ("mse.results", "mse.result_schema", "mse.result_table")),
    ("run control", ("mse.budget",)),
    ("model cores", ("mse.loglinear", "mse.information", "mse.simulate")),
    ("model families", ("mse.closed", "mse.bayes")),
    ("front door", ("mse.api", "mse.auto", "mse.methods", "mse.linkage.correction")),
    ("diagnostics", ("mse.diagnostics",)),
    ("plotting", ("mse.plotting",)),
    ("reports", ("mse.report",)),
    ("package and studies", ("mse", "mse.benchmark")),
    ("command line", ("mse.cli", "mse.__main__")),
    ("testing", ("mse.testing",)),
]

# (importing module, imported module) -> why the upward import is there.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("mse.disclosure", "mse.results"): (
        "the disclosure policy prints protected numbers with the results module's "
        "_format_number and _jsonable; imported inside the functions that need them. "
        "Moving the two helpers into a small formatting module below both would remove it."
    ),
    ("mse.result_schema", "mse.loglinear"): (
        "loading a saved result rebuilds the typed log-linear fit it holds (LoglinearFit, its model "
        "string checked by the parser); imported inside the loading functions, so the results layer "
        "does not import the models when mse is imported. A registry of fit types filled by each "
        "family would remove it."
    ),
    ("mse.results", "mse.bayes"): (
        "saving the posterior of a Bayesian result as netCDF needs ArviZ, which only mse.bayes.backend "
        "imports; imported inside the saving function."
    ),
    ("mse.result_schema", "mse.bayes"): (
        "loading the posterior saved beside a result needs ArviZ, which only mse.bayes.backend imports; "
        "imported inside the loading function."
    ),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The ``mse`` modules (or names in them) that an import statement refers to."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "mse"]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        if target.split(".")[0] != "mse":
            return []
        # ``from mse.bayes.latent_class import hmc_kernel`` imports a submodule.
        return [f"{target}.{alias.name}" if _is_module(f"{target}.{alias.name}") else target for alias in node.names]
    return []


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _runtime_imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for statement in child.orelse:
                    visit_statement(statement)
                continue
            visit_statement(child)

    def visit_statement(node: ast.AST) -> None:
        found.extend((name, node.lineno) for name in _imported(node, module, is_package))  # type: ignore[attr-defined]
        visit(node)

    visit(tree)
    return found


@functools.cache
def all_imports() -> tuple[tuple[str, str, int], ...]:
    """Every runtime import of an ``mse`` module: (importer, imported, line)."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for imported, line in _runtime_imports(tree, module, path.name == "__init__.py"):
            edges.append((module, imported, line))
    return tuple(edges)


# Inside mse.loglinear, lowest first: what a model is, fitting it, choosing one, intervals, the
# models with covariates, then the estimators behind mse.estimate and the heterogeneity check.
LOGLINEAR_LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("model", ("mse.loglinear.model",)),
    ("fit", ("mse.loglinear.fit",)),
    ("search", ("mse.loglinear.search",)),
    ("intervals", ("mse.loglinear.intervals",)),
    ("covariates", ("mse.loglinear.covariates",)),
    ("estimators", ("mse.loglinear", "mse.loglinear.estimators", "mse.loglinear.heterogeneity")),
]


def layer_of(module: str, layers: list[tuple[str, tuple[str, ...]]] = LAYERS) -> int:
    best: tuple[int, int] | None = None
    for rank, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    if best is None:
        raise AssertionError(f"{module} is in no layer of the map")
    return best[0]


def _owner(module: str) -> str:
    """The module or package named in the layer map that ``module`` belongs to, for reporting."""
    best = ""
    for _, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best = prefix
    return best


def upward_imports() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for importer, imported, line in all_imports():
        if layer_of(imported) > layer_of(importer):
            key = (_owner(importer), _owner(imported))
            found.setdefault(key, []).append(f"{importer}:{line} imports {imported}")
    return found


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        layer_of(_module_name(path))


def test_the_parser_sees_function_level_imports():
    # A guard on the checker itself: the command line imports the API inside its commands.
    edges = {(a, b) for a, b, _ in all_imports()}
    assert ("mse.cli", "mse.api") in edges
    assert ("mse.bayes.latent_class.hmc", "mse.bayes.latent_class.hmc_kernel") in edges
    # and leaves annotations-only imports alone
    assert ("mse.bayes.modes", "mse.results") not in edges


def test_imports_go_down_the_layers():
    upward = upward_imports()
    unexpected = {key: where for key, where in upward.items() if key not in EXCEPTIONS}
    assert not unexpected, "imports that go up the layer map (see ARCHITECTURE.md):\n" + "\n".join(
        line for where in unexpected.values() for line in where
    )


def test_listed_exceptions_are_still_needed():
    stale = set(EXCEPTIONS) - set(upward_imports())
    assert not stale, f"no longer needed, remove from EXCEPTIONS: {sorted(stale)}"


def test_loglinear_subpackages_import_down_their_order():
    upward = [
        f"{importer}:{line} imports {imported}"
        for importer, imported, line in all_imports()
        if importer.startswith("mse.loglinear.")
        and imported.startswith("mse.loglinear.")
        and layer_of(imported, LOGLINEAR_LAYERS) > layer_of(importer, LOGLINEAR_LAYERS)
    ]
    assert not upward, "imports that go up the order of mse.loglinear (see ARCHITECTURE.md):\n" + "\n".join(upward)


@pytest.mark.parametrize("family", ["mse.closed", "mse.bayes"])
def test_model_families_do_not_import_each_other(family):
    other = {"mse.closed": "mse.bayes", "mse.bayes": "mse.closed"}[family]
    crossing = [
        f"{a}:{line} imports {b}"
        for a, b, line in all_imports()
        if (a == family or a.startswith(family + ".")) and (b == other or b.startswith(other + "."))
    ]
    assert not crossing


def test_models_never_import_diagnostics_plotting_or_the_command_line():
    models = ("mse.loglinear", "mse.closed", "mse.bayes", "mse.information", "mse.simulate")
    banned = ("mse.diagnostics", "mse.plotting", "mse.cli", "mse.api", "mse.auto", "mse.methods")
    offending = [
        f"{a}:{line} imports {b}"
        for a, b, line in all_imports()
        if a.startswith(models) and (b == "mse" or b.startswith(banned))
    ]
    assert not offending


def test_pymc_and_arviz_are_imported_lazily():
    # Never at module level: only inside functions (through mse.bayes.backend) or for annotations.
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            for name in names:
                if name.split(".")[0] in ("pymc", "arviz", "pytensor"):
                    offending.append(f"{_module_name(path)}:{node.lineno} imports {name}")
    assert not offending


TESTS = Path(__file__).resolve().parent


def test_the_tests_mirror_the_package():
    """Every folder of tests names a package (or module) of ``src/mse``, so a test sits where its code does."""
    for folder in sorted(p for p in TESTS.rglob("*") if p.is_dir() and p.name not in ("__pycache__", "reference")):
        relative = folder.relative_to(TESTS)
        code = SRC / "mse" / relative
        assert code.is_dir() or code.with_suffix(".py").is_file(), f"tests/{relative} has no src/mse/{relative}"


def test_test_file_names_are_unique():
    """pytest imports test files by their name (no __init__.py in the folders): two with one name would clash."""
    names = [path.name for path in TESTS.rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted({name for name in names if names.count(name) > 1})
