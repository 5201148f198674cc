"""The numbers and passages the contract checks read, from the framework file (assistant/data/framework.yaml,
shared with eligibility): every number a rule uses, with its unit and its source."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..framework import UNITS, Framework, Parameter, load_framework
from ..framework import Passage as Source

__all__ = ["UNITS", "Parameter", "Parameters", "Source", "load_parameters"]


@dataclass(frozen=True)
class Parameters:
    params: dict[str, Parameter]
    references: dict[str, Source]  # the number-free passages the rules cite

    @classmethod
    def from_framework(cls, framework: Framework) -> "Parameters":
        return cls(params=framework.parameters, references=framework.passages)

    def __getitem__(self, name: str) -> Parameter:
        return self.params[name]

    def value(self, name: str) -> Fraction:
        return self.params[name].value

    def text(self, name: str) -> str:
        """The value as a message writes it: '70 %', '1 €'."""
        return self.params[name].text

    def ref(self, name: str) -> Source:
        """A cited passage: a reference, or the source of a parameter of that name."""
        if name in self.references:
            return self.references[name]
        return self.params[name].source


def load_parameters(path: Path | None = None) -> Parameters:
    """The parameters of the framework file (the packaged one is read once per process: the rules are pure
    functions of contract + parameters)."""
    return Parameters.from_framework(load_framework(path))
