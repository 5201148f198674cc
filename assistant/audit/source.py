"""Reading a contract document: a corpus doc id, a file path, or uploaded (bytes, filename).

Everything downstream sees a `SourceDocument`: numbered lines (what citations point at) and, for a
spreadsheet, the cells of each row. `read_document` is the one entry point; `READERS` maps a file
suffix to the function that turns its bytes into lines, so a converter (PDF, DOCX) plugs in with

    from assistant.audit.source import READERS
    READERS[".pdf"] = my_pdf_reader          # (data: bytes, name: str) -> DocumentText

Text files are read as they are (line N of the file is line N of every citation). A spreadsheet
(.xlsx, .csv) is read with the contract loaders of assistant/rules/tables.py; its row N becomes line
N, its cells joined with « | » (the text a citation quotes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import MAX_UPLOAD_BYTES, Settings
from ..errors import InvalidInput

CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class DocumentText:
    """What a reader returns: the lines, and the cells of each line for a spreadsheet."""

    lines: tuple[str, ...]
    rows: tuple[tuple, ...] | None = None  # spreadsheet: rows[i] are the cells of lines[i]


@dataclass(frozen=True)
class SourceDocument:
    doc_id: str  # corpus doc id, or the file name
    title: str
    lines: tuple[str, ...]
    rows: tuple[tuple, ...] | None = None
    in_corpus: bool = False  # its lines can be read back through /api/documents/{doc_id}
    territory: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def is_table(self) -> bool:
        return self.rows is not None

    def span_text(self, line_start: int, line_end: int) -> str:
        return "\n".join(self.lines[line_start - 1 : line_end])


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("document illisible : ni UTF-8 ni Windows-1252")  # pragma: no cover - cp1252 decodes almost anything


def _split(text: str) -> tuple[str, ...]:
    # Split on "\n" only, as assistant/corpus.py does: line numbers match `sed -n` and editors.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(line.rstrip("\r") for line in lines)


def read_text(data: bytes, name: str) -> DocumentText:
    if b"\x00" in data[:4096]:
        raise InvalidInput(f"{name} n'est pas un fichier texte (octets nuls)")
    return DocumentText(_split(_decode(data)))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\n", " ").strip()


def _table(rows: list[list]) -> DocumentText:
    """The financial table of a spreadsheet, up to its first extra table (volets, indicators, canteen terms: see
    assistant/rules/tables.py), which the audit does not read as actions."""
    from ..rules.tables import _extra_kind

    cells = []
    for row in rows:
        if _extra_kind(list(row)):
            break
        row = list(row)
        while row and (row[-1] is None or str(row[-1]).strip() == ""):
            row.pop()
        cells.append(tuple(row))
    lines = tuple(CELL_SEPARATOR.join(_cell_text(c) for c in row) for row in cells)
    return DocumentText(lines, tuple(cells))


def read_xlsx(data: bytes, name: str) -> DocumentText:
    from ..rules.tables import rows_from_xlsx

    return _table(rows_from_xlsx(data))


def read_csv(data: bytes, name: str) -> DocumentText:
    from ..rules.tables import rows_from_csv

    return _table(rows_from_csv(data))


Reader = Callable[[bytes, str], DocumentText]
READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".text": read_text,
    ".csv": read_csv,
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
}
# Formats a converter must first turn into text (see `pacte corpus add`).
CONVERTED_FORMATS = (".pdf", ".docx", ".doc", ".odt", ".rtf", ".xls", ".ods")


def _from_bytes(data: bytes, name: str) -> SourceDocument:
    suffix = Path(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        if suffix in (".yaml", ".yml", ".json"):
            raise InvalidInput(
                f"{name} est déjà un contrat au format de « pacte check » : contrôlez-le avec « pacte check {name} » ; "
                "« pacte audit » lit les documents (.txt, .md, .xlsx, .csv)"
            )
        if suffix in CONVERTED_FORMATS:
            raise InvalidInput(
                f"format {suffix} non lu directement : ajoutez le document au corpus (« pacte corpus add »), qui le "
                "convertit en texte, puis auditez-le par son identifiant ; ou fournissez un fichier .txt, .md, "
                ".xlsx ou .csv"
            )
        if data[:4] == b"PK\x03\x04":
            reader = read_xlsx
        else:
            reader = read_text
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            f"document trop volumineux ({len(data) / 1024 / 1024:.1f} Mo ; maximum {MAX_UPLOAD_BYTES // 1024 // 1024} Mo)"
            .replace(".", ",")
        )
    if not data.strip():
        raise InvalidInput(f"document vide : {name}")
    text = reader(data, name)
    if not any(line.strip() for line in text.lines):
        raise InvalidInput(f"document vide : {name}")
    return SourceDocument(doc_id=Path(name).name, title=Path(name).name, lines=text.lines, rows=text.rows)


def read_document(source, settings: Settings | None = None, paths: bool = True) -> SourceDocument:
    """The document to audit, from a corpus doc id, a path, or (bytes, filename) as the API receives it.

    `paths=False` accepts corpus doc ids only (the HTTP API: a client never names a server file).
    Raises InvalidInput (French message) when it cannot be found or read."""
    if isinstance(source, tuple):
        data, name = source
        if isinstance(data, str):
            data = data.encode("utf-8")
        return _from_bytes(bytes(data), str(name or "document.txt"))
    text = str(source).strip()
    if not text:
        raise InvalidInput("indiquez un document : identifiant du corpus ou chemin de fichier")
    path = Path(text)
    if paths and path.is_file():
        try:
            data = path.read_bytes()
        except PermissionError:
            raise InvalidInput(f"fichier illisible (droits insuffisants) : {path}") from None
        return _from_bytes(data, path.name)
    if paths and path.is_dir():
        raise InvalidInput(f"{path} est un dossier, pas un document")
    settings = settings or Settings.from_env()
    from ..corpus import load_corpus

    documents = load_corpus(settings.corpus_dir)
    doc = documents.get(text)
    if doc is None:
        known = ", ".join(documents)
        what = "ni un fichier ni un document du corpus" if paths else "pas un document du corpus"
        raise InvalidInput(f"document introuvable : « {text[:80]} » n'est {what} ({known})")
    return SourceDocument(
        doc_id=doc.doc_id, title=doc.title, lines=doc.lines, in_corpus=True, territory=doc.territory
    )
