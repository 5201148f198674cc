"""Real files made from the corpus, in the tests, with the libraries a user's software would use: a PDF of the
Pas-de-Calais convention (fpdf2), a DOCX of the BFC meeting notes (python-docx), an HTML page of the instruction.

Each maker returns the file's bytes and, where the test needs it, what a reader of the file sees (the lines the
conversion must keep).
"""

from __future__ import annotations

import io
import re

from assistant.config import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
PDC = CORPUS / "pas-de-calais-CP-2024-04-15-contrat-local-solidarites.txt"
BFC = CORPUS / "bfc-visio-ross-2024-04-11-pactes-locaux.md"
INSTRUCTION = CORPUS / "instruction-DGCS-2023-168-metropoles.md"

# The PDF core fonts speak Latin-1: the few characters outside it are written the way a typewriter would.
_LATIN1 = {"’": "'", "‘": "'", "œ": "oe", "Œ": "OE", "–": "-", "—": "-", "…": "...", "€": "EUR", "\u202f": " ",
           "“": '"', "”": '"', "•": "-"}


def latin1(text: str) -> str:
    for a, b in _LATIN1.items():
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def pdc_convention_lines(first: int = 224, last: int = 330) -> list[str]:
    """Lines of the Pas-de-Calais convention (ARTICLE 1 and 2), spaces collapsed, blank lines dropped."""
    lines = PDC.read_text(encoding="utf-8").split("\n")[first - 1 : last]
    return [" ".join(latin1(line).split()) for line in lines if line.strip()]


def pdc_pdf(lines: list[str] | None = None, bold_headings: bool = True, lines_per_page: int = 40) -> bytes:
    """A PDF of the convention: articles in bold, a running header and page numbers on every page."""
    from fpdf import FPDF

    lines = lines if lines is not None else pdc_convention_lines()

    class Convention(FPDF):
        def header(self):
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, "Contrat local des solidarites 2024-2027 - Pas-de-Calais", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self):
            self.set_y(-12)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, f"Page {self.page_no()}", align="C")

    pdf = Convention()
    pdf.set_title("Convention départementale au titre du Pacte des solidarités")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    for k, line in enumerate(lines):
        if k and k % lines_per_page == 0:
            pdf.add_page()
        heading = bool(re.match(r"^ARTICLE \d+", line))
        if heading:
            pdf.ln(3)
        pdf.set_font("Helvetica", "B" if heading and bold_headings else "", 10)
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        if heading:
            pdf.ln(3)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF with no text layer: a page of drawn shapes, as a scanner's image would be."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for k in range(30):
        pdf.rect(10 + k * 5, 20 + k * 7, 40, 3, style="F")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdc_pdf(pdc_convention_lines(224, 260)))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bfc_sections(limit: int = 9) -> list[tuple[str, list[str]]]:
    """The first slides of the BFC notes: (title, paragraphs), as a note-taker would type them in Word."""
    sections: list[tuple[str, list[str]]] = []
    blocks = re.split(r"\n\s*\n", BFC.read_text(encoding="utf-8"))
    # A list is one item a paragraph; the other blocks are one paragraph each.
    items = [line for block in blocks for line in (block.split("\n- ") if "\n- " in block else [block])]
    for block in items:
        text = " ".join(block.split())
        if not text:
            continue
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("**", "").strip("* ")
        if len(plain) < 90 and not plain.startswith(("❑", "☐", "-", "✓", "<", "*")) and not plain.endswith("."):
            sections.append((plain, []))
        elif sections:
            sections[-1][1].append(plain.lstrip("❑☐ "))
    return [s for s in sections if s[1]][:limit]


def bfc_docx(sections: list[tuple[str, list[str]]] | None = None) -> bytes:
    """The BFC notes as a DOCX: Heading 1 per slide, list paragraphs, a table of the four axes, page breaks."""
    from docx import Document
    from docx.enum.text import WD_BREAK

    sections = sections if sections is not None else bfc_sections()
    doc = Document()
    doc.core_properties.title = "Visio flash ROSS du 11 avril 2024 (notes)"
    for k, (title, paragraphs) in enumerate(sections):
        doc.add_heading(title, level=1)
        for paragraph in paragraphs:
            if paragraph.startswith("- ✓") or paragraph.startswith("✓"):
                doc.add_paragraph(paragraph.lstrip("-✓ "), style="List Bullet")
            else:
                doc.add_paragraph(paragraph)
        if k == 1:
            table = doc.add_table(rows=1, cols=2)
            table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Axe", "Orientation"
            for n, name in enumerate(["Prévenir la pauvreté dès l'enfance", "Accès à l'emploi pour tous",
                                      "Accès aux droits", "Transition écologique solidaire"], start=1):
                row = table.add_row()
                row.cells[0].text, row.cells[1].text = f"Axe {n}", name
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def instruction_html() -> bytes:
    """A web page of the instruction's financial framework: navigation, script, headings, list, a table."""
    return """<!doctype html>
<html lang="fr"><head><meta charset="windows-1252"><title>Cadre financier des contrats locaux des solidarités</title>
<style>body { font-family: sans-serif }</style><script>var tracker = "ne pas citer";</script></head>
<body><nav><a href="/">Accueil</a> &gt; <a href="/pacte">Pacte</a></nav>
<main>
<h1>Cadre financier des contrats locaux des solidarités</h1>
<p>Les crédits de l'État sont délégués aux collectivités signataires d'un contrat local des solidarités.
La collectivité s'engage à financer au moins la moitié du coût de chaque action.</p>
<h2>1. Principes de financement</h2>
<h3>1.1 Parité</h3>
<p>Chaque action est cofinancée à parité&nbsp;: 50&nbsp;% par l'État, 50&nbsp;% par la collectivité.</p>
<h3>1.2 Plafonds</h3>
<ul><li>Un plafond par axe est fixé dans le contrat.</li><li>Au moins 20&nbsp;% des crédits vont à l'axe 4.</li></ul>
<h2>2. Tableau des crédits</h2>
<table><tr><th>Axe</th><th>Crédits État</th><th>Crédits collectivité</th></tr>
<tr><td>Axe 1</td><td>100&nbsp;000 €</td><td>100&nbsp;000 €</td></tr>
<tr><td>Axe 4</td><td>50&nbsp;000 €</td><td>50&nbsp;000 €</td></tr></table>
<hr><p>Mise à jour&nbsp;: octobre 2023.</p>
</main><footer>Mentions légales</footer></body></html>""".encode("cp1252")
