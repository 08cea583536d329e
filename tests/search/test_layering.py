"""Imports point one way: search never imports searchsite (whose Celery app and URLs import search), and the
modules of the ML core form no cycle, even through imports inside functions."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module a file imports, anywhere in it (relative imports resolved against ``package``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_search_imports_nothing_of_searchsite():
    offenders = {
        module_name(path): sorted(
            n for n in imported_modules(path, module_name(path)) if n.split(".")[0] == "searchsite"
        )
        for path in (ROOT / "search").rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_ml_core_modules_import_each_other_without_a_cycle():
    paths = {module_name(p): p for p in (ROOT / "search" / "ml").glob("*.py")}
    graph = {
        name: {m for m in imported_modules(path, name.rpartition(".")[0]) if m in paths and m != name}
        for name, path in paths.items()
    }
    cycles = []

    def visit(name: str, stack: list[str]) -> None:
        for other in graph[name]:
            if other in stack:
                cycles.append([*stack[stack.index(other) :], other])
            elif len(stack) < len(graph):
                visit(other, [*stack, other])

    for name in graph:
        visit(name, [name])
    assert cycles == []
