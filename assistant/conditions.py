"""Financial-framework conditions and exclusions that apply to kinds of actions, with citations.

The référentiels (assistant/data/referentiel.yaml) say what each section allows. Some rules cut across
sections or come from the administrative and financial framework (Annexe 5): caps (SLIME+ and CEE, FSL
energy aid, eco-mobility investment, canteen pricing), the reinforced-action increment, limited
reconduction, FSE+, no valuation of existing staff, and exclusions (purchase aid for vehicles in ZFE, PMI
prenatal interviews for métropoles, FSE+ on the State share or on a non-new action, compensation of a
canteen pricing that already exists). They are data: the `eligibility` side of the rules of
assistant/data/framework.yaml (assistant.framework), whose ids, parameters and quotes the contract checker
(assistant/rules/) shares. This module matches them against a described action:

    from assistant.conditions import applicable_rules
    for rule, effect in applicable_rules("aide à l'achat d'un véhicule propre en ZFE", collectivite="metropole"):
        effect, rule.label, rule.citations()   # effect: "exclusion" | "condition" | "note"

Three kinds of rules:
- "exclusion": the instruction rules the action out (verdict "excluded");
- "condition": a cap or hard condition decides how the action can be financed (verdict
  "eligible_with_conditions") — when the rule has `decisive` triggers, only if one of them matches too;
  otherwise the rule is attached as a note (an eco-mobility solution without investment is not concerned by
  the investment cap; a CNFPT training on a topic absent from its catalogue already meets the condition);
- "note": information for the reader that does not change the verdict (where mobility is funded, the
  coordination prerequisite of access-to-rights actions, SLIME+ animation « hors plafond »…). Notes marked
  `basis` are Annexe 5 provisions that make a transverse action eligible outside the référentiels (the
  pacte's referent, impact evaluation, engineering time).

A rule matches the normalised description when one of its triggers does and none of its `unless` does
(the trigger language is described at the top of the data file). Rules marked `general` apply to every
contractualised action: `rules_for` returns them when their own triggers match, or always with
`include_general=True`; `rule(id)` gives any rule (e.g. "outside_referentiel", to cite when no référentiel
section fits).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import InvalidInput
from .framework import COLLECTIVITES, Eligibility, Passage, Trigger, load_framework, normalize
from .referentiel import Quote

__all__ = ["FrameworkRule", "applicable_rules", "check_collectivite", "framework_rules", "normalize", "rule",
           "rules_for"]


@dataclass(frozen=True)
class FrameworkRule:
    id: str
    kind: str  # "condition" | "exclusion" | "note"
    label: str  # short French summary written by us (not a quote); its numbers come from the parameters
    quotes: tuple[Quote, ...]  # the corpus sentences that state the rule
    triggers: tuple[Trigger, ...] = ()  # any of them
    unless: tuple[Trigger, ...] = ()
    # Conditions only: when given, the rule decides the verdict only if one of these matches too;
    # otherwise it is attached as a note (the action is of the concerned kind but outside the cap).
    decisive: tuple[Trigger, ...] = ()
    axes: tuple[int, ...] = ()  # axes the rule concerns; empty: any axis
    collectivites: tuple[str, ...] = ()  # collectivités it applies to; empty: any
    general: bool = False
    basis: bool = False  # a transverse provision of Annexe 5 that makes the action eligible by itself

    @classmethod
    def from_data(cls, e: Eligibility) -> "FrameworkRule":
        return cls(id=e.id, kind=e.kind, label=e.label, quotes=tuple(_quote(p) for p in e.quotes),
                   triggers=e.triggers, unless=e.unless, decisive=e.decisive, axes=e.axes,
                   collectivites=e.collectivites, general=e.general, basis=e.basis)

    def matches(self, description: str, collectivite: str | None = None) -> bool:
        """True when the described action triggers this rule (collectivite None: not specified)."""
        if collectivite is not None and self.collectivites and collectivite not in self.collectivites:
            return False
        text = normalize(description)
        if any(t.matches(text) for t in self.unless):
            return False
        return any(t.matches(text) for t in self.triggers)

    def effect(self, description: str, collectivite: str | None = None) -> str | None:
        """How the rule bears on the described action: "exclusion", "condition", "note", or None."""
        if not self.matches(description, collectivite):
            return None
        if self.kind != "condition" or not self.decisive:
            return self.kind
        text = normalize(description)
        return "condition" if any(t.matches(text) for t in self.decisive) else "note"

    def citations(self) -> list[dict]:
        """The rule as conditions of an eligibility answer: [{"text","doc_id","line_start","line_end"}]."""
        return [q.to_dict() for q in self.quotes]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "axes": list(self.axes),
            "collectivites": list(self.collectivites),
            "general": self.general,
            "basis": self.basis,
            "quotes": self.citations(),
        }


def _quote(p: Passage) -> Quote:
    return Quote(text=p.quote, doc_id=p.doc_id, line_start=p.line_start, line_end=p.line_end)


_ORDER = {"exclusion": 0, "condition": 1, "note": 2}


@lru_cache(maxsize=1)
def framework_rules() -> tuple[FrameworkRule, ...]:
    """Every eligibility rule of the framework file, cases included, in the file's order."""
    return tuple(FrameworkRule.from_data(e) for e in load_framework().eligibility_rules())


@lru_cache(maxsize=1)
def _by_id() -> dict[str, FrameworkRule]:
    return {r.id: r for r in framework_rules()}


def rule(rule_id: str) -> FrameworkRule:
    return _by_id()[rule_id]


def check_collectivite(collectivite: str | None) -> str | None:
    if collectivite is None:
        return None
    value = normalize(collectivite).replace(" ", "")
    if value not in COLLECTIVITES:
        raise InvalidInput(
            f"Collectivité inconnue : « {collectivite} ». Valeurs possibles : metropole, departement."
        )
    return value


def rules_for(
    description: str,
    collectivite: str | None = None,
    *,
    include_general: bool = False,
) -> list[FrameworkRule]:
    """The framework rules triggered by a described action, exclusions first, in declaration order."""
    collectivite = check_collectivite(collectivite)
    found = [r for r in framework_rules() if (include_general and r.general) or r.matches(description, collectivite)]
    return sorted(found, key=lambda r: _ORDER[r.kind])


def applicable_rules(description: str, collectivite: str | None = None) -> list[tuple[FrameworkRule, str]]:
    """(rule, effect) for every rule the described action triggers, exclusions first, then conditions, then notes.

    The effect is the rule's kind, except for a condition whose `decisive` triggers do not match: "note"."""
    collectivite = check_collectivite(collectivite)
    found = [(r, e) for r in framework_rules() if (e := r.effect(description, collectivite)) is not None]
    return sorted(found, key=lambda item: _ORDER[item[1]])
