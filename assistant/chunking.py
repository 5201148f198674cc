"""Structure-aware chunking: paragraphs packed inside one section, tables kept whole.

Invariants (tested on the real corpus):
- `Chunk.text` is exactly the file lines `line_start..line_end`; the edges are content lines (no blank
  line, no page artefact), so the id f"{doc_id}:{line_start}-{line_end}" is stable across rebuilds.
- A chunk never crosses a section boundary. The only lines a chunk holds outside its own section are
  the heading lines of sections that have nothing but a heading (an empty parent such as "Annexe 2 –
  Fiches action" before its first fiche, or an unnumbered label like "Actions pouvant intégrer la
  contractualisation" before the action it introduces): they are merged into the next chunk instead of
  becoming near-empty chunks. Such a chunk is labelled with the path of the section that holds its content.
- Every line with content (not blank, not a page artefact) belongs to exactly one chunk.
- Paragraphs are never split unless one alone exceeds `max_chars` (then it is split at line
  boundaries); a table stays whole with its header row when it fits, and a larger table is split by
  rows: the repeated header goes into `Chunk.context` (embedded, never part of `text`).
- A chunk exceeds `max_chars` only when a single line does (one line cannot be split).

`Chunk.context` also carries the notes of footnotes a chunk calls (<sup>n</sup>) when the note line
itself sits in another chunk, so that "LOI MAPTAM¹" is embedded with "Loi n° 2014-58 du 27 janvier 2014".

Debug: `python -m assistant.chunking corpus/FILE` prints the chunks of one document.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .parsing import Layout, analyze, parse_document, parse_numbering
from .schema import Chunk, Document, Section

DEFAULT_MAX_CHARS = 1200

_BULLET_START_RE = re.compile(r"^\s*(?:[-•*]\s|o\s|\uf0b7|\uf0a7|\uf0d8)")
_MD_ITEM_RE = re.compile(r"^\s*(?:[-*+•✓❖❑☐➤►]|\d{1,2}[.)]|[a-z]\))\s")
_TERMINAL_RE = re.compile(r"[.!?;:…]\s*$")


@dataclass
class _Atom:
    """A run of lines that packing never splits: heading lines, a paragraph, a table, a slice of either."""

    lines: list[int]  # content lines (1-based), in order
    size: int  # len() of the exact text from the first to the last line
    kind: str = "text"  # "heading" | "text" | "table"
    glue_next: bool = False  # must share its chunk with the atom that follows (a heading)
    standalone: bool = False  # a slice of a split table: not packed with anything else
    context: str = ""


@dataclass
class _Piece:
    atoms: list[_Atom] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.atoms[0].lines[0]

    @property
    def last(self) -> int:
        return self.atoms[-1].lines[-1]


class _Sizer:
    """len(doc.span_text(first, last)) in O(1), from prefix sums of line lengths."""

    def __init__(self, doc: Document):
        self.cum = [0]
        for line in doc.lines:
            self.cum.append(self.cum[-1] + len(line) + 1)

    def __call__(self, first: int, last: int) -> int:
        return self.cum[last] - self.cum[first - 1] - 1


def _is_content(doc: Document, lay: Layout, ln: int) -> bool:
    return bool(doc.lines[ln - 1].strip()) and ln not in lay.artefacts


def _blocks(doc: Document, lay: Layout, size: _Sizer, start: int, end: int) -> list[_Atom]:
    """Heading runs, paragraphs and tables of lines start..end (the own content of one section)."""
    atoms: list[_Atom] = []
    plain = lay.layout == "plain"
    ln = start
    while ln <= end:
        if not _is_content(doc, lay, ln):
            ln += 1
            continue
        lines: list[int] = []
        if ln in lay.heading_lines:
            kind = "heading"
            j = ln
            while j <= end and (j in lay.heading_lines or not _is_content(doc, lay, j)):
                if j in lay.heading_lines and _is_content(doc, lay, j):
                    lines.append(j)
                j += 1
        elif ln in lay.table_rows:
            kind = "table"
            j = ln
            while j <= end:
                if j in lay.table_rows and j not in lay.heading_lines:
                    lines.append(j)
                    j += 1
                elif not doc.lines[j - 1].strip():
                    # Rows may be separated by blank lines; the table goes on if a row follows.
                    k = j
                    while k <= end and not doc.lines[k - 1].strip():
                        k += 1
                    if k <= end and k in lay.table_rows and k - j <= 2:
                        j = k
                    else:
                        break
                else:
                    break
        else:
            kind = "text"
            j = ln
            while j <= end:
                if not _is_content(doc, lay, j):
                    if not plain and not doc.lines[j - 1].strip():
                        break  # markdown: a blank line ends the paragraph
                    j += 1
                    continue
                if j != ln and (j in lay.heading_lines or j in lay.table_rows):
                    break
                if plain and j != ln and _BULLET_START_RE.match(doc.lines[j - 1]):
                    break
                if not plain and j != ln and _MD_ITEM_RE.match(doc.lines[j - 1]):
                    break  # each list item is a paragraph of its own
                lines.append(j)
                j += 1
                if plain and _TERMINAL_RE.search(doc.lines[j - 2]):
                    break  # PDF text: blank lines are not separators, sentence ends are
        if not lines:
            ln = j if j > ln else ln + 1
            continue
        atoms.append(_Atom(lines, size(lines[0], lines[-1]), kind, glue_next=kind == "heading"))
        ln = lines[-1] + 1
    return atoms


def _partition(size: _Sizer, spans: list[tuple[int, int]], max_chars: int, anchor: int | None = None) -> list[tuple[int, int]]:
    """Cut a sequence of line spans into consecutive runs [j, i): as few runs as possible, then as even as possible.

    Dynamic programming minimises the sum of squared slack (max_chars - size)^2 over the runs; since a run
    may not exceed max_chars (unless it is a single span), that first minimises the number of runs, then
    evens out their sizes (no tiny trailing run when a more even cut exists). The first run is measured
    from `anchor` when given (the heading that will share its chunk)."""
    m = len(spans)
    best = [0.0] + [math.inf] * m
    cut = [0] * (m + 1)
    for i in range(1, m + 1):
        last = spans[i - 1][1]
        for j in range(i - 1, -1, -1):
            first = anchor if (j == 0 and anchor is not None) else spans[j][0]
            n = size(first, last)
            if n > max_chars and j < i - 1:
                break
            cost = best[j] + max(0, max_chars - n) ** 2
            if cost < best[i]:
                best[i], cut[i] = cost, j
    runs = []
    i = m
    while i > 0:
        runs.append((cut[i], i))
        i = cut[i]
    return runs[::-1]


def _split_lines(size: _Sizer, lines: list[int], max_chars: int, anchor: int | None) -> list[list[int]]:
    """Even slices of consecutive lines within max_chars (a single longer line stands alone)."""
    return [lines[j:i] for j, i in _partition(size, [(ln, ln) for ln in lines], max_chars, anchor)]


def _table_header(doc: Document, rows: list[int]) -> list[int]:
    """Header rows: leading rows up to the first one with at least two filled cells (titles come first).

    For an HTML table: the lines up to the end of its first row."""
    if "<table" in doc.lines[rows[0] - 1].lower():
        end = next((i for i, ln in enumerate(rows) if "</tr>" in doc.lines[ln - 1].lower()), 0)
        return rows[: end + 1] if end + 1 < len(rows) else rows[:1]
    header = []
    for ln in rows[:3]:
        header.append(ln)
        cells = [c for c in doc.lines[ln - 1].split("\t") if c.strip()]
        if len(cells) >= 2:
            break
    return header if len(header) < len(rows) else rows[:1]


def _expand(doc: Document, size: _Sizer, atoms: list[_Atom], max_chars: int) -> list[_Atom]:
    """Split the atoms larger than max_chars: tables by rows (header repeated in context), text by lines."""
    out: list[_Atom] = []
    for atom in atoms:
        # The heading glued before this atom shares the first slice: measure that slice from the heading.
        anchor = out[-1].lines[0] if out and out[-1].glue_next else None
        full = size(anchor, atom.lines[-1]) if anchor else atom.size
        if full <= max_chars or len(atom.lines) == 1:
            out.append(atom)
            continue
        if atom.kind == "table":
            header = _table_header(doc, atom.lines)
            body = [ln for ln in atom.lines if ln not in header]
            slices = _split_lines(size, body, max_chars, anchor or header[0])
            context = "\n".join(doc.lines[ln - 1] for ln in header)
            for k, sl in enumerate(slices):
                lines = header + sl if k == 0 else sl
                out.append(
                    _Atom(lines, size(lines[0], lines[-1]), "table", standalone=True,
                          context="" if k == 0 else context)
                )
        else:
            for sl in _split_lines(size, atom.lines, max_chars, anchor):
                out.append(_Atom(sl, size(sl[0], sl[-1]), atom.kind))
    return out


def _pack(size: _Sizer, atoms: list[_Atom], max_chars: int) -> list[_Piece]:
    """Cut the atoms of one section into chunks: as few as possible, then as even as possible.

    A heading is never separated from what follows it; slices of a split table stand alone; between
    such fixed points the paragraphs are partitioned by `_partition`."""
    groups: list[list[_Atom]] = []
    pending: list[_Atom] = []
    for atom in atoms:
        pending.append(atom)
        if not atom.glue_next:
            groups.append(pending)
            pending = []
    if pending:
        groups.append(pending)

    pieces: list[_Piece] = []
    run: list[list[_Atom]] = []

    def flush_run() -> None:
        spans = [(g[0].lines[0], g[-1].lines[-1]) for g in run]
        for j, i in _partition(size, spans, max_chars):
            pieces.append(_Piece([a for g in run[j:i] for a in g]))
        run.clear()

    for group in groups:
        if any(a.standalone for a in group):
            flush_run()
            pieces.append(_Piece(list(group)))
        else:
            run.append(group)
    flush_run()
    return pieces


def _own_range(sec: Section, root: Section) -> tuple[int, int]:
    start = 1 if sec is root else sec.line_start
    end = sec.children[0].line_start - 1 if sec.children else sec.line_end
    return start, end


def _footnote_context(doc: Document, lay: Layout, first: int, last: int) -> str:
    notes = []
    seen = set()
    for ln in range(first, last + 1):
        for number in lay.footnote_refs.get(ln, []):
            note = lay.resolve_footnote(number, ln)
            if note is None or first <= note.line <= last or note.line in seen:
                continue
            seen.add(note.line)
            notes.append(f"Note {note.number} : {note.text}")
    return "\n".join(notes)


def chunk_document(doc: Document, root: Section, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """The chunks of one document, in document order."""
    lay = analyze(doc)
    size = _Sizer(doc)
    chunks: list[Chunk] = []
    sections = list(root.walk())
    carry: int | None = None  # first line of heading-only sections waiting for the next content
    for idx, sec in enumerate(sections):
        start, end = _own_range(sec, root)
        if carry is not None:
            start, carry = min(carry, start), None
        content = [ln for ln in range(start, end + 1) if _is_content(doc, lay, ln)]
        if not content:
            continue
        only_heading = sec is not root and all(ln in lay.heading_lines for ln in content)
        nxt = sections[idx + 1] if idx + 1 < len(sections) else None
        if only_heading and nxt is not None:
            gap_empty = not any(_is_content(doc, lay, ln) for ln in range(end + 1, nxt.line_start))
            # An empty parent goes with its first child; an unnumbered label with the section it introduces.
            # A numbered section reduced to its title ("2.4. Faciliter l'accès à la domiciliation") stays alone.
            if gap_empty and (nxt in sec.children or not parse_numbering(sec.title)):
                carry = content[0]
                continue
        atoms = _expand(doc, size, _blocks(doc, lay, size, start, end), max_chars)
        path = tuple(sec.path) if sec.path else (doc.title,)
        for piece in _pack(size, atoms, max_chars):
            first, last = piece.first, piece.last
            contexts = [a.context for a in piece.atoms if a.context]
            notes = _footnote_context(doc, lay, first, last)
            if notes:
                contexts.append(notes)
            is_table = sec.kind == "table" or any(a.kind == "table" for a in piece.atoms)
            chunks.append(
                Chunk(
                    id=f"{doc.doc_id}:{first}-{last}",
                    doc_id=doc.doc_id,
                    section_path=path,
                    line_start=first,
                    line_end=last,
                    text=doc.span_text(first, last),
                    kind="table" if is_table else "text",
                    axis=sec.axis,
                    context="\n".join(contexts),
                )
            )
    return chunks


def chunk_corpus(documents: dict[str, Document], max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """The chunks of every document of the corpus, documents in manifest order."""
    chunks: list[Chunk] = []
    for doc in documents.values():
        chunks.extend(chunk_document(doc, parse_document(doc), max_chars))
    return chunks


def main(argv: list[str] | None = None) -> int:
    from .parsing import _find_document

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("Usage : python -m assistant.chunking corpus/FICHIER", file=sys.stderr)
        return 2
    from .errors import PacteError

    for arg in args:
        try:
            doc = _find_document(Path(arg))
        except PacteError as exc:
            print(f"Erreur : {exc.message}", file=sys.stderr)
            return exc.exit_code
        chunks = chunk_document(doc, parse_document(doc))
        for c in chunks:
            flags = f"{c.kind}" + (f" axe {c.axis}" if c.axis else "") + (" +context" if c.context else "")
            print(f"{c.id}  [{len(c.text)} car., {flags}]  {' > '.join(c.section_path)}")
        sizes = sorted(len(c.text) for c in chunks) or [0]
        print(f"{len(chunks)} chunks ; taille min {sizes[0]}, médiane {sizes[len(sizes) // 2]}, max {sizes[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
