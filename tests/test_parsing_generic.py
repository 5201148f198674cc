"""The generic layout of the parser (documents it has never seen) and the promise that goes with it: the three
shipped documents keep exactly their section trees and chunks — chunk ids `doc:start-end` are keys of the team's
data (datasets, référentiel, parameters)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from assistant.chunking import chunk_document
from assistant.config import PROJECT_ROOT
from assistant.parsing import format_tree, parse_document
from assistant.schema import Document

SNAPSHOT = Path(__file__).parent / "data" / "shipped_structure.json"


def test_shipped_documents_keep_their_section_trees_and_chunks(corpus):
    """tests/data/shipped_structure.json was computed before the generic layout existed."""
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    shipped = {doc_id: doc for doc_id, doc in corpus.items() if doc_id in expected}
    assert set(shipped) == set(expected)
    for doc_id, doc in shipped.items():
        want = expected[doc_id]
        assert doc.sha256 == want["sha256"]
        root = parse_document(doc)
        chunks = chunk_document(doc, root)
        assert [c.id for c in chunks] == want["chunk_ids"], doc_id
        assert hashlib.sha256(format_tree(root).encode()).hexdigest() == want["tree_sha256"], doc_id
        dump = "\n".join(json.dumps(asdict(c), ensure_ascii=False, sort_keys=True) for c in chunks)
        assert hashlib.sha256(dump.encode()).hexdigest() == want["chunks_sha256"], doc_id


def generic(text: str, doc_id: str = "essai") -> Document:
    lines = tuple(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"))
    return Document(doc_id, "Document d'essai", "", "", "other", f"user/{doc_id}/{doc_id}.txt", "", PROJECT_ROOT,
                    lines, layout="generic")


def tree(text: str) -> list[tuple[int, str]]:
    return [(s.level, s.title) for s in parse_document(generic(text)).walk() if s.path]


def test_explicit_headings_nest_by_level():
    text = "# Partie A\n\nTexte.\n\n## Contexte\n\nTexte.\n\n### Détail\n\nTexte.\n\n## Objectifs\n\nTexte.\n\n# Partie B\n\nTexte.\n"
    assert tree(text) == [(1, "Partie A"), (2, "Contexte"), (3, "Détail"), (2, "Objectifs"), (1, "Partie B")]


def test_deeper_numbering_at_one_heading_level_nests_deeper():
    text = "# 1. Diagnostic\n\nTexte.\n\n# 1.1 Pauvreté\n\nTexte.\n\n# 1.2 Emploi\n\nTexte.\n\n# 2. Actions\n\nTexte.\n"
    assert tree(text) == [(1, "1. Diagnostic"), (2, "1.1 Pauvreté"), (2, "1.2 Emploi"), (1, "2. Actions")]


def test_numbered_lines_standing_alone_are_headings_but_numbered_lists_are_not():
    text = (
        "1. Objet\n\nLa convention fixe les engagements.\n\n"
        "2. Les actions\n\nLe département s'engage à :\n1. Renforcer l'accueil\n2. Former les agents\n\n"
        "2.1 Accueil social\n\nTexte.\n\n3. Financement\n\nTexte.\n"
    )
    assert tree(text) == [(1, "1. Objet"), (1, "2. Les actions"), (2, "2.1 Accueil social"), (1, "3. Financement")]


def test_articles_roman_parts_and_annexes_are_headings():
    text = "I - Cadre\n\nTexte.\n\nARTICLE 1 – Objet\n\nTexte.\n\nARTICLE 2 – Durée\n\nTexte.\n\nII - Suivi\n\nTexte.\n"
    assert tree(text) == [(1, "I - Cadre"), (2, "ARTICLE 1 – Objet"), (2, "ARTICLE 2 – Durée"), (1, "II - Suivi")]


def test_short_bold_or_capital_lines_alone_are_headings_sentences_are_not():
    text = (
        "**Synthèse des constats**\n\nLes familles monoparentales sont nombreuses.\n\n"
        "PLAN D'ACTION 2024\n\nTexte du plan.\n\n"
        "Le comité se réunit deux fois par an\n\n**Une phrase en gras qui se termine par un point.**\n"
    )
    assert tree(text) == [(1, "Synthèse des constats"), (1, "PLAN D'ACTION 2024")]


def test_tab_and_pipe_tables_are_table_rows():
    from assistant.parsing import analyze

    text = "# Budget\n\nAxe\tÉtat\tDépartement\nAxe 1\t100\t100\n\n| Axe | Total |\n|---|---|\n| 4 | 200 |\n\nFin.\n"
    layout = analyze(generic(text))
    assert layout.table_rows == {3, 4, 6, 7, 8}
    assert 7 in layout.artefacts  # the |---| rule line is no content


@pytest.mark.parametrize("text", ["", "\n", "---\n", "Un seul paragraphe sans titre.\n"])
def test_documents_without_structure_still_parse(text):
    doc = generic(text)
    root = parse_document(doc)
    chunks = chunk_document(doc, root)
    assert all(c.text == doc.span_text(c.line_start, c.line_end) for c in chunks)
