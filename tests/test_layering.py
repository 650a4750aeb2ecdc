"""Who may import whom, read from the source (no imports run but one subprocess).

Packages: ``qa`` imports nothing else of ours, ``ingest`` only ``qa``, ``api`` both; ``bench/``
may use anything and nothing imports it. Inside ``qa`` the modules form clusters, each allowed
to import only the clusters listed for it, and the whole graph is acyclic: a new import that
goes back up the layers fails here. When a module moves or a cluster is added, change the
tables below in the same commit. Tests import shared code from ``tests/helpers`` only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.helpers.corpus import ROOT

PACKAGES = {"qa": set(), "ingest": {"qa"}, "api": {"qa", "ingest"}}

# qa's clusters, lowest first: a module belongs to the cluster naming it or a package above it.
# The subpackages are the clusters, but for embedding (below the rest of qa.index) and fitting.
QA_CLUSTERS = {
    "foundation": {"qa.errors", "qa.types", "qa.settings", "qa.text", "qa.filters"},
    "embedding": {"qa.index.embedding", "qa.index.onnx_embedding"},
    "index": {"qa.index"},
    "language": {"qa.language"},
    "retrieval": {"qa.retrieval"},
    "answering": {"qa.extractive"},
    "generative": {"qa.generative"},
    "service": {"qa.service"},
    "conversation": {"qa.conversation"},
    "integrations": {"qa.integrations"},
    "evaluation": {"qa.evaluation"},
    "fitting": {"qa.evaluation.fitting"},
    "public": {"qa"},  # qa/__init__.py: the public names, loaded lazily from any layer
}
# The clusters each cluster may import (besides itself).
QA_ALLOWED = {
    "foundation": set(),
    "embedding": {"foundation"},
    "index": {"foundation", "embedding"},
    "language": {"foundation", "embedding", "index"},
    "retrieval": {"foundation", "embedding", "index", "language"},
    "answering": {"foundation", "embedding", "index", "language", "retrieval"},
    "generative": {"foundation", "index", "language", "answering"},
    "service": {"foundation", "embedding", "index", "language", "retrieval", "answering", "generative"},
    "conversation": {"foundation", "index", "language", "service"},
    "integrations": {"foundation", "index", "service"},
    "evaluation": {"foundation"},
    "fitting": {"foundation", "language", "answering", "evaluation"},
    "public": set(QA_CLUSTERS) - {"public"},
}
# Libraries that take seconds or hundreds of MB to import: loaded on first use, never at import.
HEAVY = ("torch", "spacy", "chromadb", "sentence_transformers", "transformers", "onnxruntime", "bm25s")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}
BENCH = {p.stem for p in (ROOT / "bench").glob("*.py")}


def imported_names(path: Path) -> Iterator[tuple[str, int]]:
    """Every module name an import statement in ``path`` names, anywhere in the file, with its line."""
    name = module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package this module is in
                package = name.split(".")[: len(name.split(".")) - node.level + (path.name == "__init__.py")]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:  # "from qa.evaluation import metrics" names a module
                yield (f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base), node.lineno


@cache
def our_imports(module: str) -> set[str]:
    """The modules of ours that ``module`` imports."""
    found = set()
    for name, _ in imported_names(MODULES[module]):
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def cluster_of(module: str) -> str:
    matches = [
        (len(entry), cluster)
        for cluster, entries in QA_CLUSTERS.items()
        for entry in entries
        if module == entry or (module.startswith(entry + ".") and entry != "qa")  # "qa" is its __init__ only
    ]
    assert matches, f"{module} is in no cluster: add it to QA_CLUSTERS in tests/test_layering.py"
    return max(matches)[1]


def test_the_tables_name_only_existing_modules_and_clusters() -> None:
    named = {entry for entries in QA_CLUSTERS.values() for entry in entries}
    assert sorted(named - set(MODULES)) == []
    assert set(QA_ALLOWED) == set(QA_CLUSTERS)
    assert all(allowed <= set(QA_CLUSTERS) for allowed in QA_ALLOWED.values())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_packages_import_only_the_packages_below_them(module: str) -> None:
    package = module.split(".")[0]
    wrong = sorted(m for m in our_imports(module) if m.split(".")[0] not in {package, *PACKAGES[package]})
    assert wrong == [], f"{module} may import only {sorted({package, *PACKAGES[package]})}"
    bench = sorted(n for n, _ in imported_names(MODULES[module]) if n.split(".")[0] in BENCH)
    assert bench == [], f"{module} imports bench/ modules"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[0] == "qa"))
def test_qa_clusters_import_only_the_clusters_below_them(module: str) -> None:
    cluster = cluster_of(module)
    allowed = {cluster, *QA_ALLOWED[cluster]}
    wrong = sorted(f"{m} ({cluster_of(m)})" for m in our_imports(module) if cluster_of(m) not in allowed)
    assert wrong == [], f"{module} ({cluster}) may import only the clusters {sorted(allowed)}"


def test_the_import_graph_is_acyclic() -> None:
    graph = {module: our_imports(module) for module in MODULES}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            assert state.get(target) != "open", "import cycle: " + " -> ".join([*path, module, target])
            if target not in state:
                visit(target, [*path, module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def top_level_imports(path: Path) -> Iterator[tuple[str, int]]:
    """Imports that run when the module is imported: not in functions nor under TYPE_CHECKING."""

    def walk(body: list[ast.stmt]) -> Iterator[tuple[str, int]]:
        for node in body:
            if isinstance(node, ast.Import):
                yield from ((alias.name, node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                yield node.module, node.lineno
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try | ast.With | ast.ClassDef):
                yield from walk(node.body)
                for handler in getattr(node, "handlers", []):
                    yield from walk(handler.body)

    yield from walk(ast.parse(path.read_text(encoding="utf-8")).body)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_heavy_library_at_import_time(module: str) -> None:
    heavy = [
        f"{name} (line {line})"
        for name, line in top_level_imports(MODULES[module])
        if name.split(".")[0] in HEAVY
    ]
    assert heavy == [], f"{module} imports {heavy} at import: import it where it is first used"


def test_the_app_and_the_command_start_without_heavy_libraries() -> None:
    # The same, followed through third-party imports: what `qa --help` and the app's import load.
    code = (
        "import sys, api.app, api.cli, ingest.pipeline, ingest.uploads, qa.evaluation\n"
        f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def test_tests_share_code_through_helpers_only() -> None:
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for name, line in imported_names(path):
            if name.startswith("tests.") and not name.startswith("tests.helpers"):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert wrong == [], "import shared test code from tests/helpers/, not from test modules or conftest"
