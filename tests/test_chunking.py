"""Structure-aware chunks of the real corpus (assistant.chunking)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.chunking import DEFAULT_MAX_CHARS, chunk_corpus, chunk_document, main
from assistant.corpus import load_corpus
from assistant.parsing import analyze, parse_document
from assistant.schema import Chunk, Document, Section

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
INSTRUCTION = "instruction-2023-168"
PAS_DE_CALAIS = "pas-de-calais-contrat-2024"
NOTES = "bfc-visio-2024-04-11"
DOC_IDS = [INSTRUCTION, PAS_DE_CALAIS, NOTES]


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def chunks(corpus):
    return {doc_id: chunk_document(doc, parse_document(doc)) for doc_id, doc in corpus.items()}


def is_content(doc: Document, line: int) -> bool:
    return bool(doc.lines[line - 1].strip()) and line not in analyze(doc).artefacts


def chunk_at(chunks: list[Chunk], line: int) -> Chunk:
    found = [c for c in chunks if c.line_start <= line <= c.line_end]
    assert len(found) == 1, line
    return found[0]


def own_section(root: Section, chunk: Chunk, doc: Document) -> Section:
    """The section a chunk is labelled with: path equal to its section_path, span holding its last line."""
    if chunk.section_path == (doc.title,):
        return root
    found = [s for s in root.walk() if tuple(s.path) == chunk.section_path and s.line_start <= chunk.line_end <= s.line_end]
    assert len(found) == 1, chunk.id
    return found[0]


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_chunk_text_is_exactly_the_file_lines_it_claims(corpus, chunks, doc_id):
    doc = corpus[doc_id]
    for c in chunks[doc_id]:
        assert c.doc_id == doc_id
        assert c.id == f"{doc_id}:{c.line_start}-{c.line_end}"
        assert c.text == doc.span_text(c.line_start, c.line_end)
        # Edges are content: no blank line, no page artefact at either end.
        assert is_content(doc, c.line_start) and is_content(doc, c.line_end), c.id


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_content_line_is_in_exactly_one_chunk(corpus, chunks, doc_id):
    doc = corpus[doc_id]
    owner: dict[int, str] = {}
    previous_end = 0
    for c in chunks[doc_id]:
        assert c.line_start > previous_end, "chunks are disjoint and in document order"
        previous_end = c.line_end
        for line in range(c.line_start, c.line_end + 1):
            owner[line] = c.id
    missing = [n for n in range(1, len(doc.lines) + 1) if is_content(doc, n) and n not in owner]
    assert missing == []


def test_ids_are_unique_and_stable_across_rebuilds(corpus, chunks):
    all_chunks = [c for doc_chunks in chunks.values() for c in doc_chunks]
    assert len({c.id for c in all_chunks}) == len(all_chunks)
    rebuilt = chunk_corpus(corpus)
    assert [(c.id, c.text, c.section_path, c.context) for c in rebuilt] == [
        (c.id, c.text, c.section_path, c.context) for c in all_chunks
    ]
    assert [c.doc_id for c in rebuilt][0] == INSTRUCTION and {c.doc_id for c in rebuilt} == set(DOC_IDS)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_no_chunk_crosses_a_section_boundary(corpus, chunks, doc_id):
    doc = corpus[doc_id]
    root = parse_document(doc)
    heading_lines = analyze(doc).heading_lines
    for c in chunks[doc_id]:
        sec = own_section(root, c, doc)
        own_end = sec.children[0].line_start - 1 if sec.children else sec.line_end
        assert c.line_end <= own_end, f"{c.id} runs into a subsection of {sec.title}"
        # Lines before the section can only be headings of empty sections merged into this first chunk.
        before = [n for n in range(c.line_start, min(c.line_end, sec.line_start - 1) + 1) if is_content(doc, n)]
        assert all(n in heading_lines for n in before), c.id
        assert c.axis == sec.axis


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_chunk_sizes_are_bounded(corpus, chunks, doc_id):
    doc = corpus[doc_id]
    heading_lines = analyze(doc).heading_lines
    for c in chunks[doc_id]:
        if len(c.text) > DEFAULT_MAX_CHARS:
            # Only a single line longer than the limit (with its heading) can make a chunk oversized.
            body = [n for n in range(c.line_start, c.line_end + 1) if is_content(doc, n) and n not in heading_lines]
            assert len(body) == 1 and len(doc.lines[body[0] - 1]) > DEFAULT_MAX_CHARS * 0.8, c.id
    sizes = sorted(len(c.text) for c in chunks[doc_id])
    assert sizes[len(sizes) // 2] > 400, "chunks are packed, not one per paragraph"


def test_invariants_hold_with_a_small_limit(corpus):
    doc = corpus[PAS_DE_CALAIS]
    small = chunk_document(doc, parse_document(doc), max_chars=300)
    covered = {n for c in small for n in range(c.line_start, c.line_end + 1)}
    assert all(n in covered for n in range(1, len(doc.lines) + 1) if is_content(doc, n))
    for c in small:
        assert c.text == doc.span_text(c.line_start, c.line_end)
        lines = [n for n in range(c.line_start, c.line_end + 1) if is_content(doc, n)]
        assert len(c.text) <= 300 or len(lines) <= len([n for n in lines if n in analyze(doc).heading_lines]) + 1
    assert len(small) > 2 * len(chunk_document(doc, parse_document(doc)))


def test_a_table_stays_whole_with_its_header(corpus, chunks):
    doc_chunks = chunks[INSTRUCTION]
    # Annexe 10, forecast 2024: title row, header row and every row in one chunk, with the annex heading.
    table = chunk_at(doc_chunks, 1960)
    assert table.kind == "table" and table.line_start == 1949 and table.line_end == 1967
    assert "Axes de la contractualisation\tFiche action N°" in table.text and "TOTAUX FINANCIERS" in table.text
    # The notes' table of poverty rates by department.
    notes_table = chunk_at(chunks[NOTES], 130)
    assert notes_table.line_start <= 127 and notes_table.line_end >= 136 and notes_table.kind == "table"


def test_a_big_table_is_split_by_rows_with_its_header_in_context(corpus, chunks):
    doc = corpus[INSTRUCTION]
    parts = [c for c in chunks[INSTRUCTION] if c.section_path[-1] == "PREVISIONNEL 2025"]
    assert len(parts) > 1 and all(c.kind == "table" for c in parts)
    header = doc.lines[1988] + "\n" + doc.lines[1989]  # title row + column names (lines 1989-1990)
    assert header in parts[0].text and parts[0].context == ""
    for c in parts[1:]:
        assert c.context == header  # repeated for embedding only
        assert "Axes de la contractualisation" not in c.text  # the text stays the file's rows
        assert header in c.embed_text()
    rows = {n for c in parts for n in range(c.line_start, c.line_end + 1)}
    assert set(range(1989, 2004)) <= rows


def test_heading_only_sections_merge_into_the_next_chunk(chunks):
    instruction = chunks[INSTRUCTION]
    slime = chunk_at(instruction, 1084)
    assert slime.line_start == 1084 and "Si le référentiel d'action proposé" in slime.text
    # An unnumbered label with no text of its own goes with the action it introduces.
    platform = chunk_at(instruction, 1063)
    assert platform.text.startswith("### Actions pouvant intégrer la contractualisation")
    assert platform.section_path[-1] == "Plateforme de lutte contre la précarité énergétique"
    # An annex heading followed directly by its first section.
    assert chunk_at(instruction, 86).section_path[-1] == "1. Enjeux et principaux attendus"
    # A fiche's page label, axis, title and "Fiche-action" lines go with its first rubric.
    fiche = chunk_at(chunks[PAS_DE_CALAIS], 1007)
    assert fiche.line_start == 1007 and fiche.section_path[-1] == "Constats et enjeux"
    assert fiche.section_path[-2].startswith("Action 1.1 Accueil de proximité")
    assert "Fiche-action" in fiche.text and "L’accompagnement des jeunesses" in fiche.text
    # A numbered section reduced to its title stays a chunk of its own, rightly labelled.
    lone = chunk_at(instruction, 866)
    assert lone.text == "#### 2.4. Faciliter l'accès à la domiciliation"
    assert lone.section_path[-1] == "2.4. Faciliter l'accès à la domiciliation"


def test_paragraphs_are_not_split(corpus, chunks):
    doc = corpus[INSTRUCTION]
    lay = analyze(doc)
    item = re.compile(r"^\s*(?:[-*+•✓❖❑☐➤►]|\d{1,2}[.)]|[a-z]\))\s")
    doc_chunks = chunks[INSTRUCTION]
    for a, b in zip(doc_chunks, doc_chunks[1:]):
        if b.line_start == a.line_end + 1:  # no blank line between two chunks: same markdown paragraph?
            nxt = doc.lines[b.line_start - 1]
            assert item.match(nxt) or b.line_start in lay.table_rows or b.line_start in lay.heading_lines or (
                len(doc.lines[a.line_end - 1]) + len(nxt) > DEFAULT_MAX_CHARS
            ), (a.id, b.id)
    # Plain text: a chunk ends on a sentence end, before a bullet, or at its section's end.
    pdc = corpus[PAS_DE_CALAIS]
    root = parse_document(pdc)
    cut_mid_sentence = 0
    pdc_chunks = chunks[PAS_DE_CALAIS]
    for a, b in zip(pdc_chunks, pdc_chunks[1:]):
        if a.kind == "text" and b.kind == "text" and a.section_path == b.section_path:
            last = pdc.lines[a.line_end - 1].rstrip()
            nxt = pdc.lines[b.line_start - 1]
            if not (re.search(r"[.!?;:…]$", last) or re.match(r"^\s*(?:[-•o]\s)", nxt) or b.line_start in analyze(pdc).heading_lines):
                cut_mid_sentence += 1
    assert root.children and cut_mid_sentence <= 0.05 * len(pdc_chunks)


def test_chunks_carry_the_axis_of_their_section(chunks):
    instruction = chunks[INSTRUCTION]
    for c in instruction:
        if 229 <= c.line_start <= 1263:
            expected = 1 if c.line_start < 405 else 2 if c.line_start < 532 else 3 if c.line_start < 1033 else 4
            assert c.axis == expected, c.id
        elif 1264 <= c.line_start <= 1452:
            assert c.axis is None
    assert chunk_at(instruction, 125).axis == 1  # "2.1 Axe « Prévenir … »" in the body of the instruction
    assert chunk_at(chunks[PAS_DE_CALAIS], 3901).axis == 4  # fiche 4.1, précarité énergétique
    assert chunk_at(chunks[PAS_DE_CALAIS], 250).axis is None  # ARTICLE 1 of the contract
    assert chunk_at(chunks[NOTES], 216).axis == 3


def test_footnote_notes_are_embedded_with_the_chunk_that_calls_them(corpus, chunks):
    call = chunk_at(chunks[INSTRUCTION], 84)  # "… loi MAPTAM<sup>1</sup> …"
    assert 98 not in range(call.line_start, call.line_end + 1)
    assert "Note 1 : Loi n° 2014-58 du 27 janvier 2014" in call.context
    assert "Loi n° 2014-58" in call.embed_text()
    # The note line itself stays where it physically is.
    note = chunk_at(chunks[INSTRUCTION], 98)
    assert note.text.count("<sup>1</sup> Loi n° 2014-58") == 1
    slime = chunk_at(chunks[INSTRUCTION], 1084)
    assert "Note 5 : SLIME+ est une méthodologie" in slime.context


def test_embed_text_has_path_context_and_text(chunks):
    c = chunk_at(chunks[INSTRUCTION], 1300)
    assert c.embed_text().startswith(" > ".join(c.section_path) + "\n")
    assert c.embed_text().endswith(c.text)
    plain = Chunk(id="d:1-1", doc_id="d", section_path=("A", "B"), line_start=1, line_end=1, text="x")
    assert plain.embed_text() == "A > B\nx"


def test_root_content_is_labelled_with_the_document_title(corpus, chunks):
    first = chunks[INSTRUCTION][0]
    # The Marianne block ("**GOUVERNEMENT**", "*Liberté", …) is title-page furniture, not content.
    assert first.line_start == 11 and first.section_path == (corpus[INSTRUCTION].title,)


def test_debug_printer_lists_chunks(capsys):
    assert main([str(CORPUS / "bfc-visio-ross-2024-04-11-pactes-locaux.md")]) == 0
    out = capsys.readouterr().out
    assert "bfc-visio-2024-04-11:5-13" in out and "chunks ; taille min" in out


def test_html_tables_are_tables_too():
    # The corpus has tab-separated tables only; converted documents may carry <table> blocks.
    lines = ("## 1. Titre", "", "Intro.", "", "<table>", "<tr><th>Axe</th><th>Montant</th></tr>",
             "<tr><td>Axe 1</td><td>10 €</td></tr>", "<tr><td>Axe 2</td><td>20 €</td></tr>", "</table>", "", "Fin.")
    doc = Document("d", "T", "i", "2024", "instruction", "d.md", "0", Path("d.md"), lines)
    parts = [c for c in chunk_document(doc, parse_document(doc), max_chars=90) if c.kind == "table"]
    assert [(c.line_start, c.line_end) for c in parts] == [(5, 7), (8, 9)]
    assert parts[1].context == "<table>\n<tr><th>Axe</th><th>Montant</th></tr>"
