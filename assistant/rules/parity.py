"""Co-financing of each action: State and collectivity at parity (Annexe 5, II.b, lines 1319-1325)."""

from __future__ import annotations

from .base import Result, rule
from .money import euros, exceeds, fmt_eur, fmt_pct, fmt_threshold, pct_value


@rule("parity")
def parity(contract, p):
    for a in contract.actions:
        values = {"etat": euros(a.etat), "collectivite": euros(a.collectivite),
                  "ecart": euros(a.etat - a.collectivite)}
        if a.etat > a.collectivite:
            yield Result("parity", a.id, "violation",
                         f"part État {fmt_eur(a.etat)} > part collectivité {fmt_eur(a.collectivite)} "
                         f"(écart {fmt_eur(a.etat - a.collectivite)}) : le cofinancement est fixé à "
                         f"{p.text('state_share_pct')} État / {p.text('collectivity_min_share_pct')} collectivité "
                         "pour chaque action", p.ref("state_share_pct"), values)
        elif a.etat < a.collectivite and a.cee > 0:
            # The cap on State + CEE (l. 1088) makes the collectivity pay more than the State
            # whenever the CEE already cover half the cost: unequal shares are then required, not tolerated.
            yield Result("parity", a.id, "ok",
                         f"part collectivité {fmt_eur(a.collectivite)} > part État {fmt_eur(a.etat)} sur une action "
                         f"cofinancée par les CEE ({fmt_eur(a.cee)}) : écart imposé par le plafond de "
                         f"{p.text('cee_public_share_max_pct')} de part publique (règle cee_cap)",
                         p.ref("cee_public_share_max_pct"), values)
        elif a.etat < a.collectivite:
            yield Result("parity", a.id, "warning",
                         f"part collectivité {fmt_eur(a.collectivite)} > part État {fmt_eur(a.etat)} "
                         f"(écart {fmt_eur(a.collectivite - a.etat)}) : admis "
                         f"({p.text('collectivity_min_share_pct')} a minima) mais les parts État et collectivité "
                         "devraient rester égales", p.ref("parity_minimum"), values)
        else:
            yield Result("parity", a.id, "ok",
                         f"parts État et collectivité égales ({fmt_eur(a.etat)})", p.ref("state_share_pct"), values)


@rule("state_share_max")
def state_share_max(contract, p):
    limit = p.value("state_share_pct")
    for a in contract.actions:
        total = a.cout_total
        values = {"etat": euros(a.etat), "cout_total": euros(total), "part_etat_pct": pct_value(a.etat, total),
                  "seuil_pct": float(limit)}
        shown = f"part État {fmt_eur(a.etat)} = {fmt_pct(a.etat, total, limit)} du coût total ({fmt_eur(total)})"
        if total == 0:
            yield Result("state_share_max", a.id, "info", "action sans financement (coût total 0 €)",
                         p.ref("state_share_pct"), values)
        elif exceeds(a.etat, total, limit):
            yield Result("state_share_max", a.id, "violation", f"{shown} > {fmt_threshold(limit)}",
                         p.ref("state_share_pct"), values)
        else:
            yield Result("state_share_max", a.id, "ok", f"{shown} ≤ {fmt_threshold(limit)}",
                         p.ref("state_share_pct"), values)
