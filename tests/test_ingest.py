"""Converting a user's file into the text its citations refer to: real files made here from the corpus (a PDF of
the Pas-de-Calais convention, a DOCX of the BFC notes, an HTML page of the instruction), text in several
encodings, and the files that must be refused with a French message."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import Path

import pytest

from assistant.config import MAX_DOCUMENT_BYTES
from assistant.ingest import PAGE_BREAK, DocumentTooLarge, UnreadableDocument, UnsupportedFormat, convert
from assistant.parsing import parse_document
from assistant.schema import Document

try:
    from .document_makers import bfc_docx, bfc_sections, encrypted_pdf, instruction_html, pdc_convention_lines, pdc_pdf, scanned_pdf
except ImportError:
    from document_makers import bfc_docx, bfc_sections, encrypted_pdf, instruction_html, pdc_convention_lines, pdc_pdf, scanned_pdf


def as_document(converted, doc_id="essai") -> Document:
    lines = tuple(converted.text.split("\n")[:-1])
    return Document(doc_id, converted.title or doc_id, "", "", "other", f"user/{doc_id}/{doc_id}.txt", "", Path("."),
                    lines, layout="generic")


def titles(converted) -> list[str]:
    return [s.title for s in parse_document(as_document(converted)).walk() if s.path]


def words(text: str) -> str:
    return " ".join(text.split())


# --- PDF ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def convention():
    lines = pdc_convention_lines()
    return lines, convert(pdc_pdf(lines, lines_per_page=30), "convention.pdf")


def test_pdf_text_keeps_every_line_of_the_page(convention):
    source, converted = convention
    text = converted.text
    for line in source:
        assert line in text or f"# {line}" in text, line
    assert converted.format == "pdf" and converted.pages == -(-len(source) // 30) >= 2
    assert converted.title == "Convention départementale au titre du Pacte des solidarités"


def test_pdf_page_furniture_goes_and_page_breaks_stay(convention):
    _, converted = convention
    assert "Page 2" not in converted.text
    assert "Contrat local des solidarites 2024-2027 - Pas-de-Calais" not in converted.text  # the running header
    assert converted.lines.count(PAGE_BREAK) == converted.pages - 1


def test_pdf_articles_and_numbered_sections_make_the_section_tree(convention):
    _, converted = convention
    found = titles(converted)
    assert "ARTICLE 1 - OBJET DE LA CONVENTION" in found
    assert "2.1. Actions mises en oeuvre" in found
    root = parse_document(as_document(converted))
    article2 = next(s for s in root.walk() if s.title.startswith("ARTICLE 2"))
    assert [c.title for c in article2.children][:1] == ["2.1. Actions mises en oeuvre"]


def test_pdf_conversion_is_deterministic(convention):
    source, converted = convention
    assert convert(pdc_pdf(source, lines_per_page=30), "convention.pdf").text == converted.text


def test_pdf_table_cells_become_tab_separated_rows():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, "Tableau des credits par axe du contrat local des solidarites.", new_x="LMARGIN", new_y="NEXT")
    with pdf.table() as table:
        for cells in (("Axe", "Etat", "Departement"), ("Axe 1", "100 000", "100 000"), ("Axe 4", "50 000", "50 000")):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    converted = convert(bytes(pdf.output()), "tableau.pdf")
    assert "Axe\tEtat\tDepartement" in converted.lines
    assert "Axe 4\t50 000\t50 000" in converted.lines


# --- DOCX and HTML --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notes():
    return convert(bfc_docx(), "notes-bfc.docx")


def test_docx_headings_lists_tables_and_page_breaks(notes):
    sections = bfc_sections()
    assert notes.format == "docx" and notes.title == "Visio flash ROSS du 11 avril 2024 (notes)"
    for title, _ in sections:
        assert f"# {title}" in notes.lines
    assert titles(notes)[: len(sections)] == [title for title, _ in sections]
    assert "Axe 4\tTransition écologique solidaire" in notes.lines
    assert any(line.startswith("- Soutien à la parentalité") for line in notes.lines)
    assert notes.lines.count(PAGE_BREAK) >= len(sections) - 1


def test_docx_paragraphs_are_kept_word_for_word(notes):
    text = words(notes.text)
    for _, paragraphs in bfc_sections():
        for paragraph in paragraphs:
            assert words(paragraph.lstrip("-✓ ")) in text


def test_html_page_main_content_in_order():
    page = convert(instruction_html(), "cadre.html")
    assert page.title == "Cadre financier des contrats locaux des solidarités"  # windows-1252 declared, decoded
    assert "tracker" not in page.text and "Accueil" not in page.text and "Mentions légales" not in page.text
    assert titles(page) == ["Cadre financier des contrats locaux des solidarités", "1. Principes de financement",
                            "1.1 Parité", "1.2 Plafonds", "2. Tableau des crédits"]
    assert "- Au moins 20 % des crédits vont à l'axe 4." in page.lines
    assert "Axe 1\t100 000 €\t100 000 €" in page.lines
    assert PAGE_BREAK in page.lines  # the <hr>


# --- text and Markdown: any common encoding, line N stays line N ------------------------------------------------


NOTE = "# Comité de pilotage\n\nLe comité s'est réuni à Arras le 3 mai 2024.\nÉlus présents : 12.\n"


@pytest.mark.parametrize(
    "data",
    [
        NOTE.encode("utf-8"),
        codecs.BOM_UTF8 + NOTE.encode("utf-8"),
        NOTE.replace("\n", "\r\n").encode("utf-8"),
        NOTE.encode("latin-1"),
        NOTE.encode("cp1252"),
        codecs.BOM_UTF16_LE + NOTE.encode("utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "crlf", "latin1", "cp1252", "utf16-bom"],
)
def test_text_files_in_common_encodings_read_the_same(data):
    converted = convert(data, "compte-rendu.md")
    assert converted.text == NOTE
    assert converted.title == "Comité de pilotage"


def test_a_plain_text_file_keeps_its_line_numbers():
    original = "Titre\n\n\n\nLigne cinq.   \n\x0cLigne six.\n\n\n"
    converted = convert(original.encode("latin-1"), "notes.txt")
    assert converted.lines == ["Titre", "", "", "", "Ligne cinq.", "Ligne six."]


# --- what is refused, with a French message -------------------------------------------------------------------


def refused(data: bytes, name: str, error=UnreadableDocument) -> str:
    with pytest.raises(error) as caught:
        convert(data, name)
    message = caught.value.message
    assert name in message and "Traceback" not in message
    return message


def test_truncated_pdf_is_refused():
    data = pdc_pdf(pdc_convention_lines(224, 260))
    assert "tronqué ou endommagé" in refused(data[: len(data) // 2], "coupe.pdf")


def test_password_protected_pdf_is_refused():
    assert "mot de passe" in refused(encrypted_pdf(), "protege.pdf")


def test_scanned_pdf_without_text_layer_is_refused():
    message = refused(scanned_pdf(), "scan.pdf")
    assert "ne contient pas de texte" in message and "OCR" in message


def test_a_zip_renamed_docx_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("lisez-moi.txt", "ceci n'est pas un document Word")
    assert "n'est pas un document Word" in refused(archive.getvalue(), "rapport.docx")


def test_an_empty_file_is_refused():
    assert "vide" in refused(b"", "vide.pdf")


def test_a_file_above_the_size_limit_is_refused():
    message = refused(b"%PDF-1.7\n" + b"0" * (60 * 1024 * 1024), "enorme.pdf", DocumentTooLarge)
    assert "Mo" in message and str(MAX_DOCUMENT_BYTES // (1024 * 1024)) in message


def test_binary_content_named_txt_is_refused():
    assert "n'est pas un fichier texte" in refused(bytes(range(256)) * 40, "donnees.txt")


def test_a_pdf_named_txt_is_refused():
    assert "son contenu est celui d'un PDF" in refused(pdc_pdf(pdc_convention_lines(224, 240)), "note.txt")


@pytest.mark.parametrize("name", ["ancien.doc", "tableur.xlsx", "image.png", "sans-extension"])
def test_unsupported_formats_say_what_to_do(name):
    message = refused(b"quelque chose", name, UnsupportedFormat)
    assert "Formats acceptés" in message


def test_an_html_page_without_text_is_refused():
    assert "aucun texte" in refused(b"<html><body><script>x=1</script></body></html>", "vide.html")


def test_refusals_carry_the_http_status_and_exit_code():
    assert UnreadableDocument("x").status == 422 and UnsupportedFormat("x").status == 415
    assert DocumentTooLarge("x").status == 413
    assert {UnreadableDocument("x").exit_code, UnsupportedFormat("x").exit_code, DocumentTooLarge("x").exit_code} == {2}
    assert re.search(r"\d", str(MAX_DOCUMENT_BYTES))
