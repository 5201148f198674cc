"""Financial-framework conditions and exclusions that apply to kinds of actions, with citations.

The référentiels (assistant/data/referentiel.yaml) say what each section allows. Some rules cut
across sections or come from the administrative and financial framework (Annexe 5): caps (SLIME+ and
CEE 70 %, FSL energy aid 20 % of axis 4, eco-mobility investment 20 %, canteen pricing 30 % / 1 € /
QF 1 000 €), the reinforced-action increment, limited reconduction, FSE+, no valuation of existing
staff, and exclusions (purchase aid for vehicles in ZFE, PMI prenatal interviews for métropoles,
FSE+ on the State share or on a non-new action, compensation of a canteen pricing that already exists).

Each rule carries verbatim quotes (checked by tests/test_referentiel.py) and trigger patterns so the
eligibility module can attach it to a described action:

    from assistant.conditions import applicable_rules
    for rule, effect in applicable_rules("aide à l'achat d'un véhicule propre en ZFE", collectivite="metropole"):
        effect, rule.label, rule.citations()   # effect: "exclusion" | "condition" | "note"

Three kinds of rules:
- "exclusion": the instruction rules the action out (verdict "excluded");
- "condition": a cap or hard condition decides how the action can be financed (verdict
  "eligible_with_conditions") — when the rule has `decisive` groups, only if one of them matches too;
  otherwise the rule is attached as a note (e.g. an eco-mobility solution without investment is not
  concerned by the 20 % investment cap; a CNFPT training on a topic absent from its catalogue already
  meets the condition);
- "note": information for the reader that does not change the verdict (where mobility is funded, the
  coordination prerequisite of access-to-rights actions, SLIME+ animation « hors plafond »…). Notes
  marked `basis` are Annexe 5 provisions that make a transverse action eligible outside the référentiels
  (the pacte's referent, impact evaluation, engineering time).

Triggers are regexes over the normalised description (lower case, no accents, apostrophes and
hyphens as spaces). A rule matches when every pattern of at least one trigger group matches and no
`unless` pattern does; inside a group (triggers or decisive), a pattern written "!…" must NOT match.
Negations such as "sans hausse de la file active" are handled by look-behinds in the patterns.
Rules marked `general` apply to every contractualised action: `rules_for` returns them when their own
triggers match, or always with `include_general=True`; `rule(id)` gives any rule (e.g.
"hors_referentiel", to cite when no référentiel section fits).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import InvalidInput
from .referentiel import Quote

DOC_ID = "instruction-2023-168"
COLLECTIVITES = ("metropole", "departement")
KINDS = ("exclusion", "condition", "note")


def _q(line: int, text: str) -> Quote:
    return Quote(text=text, doc_id=DOC_ID, line_start=line, line_end=line)


def _compile_group(group: tuple[str, ...]) -> tuple[tuple[re.Pattern, bool], ...]:
    return tuple((re.compile(p[1:]), True) if p.startswith("!") else (re.compile(p), False) for p in group)


def _group_matches(group, text: str) -> bool:
    return all(bool(rx.search(text)) != negated for rx, negated in group)


@dataclass(frozen=True)
class FrameworkRule:
    id: str
    kind: str  # "condition" | "exclusion" | "note"
    label: str  # short French summary written by us (not a quote)
    quotes: tuple[Quote, ...]  # the corpus sentences that state the rule
    triggers: tuple[tuple[str, ...], ...] = ()  # OR over groups, AND inside a group
    unless: tuple[str, ...] = ()
    # Conditions only: when given, the rule decides the verdict only if one of these groups matches too;
    # otherwise it is attached as a note (the action is of the concerned kind but outside the cap).
    decisive: tuple[tuple[str, ...], ...] = ()
    axes: tuple[int, ...] = ()  # axes the rule concerns; empty: any axis
    collectivites: tuple[str, ...] = ()  # collectivités it applies to; empty: any
    general: bool = False
    basis: bool = False  # a transverse provision of Annexe 5 that makes the action eligible by itself
    _compiled: tuple = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        groups = tuple(_compile_group(g) for g in self.triggers)
        unless = tuple(re.compile(p) for p in self.unless)
        decisive = tuple(_compile_group(g) for g in self.decisive)
        object.__setattr__(self, "_compiled", (groups, unless, decisive))

    def matches(self, description: str, collectivite: str | None = None) -> bool:
        """True when the described action triggers this rule (collectivite None: not specified)."""
        if collectivite is not None and self.collectivites and collectivite not in self.collectivites:
            return False
        text = normalize(description)
        groups, unless, _ = self._compiled
        if any(rx.search(text) for rx in unless):
            return False
        return any(_group_matches(group, text) for group in groups)

    def effect(self, description: str, collectivite: str | None = None) -> str | None:
        """How the rule bears on the described action: "exclusion", "condition", "note", or None."""
        if not self.matches(description, collectivite):
            return None
        if self.kind != "condition":
            return self.kind
        decisive = self._compiled[2]
        if not decisive:
            return "condition"
        text = normalize(description)
        return "condition" if any(_group_matches(group, text) for group in decisive) else "note"

    def citations(self) -> list[dict]:
        """The rule as conditions of an eligibility answer: [{"text","doc_id","line_start","line_end"}]."""
        return [q.to_dict() for q in self.quotes]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "axes": list(self.axes),
            "collectivites": list(self.collectivites),
            "general": self.general,
            "basis": self.basis,
            "quotes": self.citations(),
        }


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("œ", "oe")
    text = re.sub(r"['’`´\-‐–]", " ", text)
    return " ".join(text.split())


# Patterns are written against normalize()d text: no accents, apostrophes and hyphens are spaces.
# A word preceded by "sans"/"ni" is negated ("sans hausse de la file active", "sans recrutement ni…").
_NOT_NEGATED = r"(?<!sans )(?<!sans un )(?<!sans une )(?<!ni )(?<!pas de )(?<!pas d )"
_VEHICLE = r"\b(vehicules?|voitures?|automobiles?|deux roues motorises?)\b"
_AID = r"\b(aides?|primes?|bonus|subventions?|cheques?|allocations?|coups? de pouce|participations? financieres?)\b"
_BUY = r"\b(achat|achats|acquisition|acquerir|acheter|remplacement|renouvellement)\b"
# An action that already exists (its own wording, not the instruction's "renforcer la prévention…").
_EXISTING = (
    r"\bdeja\b|\bexistant\w*|\bexiste(nt)?\b|\bpreexistant\w*|depuis (19|20)\d\d|depuis (\d+|deux|trois|plusieurs|quelques) ans"
    r"|\bactuel(le)?s?\b|\bhistoriques?\b"
)
# What makes an existing action "renforcée" (l. 1295: "une hausse de la file active / un élargissement du public").
_INTENSIFY = (
    _NOT_NEGATED + r"\b(renforc\w*|renfort|etend\w*|extension|elargi\w*|intensifi\w*|augment\w*|hausse|accroi\w*|doubl\w*"
    r"|davantage|supplementaires?|plus de (familles|jeunes|personnes|menages|beneficiaires|publics?|enfants|usagers|places|visites)"
    r"|nouve(aux|lles?) (communes?|quartiers?|territoires?|sites?|publics?|antennes?|permanences?))\b"
)
_FILE_ACTIVE = _NOT_NEGATED + r"\b(augment\w*|hausse|accroi\w*|elargi\w*|porter|passer|doubl\w*)\b (de |d )?(la |sa |leur |notre )?file active"
_EXTEND_ACTION = (
    _NOT_NEGATED + r"\b(extension|etendre|etendu\w*|elargissement|elargir)\b.{0,50}\b(dispositifs?|actions?|services?|programmes?"
    r"|permanences?|accueils?|plateformes?|projets?|horaires)\b"
)
_FSE = r"\bfse\b|fonds social europeen"

FRAMEWORK_RULES: tuple[FrameworkRule, ...] = (
    FrameworkRule(
        id="slime_cee_70",
        kind="condition",
        label="SLIME+ et programmes CEE : la part de l'État ne peut dépasser 70 % du cofinancement total",
        quotes=(
            _q(1088, "Dans la mesure où SLIME+ est déjà cofinancé par les CEE précarité à hauteur de 60% en 2024 puis 50% en 2025, le financement dans le cadre des pactes locaux des solidarités ne pourra aboutir à ce que la part de l'État dans le cofinancement total sur une année donnée pour les actions éligibles au programme excède 70%."),
            _q(1088, "Cette règle s'applique également aux autres programmes CEE comme Territoire Zéro Exclusion Énergétique."),
        ),
        triggers=(
            (r"\bslime",),
            (r"\bcee\b",),
            (r"certificats? d economies? d energie",),
            (r"territoires? zero exclusion energetique|\btzee\b",),
        ),
        # The animation of SLIME+ and the FSATME are financed « hors plafond » (same line 1088).
        unless=(r"\banimation\b|\bfsatme\b|fonds sociaux? d aide aux travaux",),
        axes=(4,),
    ),
    FrameworkRule(
        id="slime_hors_plafond",
        kind="note",
        label="SLIME+ : l'animation et les FSATME sont finançables hors plafond par le pacte local",
        quotes=(
            _q(1088, "Les métropoles financées dans le cadre de SLIME+ pourront en revanche renforcer leur action en mobilisant les crédits du pacte local pour un financement hors-plafond de l'animation des SLIME+ (services locaux d'intervention pour la maîtrise de l'énergie) et la mise en place de fonds sociaux d'aide aux travaux de maîtrise de l'énergie (FSATME)."),
        ),
        triggers=((r"\bslime", r"\banimation\b"), (r"\bfsatme\b",), (r"fonds sociaux? d aide aux travaux",)),
        axes=(4,),
    ),
    FrameworkRule(
        id="fsl_energie_20",
        kind="condition",
        label="Aides financières énergie (expérimentation FSL) : au plus 20 % du montant de l'axe 4, sans hausse de la part de l'État",
        quotes=(
            _q(1102, "Dans l'objectif d'expérimenter d'éventuelles évolutions du fonctionnement des FSL énergie et dans la limite d'un montant ne pouvant pas dépasser 20 % du montant co-contractualisé sur l'axe « Transition écologique solidaire », la collectivité peut mobiliser les crédits du pacte local des solidarités pour financer des dépenses d'aides financières à destination de ménages en situation de précarité énergétique."),
            _q(1102, "Ces expérimentations doivent avoir pour objectif de prévenir une spirale d'endettement des ménages en intervenant sur les premiers impayés et s'accompagner nécessairement de l'orientation vers des solutions durables, comme par exemple les points conseil budget ou la plateforme de lutte contre la précarité énergétique."),
            _q(1102, "Par ailleurs et en cas de recours plus important que prévu à l'aide mise en place par la collectivité, le co-financement de l'État ne pourra être augmenté par rapport au montant initialement contractualisé."),
        ),
        # The cap concerns the financial aid itself (paying households' energy debts or bills, or abonding the
        # FSL), not a platform or a campaign that orients people to the FSL (ll. 1094-1096).
        triggers=(
            (r"\b(aides?|secours|allocations?|primes?|soutiens?|dotations?) financi\w*", r"energ\w*|electricite|\bgaz\b|chauffage|fioul|\bfsl\b"),
            (r"\bimpayes?\b.{0,40}\b(energie|energetiques?|electricite|gaz|chauffage|fioul)\b",
             r"\b(aides?|secours|financ\w*|subvention\w*|prise en charge|prendre en charge|payer|apur\w*|rembours\w*|verse\w*"
             r"|allocations?)\b"),
            (r"\bfactures?\b.{0,25}\b(energie|electricite|gaz|chauffage|fioul)\b",
             r"\b(aides?|payer|prise en charge|prendre en charge|financ\w*|rembours\w*|secours)\b"),
            (r"\b(abond\w*|dotations?|contribu\w*|complement\w*|augment\w*|subvention\w*)\b.{0,30}\b(fsl|fonds de solidarite (pour le |du )?logement)\b",),
        ),
        unless=(r"\bfsatme\b|fonds sociaux? d aide aux travaux",),
        axes=(4,),
    ),
    FrameworkRule(
        id="eco_mobilite_investissement_20",
        kind="condition",
        label="Éco-mobilité inclusive : investissement plafonné à 20 % des crédits de l'axe 4 (fonctionnement possible)",
        quotes=(
            _q(1180, "Les solutions suivantes peuvent ainsi être cofinancées, aussi bien en investissement dans la limite de 20 % des crédits totaux contractualisés dans l'axe « Transition écologique solidaire » qu'en fonctionnement :"),
        ),
        triggers=(
            (r"garages? solidaires?",),
            (r"\bvelos?\b",),
            (r"vehicules? intermediaires?|voiturettes?",),
            (r"co ?voiturage",),
            (r"autopartage|auto partage|partage de vehicules?",),
            (r"retrofit",),
            (r"vehicules? propres?",),
            (r"eco ?mobilite",),
            (r"\blocation\b", r"\b(vehicules?|velos?|voitures?|scooters?|deux roues)\b"),
            (r"\binvesti\w*", r"mobilite|vehicule"),
        ),
        # The cap is on investment: buying vehicles, premises or equipment. Operating costs (a social-rate rental
        # service, an accompaniment towards a "location avec offre d'achat") are not capped.
        decisive=(
            (r"\binvesti\w*|(?<!option d )(?<!offre d )\b(achat|achats|acquisition|acheter|acquerir)\b|\bflottes?\b|\bequipements?\b"
             r"|\blocal\b|\blocaux\b|\bconstruction\b|\bamenagement\b",),
        ),
        axes=(4,),
    ),
    FrameworkRule(
        id="mobilite_repartition_axes",
        kind="note",
        label="Mobilité solidaire : axe 2 pour les bénéficiaires du RSA et demandeurs d'emploi, axe 4 pour tous les publics",
        quotes=(
            _q(1138, "Les actions de mobilité solidaire définies dans cette annexe peuvent être financées sur les crédits de l'axe « Accès à l'emploi » et/ou de l'axe « Transition écologique solidaire »."),
            _q(1138, "Ainsi, les crédits de l'axe « Accès à l'emploi » devront financer l'accompagnement et les solutions de mobilité à destination des bénéficiaires du RSA et personnes en recherche d'emploi tandis que les financements de l'axe « Transition écologique solidaire » devront pouvoir concerner l'ensemble des publics en précarité mobilité, notamment les étudiants et les personnes âgées."),
        ),
        triggers=(
            (r"\bmobilite",),
            (r"permis de conduire|auto ?ecoles?|cours de conduite|code de la route",),
            (r"covoiturage|co voiturage|garages? solidaires?",),
            (r"\b(velos?|scooters?|vehicules? intermediaires?|transports? (en commun|solidaires?))\b",),
        ),
        axes=(2, 4),
    ),
    FrameworkRule(
        id="zfe_achat_vehicule",
        kind="exclusion",
        label="Les aides à l'achat de véhicules dans le cadre des ZFE ne peuvent pas être financées par le pacte",
        quotes=(
            _q(1187, "En revanche, les aides à l'achat de véhicules dans le cadre des ZFE ne peuvent être financées dans le cadre des pactes locaux des solidarités dans la mesure où l'État finance déjà des aides à l'achat par ailleurs."),
        ),
        # An aid paid to households to buy a vehicle. A solidarity garage or a rental service that buys its own
        # vehicles is eco-mobility investment (l. 1180-1182), not a purchase aid.
        triggers=(
            (_AID + r".{0,60}" + _BUY + r".{0,40}" + _VEHICLE,),
            (r"prime a la conversion|bonus ecologique|prime a la casse",),
            (r"\bzfe\b|zones? a faibles? emissions?", _AID, _BUY + r"|changer de (vehicule|voiture)|remplacer"),
        ),
        # "location avec offre d'achat" is one of the eligible eco-mobility solutions (line 1185), so is the
        # "micro-crédit personnel pour financer le permis ou un véhicule" of mobility platforms (line 1162)
        unless=(r"location avec (offre|option) d achat", r"\bloa\b", r"micro ?credit"),
        axes=(4,),
    ),
    FrameworkRule(
        id="cantine_tarification_sociale",
        kind="condition",
        label="Tarification sociale des cantines (REP/REP+) : au plus 30 % des crédits État de l'axe 4, 1 € par repas à moins d'1 €, QF au plus 1 000 €",
        quotes=(
            _q(1249, "Afin de soutenir la systématisation de politiques d'accès effectif des plus modestes à la restauration collective et ultimement à des produits de qualité, les crédits des pactes locaux des solidarités pourront être mobilisés pour favoriser le déploiement de tarifications sociales dans les cantines des collèges situés en REP/REP+."),
            _q(1253, "Par ailleurs et à condition qu'une mesure similaire n'ait pas déjà été mise en place par la collectivité, les crédits des pactes locaux des solidarités peuvent être mobilisés pour compenser une partie des pertes de revenus liées à la mise en place d'une tarification sociale dans ces établissements."),
            _q(1255, "La contribution de l'État ne pourra dépasser 30 % des crédits de l'État co-contractualisés dans le cadre de l'axe « Transition écologique solidaire » du pacte local des solidarités et sera d'1 € pour chaque repas tarifé à moins d'1 € à des élèves dont le quotient familial sera au plus élevé de 1 000 €."),
            _q(1255, "En cas de recours plus important que prévu à l'aide mise en place par la collectivité, le co-financement de l'État ne pourra être augmenté par rapport au montant initialement contractualisé."),
            _q(1257, "Les élèves non allocataires de la CAF seront éligibles à ce dispositif par équivalence au quotient familial, en particulier ceux en situation de grande précarité à l'hôtel ou en bidonville."),
        ),
        triggers=(
            (r"\bcantines?\b|restauration (scolaire|collective)",
             r"tarif|\bprix\b|\brepas\b|€|\beuros?\b|gratuit|compens|quotient|\bqf\b|\bacces\b|\bcouts?\b|pertes?|recettes"),
            (r"\brepas\b", r"\b(1|un) ?(€|euros?)(?!\w)"),
            (r"tarification sociale|tarifs? sociaux|tarif social", r"repas|restauration|colleg|ecole|eleves?|scolaire"),
        ),
        # The caps bear on the pricing itself (the State's euro per meal, the compensation of lost revenue). The
        # administrative means of setting it up at the collectivity's level are eligible as such (line 1251).
        decisive=(
            (r"\b(1|un) ?(€|euros?)(?!\w)|moins d un euro|compens\w*|pertes? de (recettes|revenus)|manque a gagner"
             r"|quotient familial|\bqf\b|gratuit\w*",),
            (r"tarification sociale|tarifs? sociaux|tarif social|\brepas a ",
             r"!moyens administratifs|gestion administrative|logiciel|instructeurs?|\binstrui\w*|\binstruction\b"),
        ),
        axes=(4,),
    ),
    FrameworkRule(
        id="cantine_compensation_existante",
        kind="exclusion",
        label="Compensation des pertes de recettes d'une tarification sociale que la collectivité a déjà mise en place : exclue",
        quotes=(
            _q(1253, "Par ailleurs et à condition qu'une mesure similaire n'ait pas déjà été mise en place par la collectivité, les crédits des pactes locaux des solidarités peuvent être mobilisés pour compenser une partie des pertes de revenus liées à la mise en place d'une tarification sociale dans ces établissements."),
        ),
        triggers=(
            (r"\bcantines?\b|restauration (scolaire|collective)|tarification sociale|tarifs? sociaux|tarif social",
             r"\bcompens\w*|pertes? de (recettes|revenus)|manque a gagner",
             _EXISTING + r"|\b(appliquons|pratiquons)\b|(appliqu|pratiqu|instaur|mis)\w* (en place )?depuis"),
        ),
        unless=(r"\b(n|ne) (a|ont|avait|avaient|ait|aient) (pas|jamais)\b|\bpas (encore|deja)\b|\bnouvelle tarification\b",),
        axes=(4,),
    ),
    FrameworkRule(
        id="action_renforcee_part_supplementaire",
        kind="condition",
        label="Action renforcée : les crédits du pacte ne financent que la part supplémentaire",
        quotes=(
            _q(1295, "Est définie comme action renforcée, une action pouvant avoir été lancée avant les pactes locaux des solidarités mais dont la pertinence aura été confortée par les diagnostics de territoire et que les crédits État permettront d'intensifier (par exemple, une hausse de la file active / un élargissement du public touché)."),
            _q(1295, "Dans ce cas, les crédits apportés par les contrats locaux cibleront uniquement la part supplémentaire, renforcée de cette action."),
            _q(1295, "La métropole doit également s'engager à financer la part nouvelle ou renforcée de l'action."),
        ),
        # An existing action of the collectivity that is intensified — not the adjective of "accompagnement
        # renforcé" nor the référentiels' own verbs ("renforcer la CCAPEX", "renforcer les réseaux de prévention").
        triggers=(
            (_EXISTING, _INTENSIFY),
            (r"\bactions? renforcees?\b",),
            (_FILE_ACTIVE,),
            (_EXTEND_ACTION,),
        ),
        unless=(r"a l identique|perimetre constant|sans renfort",),
    ),
    FrameworkRule(
        id="reconduction_limitee",
        kind="condition",
        label="Reconduction d'actions CALPAE à périmètre constant : admise de façon limitée et justifiée",
        quotes=(
            _q(103, "La reprise à l'identique d'actions des précédentes CALPAE est autorisée, mais devra rester limitée."),
            _q(1301, "Il pourra être admis, mais de façon limitée, la reconduction du financement d'actions issues des précédentes contractualisations CALPAE, à périmètre constant et sans renfort, si ces actions ont fait la preuve de leur efficacité et pertinence, et en accord avec les deux parties cocontractantes."),
            _q(1301, "Vous veillerez à ce que leur poursuite soit pleinement justifiée, en termes d'efficacité et d'impact de l'action sur les bénéficiaires visés, ainsi qu'en termes de conformité avec le cadrage du référentiel correspondant."),
        ),
        triggers=(
            (r"\breconduc\w*|\breconduire|\breconduit\w*",),
            (r"a l identique|perimetre constant|sans renfort",),
            (r"\bcalpae\b|precedentes? (conventions?|contractualisations?|strategies?)|ancienne convention",
             r"\b(poursu\w*|prolong\w*|perenni\w*|continu\w*|maint\w*|financee?s? (par|dans|sur)|issue?s? (de|des|du)|deja)\b"),
        ),
        # An action that grows is a reinforced action, not a reconduction (line 1295 vs 1301).
        unless=(_NOT_NEGATED + r"\b(etend\w*|extension|elargi\w*|intensifi\w*|augment\w*|hausse|renforc\w*)\b",),
    ),
    FrameworkRule(
        id="fse_plus_part_etat",
        kind="exclusion",
        label="FSE+ : le financement de la part de l'État par le FSE+ est exclu",
        quotes=(
            _q(1307, "Le cofinancement des actions par le FSE+ est possible pour les actions nouvelles (uniquement), sur la part apportée par la métropole (le financement FSE+ pour la part État est exclu)."),
        ),
        triggers=(
            # "FSE+ … part de l'État", unless another share or a negation comes between ("FSE+ sur la part de la
            # métropole, la part de l'État restant …", "FSE+ hors part État")
            (r"(" + _FSE + r")(?:(?!metropole|collectivite|departement|\bpas\b|\bjamais\b|\bhors\b|\bsauf\b|\bnon\b).){0,45}"
             r"\bpart (de l |d )?etat\b",),
            (r"\bpart (de l |d )?etat\b.{0,40}\b(couvert\w*|financ\w*|pris\w* en charge|assur\w*|apport\w*|payee?s?)\b.{0,30}(" + _FSE + r")",),
        ),
    ),
    FrameworkRule(
        id="fse_plus_action_non_nouvelle",
        kind="exclusion",
        label="FSE+ : réservé aux actions nouvelles, exclu pour une action renforcée ou reconduite",
        quotes=(
            _q(1307, "Le cofinancement des actions par le FSE+ est possible pour les actions nouvelles (uniquement), sur la part apportée par la métropole (le financement FSE+ pour la part État est exclu)."),
        ),
        triggers=(
            (_FSE, r"\bactions? (deja )?(renforcees?|existantes?|reconduites?)\b"),
            (_FSE, r"\breconduc\w*|\bcalpae\b|a l identique|perimetre constant"),
            (_FSE, _EXISTING, _INTENSIFY),
            (_FSE, _FILE_ACTIVE),
        ),
    ),
    FrameworkRule(
        id="fse_plus",
        kind="condition",
        label="FSE+ : seulement pour les actions nouvelles et sur la part de la métropole, jamais sur la part État",
        quotes=(
            _q(1307, "Le cofinancement des actions par le FSE+ est possible pour les actions nouvelles (uniquement), sur la part apportée par la métropole (le financement FSE+ pour la part État est exclu)."),
        ),
        triggers=((_FSE,), (r"(credits?|fonds|financements?) europeens?",)),
    ),
    FrameworkRule(
        id="valorisation_existant_exclue",
        kind="exclusion",
        label="Pas de valorisation financière de l'existant (personnel en place, gestion courante) ; recrutement ou évolution substantielle de poste possibles",
        quotes=(
            _q(1305, "Dans ce second cas, l'action nouvelle ou renforcée peut se traduire par du recrutement interne à la métropole ou par l'évolution substantielle de fiches de poste."),
            _q(1305, "Le financement de temps d'ingénierie est possible, en revanche la valorisation financière de l'existant est exclue (gestion courante comme le temps de réunion, de délibérations, ressources humaines existantes ou non renforcées, etc.)."),
        ),
        triggers=(
            (r"\bvaloris\w*", r"\b(temps|agents?|personnels?|postes?|salaires?|ressources humaines|existant\w*|en nature|benevol\w*|masse salariale|deja)\b"),
            # Existing staff whose pay or time would be financed — not training them, which is an action type (ll. 641-681).
            (r"\b(agents?|personnels?|postes?|salaries?|ressources humaines|etp|equipes?|travailleu\w* sociau\w*|assistant\w* socia\w*|effectifs?)\b"
             r"( \w+){0,4} (existant\w*|deja en (poste|place)|en poste|actuel\w*|deja employ\w*)\b",
             r"\b(salaires?|remunerations?|temps|couts? salariaux|prise en charge|financ\w*|payer|paie|part|contrepartie|cofinanc\w*|apport)\b",
             r"!\bformations?\b|\bformer\b|\bsensibilis\w*"),
            (r"temps de (reunions?|deliberations?)|gestion courante|fonctionnement courant",),
            (r"masse salariale",),
            (r"\b(compter|comptabiliser|valoriser|imputer)\b.{0,60}\bcomme (part|apport|contrepartie|cofinancement)\b",),
        ),
        # Recruiting, or substantially changing a job description, is the allowed way (same line 1305).
        unless=(_NOT_NEGATED + r"\b(recrut\w*|embauch\w*|creation d (un |une )?postes?|nouveaux? postes?|postes? supplementaires?|evolution substantielle)",),
    ),
    FrameworkRule(
        id="pmi_prenatal_metropole",
        kind="exclusion",
        label="Entretiens prénataux et bilans de santé en école maternelle de la PMI : hors pacte métropolitain (contractualisation départementale)",
        quotes=(
            _q(263, "Ce volet n'inclut pas les actions de la protection maternelle et infantile (PMI) dans le cadre des entretiens prénataux ou bilans de santé en école maternelle, qui relèvent de la contractualisation départementale en prévention et protection de l'enfance."),
        ),
        triggers=(
            (r"\bpmi\b|protection maternelle", r"prenata|bilans? de sante|ecoles? maternelles?"),
            (r"entretiens? prenata",),
            (r"bilans? de sante.{0,40}maternelle",),
            (r"entretien prenatal precoce|\bepp\b",),
        ),
        axes=(1,),
        # The instruction concerns métropoles: for a département these actions belong to its own
        # contractualisation in child protection, which this corpus does not cover.
        collectivites=("metropole",),
    ),
    FrameworkRule(
        id="cnfpt_catalogue",
        kind="condition",
        label="Formations des agents territoriaux : seulement sur des thématiques absentes du catalogue du CNFPT",
        quotes=(
            _q(643, "Pourront ainsi être financées dans le cadre des contractualisations, en articulation avec les comités locaux du travail social et du développement social :"),
            _q(645, "les formations sur des thématiques non disponibles au catalogue du Centre national de la fonction publique territoriale (CNFPT)"),
        ),
        triggers=((r"\bcnfpt\b|centre national de la fonction publique territoriale",),),
        # Already met when the description says the topic is missing from the catalogue.
        decisive=(
            (r"!\b(absente?s?|hors|non disponibles?|pas disponibles?|indisponibles?|non proposee?s?|pas proposee?s?|inexistante?s?"
             r"|manquante?s?|ne figur\w* pas|pas) (du |au |dans le |de son |sur le )?catalogue",),
        ),
    ),
    FrameworkRule(
        id="acces_droits_coordination_prealable",
        kind="note",
        label="Accès aux droits : un temps de coordination doit être financé au préalable",
        quotes=(
            _q(573, "**Si la métropole souhaite réaliser des actions dans le champ de l'accès aux droits, sera obligatoirement financé au préalable un temps de coordination**, afin d'animer l'instance de coordination, de mobiliser les acteurs, de développer les partenariats, d'impulser des actions dans le cadre des leviers prioritaires identifiés et de faire le lien entre les différents niveaux de coordination (notamment, pour l'échelon départemental, afin de travailler en lien étroit avec les ETP de coordination des CTG)."),
        ),
        triggers=((r"acces aux droits",), (r"non recours",)),
        axes=(3,),
    ),
    FrameworkRule(
        id="faj_identification",
        kind="note",
        label="Actions jeunesse financées via le FAJ métropolitain : à identifier spécifiquement",
        quotes=(
            _q(363, "Les diverses actions mentionnées ci-dessous peuvent être financées dans le cadre du Fonds d'aide au jeune (FAJ) métropolitain, en fonction de son règlement."),
            _q(363, "Dans ce cas, elles doivent être spécifiquement identifiées."),
        ),
        triggers=((r"\bfaj\b|fonds d aide aux? jeunes?",),),
        axes=(1,),
    ),
    FrameworkRule(
        id="referent_pacte",
        kind="note",
        label="Personne référente du pacte des solidarités en métropole : finançable par le contrat local",
        quotes=(
            _q(1408, "Il est instauré la possibilité de financer dans le cadre des contrats locaux une personne référente du pacte des solidarités en métropole, avec du temps clairement dégagé sur cette mission."),
        ),
        triggers=((r"\breferente?s? (du |de |des )?(pacte|contrat)|personne referente",),),
        basis=True,
    ),
    FrameworkRule(
        id="evaluation_impact",
        kind="note",
        label="Mesure d'impact social : financée dans le coût de l'action évaluée",
        quotes=(
            _q(1384, "Le financement de la mesure d'impact social des projets sélectionnés devra être prévu dans le coût de financement de ces projets au sein du contrat local."),
        ),
        triggers=((r"\b(mesures?|evaluations?|etudes?) d impact",),),
        basis=True,
    ),
    FrameworkRule(
        id="temps_ingenierie",
        kind="note",
        label="Temps d'ingénierie : finançable (mais pas la gestion courante)",
        quotes=(
            _q(1305, "Le financement de temps d'ingénierie est possible"),
        ),
        triggers=((r"temps d ingenierie|chefs? de projets?|postes? d ingenierie|ingenieur de projet",),),
        basis=True,
    ),
    FrameworkRule(
        id="cofinancement_50",
        kind="condition",
        label="Cofinancement 50 % État / 50 % métropole pour chaque action",
        quotes=(
            _q(1321, "Ce cofinancement est fixé à 50 % part État et 50 % part métropole pour chaque action, et non au global."),
            _q(1323, "Vous vous assurerez que les crédits liés à la contractualisation ne se substituent pas aux dépenses de la collectivité qui intervient bien en cofinancement à hauteur de 50 % a minima sur chacune des actions de la convention et dans le cadre des actions éligibles décrites ci-dessus."),
        ),
        # "cofinancer" alone just means "finance": the rule is attached when the split itself is in question.
        triggers=(
            (r"\b100 ?%|\btotalite\b|\bintegralement\b|\bentierement\b",),
            (r"part (de l )?etat|part de la (metropole|collectivite)|\b50 ?(%|/ ?50)",),
        ),
        # Decides only when the description departs from the 50/50 split (an action paid entirely by the State).
        decisive=((r"\b100 ?%|\btotalite\b|\bintegralement\b|\bentierement\b|sans (co ?financement|participation)",),),
        general=True,
    ),
    FrameworkRule(
        id="actions_nouvelles_ou_renforcees",
        kind="note",
        label="Seules les actions nouvelles ou renforcées sont éligibles",
        quotes=(
            _q(1289, "Il s'agit d'éviter autant que possible au sein du contrat local la valorisation d'actions existantes à périmètre constant et les effets d'aubaine."),
            _q(1291, "Les actions éligibles sont des actions nouvelles ou renforcées."),
        ),
        general=True,
    ),
    FrameworkRule(
        id="hors_referentiel",
        kind="note",
        label="Action hors référentiel : possible à titre exceptionnel, sur autorisation",
        quotes=(
            _q(117, "Exceptionnellement, le ou la commissaire peut autoriser la contractualisation d'une action qui ne serait pas prévue dans les référentiels, pour autant que son utilité soit justifiée par les besoins locaux au regard d'une insuffisance de l'offre."),
            _q(1051, "Au regard de la nouveauté de la thématique, des mesures qui ne sont pas indiquées dans ce référentiel peuvent être intégrées à la contractualisation en cas d'accord entre la collectivité et les services déconcentrés de l'État, si le besoin ressort du diagnostic territorial et sous justification qu'elles concourent à au moins un des trois sous-axes du présent référentiel."),
        ),
        # Not triggered by words: the eligibility module cites it when no section matches.
    ),
)

_ORDER = {"exclusion": 0, "condition": 1, "note": 2}


@lru_cache(maxsize=1)
def _by_id() -> dict[str, FrameworkRule]:
    return {r.id: r for r in FRAMEWORK_RULES}


def rule(rule_id: str) -> FrameworkRule:
    return _by_id()[rule_id]


def check_collectivite(collectivite: str | None) -> str | None:
    if collectivite is None:
        return None
    value = normalize(collectivite).replace(" ", "")
    if value not in COLLECTIVITES:
        raise InvalidInput(
            f"Collectivité inconnue : « {collectivite} ». Valeurs possibles : metropole, departement."
        )
    return value


def rules_for(
    description: str,
    collectivite: str | None = None,
    *,
    include_general: bool = False,
) -> list[FrameworkRule]:
    """The framework rules triggered by a described action, exclusions first, in declaration order."""
    collectivite = check_collectivite(collectivite)
    found = [r for r in FRAMEWORK_RULES if (include_general and r.general) or r.matches(description, collectivite)]
    return sorted(found, key=lambda r: _ORDER[r.kind])


def applicable_rules(description: str, collectivite: str | None = None) -> list[tuple[FrameworkRule, str]]:
    """(rule, effect) for every rule the described action triggers, exclusions first, then conditions, then notes.

    The effect is the rule's kind, except for a condition whose `decisive` patterns do not match: "note"."""
    collectivite = check_collectivite(collectivite)
    found = [(r, e) for r in FRAMEWORK_RULES if (e := r.effect(description, collectivite)) is not None]
    return sorted(found, key=lambda item: _ORDER[item[1]])


def exclusions_for(description: str, collectivite: str | None = None) -> list[FrameworkRule]:
    return [r for r, e in applicable_rules(description, collectivite) if e == "exclusion"]


def conditions_for(description: str, collectivite: str | None = None, *, include_general: bool = False) -> list[FrameworkRule]:
    """Rules that decide an "eligible_with_conditions" verdict (general rules too with include_general)."""
    found = [r for r, e in applicable_rules(description, collectivite) if e == "condition"]
    if include_general:
        found += [r for r in FRAMEWORK_RULES if r.general and r.kind == "condition" and r not in found]
    return found
