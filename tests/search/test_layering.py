"""Imports point one way: search never imports searchsite (whose Celery app and URLs import search); the modules
of the ML core form no cycle, even through imports inside functions; and search's modules (people's, ocr's) form
none either, except through the tasks' own deferred imports of the services they run (the one place Celery
scheduling meets them)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module a file imports, anywhere in it (relative imports resolved against ``package``)."""
    return imported_modules_of(ast.parse(path.read_text()), package)


def top_level_imports(path: Path, package: str) -> set[str]:
    """The modules a file imports at its top level (what importing it imports)."""
    tree = ast.parse(path.read_text())
    tree.body = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = set()
    for node in tree.body:
        module = ast.Module(body=[node], type_ignores=[])
        names |= imported_modules_of(module, package)
    return names


def imported_modules_of(tree: ast.AST, package: str) -> set[str]:
    names = set()
    for node in ast.walk(tree):
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


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components of more than one module: each is an import cycle."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for other in graph[name]:
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in on_stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            component = set()
            while (member := stack.pop()) not in component:
                on_stack.discard(member)
                component.add(member)
                if member == name:
                    break
            if len(component) > 1:
                found.append(component)

    for name in graph:
        if name not in index:
            visit(name)
    return found


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


@pytest.mark.parametrize("app", ["search", "people", "ocr"])
def test_app_modules_form_no_import_cycle_but_through_the_tasks_deferred_imports(app):
    paths = {module_name(p): p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts}

    def package(name: str, path: Path) -> str:
        return name if path.name == "__init__.py" else name.rpartition(".")[0]

    graph = {
        name: {
            m
            for m in (top_level_imports if path.name == "tasks.py" else imported_modules)(path, package(name, path))
            if m in paths and m != name
        }
        for name, path in paths.items()
    }
    assert strongly_connected(graph) == []
