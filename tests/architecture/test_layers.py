"""The package's layers run one way, and no modules import each other in a circle.

``docs/architecture.md`` describes the layers; this test keeps the code that way. It reads the
imports of every module (top-level, inside functions and under ``TYPE_CHECKING`` alike, since
each is a dependency) and fails on an import that runs back up a layer, an import between two
folders of one layer, and any circle of modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "supportkpi"

#: Bottom to top. A module may import its own folder and the folders of lower layers only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("schema", "stats", "staffing", "sentiment"),
    ("engine",),  # the backend seam: backends, periods, with_period
    ("store",),
    ("ingest", "demo"),
    ("calendar",),
    ("sla",),
    ("metrics",),
    ("config",),
    ("facts",),  # stored facts: the metric definitions, run by the store's loads
    ("query",),
    ("forecast",),  # volume forecasts: counts read through the query layer
    ("report",),
    ("api",),
    ("__init__",),  # the package itself: `import supportkpi`, `supportkpi.connect`
    ("web",),
    ("delivery",),  # report documents rendered (charts from the dashboard's specs) and sent
    ("sync",),  # live sources: help-desk APIs pulled page by page through the loader
    ("schedule",),  # scheduled reports and alerts, their state in the store
    ("cli",),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def unit_of(module: str) -> str:
    """The folder (or top-level module) of ``module`` right under the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(module: str) -> Iterator[tuple[str, int]]:
    """``(imported module, line)`` for every import of ``module`` inside the package."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import sub` depends on the submodule; `from mod import name` on mod.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            if target in MODULES:
                yield target, node.lineno


GRAPH = {module: sorted({t for t, _ in imports_of(module)} - {module}) for module in MODULES}


def test_every_folder_has_a_layer() -> None:
    assert sorted({unit_of(m) for m in MODULES} - set(RANK)) == []


def test_imports_run_down_the_layers_only() -> None:
    wrong = []
    for module in MODULES:
        for target, line in imports_of(module):
            here, there = unit_of(module), unit_of(target)
            if here != there and RANK[there] >= RANK[here]:
                way = "up" if RANK[there] > RANK[here] else "sideways"
                wrong.append(
                    f"{MODULES[module].relative_to(PACKAGE)}:{line} imports {target} ({way})"
                )
    assert wrong == []


def circles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert circles(GRAPH) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": ["b"], "b": ["a"], "c": []}, [["a", "b"]]),
        ({"a": ["b"], "b": ["c"], "c": []}, []),
    ],
)
def test_the_circle_finder_finds_circles(
    graph: dict[str, list[str]], expected: list[list[str]]
) -> None:
    assert circles(graph) == expected


def test_an_upward_import_would_be_seen() -> None:
    # The metrics layer must not know the query layer; its imports are read, not assumed.
    assert all(unit_of(t) != "query" for t in GRAPH["supportkpi.metrics.registry"])
    assert "supportkpi.metrics.registry" in GRAPH["supportkpi.query.runner"]
