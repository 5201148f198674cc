"""Run every rule on a contract and build the report {"ok": bool, "results": [...]}."""

from __future__ import annotations

from pathlib import Path

# Importing the families registers their rules.
from . import arithmetic, caps, exclusions, floors, indicators, parity  # noqa: F401
from .base import RULES, Result
from .contract import Contract, load_contract, validate_contract
from .safeparse import paused_gc
from .model import ContractFacts
from .parameters import Parameters, load_parameters

# Report order: the order of the list, per-action rules first.
RULE_ORDER = (
    "parity",
    "state_share_max",
    "total_ceiling",
    "axis_floor",
    "axis_coverage",
    "renewal_limited",
    "fse_plus",
    "cee_cap",
    "fsl_energy_aid_cap",
    "ecomobility_investment_cap",
    "zfe_purchase_aid",
    "canteen_pricing",
    "mobility_job_seekers_axis",
    "prenatal_pmi_metropole",
    "existing_staff_valuation",
    "indicators_required",
    "impact_evaluation",
    "arithmetic",
)
assert set(RULE_ORDER) == set(RULES), set(RULES) ^ set(RULE_ORDER)


def as_facts(contract) -> ContractFacts:
    """Accepts a ContractFacts, a Contract, a mapping, a path or (bytes, filename)."""
    if isinstance(contract, ContractFacts):
        return contract
    if isinstance(contract, Contract):
        return contract.facts()
    if isinstance(contract, dict):
        return validate_contract(contract).facts()
    if isinstance(contract, (str, Path, tuple)):
        return load_contract(contract).facts()
    raise TypeError(f"unsupported contract input: {type(contract).__name__}")


def run_rules(facts: ContractFacts, params: Parameters | None = None) -> list[Result]:
    params = params or load_parameters()
    results: list[Result] = []
    with paused_gc():  # thousands of small results: see contract.paused_gc
        for rule_id in RULE_ORDER:
            results.extend(RULES[rule_id].check(facts, params))
    return results


def report(results: list[Result]) -> dict:
    return {
        "ok": not any(r.verdict == "violation" for r in results),
        "results": [r.to_dict() for r in results],
    }


def check_contract(contract, params: Parameters | None = None) -> dict:
    """The report of every rule on a contract (see as_facts for the accepted inputs).

    {"ok": no violation, "results": [{"rule", "action", "verdict", "message", "citation", "values"}]}
    Raises assistant.errors.InvalidInput on a malformed contract.
    """
    facts = as_facts(contract)
    with paused_gc():
        return report(run_rules(facts, params))
