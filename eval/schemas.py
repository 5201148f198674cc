"""Documented pydantic schemas of the evaluation files, validated on load.

Gold datasets (eval/datasets/NAME.jsonl, one JSON object per line):
- dev_questions: `GoldQuestion`
- dev_actions: `GoldAction`
- contract_cases: `ContractCase`

System outputs scored by `pacte eval score` (JSONL, one object per line, each with the gold "id"):
- for dev_questions: `AnswerRecord`, the `pacte ask --json` format plus "id" (and an optional
  "latency_ms");
- for dev_actions: `EligibilityRecord`, the `pacte eligibility --json` format plus "id";
- for contract_cases: `RuleResultsRecord`, the `pacte check --json` format plus "id".

Every line number is a 1-based, inclusive line of a corpus file (corpus/manifest.yaml).
Output records ignore unknown keys (another team's assistant may add its own) but reject wrong
types: validation is strict, so "true" is not a boolean and "12" is not a line number.
Any error becomes an `InvalidInput` whose French message names the file line and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InvalidInput

Category = Literal["eligibility", "indicator", "financial", "procedure", "other"]
Verdict = Literal["eligible", "eligible_with_conditions", "excluded", "not_in_referential"]
RuleVerdict = Literal["ok", "violation", "warning", "info"]
Collectivite = Literal["metropole", "departement"]

CATEGORIES: tuple[str, ...] = ("eligibility", "indicator", "financial", "procedure", "other")
VERDICTS: tuple[str, ...] = ("eligible", "eligible_with_conditions", "excluded", "not_in_referential")
RULE_VERDICTS: tuple[str, ...] = ("ok", "violation", "warning", "info")


class _Gold(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Output(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


# --- gold datasets ------------------------------------------------------------------------------


class Span(_Gold):
    """A line span of a corpus document: lines line_start..line_end, 1-based, inclusive."""

    doc_id: str
    line_start: int = Field(ge=1)
    line_end: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self):
        if self.line_end < self.line_start:
            raise ValueError("line_end est avant line_start")
        return self


class GoldQuestion(_Gold):
    """A dev question. `answerable: false` means the corpus does not answer it: the system should abstain."""

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    category: Category
    doc_id: str | None = None
    gold_spans: list[Span] = Field(default_factory=list)
    key_facts: list[str] = Field(default_factory=list)
    expected_verdict: Verdict | None = None
    answerable: bool


class GoldAction(_Gold):
    """An action description with its référentiel axis, section lines and eligibility verdict."""

    id: str = Field(min_length=1)
    description: str = Field(min_length=1)
    collectivite: Collectivite | None = None
    axis: int | None = Field(default=None, ge=1, le=4)
    gold_spans: list[Span] = Field(default_factory=list)
    verdict: Verdict | None = None


class ExpectedRule(_Gold):
    """A non-ok rule verdict the contract must produce; anything not listed is expected ok."""

    rule: str = Field(min_length=1)
    action: str | None = None
    verdict: RuleVerdict


class ContractCase(_Gold):
    """A contract file (path relative to the repository root) and its expected rule verdicts."""

    id: str = Field(min_length=1)
    file: str = Field(min_length=1)
    expected: list[ExpectedRule] = Field(default_factory=list)


# --- system outputs -----------------------------------------------------------------------------


class Citation(_Output):
    id: str | int | None = None
    doc_id: str
    doc_title: str | None = None
    section_path: list[str] | str | None = None
    line_start: int
    line_end: int
    quote: str
    score: float | None = None


class HitRecord(_Output):
    doc_id: str
    section_path: list[str] | str | None = None
    line_start: int
    line_end: int
    text: str = ""
    score: float | None = None


class AnswerRecord(_Output):
    """One answer of `pacte ask --json`, plus "id". `hits` are ranked, best first."""

    id: str = Field(min_length=1)
    question: str = ""
    category: str | None = None
    answer: str
    verdict: Verdict | None = None
    abstained: bool
    citations: list[Citation] = Field(default_factory=list)
    hits: list[HitRecord] | None = None  # None: the system exposes no retrieval ranking
    latency_ms: float | None = Field(default=None, ge=0)
    error: str | None = None  # set by `pacte eval run` when the system failed on this item


class SectionRecord(_Output):
    axis: int | None = None
    section_path: list[str] | str | None = None
    doc_id: str
    line_start: int
    line_end: int
    score: float | None = None


class EligibilityRecord(_Output):
    """One answer of `pacte eligibility --json`, plus "id". `sections` are best first."""

    id: str = Field(min_length=1)
    verdict: Verdict | None
    # Optional: the axis the system decided on. Without it, the axis of the first section is used.
    axis: int | None = None
    sections: list[SectionRecord] = Field(default_factory=list)
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    latency_ms: float | None = Field(default=None, ge=0)
    error: str | None = None  # set by `pacte eval run` when the system failed on this item


class CitationRef(_Output):
    doc_id: str | None = None
    line_start: int | None = None
    line_end: int | None = None


class RuleResult(_Output):
    rule: str
    action: str | None = None
    verdict: RuleVerdict
    message: str = ""
    citation: CitationRef | None = None
    values: dict[str, Any] = Field(default_factory=dict)


class RuleResultsRecord(_Output):
    """The output of `pacte check --json` for one contract case, plus "id"."""

    id: str = Field(min_length=1)
    ok: bool
    results: list[RuleResult] = Field(default_factory=list)
    latency_ms: float | None = Field(default=None, ge=0)
    error: str | None = None  # set by `pacte eval run` when the system failed on this item


# --- which schema goes with which dataset --------------------------------------------------------

DATASETS: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "dev_questions": (GoldQuestion, AnswerRecord),
    "dev_actions": (GoldAction, EligibilityRecord),
    "contract_cases": (ContractCase, RuleResultsRecord),
}
# Held-out splits: the same formats as the dev sets, written by a helper that saw neither code nor training data
# (eval/datasets/test/README.md). Scored like dev, never used for tuning.
SPLITS: dict[str, tuple[str, str]] = {  # name -> (file under eval/datasets, kind of the format)
    "test_questions": ("test/test_questions.jsonl", "dev_questions"),
    "test_actions": ("test/test_actions.jsonl", "dev_actions"),
}
DATASET_NAMES: tuple[str, ...] = (*DATASETS, *SPLITS)

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"


def dataset_path(name: str) -> Path:
    """The gold file of a known dataset name; any other value is taken as a file path."""
    if name in SPLITS:
        return DATASETS_DIR / SPLITS[name][0]
    if name in DATASETS:
        return DATASETS_DIR / f"{name}.jsonl"
    return Path(name)


def dataset_kind(name: str, path: Path | None = None) -> str:
    """The dataset kind ("dev_questions", "dev_actions", "contract_cases") of a name or of a file named after one:
    `test_questions.jsonl` or `my_questions.jsonl` are questions."""
    if name in SPLITS:
        return SPLITS[name][1]
    if name in DATASETS:
        return name
    stem = (path or Path(name)).stem
    for kind in DATASETS:
        if stem.startswith(kind):
            return kind
    for suffix, kind in (("questions", "dev_questions"), ("actions", "dev_actions")):
        if stem.endswith(suffix):
            return kind
    raise InvalidInput(
        f"Jeu de données inconnu : « {name} ». Jeux disponibles : {', '.join(DATASET_NAMES)} "
        "(ou un fichier dont le nom commence par l'un d'eux ou finit par questions ou actions)."
    )


# --- loading ------------------------------------------------------------------------------------

_TYPE_NAMES = {
    "string_type": "une chaîne de caractères",
    "bool_type": "un booléen (true/false)",
    "int_type": "un entier",
    "float_type": "un nombre",
    "list_type": "une liste",
    "dict_type": "un objet JSON",
    "model_type": "un objet JSON",
    "literal_error": "une des valeurs autorisées",
}

M = TypeVar("M", bound=BaseModel)


def _field_name(loc: tuple) -> str:
    parts = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif parts:
            parts.append(f".{part}")
        else:
            parts.append(str(part))
    return "".join(parts) or "(objet)"


def describe_validation_error(exc: ValidationError) -> str:
    """A short French description of the first error of a pydantic ValidationError."""
    err = exc.errors()[0]
    # Union errors carry the member type in the location (e.g. ("id", "str")); keep the field path.
    loc = tuple(p for p in err["loc"]
                if not (isinstance(p, str) and ("[" in p or p in {"str", "int", "float", "bool", "none"})))
    field = _field_name(loc)
    kind = err["type"]
    if kind == "missing":
        return f"champ « {field} » manquant"
    if kind == "extra_forbidden":
        return f"champ « {field} » inconnu"
    if kind == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return f"champ « {field} » : valeur {json.dumps(err.get('input'), ensure_ascii=False)} non autorisée (attendu : {allowed.replace(' or ', ' ou ')})"
    if kind in _TYPE_NAMES:
        return f"champ « {field} » : doit être {_TYPE_NAMES[kind]}, reçu {json.dumps(err.get('input'), ensure_ascii=False)[:60]}"
    if kind in {"greater_than_equal", "less_than_equal"}:
        return f"champ « {field} » : valeur {err.get('input')!r} hors limites"
    if kind in {"string_too_short"}:
        return f"champ « {field} » : ne doit pas être vide"
    if kind == "value_error":
        return f"champ « {field} » : {str(err.get('msg', '')).removeprefix('Value error, ')}"
    return f"champ « {field} » invalide ({err.get('msg')})"


def load_jsonl(path: Path, model: type[M], what: str) -> list[M]:
    """Validated records of a JSONL file; blank lines are skipped, ids must be unique.

    Raises InvalidInput with a French message naming the file, the line and the field.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{what} introuvable : {path}") from None
    except OSError as exc:
        raise InvalidInput(f"{what} illisible ({path}) : {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} {path} : le fichier n'est pas en UTF-8.") from None
    records: list[M] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{what} {path.name}, ligne {number} : ce n'est pas du JSON valide ({exc.msg}, colonne {exc.colno}). "
                "Le fichier doit contenir un objet JSON par ligne (JSONL)."
            ) from None
        if not isinstance(obj, dict):
            raise InvalidInput(f"{what} {path.name}, ligne {number} : un objet JSON {{…}} est attendu.")
        try:
            record = model.model_validate(obj)
        except ValidationError as exc:
            raise InvalidInput(f"{what} {path.name}, ligne {number} : {describe_validation_error(exc)}.") from None
        rid = getattr(record, "id", None)
        if rid is not None:
            if rid in seen:
                raise InvalidInput(
                    f"{what} {path.name}, ligne {number} : identifiant « {rid} » en double (déjà ligne {seen[rid]})."
                )
            seen[rid] = number
        records.append(record)
    return records


def load_gold(name: str) -> tuple[str, list[BaseModel]]:
    """(kind, validated gold records) of a dataset name or path."""
    path = dataset_path(name)
    kind = dataset_kind(name, path)
    gold_model = DATASETS[kind][0]
    return kind, load_jsonl(path, gold_model, "Jeu de données")


def load_outputs(path: Path, kind: str) -> list[BaseModel]:
    """Validated system outputs (answers, eligibility answers or rule results) for a dataset kind."""
    return load_jsonl(Path(path), DATASETS[kind][1], "Fichier de réponses")
