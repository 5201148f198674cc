"""The structure of a contract document, read once: parts, territories, tables, fiches, indicator
tables and the sentences that state amounts.

    structure = read_structure(doc)      # doc: source.SourceDocument
    structure.tables, structure.fiches, structure.statements, structure.sections …

Parts: a bundle may hold a deliberation, one or several conventions and a report. A convention starts
with its title followed by « Entre » (the parties); amounts stated in one convention are never compared
with the tables of another.

Territory sections: a regional summary has a heading per territory (« ## Département du Doubs »); each
section is a contract of its own.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from .fiches import Fiche, find_fiches
from .source import SourceDocument
from .tables import Table, axis_of, find_tables
from .text import ACTION_ID_RE, Amount, Percent, action_id, amounts_in, collapse, norm, percents_in, years_in
from .vocabulary import vocabulary

# ---------------------------------------------------------------------------------------------
# Parts of a bundle


@dataclass
class Part:
    kind: str  # convention | deliberation | rapport | document
    title: str
    line_start: int
    line_end: int


def find_parts(doc: SourceDocument) -> list[Part]:
    voc = vocabulary()
    lines = doc.lines
    starts: list[tuple[int, str, str]] = []
    for i, raw in enumerate(lines):
        s = raw.strip().lstrip("#* ").rstrip("*")
        if not s or len(s) > 120:
            continue
        n = norm(s)
        for kind, rx in voc.part_heads:
            if not rx.match(n):
                continue
            if kind == "convention":
                following = [lines[j].strip() for j in range(i + 1, min(len(lines), i + 40)) if lines[j].strip()][:12]
                if not any(norm(t).rstrip(" :,") == "entre" for t in following):
                    continue
            elif len(s.split()) > 12:
                continue
            starts.append((i + 1, kind, s))
            break
    if not starts:
        return [Part("document", doc.title, 1, len(lines))]
    parts = []
    if starts[0][0] > 1:
        parts.append(Part("document", doc.title, 1, starts[0][0] - 1))
    for k, (line, kind, title) in enumerate(starts):
        end = starts[k + 1][0] - 1 if k + 1 < len(starts) else len(lines)
        parts.append(Part(kind, title, line, end))
    return parts


def part_at(parts: list[Part], line: int) -> Part:
    for p in parts:
        if p.line_start <= line <= p.line_end:
            return p
    return parts[-1]


# ---------------------------------------------------------------------------------------------
# Territories

_TERRITORY_RE = re.compile(
    r"\b(?P<type>D[ÉEée]PARTEMENT|D[ée]partement|Conseil d[ée]partemental|CONSEIL D[ÉE]PARTEMENTAL"
    r"|M[ÉEée]TROPOLE|M[ée]tropole|Eurom[ée]tropole|EUROM[ÉE]TROPOLE)"
    r"(?P<adj>\s+(?:europ[ée]enne|EUROP[ÉE]ENNE))?"
    r"\s+(?P<prep>du|de la|de l['’]|d['’]|des|de|DU|DE LA|DE L['’]|D['’]|DES|DE)\s*"
    r"(?P<name>[A-ZÀ-Ý][\wÀ-ÿ'’]*(?:[ -](?:(?:de|du|des|la|le|les|et|sur|en|l['’]|d['’])[ -]?)?[A-ZÀ-Ý][\wÀ-ÿ'’]*)*)"
)


@dataclass(frozen=True)
class Territory:
    type: str  # departement | metropole
    name: str  # « Département du Pas-de-Calais »
    line: int


def _trim_name(name: str) -> str:
    """The name without the capitalised words that follow it on the line (« … Prévisionnel Année »)."""
    stop = vocabulary().territory_stop_words
    words = name.split(" ")
    kept = [words[0]]
    for w in words[1:]:
        if norm(w) in stop or len(kept) >= 3:
            break
        kept.append(w)
    return " ".join(kept)


def _territory(m: re.Match, line: int) -> Territory:
    kind = "metropole" if "tropole" in norm(m["type"]) else "departement"
    word = {"departement": "Département", "metropole": "Métropole"}[kind]
    if "euro" in norm(m["type"]):
        word = "Eurométropole"
    adj = " européenne" if m["adj"] else ""
    name = _trim_name(m["name"])
    prep = m["prep"].lower().replace("’", "'")
    if name.isupper():  # « DEPARTEMENT DU PAS-DE-CALAIS »
        name = "-".join(w.capitalize() if w.lower() not in ("de", "du", "des", "la", "le", "sur", "et") else w.lower()
                        for w in name.lower().split("-"))
        name = " ".join(w[:1].upper() + w[1:] for w in name.split(" "))
    sep = "" if prep.endswith("'") else " "
    return Territory(kind, f"{word}{adj} {prep}{sep}{name}", line)


def name_key(name: str) -> str:
    """« Département du Pas-de-Calais » and « Département du Pas de Calais » are the same territory."""
    return norm(name).replace("-", " ")


def territory_mentions(doc: SourceDocument) -> list[Territory]:
    out = []
    lines = doc.lines
    for i, raw in enumerate(lines):
        if "partement" not in raw and "tropole" not in raw and "PARTEMENT" not in raw and "TROPOLE" not in raw:
            continue
        for m in _TERRITORY_RE.finditer(raw):
            nxt_line = next((lines[j].strip() for j in range(i + 1, min(len(lines), i + 4)) if lines[j].strip()), "")
            rest = raw[m.end():].strip()
            cut = re.fullmatch(r"-?|(?:-|\s)*(?:de|du|des|sur|en|la)\s*-?", rest) and (
                raw.rstrip().endswith("-") or rest or re.match(r"^(?:de|du|des|sur|en)[ -][A-ZÀ-Ý]", nxt_line))
            if cut:
                # The name may go on on the next line (« Département du Pas- » / « de-Calais »).
                joined = raw[m.start():].rstrip() + ("" if raw.rstrip().endswith("-") else " ") + nxt_line
                m2 = _TERRITORY_RE.match(joined)
                if m2 and len(m2["name"]) > len(m["name"]):
                    out.append(_territory(m2, i + 1))
                    continue
                if raw.rstrip().endswith("-"):
                    continue  # a cut name that the next line does not complete
            out.append(_territory(m, i + 1))
    return out


@dataclass
class Section:
    territory: Territory
    line_start: int
    line_end: int


def territory_sections(doc: SourceDocument, mentions: list[Territory]) -> list[Section]:
    """Headings that each name a territory (markdown headings, or short lines alone): one section each."""
    heads = []
    for t in mentions:
        s = doc.lines[t.line - 1].strip()
        if not s or len(s) > 90:
            continue
        heading = s.startswith("#") or (len(s.split()) <= 8 and not s.endswith((".", ",", ";")))
        m = _TERRITORY_RE.search(s)
        if not heading or not m or len(collapse(s.lstrip("#* ")[: m.start()])) > 25:
            continue
        heads.append(t)
    names = {name_key(t.name) for t in heads}
    if len(names) < 2:
        return []
    # A territory named in several headings keeps its first one.
    seen, firsts = set(), []
    for t in heads:
        if name_key(t.name) not in seen:
            seen.add(name_key(t.name))
            firsts.append(t)
    sections = []
    for k, t in enumerate(firsts):
        end = firsts[k + 1].line - 1 if k + 1 < len(firsts) else len(doc.lines)
        level = _heading_level(doc.lines[t.line - 1])
        if level:
            # A markdown section ends at the next heading of its level or above (« ## Récapitulatif … »).
            for j in range(t.line, end):
                other = _heading_level(doc.lines[j])
                if other and other <= level:
                    end = j
                    break
        sections.append(Section(t, t.line, end))
    return sections


def _heading_level(line: str) -> int:
    m = re.match(r"^(#{1,6})\s", line.strip())
    return len(m.group(1)) if m else 0


def main_territory(mentions: list[Territory]) -> Territory | None:
    """The territory a single-contract document is about: the one it names most."""
    if not mentions:
        return None
    counts = Counter(name_key(t.name) for t in mentions)
    key = counts.most_common(1)[0][0]
    forms = Counter(t.name for t in mentions if name_key(t.name) == key)
    name = forms.most_common(1)[0][0]
    return next(t for t in mentions if t.name == name)


# ---------------------------------------------------------------------------------------------
# Indicator tables (« Tableau des actions et suivi de leurs indicateurs »)


@dataclass
class Indicator:
    label: str
    label_lines: tuple[int, int]
    values: list  # t0 then one per target year
    value_lines: tuple[int, int] | None
    t0: object = None
    targets: dict = field(default_factory=dict)
    note: str | None = None


@dataclass
class IndicatorBlock:
    action_id: str
    line: int
    indicators: list[Indicator]


_VALUE_LINE_RE = re.compile(r"^[\d\s.,%]+$")
_TRAILING_VALUES_RE = re.compile(r"^(.*?[^\d\s.,%])\s+((?:\d[\d.,%]*\s+)+\d[\d.,%]*)\s*$")
_ID_ROW_RE = re.compile(r"^\W{0,4}action\s+([1-9])[.,](\d{1,2})\s*:?\s*(.*)$", re.I)


def _number(token: str):
    t = token.replace(",", ".")
    try:
        value = Decimal(t.rstrip("%"))
    except Exception:
        return token
    if token.endswith("%"):
        return token.replace(".", ",") if "%" in token else token
    return int(value) if value == value.to_integral_value() else float(value)


def _resolve_values(tokens: list[str], wanted: tuple[int, ...]) -> list | None:
    """Numbers of an indicator row; « 5 000 » split by the PDF is merged back when the count says so."""
    if len(tokens) in wanted:
        return [_number(t) for t in tokens]
    merged = list(tokens)
    while len(merged) > min(wanted):
        for k in range(len(merged) - 1):
            if re.fullmatch(r"\d{1,3}", merged[k]) and re.fullmatch(r"\d{3}", merged[k + 1]):
                merged[k:k + 2] = [merged[k] + merged[k + 1]]
                break
        else:
            return None
        if len(merged) in wanted:
            return [_number(t) for t in merged]
    return None


def find_indicator_blocks(doc: SourceDocument, titles: dict[str, set[str]]) -> list[IndicatorBlock]:
    """Indicator rows grouped under « Action X.Y » lines, below a header with target years."""
    if doc.rows is not None:
        return []
    voc = vocabulary()
    lines = doc.lines
    blocks: list[IndicatorBlock] = []
    i = 0
    n = len(lines)
    while i < n:
        s = norm(" ".join(lines[i:i + 4]))
        if not voc.indicator_t0.match(s) and not (s.startswith(("actions", "indicateur")) and voc.indicator_t0.search(s)):
            i += 1
            continue
        header_end = i
        for j in range(i, min(n, i + 40)):
            if _ID_ROW_RE.match(lines[j].strip()) or axis_of(lines[j].strip()):
                break
            header_end = j
        header = norm(" ".join(lines[i:header_end + 1]))
        targets = [int(y) for y in re.findall(r"cible\w*\s+(?:locale\s+)?(?:en\s+)?(20\d\d)", header)]
        results = len(re.findall(r"resultat", header))
        if len(targets) < 2:
            i += 1
            continue
        wanted = (1 + len(targets), 1 + len(targets) + results)
        j = header_end + 1
        current: IndicatorBlock | None = None
        found_any = False
        while j < n:
            raw = lines[j].strip()
            if not raw:
                j += 1
                continue
            m = _ID_ROW_RE.match(raw)
            if m and not m.group(3).strip().lower().startswith("fiche"):
                # A fiche heading (its « Fiche-action » line follows) ends the table.
                nxt = [lines[k].strip() for k in range(j + 1, min(n, j + 12)) if lines[k].strip()][:4]
                if any(voc.fiche_markers.search(norm(t)) for t in nxt):
                    break
                current = IndicatorBlock(f"{m.group(1)}.{int(m.group(2))}", j + 1, [])
                blocks.append(current)
                found_any = True
                j = _read_indicator_rows(lines, j, current, titles.get(current.action_id, set()), wanted, targets)
                continue
            if axis_of(raw) is not None:
                j += 1
                continue
            if found_any and len(raw) > 120:
                break
            j += 1
            if not found_any and j > header_end + 60:
                break
        i = max(j, i + 1)
    return blocks


def _title_like(text: str, title_words: set[str]) -> bool:
    words = [w for w in re.findall(r"[a-z0-9]+", norm(text)) if len(w) > 2]
    if not words or not title_words:
        return False
    return sum(1 for w in words if w in title_words) >= 0.7 * len(words)


def _read_indicator_rows(lines, j, block: IndicatorBlock, title_words: set[str], wanted, targets) -> int:
    voc = vocabulary()
    n = len(lines)
    first = _ID_ROW_RE.match(lines[j].strip()).group(3).strip()
    in_title = True
    label: list[int] = []
    values: list[str] = []
    value_lines: list[int] = []
    label_text: dict[int, str] = {}  # a label line whose values sit at its end: its words only

    def flush():
        if not label:
            return
        text = collapse(" ".join(label_text.get(k, lines[k].strip()) for k in label))
        ind = Indicator(text, (label[0] + 1, label[-1] + 1), [], (value_lines[0] + 1, value_lines[-1] + 1) if value_lines else None)
        resolved = _resolve_values(values, wanted) if values else None
        if resolved is None:
            ind.note = "valeurs illisibles" if values else "valeurs absentes"
        else:
            if len(resolved) == wanted[1] and wanted[1] != wanted[0]:
                # t0, then target / result pairs: keep the targets.
                resolved = [resolved[0]] + resolved[1::2]
            ind.values = resolved
            ind.t0 = resolved[0]
            ind.targets = dict(zip(targets, resolved[1:]))
        block.indicators.append(ind)

    k = j + 1
    if first and not _title_like(first, title_words) and voc.indicator_starts.match(norm(first)):
        in_title = False
        label = [j]
    while k < n:
        raw = lines[k].strip()
        if not raw:
            k += 1
            continue
        if _ID_ROW_RE.match(raw) or axis_of(raw) is not None or len(raw) > 120:
            break
        if _VALUE_LINE_RE.match(raw) and not ACTION_ID_RE.fullmatch(raw):
            if label:
                values.extend(raw.split())
                value_lines.append(k)
            k += 1
            continue
        trailing = _TRAILING_VALUES_RE.match(raw)
        if trailing and voc.indicator_starts.match(norm(trailing.group(1))):
            # « Livrables des études  0 2 2 3 3 »: a label and its values on one line
            if values or label:
                flush()
                label, values, value_lines = [], [], []
            in_title = False
            label = [k]
            label_text[k] = trailing.group(1)
            values = trailing.group(2).split()
            value_lines = [k]
            k += 1
            continue
        if in_title and (_title_like(raw, title_words) or not voc.indicator_starts.match(norm(raw))) and not label:
            k += 1
            continue
        in_title = False
        if not label and not values and block.indicators and block.indicators[-1].values \
                and not voc.indicator_starts.match(norm(raw)):
            last = block.indicators[-1]
            last.label = collapse(last.label + " " + raw)
            last.label_lines = (last.label_lines[0], k + 1)
            k += 1
            continue
        if values:  # a label after the values of the previous indicator
            if _title_like(raw, title_words):  # the action title, cut by the PDF columns: not an indicator
                k += 1
                continue
            flush()
            label, values, value_lines = [], [], []
            if not voc.indicator_starts.match(norm(raw)) and block.indicators and block.indicators[-1].values:
                # words without values of their own: the end of the previous indicator's label
                last = block.indicators[-1]
                last.label = collapse(last.label + " " + raw)
                last.label_lines = (last.label_lines[0], k + 1)
                k += 1
                continue
        label.append(k)
        k += 1
    flush()
    return k


# ---------------------------------------------------------------------------------------------
# Sentences that state amounts


@dataclass
class Statement:
    kind: str  # "list" (an introduction and its items) | "amount" (one amount with its subject) | "percent"
    line_start: int
    line_end: int
    amount: Amount | None = None
    share: str | None = None
    year: int | None = None
    axis: int | None = None
    items: list[tuple[Amount, int, int]] = field(default_factory=list)  # (amount, first line, last line)
    percent: Percent | None = None
    base: Amount | None = None  # « soit 50 % de 6 685 096 € »
    names_contract: bool = False
    action: str | None = None  # « l'action 1.2 … »


_BULLET_RE = re.compile(r"^\s*(?:[-–—•▪◦*]|o\s|\d{1,2}[.)]\s|[^\w\s«(\"'’]\s?)")
_TERMINAL_RE = re.compile(r"[.;!?]\s*$")


def double_spaced(stripped: list[str]) -> bool:
    """Text extracted from a PDF often has a blank line after every line: blank lines then do not
    separate paragraphs."""
    followed = [stripped[i + 1] == "" for i in range(len(stripped) - 1) if stripped[i]]
    return bool(followed) and sum(followed) > 0.6 * len(followed)


def _hard_stop(s: str) -> bool:
    """A table row or a heading: a sentence never runs across it."""
    return s.startswith(("|", "#")) or s.endswith("|") or s.count("\t") >= 2


def _sentence_bounds(lines, stripped, i: int, limit: int = 5, spaced: bool = True) -> tuple[int, int]:
    """0-based first and last line of the sentence that line i belongs to (PDF lines wrap sentences)."""
    a = i
    for _ in range(limit):
        p = a - 1
        while p >= 0 and not stripped[p]:
            if not spaced:
                p = -1
                break
            p -= 1
        if p < 0 or _hard_stop(stripped[p]) or _TERMINAL_RE.search(stripped[p]) or stripped[p].endswith(":") \
                or _BULLET_RE.match(stripped[a]):
            break
        a = p
    b = i
    for _ in range(limit):
        if _TERMINAL_RE.search(stripped[b]) or stripped[b].endswith(":"):
            break
        q = b + 1
        while q < len(lines) and not stripped[q]:
            if not spaced:
                q = len(lines)
                break
            q += 1
        if q >= len(lines) or _BULLET_RE.match(stripped[q]) or _hard_stop(stripped[q]):
            break
        b = q
    return a, b


def _text(stripped, a: int, b: int) -> str:
    return " ".join(s for s in stripped[a:b + 1] if s)


def _before(stripped, a: int, sentences: int) -> list[tuple[int, int]]:
    """Up to `sentences` sentences ending before line a (0-based bounds, closest first)."""
    out = []
    end = a - 1
    while len(out) < sentences and end >= 0:
        while end >= 0 and not stripped[end]:
            end -= 1
        if end < 0 or _hard_stop(stripped[end]):
            break  # a table or a heading: the sentences before it are about something else
        start = end
        for _ in range(6):
            p = start - 1
            while p >= 0 and not stripped[p]:
                p -= 1
            if p < 0 or _hard_stop(stripped[p]) or _TERMINAL_RE.search(stripped[p]) or stripped[p].endswith(":"):
                break
            start = p
        out.append((start, end))
        end = start - 1
    return out


def _axis_in(text: str) -> int | None:
    voc = vocabulary()
    n = norm(text)
    m = voc.axis_word_re.search(n)
    if not m:
        return None
    if m.group(1):
        return int(m.group(1))
    return voc.named_axis(n[m.end(): m.end() + 120])


_ACTION_REF_RE = re.compile(r"\b(?:action|fiche(?:[- ]action)?)\s+(?:n°\s*)?([1-9])[.,](\d{1,2})\b", re.I)


def find_statements(doc: SourceDocument, table_lines: set[int], fiche_spans: list[tuple[int, int]]) -> list[Statement]:
    """Lists with a stated total, and sentences giving an amount for an axis, the contract or an action."""
    if doc.rows is not None:
        return []
    voc = vocabulary()
    lines = doc.lines
    stripped = [s.strip() for s in lines]
    n = len(lines)
    amounts = [amounts_in(lines[i], i + 1) if "€" in lines[i] or "euro" in lines[i] else [] for i in range(n)]
    spaced = double_spaced(stripped)
    out: list[Statement] = []
    in_list: set[int] = set()
    in_fiche = set()
    for a, b in fiche_spans:
        in_fiche.update(range(a - 1, b))

    # Lists: an introduction ending with « : », then bullet items.
    for i in range(n):
        s = stripped[i]
        if not s.endswith(":") or (i + 1) in table_lines or s.startswith("|"):
            continue
        items = _items_after(stripped, amounts, i)
        if len(items) < 2:
            continue
        a, b = _sentence_bounds(lines, stripped, i, spaced=spaced)
        intro = _text(stripped, a, b)
        intro_amounts = [x for k in range(a, b + 1) for x in amounts[k]]
        context = [intro]
        if not intro_amounts and voc.anaphora.search(norm(intro)):
            for pa, pb in _before(stripped, a, 3):
                found = [x for k in range(pa, pb + 1) for x in amounts[k]]
                context.append(_text(stripped, pa, pb))
                if found:
                    intro_amounts = found[-1:]
                    break
        share = None
        for text in context + [_text(stripped, pa, pb) for pa, pb in _before(stripped, a, 3)]:
            share = voc.first_share(norm(text))
            if share:
                break
        years = years_in(" ".join(context))
        stmt = Statement("list", a + 1, items[-1][2] + 1, share=share, year=years[0] if len(set(years)) == 1 else None)
        stmt.names_contract = _names_contract(stripped, a, b)
        distributes = bool(voc.distribution.search(norm(intro)))
        if len(intro_amounts) == 1 and distributes and all(len(amts) == 1 for amts, _, _ in items):
            stmt.amount = intro_amounts[0]
            stmt.items = [(amts[0], ia + 1, ib + 1) for amts, ia, ib in items]
            out.append(stmt)
        # Each item may give the amount of an axis or of a year (in a fiche, items are about the action).
        for amts, ia, ib in items:
            in_list.update(range(ia, ib + 1))
            if len(amts) != 1 or ia in in_fiche or _VOLET_LINE_RE.match(norm(stripped[ia])):
                continue
            text = _text(stripped, ia, ib)
            out.append(Statement(
                "amount", ia + 1, ib + 1, amount=amts[0], share=voc.first_share(norm(text)) or share,
                year=_year_of(lines, amts[0], text) or stmt.year, axis=_axis_in(text),
                names_contract=stmt.names_contract, action=_action_ref(text),
            ))

    # Sentences outside lists and tables (in a fiche, only percentages: its prose is about the action).
    done: set[int] = set()
    for i in range(n):
        if not amounts[i] or i in in_list or (i + 1) in table_lines or i in done or stripped[i].startswith("|"):
            continue
        a, b = _sentence_bounds(lines, stripped, i, spaced=spaced)
        done.update(range(a, b + 1))
        for sent in _sentences(lines, stripped, amounts, a, b):
            out.extend(_statements_of(sent, stripped, in_fiche))
    return out


_VOLET_LINE_RE = re.compile(r"^\W*(?:o\s+)?(?:montant|budget|cout)\s*:")
_DATE_RE = re.compile(r"\d{1,2}/\d{1,2}/(20\d\d)|\b\d{1,2}(?:er)?\s+\w+\s+20\d\d")


def _year_of(lines, amount: Amount, sentence: str) -> int | None:
    """The year an amount is for: the first year written just after it (« 3 342 548 € au titre de
    l'année 2024 »), else the only year of its sentence (dates excluded)."""
    after = lines[amount.line - 1][amount.end:] + " " + (lines[amount.line] if amount.line < len(lines) else "")
    m = re.search(r"\b(20[1-4]\d)\b", _DATE_RE.sub(" ", after[:80]))
    if m and not re.search(r"[.;]", after[: m.start()]):
        return int(m.group(1))
    years = set(years_in(_DATE_RE.sub(" ", sentence)))
    return years.pop() if len(years) == 1 else None


@dataclass
class _Sentence:
    text: str
    first: int  # 0-based lines
    last: int
    amounts: list[tuple[Amount, int]]  # (amount, offset in text)
    percents: list[tuple[Percent, int]]


_SENTENCE_END_RE = re.compile(r"(?<=[.;!?])\s+(?=[A-ZÀ-Ý«\"(])")


def _sentences(lines, stripped, amounts, a: int, b: int) -> list[_Sentence]:
    """The sentences of lines a..b (0-based), each with its amounts and percentages and their offsets."""
    text, starts = "", []
    for k in range(a, b + 1):
        if not stripped[k]:
            continue
        if text:
            text += " "
        lead = len(lines[k]) - len(lines[k].lstrip())
        starts.append((k, len(text) - lead))
        text += stripped[k]
    found_amounts = [(x, off + x.start) for k, off in starts for x in amounts[k]
                     if not _VOLET_LINE_RE.match(norm(stripped[k]))]
    found_percents = [(p, off + p.start) for k, off in starts for p in percents_in(lines[k], k + 1)]
    bounds = [0] + [m.end() for m in _SENTENCE_END_RE.finditer(text)] + [len(text) + 1]
    out = []
    for x, y in zip(bounds, bounds[1:]):
        in_amounts = [(am, o - x) for am, o in found_amounts if x <= o < y]
        if not in_amounts:
            continue
        lines_in = [k for k, off in starts if off + len(lines[k]) - len(lines[k].lstrip()) < y] or [a]
        first = max([k for k, off in starts if off + (len(lines[k]) - len(lines[k].lstrip())) <= x] or [a])
        out.append(_Sentence(text[x:y].strip(), first, max(lines_in), in_amounts,
                             [(p, o - x) for p, o in found_percents if x <= o < y]))
    return out


def _year_after(text: str, end: int) -> int | None:
    after = _DATE_RE.sub(" ", text[end: end + 80])
    m = re.search(r"\b(20[1-4]\d)\b", after)
    if m and not re.search(r"[.;]", after[: m.start()]):
        return int(m.group(1))
    return None


def _statements_of(sent: _Sentence, stripped, in_fiche: set[int]) -> list[Statement]:
    voc = vocabulary()
    out = []
    text = sent.text
    ntext = norm(text)
    share = voc.first_share(ntext)
    if share is None:
        for pa, pb in _before(stripped, sent.first, 1):
            share = voc.first_share(norm(_text(stripped, pa, pb)))
    names = _names_contract(stripped, sent.first, sent.last)
    years = set(years_in(_DATE_RE.sub(" ", text)))
    only_year = next(iter(years)) if len(years) == 1 else None
    first, last = sent.first + 1, sent.last + 1
    for p, off in sent.percents:
        after = norm(text[off + len(p.text):])
        if not voc.percent_total_base.match(after.lstrip(" ,")):
            continue
        before = [(am, o) for am, o in sent.amounts if o < off]
        later = [(am, o) for am, o in sent.amounts if o > off]
        if not before:
            continue
        amount, o = before[-1]
        out.append(Statement("percent", first, last, amount=amount, share=share,
                             year=_year_after(text, o + len(amount.text)) or only_year, percent=p,
                             base=later[0][0] if later else None, names_contract=names,
                             action=_action_ref(text), axis=_axis_in(text)))
    if sent.first in in_fiche:
        return out
    if len(sent.amounts) == 1:
        amount, o = sent.amounts[0]
        out.append(Statement("amount", first, last, amount=amount, share=share,
                             year=_year_after(text, o + len(amount.text)) or only_year, axis=_axis_in(text),
                             names_contract=names, action=_action_ref(text)))
    elif len(sent.amounts) <= 4:
        # « l'État apporte X € et la métropole Y € »: each amount with the words of its own clause.
        previous = 0
        for amount, o in sent.amounts:
            clause = text[previous: o + len(amount.text)]
            previous = o + len(amount.text)
            clause_share = voc.first_share(norm(clause))
            if clause_share is None:
                continue
            out.append(Statement("amount", first, last, amount=amount, share=clause_share,
                                 year=_year_after(text, o + len(amount.text)) or only_year,
                                 axis=_axis_in(clause), names_contract=names, action=_action_ref(clause)))
    return out


def _action_ref(text: str) -> str | None:
    refs = {f"{m.group(1)}.{int(m.group(2))}" for m in _ACTION_REF_RE.finditer(text)}
    return refs.pop() if len(refs) == 1 else None


def _names_contract(stripped, a: int, b: int) -> bool:
    voc = vocabulary()
    lo = max(0, a - 12)
    return bool(voc.contract_names.search(norm(" ".join(stripped[lo:b + 1]))))


def _items_after(stripped, amounts, i: int) -> list[tuple[list[Amount], int, int]]:
    """Bullet items after an introduction (0-based first/last line of each, with their amounts)."""
    items = []
    j = i + 1
    n = len(stripped)
    while j < n and not stripped[j]:
        j += 1
    while j < n and _BULLET_RE.match(stripped[j]) and not stripped[j].startswith("|"):
        start = j
        end = j
        k = j + 1
        while k < n:
            if not stripped[k]:
                k += 1
                continue
            if _BULLET_RE.match(stripped[k]) or _TERMINAL_RE.search(stripped[end]) or stripped[end].endswith(":"):
                break
            if amounts[k]:
                break
            end = k
            k += 1
        items.append(([x for q in range(start, end + 1) for x in amounts[q]], start, end))
        j = k
        while j < n and not stripped[j]:
            j += 1
    return items


# ---------------------------------------------------------------------------------------------
# Everything


@dataclass
class Structure:
    doc: SourceDocument
    parts: list[Part]
    tables: list[Table]
    fiches: list[Fiche]
    indicator_blocks: list[IndicatorBlock]
    statements: list[Statement]
    sections: list[Section]
    mentions: list[Territory]

    def part_of(self, line: int) -> Part:
        return part_at(self.parts, line)


def _title_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", norm(text)) if len(w) > 2}


def read_structure(doc: SourceDocument) -> Structure:
    parts = find_parts(doc)
    tables = find_tables(doc)
    fiches = find_fiches(doc, tables, [p.line_start for p in parts[1:]])
    titles: dict[str, set[str]] = {}
    for f in fiches:
        titles.setdefault(f.action_id, set()).update(_title_words(f.title))
    for t in tables:
        for r in t.action_rows:
            titles.setdefault(r.action_id, set()).update(_title_words(r.title))
    indicator_blocks = find_indicator_blocks(doc, titles)
    table_lines: set[int] = set()
    for t in tables:
        table_lines.update(range(t.line_start, t.line_end + 1))
    statements = find_statements(doc, table_lines, [(f.line_start, f.line_end) for f in fiches])
    mentions = territory_mentions(doc)
    return Structure(
        doc=doc,
        parts=parts,
        tables=tables,
        fiches=fiches,
        indicator_blocks=indicator_blocks,
        statements=statements,
        sections=territory_sections(doc, mentions),
        mentions=mentions,
    )


__all__ = ["Structure", "read_structure", "Part", "Territory", "Section", "Statement", "Indicator", "IndicatorBlock",
           "Amount", "action_id", "ACTION_ID_RE"]
