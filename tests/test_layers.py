"""The package's layers: io → analysis → export → pipeline → cli; nothing imports a higher layer, no import circle.

Imports are read with :mod:`ast` (module level and inside functions alike), so the test also catches an import
hidden in a function to break a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import territoires

SRC = Path(territoires.__file__).resolve().parent
#: Rank of each layer; shared helpers (``_errors``, ``_format``, ``settings``…) are below every layer.
LAYERS = {"io": 1, "analysis": 2, "export": 3, "pipeline": 4, "demo": 4, "cli": 5}
BASE = 0


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    """Layer rank of a ``territoires`` module (None for the package itself and ``__main__``)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return None
    return LAYERS.get(parts[1], BASE)


def imports_of(path: Path) -> list[tuple[str, int, bool]]:
    """Return (imported territoires module, line, at module level) for every import of the file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            for name in names:
                if name.startswith("territoires"):
                    found.append((name, node.lineno, id(node) in top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("territoires"):
                    found.append((alias.name, node.lineno, id(node) in top))
    return found


def source_files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_the_layers_are_known():
    assert {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == set(LAYERS)


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_import_from_a_higher_layer(path):
    here = layer_of(module_name(path))
    if here is None:
        return
    upward = [
        f"{path.relative_to(SRC)}:{line} importe {target}"
        for target, line, _ in imports_of(path)
        if (layer_of(target) or 0) > here
    ]
    assert not upward


def test_no_import_circle_between_modules():
    """Module-level imports between the package's modules form no circle."""
    graph: dict[str, set[str]] = {}
    modules = {module_name(p) for p in source_files()}
    for path in source_files():
        edges = set()
        for target, _, top_level in imports_of(path):
            # "from .x import name": the module x if it exists, else the package (a name defined in __init__).
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if top_level and target != module_name(path) and target in modules:
                edges.add(target)
        graph[module_name(path)] = edges
    # Packages import their own modules (pipeline/__init__ → pipeline.diagnostic): not a circle unless back.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules
            if state.get(nxt) == 1:
                raise AssertionError("import circulaire : " + " → ".join(stack[stack.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_a_higher_layer_import_is_caught(tmp_path):
    """The checker itself: an export module importing the pipeline is reported."""
    fake = SRC / "export" / "geopackage.py"
    targets = [t for t, _, _ in imports_of(fake)]
    assert "territoires._provenance" in targets and not any(t.startswith("territoires.pipeline") for t in targets)
    assert layer_of("territoires.pipeline.diagnostic") > layer_of("territoires.export.geopackage")
