"""The package's shape, kept by a test (docs/architecture.md explains it).

- Layers, bottom to top: core (+ data, defaults) < messages, dashboard < documents < adapters < runner < cli.
  A module imports only from its own layer or below, so the core never reaches an adapter and
  `relance plan` can trust the same decisions `relance run` applies.
- The core is pure: no I/O library, no file writes, no clock. The shell passes it the day and the data.
- No import cycles among import-time imports (a function-level import that defers a heavy module
  is not one; it runs when everything is loaded).
- One rule, one place: "this invoice is closed" is spelt once (`Invoice.closed`).

Read from the source with `ast`, so the test needs no import of the modules it checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "relance"
LAYERS = {"core": 0, "data": 0, "defaults": 0, "messages": 1, "dashboard": 1, "documents": 2, "adapters": 3,
          "runner": 4, "shells": 4, "cli": 5}
IO_LIBRARIES = {"smtplib", "requests", "openpyxl", "gspread", "socket", "subprocess", "shutil", "tempfile",
                "urllib", "http", "aiosmtpd", "fpdf", "zipfile"}
CLOCK_CALLS = {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.monotonic",
               "time.perf_counter", "time.sleep"}
WRITE_CALLS = {"write_text", "write_bytes", "mkdir", "unlink", "rename", "replace_file", "touch", "rmdir"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def imported(node: ast.AST) -> list[str]:
    """Modules an import statement names (``from a import b`` names ``a.b`` when that is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        subs = [f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in MODULES]
        return subs or [node.module]
    return []


def all_imports(name: str) -> set[str]:
    return {m for node in ast.walk(TREES[name]) for m in imported(node)}


def import_time_imports(name: str) -> set[str]:
    """Imports run when the module is imported: module level, inside if/try, not under TYPE_CHECKING."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            found.update(imported(node))
            if isinstance(node, ast.If):
                visit(node.body + node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body])
    visit(TREES[name].body)
    return {m for m in found if m in MODULES and m != name}


def layer(name: str) -> int | None:
    parts = name.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_module_belongs_to_a_layer():
    assert [name for name in MODULES if name != "relance" and layer(name) is None] == []


def test_no_module_imports_from_a_higher_layer():
    upward = sorted(f"{name} -> {target}" for name in MODULES for target in all_imports(name)
                    if target.startswith("relance.") and layer(target) is not None and layer(target) > layer(name))
    assert upward == []


def core_modules() -> list[str]:
    return [name for name in MODULES if layer(name) == 0 and name.startswith("relance.core")]


@pytest.mark.parametrize("name", core_modules())
def test_the_core_does_no_io_and_reads_no_clock(name):
    tree = TREES[name]
    libraries = {m.split(".")[0] for m in all_imports(name)} & IO_LIBRARIES
    assert libraries == set(), f"{name} imports {libraries}"
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert {c for c in calls if c in CLOCK_CALLS or c.endswith(tuple("." + k for k in CLOCK_CALLS))} == set(), name
    writes = {c for c in calls if c.rpartition(".")[2] in WRITE_CALLS}
    opened = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == "open"
              and any(isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax+")
                      for a in node.args[1:2] + [k.value for k in node.keywords if k.arg == "mode"])]
    assert writes == set() and opened == [], f"{name} writes files: {writes or [ast.unparse(o) for o in opened]}"


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("relance.documents")])
def test_documents_build_bytes_and_write_nothing(name):
    """Letters and dossiers are built in memory; only the shell saves them (the run's apply step,
    after the decision and right before the journal), so a plan or a dry run leaves no file behind."""
    calls = {ast.unparse(node.func) for node in ast.walk(TREES[name]) if isinstance(node, ast.Call)}
    assert {c for c in calls if c.rpartition(".")[2] in WRITE_CALLS | {"atomic_write", "save_letter"}} == set()
    assert "open" not in calls


def test_no_import_cycles():
    graph = {name: import_time_imports(name) for name in MODULES}
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
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
                cycles.append(sorted(component))
    for name in graph:
        if name not in index:
            visit(name)
    assert cycles == []


def test_the_core_and_messages_never_import_an_adapter():
    """The issue's own examples: render used to import the mailers for `Message`, lock and backends
    imported each other, cli.law imported cli.app."""
    assert "relance.adapters.mailers" not in all_imports("relance.messages.render")
    assert "relance.adapters.backends" not in all_imports("relance.adapters.lock")
    assert "relance.cli.app" not in all_imports("relance.cli.law")


def test_closed_invoices_are_defined_once():
    """`Invoice.closed` is the definition; nobody else spells out the closing statuses."""
    spelt = sorted(name for name, tree in TREES.items() if name != "relance.core.model"
                   for node in ast.walk(tree) if isinstance(node, (ast.Tuple, ast.List, ast.Set))
                   and {getattr(e, "value", None) for e in node.elts} >= {"Payée", "Annulée"}
                   and len(node.elts) == 2)
    assert spelt == []
