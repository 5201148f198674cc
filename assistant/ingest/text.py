"""Text shared by every converter: decoding plain text in any common encoding, and the line conventions of a
converted document (one '\\n' per line, no control characters, no trailing spaces, single blank lines)."""

from __future__ import annotations

import codecs
import re
import textwrap
import unicodedata

from .errors import UnreadableDocument

PAGE_BREAK = "---"  # no letter or digit: the parser treats it as a page artefact, never as content
WRAP_WIDTH = 100  # paragraphs that arrive as one long line (DOCX, HTML) are wrapped so that a citation stays short

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Everything below U+0020 but tab and newline, DEL and the C1 range: never text a user wrote.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES_RE = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def decode_text(data: bytes, what: str) -> str:
    """Bytes of a text file as str: a BOM decides, else strict UTF-8, else the encoding charset-normalizer finds
    (Latin-1, Windows-1252, UTF-16 without BOM…). Binary content is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise UnreadableDocument(f"{what} commence par une marque d'encodage ({encoding}) mais son contenu "
                                         "ne respecte pas cet encodage.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or b"\x00" in data and best.encoding not in ("utf_16", "utf_16_le", "utf_16_be", "utf_32"):
        raise UnreadableDocument(f"{what} n'est pas un fichier texte lisible (contenu binaire ou encodage inconnu).")
    return str(best)


def clean_line(line: str) -> str:
    """One line as the converted file keeps it: NFC, no control character, inner spaces kept, no trailing space."""
    line = unicodedata.normalize("NFC", line)
    line = _CONTROL_RE.sub("", line)
    return line.rstrip()


def collapse_spaces(text: str) -> str:
    """Inline text of a DOCX paragraph or an HTML block: runs of spaces (no-break ones included) become one space."""
    return _SPACES_RE.sub(" ", text.replace("\t", " ").replace("\n", " ")).strip()


def wrap(text: str) -> list[str]:
    """A paragraph that came as one line, wrapped at word boundaries (never inside a word or at a hyphen)."""
    if len(text) <= WRAP_WIDTH + 20:
        return [text]
    return textwrap.wrap(text, WRAP_WIDTH, break_long_words=False, break_on_hyphens=False)


def finish(lines: list[str], keep_lines: bool = False) -> str:
    """The final text with a final newline. `keep_lines` (text and Markdown files): line N stays line N of the
    original, so a citation can be checked in the user's own file; otherwise (PDF, DOCX, HTML) no blank run
    longer than one line, none at the edges, no empty page."""
    cleaned = [clean_line(line) for raw in lines for line in raw.split("\n")]
    if keep_lines:
        while cleaned and not cleaned[-1].strip():
            cleaned.pop()
        return "\n".join(cleaned) + "\n" if cleaned else ""
    out: list[str] = []
    for line in cleaned:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        if line == PAGE_BREAK and (not out or PAGE_BREAK in out[-2:]):
            continue  # a break at the start or right after another one: an empty page
        if line == PAGE_BREAK and out[-1] != "":
            out.append("")
        if out and out[-1] == PAGE_BREAK:
            out.append("")
        out.append(line)
    while out and out[-1] in ("", PAGE_BREAK):
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def plain_text(data: bytes, what: str) -> list[str]:
    """A text or Markdown file's lines, decoded, split on its own line breaks (LF, CRLF or CR)."""
    text = decode_text(data, what)
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
