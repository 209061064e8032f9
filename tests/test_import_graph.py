"""The package's import graph: no cycles, and no vendor library behind ``import visionkit``.

The graph is read from the source, not from ``sys.modules``, so that an import
hidden inside a function (the usual way to paper over a cycle) counts like any
other; only imports under ``if TYPE_CHECKING:`` are left out, since they never run.
A package's lazy-export table (``_EXPORTS`` or ``_LAZY``: public name -> module,
imported by a PEP 562 ``__getattr__`` on first access) counts as importing each module
it names, since touching the name runs that import.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "visionkit"

#: Top-level modules of the libraries a backend may need; none may load on ``import visionkit``.
VENDOR_LIBRARIES = {
    "tensorflow",
    "keras",
    "ai_edge_litert",
    "tflite_runtime",
    "azure",
    "msrest",
    "botocore",
    "boto3",
    "google",
    "cv2",
    "rapidocr",
    "onnxruntime",
    "respx",
    "ray",
}


def module_files() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(sub) for sub in ast.walk(node))
    return skipped


def imported_names(module: str, path: Path, modules: Collection[str]) -> set[str]:
    """Every ``visionkit`` module ``module`` imports, at any depth of its code.

    ``from pkg import name`` imports the submodule ``pkg.name`` when there is one
    and otherwise ``pkg`` itself, so each name is looked up in ``modules``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skipped = _type_checking_nodes(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule in modules else base)
    names.update(_lazy_exports(tree, package))
    resolved = {_owner(name, modules) for name in names if name.split(".")[0] == "visionkit"}
    return {name for name in resolved if name is not None and name != module}


LAZY_TABLES = {"_EXPORTS", "_LAZY"}


def _lazy_exports(tree: ast.Module, package: str) -> set[str]:
    """The modules a top-level lazy-export table names (relative names are in ``package``)."""
    found: set[str] = set()
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if not (isinstance(target, ast.Name) and target.id in LAZY_TABLES):
            continue
        if isinstance(value, ast.Dict):
            for item in value.values:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    name = item.value
                    found.add(name if name.startswith("visionkit") else f"{package}.{name}")
    return found


def _owner(name: str, modules: Collection[str]) -> str | None:
    """The module that defines ``name`` (a module, or a name inside one)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {module: imported_names(module, path, modules) for module, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
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
    return found


def test_the_checker_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from visionkit.api import analyze\n", encoding="utf-8")
    modules = {"visionkit", "visionkit.api", "visionkit.probe"}
    assert imported_names("visionkit.probe", probe, modules) == {"visionkit.api"}
    lazy = tmp_path / "lazy.py"
    lazy.write_text('_EXPORTS: dict[str, str] = {"analyze": "visionkit.api"}\n', encoding="utf-8")
    assert imported_names("visionkit.lazy", lazy, modules) == {"visionkit.api"}


def test_the_graph_covers_the_package() -> None:
    graph = import_graph()
    assert "visionkit.api" in graph["visionkit"]
    assert "visionkit.analyzers" in graph["visionkit.api"]


def test_visionkit_has_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def loaded_after(statement: str) -> list[str]:
    """The top-level modules a fresh interpreter holds after ``statement``."""
    report = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    probe = f"import json, sys\n{statement}\n{report}"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_visionkit_loads_no_vendor_library() -> None:
    loaded = set(loaded_after("import visionkit"))
    assert "visionkit" in loaded
    assert loaded & VENDOR_LIBRARIES == set()


def test_the_local_backend_loads_no_tensorflow() -> None:
    loaded = set(loaded_after("import visionkit.backends.local"))
    assert "numpy" in loaded  # the probe saw the backend's own imports
    assert loaded.isdisjoint({"tensorflow", "keras"})


def test_the_testing_helpers_load_without_respx() -> None:
    loaded = set(loaded_after("import visionkit.testing; visionkit.testing.FakeAnalyzer"))
    assert "respx" not in loaded
