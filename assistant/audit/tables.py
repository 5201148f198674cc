"""Budget tables of a contract document, read from their structure.

Three ways a table reaches us, one result (`Table`, rows of aligned amounts):

- text extracted from a PDF: a row is a line of amounts with at most a short label (« 2024 618 000€
  618 000€ 1 236 000€ », « Sous total … », or nothing, the action number and title sitting on the lines
  above); empty cells leave no trace, so the amounts of a row are matched to the header's columns by
  arithmetic (see `align`);
- markdown pipe tables (« | 1.1 | Titre | 618 000 € | … | »);
- spreadsheets (the rows of an .xlsx or .csv file).

A column's share (État, collectivité, autres financeurs, total) comes from its header words
(assistant/data/audit_vocabulary.yaml). A table whose header names fewer than two shares is not a
budget table and is left alone; so is an execution table (amounts paid, spent or carried over).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

from .source import CELL_SEPARATOR, SourceDocument
from .text import ACTION_ID_RE, Amount, action_id, amounts_in, bare_amount, collapse, norm, without_amounts, years_in
from .vocabulary import vocabulary

SHARES = ("etat", "collectivite", "autres", "total")
_ROW_LABEL_WORDS = 4
_HEADER_WINDOW = 40  # non-blank lines a PDF table's header may span above its first row
_MAX_GAP = 30  # non-blank lines between two rows of the same PDF table
_ID_LINE_RE = re.compile(
    r"^\W*(?:(?:fiche[- ]action|fiche|action|fa)\s*(?:n[°o]\s*)?)?([1-9])[.,](\d{1,2})(?![\d])\s*[:\-–—.]?\s*(.*)$", re.I
)
_YEAR_LABEL_RE = re.compile(r"^(20[1-4]\d)\b")
_SEPARATOR_ROW_RE = re.compile(r"^\|?[\s:|-]+\|?$")
_NUMERIC_LINE_RE = re.compile(r"^[\d\s.,€%]+$")


@dataclass
class Column:
    share: str  # etat | collectivite | autres | total | label
    name: str  # the header words of the column
    sub: bool = False  # a financer counted inside its share (ERBM in État, FSE+ in the collectivity)
    axis: int | None = None  # summary tables with a column per axis


@dataclass
class Row:
    line: int
    label: str  # the row's own words, amounts removed
    values: list[tuple[Column, Amount]] = field(default_factory=list)
    kind: str = "other"  # year | action | subtotal | total | territory | other
    year: int | None = None
    action_id: str | None = None
    id_line: int | None = None
    title: str = ""
    title_lines: tuple[int, int] | None = None
    axis: int | None = None  # the axis in effect (label above, or the action number)
    axis_label: tuple[int, int | None, int] | None = None  # (line, number written, axis named) of the label
    aligned: bool = True  # False: more amounts than columns, or columns the amounts could not be matched to
    territory: str | None = None
    extra: dict = field(default_factory=dict)  # spreadsheet columns beside the amounts: statut, dispositifs, cee, fse_plus

    def share(self, share: str) -> int | None:
        """The row's amount for a share (its columns summed), None when the row states none."""
        found = [a.cents for c, a in self.values if c.share == share]
        return sum(found) if found else None

    def parts(self, share: str) -> list[tuple[Column, Amount]]:
        return [(c, a) for c, a in self.values if c.share == share]

    def by_axis(self) -> dict[int, Amount]:
        return {c.axis: a for c, a in self.values if c.axis is not None}

    @property
    def lines(self) -> tuple[int, int]:
        start = min(x for x in (self.id_line, self.line) if x is not None)
        return start, self.line


@dataclass
class Table:
    line_start: int
    line_end: int
    columns: list[Column]
    rows: list[Row]
    header: tuple[int, int] | None
    year: int | None = None
    caption: str = ""
    title: str = ""  # the lines just above a markdown or spreadsheet table
    share: str | None = None  # summary tables: whose money the axis columns hold
    positional: bool = False  # cells known (markdown, spreadsheet), not matched by arithmetic

    @property
    def shares(self) -> set[str]:
        return {c.share for c in self.columns if c.share in SHARES}

    @property
    def action_rows(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "action"]

    @property
    def year_rows(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "year"]

    @property
    def is_financial(self) -> bool:
        """One row per action (Annexe 10 layout), not one row per year (a fiche's budget)."""
        return bool(self.action_rows) and len(self.action_rows) >= len(self.year_rows)

    @property
    def is_summary(self) -> bool:
        return any(c.axis is not None for c in self.columns)


# ---------------------------------------------------------------------------------------------
# Headers


# « Département du Pas-de-Calais », « Région HDF » in a table's title: a name, not a column.
_NAME_RE = re.compile(
    r"\bR[ée]gion\s+[A-ZÉÈ][\w'’-]*"
    r"|\b(?:D[ée]partement|M[ée]tropole|Eurom[ée]tropole|Conseil d[ée]partemental|Pr[ée]fecture)"
    r"\s+(?:du|de la|de l['’]|d['’]|des|de)\s*[A-ZÉÈ][\w'’-]*",
)


def header_columns(text: str) -> list[Column] | None:
    """The columns a header text names, in order; None when it names an execution column."""
    voc = vocabulary()
    columns = []
    for m in voc.column_terms.finditer(norm(_NAME_RE.sub(" ", text))):
        share, sub = voc.role(m.group(0))
        if share == "ignore":
            return None
        columns.append(Column(share, m.group(0), sub))
    return columns


def axis_of(text: str) -> tuple[int | None, int | None] | None:
    """(number written, axis named) of an axis label (« Axe 1 Prévenir … », « Axe : Accès aux droits »)."""
    voc = vocabulary()
    n = norm(text)
    m = voc.axis_word_re.match(n)
    if not m:
        return None
    number = int(m.group(1)) if m.group(1) else None
    named = voc.named_axis(n[m.end():])
    if number is None and named is None:
        return None
    return number, named


def _axis_value(label: tuple[int | None, int | None]) -> int | None:
    number, named = label
    return number if number is not None else named


# ---------------------------------------------------------------------------------------------
# Matching a row's amounts to the columns


def _consistent(values: list[int], roles: list[Column]) -> bool | None:
    total = [v for v, c in zip(values, roles) if c.share == "total"]
    parts = [v for v, c in zip(values, roles) if c.share in ("etat", "collectivite", "autres")]
    if len(total) != 1 or not parts:
        return None
    return total[0] == sum(parts)


def align(amounts: list[Amount], columns: list[Column]) -> tuple[list[tuple[Column, Amount]], bool]:
    """The columns of a row whose empty cells left no trace in the text.

    The last amount goes to the total column when there is one (a row states its total). Among the
    ways to leave columns empty, the first that makes the row add up (total = sum of the shares) wins,
    leaving the optional columns (other financers, sub-financers) empty before the main ones; when
    none adds up, the same preference picks the columns and the row is reported as it reads.
    """
    n, m = len(amounts), len(columns)
    if n == m:
        return list(zip(columns, amounts)), True
    if n > m or n == 0:
        return [], False
    has_total = columns[-1].share == "total"
    body = columns[:-1] if has_total else columns
    needed = n - 1 if has_total else n
    if needed < 0 or needed > len(body):
        return [], False

    def cost(chosen: tuple[int, ...]) -> tuple:
        dropped = [body[i] for i in range(len(body)) if i not in chosen]
        optional = sum(1 for c in dropped if c.share == "autres" or c.sub)
        return (-optional, chosen)

    best_consistent, best_any = None, None
    for chosen in sorted(combinations(range(len(body)), needed), key=cost):
        roles = [body[i] for i in chosen] + ([columns[-1]] if has_total else [])
        if best_any is None:
            best_any = roles
        if _consistent([a.cents for a in amounts], roles):
            best_consistent = roles
            break
    roles = best_consistent or best_any
    return list(zip(roles, amounts)), True


# ---------------------------------------------------------------------------------------------
# Rows of PDF text


def _row_label_kind(label: str) -> str | None:
    voc = vocabulary()
    n = norm(label)
    if not n:
        return "empty"
    if _YEAR_LABEL_RE.match(n) and len(n.split()) <= 2:
        return "year"
    if voc.subtotal_re.match(n):
        return "subtotal"
    if voc.grand_total_re.match(n):
        return "total"
    return None


def is_row_line(text: str, amounts: list[Amount]) -> bool:
    """A line of amounts with at most a short label: a table row, not a sentence quoting an amount."""
    if not amounts:
        return False
    label = without_amounts(text)
    kind = _row_label_kind(label)
    if kind is not None:
        return len(label.split()) <= 8
    return len(label.split()) <= _ROW_LABEL_WORDS and ":" not in label and not label.endswith(".")


@dataclass
class _Lines:
    """Per-line facts shared by the readers (computed once per document)."""

    doc: SourceDocument
    stripped: list[str]
    amounts: list[list[Amount]]
    row: list[bool]

    @classmethod
    def of(cls, doc: SourceDocument) -> "_Lines":
        stripped = [line.strip() for line in doc.lines]
        amounts = [amounts_in(line, i + 1) if "€" in line or "euro" in line or "EUR" in line else []
                   for i, line in enumerate(doc.lines)]
        row = [is_row_line(doc.lines[i], amounts[i]) and not stripped[i].startswith("|") and doc.lines[i].count("\t") < 2
               for i in range(len(stripped))]
        return cls(doc, stripped, amounts, row)


def _header_above(lines: _Lines, first: int, stop: int) -> tuple[int, int, str] | None:
    """(first line, last line, text) of the header block above a PDF table's first row (0-based index)."""
    voc = vocabulary()
    picked: list[int] = []
    caption = None
    j = first - 1
    while j > stop and len(picked) < _HEADER_WINDOW:
        s = lines.stripped[j]
        if not s:
            j -= 1
            continue
        numeric = _NUMERIC_LINE_RE.match(s) and not ACTION_ID_RE.fullmatch(s) and not _YEAR_LABEL_RE.fullmatch(s)
        if lines.row[j] or numeric or len(s) > 90 or (s.endswith(".") and len(s) > 50):
            break
        if voc.budget_captions.search(norm(s)):
            caption = j  # the table's title: its words are not column names
            break
        picked.append(j)
        j -= 1
    picked.reverse()
    # The table's body (axis labels, action numbers and titles) may sit between the header and the
    # first row: the header ends before the first of them.
    for k, idx in enumerate(picked):
        s = lines.stripped[idx]
        if _ID_LINE_RE.match(s) or axis_of(s) is not None:
            picked = picked[:k]
            break
    if not picked:
        return None
    text = " ".join(lines.stripped[i] for i in picked)
    title = lines.stripped[caption] if caption is not None else ""
    return (caption if caption is not None else picked[0]), picked[-1], text, title


def _gap_is_table(lines: _Lines, a: int, b: int) -> bool:
    """Only short label lines (numbers, titles cut by the PDF columns) between two rows."""
    count = 0
    for j in range(a + 1, b):
        s = lines.stripped[j]
        if not s:
            continue
        count += 1
        if count > _MAX_GAP or len(s.split()) > 12:
            return False
    return True


def text_tables(lines: _Lines) -> list[Table]:
    """The budget tables of a text document (PDF layout: a line per row)."""
    row_idx = [i for i, r in enumerate(lines.row) if r]
    groups: list[list[int]] = []
    for i in row_idx:
        if groups:
            prev = groups[-1][-1]
            closed = _row_label_kind(without_amounts(lines.doc.lines[prev])) == "total"
            if not closed and _gap_is_table(lines, prev, i):
                groups[-1].append(i)
                continue
        groups.append([i])
    tables = []
    previous_end = -1
    for group in groups:
        header = _header_above(lines, group[0], previous_end)
        previous_end = group[-1]
        if header is None:
            continue
        h_start, h_end, h_text, title = header
        columns = header_columns(h_text)
        if columns is None or len({c.share for c in columns if c.share in SHARES}) < 2:
            continue
        if max(len(lines.amounts[i]) for i in group) < 2:
            continue  # a column of single amounts under a many-column header: not a budget table
        years = sorted(set(years_in(h_text + " " + title)))
        table = Table(
            line_start=h_start + 1,
            line_end=group[-1] + 1,
            columns=columns,
            rows=[],
            header=(h_start + 1, h_end + 1),
            year=years[-1] if len(years) == 1 else None,
            caption=collapse(title + " " + h_text),
        )
        _read_text_rows(lines, table, group, h_end)
        with_amounts = [r for r in table.rows if lines.amounts[r.line - 1]]
        if sum(1 for r in with_amounts if not r.aligned) * 2 > len(with_amounts):
            continue  # more amounts than columns on most rows: the header was not read right
        tables.append(table)
    return tables


def _read_text_rows(lines: _Lines, table: Table, group: list[int], header_end: int) -> None:
    start = header_end + 1
    axis: int | None = None
    axis_label = None
    covered: list[Row] = []  # the action rows since the last sub-total
    for i in group:
        gap = [j for j in range(start, i) if lines.stripped[j]]
        start = i + 1
        ident = None
        title_lines: list[int] = []
        for j in gap:
            s = lines.stripped[j]
            label = axis_of(s)
            if label is not None and not _ID_LINE_RE.match(s):
                axis_label = (j + 1, label[0], label[1])
                axis = _axis_value(label)
                ident, title_lines = None, []
                continue
            m = _ID_LINE_RE.match(s)
            if m and len(s.split()) <= 14:
                ident = (action_id(m), j)
                title_lines = [j] if m.group(3).strip() else []
                continue
            if ident is not None and not _row_label_kind(s) in ("subtotal", "total"):
                title_lines.append(j)
        text = lines.doc.lines[i]
        label = without_amounts(text)
        row = Row(line=i + 1, label=label)
        values, aligned = align(lines.amounts[i], table.columns)
        row.values, row.aligned = values, aligned
        kind = _row_label_kind(label)
        m = _ID_LINE_RE.match(lines.stripped[i])
        if kind == "empty" and m and not ident:
            ident = (action_id(m), i)
        if kind == "year":
            row.kind, row.year = "year", int(_YEAR_LABEL_RE.match(norm(label)).group(1))
        elif kind == "subtotal":
            row.kind = "subtotal"
        elif kind == "total":
            row.kind = "total"
        elif ident is not None:
            row.kind = "action"
            row.action_id, row.id_line = ident[0], ident[1] + 1
            first = _ID_LINE_RE.match(lines.stripped[ident[1]]).group(3).strip()
            parts = ([first] if first else []) + [lines.stripped[j] for j in title_lines if j != ident[1]]
            row.title = collapse(" ".join(parts))
            if title_lines:
                row.title_lines = (min(title_lines) + 1, max(title_lines) + 1)
        elif covered:
            row.kind = "subtotal"  # a row of amounts right after the actions, without a label: their sub-total
        if row.kind == "action":
            row.axis = axis if axis is not None else int(row.action_id.split(".")[0])
            row.axis_label = axis_label
            covered.append(row)
        elif row.kind == "subtotal":
            axes = {r.axis for r in covered}
            row.axis = axis if axis is not None else (axes.pop() if len(axes) == 1 else None)
            row.axis_label = axis_label
            covered = []
            axis, axis_label = None, None
        table.rows.append(row)


# ---------------------------------------------------------------------------------------------
# Positional tables: markdown and spreadsheets


def _cells_of_markdown(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|")]


# Extra columns of an Annexe 10 spreadsheet (the layout `pacte check` reads): status, dispositifs, the
# CEE (counted in C) and the FSE+ (part of B) when written after the total.
_EXTRA_COLUMNS = (("statut", "statut"), ("dispositifs", "dispositif"), ("cee", "cee"), ("fse_plus", "fse"))


def _header_cells(cells: list[str]) -> list[Column] | None:
    """One column per header cell; None when the row is not a budget header."""
    voc = vocabulary()
    columns = []
    shares = set()
    for cell in cells:
        n = norm(cell or "")
        extra = next((name for name, prefix in _EXTRA_COLUMNS if n.startswith(prefix)), None)
        if extra is not None and not (extra == "fse_plus" and "total" not in shares):
            # Columns to the right of the table (Annexe 10 of assistant/rules/tables.py): not amounts of F.
            columns.append(Column(extra, cell))
            continue
        label = axis_of(n) if n.startswith(("axe", "pilier")) else None
        m = voc.column_terms.search(n)
        if label is not None and not m:
            columns.append(Column("axis", cell, axis=_axis_value(label)))
            continue
        if m:
            share, sub = voc.role(m.group(0))
            if share == "ignore":
                return None
            if label is not None:  # « Axe 1 (État) »
                columns.append(Column(share, cell, sub, axis=_axis_value(label)))
                shares.add(share)
                continue
            columns.append(Column(share, cell, sub))
            shares.add(share)
        else:
            columns.append(Column("label", cell))
    axis_columns = sum(1 for c in columns if c.axis is not None)
    if len(shares & set(SHARES)) >= 2 or axis_columns >= 2:
        return columns
    return None


def _cell_amount(text: str, line: int, offset: int, money: bool) -> Amount | None:
    found = amounts_in(text, line)
    if len(found) == 1:
        a = found[0]
        return Amount(a.cents, line, offset + a.start, offset + a.end, a.text)
    if money and not found:
        return bare_amount(text, line, offset)
    return None


def positional_tables(doc: SourceDocument) -> list[Table]:
    """Markdown pipe tables and spreadsheet tables, read cell by cell."""
    if doc.rows is not None:
        rows = [[("" if c is None else (str(int(c)) if isinstance(c, float) and c.is_integer() else str(c)))
                 for c in row] for row in doc.rows]
    else:
        # Markdown pipe tables, and tab-separated tables (a table copied from a spreadsheet into a text).
        rows = [(_cells_of_markdown(line) if line.strip().startswith("|") else
                 ([c.strip() for c in line.split("\t")] if line.count("\t") >= 2 else None)) for line in doc.lines]
    tables: list[Table] = []
    current: Table | None = None
    blank_run = 0
    for i, cells in enumerate(rows):
        line = i + 1
        if cells is None or not any(c.strip() for c in cells):
            blank_run += 1
            if current is not None and (cells is None and doc.rows is None or blank_run > 1):
                tables.append(current)
                current = None
            continue
        blank_run = 0
        if doc.rows is None and "\t" not in doc.lines[i] and _SEPARATOR_ROW_RE.match(doc.lines[i].strip()):
            continue
        columns = _header_cells(cells)
        if columns is not None:
            if current is not None:
                tables.append(current)
            current = Table(line, line, columns, [], (line, line), positional=True)
            current.title = _caption(doc, i, [])
            current.caption = collapse(current.title + " " + " ".join(cells))
            years = sorted(set(years_in(" ".join(cells) + " " + current.caption)))
            current.year = years[-1] if len(years) == 1 else None
            current.share = _summary_share(current)
            for c in current.columns:
                if c.share == "axis":
                    c.share = current.share or "axis"  # whose money: from the caption, else unknown
            continue
        if current is None:
            continue
        current.line_end = line
        current.rows.append(_positional_row(doc, current, cells, line))
    if current is not None:
        tables.append(current)
    for t in tables:
        _classify_positional(t)
    return [t for t in tables if t.rows]


def _caption(doc: SourceDocument, idx: int, cells: list[str]) -> str:
    """The header row and the non-table lines just above it (a title such as « Crédits de l'État par axe »)."""
    above = []
    j = idx - 1
    while j >= 0 and len(above) < 3:
        s = doc.lines[j].strip()
        if doc.rows is None and s.startswith("|"):
            break
        if s:
            above.append(s.lstrip("#* ").rstrip("*: "))
        elif above:
            break
        j -= 1
    return " ".join(reversed(above)) + " " + " ".join(cells)


def _summary_share(table: Table) -> str | None:
    """Whose money the axis columns of a summary table hold (« Crédits de l'État par axe »)."""
    if not any(c.axis is not None for c in table.columns):
        return None
    caption = table.title + " " + " ".join(c.name for c in table.columns if c.share != "label")
    found = vocabulary().first_share(norm(caption))
    return found if found in ("etat", "collectivite") else (found or None)


def _cell_offsets(doc: SourceDocument, line: int, cells: list[str]) -> list[int]:
    text = doc.lines[line - 1]
    offsets, pos = [], 0
    for cell in cells:
        if doc.rows is not None:
            offsets.append(pos)
            pos += len(cell) + len(CELL_SEPARATOR)
        else:
            k = text.find(cell, pos) if cell else pos
            offsets.append(max(k, 0))
            pos = max(k, 0) + len(cell)
    return offsets


def _positional_row(doc: SourceDocument, table: Table, cells: list[str], line: int) -> Row:
    offsets = _cell_offsets(doc, line, cells)
    values, labels = [], []
    ident = None
    extra: dict = {}
    for k, cell in enumerate(cells):
        col = table.columns[k] if k < len(table.columns) else Column("label", "")
        if col.share in ("statut", "dispositifs"):
            if cell.strip():
                extra[col.share] = (cell.strip(), line)
            continue
        if col.share in ("cee", "fse_plus"):
            amount = _cell_amount(cell, line, offsets[k], True) if cell.strip() else None
            if amount is not None:
                extra[col.share] = (amount, line)
            continue
        money = col.share in SHARES or col.axis is not None
        amount = _cell_amount(cell, line, offsets[k], money) if cell.strip() else None
        if amount is not None and money:
            values.append((col, amount))
            continue
        if cell.strip():
            labels.append((k, cell.strip()))
            m = ACTION_ID_RE.fullmatch(cell.strip()) or _ID_LINE_RE.match(cell.strip())
            if ident is None and m and len(cell.split()) <= 3:
                ident = action_id(m)
    label = collapse(" ".join(text for _, text in labels))
    row = Row(line=line, label=label, values=values, extra=extra)
    # A title: the longest text cell that is not the number, the axis or a status.
    texts = [t for k, t in labels if not ACTION_ID_RE.fullmatch(t) and axis_of(t) is None and len(t) > 3]
    kind = _row_label_kind(label) if not ident else None
    for k, text in labels:
        a = axis_of(text)
        if a is not None:
            row.axis_label = (line, a[0], a[1])
            row.axis = _axis_value(a)
    if kind in ("subtotal", "total"):
        row.kind = kind
    elif kind == "year":
        row.kind, row.year = "year", int(_YEAR_LABEL_RE.match(norm(label)).group(1))
    elif ident is not None and values:
        row.kind, row.action_id, row.id_line = "action", ident, line
        row.title = max(texts, key=len) if texts else ""
        row.title_lines = (line, line) if row.title else None
    elif values and texts:
        row.kind = "territory" if table.is_summary else "other"
        row.territory = texts[0]
    return row


def _classify_positional(table: Table) -> None:
    """Axis of each action row (the last axis label above it, or its number) and of each sub-total."""
    axis, axis_label, since = None, None, 0
    for row in table.rows:
        if row.axis_label is not None and row.kind != "subtotal":
            axis, axis_label = row.axis, row.axis_label
        if row.kind == "action":
            if row.axis is None:
                row.axis = axis if axis is not None else int(row.action_id.split(".")[0])
                row.axis_label = axis_label
            since += 1
        elif row.kind == "subtotal":
            if row.axis is None:
                row.axis = axis
                row.axis_label = axis_label
            axis, axis_label, since = None, None, 0
        elif row.kind == "other" and row.values and since and not table.is_summary:
            row.kind = "subtotal"  # an unlabelled row of amounts closing a group of actions
            row.axis = axis
            axis, since = None, 0


def find_tables(doc: SourceDocument) -> list[Table]:
    """Every budget table of the document, in document order."""
    tables = positional_tables(doc)
    if doc.rows is None:
        tables += text_tables(_Lines.of(doc))
    return sorted(tables, key=lambda t: t.line_start)
