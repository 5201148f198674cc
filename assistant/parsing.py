"""Parsing a corpus document into a tree of sections.

Three layouts share one tree builder:

- "markdown" (the instruction): `#` headings, bold-only lines, inline bold numbered lead-ins, bare
  "Annexe N" lines. Markdown heading levels are unreliable in this conversion (e.g. "## 2.2" under
  "## 2."), so the hierarchy comes from the numbering (2.2 is a child of 2., 2.1.3 of 2.1, 1.1 of I.,
  a. of I.) and unnumbered headings never nest inside each other.
- "plain" (the Pas-de-Calais deliberation bundle, text extracted from a PDF): parts (deliberation,
  conventions, report), articles, annexes, fiches action and their rubrics, decimal numbering.
  Blank lines are not paragraph separators there (many pages have a blank line after every line).
- "slides" (meeting notes): isolated short lines are slide titles, "Axe N" lines are sub-titles.
- "generic" (every document a user adds, converted by assistant/ingest): explicit `#` headings by level,
  numbered lines standing alone by their numbering, short bold or capital lines alone; no rule for one file.

`parse_document` returns the root (path [], level 0, the whole file); every other section has a
title, a path of titles from the top, a level (depth) and a line span whose first line is its heading.
`analyze` exposes what the chunker also needs: heading lines, page artefacts, table rows, footnotes.

Debug: `python -m assistant.parsing corpus/FILE` prints the section tree.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .schema import Document, Section

# --------------------------------------------------------------------------------------------
# Line-level helpers
# --------------------------------------------------------------------------------------------

_SUP_NUM_RE = re.compile(r"<sup>\s*\d+\s*</sup>")
_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BOLD_SEG_RE = re.compile(r"(\*{3}|\*{2})(.+?)\1")
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_WS_RE = re.compile(r"\s+")

# Numbering at the start of a heading text.
_ROMAN_RE = re.compile(r"^(?P<num>[IVX]{1,6})\s*(?:\.|-|–|—|\))\s*(?P<rest>\S.*)$")
_DEC_RE = re.compile(r"^(?P<num>\d{1,2}(?:[.,]\d{1,2})+)\.?\s+(?P<rest>\S.*)$")
_DEC1_RE = re.compile(r"^(?P<num>\d{1,2})\s*(?:\.|-|–|—|\))\s+(?P<rest>\S.*)$")
_NUMLET_RE = re.compile(r"^(?P<num>\d{1,2})-(?P<let>[a-h])\s+(?P<rest>\S.*)$")
_UPPER_RE = re.compile(r"^(?P<num>[A-H])\s*(?:\.|-|–|—|\))\s+(?P<rest>\S.*)$")
_LOWER_RE = re.compile(r"^(?P<num>[a-h])\s*(?:\.|\))\s+(?P<rest>\S.*)$")
_ARTICLE_RE = re.compile(r"^(?:ARTICLE|Article)\s+(?P<num>\d{1,2})\s*(?:(?:-|–|—|:)\s*(?P<rest>.*))?$")
_ANNEX_RE = re.compile(r"^(?:ANNEXE|Annexe)\s+(?P<num>\d{1,2})\b\s*(?:(?:-|–|—|:)\s*)?(?P<rest>.*)$")
_ANNEX_NONUM_RE = re.compile(r"^(?:ANNEXE|Annexe)\s*:\s*(?P<rest>\S.*)$")

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}

# Logo words of the title pages: bold lines, but not headings.
_NOT_TITLES = {"gouvernement", "governement", "liberté", "égalité", "fraternité"}

# Axis names as the corpus writes them (instruction, notes, Pas-de-Calais).
_AXIS_NAMES = [
    (1, re.compile(r"in[ée]galit[ée]s d[èe]s l.enfance|pr[ée]venir la pauvret[ée]", re.I)),
    (2, re.compile(r"acc[èe]s [àa] l.emploi|emploi pour tous", re.I)),
    (3, re.compile(r"acc[èe]s aux droits|grande exclusion", re.I)),
    (4, re.compile(r"transition [ée]cologique", re.I)),
]
_AXIS_WORD_RE = re.compile(r"(?<![-\w])axe\b\s*(?::\s*)?(?P<num>[1-4])?\b", re.I)

_TERMINAL_RE = re.compile(r"[.!?;:…]\s*$")
_FUNCTION_WORD_END_RE = re.compile(
    r"\b(?:de|des|du|la|le|les|l['’]|d['’]|à|au|aux|en|et|ou|pour|par|dans|sur|avec|un|une|vers|leur|leurs)\s*$",
    re.I,
)


def clean_title(text: str) -> str:
    """A heading's text without markdown emphasis, HTML tags, footnote calls or a trailing colon."""
    t = _SUP_NUM_RE.sub("", text)
    t = _TAG_RE.sub("", t)
    t = _MD_LINK_RE.sub(r"\1", t)
    t = t.replace("\\", "").replace("*", "").replace("➤", "").replace("►", "")
    t = t.replace("\u00a0", " ").replace("\u202f", " ")
    t = _WS_RE.sub(" ", t).strip()
    t = re.sub(r"\s*:$", "", t).strip()
    if len(t) > 200:
        cut = t[:200].rsplit(" ", 1)[0]
        t = cut + " …"
    return t


_LETTER_RE = re.compile(r"[^\W\d_]")
_ALNUM_RE = re.compile(r"[^\W_]")


def _has_letter(text: str) -> bool:
    return bool(_LETTER_RE.search(text))


def _roman_value(s: str) -> int:
    total = 0
    prev = 0
    for ch in reversed(s):
        v = _ROMAN_VALUES[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


@dataclass(frozen=True)
class Numbering:
    style: str  # "annex" | "subannex" | "article" | "roman" | "dec" | "upper" | "lower"
    number: tuple[int, ...]
    rest: str  # the text after the number


def parse_numbering(text: str) -> Numbering | None:
    """The numbering that starts a (cleaned) heading text, if any, with the text that follows it."""
    m = _ANNEX_RE.match(text)
    if m:
        return Numbering("annex", (int(m["num"]),), m["rest"].strip())
    m = _ANNEX_NONUM_RE.match(text)
    if m:
        return Numbering("subannex", (), m["rest"].strip())
    m = _ARTICLE_RE.match(text)
    if m:
        return Numbering("article", (int(m["num"]),), (m["rest"] or "").strip())
    m = _ROMAN_RE.match(text)
    if m and _has_letter(m["rest"]):
        return Numbering("roman", (_roman_value(m["num"]),), m["rest"])
    m = _DEC_RE.match(text)
    if m and (_has_letter(m["rest"][:1]) or m["rest"][:1] in "«(\"'"):
        return Numbering("dec", tuple(int(x) for x in re.split(r"[.,]", m["num"])), m["rest"])
    m = _NUMLET_RE.match(text)
    if m:
        return Numbering("lower", (ord(m["let"]) - 96,), m["rest"])
    m = _DEC1_RE.match(text)
    if m and _has_letter(m["rest"][:1]):
        return Numbering("dec", (int(m["num"]),), m["rest"])
    m = _UPPER_RE.match(text)
    if m and _has_letter(m["rest"][:1]):
        return Numbering("upper", (ord(m["num"]) - 64,), m["rest"])
    m = _LOWER_RE.match(text)
    if m and _has_letter(m["rest"][:1]):
        return Numbering("lower", (ord(m["num"]) - 96,), m["rest"])
    return None


def axis_from_title(title: str) -> int | None:
    """The Pacte axis a title names ("Axe « Accès aux droits essentiels »", "Axe 3 : …", "Référentiel de l'axe …")."""
    m = _AXIS_WORD_RE.search(title)
    if not m:
        return None
    tail = title[m.start():]
    for axis, pattern in _AXIS_NAMES:
        if pattern.search(tail):
            return axis
    return int(m["num"]) if m["num"] else None


def _bold_segments(text: str) -> tuple[list[str], str]:
    """Bold segments of a line and what is left outside them (stripped)."""
    segs = [m.group(2) for m in _BOLD_SEG_RE.finditer(text)]
    rest = _BOLD_SEG_RE.sub(" ", text).strip(" *\u00a0")
    return segs, rest


def _is_table_row(raw: str) -> bool:
    return "\t" in raw


def _html_table_lines(lines: tuple[str, ...]) -> set[int]:
    """Lines from a "<table" line to the matching "</table>" line (HTML tables of converted documents)."""
    out: set[int] = set()
    start = None
    for idx, raw in enumerate(lines):
        low = raw.lower()
        if start is None and "<table" in low:
            start = idx
        if start is not None and "</table>" in low:
            out.update(range(start + 1, idx + 2))
            start = None
    return out


def _is_artefact_text(s: str) -> bool:
    """A line with no letter or digit at all: '---' page breaks, '* * *', dotted lines, a lone '.'."""
    return bool(s) and not _ALNUM_RE.search(s)


# --------------------------------------------------------------------------------------------
# Headings and the per-document analysis
# --------------------------------------------------------------------------------------------


@dataclass
class Heading:
    line: int  # first line of the heading (the section's line_start)
    title: str
    style: str = "none"  # numbering style, "none" for an unnumbered heading
    number: tuple[int, ...] = ()
    rank: float | None = None  # absolute rank of structural headings (parts, annexes, fiches); None: by numbering
    end: int = 0  # last line of the heading block (multi-line titles, annex subtitles, fiche heads)
    axis: int | None = None
    kind: str = "text"
    attach_to: tuple | None = None  # style key of the ancestor this heading must hang under

    def __post_init__(self):
        if not self.end:
            self.end = self.line

    @property
    def style_key(self) -> tuple:
        return ("dec", len(self.number)) if self.style == "dec" else (self.style,)


@dataclass
class Footnote:
    number: str
    line: int  # the note line ("<sup>1</sup> Loi n° …")
    text: str


@dataclass
class Layout:
    """Everything the parser learnt about a document's lines (cached per document)."""

    layout: str  # "markdown" | "plain" | "slides" | "generic"
    headings: list[Heading]
    heading_lines: frozenset[int]
    artefacts: frozenset[int]  # page numbers, running labels, '---' page breaks: not content
    table_rows: frozenset[int]  # tab-separated rows (markdown / slides)
    footnotes: list[Footnote] = field(default_factory=list)
    footnote_refs: dict[int, list[str]] = field(default_factory=dict)  # line -> footnote numbers it calls

    def resolve_footnote(self, number: str, line: int) -> Footnote | None:
        """The note a call <sup>number</sup> on `line` refers to: notes sit at the bottom of the page, after it."""
        after = [f for f in self.footnotes if f.number == number and line <= f.line <= line + 150]
        if after:
            return min(after, key=lambda f: f.line)
        before = [f for f in self.footnotes if f.number == number and line - 60 <= f.line < line]
        return max(before, key=lambda f: f.line) if before else None


def layout_of(doc: Document) -> str:
    if doc.layout:
        return doc.layout  # "generic": a converted document (assistant/ingest)
    kinds = {"instruction": "markdown", "contrat": "plain", "notes": "slides"}
    if doc.kind in kinds:
        return kinds[doc.kind]
    return "plain" if doc.file.endswith(".txt") else "markdown"


def _next_nonblank(lines: tuple[str, ...], idx: int, limit: int | None = None) -> int | None:
    """0-based index of the first non-blank line at or after idx (None if none within limit lines)."""
    end = len(lines) if limit is None else min(len(lines), idx + limit)
    for j in range(idx, end):
        if lines[j].strip():
            return j
    return None


def _prev_nonblank(lines: tuple[str, ...], idx: int) -> int | None:
    for j in range(idx, -1, -1):
        if lines[j].strip():
            return j
    return None


# ---- markdown ------------------------------------------------------------------------------


def _heading_like(raw: str, explicit: bool) -> bool:
    """Is a bold-only (or markdown) line a heading rather than an emphasised sentence?"""
    title = clean_title(raw)
    if not title or not _has_letter(title) or title.lower() in _NOT_TITLES:
        return False
    if parse_numbering(title):
        return len(title) <= 220
    if explicit:
        return not (title.endswith(".") and len(title) > 80)
    if title[0].islower() or len(title) > 150:
        return False
    # "**Plusieurs actions types sont proposées :**" introduces a list: a sentence, not a heading.
    return not re.search(r"[.;:,!?]$", _TAG_RE.sub("", raw).rstrip(" *\u00a0"))


_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+➤✓❖]|\d+[.)]|[a-z]\))\s")
_LONE_BULLET_RE = re.compile(r"^(?:[-➤]\s+)(.*)$")


def _lone_bullet(lines: tuple[str, ...], idx: int) -> str | None:
    """A one-item list standing alone between paragraphs, used as a sub-heading ("- Actions d'ingénierie … :")."""
    s = lines[idx].strip()
    m = _LONE_BULLET_RE.match(s)
    if not m:
        return None
    raw = m.group(1).strip()
    text = clean_title(raw)
    if not text or len(raw) > 200 or not text[0].isupper() or re.search(r"[;,]$", raw):
        return None
    if idx > 0 and lines[idx - 1].strip():
        return None
    if idx + 1 < len(lines) and lines[idx + 1].strip():
        return None
    p = _prev_nonblank(lines, idx - 1) if idx > 0 else None
    n = _next_nonblank(lines, idx + 1)
    if p is not None and _LIST_ITEM_RE.match(lines[p]):
        return None
    if n is None or _LIST_ITEM_RE.match(lines[n]) or _MD_HEADING_RE.match(lines[n].strip()):
        return None
    return text


def _scan_markdown(lines: tuple[str, ...]) -> tuple[list[Heading], set[int]]:
    heads: list[Heading] = []
    consumed: set[int] = set()
    top_annex = 0
    for idx, raw in enumerate(lines):
        ln = idx + 1
        s = raw.strip()
        if ln in consumed or not s or _is_table_row(raw) or s.startswith("<"):
            continue
        explicit = False
        items: list[str]
        m = _MD_HEADING_RE.match(s)
        if m:
            text = m.group(2).strip()
            if re.match(r"^[-+]\s", text):  # a list item written as a heading
                continue
            segs, rest = _bold_segments(text)
            items = segs if segs and not rest else [text]
            explicit = True
        elif s.startswith("**") or s.startswith("➤"):
            body = s.lstrip("➤ ").strip()
            segs, rest = _bold_segments(body)
            if segs and not rest:
                items = segs
            elif segs and body.startswith("**"):
                # "**2.1. La connaissance de la langue parlée** est un atout …": a numbered lead-in heading.
                first = clean_title(segs[0])
                num = parse_numbering(first)
                if not num or num.style in ("annex", "subannex") or len(first) > 150:
                    continue
                items = [segs[0]]
            else:
                continue
        elif re.match(r"^(?:ANNEXE|Annexe)\s+\d{1,2}$", s):
            items = [s]
        else:
            lone = _lone_bullet(lines, idx)
            if not lone:
                continue
            heads.append(Heading(ln, lone))
            continue

        if not _heading_like(items[0], explicit):
            continue
        line_heads: list[Heading] = []
        for k, item in enumerate(items):
            title = clean_title(item)
            num = parse_numbering(title)
            if k > 0:
                if num and num.style not in ("annex", "subannex"):
                    pass  # "**I. Cadrage …****a. Thématiques …**": two headings glued on one line
                elif title and not _has_letter(title):
                    line_heads[-1].title += " – " + title  # "**Contrat local des solidarités****2024-2027**"
                    continue
                else:
                    break  # the rest of the line is content (e.g. an indicator glued after its axis)
            if num is None:
                line_heads.append(Heading(ln, title))
                continue
            if num.style == "annex":
                n = num.number[0]
                h = Heading(ln, "", style="annex", number=num.number)
                subtitle = num.rest
                if not subtitle:
                    j = _next_nonblank(lines, idx + 1, limit=4)
                    if j is not None:
                        nxt = lines[j].strip()
                        mm = _MD_HEADING_RE.match(nxt)
                        cand = mm.group(2) if mm else nxt
                        segs, _ = _bold_segments(cand)
                        if mm or segs:
                            subtitle = clean_title(segs[0] if segs else cand)
                            consumed.add(j + 1)
                            h.end = j + 1
                h.title = f"Annexe {n} – {subtitle}" if subtitle else f"Annexe {n}"
                if n > top_annex:
                    top_annex = n
                    h.rank = 1
                else:  # the annexes of a template annex ("Annexe 1 : Tableau des actions" inside Annexe 8)
                    h.rank = 2
                    h.style = "subannex"
                line_heads.append(h)
            elif num.style == "subannex":
                line_heads.append(Heading(ln, f"Annexe – {num.rest}", style="subannex", rank=2))
            else:
                line_heads.append(Heading(ln, title, style=num.style, number=num.number))
        heads.extend(line_heads)
    return heads, consumed


# Title-page furniture of the converted PDFs (the Marianne block, logo placeholders).
_TITLE_PAGE_LINES = {"gouvernement", "liberté", "égalité", "fraternité", "logo de la collectivité", "logo des signataires"}


def _markdown_artefacts(lines: tuple[str, ...]) -> set[int]:
    """'---' page breaks and other lines without letters or digits, and the title-page furniture."""
    out = set()
    for idx, raw in enumerate(lines):
        s = raw.strip()
        if _is_artefact_text(s) or s.strip("*_ ").lower() in _TITLE_PAGE_LINES:
            out.add(idx + 1)
    return out


# ---- slides --------------------------------------------------------------------------------

_SLIDE_MARKERS = tuple("-*+❑☐✓❖►<[=•")


def _slide_title(lines: tuple[str, ...], idx: int) -> str | None:
    s = lines[idx].strip()
    if not s or "\t" in lines[idx] or s.startswith(_SLIDE_MARKERS) or s.startswith("http"):
        return None
    if idx > 0 and lines[idx - 1].strip():
        return None
    if idx + 1 < len(lines) and lines[idx + 1].strip():
        return None
    if len(s) > 100 or len(s.split()) < 2 or re.search(r"[.,;:!?]$", s):
        return None
    if not (s[0].isupper() or s[0].isdigit()):
        return None
    letters = [c for c in s if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        return None  # diagram labels in capitals, not slide titles
    return clean_title(s)


def _scan_slides(lines: tuple[str, ...]) -> list[Heading]:
    heads: list[Heading] = []
    idx = 0
    while idx < len(lines):
        title = _slide_title(lines, idx)
        if not title:
            idx += 1
            continue
        ln = idx + 1
        if re.match(r"^Axe\s+\d", title):
            heads.append(Heading(ln, title, rank=2))
            idx += 1
            continue
        h = Heading(ln, title, rank=1)
        # A slide title directly followed by a sub-title line: one heading ("Synthèse … – Constats spécifiques …").
        j = _next_nonblank(lines, idx + 1, limit=3)
        if j is not None:
            sub = _slide_title(lines, j)
            if sub and not re.match(r"^Axe\s+\d", sub):
                h.title = f"{title} – {sub}"
                h.end = j + 1
                idx = j
        heads.append(h)
        idx += 1
    return heads


# ---- generic (documents converted by assistant/ingest, never seen before) -------------------
#
# What any document shows of its structure, without rules for one file:
# - explicit headings (`#` lines: DOCX heading styles, HTML <h1>-<h6>, larger PDF fonts, Markdown) nest by level;
#   within one level, deeper decimal numbering nests deeper ("1." then "1.1" both written `#`);
# - a numbered line standing as its own paragraph ("2.3 Accompagner les familles", "II - Objectifs", "Article 4 :
#   Durée", "Annexe 2 – Budget"), not part of a numbered list, nests by its numbering;
# - a short bold-only line, or a short line in capitals, standing alone, is an unnumbered heading;
# - tab-separated or pipe-delimited lines are table rows.

_PIPE_ROW_RE = re.compile(r"^\s*\|.*\|\s*$")
_GENERIC_STYLES = ("dec", "roman", "article", "annex", "upper")


def _is_generic_table_row(raw: str) -> bool:
    return _is_table_row(raw) or bool(_PIPE_ROW_RE.match(raw))


def _alone(lines: tuple[str, ...], idx: int) -> bool:
    """The line is a paragraph of its own start: nothing (or only a heading) right before it."""
    return idx == 0 or not lines[idx - 1].strip() or bool(_MD_HEADING_RE.match(lines[idx - 1].strip()))


def _numbered_heading(lines: tuple[str, ...], idx: int) -> Numbering | None:
    s = lines[idx].strip()
    if len(s) > 160 or _is_generic_table_row(lines[idx]):
        return None
    # Alone, or after a finished sentence (PDF text often has no gap before a numbered heading).
    if not _alone(lines, idx) and not (len(s) <= 100 and _TERMINAL_RE.search(lines[idx - 1])):
        return None
    title = clean_title(s)
    num = parse_numbering(title)
    if num is None or num.style not in _GENERIC_STYLES:
        return None
    rest = num.rest
    if num.style not in ("article", "annex") and (not rest or not rest[0].isupper()):
        return None
    if re.search(r"[.;,]$", title) and len(title) > 60:
        return None  # a numbered sentence, not a title
    # A numbered list: the next line is another item of the same style, with no blank line between them.
    if idx + 1 < len(lines) and lines[idx + 1].strip():
        nxt = parse_numbering(clean_title(lines[idx + 1].strip()))
        if nxt is not None and nxt.style == num.style:
            return None
    return num


def _plain_title(lines: tuple[str, ...], idx: int) -> str | None:
    """A short line standing alone that is a heading by its look: bold-only, or in capitals."""
    s = lines[idx].strip()
    if not _alone(lines, idx) or (idx + 1 < len(lines) and lines[idx + 1].strip()):
        return None
    if _is_generic_table_row(lines[idx]) or _LIST_ITEM_RE.match(lines[idx]):
        return None
    title = clean_title(s)
    if not title or len(title) > 120 or title.lower() in _NOT_TITLES:
        return None
    segs, rest = _bold_segments(s)
    if segs and not rest and _heading_like(s, explicit=False):
        return title
    letters = [c for c in title if c.isalpha()]
    if len(letters) >= 4 and len(title.split()) >= 2 and all(c.isupper() for c in letters) and not re.search(r"[.;,]$", title):
        return title
    return None


def _scan_generic(lines: tuple[str, ...]) -> list[Heading]:
    heads: list[Heading] = []
    explicit: list[tuple[int, Heading]] = []  # (markdown level, heading)
    for idx, raw in enumerate(lines):
        s = raw.strip()
        if not s:
            continue
        ln = idx + 1
        m = _MD_HEADING_RE.match(s)
        if m:
            title = clean_title(m.group(2))
            if not title or not _has_letter(title):
                continue
            num = parse_numbering(title)
            h = Heading(ln, title, style=num.style if num else "none", number=num.number if num else ())
            explicit.append((len(m.group(1)), h))
            heads.append(h)
            continue
        num = _numbered_heading(lines, idx)
        if num is not None:
            title = clean_title(s)
            heads.append(Heading(ln, title, style=num.style, number=num.number))
            continue
        title = _plain_title(lines, idx)
        if title:
            heads.append(Heading(ln, title))
    # Explicit headings are containers ranked by level; a level whose headings carry decimal numbers of several
    # depths ("1." and "1.1" both `#`) ranks the deeper ones just below (fractions keep the next level below them).
    shallowest: dict[int, int] = {}
    for level, h in explicit:
        if h.style == "dec":
            shallowest[level] = min(shallowest.get(level, 9), len(h.number))
    for level, h in explicit:
        extra = len(h.number) - shallowest[level] if h.style == "dec" and level in shallowest else 0
        h.rank = level + 0.1 * min(extra, 9)
    return heads


# ---- plain text (Pas-de-Calais) ------------------------------------------------------------


@dataclass(frozen=True)
class _Anchor:
    pattern: re.Pattern
    title: str
    rank: int
    kind: str = "text"
    lookback: re.Pattern | None = None  # a header line a few lines above that already belongs to the part
    lookback_lines: int = 0
    heading_until: re.Pattern | None = None  # the heading block runs until this line (included)
    fiche_container: bool = False
    axis: int | None = None


def _rx(p: str) -> re.Pattern:
    return re.compile(p)


# The parts of the deliberation bundle and the blocks that have no heading line of their own (their
# title is the one the bundle's tables of contents and articles give them). Matched on stripped lines.
_PLAIN_PARTS = [
    _Anchor(_rx(r"^DELIBERATION DE LA COMMISSION PERMANENTE"),
            "Délibération de la Commission permanente du Conseil départemental du 15 avril 2024", 1,
            lookback=_rx(r"^DEPARTEMENT DU PAS-DE-CALAIS$"), lookback_lines=4),
    _Anchor(_rx(r"^Convention départementale au titre du Pacte des solidarités"),
            "Contrat local des solidarités 2024-2027 – Convention départementale au titre du Pacte des solidarités",
            1, lookback=_rx(r"^Imputation budgétaire$"), lookback_lines=14),
    _Anchor(_rx(r"^CONVENTION DÉPARTEMENTALE POUR L.INSERTION ET L.EMPLOI"),
            "Convention départementale pour l'insertion et l'emploi dans le cadre de la réforme France Travail 2024",
            1),
    _Anchor(_rx(r"^RAPPORT N°\s*\d+"),
            "Rapport n°38 du Président du Conseil départemental à la Commission permanente du 15 avril 2024", 1,
            lookback=_rx(r"^DEPARTEMENT DU PAS-DE-CALAIS$"), lookback_lines=6),
]
_PLAIN_BLOCKS = [
    _Anchor(_rx(r"^ANNEXES RELATIVES AUX \d+ AXES"),
            "Annexes relatives aux 3 axes dans le champ des solidarités (sommaire)", 2,
            heading_until=_rx(r"^DANS LE CHAMP DES SOLIDARITÉS")),
    _Anchor(_rx(r"^Axes de la$"), "Annexe 3 – Tableaux budgétaires", 2, kind="table"),
    _Anchor(_rx(r"^Thématique Indicateur$"), "Annexe 4 – Tableau des indicateurs nationaux", 2, kind="table"),
    _Anchor(_rx(r"^PLAN D.ACTION ET FICHES ACTIONS"),
            "Annexe 1 – Plan d'action et fiches actions (insertion et emploi)", 2, kind="table",
            fiche_container=True, axis=2),
    _Anchor(_rx(r"^PLAFOND DEPARTEMENT"),
            "Annexe 2 – Plan de financement (volets 1, 2 et 3)", 2, kind="table"),
    _Anchor(_rx(r"^Nature de la dépense Unité"),
            "Annexe 3 – État des dépenses de la contractualisation pour l'insertion et l'emploi 2024", 2,
            kind="table"),
    _Anchor(_rx(r"^Convention relative à la$"),
            "Annexe 5 – Convention relative à la coopération entre l'État, France Travail et le Conseil "
            "départemental du Pas-de-Calais", 2, heading_until=_rx(r"France Travail\)\s*$")),
]

_FICHE_HEAD_RE = re.compile(r"^Action\s+(\d)\.(\d)$")
_FICHE_TITLE_RE = re.compile(r"^Action\s+\d[.,]\d\s+(.*)$")
_SUBACTION_RE = re.compile(r"^Action\s+(\d{1,2})\s*:\s*(.*)$")
_PLAIN_ANNEX_RE = re.compile(r"^(?:ANNEXE|Annexe)\s+(?P<num>\d{1,2})\s*(?:-|–|—|:)+\s*(?P<rest>\S.*)$")
_BARE_ANNEX_RE = re.compile(r"^(?:ANNEXE|Annexe)\s+\d{1,2}$")
_AXE_LINE_RE = re.compile(r"^Axe\s+(\d)\s+\S")

# Rubrics of a fiche action, in their usual order (normalised: lower case, straight apostrophes).
_RUBRIC_GROUPS = {
    "territoire": ["public cible", "pilotage", "co-financeurs", "partenaires impliqués",
                   "points de vigilance éventuels"],
    "suivi-évaluation": ["indicateurs de réalisation", "indicateurs d'impact"],
}
_RUBRICS = {
    "constats et enjeux": "Constats et enjeux",
    "objectifs": "Objectifs",
    "description de l'action": "Description de l'action",
    "territoire": "Territoire",
    "suivi-évaluation": "Suivi-évaluation",
    "budget de l'action": "Budget de l'action",
    "indicateurs cibles (référentiel national)": "Indicateurs cibles (référentiel national)",
}
_TABLE_RUBRICS = {"budget de l'action", "indicateurs cibles (référentiel national)"}


def _norm(s: str) -> str:
    return _WS_RE.sub(" ", s.replace("’", "'").strip()).rstrip(" :*").lower()


def _is_numeric_line(s: str) -> bool:
    return bool(re.fullmatch(r"[\d\s.,€%]+", s))


def _plain_artefacts(lines: tuple[str, ...]) -> set[int]:
    """Page numbers (a lone number between text lines), running 'ANNEXE 2' labels, lines without any letter or digit."""
    out = set()
    for idx, raw in enumerate(lines):
        s = raw.strip()
        if not s:
            continue
        if _is_artefact_text(s) or _BARE_ANNEX_RE.match(s):
            out.add(idx + 1)
        elif re.fullmatch(r"\d{1,3}", s):
            p = _prev_nonblank(lines, idx - 1) if idx > 0 else None
            n = _next_nonblank(lines, idx + 1)
            if (p is None or not _is_numeric_line(lines[p].strip())) and (
                n is None or not _is_numeric_line(lines[n].strip())
            ):
                out.add(idx + 1)
    return out


def _continue_title(lines: tuple[str, ...], idx: int, title: str, max_lines: int = 6) -> tuple[str, int]:
    """Hard-wrapped heading: join the following lines while the title is visibly unfinished.

    idx is the 0-based index of the heading line; returns the title and the heading's last line (1-based)."""
    j = idx
    # A long first line is often a title cell followed by its description: only a short tail may follow.
    long_first = len(lines[idx].strip()) > 90
    for _ in range(max_lines):
        if _TERMINAL_RE.search(title):
            break
        k = _next_nonblank(lines, j + 1, limit=3)
        if k is None:
            break
        nxt = lines[k].strip()
        if not nxt or len(nxt) > 90 or (long_first and len(nxt) > 40):
            break
        ok = nxt[0].islower() or nxt[0] in "«(" or (nxt[0].isdigit() and len(nxt) < 30)
        if not ok and not (nxt[0].isupper() and _FUNCTION_WORD_END_RE.search(title) and not long_first):
            break
        title = title.rstrip() + ("" if title.endswith("-") else " ") + nxt
        j = k
    return title, j + 1


def _scan_plain(lines: tuple[str, ...], artefacts: set[int]) -> tuple[list[Heading], set[int]]:
    heads: list[Heading] = []
    extra_heading_lines: set[int] = set()
    n = len(lines)
    stripped = [ln.strip() for ln in lines]
    used_blocks: set[int] = set()
    toc: dict[int, str] = {}
    part_seen = 0
    in_fiche = False
    rubric: str | None = None
    seen_description = False
    seen_rubrics: set[str] = set()
    block_kind = "text"  # kind of the current rank-2 block: no numbered headings inside tables
    fiche_container = False
    in_proposition = False
    idx = 0

    def push(h: Heading) -> None:
        heads.append(h)

    while idx < n:
        s = stripped[idx]
        ln = idx + 1
        if not s or ln in artefacts:
            idx += 1
            continue

        # Parts of the bundle.
        part = next((a for a in _PLAIN_PARTS if a.pattern.match(s)), None)
        if part:
            start = ln
            if part.lookback:
                for j in range(idx - 1, max(-1, idx - 1 - part.lookback_lines), -1):
                    if part.lookback.match(stripped[j]):
                        start = j + 1
                        break
            if heads and heads[-1].line >= start:
                start = ln
            end = ln
            nxt = _next_nonblank(lines, idx + 1, limit=3)
            if nxt is not None and stripped[nxt].isupper() and len(stripped[nxt]) < 80:
                end = nxt + 1  # "DU CONSEIL DEPARTEMENTAL", "ANNÉE 2024", "DE LA RÉFORME FRANCE TRAVAIL"
            push(Heading(start, part.title, rank=1, end=end))
            extra_heading_lines.update(range(start, end + 1))
            part_seen += 1
            in_fiche = False
            rubric = None
            block_kind = "text"
            fiche_container = False
            in_proposition = False
            idx = end
            continue

        # Blocks without a heading of their own (first occurrence only).
        block = next(
            (a for i, a in enumerate(_PLAIN_BLOCKS) if i not in used_blocks and a.pattern.match(s)), None
        )
        if block and part_seen:
            used_blocks.add(_PLAIN_BLOCKS.index(block))
            end = ln
            if block.heading_until:
                for j in range(idx, min(n, idx + 15)):
                    if block.heading_until.search(stripped[j]):
                        end = j + 1
                        break
            push(Heading(ln, block.title, rank=2, end=end, kind=block.kind, axis=block.axis))
            extra_heading_lines.update(range(ln, end + 1))
            in_fiche = False
            rubric = None
            block_kind = block.kind
            fiche_container = block.fiche_container
            idx = end
            continue

        # Annex headings with a title; a run of them is a table of contents, not headings.
        m = _PLAIN_ANNEX_RE.match(s)
        if m:
            following = []
            j = idx
            for _ in range(3):
                j2 = _next_nonblank(lines, j + 1)
                if j2 is None:
                    break
                following.append(stripped[j2])
                j = j2
            title = f"Annexe {int(m['num'])} – {clean_title(m['rest'])}"
            if any(_PLAIN_ANNEX_RE.match(f) for f in following):
                toc[int(m["num"])] = title
                idx += 1
                continue
            kind = "table" if re.search(r"\btableau", title, re.I) else "text"
            push(Heading(ln, title, rank=2, kind=kind))
            in_fiche = False
            rubric = None
            block_kind = kind
            fiche_container = False
            idx += 1
            continue

        # A fiche action: a bare "Action 1.2" page label, then "Axe …", "Action 1.2 <title>", "Fiche-action".
        m = _FICHE_HEAD_RE.match(s)
        if m:
            window = [j for j in range(idx + 1, min(n, idx + 30)) if stripped[j]][:8]
            fa = next((j for j in window if _norm(stripped[j]) == "fiche-action"), None)
            if fa is not None:
                num = f"{m[1]}.{m[2]}"
                title_parts = []
                for j in window:
                    if j >= fa:
                        break
                    tm = _FICHE_TITLE_RE.match(stripped[j])
                    if tm:
                        title_parts = [tm.group(1)]
                    elif title_parts:
                        title_parts.append(stripped[j])
                fiche_title = clean_title(" ".join(title_parts))
                end = fa + 1
                nxt = _next_nonblank(lines, fa + 1, limit=3)
                if nxt is not None and _norm(stripped[nxt]) == "présentation de l'action":
                    end = nxt + 1
                if not fiche_container:
                    # The bundle's fiches have no annex heading: the table of contents names it.
                    title = next((t for t in toc.values() if re.search(r"fiche", t, re.I)), "Fiches action")
                    push(Heading(ln, title, rank=2))
                    fiche_container = True
                push(Heading(ln, f"Action {num} {fiche_title}".strip(), rank=3, end=end, axis=int(m[1])))
                extra_heading_lines.update(range(ln, end + 1))
                in_fiche = True
                rubric = None
                seen_rubrics = set()
                seen_description = False
                block_kind = "text"
                idx = end
                continue

        if in_fiche:
            key = _norm(s)
            group_of_member = next((g for g, members in _RUBRIC_GROUPS.items() if key in members), None)
            if group_of_member and group_of_member not in seen_rubrics and rubric not in _RUBRIC_GROUPS:
                key = group_of_member  # a group whose first label is missing ("Pilotage" without "Territoire")
                s_label = s.rstrip(" :")
            else:
                s_label = None
            if key in _RUBRICS and not (key == "objectifs" and (seen_description or rubric == "objectifs")):
                title = s_label or _RUBRICS[key]
                end = ln
                if key in _RUBRIC_GROUPS:
                    found = []
                    j = idx + 1
                    while j < n:
                        k2 = _norm(stripped[j])
                        if k2 in _RUBRICS and k2 != key:
                            break
                        if k2 in _RUBRIC_GROUPS[key]:
                            found.append(stripped[j].rstrip(" :"))
                            extra_heading_lines.add(j + 1)
                        j += 1
                    title = " – ".join([title] + [f for f in found if _norm(f) != _norm(title)])
                if key == "description de l'action":
                    nxt = _next_nonblank(lines, idx + 1, limit=3)
                    if nxt is not None and _norm(stripped[nxt]) == "modalités de mise en œuvre":
                        end = nxt + 1
                kind = "table" if key in _TABLE_RUBRICS else "text"
                push(Heading(ln, title, rank=4, end=end, kind=kind))
                extra_heading_lines.update(range(ln, end + 1))
                rubric = key
                seen_rubrics.add(key)
                if key == "description de l'action":
                    seen_description = True
                idx = end
                continue
            m = _SUBACTION_RE.match(s)
            if m and rubric == "description de l'action":
                title, end = _continue_title(lines, idx, clean_title(s))
                push(Heading(ln, title, rank=5, end=end))
                extra_heading_lines.update(range(ln, end + 1))
                idx = end
                continue
            idx += 1
            continue

        # Outside fiches: "Axe N …" rows of the actions table, articles, numbered sections.
        m = _AXE_LINE_RE.match(s)
        if m:
            push(Heading(ln, clean_title(s), kind=block_kind))
            idx += 1
            continue
        if block_kind == "table":
            idx += 1
            continue
        m = _ARTICLE_RE.match(s)
        if m:
            rest = clean_title(m["rest"] or "")
            title = f"ARTICLE {m['num']} – {rest}" if rest else f"Article {m['num']}"
            push(Heading(ln, title, style="article", number=(int(m["num"]),)))
            idx += 1
            continue
        if s in ("PRÉAMBULE", "PREAMBULE"):
            push(Heading(ln, s))
            idx += 1
            continue
        if s in ("Contenu", "Financement"):  # sub-headings of the report's numbered parts
            push(Heading(ln, s, attach_to=("dec", 1)))
            idx += 1
            continue
        num = parse_numbering(clean_title(s)) if re.match(r"^\d", s) else None
        if num and num.style in ("dec", "lower") and len(s) <= 160:
            title, end = _continue_title(lines, idx, clean_title(s))
            h = Heading(ln, clean_title(title), style=num.style, number=num.number, end=end)
            if num.style == "dec" and len(num.number) == 1:
                in_proposition = bool(re.search(r"Proposition de contractualisation", title))
            elif num.style == "dec" and in_proposition and 1 <= num.number[0] <= 4:
                h.axis = num.number[0]  # the report lists the contract's actions by their number X.Y (axis X)
            push(h)
            extra_heading_lines.update(range(ln, end + 1))
            idx = end
            continue
        idx += 1
    return heads, extra_heading_lines


# ---- footnotes -----------------------------------------------------------------------------

_NOTE_LINE_RE = re.compile(r"^\s*<sup>\s*(\d+)\s*</sup>\s*(\S.*)$")
_NOTE_CALL_RE = re.compile(r"<sup>\s*(\d+)\s*</sup>")


def _footnotes(lines: tuple[str, ...]) -> tuple[list[Footnote], dict[int, list[str]]]:
    notes: list[Footnote] = []
    refs: dict[int, list[str]] = {}
    for idx, raw in enumerate(lines):
        m = _NOTE_LINE_RE.match(raw)
        body = raw
        if m:
            notes.append(Footnote(m.group(1), idx + 1, clean_title(m.group(2))))
            body = m.group(2)
        calls = _NOTE_CALL_RE.findall(body)
        if calls:
            refs[idx + 1] = calls
    return notes, refs


# --------------------------------------------------------------------------------------------
# Analysis and tree building
# --------------------------------------------------------------------------------------------


_CACHE: dict[int, tuple[Document, Layout]] = {}


def analyze(doc: Document) -> Layout:
    """Line-level analysis of a document (headings, artefacts, tables, footnotes), cached per Document object.

    The cache is by identity: hashing a Document hashes all its lines, which is too slow for a per-line lookup."""
    hit = _CACHE.get(id(doc))
    if hit is not None and hit[0] is doc:
        return hit[1]
    layout = _analyze(doc)
    if len(_CACHE) >= 32:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(doc)] = (doc, layout)
    return layout


def _analyze(doc: Document) -> Layout:
    lines = doc.lines
    kind = layout_of(doc)
    extra: set[int] = set()
    if kind == "markdown":
        heads, consumed = _scan_markdown(lines)
        extra |= consumed
        artefacts = _markdown_artefacts(lines)
    elif kind == "slides":
        heads = _scan_slides(lines)
        artefacts = _markdown_artefacts(lines)
    elif kind == "generic":
        heads = _scan_generic(lines)
        artefacts = _markdown_artefacts(lines)
    else:
        artefacts = _plain_artefacts(lines)
        heads, extra = _scan_plain(lines, artefacts)
    heading_lines = set(extra)
    for h in heads:
        heading_lines.update(range(h.line, h.end + 1))
    table_rows: set[int] = set()
    if kind != "plain":
        is_row = _is_generic_table_row if kind == "generic" else _is_table_row
        table_rows = {i + 1 for i, raw in enumerate(lines) if is_row(raw) and raw.strip()}
        table_rows |= _html_table_lines(lines)
    notes, refs = _footnotes(lines) if kind != "plain" else ([], {})
    return Layout(
        layout=kind,
        headings=heads,
        heading_lines=frozenset(heading_lines),
        artefacts=frozenset(artefacts),
        table_rows=frozenset(table_rows),
        footnotes=notes,
        footnote_refs=refs,
    )


def _value_tuple(h: Heading) -> tuple[int, ...] | None:
    return h.number if h.style in ("dec", "roman", "article") else None


def _build(doc: Document, heads: list[Heading]) -> Section:
    root = Section(doc_id=doc.doc_id, title=doc.title, path=[], level=0, line_start=1, line_end=len(doc.lines))
    stack: list[tuple[Section, Heading | None]] = [(root, None)]
    heading_of: dict[int, Heading] = {}

    def push(h: Heading) -> None:
        parent = stack[-1][0]
        sec = Section(
            doc_id=doc.doc_id,
            title=h.title,
            path=parent.path + [h.title],
            level=parent.level + 1,
            line_start=h.line,
            line_end=h.line,
            kind=h.kind,
        )
        parent.children.append(sec)
        heading_of[id(sec)] = h
        stack.append((sec, h))

    def base() -> int:
        """Index in the stack of the innermost structural container (ranked heading or root)."""
        for j in range(len(stack) - 1, 0, -1):
            if stack[j][1].rank is not None:
                return j
        return 0

    for h in heads:
        if h.rank is not None:
            while len(stack) > 1 and (stack[-1][1].rank is None or stack[-1][1].rank >= h.rank):
                stack.pop()
            push(h)
            continue
        b = base()
        if h.attach_to is not None:
            j = next((j for j in range(len(stack) - 1, b, -1) if stack[j][1].style_key == h.attach_to), b)
            del stack[j + 1:]
            push(h)
            continue
        # Unnumbered headings never nest inside each other, and numbered headings never nest inside them.
        while len(stack) - 1 > b and stack[-1][1].style == "none":
            stack.pop()
        if h.style == "none":
            push(h)
            continue
        if h.style == "dec" and len(h.number) >= 2:
            prefix = h.number[:-1]
            j = next((j for j in range(len(stack) - 1, b, -1) if _value_tuple(stack[j][1]) == prefix), None)
            if j is not None:
                del stack[j + 1:]
                push(h)
                continue
        j = next((j for j in range(len(stack) - 1, b, -1) if stack[j][1].style_key == h.style_key), None)
        if j is not None:
            other = stack[j][1]
            restart = h.number[-1:] == (1,) and other.number[:-1] == h.number[:-1] and other.number[-1:] >= (1,)
            if restart and other.number != h.number:
                push(h)  # numbering starts again: a nested list of the section above
            else:
                del stack[j:]
                push(h)
            continue
        push(h)

    def finalize(sec: Section, end: int, inherited: int | None) -> None:
        sec.line_end = end
        h = heading_of.get(id(sec))
        axis = inherited
        if axis is None and h is not None:
            axis = h.axis if h.axis is not None else axis_from_title(h.title)
        sec.axis = axis
        for i, child in enumerate(sec.children):
            nxt = sec.children[i + 1].line_start - 1 if i + 1 < len(sec.children) else end
            finalize(child, max(nxt, child.line_start), axis)

    finalize(root, len(doc.lines), None)
    return root


def parse_document(doc: Document) -> Section:
    """The section tree of a document: a root (path [], the whole file) whose children are its top sections."""
    return _build(doc, analyze(doc).headings)


# --------------------------------------------------------------------------------------------
# Debug printer: python -m assistant.parsing corpus/FILE
# --------------------------------------------------------------------------------------------


def _find_document(path: Path) -> Document:
    from .corpus import load_corpus
    from .errors import InvalidInput

    # A shipped document sits beside the manifest; an added one two folders below it (user/<doc_id>/).
    for folder in path.resolve().parents[:3]:
        if (folder / "manifest.yaml").exists() and not (folder.name == "user" or folder.parent.name == "user"):
            for doc in load_corpus(folder).values():
                if doc.path.resolve() == path.resolve():
                    return doc
    raise InvalidInput(f"{path} n'est pas un document du manifeste de son corpus.")


def format_tree(root: Section) -> str:
    out = []
    for sec in root.walk():
        if sec is root:
            out.append(f"[{sec.line_start}-{sec.line_end}] {sec.title}")
            continue
        tags = []
        if sec.axis:
            tags.append(f"axe {sec.axis}")
        if sec.kind != "text":
            tags.append(sec.kind)
        tag = f"  ({', '.join(tags)})" if tags else ""
        out.append(f"{'  ' * sec.level}[{sec.line_start}-{sec.line_end}] {sec.title}{tag}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("Usage : python -m assistant.parsing corpus/FICHIER", file=sys.stderr)
        return 2
    from .errors import PacteError

    try:
        for arg in args:
            print(format_tree(parse_document(_find_document(Path(arg)))))
    except PacteError as exc:
        print(f"Erreur : {exc.message}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
