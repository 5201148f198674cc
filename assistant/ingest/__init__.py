"""Converting a user's file (PDF, DOCX, HTML, Markdown, plain text) once into the UTF-8 text its citations refer to.

The converted text follows one set of conventions, whatever the source, so that the section parser's generic
layout (assistant/parsing.py) reads every converted document the same way:

- UTF-8, one '\\n' per line, a final newline, no control character, no trailing space;
- headings the source marks (DOCX heading styles, HTML <h1>-<h6>, larger or bold PDF lines) as `#`…`######`;
- table rows one per line, cells separated by a tab; list items "- ";
- a blank line between paragraphs; a `---` line (blank lines around) where a page, or an <hr>, ends;
- text and Markdown files keep their own lines (line N of the text is line N of the file).

`convert(data, filename)` returns a `Converted`; every refusal is a PacteError with a French message naming the
file and the problem (`errors.py`): too large (413), unsupported format (415), unreadable, protected, empty or
without a text layer (422).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..config import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_TEXT_CHARS
from .errors import DocumentTooLarge, UnreadableDocument, UnsupportedFormat
from .text import PAGE_BREAK, finish, plain_text

FORMATS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
FORMAT_LABELS = {"pdf": "PDF", "docx": "Word (DOCX)", "html": "HTML", "markdown": "Markdown", "text": "texte"}
ACCEPTED = "PDF (.pdf), Word (.docx), HTML (.html, .htm), Markdown (.md) ou texte (.txt)"

# Formats people often have, with what to do about them.
_OTHER_FORMATS = {
    ".doc": "enregistrez-le au format .docx",
    ".odt": "enregistrez-le au format .docx",
    ".rtf": "enregistrez-le au format .docx",
    ".pptx": "exportez-le en PDF",
    ".ppt": "exportez-le en PDF",
    ".odp": "exportez-le en PDF",
    ".xlsx": "exportez-le en PDF",
    ".xls": "exportez-le en PDF",
    ".ods": "exportez-le en PDF",
}

__all__ = ["Converted", "convert", "detect_format", "FORMATS", "ACCEPTED", "PAGE_BREAK",
           "UnreadableDocument", "UnsupportedFormat", "DocumentTooLarge"]


@dataclass(frozen=True)
class Converted:
    text: str  # the converted text, as written to the corpus
    format: str  # "pdf" | "docx" | "html" | "markdown" | "text"
    title: str  # the title the file declares (PDF or DOCX properties, HTML <title>, first heading), "" if none
    pages: int | None = None  # PDF page count

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")[:-1]


def detect_format(data: bytes, filename: str) -> str:
    """The format by extension, checked against the content's signature (a .pdf must start like a PDF…)."""
    ext = os.path.splitext(filename)[1].lower()
    head = data[:1024].lstrip()
    if ext in _OTHER_FORMATS:
        raise UnsupportedFormat(
            f"Format non pris en charge : « {filename} » ({ext}) ; {_OTHER_FORMATS[ext]}. Formats acceptés : {ACCEPTED}."
        )
    fmt = FORMATS.get(ext)
    if fmt is None:
        if head.startswith(b"%PDF-"):
            return "pdf"
        raise UnsupportedFormat(
            f"Format non pris en charge : « {filename} »{f' ({ext})' if ext else ' (sans extension)'}. "
            f"Formats acceptés : {ACCEPTED}."
        )
    if fmt == "pdf" and not data[:1024].lstrip(b"\x00\t\r\n ").startswith(b"%PDF-"):
        raise UnreadableDocument(f"Le fichier « {filename} » n'est pas un PDF (il ne commence pas par l'en-tête %PDF).")
    if fmt == "docx" and not data.startswith(b"PK"):
        raise UnreadableDocument(
            f"Le fichier « {filename} » n'est pas un document Word (.docx) valide. "
            "Un ancien fichier .doc doit être enregistré au format .docx."
        )
    if fmt in ("text", "markdown", "html") and (data.startswith(b"%PDF-") or data.startswith(b"PK\x03\x04")):
        raise UnreadableDocument(
            f"Le fichier « {filename} » n'est pas un fichier {FORMAT_LABELS[fmt]} : son contenu est celui d'un "
            f"{'PDF' if data.startswith(b'%PDF-') else 'fichier compressé (zip, docx…)'}. Renommez-le avec la bonne extension."
        )
    return fmt


def check_size(size: int, filename: str) -> None:
    if size == 0:
        raise UnreadableDocument(f"Le fichier « {filename} » est vide (0 octet).")
    if size > MAX_DOCUMENT_BYTES:
        megabytes = f"{size / 1024 / 1024:.1f}".replace(".", ",")
        raise DocumentTooLarge(
            f"Le fichier « {filename} » pèse {megabytes} Mo : la limite est de "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo par document."
        )


def convert(data: bytes, filename: str) -> Converted:
    """The converted text of a file's bytes (see the module's conventions)."""
    filename = os.path.basename(filename) or "document"
    check_size(len(data), filename)
    fmt = detect_format(data, filename)
    title, pages = "", None
    what = f"Le fichier « {filename} »"
    if fmt == "pdf":
        from .pdf import pdf_to_lines

        lines, title, pages = pdf_to_lines(data, filename)
        text = finish(lines)
    elif fmt == "docx":
        from .word import docx_to_lines

        lines, title = docx_to_lines(data, filename)
        text = finish(lines)
    elif fmt == "html":
        from .webpage import html_to_lines

        lines, title = html_to_lines(data, filename)
        text = finish(lines)
    else:
        text = finish(plain_text(data, what), keep_lines=True)
    if not any(ch.isalpha() for ch in text):
        raise UnreadableDocument(f"{what} ne contient aucun texte à citer.")
    if len(text) > MAX_DOCUMENT_TEXT_CHARS:
        raise DocumentTooLarge(
            f"{what} contient {_thousands(len(text))} caractères de texte : la limite est de "
            f"{_thousands(MAX_DOCUMENT_TEXT_CHARS)} par document. Découpez-le en plusieurs documents."
        )
    if not title:
        title = _first_heading(text)
    return Converted(text, fmt, title, pages)


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _first_heading(text: str) -> str:
    for line in text.split("\n")[:80]:
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""
