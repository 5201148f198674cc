"""The rule registry and the result type shared by every family of rules.

A rule is a pure function (ContractFacts, Parameters) -> iterable of Result, registered under a
stable id with the parameters it reads and the passages it cites. Same input, same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

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
    id: str
    title: str  # French, one line
    summary: str  # French: what is checked and which verdict each case gets
    params: tuple[str, ...]  # parameter names read by the rule
    refs: tuple[str, ...]  # reference names (or parameter names) cited
    check: Check


RULES: dict[str, Rule] = {}


def rule(id: str, title: str, summary: str, params: tuple[str, ...] = (), refs: tuple[str, ...] = ()):
    """Register a check function under a stable rule id."""

    def register(fn: Check) -> Check:
        if id in RULES:
            raise ValueError(f"rule id registered twice: {id}")
        RULES[id] = Rule(id=id, title=title, summary=summary, params=params, refs=refs, check=fn)
        return fn

    return register


def label(action: ActionFacts) -> str:
    """How messages name an action: « action 1.2 »."""
    return f"action {action.id}"
