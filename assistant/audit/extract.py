"""`pacte extract`: a contract document -> the `pacte check` schema, each value with the lines it was read from.

    from assistant.audit import extract
    result = extract("pas-de-calais-contrat-2024")        # doc id, path, or (bytes, filename)
    result.contracts[0].mapping()                         # the YAML/JSON contract of `pacte check`
    result.contracts[0].sources()                         # {"actions[0].financement.etat": {line_start, …}}

Where the values come from, in order of preference:
- amounts: the row of the action in the document's financial table (Annexe 10 layout), else the row of
  the contract's year in the fiche's budget table;
- title and axis: the financial table (its axis label, else the action number), else the fiche;
- status, volets, public and dispositifs: the fiche; indicators: the indicator table (Annexe 1 layout).
A value that cannot be read is left empty with a French note; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .fiches import Fiche
from .source import SourceDocument, read_document
from .structure import IndicatorBlock, Structure, main_territory, read_structure
from .tables import Row, Table
from .text import collapse, norm
from .vocabulary import vocabulary

SHARE_FIELDS = ("etat", "collectivite", "autres", "total")


@dataclass(frozen=True)
class Place:
    line_start: int
    line_end: int

    @classmethod
    def of(cls, lines: tuple[int, int] | int) -> "Place":
        if isinstance(lines, int):
            return cls(lines, lines)
        return cls(min(lines), max(lines))


@dataclass
class Value:
    value: Any
    place: Place | None = None
    note: str | None = None  # French: why the value is empty, or what to know about it


@dataclass
class ExtractedAction:
    id: str
    axe: Value
    intitule: Value
    statut: Value
    financement: dict[str, Value]  # etat, collectivite, total; autres financers by name
    autres: dict[str, Value] = field(default_factory=dict)
    fse_plus: Value | None = None
    cee: Value | None = None
    dispositifs: list[tuple[str, Place | None]] = field(default_factory=list)
    indicateurs: list[dict] | None = None
    indicator_places: list[Place] = field(default_factory=list)
    volets: list[tuple[str, int, Place]] | None = None
    notes: list[str] = field(default_factory=list)
    row: Row | None = None  # its row in the financial table
    fiche: Fiche | None = None


@dataclass
class ExtractedContract:
    doc_id: str
    nom: Value
    type: Value
    annee: Value
    actions: list[ExtractedAction]
    sous_totaux: dict[int, dict[str, Value]]
    totaux: dict[str, Value] | None
    plafonds: dict[int, Value]
    notes: list[str]
    line_start: int
    line_end: int
    table: Table | None = None  # the financial table the amounts come from
    fiches: list[Fiche] = field(default_factory=list)
    fiches_outside: list[Fiche] = field(default_factory=list)  # fiches of the unit that are not its actions

    @property
    def year(self) -> int | None:
        return self.annee.value

    def mapping(self) -> dict:
        """The contract as `pacte check` reads it (YAML/JSON schema of assistant/rules/contract.py)."""
        out: dict = {
            "collectivite": {"nom": self.nom.value, "type": self.type.value},
            "annee": self.annee.value,
        }
        if self.plafonds:
            out["plafonds_etat"] = {axis: _euros(v.value) for axis, v in sorted(self.plafonds.items())}
        out["actions"] = [_action_mapping(a) for a in self.actions]
        if self.sous_totaux:
            out["sous_totaux"] = {axis: {k: _euros(v.value) for k, v in shares.items()}
                                  for axis, shares in sorted(self.sous_totaux.items())}
        if self.totaux:
            out["totaux"] = {k: _euros(v.value) for k, v in self.totaux.items()}
        if self.notes:
            out["notes"] = " ".join(self.notes)
        return out

    def sources(self) -> dict[str, dict]:
        """Field path -> {line_start, line_end} of every value read from the document."""
        out: dict[str, dict] = {}

        def put(path: str, value: Value | None):
            if value is not None and value.place is not None:
                out[path] = {"line_start": value.place.line_start, "line_end": value.place.line_end}

        put("collectivite.nom", self.nom)
        put("collectivite.type", self.type)
        put("annee", self.annee)
        for axis, v in self.plafonds.items():
            put(f"plafonds_etat.{axis}", v)
        for i, a in enumerate(self.actions):
            base = f"actions[{i}]"
            put(f"{base}.id", Value(a.id, Place.of(a.row.lines) if a.row is not None else (
                Place.of(a.fiche.numbers[0][1]) if a.fiche is not None else None)))
            put(f"{base}.axe", a.axe)
            put(f"{base}.intitule", a.intitule)
            put(f"{base}.statut", a.statut)
            for k, v in a.financement.items():
                put(f"{base}.financement.{k}", v)
            for name, v in a.autres.items():
                put(f"{base}.financement.autres.{name}", v)
            put(f"{base}.financement.fse_plus", a.fse_plus)
            put(f"{base}.cee", a.cee)
            for k, (name, place) in enumerate(a.dispositifs):
                if place:
                    out[f"{base}.dispositifs[{k}]"] = {"line_start": place.line_start, "line_end": place.line_end}
            for k, place in enumerate(a.indicator_places):
                out[f"{base}.indicateurs[{k}]"] = {"line_start": place.line_start, "line_end": place.line_end}
            for k, (_, _, place) in enumerate(a.volets or []):
                out[f"{base}.volets[{k}]"] = {"line_start": place.line_start, "line_end": place.line_end}
        for axis, shares in self.sous_totaux.items():
            for k, v in shares.items():
                put(f"sous_totaux.{axis}.{k}", v)
        for k, v in (self.totaux or {}).items():
            put(f"totaux.{k}", v)
        return out

    def action(self, action_id: str) -> ExtractedAction | None:
        return next((a for a in self.actions if a.id == action_id), None)


def _euros(cents):
    if cents is None:
        return None
    return cents // 100 if cents % 100 == 0 else round(cents / 100, 2)


def _action_mapping(a: ExtractedAction) -> dict:
    fin: dict = {
        "etat": _euros(a.financement["etat"].value),
        "collectivite": _euros(a.financement["collectivite"].value),
        "autres": {name: _euros(v.value) for name, v in a.autres.items()},
    }
    if a.fse_plus is not None and a.fse_plus.value:
        fin["fse_plus"] = _euros(a.fse_plus.value)
    if a.financement.get("total") is not None and a.financement["total"].value is not None:
        fin["total"] = _euros(a.financement["total"].value)
    out: dict = {"id": a.id, "axe": a.axe.value, "intitule": a.intitule.value}
    if a.statut.value is not None:
        out["statut"] = a.statut.value
    out["financement"] = fin
    if a.cee is not None and a.cee.value:
        out["cee"] = _euros(a.cee.value)
    if a.dispositifs:
        out["dispositifs"] = [name for name, _ in a.dispositifs]
    if a.indicateurs is not None:
        out["indicateurs"] = a.indicateurs
    if a.volets:
        out["volets"] = [{"libelle": label, "montant": _euros(cents)} for label, cents, _ in a.volets]
    if a.notes:
        out["notes"] = " ".join(a.notes)
    return out


@dataclass
class Extraction:
    doc: SourceDocument
    structure: Structure
    contracts: list[ExtractedContract]
    notes: list[str]


# ---------------------------------------------------------------------------------------------


def extract(source, settings=None) -> Extraction:
    """Read a document (doc id, path or (bytes, filename)) and extract its contract(s)."""
    doc = source if isinstance(source, SourceDocument) else read_document(source, settings)
    return extract_document(doc)


def extract_document(doc: SourceDocument) -> Extraction:
    structure = read_structure(doc)
    units = _units(structure)
    contracts = []
    notes: list[str] = []
    for territory, start, end in units:
        contract = _contract(structure, territory, start, end)
        if contract is not None:
            contracts.append(contract)
    if not contracts:
        notes.append("aucun contrat lisible : ni tableau financier par action, ni fiche action avec un budget")
    return Extraction(doc, structure, contracts, notes)


def _units(structure: Structure) -> list[tuple[Any, int, int]]:
    """(territory, first line, last line) of each contract of the document."""
    doc = structure.doc
    sections = [s for s in structure.sections if _has_actions(structure, s.line_start, s.line_end)]
    if len(sections) >= 2:
        return [(s.territory, s.line_start, s.line_end) for s in sections]
    return [(main_territory(structure.mentions), 1, len(doc.lines))]


def _has_actions(structure: Structure, start: int, end: int) -> bool:
    return any(start <= t.line_start <= end and t.is_financial for t in structure.tables) or any(
        start <= f.line_start <= end for f in structure.fiches)


def _within(start: int, end: int, line: int) -> bool:
    return start <= line <= end


def _contract(structure: Structure, territory, start: int, end: int) -> ExtractedContract | None:
    doc = structure.doc
    notes: list[str] = []
    financial = [t for t in structure.tables if _within(start, end, t.line_start) and t.is_financial]
    fiches = [f for f in structure.fiches if _within(start, end, f.line_start)]
    table = max(financial, key=lambda t: len(t.action_rows), default=None)
    meta = _metadata(structure, start, end)

    # The year: the financial table's, else the first year of the fiches' budgets, else the document's.
    annee = Value(None, note="année introuvable dans le document")
    if table is not None and table.year:
        annee = Value(table.year, Place.of(table.header))
    elif meta.get("annee"):
        annee = meta["annee"]
    else:
        years = sorted({r.year for f in fiches if f.budget for r in f.budget.year_rows})
        if years:
            first = next(r for f in fiches if f.budget for r in f.budget.year_rows if r.year == years[0])
            annee = Value(years[0], Place.of(first.line), "première année des budgets des fiches action")
    year = annee.value

    if territory is not None:
        mention = territory
        nom = meta.get("nom") or Value(territory.name, Place.of(mention.line))
        typ = meta.get("type") or Value(territory.type, Place.of(mention.line))
    else:
        nom = meta.get("nom") or Value(None, note="collectivité introuvable (aucun « Département du … » ni « Métropole de … »)")
        typ = meta.get("type") or Value(None, note="type de collectivité introuvable")

    actions: list[ExtractedAction] = []
    by_fiche = {}
    for f in fiches:
        by_fiche.setdefault(f.action_id, f)
    blocks = {b.action_id: b for b in structure.indicator_blocks if _within(start, end, b.line)}
    if table is not None:
        ids = [r.action_id for r in table.action_rows]
        for row in table.action_rows:
            actions.append(_action(row.action_id, row, by_fiche.get(row.action_id), year, blocks.get(row.action_id)))
        outside = [f for f in fiches if f.action_id not in ids]
        if ids and outside:
            numbers = ", ".join(sorted({f.action_id for f in outside}, key=_id_key))
            notes.append(f"fiches action hors du tableau financier du contrat (non extraites) : {numbers}")
    else:
        outside = []
        for f in fiches:
            if f is by_fiche[f.action_id]:
                actions.append(_action(f.action_id, None, f, year, blocks.get(f.action_id)))
    if not actions:
        return None
    if table is None:
        notes.append("pas de tableau financier par action : montants lus dans les budgets des fiches action")

    sous_totaux: dict[int, dict[str, Value]] = {}
    totaux = None
    if table is not None:
        for row in table.rows:
            shares = {k: Value(row.share(k), Place.of(row.line)) for k in SHARE_FIELDS if row.share(k) is not None}
            if row.kind == "subtotal" and row.axis is not None and shares:
                sous_totaux[row.axis] = shares
            elif row.kind == "total" and shares:
                totaux = shares
    return ExtractedContract(
        doc_id=doc.doc_id,
        nom=nom,
        type=typ,
        annee=annee,
        actions=actions,
        sous_totaux=sous_totaux,
        totaux=totaux,
        plafonds=meta.get("plafonds", {}),
        notes=notes,
        line_start=start,
        line_end=end,
        table=table,
        fiches=fiches,
        fiches_outside=outside,
    )


def _id_key(action_id: str) -> tuple[int, ...]:
    return tuple(int(x) for x in action_id.split("."))


def _prefer_title(row: Row | None, fiche: Fiche | None) -> Value:
    if row is not None and row.title:
        place = Place.of(row.title_lines or row.line)
        if fiche is not None and fiche.title and len(fiche.title) > len(row.title):
            # A table cell cut by the page (« Pack Jeune : pour accompagner les jeunes »): the fiche's whole title.
            if norm(fiche.title).startswith(norm(row.title).rstrip(" .:")):
                return Value(fiche.title, Place.of(fiche.title_lines))
        return Value(row.title, place)
    if fiche is not None and fiche.title:
        return Value(fiche.title, Place.of(fiche.title_lines))
    return Value(None, note="intitulé illisible")


def _action(action_id: str, row: Row | None, fiche: Fiche | None, year: int | None,
            block: IndicatorBlock | None) -> ExtractedAction:
    notes: list[str] = []
    intitule = _prefer_title(row, fiche)
    if intitule.value is None:
        intitule = Value(f"Action {action_id}", None, "intitulé illisible")
        notes.append("intitulé illisible")
    # Axis
    if row is not None and row.axis is not None:
        axe = Value(row.axis, Place.of(row.axis_label[0]) if row.axis_label else Place.of(row.lines))
    elif fiche is not None and fiche.axis_label is not None:
        line, number, named = fiche.axis_label
        axe = Value(number if number is not None else named, Place.of(line))
    else:
        axe = Value(int(action_id.split(".")[0]), Place.of(row.lines if row else fiche.title_lines),
                    "axe déduit du numéro de l'action")
    # Amounts
    source_row, what = row, "tableau financier"
    if source_row is None and fiche is not None and fiche.budget is not None:
        source_row = next((r for r in fiche.budget.year_rows if r.year == year), None)
        what = "budget de la fiche action"
    financement: dict[str, Value] = {}
    autres: dict[str, Value] = {}
    fse = None
    cee_value = None
    if source_row is None:
        for k in ("etat", "collectivite"):
            financement[k] = Value(None, note=f"montant {k} illisible : ni ligne au tableau financier, ni budget {year or ''} dans la fiche".replace("  ", " "))
        notes.append("montants illisibles : l'action n'a ni ligne au tableau financier ni budget pour l'année du contrat")
    else:
        place = Place.of(source_row.line)
        for k in ("etat", "collectivite", "total"):
            value = source_row.share(k)
            if value is None and k != "total":
                value = 0  # an empty cell of a row that states other shares
            if value is not None:
                financement[k] = Value(value, place)
        for column, amount in source_row.parts("autres"):
            if amount.cents:
                name = _financer_name(column.name)
                prev = autres.get(name)
                autres[name] = Value(amount.cents + (prev.value if prev else 0), place)
        fse_parts = [a.cents for c, a in source_row.parts("collectivite") if c.sub]
        if fse_parts and sum(fse_parts):
            fse = Value(sum(fse_parts), place)
        if "fse_plus" in source_row.extra:
            fse = Value(source_row.extra["fse_plus"][0].cents, place)
        if "cee" in source_row.extra and source_row.extra["cee"][0].cents:
            # Column C counts every other financer, the CEE included: the CEE are set apart.
            cee = source_row.extra["cee"][0].cents
            others = sum(v.value for v in autres.values())
            if others >= cee:
                rest = others - cee
                autres = {"autres financeurs": Value(rest, place)} if rest else {}
                cee_value = Value(cee, place)
            else:
                notes.append("CEE supérieurs à la colonne des autres financeurs, qui les inclut : à vérifier")
        if not source_row.aligned:
            notes.append(f"ligne du {what} illisible (colonnes) : montants à vérifier")
    # Status
    statut = Value(None, note="pas de fiche action")
    table_status = (row.extra.get("statut") if row is not None else None)
    if table_status is not None:
        from ..rules.model import STATUSES

        text = norm(table_status[0])
        statut = Value(text if text in STATUSES else None, Place.of(table_status[1]),
                       None if text in STATUSES else f"statut « {table_status[0]} » non reconnu")
    elif fiche is not None:
        status, note = fiche.status()
        lines = [ln for s, ln in fiche.statuses] or fiche.status_lines
        statut = Value(status, Place.of((min(lines), max(lines))) if lines else None, note)
        if note:
            notes.append(note)
    # Volets
    volets = None
    if fiche is not None:
        kept = [v for v in fiche.volets if not v.excluded]
        if kept:
            volets = [(collapse(v.label), v.amount.cents, Place.of((v.label_line, v.amount.line))) for v in kept]
    # Indicators
    indicateurs, indicator_places = None, []
    if block is not None:
        indicateurs = []
        for ind in block.indicators:
            item = {"libelle": ind.label, "t0": ind.t0, "cibles": dict(ind.targets)}
            indicateurs.append(item)
            span = [ind.label_lines[0], ind.label_lines[1]] + (list(ind.value_lines) if ind.value_lines else [])
            indicator_places.append(Place(min(span), max(span)))
            if ind.note:
                notes.append(f"indicateur « {ind.label} » : {ind.note}")
    action = ExtractedAction(
        id=action_id,
        axe=axe,
        intitule=intitule,
        statut=statut,
        financement=financement,
        autres=autres,
        fse_plus=fse,
        indicateurs=indicateurs,
        indicator_places=indicator_places,
        volets=volets,
        notes=notes,
        row=row,
        fiche=fiche,
        cee=cee_value,
    )
    listed = row.extra.get("dispositifs") if row is not None else None
    if listed is not None:
        from ..rules.model import DISPOSITIFS

        names = [d.strip() for d in re.split(r"[,;]", listed[0]) if d.strip()]
        action.dispositifs = [(d, Place.of(listed[1])) for d in names if d in DISPOSITIFS]
        unknown = [d for d in names if d not in DISPOSITIFS]
        if unknown:
            action.notes.append("dispositifs non reconnus : " + ", ".join(unknown))
    else:
        action.dispositifs = _dispositifs(intitule.value or "", fiche)
    return action


def _financer_name(header: str) -> str:
    text = collapse(re.sub(r"[*()]", " ", header))
    if re.search(r"\b(autres?|partenaires|cofinanceurs)\b", norm(text)):
        return "autres financeurs"  # the generic column of other financers, whatever its header says
    return text if not text.islower() else text.upper() if len(text) <= 4 else text.capitalize()


def _dispositifs(title: str, fiche: Fiche | None) -> list[tuple[str, Place | None]]:
    """Dispositifs of the rule engine the action is, from its title, volets and public (vocabulary)."""
    voc = vocabulary()
    pieces: list[tuple[str, Place | None]] = [(title, Place.of(fiche.title_lines) if fiche else None)]
    if fiche is not None:
        pieces += [(v.label, Place.of(v.label_line)) for v in fiche.volets]
        if fiche.public:
            pieces.append((fiche.public, Place.of(fiche.public_lines)))
    text = " ".join(norm(t) for t, _ in pieces)
    found = []
    for name, groups in voc.dispositifs.items():
        for group in groups:
            if all(rx.search(text) for rx in group):
                # Cite the pieces whose words made the match.
                cited = [p for t, p in pieces if p and any(rx.search(norm(t)) for rx in group)]
                place = Place(min(p.line_start for p in cited), max(p.line_end for p in cited)) if cited else None
                found.append((name, place))
                break
    return found


# ---------------------------------------------------------------------------------------------
# Spreadsheet metadata rows (« Collectivité | Métropole de … », « Année | 2024 », « Plafond État axe 1 | … »)

_META_KEYS = {"collectivite": "nom", "nom": "nom", "nom de la collectivite": "nom", "type": "type",
              "type de collectivite": "type", "annee": "annee"}
_PLAFOND_RE = re.compile(r"^plafond(?: etat)?(?: de l'etat)?(?: axe)? ?([1-4])$")


def _metadata(structure: Structure, start: int, end: int) -> dict:
    doc = structure.doc
    out: dict = {}
    if doc.rows is None:
        return out
    from ..rules.money import AmountError, to_cents

    plafonds = {}
    first_header = min((t.line_start for t in structure.tables), default=len(doc.rows) + 1)
    for i, row in enumerate(doc.rows[: first_header - 1]):
        cells = [c for c in row if c is not None and str(c).strip()]
        if len(cells) < 2:
            continue
        key = norm(str(cells[0])).rstrip(" :")
        value = cells[1]
        place = Place.of(i + 1)
        m = _PLAFOND_RE.match(key)
        if m:
            try:
                plafonds[int(m.group(1))] = Value(to_cents(value), place)
            except AmountError:
                pass
        elif _META_KEYS.get(key) == "type":
            t = norm(str(value))
            if t in ("departement", "metropole"):
                out["type"] = Value(t, place)
        elif _META_KEYS.get(key) == "nom":
            out["nom"] = Value(str(value).strip(), place)
        elif _META_KEYS.get(key) == "annee":
            try:
                out["annee"] = Value(int(str(value).strip()), place)
            except ValueError:
                pass
    if plafonds:
        out["plafonds"] = plafonds
    return out
