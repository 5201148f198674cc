"""Every rule on both sides of its boundary: exactly at the limit passes, one euro (or one cent) over fails.

Contracts are built small and explicit; `verdicts(report, rule)` lists the (action, verdict) pairs of a rule.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from assistant.rules import check_contract, load_parameters

FULL_INDICATOR = [{"libelle": "Nombre de personnes accompagnées", "t0": 10,
                   "cibles": {2024: 20, 2025: 30, 2026: 40, 2027: 50}}]


def action(id_, axe, etat, collectivite=None, **extra):
    """An action; collectivite defaults to etat (parity), indicators are complete."""
    financement = {"etat": etat, "collectivite": etat if collectivite is None else collectivite}
    for key in ("autres", "fse_plus", "total"):
        if key in extra:
            financement[key] = extra.pop(key)
    return {"id": id_, "axe": axe, "intitule": f"Action {id_}", "statut": extra.pop("statut", "nouvelle"),
            "financement": financement, "indicateurs": copy.deepcopy(FULL_INDICATOR), **extra}


def contract(*actions, type_="metropole", plafonds=None, **extra):
    """A contract with one plain action per axis unless actions are given."""
    actions = list(actions) or [action(f"{axis}.1", axis, 10_000) for axis in (1, 2, 3, 4)]
    data = {"collectivite": {"nom": "Métropole test", "type": type_}, "annee": 2024, "actions": actions, **extra}
    if plafonds is not None:
        data["plafonds_etat"] = plafonds
    return data


def with_all_axes(*actions, **kw):
    """Fill the axes the given actions leave empty, so axis_coverage stays quiet."""
    present = {a["axe"] for a in actions}
    filler = [action(f"{axis}.9", axis, 10_000) for axis in (1, 2, 3, 4) if axis not in present]
    return contract(*actions, *filler, **kw)


def verdicts(data, rule):
    return [(r["action"], r["verdict"]) for r in check_contract(data)["results"] if r["rule"] == rule]


def result(data, rule, action_id):
    (found,) = [r for r in check_contract(data)["results"] if r["rule"] == rule and r["action"] == action_id]
    return found


# ---------------------------------------------------------------- parity and the State's share


def test_parity_equal_shares_pass_and_one_cent_more_for_the_state_fails():
    assert verdicts(contract(action("1.1", 1, 51_000)), "parity") == [("1.1", "ok")]
    assert verdicts(contract(action("1.1", 1, 51_000.01, 51_000)), "parity") == [("1.1", "violation")]


def test_parity_collectivity_above_state_is_a_warning_citing_the_equal_shares_paragraph():
    found = result(contract(action("1.1", 1, 50_000, 50_001)), "parity", "1.1")
    assert found["verdict"] == "warning"
    assert "50 001 €" in found["message"] and "50 000 €" in found["message"]
    assert (found["citation"]["line_start"], found["citation"]["line_end"]) == (1323, 1325)


def test_parity_collectivity_above_state_is_required_on_a_cee_funded_action():
    data = contract(action("4.1", 4, 10_000, 20_000, cee=70_000, dispositifs=["slime"]))
    assert verdicts(data, "parity") == [("4.1", "ok")]


def test_parity_violation_cites_line_1321():
    found = result(contract(action("1.1", 1, 51_000, 49_000)), "parity", "1.1")
    assert found["citation"] == {"doc_id": "instruction-2023-168", "line_start": 1321, "line_end": 1321}


def test_state_share_exactly_half_of_the_total_passes_with_another_financer():
    # The instruction's own example (l. 1325): 100 000 € = État 40 000 + métropole 40 000 + CAF 20 000.
    data = contract(action("1.1", 1, 40_000, 40_000, autres={"CAF": 20_000}))
    assert verdicts(data, "state_share_max") == [("1.1", "ok")]
    data = contract(action("1.1", 1, 50_000, 40_000, autres={"CAF": 10_000}))
    assert verdicts(data, "state_share_max") == [("1.1", "ok")]  # 50 % exactly
    assert verdicts(data, "parity") == [("1.1", "violation")]  # but above the collectivity


def test_state_share_one_euro_over_half_fails_with_the_french_message():
    found = result(contract(action("1.1", 1, 51_000, 49_000)), "state_share_max", "1.1")
    assert found["verdict"] == "violation"
    assert found["message"] == "part État 51 000 € = 51,0 % du coût total (100 000 €) > 50 %"
    assert found["values"] == {"etat": 51_000, "cout_total": 100_000, "part_etat_pct": 51.0, "seuil_pct": 50.0}
    close = result(contract(action("1.1", 1, 50_001, 49_999)), "state_share_max", "1.1")
    assert close["verdict"] == "violation"
    assert "50,001 %" in close["message"]  # never « 50,0 % > 50 % »


# ---------------------------------------------------------------- ceilings and floors


def test_total_ceiling_equal_passes_one_euro_over_fails():
    plafonds = {1: 10_000, 2: 10_000, 3: 10_000, 4: 10_000}
    assert verdicts(contract(plafonds=plafonds), "total_ceiling") == [(None, "ok")]
    over = contract(plafonds=plafonds)
    over["actions"][0]["financement"].update(etat=10_001, collectivite=10_001)
    found = result(over, "total_ceiling", None)
    assert found["verdict"] == "violation"
    assert "40 001 €" in found["message"] and "40 000 €" in found["message"]


def test_total_ceiling_uses_fungibility_between_axes():
    data = contract(plafonds={1: 5_000, 2: 15_000, 3: 10_000, 4: 10_000})  # axis 1 over its own amount
    assert verdicts(data, "total_ceiling") == [(None, "ok")]


def test_total_ceiling_without_plafonds_or_with_a_missing_axis_is_info():
    assert verdicts(contract(), "total_ceiling") == [(None, "info")]
    assert verdicts(contract(plafonds={1: 10_000, 2: 10_000, 3: 10_000}), "total_ceiling") == [(None, "info")]


def test_axis_floor_exactly_20_percent_passes_one_euro_below_fails():
    at_floor = with_all_axes(action("1.1", 1, 20_000), plafonds={1: 100_000})
    assert verdicts(at_floor, "axis_floor") == [(None, "ok")]
    below = with_all_axes(action("1.1", 1, 19_999), plafonds={1: 100_000})
    found = result(below, "axis_floor", None)
    assert found["verdict"] == "violation"
    assert "20 % (20 000 €)" in found["message"] and "19 999 €" in found["message"]


def test_axis_floor_counts_an_axis_without_action_as_zero():
    data = contract(action("1.1", 1, 50_000), plafonds={1: 50_000, 2: 10_000})
    assert verdicts(data, "axis_floor") == [(None, "ok"), (None, "violation")]


def test_axis_coverage_is_a_violation_for_a_metropole_and_a_warning_for_a_departement():
    three_axes = [action(f"{axis}.1", axis, 10_000) for axis in (1, 3, 4)]
    assert (None, "violation") in verdicts(contract(*three_axes), "axis_coverage")
    assert (None, "warning") in verdicts(contract(*three_axes, type_="departement"), "axis_coverage")
    assert verdicts(contract(), "axis_coverage") == [(None, "ok")] * 4


# ---------------------------------------------------------------- statuses and FSE+


def test_renewal_is_a_warning_and_new_or_reinforced_actions_pass():
    assert verdicts(contract(action("1.1", 1, 10_000, statut="reconduite")), "renewal_limited") == [("1.1", "warning")]
    assert verdicts(contract(action("1.1", 1, 10_000, statut="renforcee")), "renewal_limited") == [(None, "ok")]


def test_fse_plus_up_to_the_collectivity_share_of_a_new_action_passes():
    assert verdicts(contract(action("1.1", 1, 10_000, fse_plus=10_000)), "fse_plus") == [("1.1", "ok")]
    assert verdicts(contract(action("1.1", 1, 10_000, fse_plus=10_001)), "fse_plus") == [("1.1", "violation")]


def test_fse_plus_on_a_reinforced_action_fails_and_on_an_unknown_status_warns():
    assert verdicts(contract(action("1.1", 1, 10_000, fse_plus=1, statut="renforcee")), "fse_plus") == [
        ("1.1", "violation")]
    unknown = contract(action("1.1", 1, 10_000, fse_plus=1))
    del unknown["actions"][0]["statut"]
    assert verdicts(unknown, "fse_plus") == [("1.1", "warning")]


# ---------------------------------------------------------------- CEE, FSL, eco-mobility


def slime(etat, collectivite, cee, autres=0, **extra):
    return action("4.1", 4, etat, collectivite, cee=cee, autres={"Autre": autres} if autres else {},
                  dispositifs=extra.pop("dispositifs", ["slime"]), **extra)


def test_cee_cap_public_share_exactly_70_percent_passes_one_euro_over_fails():
    assert verdicts(contract(slime(10_000, 20_000, 60_000, 10_000)), "cee_cap") == [("4.1", "ok")]
    found = result(contract(slime(10_000, 20_000, 60_001, 10_000)), "cee_cap", "4.1")
    assert found["verdict"] == "violation"
    assert found["values"]["part_publique"] == 70_001 and found["values"]["cout_total"] == 100_001
    assert "> 70 %" in found["message"]


def test_cee_cap_applies_to_any_cee_funded_action_and_exempts_slime_animation():
    other_programme = action("4.1", 4, 25_000, 25_000, cee=50_000)  # e.g. Territoire Zéro Exclusion Énergétique
    assert verdicts(contract(other_programme), "cee_cap") == [("4.1", "violation")]  # 75 %
    exempt = slime(25_000, 25_000, 50_000, dispositifs=["slime_hors_plafond"])
    assert verdicts(contract(exempt), "cee_cap") == [("4.1", "info")]
    assert verdicts(contract(slime(10_000, 10_000, 0)), "cee_cap") == [("4.1", "info")]  # SLIME+ without CEE
    assert verdicts(contract(), "cee_cap") == [(None, "ok")]


def axis4(flagged_etat, flagged_coll, other, dispositif):
    return contract(action("4.1", 4, flagged_etat, flagged_coll, dispositifs=[dispositif]),
                    action("4.2", 4, other), *[action(f"{a}.1", a, 10_000) for a in (1, 2, 3)])


@pytest.mark.parametrize("rule,dispositif", [("fsl_energy_aid_cap", "fsl_energie"),
                                             ("ecomobility_investment_cap", "ecomobilite_investissement")])
def test_axis4_20_percent_caps_exactly_at_the_limit_pass_one_euro_over_fails(rule, dispositif):
    # 20 000 € of 100 000 € co-contracted on axis 4 (State + collectivity).
    assert verdicts(axis4(10_000, 10_000, 40_000, dispositif), rule) == [(None, "ok")]
    found = result(axis4(10_000, 10_001, 40_000, dispositif), rule, None)
    assert found["verdict"] == "violation"
    assert found["values"]["montant"] == 20_001 and found["values"]["base_axe4"] == 100_001
    assert "20,001 %" in found["message"]


# ---------------------------------------------------------------- exclusions


@pytest.mark.parametrize("rule,dispositif", [("zfe_purchase_aid", "aide_achat_vehicule_zfe"),
                                             ("existing_staff_valuation", "valorisation_existant")])
def test_excluded_expenses_are_violations(rule, dispositif):
    assert verdicts(contract(action("4.1", 4, 10_000, dispositifs=[dispositif])), rule) == [("4.1", "violation")]
    assert verdicts(contract(), rule) == [(None, "ok")]


def test_prenatal_pmi_is_excluded_for_a_metropole_only():
    pmi = action("1.1", 1, 10_000, dispositifs=["entretien_prenatal_pmi"])
    assert verdicts(contract(pmi), "prenatal_pmi_metropole") == [("1.1", "violation")]
    assert verdicts(contract(pmi, type_="departement"), "prenatal_pmi_metropole") == [("1.1", "ok")]
    school = action("1.1", 1, 10_000, dispositifs=["bilan_sante_maternelle_pmi"])
    assert verdicts(contract(school), "prenatal_pmi_metropole") == [("1.1", "violation")]


def test_job_seeker_mobility_belongs_on_axis_2():
    on_axis_2 = action("2.1", 2, 10_000, dispositifs=["mobilite_demandeurs_emploi"])
    on_axis_4 = action("4.1", 4, 10_000, dispositifs=["mobilite_demandeurs_emploi"])
    assert verdicts(contract(on_axis_2), "mobility_job_seekers_axis") == [("2.1", "ok")]
    assert verdicts(contract(on_axis_4), "mobility_job_seekers_axis") == [("4.1", "violation")]
    assert verdicts(contract(on_axis_4, type_="departement"), "mobility_job_seekers_axis") == [("4.1", "warning")]


# ---------------------------------------------------------------- canteens


def canteen(etat=1_000, axe=4, **cantine):
    terms = {"repas": 1_000, "prix_repas": 0.99, "qf_max": 1000, "aide_etat_par_repas": 1, **cantine}
    return action("4.1", axe, etat, dispositifs=["tarification_cantine"], cantine=terms)


def canteen_contract(*actions):
    # Axis-4 State credits: 1 000 € (canteen) + 2 334 € = 3 334 €, the canteen's 1 000 € being 29,99 %.
    return contract(*actions, action("4.2", 4, 2_334), *[action(f"{a}.1", a, 10_000) for a in (1, 2, 3)])


def test_canteen_terms_at_their_limits_pass():
    assert verdicts(canteen_contract(canteen()), "canteen_pricing") == [("4.1", "ok"), (None, "ok")]


@pytest.mark.parametrize("change,needle", [
    ({"prix_repas": 1}, "prix du repas 1 € ≥ 1 €"),
    ({"aide_etat_par_repas": 1.01}, "aide État par repas 1,01 € > 1 €"),
    ({"qf_max": 1001}, "quotient familial maximal 1 001 € > 1 000 €"),
    ({"repas": 999}, "part État 1 000 € > 999 repas × 1 € = 999 €"),
    ({"etablissements_rep": False}, "hors REP/REP+"),
    ({"mesure_similaire_existante": True}, "mesure similaire"),
])
def test_canteen_terms_one_step_over_fail(change, needle):
    found = result(canteen_contract(canteen(**change)), "canteen_pricing", "4.1")
    assert found["verdict"] == "violation"
    assert needle in found["message"]


def test_canteen_state_share_of_axis_4_exactly_30_percent_passes_one_euro_over_fails():
    at_limit = contract(canteen(etat=3_000, repas=3_000), action("4.2", 4, 7_000),
                        *[action(f"{a}.1", a, 10_000) for a in (1, 2, 3)])
    assert (None, "ok") in verdicts(at_limit, "canteen_pricing")
    over = contract(canteen(etat=3_001, repas=3_001), action("4.2", 4, 7_000),
                    *[action(f"{a}.1", a, 10_000) for a in (1, 2, 3)])
    found = result(over, "canteen_pricing", None)
    assert found["verdict"] == "violation" and "> 30 %" in found["message"]


def test_canteen_outside_axis_4_warns_and_without_terms_is_info():
    assert ("4.1", "warning") in verdicts(canteen_contract(canteen(axe=3)), "canteen_pricing")
    bare = action("4.1", 4, 1_000, dispositifs=["tarification_cantine"])
    assert ("4.1", "info") in verdicts(canteen_contract(bare), "canteen_pricing")


# ---------------------------------------------------------------- indicators


def test_indicators_complete_pass_and_a_missing_target_or_t0_warns():
    assert verdicts(contract(action("1.1", 1, 10_000)), "indicators_required") == [("1.1", "ok")]
    no_2027 = action("1.1", 1, 10_000)
    del no_2027["indicateurs"][0]["cibles"][2027]
    found = result(contract(no_2027), "indicators_required", "1.1")
    assert found["verdict"] == "warning" and "cible 2027 manquante" in found["message"]
    no_t0 = action("1.1", 1, 10_000)
    no_t0["indicateurs"][0]["t0"] = None
    assert verdicts(contract(no_t0), "indicators_required") == [("1.1", "warning")]
    assert verdicts(contract(action("1.1", 1, 10_000, indicateurs=[])), "indicators_required") == [
        ("1.1", "warning")]


def test_indicators_absent_from_the_whole_file_are_one_info():
    bare = [action(f"{axis}.1", axis, 10_000) for axis in (1, 2)]
    for a in bare:
        del a["indicateurs"]
    assert verdicts(contract(*bare), "indicators_required") == [(None, "info")]


def test_impact_evaluation_on_one_action_passes_none_warns_unstated_informs():
    chosen = contract(action("1.1", 1, 10_000, evaluation_impact=True), action("1.2", 1, 10_000))
    assert verdicts(chosen, "impact_evaluation") == [(None, "ok")]
    refused = contract(action("1.1", 1, 10_000, evaluation_impact=False), action("1.2", 1, 10_000))
    assert verdicts(refused, "impact_evaluation") == [(None, "warning")]
    assert verdicts(contract(), "impact_evaluation") == [(None, "info")]


# ---------------------------------------------------------------- arithmetic


def test_declared_total_equal_to_its_parts_passes_one_euro_off_fails():
    assert verdicts(contract(action("1.1", 1, 10_000, autres={"CAF": 500}, total=20_500)), "arithmetic") == [
        ("1.1", "ok")]
    found = result(contract(action("1.1", 1, 10_000, autres={"CAF": 500}, total=20_501)), "arithmetic", "1.1")
    assert found["verdict"] == "violation"
    assert found["message"].endswith("= 20 500 € (écart 1 €)")


def test_declared_total_counts_the_cee():
    data = contract(action("4.1", 4, 10_000, 20_000, cee=70_000, total=100_000, dispositifs=["slime"]))
    assert verdicts(data, "arithmetic") == [("4.1", "ok")]


def test_sub_totals_and_totals_are_checked_column_by_column():
    data = contract(action("1.1", 1, 10_000), action("1.2", 1, 5_000),
                    sous_totaux={1: {"etat": 15_000, "collectivite": 15_000, "autres": 0, "total": 30_000}},
                    totaux={"etat": 15_000, "collectivite": 15_000, "total": 30_000})
    assert verdicts(data, "arithmetic") == [(None, "ok"), (None, "ok")]
    data["sous_totaux"][1]["collectivite"] = 15_001
    data["totaux"]["total"] = 29_999
    assert verdicts(data, "arithmetic") == [(None, "violation"), (None, "violation")]


def test_volets_summing_to_the_total_pass_to_one_share_inform_otherwise_warn():
    def with_volets(*amounts):
        return contract(action("1.1", 1, 10_000, volets=[{"libelle": f"v{i}", "montant": m}
                                                         for i, m in enumerate(amounts)]))

    assert verdicts(with_volets(15_000, 5_000), "arithmetic") == [("1.1", "ok")]
    assert verdicts(with_volets(5_000, 5_000), "arithmetic") == [("1.1", "info")]
    assert verdicts(with_volets(15_000, 4_999), "arithmetic") == [("1.1", "warning")]


def test_nothing_declared_is_a_single_ok():
    assert verdicts(contract(), "arithmetic") == [(None, "ok")]


# ---------------------------------------------------------------- every cap and floor, from its parameter
#
# The cases above pin the instruction's numbers; these build each boundary from the parameter the check reads
# (assistant/data/framework.yaml), one cent under, at and one cent over: the check and its parameter agree.

P = load_parameters()
CENT = Fraction(1, 100)


def share(whole, name):
    """name % of whole euros, exact."""
    return Fraction(whole) * P.value(name) / 100


def amount(x: Fraction):
    """Euros for the contract file: an int when whole, else a float with cents."""
    return int(x) if x.denominator == 1 else float(x)


def state_share_case(d):
    etat = share(100_000, "state_share_pct") + d
    return contract(action("1.1", 1, amount(etat), amount(100_000 - etat)))


def axis_floor_case(d):
    return with_all_axes(action("1.1", 1, amount(share(100_000, "axis_floor_pct") + d)), plafonds={1: 100_000})


def cee_case(d):
    public = share(100_000, "cee_public_share_max_pct")  # État 10 000 + CEE, collectivity the rest
    return contract(slime(10_000, amount(100_000 - public), amount(public - 10_000 + d)))


def axis4_cap_case(param, dispositif):
    def build(d):
        # of 100 000 € (+ d) co-contracted on axis 4: the flagged action's State and collectivity shares, the rest
        half = share(100_000, param) / 2
        rest = (100_000 - 2 * half) / 2
        return axis4(amount(half), amount(half + d), amount(rest), dispositif)
    build.__name__ = f"{dispositif}_case"
    return build


def canteen_share_case(d):
    etat = share(10_000, "canteen_state_max_pct") + d  # of 10 000 € (+ d) of State credits on axis 4
    rest = 10_000 - share(10_000, "canteen_state_max_pct")
    return contract(canteen(etat=amount(etat), repas=int(etat) + 1), action("4.2", 4, amount(rest)),
                    *[action(f"{a}.1", a, 10_000) for a in (1, 2, 3)])


def canteen_terms_case(**term):
    (key, name), = term.items()
    limit = Fraction(P[name].cents, 100)

    def build(d):
        return canteen_contract(canteen(etat=990, **{key: amount(limit + d)}))
    build.__name__ = f"canteen_{key}_case"
    return build


def canteen_meals_case(d):
    # The State share of a canteen action against its meals × the State aid per meal (at its maximum).
    aid = Fraction(P["canteen_state_aid_per_meal"].cents, 100)
    meals = 1_000
    return canteen_contract(canteen(etat=amount(meals * aid + d), repas=meals, aide_etat_par_repas=amount(aid)))


def total_ceiling_case(d):
    data = contract(plafonds={1: 10_000, 2: 10_000, 3: 10_000, 4: 10_000})
    data["actions"][0]["financement"].update(etat=amount(10_000 + d), collectivite=amount(10_000 + d))
    return data


def fse_case(d):
    return contract(action("1.1", 1, 10_000, fse_plus=amount(10_000 + d)))


def parity_case(d):
    total = 102_000
    return contract(action("1.1", 1, amount(share(total, "state_share_pct") + d),
                           amount(share(total, "collectivity_min_share_pct"))))


def arithmetic_case(d):
    return contract(action("1.1", 1, 10_000, autres={"CAF": 500}, total=amount(20_500 + d)))


# (rule, action reported, parameters the boundary comes from, builder(delta), verdicts one cent under / at / over)
BOUNDARIES = [
    ("state_share_max", "1.1", ["state_share_pct"], state_share_case, ("ok", "ok", "violation")),
    ("parity", "1.1", ["state_share_pct", "collectivity_min_share_pct"], parity_case, ("warning", "ok", "violation")),
    ("axis_floor", None, ["axis_floor_pct"], axis_floor_case, ("violation", "ok", "ok")),
    ("cee_cap", "4.1", ["cee_public_share_max_pct"], cee_case, ("ok", "ok", "violation")),
    ("fsl_energy_aid_cap", None, ["fsl_energy_aid_max_pct"],
     axis4_cap_case("fsl_energy_aid_max_pct", "fsl_energie"), ("ok", "ok", "violation")),
    ("ecomobility_investment_cap", None, ["ecomobility_investment_max_pct"],
     axis4_cap_case("ecomobility_investment_max_pct", "ecomobilite_investissement"), ("ok", "ok", "violation")),
    ("canteen_pricing", None, ["canteen_state_max_pct"], canteen_share_case, ("ok", "ok", "violation")),
    ("canteen_pricing", "4.1", ["canteen_state_aid_per_meal"],
     canteen_terms_case(aide_etat_par_repas="canteen_state_aid_per_meal"), ("ok", "ok", "violation")),
    # « repas tarifé à moins d'1 € »: strictly below.
    ("canteen_pricing", "4.1", ["canteen_meal_price_limit"],
     canteen_terms_case(prix_repas="canteen_meal_price_limit"), ("ok", "violation", "violation")),
    ("canteen_pricing", "4.1", ["canteen_qf_max"], canteen_terms_case(qf_max="canteen_qf_max"), ("ok", "ok", "violation")),
    ("canteen_pricing", "4.1", ["canteen_state_aid_per_meal"], canteen_meals_case, ("ok", "ok", "violation")),
    ("total_ceiling", None, [], total_ceiling_case, ("ok", "ok", "violation")),
    ("fse_plus", "1.1", [], fse_case, ("ok", "ok", "violation")),
    ("arithmetic", "1.1", [], arithmetic_case, ("violation", "ok", "violation")),
]


@pytest.mark.parametrize("rule,action_id,params,build,expected", BOUNDARIES,
                         ids=[f"{r}:{'+'.join(p) or 'amounts'}:{b.__name__}" for r, _, p, b, _ in BOUNDARIES])
def test_one_cent_under_at_and_one_cent_over_each_boundary(rule, action_id, params, build, expected):
    got = tuple(result(build(d), rule, action_id)["verdict"] for d in (-CENT, 0, CENT))
    assert got == expected


def test_axis_coverage_one_action_under_at_and_over_its_minimum():
    minimum = int(P.value("axis_min_actions"))

    def axis_4_verdict(count):
        actions = [action(f"{axis}.1", axis, 10_000) for axis in (1, 2, 3)]
        actions += [action(f"4.{n}", 4, 10_000) for n in range(1, count + 1)]
        (found,) = [r for r in check_contract(contract(*actions))["results"]
                    if r["rule"] == "axis_coverage" and r["values"]["axe"] == 4]
        return found["verdict"]

    assert [axis_4_verdict(n) for n in (minimum - 1, minimum, minimum + 1)] == ["violation", "ok", "ok"]


def test_axis_coverage_message_states_the_minimum_from_its_parameter():
    three_axes = [action(f"{axis}.1", axis, 10_000) for axis in (1, 3, 4)]
    (found,) = [r for r in check_contract(contract(*three_axes))["results"]
                if r["rule"] == "axis_coverage" and r["verdict"] == "violation"]
    assert found["message"].endswith(f"aucune action ; une métropole doit engager au moins "
                                     f"{P.text('axis_min_actions')} dans chacun des 4 axes")


def test_indicator_targets_cover_exactly_the_contract_years():
    first, last = int(P.value("contract_first_year")), int(P.value("contract_last_year"))

    def with_targets(years):
        a = action("1.1", 1, 10_000)
        a["indicateurs"][0]["cibles"] = {y: 10 for y in years}
        return contract(a)
    assert verdicts(with_targets(range(first, last + 1)), "indicators_required") == [("1.1", "ok")]
    assert verdicts(with_targets(range(first - 1, last + 2)), "indicators_required") == [("1.1", "ok")]
    assert verdicts(with_targets(range(first + 1, last + 1)), "indicators_required") == [("1.1", "warning")]
    assert verdicts(with_targets(range(first, last)), "indicators_required") == [("1.1", "warning")]


# Parameters no boundary can test: context printed in messages, or not checkable when the contract is signed.
# The minimum of actions per axis and the contract years have their own tests just above.
NOT_A_BOUNDARY = {"cee_rate_2024_pct", "cee_rate_2025_pct", "midterm_target_min_pct", "axis_min_actions",
                  "contract_first_year", "contract_last_year"}


def test_every_number_a_check_compares_with_has_a_boundary_case():
    from assistant.rules import RULES

    read = {name for r in RULES.values() for name in r.params}
    covered = {name for _, _, params, _, _ in BOUNDARIES for name in params}
    assert read - NOT_A_BOUNDARY == covered, sorted((read - NOT_A_BOUNDARY) ^ covered)
