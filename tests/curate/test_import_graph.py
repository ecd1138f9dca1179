"""The module graph: no import cycle inside curate, and each layer imports only what it may.

Every ``import`` of a curate module counts, also those inside functions (a lazy import
hides a cycle from Python, not from a reader of the code); only ``if TYPE_CHECKING:``
blocks are left out, since they never run.  ``filters/`` is the package ``curate.filters``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"curate": ROOT / "curate", "curate.filters": ROOT / "filters"}


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return modules


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The curate module that ``name`` (a module or ``module.attribute``) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (n for branch in child.orelse for n in visit(ast.Module(body=[branch], type_ignores=[])))
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package
                    for _ in range(child.level - 1):
                        base = base.rpartition(".")[0]
                    source = f"{base}.{child.module}" if child.module else base
                else:
                    source = child.module or ""
                yield source
                yield from (f"{source}.{alias.name}" for alias in child.names)
            yield from visit(child)

    yield from visit(ast.parse(path.read_text(), filename=str(path)))


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_owner(name) for name in _imports(module, path) if name.startswith("curate")}
        graph[module] = {t for t in targets if t and t != module}
    return graph


GRAPH = _graph()


def _external(module: str) -> set[str]:
    """Top-level packages outside curate that ``module`` imports."""
    return {name.split(".")[0] for name in _imports(module, MODULES[module]) if not name.startswith("curate")}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_the_walk_sees_the_whole_package():
    assert len(MODULES) > 100 and "curate.filters.gopher" in MODULES and "curate.execution.phases" in MODULES
    assert "curate.execution.global_stage" in GRAPH["curate.dedup.base"]  # a module-level import
    assert "curate.tokenize.sink" in GRAPH["curate.run"]  # an import inside a function counts too


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_curates_modules():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


# Leaf modules: they import nothing else from curate, so anything may import them.
LEAVES = ["curate._version", "curate.config", "curate.errors", "curate.references", "curate.schema"]


@pytest.mark.parametrize("module", LEAVES)
def test_leaf_modules_import_nothing_from_curate(module):
    assert GRAPH[module] == set()


def _within(module: str, allowed: tuple[str, ...]) -> set[str]:
    return {t for t in GRAPH[module] if not any(t == a or t.startswith(a + ".") for a in allowed)}


def test_each_layer_imports_only_what_it_may():
    rules = {
        # the word splitter and text helpers: a library of their own
        "curate.text": ("curate.text",),
        # the training-side loader installs with numpy, pyarrow and fsspec alone
        "curate.loader": ("curate.loader", "curate._version"),
        # the planner reads settings and stages, nothing that runs them
        "curate.plan": ("curate.config", "curate.stage", "curate.schema", "curate.readers"),
        # execution knows no stage library: no dedup, tokenize, filters, CLI or run entry point
        "curate.execution": ("curate.execution", "curate.config", "curate.errors", "curate.events", "curate.output",
                             "curate.ownership", "curate.plan", "curate.readers", "curate.schema", "curate.stage",
                             "curate.storage", "curate._version"),
    }
    wrong = {}
    for module in GRAPH:
        for prefix, allowed in rules.items():
            if module == prefix or module.startswith(prefix + "."):
                extra = _within(module, allowed)
                if extra:
                    wrong[module] = sorted(extra)
    assert not wrong, wrong


def test_the_planner_needs_no_ray():
    assert "ray" not in _external("curate.plan") and "ray" not in _external("curate.pipeline")


def test_only_the_command_line_renders_with_rich():
    renderers = {"curate.cli", "curate.cli_output", "curate.inspect_view", "curate.diff_view"}
    users = {m for m in MODULES if "rich" in _external(m)}
    assert users <= renderers, sorted(users - renderers)
