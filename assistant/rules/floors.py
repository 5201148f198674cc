"""Per-axis minimums: a floor share of each axis and at least one action per axis (Annexe 5, I.a and II.a)."""

from __future__ import annotations

from .base import Result, rule
from .model import AXES, AXIS_TITLES, COLLECTIVITY_TYPES
from .money import below, euros, fmt_eur, fmt_pct, fmt_threshold, pct_value, share_cents


@rule("axis_floor")
def axis_floor(contract, p):
    floor = p.value("axis_floor_pct")
    cite = p.ref("axis_floor_pct")
    if not contract.plafonds:
        yield Result("axis_floor", None, "info",
                     f"montants proposés par axe (plafonds_etat) non renseignés : socle de {fmt_threshold(floor)} "
                     "non vérifiable",
                     cite, {})
        return
    for axis in AXES:
        proposed = contract.plafonds.get(axis)
        if proposed is None:
            continue
        state = sum(a.etat for a in contract.on_axis(axis))
        minimum = share_cents(proposed, floor)
        values = {"axe": axis, "etat_axe": euros(state), "montant_propose": euros(proposed),
                  "part_pct": pct_value(state, proposed), "socle": euros(minimum), "seuil_pct": float(floor)}
        if proposed == 0:
            yield Result("axis_floor", None, "ok", f"axe {axis} : aucun montant proposé (0 €)", cite, values)
            continue
        shown = (f"axe {axis} : crédits État {fmt_eur(state)} = {fmt_pct(state, proposed, floor)} "
                 f"du montant proposé ({fmt_eur(proposed)})")
        if below(state, proposed, floor):
            yield Result("axis_floor", None, "violation",
                         f"{shown} < socle de {fmt_threshold(floor)} ({fmt_eur(minimum)})", cite, values)
        else:
            yield Result("axis_floor", None, "ok", f"{shown} ≥ socle de {fmt_threshold(floor)}", cite, values)


@rule("axis_coverage")
def axis_coverage(contract, p):
    minimum = int(p.value("axis_min_actions"))
    cite = p.ref("axes_list")
    kind = COLLECTIVITY_TYPES[contract.type]
    for axis in AXES:
        count = len(contract.on_axis(axis))
        values = {"axe": axis, "actions": count, "minimum": minimum}
        title = f"axe {axis} (« {AXIS_TITLES[axis]} »)"
        found = f"{count} action(s)" if count else "aucune action"
        if count >= minimum:
            yield Result("axis_coverage", None, "ok", f"{title} : {found}", cite, values)
        elif contract.is_metropole:
            yield Result("axis_coverage", None, "violation",
                         f"{title} : {found} ; une métropole doit engager au moins {p.text('axis_min_actions')} "
                         "dans chacun des 4 axes", cite, values)
        else:
            yield Result("axis_coverage", None, "warning",
                         f"{title} : {found} ; exigence posée pour les métropoles, à vérifier pour un "
                         f"{kind} (cadre départemental distinct)", cite, values)
