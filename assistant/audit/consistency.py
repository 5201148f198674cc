"""Consistency findings: what does not add up in a contract document, each citing the places it compares.

Kinds (`Finding.kind`):
- total_mismatch: a stated total differs from the sum of what it covers (a row's total and its shares,
  a sub-total and its actions, the contract's totals, a multi-year total and its years, an amount
  announced before a list and the list);
- amount_mismatch: the same amount differs between two places (the financial table and the fiche's
  budget, a sentence and the table, two tables);
- percentage_mismatch: a stated percentage differs from the ratio of the amounts it describes;
- volets_mismatch: a fiche's sub-budgets do not add up to the action's budget;
- missing_year: a fiche's budget table lacks a year the other fiches cover;
- title_mismatch, numbering_mismatch, axis_label_mismatch: one action named, numbered or placed
  differently in two places;
- funder_split (information): a share split between financers in one place, one amount in another;
- axis_mismatch: the document's axis against the référentiel section the action fits (assistant/audit/axes.py).

Severities: error (figures that contradict each other), warning (to check), info.
Tolerances are data (assistant/data/audit_tolerances.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..rules.money import fmt_eur
from .extract import ExtractedAction, ExtractedContract, Extraction
from .fiches import Fiche
from .structure import Statement, name_key
from .tables import Row, Table
from .text import collapse, norm
from .vocabulary import vocabulary

TOLERANCES_FILE = Path(__file__).resolve().parent.parent / "data" / "audit_tolerances.yaml"
SHARE_NAMES = {"etat": "part État", "collectivite": "part collectivité", "autres": "autres financeurs",
               "total": "budget global"}
SHARE_OF = {"etat": "de l'État", "collectivite": "de la collectivité", "autres": "des autres financeurs",
            "total": "au total"}
MAX_QUOTE = 300
MAX_PART_CITATIONS = 12


@dataclass(frozen=True)
class Tolerances:
    amount_cents: int
    percent_points: Decimal
    stated_precision: bool
    title_min_overlap: float
    min_fiches_for_years: int
    numbering_convention_share: float
    axis_top_sections: int
    axis_min_coverage: float
    axis_max_chars: int


@lru_cache(maxsize=4)
def load_tolerances(path: Path = TOLERANCES_FILE) -> Tolerances:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    axis = data.get("axis") or {}
    return Tolerances(
        amount_cents=int(data["amount_cents"]),
        percent_points=Decimal(str(data["percent_points"])),
        stated_precision=bool(data["stated_precision"]),
        title_min_overlap=float(data["title_min_overlap"]),
        min_fiches_for_years=int(data["min_fiches_for_years"]),
        numbering_convention_share=float(data["numbering_convention_share"]),
        axis_top_sections=int(axis.get("top_sections", 5)),
        axis_min_coverage=float(axis.get("min_coverage", 0.3)),
        axis_max_chars=int(axis.get("max_description_chars", 1500)),
    )


@dataclass
class Citation:
    doc_id: str
    line_start: int
    line_end: int
    quote: str

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "line_start": self.line_start, "line_end": self.line_end, "quote": self.quote}


@dataclass
class Finding:
    kind: str
    severity: str  # error | warning | info
    message: str
    stated: Any
    computed: Any
    citations: list[Citation]
    action: str | None = None
    collectivite: str | None = None
    values: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "stated": self.stated,
            "computed": self.computed,
            "citations": [c.to_dict() for c in self.citations],
            "action": self.action,
        }
        if self.collectivite:
            out["collectivite"] = self.collectivite
        return out


def euros(cents: int | None):
    if cents is None:
        return None
    return cents // 100 if cents % 100 == 0 else round(cents / 100, 2)


def _sum_text(amounts: list[int]) -> str:
    if len(amounts) > 6:
        return f"{len(amounts)} montants"
    return " + ".join(fmt_eur(a) for a in amounts)


def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z0-9]+", norm(text)):
        if len(w) > 2:
            out.add(w[:-1] if w.endswith("s") and len(w) > 4 else w)
    return out


class Checker:
    """All consistency checks of one extracted contract (and of the tables and lists of its part)."""

    def __init__(self, extraction: Extraction, contract: ExtractedContract, tolerances: Tolerances,
                 several: bool = False):
        self.x = extraction
        self.doc = extraction.doc
        self.st = extraction.structure
        self.c = contract
        self.tol = tolerances
        self.findings: list[Finding] = []
        self.name = contract.nom.value if several else None
        self._fiche_by_id = {a.id: a.fiche for a in contract.actions if a.fiche is not None}

    # -- helpers -------------------------------------------------------------------------------

    def cite(self, start: int, end: int | None = None) -> Citation:
        end = start if end is None else end
        start, end = max(1, min(start, end)), max(start, end)
        text = collapse(self.doc.span_text(start, end))
        if len(text) > MAX_QUOTE:
            text = text[:MAX_QUOTE].rsplit(" ", 1)[0]
        return Citation(self.doc.doc_id, start, end, text)

    def add(self, kind: str, severity: str, message: str, stated, computed, places: list[tuple[int, int]],
            action: str | None = None, **values) -> None:
        seen, citations = set(), []
        for a, b in places:
            if (a, b) in seen:
                continue
            seen.add((a, b))
            citations.append(self.cite(a, b))
        self.findings.append(Finding(kind, severity, message, stated, computed, citations, action, self.name, values))

    def differ(self, a: int | None, b: int | None) -> bool:
        return a is not None and b is not None and abs(a - b) >= self.tol.amount_cents

    def in_unit(self, line: int) -> bool:
        return self.c.line_start <= line <= self.c.line_end

    def in_scope(self, stmt: Statement) -> bool:
        """A sentence is about this contract when it sits in the convention holding its financial table, or,
        outside any convention, when it names the contract (« contrat local »)."""
        if not self.in_unit(stmt.line_start):
            return False
        part = self.st.part_of(stmt.line_start)
        anchor = self.c.table.line_start if self.c.table is not None else (
            self.c.fiches[0].line_start if self.c.fiches else self.c.line_start)
        home = self.st.part_of(anchor)
        if part is home:
            return True
        if part.kind == "convention":
            return False
        return stmt.names_contract

    # -- run -----------------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        for table in self.st.tables:
            if self.in_unit(table.line_start):
                self.table_sums(table)
        self.list_sums()
        self.actions_between_places()
        self.statements()
        self.volets()
        self.missing_years()
        self.titles()
        self.numbering()
        self.axis_labels()
        self.summaries()
        return self.findings

    # -- sums inside a table ---------------------------------------------------------------------

    def _row_name(self, table: Table, row: Row) -> str:
        if row.kind == "action":
            return f"action {row.action_id}"
        if row.kind == "year":
            return f"année {row.year}"
        if row.kind == "territory":
            return row.territory or "ligne"
        return row.label or "ligne"

    def _table_name(self, table: Table) -> str:
        fiche = next((f for f in self.st.fiches if f.budget is table), None)
        if fiche is not None:
            return f"budget de la fiche action {fiche.action_id}"
        if table.is_summary:
            return "tableau de synthèse"
        return "tableau financier"

    def table_sums(self, table: Table) -> None:
        name = self._table_name(table)
        header = table.header or (table.line_start, table.line_start)
        # Sub-totals and totals against the rows they close (first: a wrong cell there also breaks its row).
        flagged: set[int] = set()
        group: list[Row] = []
        subtotals: list[Row] = []
        body: list[Row] = []
        for row in table.rows:
            if row.kind in ("action", "year", "territory"):
                group.append(row)
                body.append(row)
            elif row.kind == "subtotal":
                if self._close(table, row, group, name, f"sous-total{self._axis_words(row, group)}"):
                    flagged.add(row.line)
                subtotals.append(row)
                group = []
            elif row.kind == "total":
                alternatives = [subtotals] if subtotals and not group else []
                if self._close(table, row, body, name, "total", alternatives=alternatives):
                    flagged.add(row.line)
                group, subtotals, body = [], [], []
        # A row's total against its shares.
        for row in table.rows:
            if not row.aligned or row.line in flagged or (row.kind == "territory" and table.is_summary):
                continue
            total = row.share("total")
            parts = [a.cents for c, a in row.values if c.share in ("etat", "collectivite", "autres")]
            if total is None or not parts:
                continue
            if self.differ(total, sum(parts)):
                what = self._row_name(table, row)
                self.add("total_mismatch", "error",
                         f"{name.capitalize()}, {what} : total déclaré {fmt_eur(total)} ≠ somme des parts "
                         f"{_sum_text(parts)} = {fmt_eur(sum(parts))} (écart {fmt_eur(total - sum(parts))}).",
                         euros(total), euros(sum(parts)), [row.lines, header],
                         action=row.action_id if row.kind == "action" else self._fiche_of(table))

    def _fiche_of(self, table: Table) -> str | None:
        fiche = next((f for f in self.st.fiches if f.budget is table), None)
        return fiche.action_id if fiche else None

    def _axis_words(self, row: Row, group: list[Row]) -> str:
        axes = {r.axis for r in group if r.axis is not None}
        axis = row.axis if row.axis is not None else (axes.pop() if len(axes) == 1 else None)
        return f" de l'axe {axis}" if axis else ""

    def _close(self, table: Table, row: Row, parts: list[Row], name: str, what: str,
               alternatives: list[list[Row]] = ()) -> bool:
        """Each cell of a (sub-)total row against the rows it closes; True when one was reported."""
        if not row.aligned or not parts:
            return False
        reported = False
        for column, amount in row.values:
            sums = []
            for rows in [parts, *alternatives]:
                values = [a.cents for r in rows for c, a in r.values if c is column and r.aligned]
                sums.append(sum(values))
            # A total row's cell may also be read as the sum of the rows' shares of the same kind.
            same_share = sum(a.cents for r in parts for c, a in r.values if c.share == column.share and r.aligned)
            if column.sub or len([c for c in table.columns if c.share == column.share]) == 1:
                sums.append(same_share)
            if column.share == "total":
                # The rows' own shares: a wrong total cell in one row is reported on that row only.
                sums.append(sum(a.cents for r in parts for c, a in r.values
                                if c.share in ("etat", "collectivite", "autres") and r.aligned))
            if any(not self.differ(amount.cents, s) for s in sums):
                continue
            reported = True
            computed = sums[0]
            lines = [row.lines] + [r.lines for r in parts[:MAX_PART_CITATIONS]]
            label = column.name if column.share not in SHARE_NAMES else SHARE_NAMES[column.share]
            if column.sub or len([c for c in table.columns if c.share == column.share]) > 1:
                label = f"colonne « {column.name} »"
            count = len(parts)
            unit = "lignes" if count > 1 else "ligne"
            self.add("total_mismatch", "error",
                     f"{name.capitalize()}, {what} ({label}) : {fmt_eur(amount.cents)} déclarés ≠ somme des "
                     f"{count} {unit} au-dessus {fmt_eur(computed)} (écart {fmt_eur(amount.cents - computed)}).",
                     euros(amount.cents), euros(computed), lines, action=self._fiche_of(table))
        return reported

    # -- lists: « X € … se répartit ainsi : - a € - b € » ---------------------------------------

    def list_sums(self) -> None:
        for stmt in self.st.statements:
            if stmt.kind != "list" or not self.in_unit(stmt.line_start):
                continue
            items = [a.cents for a, _, _ in stmt.items]
            if self.differ(stmt.amount.cents, sum(items)):
                places = [(stmt.amount.line, stmt.amount.line)] + [(a, b) for _, a, b in stmt.items]
                self.add("total_mismatch", "error",
                         f"Le texte annonce {fmt_eur(stmt.amount.cents)}, mais les {len(items)} montants détaillés "
                         f"ensuite totalisent {fmt_eur(sum(items))} ({_sum_text(items)} ; écart "
                         f"{fmt_eur(stmt.amount.cents - sum(items))}).",
                         euros(stmt.amount.cents), euros(sum(items)), places)

    # -- one action, two places --------------------------------------------------------------------

    def _fiche_row(self, fiche: Fiche | None, year: int | None) -> Row | None:
        if fiche is None or fiche.budget is None or year is None:
            return None
        return next((r for r in fiche.budget.year_rows if r.year == year and r.aligned), None)

    def actions_between_places(self) -> None:
        year = self.c.year
        others = [t for t in self.st.tables if t.is_financial and t is not self.c.table and self.in_unit(t.line_start)
                  and (t.year == year or t.year is None)]
        for action in self.c.actions:
            row = action.row
            if row is None:
                continue
            fiche_row = self._fiche_row(action.fiche, year)
            if fiche_row is not None:
                self._compare_rows(action, row, "au tableau financier", fiche_row,
                                   f"dans le budget {year} de la fiche action")
            for t in others:
                other = next((r for r in t.action_rows if r.action_id == action.id and r.aligned), None)
                if other is not None:
                    self._compare_rows(action, row, "au tableau financier", other,
                                       f"dans l'autre tableau (l. {t.line_start})")

    def _compare_rows(self, action: ExtractedAction, a: Row, where_a: str, b: Row, where_b: str) -> None:
        diffs = []
        for share in ("etat", "collectivite", "autres", "total"):
            va, vb = a.share(share), b.share(share)
            if share == "autres":
                va, vb = va or 0, vb or 0
                if not a.parts("autres") and not b.parts("autres"):
                    continue
            if self.differ(va, vb):
                diffs.append((share, va, vb))
        if diffs:
            text = " ; ".join(f"{SHARE_NAMES[s]} {fmt_eur(x)} {where_a}, {fmt_eur(y)} {where_b}" for s, x, y in diffs)
            stated = {s: euros(x) for s, x, _ in diffs} if len(diffs) > 1 else euros(diffs[0][1])
            computed = {s: euros(y) for s, _, y in diffs} if len(diffs) > 1 else euros(diffs[0][2])
            self.add("amount_mismatch", "error", f"Action {action.id} : {text}.", stated, computed,
                     [a.lines, b.lines], action=action.id)
            return
        # Same sums: a share split between several financers in one place only.
        for share in ("etat", "collectivite"):
            pa = [(c, x) for c, x in a.parts(share) if x.cents]
            pb = [(c, x) for c, x in b.parts(share) if x.cents]
            if len(pa) != len(pb) and (len(pa) > 1 or len(pb) > 1):
                split, single, where_split, where_single = (pb, pa, where_b, where_a) if len(pb) > 1 else (pa, pb, where_a, where_b)
                detail = " et ".join(f"{c.name} {fmt_eur(x.cents)}" for c, x in split)
                total = sum(x.cents for _, x in split)
                self.add("funder_split", "info",
                         f"Action {action.id} : la {SHARE_NAMES[share]} est répartie entre {len(split)} financements "
                         f"{where_split} ({detail}), mais indiquée en un seul montant {where_single} "
                         f"({fmt_eur(total)}) : les sommes concordent, la répartition est à vérifier.",
                         euros(total), euros(total), [a.lines, b.lines], action=action.id)

    # -- sentences against the tables --------------------------------------------------------------

    def _axis_amount(self, axis: int, share: str) -> tuple[int | None, list[tuple[int, int]], list[int]]:
        """An axis's amount for a share: the stated sub-total, else the sum of its actions; with every
        figure the table gives for it (a text agreeing with either one is not reported: a wrong sub-total
        is reported once, on the table)."""
        rows = [a.row for a in self.c.actions if a.row is not None and a.axe.value == axis]
        summed = sum(r.share(share) or 0 for r in rows) if rows else None
        stated = self.c.sous_totaux.get(axis, {}).get(share)
        if stated is not None and stated.value is not None:
            return stated.value, [(stated.place.line_start, stated.place.line_end)], [v for v in (stated.value, summed) if v is not None]
        if not rows:
            return None, [], []
        return summed, [r.lines for r in rows[:MAX_PART_CITATIONS]], [summed]

    def _contract_amount(self, share: str, year: int | None) -> tuple[int | None, list[tuple[int, int]], str]:
        if year is None or year == self.c.year:
            if self.c.totaux and self.c.totaux.get(share) is not None and self.c.totaux[share].value is not None:
                v = self.c.totaux[share]
                return v.value, [(v.place.line_start, v.place.line_end)], "le tableau financier"
            rows = [a.row for a in self.c.actions if a.row is not None]
            if rows and len(rows) == len(self.c.actions):
                return sum(r.share(share) or 0 for r in rows), [r.lines for r in rows[:MAX_PART_CITATIONS]], \
                    "la somme des actions du tableau financier"
            return None, [], ""
        # Another year: the fiches' budgets, when every action has one for that year.
        rows = [self._fiche_row(a.fiche, year) for a in self.c.actions]
        if not rows or any(r is None for r in rows):
            return None, [], ""
        return sum(r.share(share) or 0 for r in rows), [r.lines for r in rows[:MAX_PART_CITATIONS]], \
            f"la somme des budgets {year} des fiches action"

    def statements(self) -> None:
        voc = vocabulary()
        for stmt in self.st.statements:
            if stmt.kind == "list" or not self.in_scope(stmt):
                continue
            if stmt.kind == "percent":
                self._percent(stmt)
                continue
            if stmt.share is None or stmt.amount is None:
                continue
            year_ok = stmt.year is None or stmt.year == self.c.year
            if stmt.action is not None and stmt.axis is None:
                action = self.c.action(stmt.action)
                if action is None or action.row is None or not year_ok:
                    continue
                value = action.row.share(stmt.share)
                if self.differ(stmt.amount.cents, value):
                    self.add("amount_mismatch", "error",
                             f"Le texte donne {fmt_eur(stmt.amount.cents)} {SHARE_OF[stmt.share]} pour l'action "
                             f"{action.id} ; le tableau financier indique {fmt_eur(value)}.",
                             euros(stmt.amount.cents), euros(value),
                             [(stmt.line_start, stmt.line_end), action.row.lines], action=action.id)
                continue
            if stmt.axis is not None and stmt.action is None:
                if not year_ok:
                    continue
                value, places, figures = self._axis_amount(stmt.axis, stmt.share)
                if figures and all(self.differ(stmt.amount.cents, v) for v in figures):
                    self.add("amount_mismatch", "error",
                             f"Le texte donne {fmt_eur(stmt.amount.cents)} {SHARE_OF[stmt.share]} pour l'axe "
                             f"{stmt.axis} en {stmt.year or self.c.year} ; le tableau financier donne {fmt_eur(value)} "
                             f"(écart {fmt_eur(stmt.amount.cents - value)}).",
                             euros(stmt.amount.cents), euros(value), [(stmt.line_start, stmt.line_end)] + places)
                continue
            if stmt.axis is None and stmt.action is None:
                context = norm(self.doc.span_text(max(1, stmt.line_start - 8), stmt.line_end))
                if not voc.contract_total_words.search(context):
                    continue
                value, places, where = self._contract_amount(stmt.share, stmt.year)
                if self.differ(stmt.amount.cents, value):
                    self.add("amount_mismatch", "error",
                             f"Le texte donne {fmt_eur(stmt.amount.cents)} {SHARE_OF[stmt.share]} pour "
                             f"{stmt.year or self.c.year} ; {where} donne {fmt_eur(value)} "
                             f"(écart {fmt_eur(stmt.amount.cents - value)}).",
                             euros(stmt.amount.cents), euros(value), [(stmt.line_start, stmt.line_end)] + places)

    def _percent_ok(self, stated: Decimal, decimals: int, part: int, whole: int) -> tuple[bool, Decimal]:
        ratio = Decimal(part) * 100 / Decimal(whole)
        if abs(ratio - stated) <= self.tol.percent_points:
            return True, ratio
        if self.tol.stated_precision:
            q = Decimal(1).scaleb(-decimals)
            if ratio.quantize(q, rounding=ROUND_HALF_UP) == stated.quantize(q):
                return True, ratio
        return False, ratio

    def _percent(self, stmt: Statement) -> None:
        fiche = next((f for f in self.c.fiches if f.line_start <= stmt.line_start <= f.line_end), None)
        if stmt.base is not None:
            whole, places, what = stmt.base.cents, [(stmt.base.line, stmt.base.line)], "au montant de référence"
        elif fiche is not None:
            action = self.c.action(fiche.action_id)
            row = (action.row if action is not None else None) or self._fiche_row(fiche, stmt.year or self.c.year)
            if row is None or row.share("total") is None:
                return
            whole, places, what = row.share("total"), [row.lines], f"au budget de l'action {fiche.action_id}"
        else:
            whole, places, what = self._contract_amount("total", stmt.year)
            what = f"au coût total du contrat ({what})" if what else ""
        if not whole:
            return
        ok, ratio = self._percent_ok(stmt.percent.value, stmt.percent.decimals, stmt.amount.cents, whole)
        if ok:
            return
        shown = f"{ratio.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}".replace(".", ",")
        self.add("percentage_mismatch", "error",
                 f"Le texte dit « {stmt.percent.text} » pour {fmt_eur(stmt.amount.cents)} ; rapporté {what} "
                 f"({fmt_eur(whole)}), cela fait {shown} %.",
                 float(stmt.percent.value), float(ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
                 [(stmt.line_start, stmt.line_end)] + places,
                 action=fiche.action_id if fiche is not None else None)

    # -- fiches --------------------------------------------------------------------------------------

    def _unit_fiches(self) -> list[Fiche]:
        return [f for f in self.st.fiches if self.in_unit(f.line_start)]

    def volets(self) -> None:
        year = self.c.year
        for fiche in self._unit_fiches():
            kept = [v for v in fiche.volets if not v.excluded]
            if not kept:
                continue
            # The fiche's own budget first (a difference with the financial table is reported once, as an
            # amount_mismatch), else the action's row in the financial table.
            action = self.c.action(fiche.action_id) if fiche in self.c.fiches else None
            table_row = action.row if action is not None and action.fiche is fiche else None
            first_year = min((r.year for r in fiche.budget.year_rows), default=None) if fiche.budget else None
            row = self._fiche_row(fiche, year) or table_row or self._fiche_row(fiche, first_year)
            if row is None or row.share("total") is None:
                continue
            total = row.share("total")
            volets = sum(v.amount.cents for v in kept)
            if not self.differ(volets, total):
                continue
            period_total = None
            if fiche.budget is not None:
                total_row = next((r for r in fiche.budget.rows if r.kind == "total"), None)
                period_total = total_row.share("total") if total_row else None
            if period_total is not None and not self.differ(volets, period_total):
                continue  # volets given for the whole period
            # Each volet's amount line (its label may sit far above it), then the budget it is compared with.
            places = [(v.amount.line, v.amount.line) for v in kept][:MAX_PART_CITATIONS] + [row.lines]
            if table_row is not None and table_row is not row:
                places.append(table_row.lines)
            shown = _sum_text([v.amount.cents for v in kept])
            share = next((s for s in ("etat", "collectivite") if not self.differ(volets, row.share(s))), None)
            if share is not None:
                self.add("volets_mismatch", "info",
                         f"Fiche action {fiche.action_id} : ses {len(kept)} volets totalisent {fmt_eur(volets)} "
                         f"({shown}), soit la {SHARE_NAMES[share]} seule, pas le budget de l'action "
                         f"({fmt_eur(total)}) : volets chiffrés pour un seul financeur.",
                         euros(total), euros(volets), places, action=fiche.action_id)
            else:
                self.add("volets_mismatch", "warning",
                         f"Fiche action {fiche.action_id} : ses {len(kept)} volets totalisent {fmt_eur(volets)} "
                         f"({shown}), le budget de l'action est de {fmt_eur(total)} (écart {fmt_eur(volets - total)}).",
                         euros(total), euros(volets), places, action=fiche.action_id)

    def missing_years(self) -> None:
        by_part: dict[int, list[Fiche]] = {}
        for f in self._unit_fiches():
            if f.budget is not None and f.budget.year_rows:
                by_part.setdefault(self.st.part_of(f.line_start).line_start, []).append(f)
        for fiches in by_part.values():
            if len(fiches) < self.tol.min_fiches_for_years:
                continue
            counts: dict[int, int] = {}
            for f in fiches:
                for y in {r.year for r in f.budget.year_rows}:
                    counts[y] = counts.get(y, 0) + 1
            expected = sorted(y for y, k in counts.items() if k * 2 > len(fiches))
            for f in fiches:
                have = {r.year for r in f.budget.year_rows}
                missing = [y for y in expected if y not in have]
                if not missing:
                    continue
                reference = next(g for g in fiches if missing[0] in {r.year for r in g.budget.year_rows})
                ref_row = next(r for r in reference.budget.year_rows if r.year == missing[0])
                empty = [i + 1 for i in range(f.budget.line_start - 1, f.budget.line_end)
                         if norm(self.doc.lines[i]).strip() in {str(y) for y in missing}]
                total_row = next((r for r in f.budget.rows if r.kind == "total"), None)
                places = [(ln, ln) for ln in empty] + ([total_row.lines] if total_row else
                                                       [f.budget.year_rows[-1].lines]) + [ref_row.lines]
                years = ", ".join(str(y) for y in missing)
                span = f"{expected[0]} à {expected[-1]}"
                total_text = ""
                if total_row is not None and total_row.share("total") is not None:
                    n = len(have & set(expected))
                    total_text = f" : son total ({fmt_eur(total_row.share('total'))}) ne porte que sur {n} année{'s' if n > 1 else ''}"
                self.add("missing_year", "warning",
                         f"Le budget de la fiche action {f.action_id} ne chiffre pas {years} (les autres fiches couvrent "
                         f"{span}){total_text}.",
                         sorted(have), expected, places, action=f.action_id)

    def titles(self) -> None:
        for action in self.c.actions:
            row, fiche = action.row, action.fiche
            if row is None or fiche is None or not row.title or not fiche.title:
                continue
            a, b = _words(row.title), _words(fiche.title)
            if not a or not b:
                continue
            overlap = len(a & b) / min(len(a), len(b))
            if overlap >= self.tol.title_min_overlap:
                continue
            self.add("title_mismatch", "warning",
                     f"L'action {action.id} s'intitule « {row.title} » au tableau financier et « {fiche.title} » dans "
                     "sa fiche action.",
                     row.title, fiche.title, [row.title_lines or row.lines, fiche.title_lines], action=action.id)

    def numbering(self) -> None:
        for fiche in self._unit_fiches():
            ids = []
            for number, line in fiche.numbers:
                if number not in [i for i, _ in ids]:
                    ids.append((number, line))
            if len(ids) < 2:
                continue
            (first, l1), (other, l2) = ids[0], ids[1]
            self.add("numbering_mismatch", "warning",
                     f"La fiche action {first} porte aussi le numéro {other} (l. {l2}).",
                     first, other, [(l1, l1), (l2, l2)], action=first)

    def _convention_holds(self) -> bool:
        rows = [a for a in self.c.actions if a.axe.value is not None]
        if not rows:
            return False
        follow = sum(1 for a in rows if a.id.split(".")[0] == str(a.axe.value))
        return follow >= self.tol.numbering_convention_share * len(rows)

    def axis_labels(self) -> None:
        convention = self._convention_holds()
        done: set[int] = set()
        for fiche in self._unit_fiches():
            if fiche.axis_label is None:
                continue
            line, number, named = fiche.axis_label
            prefix = int(fiche.action_id.split(".")[0])
            problems = []
            if number is not None and named is not None and number != named:
                problems.append(f"son libellé est celui de l'axe {named}")
            written = number if number is not None else named
            if convention and written is not None and written != prefix and (named is None or named != prefix):
                problems.append(f"l'action est numérotée {fiche.action_id}")
            if not problems:
                continue
            done.add(line)
            label = collapse(self.doc.lines[line - 1])
            self.add("axis_label_mismatch", "warning",
                     f"La fiche action {fiche.action_id} est placée sous « {label} » (axe {written}), mais "
                     + " et ".join(problems) + ".",
                     written, named if named is not None else prefix, [(line, line), (fiche.title_lines[0], fiche.title_lines[0])],
                     action=fiche.action_id)
        if self.c.table is None:
            return
        for row in self.c.table.action_rows:
            if row.axis_label is None or row.axis_label[0] in done:
                continue
            line, number, named = row.axis_label
            if number is not None and named is not None and number != named:
                done.add(line)
                self.add("axis_label_mismatch", "warning",
                         f"Au tableau financier, le libellé « {collapse(self.doc.lines[line - 1])} » porte le numéro "
                         f"{number} mais nomme l'axe {named}.", number, named, [(line, line), row.lines],
                         action=row.action_id)
            elif convention and row.axis is not None and str(row.axis) != row.action_id.split(".")[0]:
                self.add("axis_label_mismatch", "warning",
                         f"Au tableau financier, l'action {row.action_id} figure sous l'axe {row.axis}.",
                         row.axis, int(row.action_id.split(".")[0]), [(line, line), row.lines], action=row.action_id)

    # -- summary tables (a row per territory, a column per axis) ------------------------------------

    def summaries(self) -> None:
        # Summary tables are read against every contract of the document, by this checker's contract only.
        key = name_key(self.c.nom.value or "")
        for table in self.st.tables:
            if not table.is_summary:
                continue
            for row in table.rows:
                if row.kind != "territory" or not row.territory or name_key(_strip_names(row.territory)) != key:
                    continue
                for column, amount in row.values:
                    share = table.share or column.share
                    if share not in SHARE_NAMES:
                        continue
                    if column.axis is not None:
                        value, places, figures = self._axis_amount(column.axis, share)
                        what = f"l'axe {column.axis}"
                    else:
                        value, places, _ = self._contract_amount(share, None)
                        figures = [value] if value is not None else []
                        what = "le contrat"
                    if figures and all(self.differ(amount.cents, v) for v in figures):
                        self.add("amount_mismatch", "error",
                                 f"Tableau de synthèse, {row.territory} : {fmt_eur(amount.cents)} {SHARE_OF[share]} pour "
                                 f"{what} ; la section du territoire donne {fmt_eur(value)} "
                                 f"(écart {fmt_eur(amount.cents - value)}).",
                                 euros(amount.cents), euros(value), [row.lines] + places)


def _strip_names(text: str) -> str:
    return collapse(re.sub(r"[*_#]", " ", text))


class _Outside(Checker):
    """The tables and lists no contract covers (a regional summary's recap table, its introduction)."""

    def __init__(self, extraction: Extraction, contract: ExtractedContract, tolerances: Tolerances):
        super().__init__(extraction, contract, tolerances)
        self.covered = [(c.line_start, c.line_end) for c in extraction.contracts]

    def in_unit(self, line: int) -> bool:
        return not any(a <= line <= b for a, b in self.covered)

    def run(self) -> list[Finding]:
        for table in self.st.tables:
            if self.in_unit(table.line_start):
                self.table_sums(table)
        self.list_sums()
        return self.findings


def check_consistency(extraction: Extraction, tolerances: Tolerances | None = None) -> list[Finding]:
    """Every consistency finding of a document, contract by contract, then outside the contracts."""
    tolerances = tolerances or load_tolerances()
    several = len(extraction.contracts) > 1
    findings: list[Finding] = []
    for contract in extraction.contracts:
        findings.extend(Checker(extraction, contract, tolerances, several).run())
    if extraction.contracts:
        findings.extend(_Outside(extraction, extraction.contracts[0], tolerances).run())
    return findings
