"""Deterministic checks of a contrat local des solidarités against the instruction's financial framework.

    from assistant.rules import check_contract, load_contract
    report = check_contract(load_contract("examples/pas-de-calais-2024.yaml"))
    report = check_contract((uploaded_bytes, "contrat.xlsx"))   # what the HTTP API receives

Nothing here imports the index, the embedder or the retrieval stack.
"""

from .base import RULES, Result
from .contract import Contract, load_contract, validate_contract
from .engine import RULE_ORDER, check_contract, run_rules
from .parameters import load_parameters

__all__ = [
    "RULES",
    "RULE_ORDER",
    "Contract",
    "Result",
    "check_contract",
    "load_contract",
    "load_parameters",
    "run_rules",
    "validate_contract",
]
