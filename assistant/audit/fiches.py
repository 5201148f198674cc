"""Fiches action: the block of a document that describes one action.

A fiche starts with a heading naming the action by its number (« Action 1.2 Pack jeune … »,
« Fiche action n° 1.2 – … », « ## Fiche action 1.2 : … ») followed, within a few lines, by the words of
a fiche (« Fiche-action », « Objectifs », « Budget de l'action »…), and runs to the next fiche or to the
next table of actions. What is read in it:

- its title and every action number written in its heading lines (a fiche labelled 3.4 whose title says
  « Action 2.4 » is reported);
- the « Axe … » line of its heading;
- its sub-budgets (« volets »): each « Montant : 300 000 € » line, named after the sub-action heading
  above it (« Action 1 : Renforcement du coach Jeunesse »);
- the status words of its « Date de mise en place » lines;
- its public (« Public cible ») and its budget table (read by tables.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .source import SourceDocument
from .tables import Table, axis_of
from .text import Amount, amounts_in, bare_amount, collapse, norm
from .vocabulary import vocabulary

_HEAD_RE = re.compile(
    r"^\W{0,6}(?P<fiche>fiche[- ]action|fiche)?\s*(?:n[°o]\s*)?(?(fiche)\s*|action\s+)"
    r"(?P<a>[1-9])[.,](?P<b>\d{1,2})(?!\d)\s*(?:[:\-–—.]\s*)?(?P<title>.*)$",
    re.I,
)
_LABEL_RE = re.compile(r"^\W{0,6}action\s+([1-9])[.,](\d{1,2})\s*$", re.I)
_SUBACTION_RE = re.compile(r"^\W{0,6}(?:action|volet|sous-action|mesure)\s+(\d{1,2})\s*[:\-–—]\s*(.*)$", re.I)
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s")
_MARKER_WINDOW = 12  # non-blank lines after a heading in which the words of a fiche must appear


@dataclass
class Volet:
    label: str
    amount: Amount
    label_line: int  # where the label was read (the sub-action heading, or the amount line)
    excluded: bool = False  # « hors contractualisation »


@dataclass
class Fiche:
    action_id: str
    line_start: int
    line_end: int
    head_end: int  # last line of the heading block
    title: str
    title_lines: tuple[int, int]
    numbers: list[tuple[str, int]]  # every action number written in the heading, with its line
    axis_label: tuple[int, int | None, int | None] | None = None  # (line, number written, axis named)
    volets: list[Volet] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)  # (status, line)
    status_lines: list[int] = field(default_factory=list)  # « Date de mise en place » lines read
    public: str = ""
    public_lines: tuple[int, int] | None = None
    budget: Table | None = None

    def status(self) -> tuple[str | None, str | None]:
        """(status, note): one status for the action from its lines, or None with the reason."""
        found = {s for s, _ in self.statuses}
        if not found:
            if self.status_lines:
                return None, "statut non indiqué (la date de mise en place ne dit pas si l'action est nouvelle ou renforcée)"
            return None, "statut non indiqué dans la fiche"
        if len(found) == 1:
            return found.pop(), None
        if "renforcee" in found:
            return "renforcee", None  # a reinforced part makes the action reinforced (its new parts included)
        return None, "statuts différents selon les volets de la fiche (" + ", ".join(sorted(found)) + ")"


def _plain(text: str) -> str:
    """A line without its markdown heading marks and emphasis: « **Axe 1 – …** » -> « Axe 1 – … »."""
    return _MD_HEADING_RE.sub("", text.strip()).strip("*_ ").replace("**", "")


def _axis_line(text: str):
    t = _plain(text)
    return axis_of(t) if t.lower().startswith(("axe", "pilier")) else None


def _is_heading(lines: list[str], idx: int) -> re.Match | None:
    s = lines[idx].strip()
    if not s or len(s) > 200:
        return None
    body = _MD_HEADING_RE.sub("", s).strip("*_ ")
    m = _HEAD_RE.match(body)
    if not m:
        return None
    voc = vocabulary()
    if m.group("fiche"):
        return m
    seen = 0
    for j in range(idx + 1, len(lines)):
        t = lines[j].strip()
        if not t:
            continue
        seen += 1
        if seen > _MARKER_WINDOW:
            break
        if voc.fiche_markers.search(norm(t)):
            return m
        if _HEAD_RE.match(_MD_HEADING_RE.sub("", t).strip("*_ ")) and not _LABEL_RE.match(t):
            break
    return None


_CAPS_HEADING_RE = re.compile(r"^[A-ZÀ-Ý0-9 '’,.:;()«»/-]{12,}$")


def find_fiches(doc: SourceDocument, tables: list[Table], boundaries: list[int] = ()) -> list[Fiche]:
    """The fiches of a text document; `boundaries` are lines (1-based) where a fiche must end before
    (the start of a new part of the document)."""
    if doc.rows is not None:
        return []
    lines = list(doc.lines)
    voc = vocabulary()
    heads: list[tuple[int, re.Match]] = []
    idx = 0
    while idx < len(lines):
        m = _is_heading(lines, idx)
        if m and not _LABEL_RE.match(lines[idx].strip()):
            heads.append((idx, m))
        elif m and _LABEL_RE.match(lines[idx].strip()):
            # A bare « Action 1.2 » page label: the fiche's heading is the titled line below it.
            nxt = next((j for j in range(idx + 1, min(len(lines), idx + 8)) if _HEAD_RE.match(lines[j].strip())
                        and not _LABEL_RE.match(lines[j].strip())), None)
            if nxt is None:
                heads.append((idx, m))
        idx += 1
    # The end of a fiche: the next fiche, or the next table of actions outside it.
    boundaries = sorted({t.line_start - 1 for t in tables if t.is_financial} | {b - 1 for b in boundaries})
    fiches = []
    for k, (idx, m) in enumerate(heads):
        start = idx
        numbers = [(f"{m.group('a')}.{int(m.group('b'))}", idx + 1)]
        axis_label = None
        # Lines just above the heading that belong to it: a page label « Action 1.2 », an « Axe … » line.
        j = idx - 1
        looked = 0
        while j >= 0 and looked < 4:
            t = lines[j].strip()
            if not t:
                j -= 1
                continue
            looked += 1
            lm = _LABEL_RE.match(t)
            a = _axis_line(t)
            if lm:
                numbers.insert(0, (f"{lm.group(1)}.{int(lm.group(2))}", j + 1))
                start = j
            elif a is not None:
                axis_label = (j + 1, a[0], a[1])
                start = j
            else:
                break
            j -= 1
        end = heads[k + 1][0] - 1 if k + 1 < len(heads) else len(lines) - 1
        # The next heading's own label lines belong to it.
        if k + 1 < len(heads):
            end = _before_next_head(lines, heads[k + 1][0], end, start)
        later = [b for b in boundaries if b > idx]
        if later and later[0] < end:
            end = later[0] - 1
        # Title: the heading's text and its continuation lines, up to the fiche's first marker.
        title_parts = [m.group("title").strip().strip("*_ ")]
        head_end = idx
        # A markdown heading is its own title; a PDF heading may wrap onto the next lines.
        continued = not _MD_HEADING_RE.match(lines[idx].strip())
        for j in range(idx + 1, min(end + 1, idx + 8)):
            t = lines[j].strip()
            if not t:
                continue
            if not continued or voc.fiche_markers.search(norm(t)) or _axis_line(t) is not None:
                break
            title_parts.append(t)
            head_end = j
        title = collapse(" ".join(p for p in title_parts if p)).strip(" :-–")
        # An « Axe … » line just below the heading (or its title lines) names the fiche's axis.
        for j in range(idx + 1, min(end + 1, head_end + 6)):
            if axis_label is not None:
                break
            t = lines[j].strip()
            if not t:
                continue
            a = _axis_line(t)
            if a is not None:
                axis_label = (j + 1, a[0], a[1])
                break
            if j > head_end and not voc.fiche_markers.search(norm(t)):
                break
        fiche = Fiche(
            action_id=numbers[0][0],
            line_start=start + 1,
            line_end=end + 1,
            head_end=head_end + 1,
            title=title,
            title_lines=(idx + 1, head_end + 1),
            numbers=numbers,
            axis_label=axis_label,
        )
        fiche.budget = next((t for t in tables if fiche.line_start <= t.line_start <= fiche.line_end
                             and not t.is_financial and t.year_rows), None)
        if k + 1 == len(heads) and fiche.budget is not None:
            # The last fiche of a series: it ends at the first heading in capitals after its budget.
            for j in range(fiche.budget.line_end, fiche.line_end):
                if _CAPS_HEADING_RE.match(lines[j].strip()) and len(lines[j].split()) >= 2:
                    fiche.line_end = j
                    break
        _read_body(doc, fiche)
        fiches.append(fiche)
    return fiches


def _before_next_head(lines: list[str], next_idx: int, end: int, start: int) -> int:
    j = next_idx - 1
    looked = 0
    while j > start and looked < 4:
        t = lines[j].strip()
        if not t:
            j -= 1
            continue
        looked += 1
        if _LABEL_RE.match(t) or _axis_line(t) is not None:
            end = j - 1
            j -= 1
            continue
        break
    return end


_MONTANT_RE = re.compile(r"^(?P<label>[^:]{2,40}?)\s*:\s*(?P<rest>.*)$")
_INLINE_MONTANT_RE = re.compile(r"(?<=[\s.;,(])(?:montant|budget|coût|cout)\s*:\s*\d", re.I)
# List bullets a PDF leaves at the start of a line: « o », « - », « • », private-use glyphs.
_BULLET_RE = re.compile(r"^(?:[o•▪◦\-–—*]\s+|[^\w\s(«]+\s*)+")


def _unbullet(text: str) -> str:
    return _BULLET_RE.sub("", text.strip())


def _read_body(doc: SourceDocument, fiche: Fiche) -> None:
    voc = vocabulary()
    lines = doc.lines
    sub_label: tuple[str, int] | None = None
    used_labels: set[int] = set()
    in_public = False
    public: list[int] = []
    for i in range(fiche.head_end, fiche.line_end):
        raw = lines[i]
        s = raw.strip()
        if not s:
            continue
        n = norm(s)
        sm = _SUBACTION_RE.match(_unbullet(s))
        if sm:
            text = sm.group(2).strip()
            if not text:  # « Action 2 : » with its text on the next lines
                nxt = next((lines[j].strip() for j in range(i + 1, min(fiche.line_end, i + 6)) if lines[j].strip()), "")
                text = nxt if not _MONTANT_RE.match(_unbullet(nxt)) else ""
            cut = _INLINE_MONTANT_RE.search(text)
            if cut is not None:
                text = text[: cut.start()].rstrip(" .;,")
            sub_label = (collapse(f"Action {sm.group(1)} : {text}".rstrip(" :")), i + 1)
        m = _MONTANT_RE.match(_unbullet(s))
        if not (m and norm(m.group("label")) in voc.volet_labels):
            # « - Action 1 : équipes mobiles … Montant : 50 000 €. »: the amount at the end of a sub-action line
            inline = _INLINE_MONTANT_RE.search(raw)
            if inline is not None and sm:
                m = _MONTANT_RE.match(_unbullet(raw[inline.start():]))
        if m and norm(m.group("label")) in voc.volet_labels:
            rest = m.group("rest")
            found = amounts_in(raw, i + 1)
            if not found:
                bare = re.match(r"\s*([\d  ]+\d)(?:\s*(?:€|euros?))?\s*(?:$|\()", rest)
                amount = bare_amount(bare.group(1), i + 1, raw.index(bare.group(1), raw.index(":"))) if bare else None
                found = [amount] if amount is not None else []
            excluded = bool(voc.volet_excluded.search(n))
            for k, amount in enumerate(found):
                tail = raw[amount.end: found[k + 1].start if k + 1 < len(found) else len(raw)]
                tail = collapse(tail).strip(" ,;.")
                if sub_label is not None and sub_label[1] not in used_labels and len(found) == 1:
                    label, label_line = sub_label
                    used_labels.add(label_line)
                elif len(tail.split()) >= 2:
                    label, label_line = tail, i + 1
                else:
                    label, label_line = fiche.title, fiche.title_lines[0]
                fiche.volets.append(Volet(label, amount, label_line, excluded))
        if voc.status_labels.search(n):
            text = n
            if i + 1 < fiche.line_end:
                text += " " + norm(lines[i + 1])
            fiche.status_lines.append(i + 1)
            for status, rx in voc.statuses:
                if rx.search(text):
                    fiche.statuses.append((status, i + 1))
                    break
        label_only = voc.public_labels.fullmatch(n.split(" :")[0].rstrip(" :"))
        if label_only and not public and not in_public:
            in_public = True
            rest = s.split(":", 1)[1].strip() if ":" in s else ""
            if rest:
                public.append(i)
            continue
        if in_public:
            if voc.rubric_labels.match(n) or len(public) >= 12:
                in_public = False
            else:
                public.append(i)
    if public:
        fiche.public = collapse(" ".join(lines[i].strip() for i in public))
        fiche.public_lines = (public[0] + 1, public[-1] + 1)
