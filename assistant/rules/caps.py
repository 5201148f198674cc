"""Ceilings: the State's total, and the special caps of the axis-4 référentiel (Annexe 4).

Bases, as the text words them:
- FSL energy aid: « 20 % du montant co-contractualisé sur l'axe » (l. 1102), and eco-mobility
  investment: « 20 % des crédits totaux contractualisés dans l'axe » (l. 1180): both compare the
  co-contracted amounts (State + collectivity) of the actions concerned with those of all axis-4 actions.
- Canteens: « 30 % des crédits de l'État co-contractualisés » (l. 1255): State amounts only.
- CEE: the public share (State credits + CEE) of the action's total cost, CEE included (l. 1088).
"""

from __future__ import annotations

from .base import Result, rule
from .model import AXES
from .money import euros, exceeds, fmt_eur, fmt_pct, fmt_threshold, pct_value


@rule("total_ceiling")
def total_ceiling(contract, p):
    cite = p.ref("state_ceiling")
    state = sum(a.etat for a in contract.actions)
    if not contract.plafonds:
        yield Result("total_ceiling", None, "info",
                     f"montants proposés par axe (plafonds_etat) non renseignés : total des crédits État "
                     f"{fmt_eur(state)} non comparable à un plafond", cite, {"etat_total": euros(state)})
        return
    missing = [axis for axis in AXES if axis not in contract.plafonds and contract.on_axis(axis)]
    ceiling = sum(contract.plafonds.values())
    values = {"etat_total": euros(state), "plafond_total": euros(ceiling), "ecart": euros(state - ceiling)}
    if missing:
        axes = ", ".join(map(str, missing))
        yield Result("total_ceiling", None, "info",
                     f"plafond non renseigné pour l'axe {axes} alors qu'il porte des actions : plafond total "
                     "non vérifiable", cite, values)
    elif state > ceiling:
        yield Result("total_ceiling", None, "violation",
                     f"crédits État {fmt_eur(state)} > somme des montants proposés {fmt_eur(ceiling)} "
                     f"(dépassement {fmt_eur(state - ceiling)})", cite, values)
    else:
        yield Result("total_ceiling", None, "ok",
                     f"crédits État {fmt_eur(state)} ≤ somme des montants proposés {fmt_eur(ceiling)}", cite, values)


@rule("cee_cap")
def cee_cap(contract, p):
    limit = p.value("cee_public_share_max_pct")
    cite = p.ref("cee_public_share_max_pct")
    concerned = [a for a in contract.actions
                 if a.cee > 0 or "slime" in a.dispositifs or "slime_hors_plafond" in a.dispositifs]
    if not concerned:
        yield Result("cee_cap", None, "ok", "aucune action SLIME+ ni financée par les CEE", cite, {})
        return
    for a in concerned:
        public, total = a.etat + a.cee, a.cout_total
        values = {"etat": euros(a.etat), "cee": euros(a.cee), "part_publique": euros(public),
                  "cout_total": euros(total), "part_publique_pct": pct_value(public, total), "seuil_pct": float(limit)}
        if "slime_hors_plafond" in a.dispositifs:
            yield Result("cee_cap", a.id, "info",
                         f"animation des SLIME+ ou FSATME : financement hors plafond des {fmt_threshold(limit)}",
                         p.ref("cee_out_of_cap"), values)
            continue
        shown = (f"part publique (État {fmt_eur(a.etat)} + CEE {fmt_eur(a.cee)}) = {fmt_pct(public, total, limit)} "
                 f"du coût total CEE compris ({fmt_eur(total)})")
        if exceeds(public, total, limit):
            yield Result("cee_cap", a.id, "violation", f"{shown} > {fmt_threshold(limit)}", cite, values)
        elif a.cee == 0:
            yield Result("cee_cap", a.id, "info",
                         f"action SLIME+ sans cofinancement CEE déclaré (les CEE précarité financent SLIME+ à "
                         f"{fmt_threshold(p.value('cee_rate_2024_pct'))} en 2024) : {shown}", cite, values)
        else:
            yield Result("cee_cap", a.id, "ok", f"{shown} ≤ {fmt_threshold(limit)}", cite, values)


def _axis4_cap(contract, p, *, rule_id, dispositif, param, what, base_label):
    limit = p.value(param)
    cite = p.ref(param)
    concerned = [a for a in contract.actions if dispositif in a.dispositifs]
    if not concerned:
        yield Result(rule_id, None, "ok", f"aucune action de type « {what} »", cite, {})
        return
    amount = sum(a.co_contracted for a in concerned)
    base = sum(a.co_contracted for a in contract.on_axis(4))
    values = {"montant": euros(amount), "base_axe4": euros(base), "part_pct": pct_value(amount, base),
              "seuil_pct": float(limit), "actions": [a.id for a in concerned]}
    if base == 0:
        yield Result(rule_id, None, "violation",
                     f"{what} {fmt_eur(amount)} alors que l'axe 4 n'a aucun crédit co-contractualisé", cite, values)
        return
    shown = f"{what} {fmt_eur(amount)} = {fmt_pct(amount, base, limit)} {base_label} ({fmt_eur(base)})"
    if exceeds(amount, base, limit):
        yield Result(rule_id, None, "violation", f"{shown} > {fmt_threshold(limit)}", cite, values)
    else:
        yield Result(rule_id, None, "ok", f"{shown} ≤ {fmt_threshold(limit)}", cite, values)


@rule("fsl_energy_aid_cap")
def fsl_energy_aid_cap(contract, p):
    yield from _axis4_cap(contract, p, rule_id="fsl_energy_aid_cap", dispositif="fsl_energie",
                          param="fsl_energy_aid_max_pct", what="aides financières FSL énergie",
                          base_label="du montant co-contractualisé sur l'axe 4")


@rule("ecomobility_investment_cap")
def ecomobility_investment_cap(contract, p):
    yield from _axis4_cap(contract, p, rule_id="ecomobility_investment_cap", dispositif="ecomobilite_investissement",
                          param="ecomobility_investment_max_pct", what="investissements d'éco-mobilité",
                          base_label="des crédits totaux contractualisés sur l'axe 4")


@rule("canteen_pricing")
def canteen_pricing(contract, p):
    cite = p.ref("canteen_state_max_pct")
    concerned = [a for a in contract.actions if "tarification_cantine" in a.dispositifs or a.cantine is not None]
    if not concerned:
        yield Result("canteen_pricing", None, "ok", "aucune action de tarification sociale des cantines", cite, {})
        return
    aid_max = p["canteen_state_aid_per_meal"].cents
    price_limit = p["canteen_meal_price_limit"].cents
    qf_max = p["canteen_qf_max"].cents
    for a in concerned:
        c = a.cantine
        if c is None:
            yield Result("canteen_pricing", a.id, "info",
                         "tarification sociale des cantines sans bloc « cantine » (repas, prix_repas, qf_max, "
                         "aide_etat_par_repas) : plafonds par repas non vérifiables", cite, {})
            continue
        problems: list[tuple[str, str]] = []  # (verdict, text)
        if c.prix_repas >= price_limit:
            problems.append(("violation", f"prix du repas {fmt_eur(c.prix_repas)} ≥ {fmt_eur(price_limit)} "
                                          f"(repas tarifé à moins d'{fmt_eur(price_limit)} exigé)"))
        if c.aide_etat_par_repas > aid_max:
            problems.append(("violation", f"aide État par repas {fmt_eur(c.aide_etat_par_repas)} > "
                                          f"{fmt_eur(aid_max)}"))
        if c.qf_max > qf_max:
            problems.append(("violation", f"quotient familial maximal {fmt_eur(c.qf_max)} > {fmt_eur(qf_max)}"))
        meals_cap = c.repas * min(c.aide_etat_par_repas, aid_max)
        if a.etat > meals_cap:
            problems.append(("violation", f"part État {fmt_eur(a.etat)} > {c.repas} repas × "
                                          f"{fmt_eur(min(c.aide_etat_par_repas, aid_max))} = {fmt_eur(meals_cap)}"))
        if c.etablissements_rep is False:
            problems.append(("violation", "établissements hors REP/REP+ (la mesure vise les collèges en REP/REP+)"))
        if c.mesure_similaire_existante is True:
            problems.append(("violation", "une mesure similaire existe déjà dans la collectivité"))
        if a.axe != 4:
            problems.append(("warning", f"action inscrite sur l'axe {a.axe} : la tarification sociale des "
                                        "cantines relève de l'axe 4"))
        values = {"repas": c.repas, "prix_repas": euros(c.prix_repas), "qf_max": euros(c.qf_max),
                  "aide_etat_par_repas": euros(c.aide_etat_par_repas), "etat": euros(a.etat),
                  "plafond_repas": euros(meals_cap)}
        if problems:
            verdict = "violation" if any(v == "violation" for v, _ in problems) else "warning"
            yield Result("canteen_pricing", a.id, verdict, " ; ".join(text for _, text in problems), cite, values)
        else:
            yield Result("canteen_pricing", a.id, "ok",
                         f"repas à {fmt_eur(c.prix_repas)}, QF ≤ {fmt_eur(c.qf_max)}, aide État "
                         f"{fmt_eur(c.aide_etat_par_repas)} par repas, part État {fmt_eur(a.etat)} ≤ "
                         f"{fmt_eur(meals_cap)}", cite, values)
    limit = p.value("canteen_state_max_pct")
    state = sum(a.etat for a in concerned)
    base = sum(a.etat for a in contract.on_axis(4))
    values = {"etat_cantines": euros(state), "etat_axe4": euros(base), "part_pct": pct_value(state, base),
              "seuil_pct": float(limit)}
    shown = (f"contribution État aux cantines {fmt_eur(state)} = {fmt_pct(state, base, limit)} des crédits État "
             f"de l'axe 4 ({fmt_eur(base)})")
    if base == 0:
        verdict = "violation" if state > 0 else "ok"
        yield Result("canteen_pricing", None, verdict,
                     f"contribution État aux cantines {fmt_eur(state)} ; aucun crédit État sur l'axe 4", cite, values)
    elif exceeds(state, base, limit):
        yield Result("canteen_pricing", None, "violation", f"{shown} > {fmt_threshold(limit)}", cite, values)
    else:
        yield Result("canteen_pricing", None, "ok", f"{shown} ≤ {fmt_threshold(limit)}", cite, values)

