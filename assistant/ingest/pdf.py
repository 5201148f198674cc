"""PDF -> text with pdfplumber (pdfminer.six): the text layer line by line, as the page lays it out.

What the section parser needs survives: headings become markdown headings (`#`, `##`… by font size, larger first;
a bold line at body size is the deepest level), tables found by their ruling lines become tab-separated rows, a
vertical gap between lines becomes a blank line (a paragraph break), each new page a `---` line. Running headers
and footers (the same line at the top or bottom of most pages, page numbers) are page furniture, dropped.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass

from .errors import UnreadableDocument
from .text import PAGE_BREAK, collapse_spaces

MARGIN_SHARE = 0.08  # top and bottom share of a page where running headers and footers sit
_PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:/|sur)\s*\d{1,4})?$", re.IGNORECASE)
_BOLD_RE = re.compile(r"bold|black|heavy|semibold|demibold", re.IGNORECASE)


@dataclass
class _Line:
    page: int
    text: str
    top: float
    bottom: float
    size: float  # dominant font size of the line's characters
    bold: bool
    in_margin: bool
    table_row: bool = False


def _open(data: bytes, name: str):
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pdf.pages  # noqa: B018 - forces pdfminer to read the page tree now, inside the try
        return pdf
    except PDFPasswordIncorrect:
        raise _protected(name) from None
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types for a damaged file
        if _is_password_error(exc):
            raise _protected(name) from None
        raise UnreadableDocument(
            f"Le fichier « {name} » n'est pas un PDF lisible (fichier tronqué ou endommagé). "
            "Exportez-le à nouveau depuis son logiciel d'origine."
        ) from None


def _is_password_error(exc: Exception) -> bool:
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    seen = exc
    for _ in range(4):
        if isinstance(seen, PDFPasswordIncorrect):
            return True
        seen = seen.__cause__ or seen.__context__ or (seen.args[0] if seen.args and isinstance(seen.args[0], Exception) else None)
        if seen is None:
            return False
    return False


def _protected(name: str) -> UnreadableDocument:
    return UnreadableDocument(
        f"Le PDF « {name} » est protégé par un mot de passe : son texte ne peut pas être lu. "
        "Ajoutez une version sans mot de passe."
    )


def _page_lines(page, number: int) -> list[_Line]:
    height = float(page.height) or 1.0
    tables = []
    try:
        tables = page.find_tables()
    except Exception:  # noqa: BLE001 - a table the detector cannot read stays as plain lines
        tables = []
    boxes = [t.bbox for t in tables]

    def inside(line) -> bool:
        cy = (line["top"] + line["bottom"]) / 2
        return any(x0 - 1 <= line["x0"] and line["x1"] <= x1 + 1 and top - 1 <= cy <= bottom + 1 for x0, top, x1, bottom in boxes)

    out: list[_Line] = []
    for line in page.extract_text_lines(return_chars=True, strip=True):
        text = collapse_spaces(line["text"])
        if not text or inside(line):
            continue
        chars = [c for c in line["chars"] if c["text"].strip()]
        sizes = Counter(round(float(c["size"]), 1) for c in chars)
        size = sizes.most_common(1)[0][0] if sizes else 0.0
        bold = bool(chars) and sum(1 for c in chars if _BOLD_RE.search(c.get("fontname", ""))) >= 0.8 * len(chars)
        margin = line["top"] < MARGIN_SHARE * height or line["bottom"] > (1 - MARGIN_SHARE) * height
        out.append(_Line(number, text, float(line["top"]), float(line["bottom"]), size, bold, margin))
    for table in tables:
        top = float(table.bbox[1])
        try:
            rows = table.extract()
        except Exception:  # noqa: BLE001
            continue
        for k, row in enumerate(rows):
            cells = [collapse_spaces(c or "") for c in row]
            if not any(cells):
                continue
            # Merged cells come back as None: keep the columns, an empty cell is an empty field between tabs.
            out.append(_Line(number, "\t".join(cells).rstrip("\t"), top + k * 0.01, top + k * 0.01, 0.0, False, False, True))
    out.sort(key=lambda ln: ln.top)
    return out


def _furniture(pages: list[list[_Line]], body_size: float) -> set[tuple[int, int]]:
    """(page, index) of running headers, footers and page numbers: the outermost two lines of a page, in its
    margins, repeated (digits aside) on most pages in a font no larger than the body's (a title opening every
    page is not furniture)."""

    def outer(lines: list[_Line], i: int) -> bool:
        return lines[i].in_margin and not lines[i].table_row and (i < 2 or i >= len(lines) - 2)

    shape = Counter()
    for lines in pages:
        shape.update({re.sub(r"\d+", "#", ln.text) for i, ln in enumerate(lines) if outer(lines, i)})
    repeated = {s for s, n in shape.items() if len(pages) >= 2 and n >= max(2, 0.5 * len(pages))}
    return {
        (p, i)
        for p, lines in enumerate(pages)
        for i, ln in enumerate(lines)
        if outer(lines, i) and len(ln.text) <= 90 and (
            _PAGE_NUMBER_RE.match(ln.text)
            or (re.sub(r"\d+", "#", ln.text) in repeated and ln.size <= body_size * 1.05)
        )
    }


def pdf_to_lines(data: bytes, name: str) -> tuple[list[str], str, int]:
    """The converted lines, the title found in the PDF's metadata ("" if none) and the page count."""
    pdf = _open(data, name)
    try:
        title = ""
        try:
            title = collapse_spaces(str((pdf.metadata or {}).get("Title") or ""))
        except Exception:  # noqa: BLE001 - metadata is optional
            title = ""
        pages = []
        for number, page in enumerate(pdf.pages, start=1):
            try:
                pages.append(_page_lines(page, number))
            except Exception:  # noqa: BLE001
                raise UnreadableDocument(
                    f"La page {number} du PDF « {name} » est illisible (fichier endommagé)."
                ) from None
            page.close()
        count = len(pdf.pages)
    finally:
        pdf.close()
    letters = sum(sum(ch.isalpha() for ch in ln.text) for lines in pages for ln in lines)
    if letters < 20:
        raise UnreadableDocument(
            f"Le PDF « {name} » ne contient pas de texte (document numérisé ?) : seule sa couche texte est lue. "
            "Passez-le d'abord dans un logiciel de reconnaissance de caractères (OCR)."
        )
    body = Counter()
    for lines in pages:
        for ln in lines:
            if not ln.table_row:
                body[ln.size] += len(ln.text)
    body_size = body.most_common(1)[0][0] if body else 0.0
    drop = _furniture(pages, body_size)
    heading_sizes = sorted({ln.size for lines in pages for ln in lines if ln.size >= body_size * 1.15 and ln.size}, reverse=True)
    level_of = {size: min(k + 1, 5) for k, size in enumerate(heading_sizes)}
    bold_level = min(len(heading_sizes) + 1, 6)

    out: list[str] = []
    for p, lines in enumerate(pages):
        if p:
            out += ["", PAGE_BREAK, ""]
        previous: _Line | None = None
        pending_heading: tuple[int, str] | None = None
        for i, ln in enumerate(lines):
            if (p, i) in drop:
                continue
            level = None
            if not ln.table_row and len(ln.text) <= 200 and any(ch.isalpha() for ch in ln.text):
                if ln.size in level_of:
                    level = level_of[ln.size]
                elif ln.bold and ln.size >= body_size * 0.95 and len(ln.text) <= 150 and not ln.text.endswith((".", ";", ",")):
                    level = bold_level
            gap = previous is not None and ln.top - previous.bottom > 0.6 * max(previous.bottom - previous.top, 1.0)
            if pending_heading and (level != pending_heading[0] or gap):
                out += ["", "#" * pending_heading[0] + " " + pending_heading[1], ""]
                pending_heading = None
            if level is not None:
                # A heading wrapped over two lines is one heading.
                pending_heading = (level, f"{pending_heading[1]} {ln.text}" if pending_heading else ln.text)
            else:
                if ln.table_row != (previous.table_row if previous else False) or gap:
                    out.append("")
                out.append(ln.text)
            previous = ln
        if pending_heading:
            out += ["", "#" * pending_heading[0] + " " + pending_heading[1], ""]
    return out, title, count
