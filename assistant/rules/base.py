"""The rule registry and the result type shared by every family of rules.

A rule is a pure function (ContractFacts, Parameters) -> iterable of Result, registered under the id of a
rule of assistant/data/framework.yaml, which gives its texts, the parameters it reads and the passages it
cites. Same input, same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..framework import load_framework
from .model import ActionFacts, ContractFacts
from .parameters import Parameters, Source

VERDICTS = ("ok", "violation", "warning", "info")


@dataclass(frozen=True, slots=True)
class Result:
    rule: str
    action: str | None
    verdict: str
    message: str
    citation: Source
    values: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "action": self.action,
            "verdict": self.verdict,
            "message": self.message,
            "citation": self.citation.citation(),
            "values": self.values,
        }


Check = Callable[[ContractFacts, Parameters], Iterable[Result]]


@dataclass(frozen=True)
class Rule:
    """A registered check. Its French title and summary, the parameters it reads and the passages it cites are
    those of the rule of the same id in the framework file (read when first asked, not at import)."""

    id: str
    check: Check

    @property
    def _data(self):
        return load_framework().rule(self.id)

    @property
    def title(self) -> str:  # French, one line
        return self._data.check.title

    @property
    def summary(self) -> str:  # French: what is checked and which verdict each case gets
        return self._data.check.summary

    @property
    def params(self) -> tuple[str, ...]:  # parameter names read by the rule
        return self._data.parameters

    @property
    def refs(self) -> tuple[str, ...]:  # passage (or parameter) names cited
        return self._data.check.cites


RULES: dict[str, Rule] = {}


def rule(id: str):
    """Register a check function under the id of a rule of the framework file."""

    def register(fn: Check) -> Check:
        if id in RULES:
            raise ValueError(f"rule id registered twice: {id}")
        RULES[id] = Rule(id=id, check=fn)
        return fn

    return register


def label(action: ActionFacts) -> str:
    """How messages name an action: « action 1.2 »."""
    return f"action {action.id}"
