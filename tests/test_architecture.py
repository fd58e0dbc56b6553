"""The package's import graph runs one way: functional API -> classes -> kernels.

Read from the source with :mod:`ast` (module-level and function-level imports
alike), so a lazy import inside a function cannot hide a cycle.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "sparsecore"
FUNCTIONAL = {"sparsecore._functional", "sparsecore._plasticity_ops"}
MAX_LINES = 600


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path) -> set[str]:
    """The sparsecore modules ``path`` imports (``from . import x`` counts as ``x``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sparsecore")}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else \
                node.module or ""
            if not target.startswith("sparsecore"):
                continue
            for alias in node.names:  # `from . import _units` imports that module only
                sub = f"{target}.{alias.name}"
                is_module = (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                found.add(sub if is_module else target)
    found.discard(name)
    return found


GRAPH = {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_kernels_never_import_classes_units_or_validation():
    for module, deps in GRAPH.items():
        if module.startswith("sparsecore.kernels"):
            outside = {d for d in deps if not d.startswith("sparsecore.kernels")
                       and d != "sparsecore._errors"}
            assert not outside, f"{module} imports {sorted(outside)}"


def test_classes_never_import_the_functional_api():
    for module, deps in GRAPH.items():
        if module in FUNCTIONAL or module == "sparsecore":
            continue
        assert not deps & FUNCTIONAL, f"{module} imports {sorted(deps & FUNCTIONAL)}"


def test_no_import_cycle():
    state: dict[str, str] = {}

    def visit(module, path):
        state[module] = "open"
        for dep in sorted(GRAPH.get(module, ())):
            if state.get(dep) == "open":
                pytest.fail("import cycle: " + " -> ".join(path + [module, dep]))
            if dep not in state:
                visit(dep, path + [module])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


def test_modules_stay_small():
    long = {p.name: n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
