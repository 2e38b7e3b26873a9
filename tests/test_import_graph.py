"""No import cycles among the modules of common/, vtn/ and ven/ (run as a script: the cycles).

The graph is read with ``ast``, without importing anything. An edge goes from a module to the
project module an import statement names (``from a.b import c``: to ``a.b.c`` when that is a
module, else to ``a.b``), for the statements that run when the module is imported: not those in
functions, nor under ``if TYPE_CHECKING:`` (those are checked separately, and may be allowed).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "vtn", "ven")

Graph = dict[str, set[str]]


def _modules() -> dict[str, Path]:
    """Every project module's dotted name and file."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt], *, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements run at import time (and, with `type_checking`, also those under
    ``if TYPE_CHECKING:``); function bodies are never entered."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if _is_type_checking(node.test) and not type_checking:
                yield from _imports(node.orelse, type_checking=type_checking)
                continue
            yield from _imports(node.body, type_checking=type_checking)
            yield from _imports(node.orelse, type_checking=type_checking)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(h.body for h in node.handlers)):
                yield from _imports(block, type_checking=type_checking)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _imports(node.body, type_checking=type_checking)


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, node.module] if node.module else package)


def import_graph(*, type_checking: bool = False) -> Graph:
    """Project module -> the project modules it imports."""
    modules = _modules()
    graph: Graph = {name: set() for name in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree.body, type_checking=type_checking):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _base(module, path, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            graph[module].update(t for t in targets if t in modules and t != module)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # iterative: no recursion limit on a deep graph
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


def test_the_graph_sees_the_project() -> None:
    graph = import_graph()
    assert {"common.xml.parser", "vtn.app", "ven.client"} <= graph.keys()
    assert "vtn.config" in graph["vtn.app"]
    assert "vtn.polls.waiting" in graph["vtn.polls.cached"]


def test_cycles_are_found() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "d"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("type_checking", [False, True], ids=["at-import", "with-type-checking"])
def test_no_import_cycles(type_checking: bool) -> None:
    found = cycles(import_graph(type_checking=type_checking))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


if __name__ == "__main__":
    status = 0
    for checking in (False, True):
        for cycle in cycles(import_graph(type_checking=checking)):
            status = 1
            where = "with TYPE_CHECKING imports" if checking else "at import"
            sys.stdout.write(f"cycle ({where}): {' <-> '.join(cycle)}\n")
    raise SystemExit(status)
