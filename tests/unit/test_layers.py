"""Layers only point down (issue 16): every import between SatuPintu's packages goes to a package below, and no
module imports itself back through others. Read from the source, so an import inside a function (a lazy import that
hides a cycle) or under TYPE_CHECKING counts like any other.

From the bottom: `contracts` (the dataclasses runs exchange), `office` (calendar, number formats, the registry's
message signature), `store` (the read model, settings, storage and the connection to Temporal), `process_defs` (the
YAML definitions), `signing`, `documents` and `notifications` (the mechanisms every process shares), then `workflows`
(pure) ← `activities` ← `workers`; `audit` beside the workers; `gateway` on top of them all but `workers`,
`activities` and `cli`; `cli` and `bench` use anything."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BOTTOM = {"contracts", "office"}
ALLOWED: dict[str, set[str]] = {
    "contracts": set(),
    "office": {"contracts"},
    "store": BOTTOM,
    "process_defs": BOTTOM,
    "signing": BOTTOM | {"store"},
    "notifications": BOTTOM | {"store"},
    "documents": BOTTOM | {"store", "process_defs"},
    "workflows": {"contracts"},
    "activities": BOTTOM | {"store", "process_defs", "signing", "notifications", "documents", "workflows"},
    "workers": BOTTOM | {"store", "process_defs", "signing", "notifications", "documents", "workflows", "activities"},
    "audit": BOTTOM | {"store", "process_defs", "signing", "documents", "workflows"},
    "gateway": BOTTOM | {"store", "process_defs", "signing", "notifications", "documents", "workflows", "audit"},
    "cli": BOTTOM | {"store", "process_defs", "signing", "notifications", "documents", "workflows", "activities", "workers",
                     "audit", "gateway"},
}
ALLOWED["bench"] = set(ALLOWED) | {"cli"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in ALLOWED for path in (ROOT / package).rglob("*.py")}


def _statements(tree: ast.AST, *, runtime_only: bool):
    for node in ast.iter_child_nodes(tree):
        if runtime_only and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        yield node
        yield from _statements(node, runtime_only=runtime_only)


def _imports(path: Path, modules: dict[str, Path], *, runtime_only: bool = False) -> set[str]:
    """The SatuPintu modules a file imports, wherever the import statement is (runtime_only: not those the type
    checker alone reads, which never run)."""
    found = set()
    for node in _statements(ast.parse(path.read_text(encoding="utf-8")), runtime_only=runtime_only):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` imports the module; `from module import name` the module itself.
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph(*, runtime_only: bool = False) -> dict[str, set[str]]:
    modules = _modules()
    graph = {name: _imports(path, modules, runtime_only=runtime_only) - {name} for name, path in modules.items()}
    # A package's __init__ is imported with each of its modules: `import store.models` runs `store/__init__.py` first.
    return {name: {target for target in targets if not name.startswith(target + ".")} for name, targets in graph.items()}


def test_every_import_points_down() -> None:
    upward = sorted(f"{module} -> {target}" for module, targets in _graph().items() for target in targets
                    if (src := module.split(".")[0]) != (dst := target.split(".")[0]) and dst not in ALLOWED[src])
    assert upward == []


def test_no_module_imports_itself_back() -> None:
    # A type named for the checker only is no import at run time: settings may name storage's type and storage
    # the settings' without one waiting for the other.
    graph = _graph(runtime_only=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_layers_cover_every_package() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(ALLOWED)


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    # The check itself: a store module importing an activity is reported.
    modules = {"store.models": tmp_path / "m.py", "activities.tasks": tmp_path / "t.py"}
    (tmp_path / "m.py").write_text("def f():\n    from activities.tasks import x\n")
    assert _imports(tmp_path / "m.py", modules) == {"activities.tasks"}
