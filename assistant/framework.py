"""The financial framework as data: assistant/data/framework.yaml, shared by the contract checker
(assistant/rules/) and eligibility (assistant/conditions.py).

    from assistant.framework import load_framework
    fw = load_framework()
    fw.parameters["canteen_qf_max"].text        # '1 000 €', with .source (lines and verbatim quote)
    fw.rule("canteen_pricing").check.title       # the contract check, its texts rendered from the parameters
    fw.eligibility_rules()                       # eligibility side, cases flattened, in the file's order

The file format is documented at its top. This module validates it (pydantic, at the edge: unknown fields,
dangling names, a number a rule reads but the file does not declare, a regex that does not compile) and
turns it into plain dataclasses; it needs no corpus, index or embedder. Quotes are checked against the corpus
by tests/test_framework.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError, model_validator

from .errors import CorpusError

FRAMEWORK_FILE = Path(__file__).resolve().parent / "data" / "framework.yaml"
UNITS = ("%", "€", "action", "année")
KINDS = ("exclusion", "condition", "note")
COLLECTIVITES = ("metropole", "departement")
EFFECTS = (*KINDS, "none")  # what an example expects a rule to give a description

_ID = r"^[a-z][a-z0-9_]*$"
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")  # a parameter inside a French text: {canteen_qf_max}
_REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\}")  # a named pattern inside a pattern: ${existing}


# -- text --------------------------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """The form triggers are matched on: lower case, no accents, œ as oe, apostrophes and hyphens as spaces."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("œ", "oe")
    text = re.sub(r"['’`´\-‐–]", " ", text)
    return " ".join(text.split())


def group_digits(digits: str) -> str:
    """'1236000' -> '1 236 000' (French thousands separator)."""
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return " ".join(out)


def french_number(value) -> str:
    """A plain number the French way: 1000 -> '1 000', 1.5 -> '1,5'."""
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    sign = "-" if dec < 0 else ""
    whole, _, frac = format(abs(dec).normalize(), "f").partition(".")
    return sign + group_digits(whole) + ("," + frac if frac else "")


def french_value(value, unit: str) -> str:
    """A parameter as a French text reads it: '70 %', '1 000 €', '2024', '1 action'."""
    if unit == "année":
        return str(value)
    if unit == "action":
        return f"{french_number(value)} action{'s' if value > 1 else ''}"
    return f"{french_number(value)} {unit}"


# -- what the rest of the product reads --------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """Lines of a corpus file and the verbatim text a rule quotes from them."""

    doc_id: str
    line_start: int
    line_end: int
    quote: str

    def citation(self) -> dict:
        """The citation object of a rule result: where to read the paragraph."""
        return {"doc_id": self.doc_id, "line_start": self.line_start, "line_end": self.line_end}


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    value: Fraction  # exact: percentages and euros are compared on integers
    raw_value: int | float
    unit: str
    source: Passage
    used_by: tuple[str, ...]  # the rules that list it in their `parameters`

    @property
    def cents(self) -> int:
        """A euro parameter in integer cents (1 € -> 100)."""
        assert self.unit == "€", self.name
        return int(self.value * 100)

    @property
    def text(self) -> str:
        return french_value(self.raw_value, self.unit)


@dataclass(frozen=True)
class Trigger:
    """A test on a normalised description: a regex (words and/or pattern), all of `every`, or not `negated`."""

    regex: Optional[re.Pattern] = None
    every: tuple["Trigger", ...] = ()
    negated: Optional["Trigger"] = None

    def matches(self, text: str) -> bool:
        if self.negated is not None:
            return not self.negated.matches(text)
        if self.every:
            return all(t.matches(text) for t in self.every)
        return bool(self.regex.search(text))


@dataclass(frozen=True)
class Example:
    text: str
    effect: str  # "exclusion" | "condition" | "note" | "none"
    collectivite: str | None = None


@dataclass(frozen=True)
class Eligibility:
    """How a rule (or one of its cases, id `rule.case`) bears on a described action."""

    id: str
    kind: str
    label: str  # rendered: every number comes from a parameter
    quotes: tuple[Passage, ...]
    triggers: tuple[Trigger, ...]
    unless: tuple[Trigger, ...]
    decisive: tuple[Trigger, ...]
    axes: tuple[int, ...]
    collectivites: tuple[str, ...]
    general: bool
    basis: bool
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Check:
    """The contract check of a rule: French title and summary (rendered), the passages its verdicts cite."""

    title: str
    summary: str
    cites: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    parameters: tuple[str, ...]
    eligibility: tuple[Eligibility, ...]  # the rule's own, then its cases; empty for a contract-only rule
    check: Check | None


@dataclass(frozen=True)
class Framework:
    doc_id: str
    parameters: dict[str, Parameter]
    passages: dict[str, Passage]
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def eligibility_rules(self) -> tuple[Eligibility, ...]:
        return tuple(e for r in self.rules for e in r.eligibility)

    def checks(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules if r.check is not None}


# -- the file, validated -----------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _PassageM(_Model):
    lines: Union[StrictInt, tuple[StrictInt, StrictInt]]
    quote: str = Field(min_length=1)
    doc_id: Optional[str] = None

    @model_validator(mode="after")
    def _span(self):
        first, last = self.span
        if not 1 <= first <= last:
            raise ValueError(f"lignes invalides : {self.lines}")
        return self

    @property
    def span(self) -> tuple[int, int]:
        return (self.lines, self.lines) if isinstance(self.lines, int) else self.lines


class _ParameterM(_Model):
    label: str = Field(min_length=1)
    value: Union[StrictInt, StrictFloat]
    unit: Literal[UNITS]
    source: _PassageM


class _TriggerM(_Model):
    words: Optional[list[str]] = Field(None, min_length=1)
    pattern: Optional[str] = Field(None, min_length=1)
    all: Optional[list["_TriggerM"]] = Field(None, min_length=1)
    not_: Optional["_TriggerM"] = Field(None, alias="not")

    @model_validator(mode="after")
    def _shape(self):
        given = [k for k in ("words", "pattern", "all", "not_") if getattr(self, k) is not None]
        if not given or (("all" in given or "not_" in given) and len(given) > 1):
            raise ValueError("un déclencheur est « words » et/ou « pattern », ou « all », ou « not »")
        for word in self.words or ():
            stem = word[:-1] if word.endswith("*") else word
            if not re.fullmatch(r"\w(?:[\w ]*\w)?", stem) or normalize(stem) != stem:
                raise ValueError(
                    f"mot « {word} » : écrire en minuscules sans accents ni apostrophes, « * » seulement à la fin")
        return self


_TriggerM.model_rebuild()
_Kind = Literal[KINDS]
_Collectivite = Literal[COLLECTIVITES]


class _ExampleM(_Model):
    text: str = Field(min_length=1)
    effect: Literal[EFFECTS]
    collectivite: Optional[_Collectivite] = None


class _EligibilityM(_Model):
    kind: _Kind
    label: str = Field(min_length=1)
    quotes: Optional[list[Union[str, _PassageM]]] = None  # a case without quotes quotes its rule
    axes: Optional[list[Literal[1, 2, 3, 4]]] = None
    collectivites: Optional[list[_Collectivite]] = None
    general: bool = False
    basis: bool = False
    triggers: list[_TriggerM] = []
    unless: list[_TriggerM] = []
    decisive: list[_TriggerM] = []
    examples: list[_ExampleM] = []

    @model_validator(mode="after")
    def _decisive_for_conditions(self):
        if self.decisive and self.kind != "condition":
            raise ValueError("« decisive » ne vaut que pour une règle de type condition")
        return self


class _CaseM(_EligibilityM):
    id: str = Field(pattern=_ID)


class _CheckM(_Model):
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    cites: list[str] = Field(min_length=1)


class _RuleM(_Model):
    id: str = Field(pattern=_ID)
    parameters: list[str] = []
    eligibility: Optional[_EligibilityM] = None
    cases: list[_CaseM] = []
    check: Optional[_CheckM] = None

    @model_validator(mode="after")
    def _sides(self):
        if self.eligibility is None and self.check is None:
            raise ValueError(f"règle {self.id} : ni « eligibility » ni « check »")
        if self.cases and self.eligibility is None:
            raise ValueError(f"règle {self.id} : des « cases » sans « eligibility »")
        if self.eligibility is not None and not self.eligibility.quotes:
            raise ValueError(f"règle {self.id} : « eligibility » sans citation")
        if len(set(self.parameters)) != len(self.parameters):
            raise ValueError(f"règle {self.id} : paramètre listé deux fois")
        return self

    def texts(self) -> list[tuple[str, str]]:
        """(where, French text) for every text of the rule that may name its parameters."""
        out = []
        if self.eligibility is not None:
            out.append((f"{self.id}.label", self.eligibility.label))
        out += [(f"{self.id}.{c.id}.label", c.label) for c in self.cases]
        if self.check is not None:
            out += [(f"{self.id}.check.title", self.check.title), (f"{self.id}.check.summary", self.check.summary)]
        return out


class _FrameworkM(_Model):
    doc_id: str = Field(min_length=1)
    parameters: dict[str, _ParameterM]
    passages: dict[str, _PassageM] = {}
    patterns: dict[str, str] = {}
    rules: list[_RuleM] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self):
        if clash := set(self.passages) & set(self.parameters):
            raise ValueError(f"noms à la fois paramètre et passage : {sorted(clash)}")
        ids = [r.id for r in self.rules] + [f"{r.id}.{c.id}" for r in self.rules for c in r.cases]
        if dup := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"identifiants de règle en double : {dup}")
        used = set()
        for r in self.rules:
            unknown = [p for p in r.parameters if p not in self.parameters]
            if unknown:
                raise ValueError(f"règle {r.id} : paramètres inconnus {unknown}")
            used.update(r.parameters)
            for where, text in r.texts():
                for name in _PLACEHOLDER.findall(text):
                    if name not in r.parameters:
                        raise ValueError(f"{where} : {{{name}}} n'est pas un paramètre de la règle {r.id}")
            quotes = [q for e in [r.eligibility, *r.cases] if e is not None for q in e.quotes or ()]
            cites = list(r.check.cites) if r.check is not None else []
            for name in [q for q in quotes if isinstance(q, str)] + cites:
                if name not in self.passages and name not in self.parameters:
                    raise ValueError(f"règle {r.id} : passage inconnu « {name} »")
        if unused := sorted(set(self.parameters) - used):
            raise ValueError(f"paramètres utilisés par aucune règle : {unused}")
        for name in self.patterns:
            _expand(self.patterns[name], self.patterns)  # unknown names and cycles are reported here
        return self


def _expand(pattern: str, patterns: dict[str, str], seen: tuple[str, ...] = ()) -> str:
    """A pattern with its ${name} references replaced by the named patterns (textually, as written)."""

    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in patterns:
            raise ValueError(f"motif inconnu ${{{name}}}")
        if name in seen:
            raise ValueError(f"motif circulaire ${{{name}}}")
        return _expand(patterns[name], patterns, (*seen, name))

    return _REFERENCE.sub(sub, pattern)


def _words_regex(words: list[str]) -> str:
    """Whole words or phrases; a final * allows any ending."""
    alternatives = [re.escape(w[:-1]) if w.endswith("*") else re.escape(w) + r"(?!\w)" for w in words]
    return r"(?<!\w)(?:" + "|".join(alternatives) + ")"


def _trigger(model: _TriggerM, patterns: dict[str, str]) -> Trigger:
    if model.not_ is not None:
        return Trigger(negated=_trigger(model.not_, patterns))
    if model.all is not None:
        return Trigger(every=tuple(_trigger(t, patterns) for t in model.all))
    parts = []
    if model.words:
        parts.append(_words_regex(model.words))
    if model.pattern:
        parts.append(_expand(model.pattern, patterns))
    source = parts[0] if len(parts) == 1 else "|".join(f"(?:{p})" for p in parts)
    try:
        return Trigger(regex=re.compile(source))
    except re.error as exc:
        raise ValueError(f"expression régulière invalide {model.pattern!r} : {exc}") from None


def render(text: str, parameters: dict[str, Parameter]) -> str:
    """A French text with each {parameter} written as its value ('{canteen_qf_max}' -> '1 000 €')."""
    return _PLACEHOLDER.sub(lambda m: parameters[m.group(1)].text, " ".join(text.split()))


def _convert(m: _FrameworkM) -> Framework:
    def passage(p: _PassageM) -> Passage:
        first, last = p.span
        return Passage(doc_id=p.doc_id or m.doc_id, line_start=first, line_end=last, quote=p.quote)

    passages = {name: passage(p) for name, p in m.passages.items()}
    parameters = {
        name: Parameter(
            name=name,
            label=p.label,
            value=Fraction(Decimal(str(p.value))),
            raw_value=p.value,
            unit=p.unit,
            source=passage(p.source),
            used_by=tuple(r.id for r in m.rules if name in r.parameters),
        )
        for name, p in m.parameters.items()
    }

    def quotes(items) -> tuple[Passage, ...]:
        return tuple(passage(q) if not isinstance(q, str) else
                     passages[q] if q in passages else parameters[q].source for q in items)

    def eligibility(rule_id: str, e: _EligibilityM, parent: Eligibility | None) -> Eligibility:
        triggers = lambda items: tuple(_trigger(t, m.patterns) for t in items)  # noqa: E731
        return Eligibility(
            id=rule_id,
            kind=e.kind,
            label=render(e.label, parameters),
            quotes=quotes(e.quotes) if e.quotes is not None else parent.quotes,
            triggers=triggers(e.triggers),
            unless=triggers(e.unless),
            decisive=triggers(e.decisive),
            axes=tuple(e.axes) if e.axes is not None else (parent.axes if parent else ()),
            collectivites=tuple(e.collectivites) if e.collectivites is not None else (
                parent.collectivites if parent else ()),
            general=e.general,
            basis=e.basis,
            examples=tuple(Example(x.text, x.effect, x.collectivite) for x in e.examples),
        )

    rules = []
    for r in m.rules:
        sides: list[Eligibility] = []
        if r.eligibility is not None:
            own = eligibility(r.id, r.eligibility, None)
            sides = [own] + [eligibility(f"{r.id}.{c.id}", c, own) for c in r.cases]
        check = None
        if r.check is not None:
            check = Check(title=render(r.check.title, parameters), summary=render(r.check.summary, parameters),
                          cites=tuple(r.check.cites))
        rules.append(Rule(id=r.id, parameters=tuple(r.parameters), eligibility=tuple(sides), check=check))
    return Framework(doc_id=m.doc_id, parameters=parameters, passages=passages, rules=tuple(rules))


def parse_framework(data, where: str = "framework.yaml") -> Framework:
    try:
        return _convert(_FrameworkM.model_validate(data))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'racine'} : {e['msg']}" for e in exc.errors()[:5])
        raise CorpusError(f"Cadre financier invalide ({where}) : {problems}") from None
    except ValueError as exc:
        raise CorpusError(f"Cadre financier invalide ({where}) : {exc}") from None


def load_framework(path: Path | None = None) -> Framework:
    """The framework data. The packaged file is read once per process (cached)."""
    if path is None:
        return _load_default()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _load_default() -> Framework:
    return _load(FRAMEWORK_FILE)


def _load(path: Path) -> Framework:
    try:
        # libyaml when available: the pure-Python parser takes ~0.1 s on this file, at every `pacte check`.
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise CorpusError(f"Cadre financier introuvable : {path}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CorpusError(f"Cadre financier illisible ({path}) : {exc}") from None
    return parse_framework(raw, str(path))
