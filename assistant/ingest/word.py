"""DOCX -> text with python-docx: paragraphs and tables in document order.

Heading styles ("Heading 2", "Titre 2", "Title") become markdown headings of their level, list paragraphs "- "
items, table rows tab-separated lines (a merged cell once), page breaks `---` lines; long paragraphs are wrapped.
"""

from __future__ import annotations

import io
import re
import zipfile

from .errors import UnreadableDocument
from .text import PAGE_BREAK, collapse_spaces, wrap

_HEADING_STYLE_RE = re.compile(r"^(?:heading|titre)\s*(\d)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _open(data: bytes, name: str):
    from docx import Document as open_docx

    not_word = UnreadableDocument(
        f"Le fichier « {name} » n'est pas un document Word (.docx) valide : archive illisible ou sans document. "
        "Enregistrez-le à nouveau au format .docx."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.testzip() is not None or "word/document.xml" not in archive.namelist():
                raise not_word
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, RuntimeError):
        # RuntimeError: an encrypted (password-protected) archive member.
        raise not_word from None
    try:
        return open_docx(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - python-docx raises KeyError, ValueError, lxml errors for a damaged file
        raise not_word from None


def _level(paragraph) -> int | None:
    style = paragraph.style
    names = [getattr(style, "name", "") or "", getattr(style, "style_id", "") or ""]
    for name in names:
        if name.lower() in ("title", "titre"):
            return 1
        m = _HEADING_STYLE_RE.match(name.strip())
        if m:
            return min(int(m.group(1)), 6)
    return None


def _is_list(paragraph) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    name = (getattr(paragraph.style, "name", "") or "").lower()
    return name.startswith(("list", "liste"))


def _page_breaks(paragraph) -> int:
    breaks = sum(1 for br in paragraph._p.iter(f"{_W}br") if br.get(f"{_W}type") == "page")
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.find(f"{_W}pageBreakBefore") is not None:
        breaks += 1
    return breaks


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue  # a merged cell is returned once per grid column it spans
            seen.add(id(cell._tc))
            cells.append(collapse_spaces(cell.text))
        if any(cells):
            rows.append("\t".join(cells).rstrip("\t"))
    return rows


def docx_to_lines(data: bytes, name: str) -> tuple[list[str], str]:
    """The converted lines and the title of the document's properties ("" if none)."""
    document = _open(data, name)
    from docx.table import Table

    out: list[str] = []
    try:
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                out += ["", *_table_rows(block), ""]
                continue
            breaks = _page_breaks(block)
            text = collapse_spaces(block.text)
            if text:
                level = _level(block)
                if level:
                    out += ["", "#" * level + " " + text, ""]
                elif _is_list(block):
                    out += ["- " + line if k == 0 else "  " + line for k, line in enumerate(wrap(text))]
                else:
                    out += ["", *wrap(text), ""]
            out += ["", PAGE_BREAK, ""] * breaks
        title = collapse_spaces(document.core_properties.title or "")
    except UnreadableDocument:
        raise
    except Exception:  # noqa: BLE001 - a damaged part deep in the file
        raise UnreadableDocument(f"Le document Word « {name} » est endommagé : son contenu ne peut pas être lu.") from None
    return out, title
