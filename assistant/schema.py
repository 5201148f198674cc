"""Typed objects passed between the stages: Document -> Section -> Chunk -> Hit.

Line numbers are always 1-based, inclusive, and refer to the lines of the corpus file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    issuer: str
    date: str
    kind: str
    file: str
    sha256: str
    path: Path
    lines: tuple[str, ...]  # file lines without their line terminator
    territory: str = ""  # the collectivity or region a local document is about ("" for national texts)
    aliases: tuple[str, ...] = ()  # names a question uses for this document (corpus manifest `aliases`)
    # The collectivity types a national text is addressed to (manifest `addressed_to`): an answer for another type
    # says the corpus holds only their text.
    addressed_to: tuple[str, ...] = ()
    layout: str = ""  # how the parser reads it: "" (by kind, the shipped documents) or "generic" (converted files)

    def span_text(self, line_start: int, line_end: int) -> str:
        """The exact text of lines line_start..line_end (1-based, inclusive), joined with '\\n'."""
        return "\n".join(self.lines[line_start - 1 : line_end])


@dataclass
class Section:
    doc_id: str
    title: str  # heading text, cleaned of markdown emphasis
    path: list[str]  # titles from the root to this section, this one included
    level: int
    line_start: int  # the heading line
    line_end: int  # last line before the next section at the same or higher level
    children: list["Section"] = field(default_factory=list)
    axis: int | None = None  # Pacte axis 1-4 of this section (inherited from the outermost ancestor that has one)
    kind: str = "text"  # "table" when the section's own content is a table (plain-text financial tables)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Chunk:
    id: str  # stable: f"{doc_id}:{line_start}-{line_end}"
    doc_id: str
    section_path: tuple[str, ...]
    line_start: int
    line_end: int
    text: str  # exactly the file lines line_start..line_end joined with '\n'
    kind: str = "text"  # "text" | "table"
    axis: int | None = None  # Pacte axis 1-4 when the chunk sits in a référentiel or axis section
    # Extra text embedded with the chunk but never part of `text` (which must stay the exact file lines):
    # the header rows of a table continued from a previous chunk, the notes of footnotes it references.
    context: str = ""

    def embed_text(self) -> str:
        """What is embedded and lexically indexed: the section path gives context to a short paragraph."""
        context = self.context + "\n" if self.context else ""
        return " > ".join(self.section_path) + "\n" + context + self.text


@dataclass
class Hit:
    chunk: Chunk
    score: float
    rank: int = 0
    sources: dict = field(default_factory=dict)  # e.g. {"bm25": rank, "dense": rank}

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "doc_id": c.doc_id,
            "section_path": list(c.section_path),
            "line_start": c.line_start,
            "line_end": c.line_end,
            "text": c.text,
            "score": round(float(self.score), 6),
        }
