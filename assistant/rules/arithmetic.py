"""Declared totals against the sum of their parts, as in the financial table of Annexe 10 (F = A+B+C,
« Sous total » per axis, « TOTAUX FINANCIERS »), and the sub-budgets (« volets ») of a fiche action."""

from __future__ import annotations

from .base import Result, rule
from .model import AXES
from .money import euros, fmt_eur

COLUMNS = (("etat", "part État (A)"), ("collectivite", "part collectivité (B)"),
           ("autres", "autres financeurs (C)"), ("total", "budget global (F)"))


def _parts(actions) -> dict[str, int]:
    """Column sums: C holds the other financers and the CEE. F is summed from the actions' A+B+C, not
    from their declared F, so one wrong figure in an action's F is reported once (on that action)."""
    return {
        "etat": sum(a.etat for a in actions),
        "collectivite": sum(a.collectivite for a in actions),
        "autres": sum(a.autres + a.cee for a in actions),
        "total": sum(a.cout_total for a in actions),
    }


def _compare(declared, parts: dict[str, int]) -> tuple[list[str], dict]:
    problems, values = [], {}
    for key, name in COLUMNS:
        value = getattr(declared, key)
        if value is None:
            continue
        values[key] = {"declare": euros(value), "calcule": euros(parts[key])}
        if value != parts[key]:
            problems.append(f"{name} : {fmt_eur(value)} déclarés ≠ somme des actions {fmt_eur(parts[key])} "
                            f"(écart {fmt_eur(value - parts[key])})")
    return problems, values


@rule("arithmetic")
def arithmetic(contract, p):
    cite = p.ref("financial_table")
    checked = 0
    for a in contract.actions:
        if a.total_declared is not None:
            checked += 1
            total = a.cout_total
            values = {"total_declare": euros(a.total_declared), "somme": euros(total),
                      "ecart": euros(a.total_declared - total)}
            parts = f"A+B+C = {fmt_eur(a.etat)} + {fmt_eur(a.collectivite)} + {fmt_eur(a.autres + a.cee)}"
            if a.total_declared != total:
                yield Result("arithmetic", a.id, "violation",
                             f"budget global déclaré {fmt_eur(a.total_declared)} ≠ {parts} = {fmt_eur(total)} "
                             f"(écart {fmt_eur(a.total_declared - total)})", cite, values)
            else:
                yield Result("arithmetic", a.id, "ok", f"budget global {fmt_eur(total)} = {parts}", cite, values)
        if a.volets:
            checked += 1
            cite_parts = p.ref("fiche_budget")
            volets = sum(v.montant for v in a.volets)
            values = {"volets": euros(volets), "cout_total": euros(a.cout_total), "ecart": euros(volets - a.cout_total)}
            shown = f"somme des {len(a.volets)} volets de la fiche action {fmt_eur(volets)}"
            if volets == a.cout_total:
                yield Result("arithmetic", a.id, "ok", f"{shown} = coût total", cite_parts, values)
            elif volets in (a.etat, a.collectivite):
                share = "part État" if volets == a.etat else "part collectivité"
                yield Result("arithmetic", a.id, "info",
                             f"{shown} = {share}, pas le coût total ({fmt_eur(a.cout_total)}) : les volets semblent "
                             "chiffrés pour un seul financeur", cite_parts, values)
            else:
                yield Result("arithmetic", a.id, "warning",
                             f"{shown} ≠ coût total de l'action {fmt_eur(a.cout_total)} (écart "
                             f"{fmt_eur(volets - a.cout_total)})", cite_parts, values)
    for axis in AXES:
        declared = contract.sous_totaux.get(axis)
        if declared is None:
            continue
        checked += 1
        problems, values = _compare(declared, _parts(contract.on_axis(axis)))
        values["axe"] = axis
        if problems:
            yield Result("arithmetic", None, "violation", f"sous-total de l'axe {axis} : " + " ; ".join(problems),
                         cite, values)
        else:
            yield Result("arithmetic", None, "ok", f"sous-total de l'axe {axis} égal à la somme de ses actions",
                         cite, values)
    if contract.totaux is not None:
        checked += 1
        problems, values = _compare(contract.totaux, _parts(contract.actions))
        if problems:
            yield Result("arithmetic", None, "violation", "totaux financiers : " + " ; ".join(problems), cite, values)
        else:
            yield Result("arithmetic", None, "ok", "totaux financiers égaux à la somme des actions", cite, values)
    if not checked:
        yield Result("arithmetic", None, "ok", "aucun total déclaré à vérifier", cite, {})
