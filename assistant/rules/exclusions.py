"""What the framework excludes or restricts: renewals, FSE+, ZFE purchase aid, job-seeker mobility
outside axis 2, PMI prenatal interviews for métropoles, valuation of existing resources."""

from __future__ import annotations

from .base import Result, rule
from .model import STATUSES
from .money import euros, fmt_eur


def _none(rule_id: str, text: str, cite) -> Result:
    return Result(rule_id, None, "ok", text, cite, {})


@rule("renewal_limited")
def renewal_limited(contract, p):
    cite = p.ref("renewal")
    renewed = [a for a in contract.actions if a.statut == "reconduite"]
    if not renewed:
        yield _none("renewal_limited", "aucune action reconduite à périmètre constant", cite)
        return
    for a in renewed:
        yield Result("renewal_limited", a.id, "warning",
                     f"action reconduite à périmètre constant ({len(renewed)} sur {len(contract.actions)} "
                     "actions) : admise de façon limitée, à justifier par son efficacité et son impact", cite,
                     {"reconduites": len(renewed), "actions": len(contract.actions)})


@rule("fse_plus")
def fse_plus(contract, p):
    cite = p.ref("fse_plus")
    concerned = [a for a in contract.actions if a.fse_plus > 0]
    if not concerned:
        yield _none("fse_plus", "aucun cofinancement FSE+ déclaré", cite)
        return
    for a in concerned:
        problems = []
        if a.statut is None:
            problems.append(("warning", f"FSE+ {fmt_eur(a.fse_plus)} sur une action dont le statut n'est pas "
                                        "précisé (le FSE+ est réservé aux actions nouvelles)"))
        elif a.statut != "nouvelle":
            problems.append(("violation", f"FSE+ {fmt_eur(a.fse_plus)} sur une action {STATUSES[a.statut]} : "
                                          "le FSE+ n'est possible que pour les actions nouvelles"))
        if a.fse_plus > a.collectivite:
            problems.append(("violation", f"FSE+ {fmt_eur(a.fse_plus)} > part collectivité "
                                          f"{fmt_eur(a.collectivite)} : le FSE+ ne cofinance que la part de la "
                                          "collectivité"))
        values = {"fse_plus": euros(a.fse_plus), "collectivite": euros(a.collectivite), "statut": a.statut}
        if problems:
            verdict = "violation" if any(v == "violation" for v, _ in problems) else "warning"
            yield Result("fse_plus", a.id, verdict, " ; ".join(t for _, t in problems), cite, values)
        else:
            yield Result("fse_plus", a.id, "ok",
                         f"FSE+ {fmt_eur(a.fse_plus)} sur une action nouvelle, dans la part collectivité "
                         f"({fmt_eur(a.collectivite)})", cite, values)


def _excluded(contract, p, *, rule_id, dispositifs, ref, text, absent):
    cite = p.ref(ref)
    concerned = [a for a in contract.actions if a.dispositifs & dispositifs]
    if not concerned:
        yield _none(rule_id, absent, cite)
        return
    for a in concerned:
        yield Result(rule_id, a.id, "violation", text, cite,
                     {"dispositifs": sorted(a.dispositifs & dispositifs), "etat": euros(a.etat)})


@rule("zfe_purchase_aid")
def zfe_purchase_aid(contract, p):
    yield from _excluded(contract, p, rule_id="zfe_purchase_aid", dispositifs={"aide_achat_vehicule_zfe"},
                         ref="zfe", absent="aucune aide à l'achat de véhicules (ZFE)",
                         text="aide à l'achat de véhicules dans le cadre des ZFE : non finançable par le pacte "
                              "local (l'État finance déjà ces aides par ailleurs)")


@rule("existing_staff_valuation")
def existing_staff_valuation(contract, p):
    yield from _excluded(contract, p, rule_id="existing_staff_valuation", dispositifs={"valorisation_existant"},
                         ref="existing_valuation", absent="aucune valorisation de l'existant déclarée",
                         text="valorisation financière de l'existant (personnel existant ou non renforcé, gestion "
                              "courante) : exclue du financement")


@rule("prenatal_pmi_metropole")
def prenatal_pmi_metropole(contract, p):
    wanted = {"entretien_prenatal_pmi", "bilan_sante_maternelle_pmi"}
    if not contract.is_metropole:
        cite = p.ref("prenatal_pmi")
        concerned = [a for a in contract.actions if a.dispositifs & wanted]
        if not concerned:
            yield _none("prenatal_pmi_metropole", "aucune action de PMI (entretiens prénataux, bilans de santé)", cite)
        for a in concerned:
            yield Result("prenatal_pmi_metropole", a.id, "ok",
                         "action de PMI dans un contrat départemental : relève bien de la contractualisation "
                         "départementale", cite, {"dispositifs": sorted(a.dispositifs & wanted)})
        return
    yield from _excluded(contract, p, rule_id="prenatal_pmi_metropole", dispositifs=wanted, ref="prenatal_pmi",
                         absent="aucune action de PMI (entretiens prénataux, bilans de santé)",
                         text="action de PMI (entretiens prénataux ou bilans de santé en école maternelle) : exclue "
                              "du contrat d'une métropole, elle relève de la contractualisation départementale")


@rule("mobility_job_seekers_axis")
def mobility_job_seekers_axis(contract, p):
    cite = p.ref("mobility_axis")
    concerned = [a for a in contract.actions if "mobilite_demandeurs_emploi" in a.dispositifs]
    if not concerned:
        yield _none("mobility_job_seekers_axis", "aucune action de mobilité réservée aux demandeurs d'emploi", cite)
        return
    for a in concerned:
        values = {"axe": a.axe}
        if a.axe == 2:
            yield Result("mobility_job_seekers_axis", a.id, "ok",
                         "mobilité des demandeurs d'emploi financée sur l'axe 2", cite, values)
        elif contract.is_metropole:
            yield Result("mobility_job_seekers_axis", a.id, "violation",
                         f"mobilité des bénéficiaires du RSA / demandeurs d'emploi financée sur l'axe {a.axe} : "
                         "elle relève des crédits de l'axe 2 « Accès à l'emploi »", cite, values)
        else:
            yield Result("mobility_job_seekers_axis", a.id, "warning",
                         f"mobilité des bénéficiaires du RSA / demandeurs d'emploi financée sur l'axe {a.axe} : "
                         "l'instruction des métropoles la rattache à l'axe 2 « Accès à l'emploi » ; pour un "
                         "département, vérifier l'articulation avec la convention France Travail", cite, values)
