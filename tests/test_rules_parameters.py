"""The parameters the contract checks read (from assistant/data/framework.yaml, whose quotes, rule texts and
eligibility side are tested in tests/test_framework.py): the instruction's numbers, declared by each check that
reads them, never written in the rules' code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.rules import RULES
from assistant.rules.parameters import UNITS, load_parameters

PARAMS = load_parameters()


def test_the_key_numbers_of_the_framework_are_the_instruction_s():
    values = {name: float(p.value) for name, p in PARAMS.params.items()}
    assert values["state_share_pct"] == 50 and values["axis_floor_pct"] == 20
    assert values["cee_public_share_max_pct"] == 70 and values["fsl_energy_aid_max_pct"] == 20
    assert values["ecomobility_investment_max_pct"] == 20 and values["canteen_state_max_pct"] == 30
    assert values["canteen_state_aid_per_meal"] == 1 and values["canteen_meal_price_limit"] == 1
    assert values["canteen_qf_max"] == 1000
    assert (values["contract_first_year"], values["contract_last_year"]) == (2024, 2027)


def test_rules_and_parameters_point_at_each_other():
    for rule in RULES.values():
        for name in rule.params:
            assert name in PARAMS.params, f"{rule.id} reads unknown parameter {name}"
            assert rule.id in PARAMS[name].used_by, f"{name}.used_by should list {rule.id}"
        for name in rule.refs:
            PARAMS.ref(name)  # KeyError if the passage is not declared
    for name, param in PARAMS.params.items():
        assert param.unit in UNITS
        for rule_id in param.used_by:
            assert name in RULES[rule_id].params, f"{name} says it is used by {rule_id}, which does not read it"


@pytest.mark.parametrize("module", ["parity", "caps", "floors", "exclusions", "indicators", "arithmetic"])
def test_each_check_reads_only_the_parameters_its_rule_declares(module):
    # p.value("x"), p["x"], p.text("x") name parameters of the check's rule, p.ref("x") one of the passages it cites.
    path = Path(__file__).resolve().parent.parent / "assistant" / "rules" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for fn in tree.body:
        registered = [d.args[0].value for d in getattr(fn, "decorator_list", ())
                      if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "rule"]
        if not registered:
            continue
        rule = RULES[registered[0]]
        names = {node.value for node in ast.walk(fn) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        read, cited = names & set(PARAMS.params), names & set(PARAMS.references)
        assert read <= set(rule.params), f"{rule.id} reads {sorted(read - set(rule.params))} without declaring them"
        assert cited <= set(rule.refs), f"{rule.id} cites {sorted(cited - set(rule.refs))} without declaring them"


RULE_MODULES = ["parity", "caps", "floors", "exclusions", "indicators", "arithmetic"]
# 0, 1, 2 and 100 are arithmetic (cents, halves, percent scale); 2 and 4 are also axis numbers.
ALLOWED_LITERALS = {0, 1, 2, 4, 100}


@pytest.mark.parametrize("module", RULE_MODULES)
def test_no_framework_number_is_hard_coded_in_the_rules(module):
    path = Path(__file__).resolve().parent.parent / "assistant" / "rules" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    numbers = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    }
    assert numbers <= ALLOWED_LITERALS, f"{module}.py hard-codes {sorted(numbers - ALLOWED_LITERALS)}"
