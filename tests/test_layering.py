"""The layering, read from the source: the data flows engine -> encoding -> export -> plugin, and the tree must say
so. Imports inside functions count. Fails on a lower layer importing a higher one, on Locust or gevent in the
engine or encoding, and on any import cycle between the package's modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "otel_locust"
#: what each subpackage may import from the package (besides itself and the top-level modules named here)
ALLOWED = {
    "engine": set(),
    "encoding": {"engine"},
    "export": {"engine", "encoding"},
    "sink": {"encoding"},
    "testing": {"engine", "encoding"},
    "scenarios": {"engine"},
    "plugin": {"engine", "encoding", "export", "sink", "testing", "scenarios"},
}
TOP_LEVEL = {"otel_locust", "otel_locust._version", "otel_locust.platforms"}
NO_RUNTIME = ("locust", "gevent", "geventhttpclient", "flask", "grpc")  # engine and encoding must stay pure


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, module: str, typing_too: bool = True) -> set[str]:
    """Every module ``path`` imports, absolute, wherever the import statement is (``typing_too``: also those
    under ``if TYPE_CHECKING:``, which run only for the type checker)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if not typing_too:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else ""


def test_each_layer_imports_only_the_layers_below_it():
    modules = _modules()
    problems = []
    for module, path in modules.items():
        layer = _layer(module)
        if not layer:
            continue
        for imported in _imports(path, module):
            if imported.split(".")[0] in NO_RUNTIME and layer in ("engine", "encoding", "scenarios"):
                problems.append(f"{module} imports {imported}")
            target = _layer(imported) if imported.startswith("otel_locust.") else None
            if target and target != layer and target not in ALLOWED[layer] and imported in modules:
                problems.append(f"{module} ({layer}) imports {imported} ({target})")
    assert not problems, "\n".join(sorted(problems))


def test_no_import_cycles_between_modules():
    """Import-time cycles; a type annotation's import under ``TYPE_CHECKING`` does not run, so it is no cycle."""
    modules = _modules()
    graph = {
        m: {i for i in _imports(p, m, typing_too=False) if i in modules and i != m and not m.startswith(i + ".")}
        for m, p in modules.items()
    }
    # a package __init__ importing its own submodule is not a cycle worth naming; drop parent-package edges
    for module, edges in graph.items():
        graph[module] = {e for e in edges if not (modules[module].name == "__init__.py" and e.startswith(module))}
    cycles, state = [], dict.fromkeys(graph, 0)

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state[nxt] == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif state[nxt] == 0:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if state[module] == 0:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)
