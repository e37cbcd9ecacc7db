"""The package's layers: each module imports only from its own layer and the layers below,
and no two parts of the package import each other.

Imports are read from the source with ``ast``, every one of them: at the top of a module,
inside functions (imports deferred for start-up cost are still dependencies), and under
``if TYPE_CHECKING`` (a name a signature needs is a dependency as well).  What a module
imports by a name held in a string (``importlib.import_module``: the namespace index
loading the protocol modules it lists, the lazy names of ``xepcodec`` and
``xepcodec.testing``) is not an import statement and is not counted: that is how a lower
layer reaches the modules above it without depending on them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import xepcodec

PACKAGE = Path(xepcodec.__file__).resolve().parent

#: Bottom to top.  A unit is a module with its submodules (``xepcodec.xml``) or, written
#: ``package.*``, only the submodules of a package: ``xepcodec.protocols`` itself is the
#: namespace index the registry reads, below the model; the protocol modules in it are
#: above the stanzas.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("errors", frozenset({"xepcodec.errors"})),
    ("datatypes and the namespace index",
     frozenset({"xepcodec.datatypes", "xepcodec.protocols"})),
    ("xml", frozenset({"xepcodec.xml"})),
    ("model", frozenset({"xepcodec.model"})),
    ("stanzas and streams", frozenset({"xepcodec.core"})),
    ("protocols", frozenset({"xepcodec.protocols.*"})),
    ("crypto and SASL", frozenset({"xepcodec.crypto", "xepcodec.sasl"})),
    ("entry points and validation",
     frozenset({"xepcodec.api", "xepcodec.lazy", "xepcodec.validation"})),
    ("machines and test helpers", frozenset({"xepcodec.machines", "xepcodec.testing"})),
    ("command line and the package's surface",
     frozenset({"xepcodec.cli", "xepcodec.__main__", "xepcodec"})),
)
LAYER_OF: Mapping[str, int] = {unit: level for level, (_, units) in enumerate(LAYERS)
                               for unit in units}


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def unit_of(module: str) -> str:
    """The declared unit holding ``module``: itself, or the nearest enclosing package
    declared whole or by its submodules."""
    if module in LAYER_OF:
        return module
    parts = module.split(".")
    for n in range(len(parts) - 1, 1, -1):  # packages inside xepcodec, innermost first
        package = ".".join(parts[:n])
        for unit in (f"{package}.*", package):
            if unit in LAYER_OF:
                return unit
    raise AssertionError(f"{module} is in no declared layer: add it to LAYERS")


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """The package's modules ``module`` imports, each with the line of its import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                package = module.split(".")
                package = package if is_package else package[:-1]
                anchor = ".".join(package[: len(package) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # ``from package import module`` imports the submodule; a name that is
                # not one is taken from the package itself.
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in MODULES else base), node.lineno


def _edges() -> list[tuple[str, str, str]]:
    """(importing module, imported module, where) for every import inside the package."""
    edges = []
    for module, path in MODULES.items():
        for target, line in _imported(module, path):
            if target == "xepcodec" or target.startswith("xepcodec."):
                edges.append((module, target, f"{path.relative_to(PACKAGE.parent)}:{line}"))
    return edges


EDGES = _edges()


def test_every_module_has_a_layer_and_every_import_names_a_module() -> None:
    for module in MODULES:
        unit_of(module)
    unknown = [(where, target) for _, target, where in EDGES if target not in MODULES]
    assert not unknown


def test_imports_go_down_the_layers() -> None:
    upward = []
    for module, target, where in EDGES:
        here, there = LAYER_OF[unit_of(module)], LAYER_OF[unit_of(target)]
        if there > here:
            upward.append(f"{where}: {module} ({LAYERS[here][0]}) imports {target} "
                          f"({LAYERS[there][0]})")
    assert not upward, "\n".join(upward)


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_units_import_each_other() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, target, _ in EDGES:
        if unit_of(module) != unit_of(target):
            graph[unit_of(module)].add(unit_of(target))
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_a_unit_is_found_by_its_innermost_declared_package() -> None:
    assert unit_of("xepcodec.protocols") == "xepcodec.protocols"
    assert unit_of("xepcodec.protocols.disco") == "xepcodec.protocols.*"
    assert unit_of("xepcodec.xml.stream") == "xepcodec.xml"
    assert unit_of("xepcodec") == "xepcodec"
    with pytest.raises(AssertionError, match="no declared layer"):
        unit_of("xepcodec.nowhere")


# What ast reads is what Python does: importing the lower layers, in a fresh interpreter,
# loads nothing of the layers above them.
@pytest.mark.parametrize("package", ["xepcodec.datatypes.jid", "xepcodec.datatypes.dates",
                                     "xepcodec.xml"])
def test_a_lower_layer_imports_alone(package: str) -> None:
    code = f"import sys, {package}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    loaded = {name for name in done.stdout.split() if name.startswith("xepcodec.")}
    ceiling = LAYER_OF[unit_of(package)]
    above = sorted(name for name in loaded if LAYER_OF[unit_of(name)] > ceiling)
    assert not above
