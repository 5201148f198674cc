"""The parameters file: every number of the financial framework, stated once, with a verbatim source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.rules import RULES
from assistant.rules.money import fmt_number
from assistant.rules.parameters import UNITS, load_parameters

PARAMS = load_parameters()
SOURCES = [(f"parameter {name}", p.source) for name, p in PARAMS.params.items()] + [
    (f"reference {name}", source) for name, source in PARAMS.references.items()
]


@pytest.mark.parametrize("where,source", SOURCES, ids=[w for w, _ in SOURCES])
def test_every_quote_is_verbatim_in_the_cited_lines(corpus, where, source):
    doc = corpus[source.doc_id]
    assert source.line_end <= len(doc.lines), f"{where}: lines beyond the end of {source.doc_id}"
    assert source.quote in doc.span_text(source.line_start, source.line_end), where


@pytest.mark.parametrize("name", sorted(PARAMS.params))
def test_each_value_is_the_number_its_quote_states(name):
    param = PARAMS[name]
    assert param.unit in UNITS
    # 1000 is written « 1 000 » in the instruction, 70 % as « 70% », a year as « 2024 », one as « une ».
    if param.unit == "année":
        written = {str(param.raw_value)}
    elif param.raw_value == 1:
        written = {"1", "une", "un "}
    else:
        written = {fmt_number(param.raw_value)}
    assert any(w in param.source.quote for w in written), f"{name}: {param.raw_value} not in its quote"


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
        for rule_id in param.used_by:
            assert name in RULES[rule_id].params, f"{name} says it is used by {rule_id}, which does not read it"


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
