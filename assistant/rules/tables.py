"""Financial tables laid out like Annexe 10 of the instruction (lines 1949-1967), read from XLSX or CSV.

The « Prévisionnel » layout, one row per action:

    Axes de la contractualisation | Fiche action N° | Intitulé de l'action |
    A Participation État notifiée … | B Crédits CD affectés … | C Participation d'autres financeurs … |
    F Budget global de l'action prévu en 2024 (A+B+C)

with an axis label on the first row of each axis, a « Sous total » row closing each axis and a
« TOTAUX FINANCIERS » row. Optional extra columns to the right: Statut, Dispositifs, FSE+, CEE.
Above the header, the title row (« … - Département du Pas-de-Calais Prévisionnel Année 2024 ») or
« clé | valeur » rows (Collectivité, Type, Année, Plafond État axe 1…4) give the contract's metadata.

What Annexe 10 has no column for (a fiche action's « volets », its indicators with T0 and yearly targets,
the terms of a canteen at 1 €) goes in further tables, each under its own header row and keyed by the
fiche action number: on their own sheet of a workbook (« Volets », « Indicateurs », « Cantine »), or below
the financial table in a CSV file, after a blank line. An optional « Évaluation d'impact » column (oui/non)
of the financial table says which action carries the social impact evaluation. So a table carries every
field the rules read, and the same contract gives the same report as YAML, XLSX or CSV
(tests/test_contract_loaders.py round-trips every evaluation contract). Only the names of the other
financers are lost: column C holds their sum, and no rule reads the names.

`read_table` returns the same mapping a YAML contract would hold, so both go through one validation.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from ..errors import InvalidInput
from .money import AmountError, parse_decimal, to_cents

MAX_ROWS = 5000
MAX_COLS = 60


def norm(value) -> str:
    """Header/label text, lowercased, without accents, spaces collapsed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKD", str(value).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("\u00a0", " ").replace("’", "'").split())


# ---------------------------------------------------------------------------------------------
# Rows from files


MAX_XLSX_UNZIPPED = 64 * 1024 * 1024


def _check_archive(data: bytes) -> None:
    """Refuse zip bombs: a 2 MB .xlsx may declare gigabytes once decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInput(f"classeur XLSX illisible ({type(exc).__name__}) : le fichier est-il bien un .xlsx ?") from None
    if size > MAX_XLSX_UNZIPPED:
        raise InvalidInput(f"classeur XLSX trop volumineux une fois décompressé ({size // 1024 // 1024} Mo)")


class Row(list):
    """The cells of one row, and where it is, for messages: « ligne 12 du tableau » or « ligne 3 de la
    feuille « Indicateurs » »."""

    def __init__(self, cells, where: str):
        super().__init__(cells)
        self.where = where


def numbered(rows: list[list], sheet: str | None = None) -> list[Row]:
    where = "du tableau" if sheet is None else f"de la feuille « {sheet} »"
    return [Row(row, f"ligne {n} {where}") for n, row in enumerate(rows, start=1)]


def rows_from_xlsx(data: bytes) -> list[Row]:
    """The financial sheet's rows, then those of every other sheet that holds an extra table (volets,
    indicators, canteen) from its header on; other sheets (a « Bilan », notes) are left alone."""
    from openpyxl import load_workbook  # imported lazily: only spreadsheets need it

    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise InvalidInput(f"classeur XLSX illisible ({type(exc).__name__}) : le fichier est-il bien un .xlsx ?") from None
    except Exception as exc:  # openpyxl raises many kinds of errors on corrupted archives
        raise InvalidInput(f"classeur XLSX illisible ({type(exc).__name__})") from None
    try:
        main = _pick_sheet(workbook)
        total = 0

        def sheet_rows(sheet) -> list[list]:
            nonlocal total
            rows = []
            cells = sheet.iter_rows(values_only=True, max_col=MAX_COLS)
            while True:
                try:
                    row = next(cells, None)
                except ValueError:  # read lazily: a number past Python's 4,300-digit limit, a malformed value
                    raise InvalidInput(
                        f"classeur XLSX illisible : la ligne {len(rows) + 1} de la feuille « {sheet.title} » "
                        "contient une valeur illisible (nombre trop grand ?)"
                    ) from None
                if row is None:
                    return rows
                rows.append(list(row))
                total += 1
                if total > MAX_ROWS:
                    raise InvalidInput(f"tableau trop long (plus de {MAX_ROWS} lignes)")

        out = numbered(sheet_rows(main))
        for sheet in workbook.worksheets:
            if sheet is main:
                continue
            rows = numbered(sheet_rows(sheet), sheet.title)
            start = next((i for i, row in enumerate(rows) if _extra_kind(row)), None)
            if start is not None:
                out.extend(rows[start:])
        return out
    finally:
        workbook.close()


def _pick_sheet(workbook):
    """The first sheet whose name says « prévisionnel » or « financier », else the first one."""
    for sheet in workbook.worksheets:
        if any(word in norm(sheet.title) for word in ("previsionnel", "financier")):
            return sheet
    return workbook.worksheets[0]


def rows_from_csv(data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # spreadsheets on Windows save CSV in cp1252
    if "\x00" in text:
        raise InvalidInput("fichier CSV illisible (octets nuls) : un tableau texte est attendu")
    delimiter = _delimiter(text[:20000])
    rows = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row[:MAX_COLS])
            if len(rows) > MAX_ROWS:
                raise InvalidInput(f"tableau trop long (plus de {MAX_ROWS} lignes)")
    except csv.Error as exc:
        raise InvalidInput(f"CSV invalide à la ligne {len(rows) + 1} ({exc})") from None
    return numbered(rows)


def _delimiter(sample: str) -> str:
    """The header line decides (French amounts are full of commas); else the most frequent one."""
    for line in sample.splitlines():
        if "intitul" in norm(line) or "fiche action" in norm(line):
            return max(";\t,", key=line.count)
    return max(";\t,", key=sample.count)


# ---------------------------------------------------------------------------------------------
# Layout


ROLE_LABELS = {
    "axe": "Axes de la contractualisation",
    "fiche": "Fiche action N°",
    "intitule": "Intitulé de l'action",
    "etat": "A Participation État",
    "collectivite": "B Crédits de la collectivité",
    "autres": "C Participation d'autres financeurs",
    "total": "F Budget global de l'action (A+B+C)",
    "statut": "Statut",
    "dispositifs": "Dispositifs",
    "fse_plus": "FSE+",
    "cee": "CEE",
    "evaluation_impact": "Évaluation d'impact",
}
AMOUNT_ROLES = ("etat", "collectivite", "autres", "total")


def _role(header: str) -> str | None:
    h = norm(header)
    if not h:
        return None
    if "evaluation" in h and "impact" in h:
        return "evaluation_impact"
    if "budget global" in h or h.startswith("f budget") or h == "total":
        return "total"
    if "autres financeurs" in h or "autre financeur" in h:
        return "autres"
    if "etat" in h and ("participation" in h or "credits" in h or h in {"etat", "part etat"}):
        if any(word in h for word in ("non consomme", "realise", "reporter", "verses", "budget total")):
            return None
        return "etat"
    if any(word in h for word in ("credits cd", "credits metropole", "credits collectivite", "part collectivite",
                                  "credits du departement", "credits departement", "collectivite")) or h in {
        "cd", "metropole", "departement"}:
        if any(word in h for word in ("non consomme", "realise", "reporter", "budget total")):
            return None
        return "collectivite"
    if "fiche action" in h or h in {"n°", "numero", "id", "fiche"}:
        return "fiche"
    if "intitule" in h:
        return "intitule"
    if h.startswith("axe"):
        return "axe"
    if h.startswith("statut"):
        return "statut"
    if h.startswith("dispositif"):
        return "dispositifs"
    if h.startswith("fse"):
        return "fse_plus"
    if h.startswith("cee"):
        return "cee"
    return None


def _is_header(row: list) -> bool:
    roles = {_role(cell) for cell in row if isinstance(cell, str)}
    return "etat" in roles and ("intitule" in roles or "fiche" in roles)


@dataclass(frozen=True)
class ExtraTable:
    """A table keyed by the fiche action number, for what Annexe 10 has no column for."""

    key: str  # the action's field in the contract mapping
    sheet: str  # its sheet in a workbook
    needs: frozenset  # the column roles that make a row its header


EXTRA_TABLES = (
    ExtraTable("volets", "Volets", frozenset({"fiche", "volet", "montant"})),
    ExtraTable("indicateurs", "Indicateurs", frozenset({"fiche", "indicateur"})),
    ExtraTable("cantine", "Cantine", frozenset({"fiche", "repas", "prix_repas"})),
)
EXTRA_LABELS = {
    "fiche": "Fiche action N°",
    "volet": "Volet de l'action",
    "montant": "Montant",
    "indicateur": "Indicateur",
    "t0": "Situation de départ (T0)",
    "repas": "Nombre de repas",
    "prix_repas": "Prix du repas",
    "qf_max": "Quotient familial maximal",
    "aide_etat_par_repas": "Aide de l'État par repas",
    "etablissements_rep": "Établissements REP",
    "mesure_similaire_existante": "Mesure similaire existante",
}
CANTEEN_FIELDS = ("repas", "prix_repas", "qf_max", "aide_etat_par_repas", "etablissements_rep",
                  "mesure_similaire_existante")


def _extra_role(header) -> str | None:
    """The role of a column of an extra table: the keys of EXTRA_LABELS, or « cible 2025 »."""
    h = norm(header)
    if not h:
        return None
    if "fiche action" in h or h in {"n°", "numero", "fiche", "action", "actions"}:
        return "fiche"
    if h.startswith("volet"):
        return "volet"
    if h.startswith("montant"):
        return "montant"
    if h.startswith("indicateur"):
        return "indicateur"
    if h == "t0" or "(t0)" in h or h.startswith("situation"):
        return "t0"
    year = re.match(r"^cibles?\D*(20\d\d)\b", h)
    if year:
        return f"cible {year.group(1)}"
    if h.startswith("prix"):
        return "prix_repas"
    if h.startswith("aide"):
        return "aide_etat_par_repas"
    if "quotient familial" in h or h.split()[0] == "qf":
        return "qf_max"
    if "mesure similaire" in h:
        return "mesure_similaire_existante"
    if "rep" in h.split():
        return "etablissements_rep"
    if "repas" in h:
        return "repas"
    return None


def _extra_kind(row: list) -> ExtraTable | None:
    roles = {_extra_role(cell) for cell in row if isinstance(cell, str)}
    return next((t for t in EXTRA_TABLES if t.needs <= roles), None)


def _columns(row: Row) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        role = _role(cell) if isinstance(cell, str) else None
        if role is None:
            continue
        h = norm(cell)
        if role in columns and role in {"etat", "collectivite"}:
            # Annexe 10 (2025) repeats the columns: keep the one « pour la convention ».
            if "pour la convention" not in h:
                continue
        columns[role] = index  # for « autres », the last one (the year being planned)
    if "collectivite" not in columns:
        raise InvalidInput(
            f"{row.where} : colonne « {ROLE_LABELS['collectivite']} » introuvable dans l'en-tête"
        )
    return columns


_AXIS_WORDS = (
    (1, ("enfance", "prevenir la pauvrete")),
    (2, ("emploi",)),
    (3, ("acces aux droits", "grande exclusion", "droits essentiels")),
    (4, ("ecologique", "transition")),
)


def parse_axis_label(text) -> int | None:
    h = norm(text)
    if not h:
        return None
    match = re.match(r"^axe\s*:?\s*([1-4])\b", h)
    if match:
        return int(match.group(1))
    for axis, words in _AXIS_WORDS:
        if any(word in h for word in words):
            return axis
    return None


_TITLE = re.compile(
    r"\b(d[ée]partement|m[ée]tropole)\s+(?:du\s+|de\s+la\s+|de\s+l['’]|des\s+|de\s+|d['’])?(.+?)"
    r"(?=\s+(?:pr[ée]visionnel|bilan|ann[ée]e)\b|\s*$)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(20\d\d)\b")
_META_KEYS = {
    "collectivite": "nom",
    "nom": "nom",
    "nom de la collectivite": "nom",
    "type": "type",
    "type de collectivite": "type",
    "annee": "annee",
}


def _cells(row: list) -> list:
    return [c for c in row if c is not None and str(c).strip() != ""]


def _metadata(rows: list[list], meta: dict, plafonds: dict) -> None:
    for row in rows:
        cells = _cells(row)
        if not cells:
            continue
        key = norm(cells[0]).rstrip(" :")
        value = cells[1] if len(cells) > 1 else None
        plafond = re.match(r"^plafond(?: etat)?(?: de l'etat)?(?: axe)? ?([1-4])$", key)
        if plafond and value is not None:
            plafonds[int(plafond.group(1))] = value
        elif key in _META_KEYS and value is not None:
            meta[_META_KEYS[key]] = value
        elif len(cells) == 1 and isinstance(cells[0], str):
            title = cells[0]
            found = _TITLE.search(title)
            if found and "nom" not in meta:
                meta["type"] = meta.get("type") or norm(found.group(1))
                meta["nom"] = title[found.start(1):found.end(2)].strip()
            year = _YEAR.search(title)
            if year and "annee" not in meta and ("annee" in norm(title) or "previsionnel" in norm(title)):
                meta["annee"] = int(year.group(1))


class _Locator:
    """Turns a validation path (actions[3].statut, actions[3].volets[1].montant) into the table row it
    came from: the longest path prefix whose row is known."""

    def __init__(self):
        self.rows: dict[tuple, str] = {}

    def add(self, prefix: tuple, where: str) -> None:
        self.rows[prefix] = where

    def __call__(self, loc: tuple) -> str:
        from .contract import _path

        for n in range(len(loc), 0, -1):
            where = self.rows.get(tuple(loc[:n]))
            if where is not None:
                return f"{where} ({_path(loc)})"
        return _path(loc)


def _amount(value, where: str, header, *, empty=0):
    if value is None or (isinstance(value, str) and not value.strip()):
        return empty
    try:
        cents = to_cents(value)
    except AmountError as exc:
        raise InvalidInput(f"{where}, colonne « {header} » : {exc}") from None
    return cents / 100 if cents % 100 else cents // 100


def _measure(value):
    """An indicator cell: numbers stay numbers, French number text (« 1 250 », « 12,5 ») becomes one, as
    it would be in YAML; other text (« 100 % », « oui ») is kept as written."""
    if not isinstance(value, str):
        return value
    try:
        number = parse_decimal(value)
    except AmountError:
        return value
    return int(number) if number == number.to_integral_value() else float(number)


def _cell(row: list, index: int | None):
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_rows(rows: list[list]) -> tuple[dict, _Locator]:
    """Rows of an Annexe-10 table, and of the extra tables after it -> the contract mapping (same keys
    as a YAML contract). Plain lists are numbered as the lines of one table."""
    rows = rows if all(isinstance(r, Row) for r in rows) else numbered(rows)
    header_at = next((i for i, row in enumerate(rows) if _is_header(row)), None)
    if header_at is None:
        raise InvalidInput(
            "tableau financier non reconnu : en-tête avec les colonnes « Fiche action N° » ou « Intitulé de "
            "l'action », « A Participation État » et « B Crédits … » introuvable (modèle de l'annexe 10)"
        )
    extras = [i for i in range(header_at + 1, len(rows)) if _extra_kind(rows[i])]
    locator = _Locator()
    contract = _financial_table(rows[:header_at], rows[header_at], rows[header_at + 1 : (extras or [len(rows)])[0]],
                                locator)
    for start, end in zip(extras, extras[1:] + [len(rows)]):
        _extra_table(rows[start], rows[start + 1 : end], contract["actions"], locator)
    return contract, locator


def _financial_table(above: list[Row], header: Row, body: list[Row], locator: _Locator) -> dict:
    meta: dict = {}
    plafonds: dict = {}
    _metadata(above, meta, plafonds)
    columns = _columns(header)
    headers = {role: str(header[i]).strip() for role, i in columns.items()}
    if "annee" not in meta:
        for cell in header:
            year = _YEAR.search(str(cell or ""))
            if year and "convention" in norm(cell):
                meta["annee"] = int(year.group(1))
                break

    actions, sous_totaux, totaux = [], {}, None
    axis = None
    for row in body:
        if not _cells(row):
            continue
        where = row.where
        label_cells = [norm(_cell(row, columns.get(r))) for r in ("axe", "fiche", "intitule")]
        labels = " ".join(c for c in label_cells if c)
        amounts = {
            role: _amount(_cell(row, columns.get(role)), where, headers.get(role), empty=None)
            for role in AMOUNT_ROLES
            if role in columns
        }
        has_amount = any(v is not None for v in amounts.values())
        if "totaux financiers" in labels or re.match(r"^totaux?\b", labels or ""):
            totaux = {k: v for k, v in amounts.items() if v is not None}
            continue
        new_axis = parse_axis_label(_cell(row, columns.get("axe")))
        if new_axis is not None:
            axis = new_axis
        fiche = _cell(row, columns.get("fiche"))
        intitule = _cell(row, columns.get("intitule"))
        if "sous total" in labels.replace("-", " ") or (has_amount and fiche is None and intitule is None):
            if axis is None:
                raise InvalidInput(f"{where} : sous-total sans axe")
            sous_totaux[axis] = {k: v for k, v in amounts.items() if v is not None}
            axis = None  # the next axis starts with its label, or else with its fiche numbers
            continue
        if not has_amount:
            continue  # the template's empty rows (« Intitulé de l'action n° 1 ») and blank lines
        fiche_text = None if fiche is None else (repr(fiche) if isinstance(fiche, float) else str(fiche))
        action_axis = axis
        if axis is None and fiche_text and re.match(r"^[1-4]\.", fiche_text):
            action_axis = axis = int(fiche_text[0])
        if action_axis is None:
            raise InvalidInput(f"{where} : axe de l'action introuvable (ajoutez le libellé de l'axe)")
        if fiche_text is None:
            raise InvalidInput(f"{where}, colonne « {headers.get('fiche', 'Fiche action N°')} » : numéro de fiche action manquant")
        action = {
            "id": fiche_text,
            "axe": action_axis,
            "intitule": intitule if intitule is not None else f"Action {fiche_text}",
            "financement": {
                "etat": 0 if amounts.get("etat") is None else amounts["etat"],
                "collectivite": 0 if amounts.get("collectivite") is None else amounts["collectivite"],
            },
        }
        if amounts.get("autres"):
            action["financement"]["autres"] = {"autres financeurs": amounts["autres"]}
        if amounts.get("total") is not None:
            action["financement"]["total"] = amounts["total"]
        statut = _cell(row, columns.get("statut"))
        if statut is not None:
            action["statut"] = statut
        dispositifs = _cell(row, columns.get("dispositifs"))
        if dispositifs is not None:
            action["dispositifs"] = [d.strip() for d in re.split(r"[,;]", str(dispositifs)) if d.strip()]
        evaluation = _cell(row, columns.get("evaluation_impact"))
        if evaluation is not None:
            action["evaluation_impact"] = evaluation
        for role in ("fse_plus", "cee"):
            value = _cell(row, columns.get(role))
            if value is not None:
                amount = _amount(value, where, headers.get(role))
                if role == "fse_plus":
                    action["financement"]["fse_plus"] = amount
                else:
                    action["cee"] = amount
        if action.get("cee"):
            # Column C counts every other financer, the CEE included (F = A + B + C): split them apart.
            others = amounts.get("autres") or 0
            if others < action["cee"]:
                raise InvalidInput(
                    f"{where} : CEE ({action['cee']} €) supérieurs à la colonne « "
                    f"{headers.get('autres', ROLE_LABELS['autres'])} », qui les inclut")
            rest = others - action["cee"]
            action["financement"]["autres"] = {"autres financeurs": rest} if rest else {}
        locator.add(("actions", len(actions)), where)
        actions.append(action)

    if not actions:
        raise InvalidInput("tableau financier sans aucune action chiffrée")
    if "type" not in meta:
        raise InvalidInput(
            "type de collectivité introuvable : indiquez « Département du … » ou « Métropole de … » dans le titre, "
            "ou une ligne « Type | département » au-dessus de l'en-tête"
        )
    contract = {
        "collectivite": {"nom": meta.get("nom") or "(non précisé)", "type": meta["type"]},
        "annee": meta.get("annee"),
        "actions": actions,
    }
    if contract["annee"] is None:
        raise InvalidInput("année introuvable : indiquez « Prévisionnel Année 2024 » dans le titre ou une ligne « Année | 2024 »")
    if plafonds:
        contract["plafonds_etat"] = plafonds
    if sous_totaux:
        contract["sous_totaux"] = sous_totaux
    if totaux:
        contract["totaux"] = totaux
    return contract


def _fiche_id(value) -> str:
    """« 1.1 », 1.1 (a spreadsheet number) or « Action 1.1 : Accueil … » -> « 1.1 »."""
    text = repr(value) if isinstance(value, float) else str(value).strip()
    named = re.match(r"^(?:fiche\s+)?action\s+(?:n°\s*)?(\S+?)\s*(?::|$)", text, re.IGNORECASE)
    return named.group(1) if named else text


def _extra_table(header: Row, body: list[Row], actions: list[dict], locator: _Locator) -> None:
    """Adds the rows of one extra table to the actions they name. A row without a fiche number belongs to
    the action above it, as in a sheet whose action cells are merged."""
    table = _extra_kind(header)
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        role = _extra_role(cell) if isinstance(cell, str) else None
        if role is not None and role not in columns:
            columns[role] = index
    fiche_header = str(header[columns["fiche"]]).strip()
    by_id = {a["id"]: i for i, a in enumerate(actions)}
    if table.key == "indicateurs":
        # The table lists every indicator of the contract: an action it does not name has none.
        for action in actions:
            action["indicateurs"] = []
    years = sorted((int(role[6:]), i) for role, i in columns.items() if role.startswith("cible "))
    index = None
    for row in body:
        if not _cells(row):
            continue
        fiche = _cell(row, columns["fiche"])
        if fiche is not None:
            index = by_id.get(_fiche_id(fiche))
            if index is None:
                raise InvalidInput(f"{row.where}, colonne « {fiche_header} » : fiche action « {fiche} » absente du "
                                   "tableau financier")
        elif index is None:
            raise InvalidInput(f"{row.where}, colonne « {fiche_header} » : numéro de fiche action manquant")
        action = actions[index]
        if table.key == "cantine":
            if "cantine" in action:
                raise InvalidInput(f"{row.where} : deuxième ligne « {table.sheet} » pour la fiche action {action['id']}")
            action["cantine"] = {f: _cell(row, columns[f]) for f in CANTEEN_FIELDS
                                 if f in columns and _cell(row, columns[f]) is not None}
            locator.add(("actions", index, "cantine"), row.where)
            continue
        if table.key == "volets":
            entry = {"libelle": _cell(row, columns["volet"]), "montant": _cell(row, columns["montant"])}
        else:
            entry = {"libelle": _cell(row, columns["indicateur"]), "t0": _measure(_cell(row, columns.get("t0"))),
                     "cibles": {year: _measure(_cell(row, i)) for year, i in years if _cell(row, i) is not None}}
        entries = action.setdefault(table.key, [])
        locator.add(("actions", index, table.key, len(entries)), row.where)
        entries.append(entry)


def read_table(data: bytes, kind: str) -> tuple[dict, _Locator]:
    rows = rows_from_xlsx(data) if kind == "xlsx" else rows_from_csv(data)
    return read_rows(rows)


# ---------------------------------------------------------------------------------------------
# Writing (scripts/make_example_xlsx.py)

AXIS_LABELS = {
    1: "Axe : Prévenir la pauvreté et lutter contre les inégalités dès l'enfance",
    2: "Axe : Amplifier la politique d'accès à l'emploi pour tous",
    3: "Axe : Lutter contre la grande exclusion grâce à l'accès aux droits",
    4: "Axe : Construire une transition écologique solidaire",
}


class Euros(float):
    """A cell written as money: « 1 236 000,00 € » in a CSV file, the euro number format in a workbook."""


def _euros(cents: int | None):
    return None if cents is None else Euros(cents / 100)


def _flag_text(value) -> str | None:
    return None if value is None else ("oui" if value else "non")


def table_rows(contract, title: str) -> list[list]:
    """A Contract (pydantic) -> rows of an Annexe-10 « Prévisionnel » table, amounts in euros.

    Declared totals are written as declared in the contract (not recomputed), so a table
    reproduces its source faithfully, mistakes included.
    """
    year = contract.annee
    who = "CD" if contract.collectivite.type == "departement" else "métropole"
    header = [
        "Axes de la contractualisation",
        "Fiche action N°",
        "Intitulé de l'action",
        f"A Participation État notifiée pour la convention {year}",
        f"B Crédits {who} affectés pour la convention {year}",
        "C Participation d'autres financeurs le cas échéant",
        f"F Budget global de l'action prévu en {year} (A+B+C)",
        "Statut",
        "Dispositifs",
    ]
    # Optional columns, only when used: the CEE (also counted in C), the FSE+ (part of B), and which
    # action carries the social impact evaluation.
    with_cee = any(a.cee for a in contract.actions)
    with_fse = any(a.financement.fse_plus for a in contract.actions)
    with_evaluation = any(a.evaluation_impact is not None for a in contract.actions)
    header += ["CEE"] * with_cee + ["FSE+"] * with_fse + [ROLE_LABELS["evaluation_impact"]] * with_evaluation
    rows: list[list] = [[title], []]
    for axis, amount in sorted(contract.plafonds_etat.items()):
        rows.append([f"Plafond État axe {axis}", _euros(amount)])
    rows.append(header)
    for axis in (1, 2, 3, 4):
        actions = [a for a in contract.actions if a.axe == axis]
        if not actions:
            continue
        for i, a in enumerate(actions):
            f = a.financement
            autres = sum(f.autres.values()) + a.cee
            rows.append([
                AXIS_LABELS[axis] if i == 0 else None,
                a.id,
                a.intitule,
                _euros(f.etat),
                _euros(f.collectivite),
                _euros(autres),
                _euros(f.total),
                a.statut,
                ", ".join(a.dispositifs) or None,
                *([_euros(a.cee)] if with_cee else []),
                *([_euros(f.fse_plus)] if with_fse else []),
                *([_flag_text(a.evaluation_impact)] if with_evaluation else []),
            ])
        sub = contract.sous_totaux.get(axis)
        if sub is not None:
            rows.append([None, "Sous total", None, *(_euros(v) for v in (sub.etat, sub.collectivite, sub.autres, sub.total))])
    if contract.totaux is not None:
        t = contract.totaux
        rows.append(["TOTAUX FINANCIERS", None, None, *(_euros(v) for v in (t.etat, t.collectivite, t.autres, t.total))])
    return rows


def extra_rows(contract) -> list[tuple[ExtraTable, list[list]]]:
    """The extra tables a contract needs (volets, indicators, canteen terms), header row first; a table
    nobody uses is left out. An indicator table, once there, lists every indicator of the contract."""
    out = []
    fiche = EXTRA_LABELS["fiche"]
    volets = [[a.id, v.libelle, _euros(v.montant)] for a in contract.actions for v in a.volets or ()]
    if volets:
        out.append((EXTRA_TABLES[0], [[fiche, EXTRA_LABELS["volet"], EXTRA_LABELS["montant"]], *volets]))
    if any(a.indicateurs is not None for a in contract.actions):
        years = sorted({y for a in contract.actions for i in a.indicateurs or () for y in i.cibles})
        rows = [[fiche, EXTRA_LABELS["indicateur"], EXTRA_LABELS["t0"], *(f"Cible {y}" for y in years)]]
        rows += [[a.id, i.libelle, i.t0, *(i.cibles.get(y) for y in years)]
                 for a in contract.actions for i in a.indicateurs or ()]
        out.append((EXTRA_TABLES[1], rows))
    canteens = [(a.id, a.cantine) for a in contract.actions if a.cantine is not None]
    if canteens:
        rows = [[fiche, *(EXTRA_LABELS[f] for f in CANTEEN_FIELDS)]]
        rows += [[action_id, c.repas, _euros(c.prix_repas), _euros(c.qf_max), _euros(c.aide_etat_par_repas),
                  _flag_text(c.etablissements_rep), _flag_text(c.mesure_similaire_existante)]
                 for action_id, c in canteens]
        out.append((EXTRA_TABLES[2], rows))
    return out


def write_xlsx(rows: list[list], path, sheet_title: str = "Prévisionnel",
               extras: list[tuple[ExtraTable, list[list]]] = ()) -> None:
    """The financial table on its sheet, each extra table on its own sheet after it."""
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    money = '#,##0.00 "€"'
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for row in rows:
        sheet.append([float(v) if isinstance(v, Euros) else v for v in row])
        for cell, value in zip(sheet[sheet.max_row], row):
            if isinstance(value, Euros):
                cell.number_format = money
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and (cell.value.startswith("TOTAUX") or cell.value == "Sous total"):
                for other in row:
                    other.font = Font(bold=True)
    header_row = next(i for i, r in enumerate(rows, start=1) if r and r[0] == "Axes de la contractualisation")
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True)
    for column, width in zip("ABCDEFGHI", (34, 10, 44, 18, 18, 18, 18, 12, 26)):
        sheet.column_dimensions[column].width = width
    for table, extra in extras:
        other = workbook.create_sheet(table.sheet)
        for row in extra:
            other.append([float(v) if isinstance(v, Euros) else v for v in row])
            for cell, value in zip(other[other.max_row], row):
                if isinstance(value, Euros):
                    cell.number_format = money
        for cell in other[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        other.column_dimensions["B"].width = 60
    # Fixed metadata dates: regenerating the example does not change it needlessly.
    workbook.properties.created = workbook.properties.modified = datetime(2024, 4, 15)
    workbook.save(path)


def fr_amount(value) -> str:
    """12345.5 -> '12 345,50 €' (how a French spreadsheet exports money to CSV)."""
    cents = round(value * 100)
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", " ")
    return f"{grouped},{rest:02d} €"


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Euros):
        return fr_amount(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")  # a plain number, French decimal comma (« 12,5 »)
    return str(value)


def write_csv(rows: list[list], path, extras: list[tuple[ExtraTable, list[list]]] = ()) -> None:
    """The financial table, then each extra table after a blank line."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
        for _table, extra in extras:
            writer.writerow([])
            for row in extra:
                writer.writerow([_csv_cell(v) for v in row])
