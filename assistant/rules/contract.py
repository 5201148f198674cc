"""Contract files: the pydantic schema, and loaders for YAML, JSON, XLSX and CSV.

Every malformed input ends as assistant.errors.InvalidInput with a French message that names the
field ("actions[3].financement.etat : montant négatif (-5 €)"); nothing here lets a traceback through.

The file format (YAML shown; JSON has the same keys):

    collectivite: {nom: "Métropole de …", type: metropole}     # or departement
    annee: 2024
    plafonds_etat: {1: 500000, 2: 400000, 3: 450000, 4: 300000}  # State amount proposed per axis (optional)
    actions:
      - id: "1.1"
        axe: 1
        intitule: "…"
        statut: nouvelle                     # nouvelle | renforcee | reconduite (optional)
        financement:
          etat: 100000                       # euros; numbers or French text ("100 000,00 €")
          collectivite: 100000               # the FSE+ part, if any, is included here
          autres: {CAF: 20000}               # other financers (not the CEE)
          fse_plus: 0                        # part of `collectivite` paid by the FSE+
          total: 220000                      # optional declared total (column F of Annexe 10)
        cee: 0                               # CEE co-financing, on top of the amounts above
        dispositifs: [slime]                 # see model.DISPOSITIFS
        cantine: {repas: 10000, prix_repas: 0.5, qf_max: 1000, aide_etat_par_repas: 1}
        indicateurs: [{libelle: "…", t0: 10, cibles: {2024: 20, 2025: 30, 2026: 40, 2027: 50}}]
        volets: [{libelle: "…", montant: 120000}]   # optional sub-budget lines of the fiche action
        evaluation_impact: true              # this action carries the social impact evaluation
    sous_totaux: {1: {etat: …, collectivite: …, autres: …, total: …}}   # optional declared totals
    totaux: {etat: …, collectivite: …, autres: …, total: …}
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..config import MAX_UPLOAD_BYTES
from ..errors import InvalidInput
from . import model
from .money import AmountError, fmt_number, to_cents
from .safeparse import MAX_DIGITS, decode_text, parse_json, parse_yaml, paused_gc

# ---------------------------------------------------------------------------------------------
# Field types: each raises ValueError with a French message, shown after the field path.


@lru_cache(maxsize=1024)
def _plain(text: str) -> str:
    """Lowercase without accents: 'Renforcée' -> 'renforcee'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _amount(value):
    if value is None:
        raise ValueError("montant manquant")
    try:
        return to_cents(value)
    except AmountError as exc:
        raise ValueError(str(exc)) from None


def _count(value):
    cents = _amount(value)
    if cents % 100:
        raise ValueError(f"nombre entier attendu ({fmt_number(cents / 100)})")
    return cents // 100


def _digits(value):
    """An integer written as text ("2024", " 3 "), or the value unchanged. Only ASCII digits, and not too many of
    them: int() of 4,300+ digits (or of "²") fails with an English message."""
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
            return int(text)
    return value


def _shown(value) -> str:
    text = str(value)
    text = text if len(text) <= 40 else text[:39] + "…"
    return f"« {text} »" if isinstance(value, str) else text


def _axis(value):
    value = _digits(value)
    if isinstance(value, bool) or value not in model.AXES:
        raise ValueError(f"axe inconnu ({_shown(value)}) ; valeurs possibles : 1, 2, 3, 4")
    return int(value)


def _year(value):
    value = _digits(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise ValueError(f"année invalide ({_shown(value)}) ; une année comme 2024 est attendue")
    return value


def _choice(options: dict[str, str], what: str):
    def validate(value):
        if value in options:
            return value
        if isinstance(value, str) and len(value) < 100 and _plain(value) in options:
            return _plain(value)
        allowed = ", ".join(options)
        raise ValueError(f"{what} inconnu (« {value} ») ; valeurs possibles : {allowed}")

    return validate


def _text(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("texte non vide attendu")
    return value.strip()


def _identifier(value):
    # YAML reads `id: 1.1` as the float 1.1: keep it as the text the author typed.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    return _text(value)


def _measure(value):
    """An indicator value: a number or a short text ("100 %", "oui"); empty means missing."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError("nombre ou texte attendu, pas un booléen")
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return value.strip() or None
    raise ValueError("nombre ou texte attendu")


def _flag(value):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and _plain(value) in {"oui", "non", "true", "false"}:
        return _plain(value) in {"oui", "true"}
    raise ValueError(f"oui/non attendu (« {value} »)")


Amount = Annotated[int, BeforeValidator(_amount)]
Count = Annotated[int, BeforeValidator(_count)]
Axis = Annotated[int, BeforeValidator(_axis)]
Year = Annotated[int, BeforeValidator(_year)]
Text = Annotated[str, BeforeValidator(_text)]
Identifier = Annotated[str, BeforeValidator(_identifier)]
Measure = Annotated[Any, BeforeValidator(_measure)]
Flag = Annotated[Any, BeforeValidator(_flag)]
CollectivityType = Annotated[str, BeforeValidator(_choice(model.COLLECTIVITY_TYPES, "type de collectivité"))]
Status = Annotated[str, BeforeValidator(_choice(model.STATUSES, "statut"))]
Dispositif = Annotated[str, BeforeValidator(_choice(model.DISPOSITIFS, "dispositif"))]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo ("colectivite") must not silently drop an amount.
    model_config = ConfigDict(extra="forbid")


class Collectivite(_Strict):
    nom: Text
    type: CollectivityType


class Financement(_Strict):
    etat: Amount
    collectivite: Amount
    autres: dict[Text, Amount] = Field(default_factory=dict)
    fse_plus: Amount = 0
    total: Amount | None = None


class Cantine(_Strict):
    repas: Count
    prix_repas: Amount
    qf_max: Amount
    aide_etat_par_repas: Amount
    etablissements_rep: Flag = None
    mesure_similaire_existante: Flag = None


class Indicateur(_Strict):
    libelle: Text
    t0: Measure = None
    cibles: dict[Year, Measure] = Field(default_factory=dict)


class Volet(_Strict):
    libelle: Text
    montant: Amount


class Action(_Strict):
    id: Identifier
    axe: Axis
    intitule: Text
    statut: Status | None = None
    financement: Financement
    cee: Amount = 0
    dispositifs: list[Dispositif] = Field(default_factory=list)
    cantine: Cantine | None = None
    indicateurs: list[Indicateur] | None = None
    volets: list[Volet] | None = None
    evaluation_impact: Flag = None
    notes: str | None = None


class Totaux(_Strict):
    etat: Amount | None = None
    collectivite: Amount | None = None
    autres: Amount | None = None
    total: Amount | None = None


class Contract(_Strict):
    collectivite: Collectivite
    annee: Year
    plafonds_etat: dict[Axis, Amount] = Field(default_factory=dict)
    actions: list[Action] = Field(min_length=1)
    sous_totaux: dict[Axis, Totaux] = Field(default_factory=dict)
    totaux: Totaux | None = None
    notes: str | None = None

    def facts(self) -> model.ContractFacts:
        """The plain dataclasses the rules read."""
        return to_facts(self)


# ---------------------------------------------------------------------------------------------
# pydantic errors -> one French message naming the field


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (clé)"
        else:
            out += ("." if out else "") + str(part)
    return out or "(racine)"


def _fields_of(loc: tuple) -> list[str]:
    """The known field names at the place of an unknown key, to suggest a correction."""
    cls = Contract
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = cls.model_fields.get(str(part))
        if field is None:
            return []
        annotation = field.annotation
        for candidate in getattr(annotation, "__args__", ()) + (annotation,):
            inner = getattr(candidate, "__args__", ())
            for sub in (candidate, *inner):
                if isinstance(sub, type) and issubclass(sub, BaseModel):
                    cls = sub
                    break
            else:
                continue
            break
        else:
            return []
    return list(cls.model_fields)


def _describe(error: dict) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "missing":
        return "champ obligatoire manquant"
    if kind == "extra_forbidden":
        known = _fields_of(tuple(error["loc"]))
        close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
        hint = f" ; vouliez-vous dire « {close[0]} » ?" if close else ""
        return f"champ inconnu{hint}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"objet (clé : valeur) attendu, pas {_kind_of(value)}"
    if kind == "list_type":
        return f"liste attendue, pas {_kind_of(value)}"
    if kind == "too_short":
        return "au moins un élément attendu (liste vide)"
    if kind in {"string_type", "str_type"}:
        return f"texte attendu, pas {_kind_of(value)}"
    if kind in {"bool_type", "bool_parsing"}:
        return "oui/non (true/false) attendu"
    return "valeur invalide"


def _kind_of(value) -> str:
    if value is None:
        return "une valeur vide"
    if isinstance(value, bool):
        return "un booléen"
    if isinstance(value, (int, float)):
        return f"un nombre ({value})"
    if isinstance(value, str):
        return f"un texte (« {value[:40]} »)"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "un objet"
    return type(value).__name__


def validation_message(exc: ValidationError, describe_loc=None) -> str:
    errors = exc.errors(include_url=False)
    # An unknown key usually explains a « missing » one next to it (a typo): report it first.
    first = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    loc = tuple(first["loc"])
    where = describe_loc(loc) if describe_loc else _path(loc)
    message = f"{where} : {_describe(first)}"
    if len(errors) > 1:
        others = len(errors) - 1
        message += f" (et {others} autre{'s' if others > 1 else ''} erreur{'s' if others > 1 else ''})"
    return message


def validate_contract(data, describe_loc=None) -> Contract:
    """A mapping (parsed YAML/JSON or a table) -> Contract, or InvalidInput naming the field."""
    if not isinstance(data, dict):
        raise InvalidInput(
            f"le fichier ne décrit pas un contrat : un objet avec collectivite, annee et actions est attendu, "
            f"pas {_kind_of(data)}"
        )
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc, describe_loc)) from None
    except RecursionError:
        raise InvalidInput("structure trop profondément imbriquée") from None
    seen: dict[str, int] = {}
    for i, action in enumerate(contract.actions):
        if action.id in seen:
            where = describe_loc(("actions", i, "id")) if describe_loc else f"actions[{i}].id"
            raise InvalidInput(
                f"{where} : identifiant en double (« {action.id} », déjà utilisé par actions[{seen[action.id]}])"
            )
        seen[action.id] = i
    return contract


def to_facts(contract: Contract) -> model.ContractFacts:
    actions = []
    for i, a in enumerate(contract.actions):
        f = a.financement
        actions.append(
            model.ActionFacts(
                id=a.id,
                index=i,
                axe=a.axe,
                intitule=a.intitule,
                statut=a.statut,
                etat=f.etat,
                collectivite=f.collectivite,
                autres=sum(f.autres.values()),
                autres_detail=tuple(f.autres.items()),
                fse_plus=f.fse_plus,
                cee=a.cee,
                total_declared=f.total,
                dispositifs=frozenset(a.dispositifs),
                cantine=model.Canteen(**a.cantine.model_dump()) if a.cantine else None,
                indicateurs=None
                if a.indicateurs is None
                else tuple(model.Indicator(i.libelle, i.t0, dict(i.cibles)) for i in a.indicateurs),
                volets=None if a.volets is None else tuple(model.Part(v.libelle, v.montant) for v in a.volets),
                evaluation_impact=a.evaluation_impact,
            )
        )
    totals = lambda t: model.Totals(t.etat, t.collectivite, t.autres, t.total)  # noqa: E731
    return model.ContractFacts(
        nom=contract.collectivite.nom,
        type=contract.collectivite.type,
        annee=contract.annee,
        plafonds=dict(contract.plafonds_etat),
        actions=tuple(actions),
        sous_totaux={axis: totals(t) for axis, t in contract.sous_totaux.items()},
        totaux=totals(contract.totaux) if contract.totaux else None,
    )


# ---------------------------------------------------------------------------------------------
# Reading files


TEXT_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".csv": "csv"}
TABLE_FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsx"}


def _size(n: int) -> str:
    return fmt_number(round(n / 1024 / 1024, 1)) + " Mo"


def read_source(source) -> tuple[bytes, str]:
    """(bytes, filename) from a path or an already-read (bytes, filename) pair."""
    if isinstance(source, tuple):
        data, name = source
        if isinstance(data, str):
            data = data.encode("utf-8")
        return bytes(data), str(name or "contrat")
    path = Path(source)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise InvalidInput(f"{path} est un dossier, pas un fichier de contrat")
        if size > MAX_UPLOAD_BYTES:
            raise InvalidInput(f"fichier trop volumineux ({_size(size)} ; maximum {_size(MAX_UPLOAD_BYTES)})")
        return path.read_bytes(), path.name
    except FileNotFoundError:
        raise InvalidInput(f"fichier introuvable : {path}") from None
    except PermissionError:
        raise InvalidInput(f"fichier illisible (droits insuffisants) : {path}") from None


def detect_format(data: bytes, name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_FORMATS:
        return TEXT_FORMATS[suffix]
    if suffix in TABLE_FORMATS:
        return TABLE_FORMATS[suffix]
    if suffix in {".xls", ".ods", ".odt", ".docx", ".pdf"}:
        raise InvalidInput(
            f"format {suffix} non pris en charge : enregistrez le contrat en YAML, JSON, XLSX ou CSV"
        )
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    head = data.lstrip()[:1]
    return "json" if head in (b"{", b"[") else "yaml"


def load_contract(source, filename: str | None = None) -> Contract:
    """A validated Contract from a path, or from (bytes, filename) as received by the HTTP API.

    `load_contract(path)`, `load_contract((data, "contrat.yaml"))` or `load_contract(data, "contrat.yaml")`.
    Raises InvalidInput (French message naming the field) on any malformed input.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = (bytes(source), filename or "contrat")
    data, name = read_source(source)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"fichier trop volumineux ({_size(len(data))} ; maximum {_size(MAX_UPLOAD_BYTES)})")
    if not data.strip():
        raise InvalidInput("fichier vide : un contrat (collectivite, annee, actions) est attendu")
    kind = detect_format(data, name)
    if kind in {"xlsx", "csv"}:
        from . import tables  # openpyxl is only imported for spreadsheets

        raw, describe = tables.read_table(data, kind)
        return validate_contract(raw, describe)
    text = decode_text(data)
    if not text.strip():
        raise InvalidInput("fichier vide : un contrat (collectivite, annee, actions) est attendu")
    with paused_gc():
        raw = parse_json(text) if kind == "json" else parse_yaml(text)
        if raw is None:
            raise InvalidInput("fichier vide : un contrat (collectivite, annee, actions) est attendu")
        return validate_contract(raw)
