"""Properties of the rule engine that hold for any contract (hypothesis generates the contracts)."""

from __future__ import annotations

import copy
import json
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.rules import check_contract
from assistant.rules.money import fmt_eur, to_cents

DISPOSITIFS = ["slime", "slime_hors_plafond", "fsl_energie", "ecomobilite_investissement", "aide_achat_vehicule_zfe",
               "mobilite_demandeurs_emploi", "entretien_prenatal_pmi", "bilan_sante_maternelle_pmi",
               "valorisation_existant"]
amount = st.integers(min_value=0, max_value=2_000_000)


@st.composite
def actions(draw, index):
    etat = draw(amount)
    collectivite = draw(st.one_of(st.just(etat), amount))  # equal shares are common, not the only case
    data = {
        "id": f"a{index}",
        "axe": draw(st.integers(1, 4)),
        "intitule": "Action",
        "statut": draw(st.sampled_from(["nouvelle", "renforcee", "reconduite"])),
        "financement": {
            "etat": etat,
            "collectivite": collectivite,
            "autres": draw(st.dictionaries(st.sampled_from(["CAF", "ARS"]), amount, max_size=2)),
            "fse_plus": draw(st.one_of(st.just(0), amount)),
        },
        "cee": draw(st.one_of(st.just(0), amount)),
        "dispositifs": draw(st.lists(st.sampled_from(DISPOSITIFS), max_size=2, unique=True)),
        "indicateurs": [{"libelle": "i", "t0": 1, "cibles": {2024: 1, 2025: 2, 2026: 3, 2027: 4}}],
    }
    if draw(st.booleans()):
        f = data["financement"]
        f["total"] = f["etat"] + f["collectivite"] + sum(f["autres"].values()) + data["cee"] + draw(
            st.sampled_from([0, 0, 1]))
    return data


@st.composite
def contracts(draw):
    n = draw(st.integers(1, 6))
    data = {
        "collectivite": {"nom": "X", "type": draw(st.sampled_from(["metropole", "departement"]))},
        "annee": 2024,
        "actions": [draw(actions(i)) for i in range(n)],
    }
    if draw(st.booleans()):
        data["plafonds_etat"] = draw(st.dictionaries(st.integers(1, 4), amount, min_size=1, max_size=4))
    return data


def verdicts(report):
    return Counter((r["rule"], r["action"], r["verdict"]) for r in report["results"])


def scaled(data, k):
    """Every amount of the contract multiplied by k."""
    out = copy.deepcopy(data)
    for a in out["actions"]:
        f = a["financement"]
        for key in ("etat", "collectivite", "fse_plus", "total"):
            if key in f:
                f[key] *= k
        f["autres"] = {name: v * k for name, v in f["autres"].items()}
        a["cee"] *= k
    if "plafonds_etat" in out:
        out["plafonds_etat"] = {axis: v * k for axis, v in out["plafonds_etat"].items()}
    return out


@settings(max_examples=60, deadline=None)
@given(contracts(), st.integers(min_value=2, max_value=1000))
def test_scaling_every_amount_leaves_every_verdict_unchanged(data, k):
    assert verdicts(check_contract(scaled(data, k))) == verdicts(check_contract(data))


@settings(max_examples=80, deadline=None)
@given(contracts())
def test_parity_holds_iff_the_two_shares_are_equal(data):
    report = check_contract(data)
    by_id = {a["id"]: a for a in data["actions"]}
    for r in report["results"]:
        if r["rule"] == "parity":
            a = by_id[r["action"]]
            equal = a["financement"]["etat"] == a["financement"]["collectivite"]
            if a["cee"] == 0:
                assert (r["verdict"] == "ok") == equal


@settings(max_examples=80, deadline=None)
@given(contracts())
def test_report_is_deterministic_and_ok_means_no_violation(data):
    first, second = check_contract(data), check_contract(copy.deepcopy(data))
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)
    assert first["ok"] == all(r["verdict"] != "violation" for r in first["results"])
    for r in first["results"]:
        assert set(r) == {"rule", "action", "verdict", "message", "citation", "values"}
        assert r["verdict"] in {"ok", "violation", "warning", "info"}
        assert r["message"] and r["citation"]["doc_id"]


@settings(max_examples=80, deadline=None)
@given(contracts())
def test_a_state_share_above_half_is_always_also_a_parity_violation(data):
    results = check_contract(data)["results"]
    over = {r["action"] for r in results if r["rule"] == "state_share_max" and r["verdict"] == "violation"}
    parity = {r["action"] for r in results if r["rule"] == "parity" and r["verdict"] == "violation"}
    assert over <= parity


@given(st.integers(min_value=0, max_value=10**13))
def test_french_amounts_read_back_to_the_same_cents(cents):
    assert to_cents(fmt_eur(cents)) == cents
