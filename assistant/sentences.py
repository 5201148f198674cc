"""Splitting a chunk into citable units (sentences, bullet items, table rows, headings) with their exact lines.

A unit's `text` is a verbatim slice of the chunk text (markup included), so a quote built from it is always a
substring of the cited lines once whitespace is collapsed. `display` is the same text without markdown/HTML
markup, for the answer shown to people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .lexical import fold
from .schema import Chunk

BACK_REFERENCES_FILE = Path(__file__).resolve().parent / "data" / "back_references.yaml"

_BULLET = re.compile(r"^\s*(?:[-*•➤✓❑▪◦–]|\d{1,2}[.)]|[a-z][.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?:\*\*|\*|</b>|»)?\s+(?=[«\"(*A-ZÀ-Ý0-9])")
_MARKUP = re.compile(r"<[^>]+>|\*\*|(?<!\w)\*|\*(?!\w)|^#+\s*|^\s*[-•➤✓❑▪◦]\s+|&nbsp;")
_TRIM = " \t*#>-•➤✓❑▪◦|"


@dataclass(frozen=True)
class Unit:
    chunk: Chunk
    line_start: int
    line_end: int
    text: str  # verbatim slice of the chunk text
    kind: str  # "sentence" | "item" | "row" | "heading"
    shown: str | None = None  # readable text when it is not simply the text without markup (a list, abridged)
    block: int = -1  # the paragraph (block of lines) of the chunk the unit comes from

    @property
    def display(self) -> str:
        return self.shown if self.shown is not None else display_text(self.text)


def display_text(text: str) -> str:
    """Readable text: markup removed, footnote calls dropped, whitespace collapsed."""
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = _MARKUP.sub(" ", text.replace("\t", " · "))
    text = re.sub(r"\s+([,.)])", r"\1", " ".join(text.split()))  # French keeps its space before ":" and ";"
    return text.strip(" ·")


def _standalone(line: str) -> bool:
    stripped = line.strip()
    return bool(_HEADING.match(line) or _BULLET.match(line) or "\t" in line or stripped.startswith("<"))


def _runs_on(lines: list[str], i: int) -> bool:
    """Whether blank line i sits inside a sentence: PDF conversions put a blank line after every line of text, so a
    line without final punctuation followed, past one blank line, by a lower-case start continues the sentence."""
    if i == 0 or i + 1 >= len(lines):
        return False
    before, after = lines[i - 1].rstrip(), lines[i + 1].strip()
    if not before.strip() or not after or _standalone(lines[i + 1]) or _standalone(lines[i - 1]):
        return False
    return not re.search(r"[.!?;…]\W*$", before) and (after[0].islower() or after[0].isdigit() or after[0] in "(«")


def _blocks(lines: list[str]):
    """Paragraph-like blocks: (first index, last index) over the chunk's lines."""
    start = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        standalone = _standalone(line)
        if not stripped:
            if start is not None and not _runs_on(lines, i):
                yield start, i - 1
                start = None
            continue
        if standalone:
            if start is not None:
                yield start, i - 1
            start = i
            if _HEADING.match(line) or "\t" in line or stripped.startswith("<"):
                yield i, i
                start = None
            continue
        if start is None:
            start = i
    if start is not None:
        yield start, len(lines) - 1


def split_units(chunk: Chunk, min_chars: int = 25) -> tuple[Unit, ...]:
    """The citable units of a chunk, in reading order (cached: a chunk never changes)."""
    return _split_units(chunk, min_chars)


@lru_cache(maxsize=8192)
def _split_units(chunk: Chunk, min_chars: int) -> tuple[Unit, ...]:
    lines = chunk.text.split("\n")
    units: list[Unit] = []
    for block_number, (first, last) in enumerate(_blocks(lines)):
        block = "\n".join(lines[first : last + 1])
        head = lines[first]
        kind = (
            "heading" if _HEADING.match(head)
            else "row" if ("\t" in head or head.strip().startswith("<"))
            else "item" if _BULLET.match(head)
            else "sentence"
        )
        # Char offset of each line start inside the block, to map sentence offsets back to lines.
        offsets, position = [], 0
        for line in lines[first : last + 1]:
            offsets.append(position)
            position += len(line) + 1
        pieces, cursor = [], 0
        if kind in ("sentence", "item"):
            for match in _SENTENCE_END.finditer(block):
                pieces.append((cursor, match.start()))
                cursor = match.end()
        pieces.append((cursor, len(block)))
        for begin, end in pieces:
            raw = block[begin:end]
            left = len(raw) - len(raw.lstrip(_TRIM))
            right = len(raw.rstrip(_TRIM))
            if right - left < min_chars and kind != "heading":
                continue
            begin, end = begin + left, begin + right
            text = block[begin:end]
            if not display_text(text):
                continue
            line_a = first + _line_of(offsets, begin)
            line_b = first + _line_of(offsets, max(begin, end - 1))
            units.append(Unit(chunk, chunk.line_start + line_a, chunk.line_start + line_b, text, kind, block=block_number))
    return tuple(units)


def _line_of(offsets: list[int], char: int) -> int:
    index = 0
    for i, offset in enumerate(offsets):
        if offset <= char:
            index = i
    return index


def chunk_containing(chunks, doc_id: str, line_start: int, line_end: int | None = None) -> Chunk | None:
    """The chunk holding lines line_start..line_end (line_end defaults to line_start) of a document."""
    line_end = line_start if line_end is None else line_end
    for chunk in chunks:
        if chunk.doc_id == doc_id and chunk.line_start <= line_start and line_end <= chunk.line_end:
            return chunk
    return None


def find_verbatim(text: str, quote: str) -> re.Match | None:
    """Where `quote` occurs in `text` word for word, whatever the whitespace between words (line breaks included)."""
    words = quote.split()
    return re.search(r"\s+".join(re.escape(w) for w in words), text) if words else None


def unit_for_quote(chunks, doc_id: str, line_start: int, line_end: int, quote: str, kind: str = "sentence") -> Unit | None:
    """The quote (from the structured référentiel) as a Unit of the chunk holding its lines, verbatim, or None."""
    chunk = chunk_containing(chunks, doc_id, line_start, line_end)
    match = find_verbatim(chunk.text, quote) if chunk is not None else None
    return Unit(chunk, line_start, line_end, match.group(0), kind) if match else None


def with_list(unit: Unit, max_items: int = 12, item_chars: int = 160) -> Unit:
    """A sentence announcing a list ("reposent sur 4 principes :") with the items that follow it in its chunk.

    The citation spans the intro and the items and its text stays a verbatim slice of the chunk; what is shown is
    the intro and each top-level item's first sentence, cut at `item_chars`, so the answer stays short. Items past
    the chunk are left out: a citation never spans more than one retrieved passage."""
    if not display_text(unit.text).endswith(":"):
        return unit
    lines = unit.chunk.text.split("\n")
    items: list[Unit] = []
    # Short items ("Seniors ;") are items too.
    for u in (u for u in split_units(unit.chunk, min_chars=2) if u.line_start > unit.line_end):
        if items and u.line_start <= items[-1].line_end:
            continue  # a further sentence of the same item
        if u.kind != "item":
            break
        if lines[u.line_start - unit.chunk.line_start][:1].isspace():
            continue  # a sub-item: the top-level items carry the list
        items.append(u)
        if len(items) >= max_items:
            break
    text = unit.chunk.text
    start = text.find(unit.text)
    end = text.find(items[-1].text, start) if items and start >= 0 else -1
    if end < 0:
        return unit
    # One item a line (the chat page and the terminal keep line breaks).
    shown = display_text(unit.text) + "\n– " + " ;\n– ".join(_abridged(display_text(u.text), item_chars) for u in items)
    shown += "" if shown.endswith("…") else "."
    return Unit(unit.chunk, unit.line_start, items[-1].line_end, text[start : end + len(items[-1].text)], unit.kind,
                shown)


def is_title(unit: Unit) -> bool:
    """A heading, or a short line without final punctuation that names what follows ("Action 1 : Coach Jeunesse")."""
    shown = display_text(unit.text)
    return unit.kind == "heading" or (len(shown) <= 120 and not re.search(r"[.!?;:…]\W*$", shown) and unit.kind != "row")


def with_body(unit: Unit, limit: int = 450) -> Unit:
    """A title quoted with the sentences that follow it in its chunk, up to `limit` characters: a title alone names
    a subject, the lines after it say something about it."""
    if not is_title(unit):
        return unit
    text = unit.chunk.text
    start = text.find(unit.text)
    if start < 0:
        return unit
    end, last = start + len(unit.text), unit
    for u in split_units(unit.chunk):
        if u.line_start <= unit.line_end:
            continue
        if is_title(u):
            break
        position = text.find(u.text, end)
        # Text between the two that is no unit (a short heading such as "Constats et enjeux") ends the body.
        if position < 0 or position + len(u.text) - start > limit or text[end:position].strip(_TRIM + "\n"):
            break
        end, last = position + len(u.text), u
    if last is unit:
        return unit
    title = display_text(unit.text)
    title = title if re.search(r"[.!?;:…]$", title) else title + " :"
    shown = f"{title} {display_text(text[start + len(unit.text) : end])}"
    return Unit(unit.chunk, unit.line_start, last.line_end, text[start:end], last.kind, shown, unit.block)


def _abridged(text: str, limit: int) -> str:
    """An item cut at a word boundary within `limit` characters, without its final punctuation."""
    text = text.rstrip(" ;,.")
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


@lru_cache(maxsize=1)
def _back_references() -> dict:
    data = yaml.safe_load(BACK_REFERENCES_FILE.read_text(encoding="utf-8"))

    def alternatives(words):
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    return {"opening": re.compile(rf"^(?:{alternatives(data['opening'])})\b"),
            "not_opening": re.compile(rf"^(?:{alternatives(data['not_opening'])})\b"),
            "early": re.compile(rf"\b(?:{alternatives(data['early'])})\b"),
            "early_words": int(data["early_words"]), "max_back": int(data["max_back"])}


def refers_back(text: str) -> bool:
    """Whether the sentence leans on the one before it ("En revanche, …", "Ces actions …", "… pourront toutefois …")."""
    rules = _back_references()
    folded = fold(display_text(text))
    if rules["opening"].search(folded) and not rules["not_opening"].search(folded):
        return True
    return bool(rules["early"].search(" ".join(folded.split()[: rules["early_words"]])))


def with_antecedent(unit: Unit) -> Unit:
    """A sentence that refers back, quoted with the sentence(s) before it in its paragraph (data/back_references.yaml).
    The text stays a verbatim slice of the chunk; the first sentence of a paragraph is left as it is."""
    if unit.kind not in ("sentence", "item"):
        return unit
    text = unit.chunk.text
    start = text.find(unit.text)
    if start <= 0:
        return unit
    placed, cursor = [], 0
    for u in split_units(unit.chunk):
        position = text.find(u.text, cursor)
        if position < 0:
            continue
        if position + len(u.text) > start:
            break
        placed.append((u, position))
        cursor = position + len(u.text)
    first, begin, leaning = unit, start, unit.text
    for _ in range(_back_references()["max_back"]):
        if not refers_back(leaning) or not placed:
            break
        before, position = placed.pop()
        # Only what separates two sentences may lie between them (a heading or a table is another context).
        if before.kind not in ("sentence", "item") or before.block != first.block:
            break
        first, begin, leaning = before, position, before.text
    if first is unit:
        return unit
    return Unit(unit.chunk, first.line_start, unit.line_end, text[begin : start + len(unit.text)], unit.kind,
                block=first.block)
