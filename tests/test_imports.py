"""The import graph of src/hotline, read with the ast module: no cycle anywhere (imports under
``TYPE_CHECKING`` and inside functions count too), pbx's call core imports no feature, and
the lower packages import nothing of Hotline (DESIGN.md's table)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# The call core: calls, legs, the B2BUA, the dialplan, admission; features sit on top.
PBX_CORE = {
    "hotline.pbx.admission",
    "hotline.pbx.b2bua",
    "hotline.pbx.calls",
    "hotline.pbx.capacity",
    "hotline.pbx.clock",
    "hotline.pbx.fork",
    "hotline.pbx.legs",
    "hotline.pbx.moments",
    "hotline.pbx.routing",
    "hotline.pbx.signals",
    "hotline.pbx.sip_ports",
}
FEATURES = "hotline.pbx.features"
SELF_CONTAINED = ("hotline.sip", "hotline.media", "hotline.acd", "hotline.events")


def _module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            target = ".".join([*base, node.module] if node.module else base)
        else:
            target = node.module or ""
        for alias in node.names:
            child = f"{target}.{alias.name}"
            yield child if child in known else target


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Each module of hotline and the modules of hotline it imports."""
    files = {_module_name(path, src): path for path in (src / "hotline").rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        targets = {
            target
            for node in ast.walk(tree)
            for target in _imported(node, module, is_package, known)
        }
        graph[module] = {t for t in targets if t in known and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def forbidden_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports that break the layering: pbx's core importing a feature or the composition,
    and the self-contained packages importing another part of Hotline."""
    wrong = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if module in PBX_CORE and (
                target.startswith(FEATURES) or target == "hotline.pbx.composition"
            ):
                wrong.append(f"{module} (pbx core) imports the feature {target}")
            for package in SELF_CONTAINED:
                inside = module == package or module.startswith(package + ".")
                own = target == package or target.startswith(package + ".")
                if inside and not own and target != "hotline":
                    wrong.append(f"{module} ({package}) imports {target}")
    return wrong


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "modules importing each other:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_layers_hold() -> None:
    wrong = forbidden_imports(import_graph())
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_a_cycle_and_a_core_importing_a_feature(tmp_path: Path) -> None:
    package = tmp_path / "hotline"
    (package / "pbx" / "features").mkdir(parents=True)
    for name in ("__init__", "pbx/__init__", "pbx/features/__init__"):
        (package / f"{name}.py").write_text("")
    (package / "pbx" / "calls.py").write_text("from hotline.pbx.features import queues\n")
    (package / "pbx" / "features" / "queues.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hotline.pbx import calls\n"
    )
    graph = import_graph(tmp_path)
    assert cycles(graph) == [["hotline.pbx.calls", "hotline.pbx.features.queues"]]
    assert forbidden_imports(graph) == [
        "hotline.pbx.calls (pbx core) imports the feature hotline.pbx.features.queues"
    ]
