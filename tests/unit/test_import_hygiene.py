"""What import-linter's contracts do not say about `app`: no import circle, deferred
imports (inside functions) included, and no private name (`_x`) imported from another
module — a name used in two files is part of a module's interface, so it is public."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

APP = Path(__file__).resolve().parents[2] / "app"


def import_circles(package: str) -> list[list[str]]:
    """The strongly connected components of more than one module of the package's import
    graph (every `import` statement, at any depth), each sorted."""
    graph = grimp.build_graph(package, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return circles


def private_imports(source: str) -> list[str]:
    """`module._name` for each private name a `from app… import` of `source` takes."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "app":
            found += [
                f"{node.module}.{alias.name}" for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_a_circle_through_a_deferred_import_is_found(tmp_path, monkeypatch):
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circled import b\n")
    (package / "b.py").write_text("def f():\n    from circled import a\n")
    (package / "c.py").write_text("from circled import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_circles("circled") == [["circled.a", "circled.b"]]


def test_a_private_import_is_found():
    source = (
        "from app.a import b, _c\nfrom app.d import __version__\nfrom os import _exit\n"
        "def f():\n    from app.e import _g\n"
    )
    assert private_imports(source) == ["app.a._c", "app.e._g"]


def test_no_module_of_app_imports_a_private_name_of_another():
    found = {
        str(path.relative_to(APP.parent)): names
        for path in sorted(APP.rglob("*.py"))
        if (names := private_imports(path.read_text()))
    }
    assert found == {}


def test_app_has_no_import_circle():
    assert import_circles("app") == []
