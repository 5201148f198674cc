"""The parameters file (parameters.yaml): every number a rule uses, with its unit and its source."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import yaml

PARAMETERS_FILE = Path(__file__).with_name("parameters.yaml")
UNITS = {"%", "€", "action", "année"}


@dataclass(frozen=True)
class Source:
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
    used_by: tuple[str, ...]
    source: Source

    @property
    def cents(self) -> int:
        """A euro parameter in integer cents (1 € -> 100)."""
        assert self.unit == "€", self.name
        return int(self.value * 100)


@dataclass(frozen=True)
class Parameters:
    params: dict[str, Parameter]
    references: dict[str, Source]

    def __getitem__(self, name: str) -> Parameter:
        return self.params[name]

    def value(self, name: str) -> Fraction:
        return self.params[name].value

    def ref(self, name: str) -> Source:
        """A cited passage: a reference, or the source of a parameter of that name."""
        if name in self.references:
            return self.references[name]
        return self.params[name].source


def _source(raw: dict, where: str) -> Source:
    try:
        source = Source(
            doc_id=str(raw["doc_id"]),
            line_start=int(raw["line_start"]),
            line_end=int(raw["line_end"]),
            quote=str(raw["quote"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"parameters.yaml: source incomplète pour {where} ({exc})") from None
    if not 1 <= source.line_start <= source.line_end:
        raise ValueError(f"parameters.yaml: lignes invalides pour {where}")
    return source


def parse_parameters(data: dict) -> Parameters:
    params = {}
    for name, raw in (data.get("parameters") or {}).items():
        value = raw["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"parameters.yaml: valeur non numérique pour {name}")
        if raw["unit"] not in UNITS:
            raise ValueError(f"parameters.yaml: unité inconnue pour {name}: {raw['unit']}")
        params[name] = Parameter(
            name=name,
            label=str(raw["label"]),
            value=Fraction(Decimal(str(value))),
            raw_value=value,
            unit=raw["unit"],
            used_by=tuple(raw.get("used_by") or ()),
            source=_source(raw.get("source") or {}, name),
        )
    references = {name: _source(raw, name) for name, raw in (data.get("references") or {}).items()}
    return Parameters(params=params, references=references)


@lru_cache(maxsize=1)
def load_parameters(path: Path = PARAMETERS_FILE) -> Parameters:
    """The parameters, read once per process (the rules are pure functions of contract + parameters)."""
    with open(path, encoding="utf-8") as fh:
        return parse_parameters(yaml.safe_load(fh))
