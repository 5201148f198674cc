"""Reporting: indicators with a T0 and yearly targets over the contract years for each action (Annexe 5, III.a,
lines 1348-1350), and a social impact evaluation of at least one action (IV.c, lines 1380-1384)."""

from __future__ import annotations

from .base import Result, rule


@rule("indicators_required")
def indicators_required(contract, p):
    cite = p.ref("indicators")
    years = range(int(p.value("contract_first_year")), int(p.value("contract_last_year")) + 1)
    if all(a.indicateurs is None for a in contract.actions):
        # A bare Annexe 10 table has no indicators: one notice, not one per action, saying how to add them.
        yield Result("indicators_required", None, "info",
                     f"indicateurs non fournis : T0 et cibles non vérifiables pour les {len(contract.actions)} "
                     "actions (dans un classeur ou un CSV, ajoutez la table « Indicateurs » : fiche action N°, "
                     "indicateur, T0, cible par année)", cite, {"actions": len(contract.actions)})
        return
    for a in contract.actions:
        if a.indicateurs is None:
            yield Result("indicators_required", a.id, "info",
                         "indicateurs non fournis pour cette action : T0 et cibles non vérifiables", cite, {})
            continue
        if not a.indicateurs:
            yield Result("indicators_required", a.id, "warning", "aucun indicateur pour cette action", cite,
                         {"indicateurs": 0})
            continue
        problems = []
        for ind in a.indicateurs:
            missing = []
            if ind.t0 is None:
                missing.append("T0 manquant")
            absent = [str(y) for y in years if ind.cibles.get(y) is None]
            if absent:
                missing.append(f"cible{'s' if len(absent) > 1 else ''} {', '.join(absent)} manquante"
                               f"{'s' if len(absent) > 1 else ''}")
            if missing:
                problems.append(f"« {ind.libelle} » : {', '.join(missing)}")
        values = {"indicateurs": len(a.indicateurs), "incomplets": len(problems)}
        if problems:
            yield Result("indicators_required", a.id, "warning", " ; ".join(problems), cite, values)
        else:
            yield Result("indicators_required", a.id, "ok",
                         f"{len(a.indicateurs)} indicateur(s) avec T0 et cibles {years.start}-{years.stop - 1}",
                         cite, values)


@rule("impact_evaluation")
def impact_evaluation(contract, p):
    cite = p.ref("impact_evaluation")
    chosen = [a.id for a in contract.actions if a.evaluation_impact is True]
    values = {"actions": chosen}
    if chosen:
        yield Result("impact_evaluation", None, "ok",
                     f"évaluation d'impact social prévue sur l'action {', '.join(chosen)}", cite, values)
    elif all(a.evaluation_impact is None for a in contract.actions):
        yield Result("impact_evaluation", None, "info",
                     "le contrat ne désigne pas l'action (ou les actions) faisant l'objet de l'évaluation d'impact "
                     "social exigée de chaque convention : à vérifier", cite, values)
    else:
        yield Result("impact_evaluation", None, "warning",
                     "aucune action ne porte l'évaluation d'impact social exigée de chaque convention", cite, values)
