"""The framework file (assistant/data/framework.yaml): one id per rule, every number stated once with a verbatim
source, every rule tested on both sides of its triggers.

Shared by the contract checker (assistant/rules/) and eligibility (assistant/conditions.py): the checks of the
contract side are tested on their boundaries in tests/test_rules_boundaries.py; the eligibility side is tested
here, without the index, on the examples the file gives for each rule (what triggers it and near misses that
must not).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from assistant.conditions import applicable_rules, check_collectivite, framework_rules, rule, rules_for
from assistant.errors import CorpusError, InvalidInput
from assistant.framework import FRAMEWORK_FILE, load_framework, parse_framework
from assistant.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
FW = load_framework()
RAW = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))


def collapse(text: str) -> str:
    return " ".join(text.split())


def effects(description: str, collectivite: str | None = None) -> dict[str, str]:
    return {r.id: e for r, e in applicable_rules(description, collectivite)}


def every_passage():
    for name, p in FW.parameters.items():
        yield f"parameter {name}", p.source
    for name, p in FW.passages.items():
        yield f"passage {name}", p
    for e in FW.eligibility_rules():
        for i, q in enumerate(e.quotes):
            yield f"rule {e.id} quote {i + 1}", q


PASSAGES = list(every_passage())


# --------------------------------------------------------------------------------------------------
# Provenance: every quote verbatim in its lines
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where,passage", PASSAGES, ids=[w for w, _ in PASSAGES])
def test_every_quote_is_verbatim_in_its_corpus_lines(corpus, where, passage):
    assert passage.doc_id in corpus, f"{where}: unknown document {passage.doc_id}"
    doc = corpus[passage.doc_id]
    assert 1 <= passage.line_start <= passage.line_end <= len(doc.lines), f"{where}: lines beyond the document"
    assert collapse(passage.quote) in collapse(doc.span_text(passage.line_start, passage.line_end)), where


def test_framework_rules_quote_the_constraints_they_state():
    for rule_id, words in [
        ("cee_cap", ["SLIME+", "70%"]),
        ("fsl_energy_aid_cap", ["FSL énergie", "20 %"]),
        ("ecomobility_investment_cap", ["investissement", "20 %"]),
        ("canteen_pricing", ["30 %", "1 €", "1 000 €"]),
        ("reinforced_action_increment", ["uniquement la part supplémentaire"]),
        ("renewal_limited", ["de façon limitée"]),
        ("fse_plus", ["FSE+", "actions nouvelles (uniquement)", "part apportée par la métropole"]),
        ("existing_staff_valuation", ["valorisation financière de l'existant est exclue"]),
        ("zfe_purchase_aid", ["aides à l'achat de véhicules dans le cadre des ZFE"]),
        ("prenatal_pmi_metropole", ["entretiens prénataux"]),
        ("parity", ["50 % part État et 50 % part métropole"]),
    ]:
        quoted = " ".join(q.text for q in rule(rule_id).quotes)
        for w in words:
            assert w in quoted, (rule_id, w)


# --------------------------------------------------------------------------------------------------
# One id per rule, shared by both sides
# --------------------------------------------------------------------------------------------------


def test_every_contract_check_is_a_rule_of_the_file_and_the_reverse():
    assert set(RULES) == set(FW.checks())


def test_rule_ids_are_unique_and_cases_are_named_after_their_rule():
    ids = [r.id for r in FW.rules] + [e.id for r in FW.rules for e in r.eligibility[1:]]
    assert len(ids) == len(set(ids))
    for r in FW.rules:
        assert all(e.id.startswith(f"{r.id}.") for e in r.eligibility[1:]), r.id
    assert [r.id for r in framework_rules()] == [e.id for e in FW.eligibility_rules()]


def test_the_rules_both_sides_share_are_one_rule():
    # The rules of the instruction that eligibility and the contract checker both apply.
    both = {r.id for r in FW.rules if r.eligibility and r.check}
    assert both == {"cee_cap", "fsl_energy_aid_cap", "ecomobility_investment_cap", "mobility_job_seekers_axis",
                    "zfe_purchase_aid", "canteen_pricing", "renewal_limited", "fse_plus", "existing_staff_valuation",
                    "prenatal_pmi_metropole", "impact_evaluation", "parity"}


def test_each_cap_is_one_parameter_read_by_its_check_and_written_in_its_eligibility_label():
    for rule_id, name in [("cee_cap", "cee_public_share_max_pct"), ("fsl_energy_aid_cap", "fsl_energy_aid_max_pct"),
                          ("ecomobility_investment_cap", "ecomobility_investment_max_pct"),
                          ("canteen_pricing", "canteen_state_max_pct"), ("canteen_pricing", "canteen_qf_max"),
                          ("parity", "state_share_pct")]:
        assert name in RULES[rule_id].params
        assert FW.parameters[name].text in rule(rule_id).label, (rule_id, name)
        assert FW.parameters[name].text in RULES[rule_id].title + RULES[rule_id].summary, (rule_id, name)


# --------------------------------------------------------------------------------------------------
# Every number once
# --------------------------------------------------------------------------------------------------


def test_every_parameter_is_read_by_a_rule_and_every_rule_parameter_exists():
    for name, param in FW.parameters.items():
        assert param.used_by, f"{name} is read by no rule"
        for rule_id in param.used_by:
            assert name in FW.rule(rule_id).parameters
    for r in FW.rules:
        for name in r.parameters:
            assert r.id in FW.parameters[name].used_by


def _texts(raw_rule: dict):
    """(where, template) for every French text of a rule as written in the file."""
    eligibility = raw_rule.get("eligibility") or {}
    if "label" in eligibility:
        yield f"{raw_rule['id']}.label", eligibility["label"]
    for case in raw_rule.get("cases") or ():
        yield f"{raw_rule['id']}.{case['id']}.label", case["label"]
    check = raw_rule.get("check") or {}
    for key in ("title", "summary"):
        if key in check:
            yield f"{raw_rule['id']}.check.{key}", check[key]


TEMPLATES = [(raw["id"], where, text) for raw in RAW["rules"] for where, text in _texts(raw)]
QUANTITY = re.compile(r"(?<![\d,])(\d{1,3}(?: \d{3})*(?:,\d+)?) ?(%|€)")


@pytest.mark.parametrize("rule_id,where,template", TEMPLATES, ids=[w for _, w, _ in TEMPLATES])
def test_no_rule_text_writes_a_number_of_its_own(rule_id, where, template):
    # A percentage or an amount is always a {parameter}; and no bare number repeats a parameter's value.
    written = re.sub(r"\{[a-z0-9_]+\}", "", template)
    assert not QUANTITY.search(written), f"{where}: write the parameter, not {QUANTITY.search(written).group(0)!r}"
    values = {str(FW.parameters[name].raw_value) for name in FW.rule(rule_id).parameters}
    bare = set(re.findall(r"(?<![\d.])\d+(?![\d.])", written)) & values
    assert not bare, f"{where}: {sorted(bare)} is a parameter value of {rule_id}"


def test_every_number_a_rule_text_shows_is_one_of_its_parameters():
    for r in FW.rules:
        allowed = {FW.parameters[name].text for name in r.parameters}
        texts = [e.label for e in r.eligibility] + ([r.check.title, r.check.summary] if r.check else [])
        for text in texts:
            for number, unit in QUANTITY.findall(text):
                assert f"{number} {unit}" in allowed, (r.id, number, unit, text)


def test_labels_read_the_instruction_s_numbers():
    assert rule("canteen_pricing").label == (
        "Tarification sociale des cantines (REP/REP+) : au plus 30 % des crédits État de l'axe 4, 1 € par repas à "
        "moins d'1 €, QF au plus 1 000 €")
    assert rule("cee_cap").label.endswith("ne peut dépasser 70 % du cofinancement total")
    assert rule("parity").label == "Cofinancement 50 % État / 50 % métropole pour chaque action"


@pytest.mark.parametrize("name", sorted(FW.parameters))
def test_each_value_is_the_number_its_quote_states(name):
    param = FW.parameters[name]
    # 1000 is written « 1 000 » in the instruction, 70 % as « 70% », a year as « 2024 », one as « une ».
    from assistant.framework import french_number

    if param.unit == "année":
        written = {str(param.raw_value)}
    elif param.raw_value == 1:
        written = {"1", "une", "un "}
    else:
        written = {french_number(param.raw_value)}
    assert any(w in param.source.quote for w in written), f"{name}: {param.raw_value} not in its quote"


CODE = [*sorted((ROOT / "assistant" / "rules").glob("*.py")), ROOT / "assistant" / "conditions.py",
        ROOT / "assistant" / "framework.py"]


@pytest.mark.parametrize("path", CODE, ids=[p.name for p in CODE])
def test_no_message_in_the_code_writes_a_framework_number(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    found = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
             and re.search(r"(?<![\d,])[1-9]\d*(?: \d{3})*(?:,\d+)? ?(%|€)", node.value)]
    assert not found, f"{path.name}: {found}"


# --------------------------------------------------------------------------------------------------
# Eligibility side: every rule fires on what the instruction targets, and not on near misses
# --------------------------------------------------------------------------------------------------

EXAMPLES = [(e.id, x) for e in FW.eligibility_rules() for x in e.examples]


def test_every_triggered_rule_has_an_example_that_fires_and_a_near_miss():
    for e in FW.eligibility_rules():
        if not e.triggers:
            assert not e.examples, e.id
            continue
        fired = [x for x in e.examples if x.effect != "none"]
        missed = [x for x in e.examples if x.effect == "none"]
        assert fired and missed, f"{e.id}: needs an example that triggers it and a near miss"
        if e.decisive:  # both outcomes of a condition with decisive triggers
            assert {x.effect for x in fired} == {"condition", "note"}, e.id


@pytest.mark.parametrize("rule_id,example", EXAMPLES,
                         ids=[f"{rid}:{x.effect}:{x.text[:40]}" for rid, x in EXAMPLES])
def test_rule_examples(rule_id, example):
    found = effects(example.text, example.collectivite)
    if example.effect == "none":
        assert rule_id not in found, found
    else:
        assert found.get(rule_id) == example.effect, found


def test_rules_without_triggers_are_cited_not_matched():
    untriggered = {r.id for r in framework_rules() if not r.triggers}
    assert untriggered == {"new_or_reinforced_actions", "outside_referentiel"}
    for _, example in EXAMPLES:
        assert not untriggered & set(effects(example.text))


def test_rule_kinds_and_deciding_rules():
    kinds = {r.id: r.kind for r in framework_rules()}
    # the caps and hard conditions listed by the instruction decide the verdict…
    for rule_id in ("cee_cap", "fsl_energy_aid_cap", "ecomobility_investment_cap", "canteen_pricing",
                    "reinforced_action_increment", "renewal_limited", "fse_plus", "cnfpt_catalogue", "parity"):
        assert kinds[rule_id] == "condition", rule_id
    # …the exclusions rule the action out…
    for rule_id in ("zfe_purchase_aid", "canteen_pricing.existing_measure", "fse_plus.state_share",
                    "fse_plus.new_actions_only", "existing_staff_valuation", "prenatal_pmi_metropole"):
        assert kinds[rule_id] == "exclusion", rule_id
    # …the rest informs the reader
    for rule_id in ("cee_cap.out_of_cap", "mobility_job_seekers_axis", "rights_access_coordination",
                    "faj_identification", "pacte_referent", "impact_evaluation", "engineering_time",
                    "new_or_reinforced_actions", "outside_referentiel"):
        assert kinds[rule_id] == "note", rule_id
    assert {r.id for r in framework_rules() if r.basis} == {"pacte_referent", "impact_evaluation", "engineering_time"}


def test_cases_inherit_their_rule_s_quotes_and_axes():
    assert rule("fse_plus.state_share").quotes == rule("fse_plus").quotes
    assert rule("cee_cap.out_of_cap").axes == rule("cee_cap").axes == (4,)
    assert rule("cee_cap.out_of_cap").quotes != rule("cee_cap").quotes  # its own sentence of line 1088


def test_pmi_exclusion_concerns_metropoles_only():
    description = "Financer les entretiens prénataux de la PMI"
    assert "prenatal_pmi_metropole" in [r.id for r in rules_for(description, "metropole")]
    assert "prenatal_pmi_metropole" in [r.id for r in rules_for(description)]  # the instruction is for métropoles
    assert "prenatal_pmi_metropole" not in [r.id for r in rules_for(description, "departement")]


def test_exclusions_come_first_and_citations_have_the_answer_shape():
    found = rules_for("aide à l'achat d'un véhicule propre en ZFE")
    assert found[0].kind == "exclusion"
    for c in found[0].citations():
        assert set(c) == {"text", "doc_id", "line_start", "line_end"}


def test_general_rules_only_on_request():
    description = "Développer les démarches d'accès aux droits dans les quartiers"
    assert "new_or_reinforced_actions" not in [r.id for r in rules_for(description)]
    assert "new_or_reinforced_actions" in [r.id for r in rules_for(description, include_general=True)]


def test_outside_referentiel_rule_is_available_for_citation():
    assert [q.line_start for q in rule("outside_referentiel").quotes] == [117, 1051]


def test_unknown_collectivite_is_refused_in_french():
    assert check_collectivite("Métropole") == "metropole"
    with pytest.raises(InvalidInput, match="Collectivité inconnue"):
        rules_for("cantine", "region")


# --------------------------------------------------------------------------------------------------
# The trigger language
# --------------------------------------------------------------------------------------------------


def tiny(triggers, **eligibility) -> dict:
    return {"doc_id": "d", "parameters": {}, "patterns": {"neg": "(?<!sans )"},
            "rules": [{"id": "r", "eligibility": {"kind": "note", "label": "x", "quotes": [{"lines": 1, "quote": "q"}],
                                                   "triggers": triggers, **eligibility}}]}


def matcher(*triggers):
    (e,) = parse_framework(tiny(list(triggers))).eligibility_rules()
    return lambda text: any(t.matches(text) for t in e.triggers)


def test_words_match_whole_words_and_a_star_any_ending():
    m = matcher({"words": ["velo", "garage solidaire*"]})
    assert m("un velo cargo") and m("un garage solidaire mobile") and m("des garage solidaires")
    assert not m("velomoteur") and not m("les velos") and not m("des garages solidaires")
    assert matcher({"words": ["financi*"]})("aides financieres")


def test_all_not_and_patterns_compose():
    m = matcher({"all": [{"words": ["fsl"]}, {"not": {"words": ["orientation"]}}]})
    assert m("abondement du fsl") and not m("orientation vers le fsl")
    assert matcher({"pattern": r"${neg}\bhausse"})("hausse de la file active")
    assert not matcher({"pattern": r"${neg}\bhausse"})("sans hausse de la file active")
    either = matcher({"words": ["epp"], "pattern": "bilans? de sante.{0,10}maternelle"})
    assert either("un epp") and either("bilan de sante en maternelle") and not either("bilan de sante")


# --------------------------------------------------------------------------------------------------
# The file is refused, in French, when it breaks a rule of its format
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change,needle", [
    (lambda d: d["rules"][0].update(parameters=[]) or d["rules"][0]["eligibility"].update(label="x"),
     "utilisés par aucune règle"),
    (lambda d: d["rules"][0].update(parameters=["orphan", "missing"]), "paramètres inconnus"),
    (lambda d: d["rules"][0]["eligibility"].update(label="au plus {other}"), "n'est pas un paramètre"),
    (lambda d: d["rules"][0]["eligibility"].update(quotes=["nowhere"]), "passage inconnu"),
    (lambda d: d["rules"][0]["eligibility"].update(triggers=[{"words": ["Vélo"]}]), "sans accents"),
    (lambda d: d["rules"][0]["eligibility"].update(triggers=[{"pattern": "(unclosed"}]), "expression régulière"),
    (lambda d: d["rules"][0]["eligibility"].update(triggers=[{"pattern": "${nope}"}]), "motif inconnu"),
    (lambda d: d["rules"][0]["eligibility"].update(decisive=[{"words": ["x"]}]), "decisive"),
    (lambda d: d["rules"].append(dict(d["rules"][0])), "en double"),
    (lambda d: d["rules"][0].update(colour="red"), "colour"),
])
def test_a_broken_file_is_refused_with_a_french_message(change, needle):
    data = tiny([{"words": ["x"]}])
    data["parameters"] = {"orphan": {"label": "l", "value": 1, "unit": "%", "source": {"lines": 1, "quote": "q"}}}
    data["rules"][0]["parameters"] = ["orphan"]
    data["rules"][0]["eligibility"]["label"] = "au plus {orphan}"
    parse_framework(data)  # the base is valid
    change(data)
    with pytest.raises(CorpusError, match=re.escape(needle)):
        parse_framework(data)


def test_missing_or_unreadable_file_gives_a_french_error(tmp_path):
    with pytest.raises(CorpusError, match="introuvable"):
        load_framework(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [1, 2\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="illisible"):
        load_framework(broken)


def test_pacte_check_explain_shows_the_parameter_and_its_source(capsys):
    from assistant.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["check", "--explain", "canteen_pricing"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "Paramètres (assistant/data/framework.yaml)" in out
    assert "canteen_qf_max = 1 000 € — Quotient familial maximal des élèves bénéficiaires" in out
    assert "source : instruction-2023-168, ligne 1255" in out
