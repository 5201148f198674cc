#!/usr/bin/env python3
"""Build assistant/data/referentiel.yaml: the structured référentiels of instruction DGCS 2023/168.

Run from the repository root:  .venv/bin/python scripts/build_referentiel.py [--check] [--review]

How it works
- The section table (SECTIONS) is explicit: the markdown heading levels of the converted instruction are
  inconsistent (a "##" sub-section inside a "###" part, bold paragraphs used as headings), so a heading
  parser alone would mis-nest. Each entry is checked against its heading line.
- Inside each section, action types are found by rule: bullet items, and sentences that say an action
  "pourra être financée / soutenue ..."; exclusions and conditions by keyword regexes. A human review
  of the output follows; its corrections are the explicit overrides below (DROP_*, ADD_*), so re-running
  the script reproduces the reviewed file.
- National indicators are found in the référentiels (italic "Indicateur : ..." lines and the like) and
  matched to their entry in Annexe 6 (Guide des indicateurs nationaux), whose following paragraphs are
  the definition. Which sections an indicator covers is explicit (INDICATORS).
- Every quoted text is a verbatim slice of the cited lines; the script refuses to write otherwise.

`--check` rebuilds in memory and exits 1 if the data file differs (for CI and tests);
`--review` also prints the exclusion/condition candidates the keyword rules see but the reviewed
lists leave out (none at the last review).
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.corpus import load_corpus  # noqa: E402

DOC_ID = "instruction-2023-168"
OUT = ROOT / "assistant" / "data" / "referentiel.yaml"

# --------------------------------------------------------------------------------------------------
# Axes and sections (reviewed by hand against the annexes)
# --------------------------------------------------------------------------------------------------

AXES = [
    # axis, annex label, annex span, line of the référentiel title, short title used across the instruction
    dict(axis=1, annex="Annexe 1", line_start=229, line_end=404, title_line=231,
         title="Prévenir la pauvreté et lutter contre les inégalités dès l'enfance"),
    dict(axis=2, annex="Annexe 2", line_start=405, line_end=531, title_line=407,
         title="Amplifier la politique d'accès à l'emploi pour tous"),
    dict(axis=3, annex="Annexe 3", line_start=532, line_end=1032, title_line=534,
         title="Accès aux droits essentiels"),
    dict(axis=4, annex="Annexe 4", line_start=1033, line_end=1263, title_line=1035,
         title="Transition écologique solidaire"),
]

# Parts (intermediate headings) that only give context to the sections below them.
PARTS = {
    "axe1/I": (248, "I. Soutien à la parentalité et aux familles en situation de précarité"),
    "axe1/II": (310, "II. Faire de la jeunesse un enjeu prioritaire de lutte contre la pauvreté en prévenant le décrochage"),
    "axe1/III": (355, "III. Accompagner les jeunes précaires vers l'autonomie"),
    "axe2/II": (437, "II- Actions à prioriser dans la contractualisation"),
    "axe2/2.1": (441, "2.1. Sur la levée des freins sociaux"),
    "axe2/2.2": (502, "2.2 Sur l'accompagnement de publics les plus vulnérables ou rencontrant des problématiques spécifiques"),
    "axe3/I": (536, "I. Sous-axe « Accéder aux droits sociaux et santé pour prévenir la bascule dans la pauvreté »"),
    "axe3/I/1": (551, "1. Une coordination et méthode partenariale accrues"),
    "axe3/I/2": (595, "2. Leviers d'action prioritaires"),
    "axe3/I/2.1": (597, "2.1 Le développement de la détection et des démarches d'aller vers"),
    "axe3/I/2.3": (635, "2.3 La formation des professionnels"),
}

# id, axis, parents (PARTS keys), heading line, last line (inclusive, last non-blank line of the section)
SECTIONS = [
    ("axe1/1.1", 1, ["axe1/I"], 267, 274),
    ("axe1/1.2", 1, ["axe1/I"], 276, 287),
    ("axe1/1.3", 1, ["axe1/I"], 289, 297),
    ("axe1/1.4", 1, ["axe1/I"], 299, 308),
    ("axe1/2.1", 1, ["axe1/II"], 318, 337),
    ("axe1/2.2", 1, ["axe1/II"], 339, 353),
    ("axe1/3.1", 1, ["axe1/III"], 365, 380),
    ("axe1/3.2", 1, ["axe1/III"], 382, 390),
    ("axe1/3.3", 1, ["axe1/III"], 392, 403),
    ("axe2/2.1.1", 2, ["axe2/II", "axe2/2.1"], 443, 461),
    ("axe2/2.1.2", 2, ["axe2/II", "axe2/2.1"], 463, 476),
    ("axe2/2.1.3", 2, ["axe2/II", "axe2/2.1"], 478, 482),
    ("axe2/2.1.4", 2, ["axe2/II", "axe2/2.1"], 484, 488),
    ("axe2/2.1.5", 2, ["axe2/II", "axe2/2.1"], 490, 500),
    # The chapeau of 2.2 names an action of its own (dedicated staff for "aller vers"), and the
    # indicator of 2.2 covers it: it is a section, ending before 2.2.1.
    ("axe2/2.2", 2, ["axe2/II"], 502, 506),
    ("axe2/2.2.1", 2, ["axe2/II", "axe2/2.2"], 508, 512),
    ("axe2/2.2.2", 2, ["axe2/II", "axe2/2.2"], 514, 516),
    ("axe2/2.2.3", 2, ["axe2/II", "axe2/2.2"], 518, 528),
    ("axe3/I/1.1", 3, ["axe3/I", "axe3/I/1"], 553, 583),
    ("axe3/I/1.2", 3, ["axe3/I", "axe3/I/1"], 585, 593),
    ("axe3/I/2.1.1", 3, ["axe3/I", "axe3/I/2", "axe3/I/2.1"], 599, 611),
    ("axe3/I/2.1.2", 3, ["axe3/I", "axe3/I/2", "axe3/I/2.1"], 613, 619),
    ("axe3/I/2.2", 3, ["axe3/I", "axe3/I/2"], 621, 633),
    ("axe3/I/2.3.1", 3, ["axe3/I", "axe3/I/2", "axe3/I/2.3"], 639, 673),
    ("axe3/I/2.3.2", 3, ["axe3/I", "axe3/I/2", "axe3/I/2.3"], 675, 681),
    ("axe3/I/3", 3, ["axe3/I"], 683, 701),
    ("axe3/II", 3, [], 703, 742),
    ("axe3/III", 3, [], 746, 825),
    ("axe3/IV", 3, [], 827, 882),
    # Ends before the DINUM opinion (908-1032), an appendix of Annexe 3 that names no action.
    ("axe3/V", 3, [], 884, 905),
    ("axe4/I", 4, [], 1053, 1102),
    ("axe4/II", 4, [], 1104, 1193),
    ("axe4/III", 4, [], 1195, 1261),
]

# Context inside a section that is not an eligible action: statistics, objectives, footnotes, the
# "derniers kilomètres" typology, lists of partners... (reviewed line by line).
NOT_ACTION_LINES = {
    # axis 3 I 1.1: the footnote on the CDAD lists its members
    577, 578, 579,
    # axis 3 I 2.3.1: footnote 6 lists regional training offers
    664, 665,
    # axis 4 II: the two levers of the context, the two new objectives, the remaining stakes of platforms
    1116, 1117, 1133, 1134, 1154, 1155, 1156,
    # axis 4 III: the three frameworks in which métropoles act, and the two focuses (context)
    1213, 1214, 1215, 1219, 1220,
    # axis 4 I: the "attention particulière" on older people is a recommendation, kept as a condition
    1082,
}

# Actions named in paragraphs that the sentence rule does not catch: (section id, line, start of the
# sentence or None for the whole line).
ADD_ACTIONS = [
    ("axe1/1.1", 274, "Concernant les familles en grande précarité"),
    ("axe1/1.2", 285, None),
    ("axe1/1.2", 287, None),
    ("axe1/1.4", 301, "Les métropoles peuvent mener des actions"),
    ("axe2/2.1.1", 453, "Cela nécessite de renforcer"),
    ("axe2/2.1.1", 455, "De la même façon, la réservation de places"),
    ("axe2/2.1.3", 482, None),
    ("axe2/2.1.4", 488, None),
    ("axe2/2.2", 504, "Afin de toucher les publics les plus éloignés"),
    ("axe2/2.2.1", 510, None),
    ("axe2/2.2.1", 512, None),
    ("axe2/2.2.2", 516, None),
    ("axe2/2.2.3", 520, "Afin de mieux accompagner la sortie de détention"),
    ("axe2/2.2.3", 520, "Le soutien à des actions intégrées"),
    ("axe3/I/1.1", 557, None),
    ("axe3/I/1.1", 565, None),
    ("axe3/I/1.1", 571, None),
    ("axe3/I/1.1", 573, None),
    ("axe3/I/2.1.1", 611, None),
    ("axe3/I/2.1.2", 615, "Les actions financées peuvent consister"),
    ("axe3/I/2.1.2", 617, "En effet, les démarches d'aller vers peuvent être mutualisées"),
    ("axe3/I/2.3.1", 669, None),
    ("axe3/I/2.3.2", 679, None),
    ("axe3/I/3", 691, "Au regard du fait qu'elles concourent"),
    ("axe3/II", 723, None),
    ("axe3/IV", 835, "**Les métropoles sont donc particulièrement légitimes"),
    ("axe3/IV", 839, None),
    # "2.4. Faciliter l'accès à la domiciliation" is a heading with no text under it: the heading
    # itself is the only statement of the action.
    ("axe3/IV", 866, None),
    ("axe3/IV", 870, None),
    ("axe3/IV", 874, "Ainsi, peuvent être financées"),
    ("axe3/IV", 878, None),
    ("axe3/V", 892, "En second lieu"),
    ("axe3/V", 892, "En particulier, les approches spécifiques"),
    ("axe4/I", 1067, None),
    ("axe4/I", 1088, "Les métropoles financées dans le cadre de SLIME+"),
    ("axe4/I", 1096, "En complément et en coordination avec les plateformes"),
    ("axe4/I", 1102, "Dans l'objectif d'expérimenter"),
    ("axe4/II", 1158, None),
    ("axe4/II", 1168, None),
    ("axe4/II", 1170, "Dans la mesure du possible"),
    ("axe4/II", 1174, None),
    ("axe4/II", 1178, "Il est donc proposé"),
    ("axe4/III", 1243, "Il est également possible de soutenir"),
    ("axe4/III", 1249, None),
    ("axe4/III", 1251, None),
    ("axe4/III", 1253, None),
]

# Sentences caught by the action rule that are not actions (line, start of the sentence).
DROP_ACTIONS = [
    (1138, None),  # how mobility credits are split between axes 2 and 4: a condition
    (1180, None),  # the 20 % investment limit: a condition, not an action
]

# Exclusions and conditions: (section ids, line, start of the sentence or None for the whole line).
# Listed explicitly after review; the keyword rule below only reports candidates it would have missed.
EXCLUSIONS = [
    (["axe1/1.1", "axe1/1.2", "axe1/1.3", "axe1/1.4"], 263, None),
    (["axe4/II"], 1187, None),
]

CONDITIONS = [
    # axis 1, part I: articulation with the departmental family-services schemes
    (["axe1/1.1", "axe1/1.2", "axe1/1.3", "axe1/1.4"], 254, None),
    (["axe1/2.1"], 320, "Elles doivent s'appuyer sur le renforcement"),
    # axis 1, part III: actions financed through the FAJ must be identified
    (["axe1/3.1", "axe1/3.2", "axe1/3.3"], 363, None),
    # axis 2: crèches AVIP need co-financing by the collectivities
    (["axe2/2.1.1"], 455, "Les places en crèche AVIP"),
    (["axe2/2.1.2"], 471, None),
    (["axe2/2.1.4"], 488, None),
    (["axe2/2.2"], 504, "en complémentarité avec la dynamique France Travail"),
    # axis 3, I: a coordination time must be financed first
    (["axe3/I/1.1", "axe3/I/1.2", "axe3/I/2.1.1", "axe3/I/2.1.2", "axe3/I/2.2", "axe3/I/2.3.1",
      "axe3/I/2.3.2", "axe3/I/3"], 573, None),
    (["axe3/I/2.1.2"], 617, "Une articulation devra être mise en place"),
    (["axe3/I/2.3.1", "axe3/I/2.3.2"], 637, None),
    (["axe3/I/2.3.1"], 671, "Les formations financées viendront en complément"),
    (["axe3/I/3"], 701, None),
    (["axe3/II"], 705, None),
    (["axe3/II"], 707, None),
    (["axe3/III"], 748, None),
    (["axe3/III"], 823, None),
    (["axe3/IV"], 852, "L'ensemble de ces mesures devront être accompagnées"),
    (["axe3/IV"], 852, "Un accompagnement social pour assurer"),
    (["axe3/V"], 890, "**En premier lieu"),
    (["axe3/V"], 892, "En second lieu"),
    (["axe3/V"], 894, None),
    (["axe4/I"], 1082, None),
    (["axe4/I"], 1088, "Dans la mesure où SLIME+ est déjà cofinancé"),
    (["axe4/I"], 1088, "Cette règle s'applique également"),
    (["axe4/I"], 1100, "Le financement n'est cependant conditionné"),
    (["axe4/I"], 1102, "Dans l'objectif d'expérimenter"),
    (["axe4/I"], 1102, "Ces expérimentations doivent avoir pour objectif"),
    (["axe4/I"], 1102, "Par ailleurs et en cas de recours plus important"),
    (["axe4/II", "axe2/2.1.4"], 1138, None),
    (["axe4/II"], 1140, None),
    (["axe4/II"], 1164, None),
    (["axe4/II"], 1180, None),
    (["axe4/III"], 1243, "Les actions ainsi soutenues"),
    (["axe4/III"], 1243, "L'inscription dans ce cadre sera même recherchée"),
    (["axe4/III"], 1253, None),
    (["axe4/III"], 1255, None),
    (["axe4/III"], 1257, None),
]

# Cross-references the instruction makes itself between sections (section -> [(related id, line)]).
RELATED = {
    "axe2/2.1.4": [("axe4/II", 488)],  # mobility actions defined in axis 4, financed by axis 2
    "axe4/II": [("axe2/2.1.4", 1138)],  # job seekers' mobility financed on axis 2
    "axe3/I/2.1.1": [("axe4/I", 607)],  # SLIME: cf. référentiel « Transition écologique solidaire »
    "axe3/I/2.3.1": [("axe2/2.1.5", 652)],  # illectronisme: cf. référentiel axe « Accès à l'emploi »
    "axe3/III": [("axe3/I/2.3.1", 818)],  # illectronisme training: cf. sous-axe « Accéder aux droits »
    "axe2/2.2": [("axe3/I/2.1.2", 504)],  # "aller vers" in complement of axis « Accès aux droits essentiels »
}

# Axis-level conditions (apply to every section of the axis).
AXIS_CONDITIONS = {
    4: [(1051, None)],
}

# --------------------------------------------------------------------------------------------------
# National indicators
# --------------------------------------------------------------------------------------------------

# id, référentiel line(s), sections covered, Annexe 6 wording line (None: absent from the guide),
# context lines of the référentiel that say more about the indicator, note (French, for the reader).
INDICATORS = [
    dict(id="axe1.familles-precaires", lines=(297, 297), guide=1471,
         sections=["axe1/1.1", "axe1/1.2", "axe1/1.3"]),
    dict(id="axe1.meres-sans-domicile", lines=(308, 308), guide=1489, sections=["axe1/1.4"]),
    dict(id="axe1.adolescents", lines=(353, 353), guide=1495, sections=["axe1/2.1", "axe1/2.2"]),
    dict(id="axe1.jeunes-sans-solution", lines=(390, 390), guide=1507, sections=["axe1/3.1", "axe1/3.2"]),
    dict(id="axe1.outil-coordination-neets", lines=(403, 403), guide=None, sections=["axe1/3.3"],
         note="Cet « indicateur » du référentiel n'est pas un nombre et ne figure pas dans le guide des "
              "indicateurs nationaux (Annexe 6)."),
    dict(id="axe2.levee-freins", lines=(498, 498), guide=1519, context=[(496, None)],
         sections=["axe2/2.1.1", "axe2/2.1.2", "axe2/2.1.3", "axe2/2.1.4", "axe2/2.1.5"]),
    dict(id="axe2.professionnels-formes", lines=(500, 500), guide=1527, context=[(496, None)],
         sections=["axe2/2.1.1", "axe2/2.1.2", "axe2/2.1.3", "axe2/2.1.4", "axe2/2.1.5"]),
    dict(id="axe2.publics-vulnerables", lines=(524, 528), guide=1535, context=[(522, None)],
         sections=["axe2/2.2", "axe2/2.2.1", "axe2/2.2.2", "axe2/2.2.3"]),
    dict(id="axe3.aller-vers-droits", lines=(619, 619), guide=1543,
         sections=["axe3/I/2.1.1", "axe3/I/2.1.2"]),
    dict(id="axe3.accompagnement-renforce", lines=(633, 633), guide=1553, sections=["axe3/I/2.2"]),
    dict(id="axe3.professionnels-formes", lines=(681, 681), guide=1561,
         sections=["axe3/I/2.3.1", "axe3/I/2.3.2"]),
    dict(id="axe3.etp-ccapex", lines=(741, 741), guide=1571, sections=["axe3/II"]),
    dict(id="axe3.dossiers-ccapex", lines=(742, 742), guide=1575, sections=["axe3/II"]),
    dict(id="axe3.personnes-vieillissantes", lines=(825, 825), guide=1579, sections=["axe3/III"]),
    dict(id="axe3.bidonvilles", lines=(880, 880), guide=1591, context=[(882, None)], sections=["axe3/IV"]),
    dict(id="axe3.sans-domicile", lines=(905, 905), guide=1597, sections=["axe3/V"]),
    dict(id="axe4.precarite-energetique", lines=(1092, 1092), guide=1607, context=[(1090, None)],
         sections=["axe4/I"]),
    # Annexe 4 (l. 1193) and Annexe 6 (l. 1623): mobility actions financed on axis 2 count here too.
    dict(id="axe4.mobilite", lines=(1191, 1191), guide=1619, context=[(1189, None), (1193, None)],
         sections=["axe4/II", "axe2/2.1.4"]),
    dict(id="axe4.cantine", lines=(1261, 1261), guide=1625, context=[(1259, None)], sections=["axe4/III"]),
]

GUIDE_SPAN = (1453, 1631)  # Annexe 6
DINUM_SPAN = (906, 1032)  # DINUM opinion appended to Annexe 3: legal analysis, no action
GUIDE_AXIS_LINES = {1469: 1, 1517: 2, 1543: 3, 1605: 4}

# --------------------------------------------------------------------------------------------------
# Reporting calendar (Annexe 5 III-IV, Annexe 6 preamble, Annexe 8 template)
# --------------------------------------------------------------------------------------------------

# kind, label (French summary written by us, not a quote), line, start of the sentence or None
REPORTING = [
    ("duree", "Durée des contrats locaux : 2024-2027", 1423, "Les contrats locaux démarrent"),
    ("indicateurs_locaux", "Indicateurs locaux définis pour chaque action", 1348, None),
    ("indicateurs_locaux", "T0, cible finale, trajectoire sur 4 ans et cibles annuelles", 1350, None),
    ("indicateurs_locaux", "Renseignement annuel des indicateurs locaux (rapport d'avancement, rapport à mi-parcours)",
     1352, "La métropole devra renseigner annuellement"),
    ("indicateurs_locaux", "Tableau de suivi : situation au 31 décembre 2023 (T0) et cibles 2024 à 2027", 1941, None),
    ("indicateurs_nationaux", "Indicateurs nationaux obligatoires, complémentaires des indicateurs locaux", 1356, None),
    ("indicateurs_nationaux", "Trajectoire locale des indicateurs nationaux sur 4 ans", 1358, None),
    ("indicateurs_nationaux", "Renseignement annuel des indicateurs nationaux", 1360,
     "La métropole devra renseigner annuellement"),
    ("remontee_nationale", "Remontée de mars 2025 pour l'année 2024", 1459, None),
    ("remontee_nationale", "Remontées de mars 2026, mars 2027 et mars 2028", 1461, None),
    ("remontee_nationale", "Trajectoire d'objectif fixée lors de la préfiguration", 1463, "Comme ces derniers"),
    ("remontee_nationale", "Cible de l'année et commentaires lors de la remontée", 1463,
     "Lors de la remontée d'information nationale"),
    ("remontee_nationale", "Tableau des indicateurs nationaux et locaux en annexe du rapport annuel", 1463,
     "Le rapport annuel d'exécution devra également"),
    ("remontee_nationale", "Même périmètre et même méthode de décompte d'une année sur l'autre", 1467, None),
    ("suivi_annuel", "Comité de suivi ou dialogue de performance annuel", 1370, "Un comité de suivi"),
    ("suivi_annuel", "Rapport succinct d'état d'avancement présenté au comité de suivi", 1370, "Un état d'avancement"),
    ("suivi_annuel", "Indicateurs locaux et nationaux renseignés chaque année (trame de contrat)", 1836,
     "La Métropole renseigne chaque année"),
    ("mi_parcours", "Évaluation à mi-parcours sur les deux premières années", 1376, None),
    ("mi_parcours", "Rapport d'exécution à mi-parcours au plus tard le 31 mars 2026", 1378,
     "Un rapport d'exécution sera ainsi élaboré"),
    ("mi_parcours", "Période couverte par le rapport à mi-parcours : 2024-2025", 1838, "Ce rapport couvre"),
    ("mi_parcours", "Délibération et transmission du rapport à mi-parcours au plus tard le 31 mars 2026", 1842, None),
    ("mi_parcours", "Crédits de la 4e année conditionnés à l'évaluation à mi-parcours", 1342,
     "Le montant des crédits délégués pour la 4"),
    ("evaluation_finale", "Diagnostic de territoire final en 2027, sur la base du T0", 1388, None),
]

# --------------------------------------------------------------------------------------------------
# Extraction helpers
# --------------------------------------------------------------------------------------------------

BULLET_RE = re.compile(r"^(\s*)(?:[-•]\s+(?:✓\s+)?|\d+\)\s+|\d+\.\s+(?=\*\*)|-\s+\d+\)\s+)(.*)$")
HEADING_RE = re.compile(r"^#{1,6}\s")
FOOTNOTE_RE = re.compile(r"^<sup>\d+</sup>")
# Sentences naming an eligible action.
ACTION_RE = re.compile(
    r"pourr?(?:a|ont)\s+(?:également\s+|ainsi\s+|en particulier\s+|notamment\s+)?être\s+(?:financé|soutenu|cofinancé|déployé|mobilisé|retenu)"
    r"|peuvent\s+(?:ainsi\s+|également\s+)?être\s+(?:financé|cofinancé|retenu|mobilisé)"
    r"|ont vocation à être soutenus|est possible de financer|possible de soutenir"
    r"|Peut ainsi être intégré|pourront mener des actions|Pourront être soutenues",
    re.IGNORECASE,
)
EXCLUSION_RE = re.compile(r"n'inclut pas|ne peuvent être financé|est exclue?\b|non finançable", re.IGNORECASE)
CONDITION_RE = re.compile(
    r"dans la limite|ne pourra\b|à condition|obligatoirement|spécifiquement identifiées|reste cependant libre"
    r"|relèvent d'un financement|devront financer|excède|hors-plafond|sous réserve",
    re.IGNORECASE,
)
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[«*A-ZÀÂÉÈÊÎÔÛÇ])")
INDICATOR_PREFIX_RE = re.compile(r"^(?:\*|<i>|-\s+)*(?:Indicateur\s*:\s*)?", re.IGNORECASE)


def collapse(text: str) -> str:
    return " ".join(text.split())


def strip_emphasis_ends(text: str) -> str:
    """Trim list punctuation and *unbalanced* or fully-wrapping emphasis from both ends.

    "**a** b" keeps its balanced bold; "**a b**" and "a** b" lose theirs. The result stays a slice
    of the line, so it is still verbatim.
    """
    prev = None
    while prev != text:
        prev = text
        text = text.strip()
        for open_, close in (("**", "**"), ("<i>", "</i>"), ("<b>", "</b>"), ("*", "*")):
            if open_ == "*" and (text.startswith("**") or text.endswith("**")):
                continue
            n_open, n_close = text.count(open_), text.count(close)
            if open_ == close:
                if text.startswith(open_) and text.endswith(open_) and n_open == 2 and len(text) > 2 * len(open_):
                    text = text[len(open_) : -len(close)]
                elif n_open % 2 == 1 and text.startswith(open_):
                    text = text[len(open_) :]
                elif n_open % 2 == 1 and text.endswith(close):
                    text = text[: -len(close)]
            else:
                if text.startswith(open_) and text.endswith(close) and n_open == n_close == 1:
                    text = text[len(open_) : -len(close)]
                elif text.startswith(open_) and n_open > n_close:
                    text = text[len(open_) :]
                elif text.endswith(close) and n_close > n_open:
                    text = text[: -len(close)]
    return text.strip()


def norm(text: str) -> str:
    """Comparison key: no accents, emphasis, punctuation or case."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"</?\w+>|\*", " ", text.lower())
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return collapse(text)


class Builder:
    def __init__(self, lines: tuple[str, ...]):
        self.lines = lines
        self.problems: list[str] = []

    def line(self, n: int) -> str:
        return self.lines[n - 1]

    def quote(self, text: str, start: int, end: int | None = None) -> dict:
        end = start if end is None else end
        joined = collapse("\n".join(self.lines[start - 1 : end]))
        if collapse(text) not in joined:
            self.problems.append(f"not verbatim at {start}-{end}: {text[:80]!r}")
        return {"text": text, "doc_id": DOC_ID, "line_start": start, "line_end": end}

    def sentences(self, n: int) -> list[str]:
        body = self.line(n).strip()
        m = BULLET_RE.match(self.line(n))
        if m:
            body = m.group(2)
        return [s for s in (strip_emphasis_ends(p) for p in SENTENCE_SPLIT_RE.split(body)) if s]

    def sentence(self, n: int, start: str | None) -> str:
        """The sentence of line n beginning with `start` (whole line without its marker when None)."""
        if start is None:
            line = re.sub(r"^#+\s*", "", self.line(n))
            m = BULLET_RE.match(line)
            return strip_emphasis_ends(m.group(2) if m else line)
        line = self.line(n)
        i = line.find(start)
        if i < 0:
            self.problems.append(f"line {n} has no sentence starting {start!r}")
            return ""
        rest = line[i:]
        parts = SENTENCE_SPLIT_RE.split(rest, maxsplit=1)
        return strip_emphasis_ends(parts[0])

    # -- section content ------------------------------------------------------------------------

    def sub_heading(self, n: int, first: int) -> str | None:
        """The nearest sub-heading above line n inside the section (markdown heading, bold-only line,
        "➤" line or a bullet ending with ':' that introduces a block), for context."""
        for k in range(n - 1, first, -1):
            text = self.line(k).strip()
            if not text:
                continue
            if len(text) > 160 and not HEADING_RE.match(text):
                continue
            if HEADING_RE.match(text) or text.startswith("➤") or re.fullmatch(r"\*\*[^*].*\*\*", text) \
                    or re.match(r"^#+\s*➤", text) or re.fullmatch(r"-\s+[A-ZÉ][^.;]*:\s*", text) \
                    or re.fullmatch(r"\*\*\d\.\d\.[^*]+\*\*.*", text):
                return clean_heading(text)
        return None

    def bullet_block(self, n: int, last: int) -> tuple[str, int]:
        """A bullet and its indented sub-bullets: (verbatim text, last line)."""
        m = BULLET_RE.match(self.line(n))
        texts = [strip_emphasis_ends(m.group(2))]
        end = n
        k = n + 1
        while k <= last and re.match(r"^\s{2,}[-•]\s", self.line(k)):
            texts.append(self.line(k).strip())
            end = k
            k += 1
        return " ".join(texts), end


def clean_heading(text: str) -> str:
    text = re.sub(r"^#+\s*", "", text.strip())
    text = text.replace("➤", "").replace("<i>", "").replace("</i>", "")
    text = re.sub(r"<sup>\d+</sup>", "", text)
    text = text.replace("**", "").replace("*", "")
    text = re.sub(r"^-\s+", "", text)
    return collapse(text).rstrip(" :")


def split_number(heading: str) -> tuple[str, str]:
    """'2.1.4 Favoriser la mobilité' -> ('2.1.4', 'Favoriser la mobilité'); sub-axes keep their roman number."""
    m = re.match(r"^((?:\d+\.)*\d+)\.?\s+(.*)$", heading)
    if m:
        return m.group(1), m.group(2)
    m = re.match(r"^([IVX]+)\.\s+(.*)$", heading)
    if m:
        return m.group(1), m.group(2)
    return "", heading


# --------------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------------


def build(lines: tuple[str, ...], sha256: str) -> tuple[dict, list[str]]:
    b = Builder(lines)
    section_by_id: dict[str, dict] = {}
    indicator_lines: set[int] = set()
    for ind in INDICATORS:
        indicator_lines.update(range(ind["lines"][0], ind["lines"][1] + 1))
    drop = {(n, s) for n, s in DROP_ACTIONS}
    drop_lines = {n for n, s in DROP_ACTIONS if s is None}

    axes_out = []
    for ax in AXES:
        title_line = ax["title_line"]
        axis_out = {
            "axis": ax["axis"],
            "title": ax["title"],
            "annex": ax["annex"],
            "doc_id": DOC_ID,
            "line_start": ax["line_start"],
            "line_end": ax["line_end"],
            "referentiel_title": b.quote(clean_heading(b.line(title_line)), title_line),
            "conditions": [b.quote(b.sentence(n, s), n) for n, s in AXIS_CONDITIONS.get(ax["axis"], [])],
            "sections": [],
            "indicators": [],
        }
        annex_root = f"{ax['annex']} – {clean_heading(b.line(title_line))}"
        for sid, axis, parents, first, last in SECTIONS:
            if axis != ax["axis"]:
                continue
            heading = clean_heading(b.line(first))
            number, title = split_number(heading)
            path = [annex_root] + [PARTS[p][1] for p in parents] + [heading]
            for p in parents:
                if clean_heading(b.line(PARTS[p][0])) != PARTS[p][1]:
                    b.problems.append(f"part {p} heading mismatch at line {PARTS[p][0]}")
            actions = []
            seen: set[tuple[int, str]] = set()
            n = first + 1
            while n <= last:
                text_line = b.line(n)
                if (not text_line.strip() or n in NOT_ACTION_LINES or n in indicator_lines
                        or FOOTNOTE_RE.match(text_line.strip()) or n in drop_lines):
                    n += 1
                    continue
                m = BULLET_RE.match(text_line)
                if m and not m.group(1):
                    text, end = b.bullet_block(n, last)
                    if not text.endswith(":") or len(text) > 90:
                        actions.append((n, end, text))
                    n = end + 1
                    continue
                if not HEADING_RE.match(text_line):
                    for s in b.sentences(n):
                        # "...pourront être financées :" introduces a list (its items are the actions);
                        # "ne peuvent être financées" is an exclusion.
                        if s.endswith(":") or EXCLUSION_RE.search(s):
                            continue
                        if ACTION_RE.search(s) and (n, s[:40]) not in seen and (n, None) not in drop:
                            if any(s.startswith(ds) for dn, ds in drop if dn == n and ds):
                                continue
                            actions.append((n, n, s))
                            seen.add((n, s[:40]))
                n += 1
            for asid, n, start in ADD_ACTIONS:
                if asid == sid:
                    s = b.sentence(n, start)
                    if not any(a[0] == n and a[2] == s for a in actions):
                        actions.append((n, n, s))
            actions.sort(key=lambda a: (a[0], b.line(a[0]).find(a[2][:30])))
            action_out = []
            for start_line, end_line, text in actions:
                item = b.quote(text, start_line, end_line)
                # an action stated by a heading alone (2.4 domiciliation) has no heading above it
                sub = None if HEADING_RE.match(b.line(start_line)) else b.sub_heading(start_line, first)
                if sub:
                    item["heading"] = sub
                action_out.append(item)
            section = {
                "id": sid,
                "axis": axis,
                "number": number,
                "title": title,
                "heading": heading,
                "section_path": path,
                "doc_id": DOC_ID,
                "line_start": first,
                "line_end": last,
                "action_types": action_out,
                "exclusions": [],
                "conditions": [],
                "indicator_ids": [],
                "related": [{"section_id": rid, "doc_id": DOC_ID, "line": n} for rid, n in RELATED.get(sid, [])],
            }
            section_by_id[sid] = section
            axis_out["sections"].append(section)
        axes_out.append(axis_out)

    for sids, n, start in EXCLUSIONS:
        for sid in sids:
            section_by_id[sid]["exclusions"].append(b.quote(b.sentence(n, start), n))
    for sids, n, start in CONDITIONS:
        for sid in sids:
            section_by_id[sid]["conditions"].append(b.quote(b.sentence(n, start), n))
    for section in section_by_id.values():
        section["exclusions"].sort(key=lambda q: q["line_start"])
        section["conditions"].sort(key=lambda q: q["line_start"])

    # Candidates the keyword rules see but the reviewed lists do not cover: reported, never silently added.
    listed_lines = {q["line_start"] for s in section_by_id.values() for q in s["exclusions"] + s["conditions"]}
    listed_lines |= {n for lines_ in AXIS_CONDITIONS.values() for n, _ in lines_}
    review_notes = []
    for ax in AXES:
        for n in range(ax["line_start"], ax["line_end"] + 1):
            if FOOTNOTE_RE.match(b.line(n).strip()) or n in listed_lines or DINUM_SPAN[0] <= n <= DINUM_SPAN[1]:
                continue
            for s in b.sentences(n):
                if EXCLUSION_RE.search(s) or CONDITION_RE.search(s):
                    review_notes.append(f"axis {ax['axis']} l.{n}: unlisted exclusion/condition candidate: {s[:110]}")

    # -- indicators ---------------------------------------------------------------------------------
    guide = parse_guide(b)
    used_guide = set()
    for ind in INDICATORS:
        ls, le = ind["lines"]
        axis = int(ind["id"][3])
        raw = b.line(ls)
        text = strip_emphasis_ends(INDICATOR_PREFIX_RE.sub("", raw.strip()))
        text = strip_emphasis_ends(text).rstrip(" ;")
        out = {"id": ind["id"], **b.quote(text, ls, le)}
        out["breakdown"] = []
        if le > ls:
            for k in range(ls + 1, le + 1):
                m = BULLET_RE.match(b.line(k))
                if m:
                    out["breakdown"].append(b.quote(strip_emphasis_ends(m.group(2)).rstrip(" ;."), k))
        out["in_guide"] = ind["guide"] is not None
        out["guide_wording"] = None
        out["definition"] = []
        out["wording_differs"] = False
        if ind["guide"] is not None:
            entry = guide.get(ind["guide"])
            if entry is None:
                b.problems.append(f"indicator {ind['id']}: no Annexe 6 entry at line {ind['guide']}")
            else:
                used_guide.add(ind["guide"])
                if entry["axis"] != axis:
                    b.problems.append(f"indicator {ind['id']}: Annexe 6 entry under axis {entry['axis']}")
                out["guide_wording"] = entry["wording"]
                out["definition"] = entry["definition"]
                ratio = difflib.SequenceMatcher(None, norm(text), norm(entry["wording"]["text"]), autojunk=False).ratio()
                if ratio < 0.8:
                    b.problems.append(f"indicator {ind['id']}: wording far from Annexe 6 ({ratio:.2f})")
                out["wording_differs"] = norm(text) != norm(entry["wording"]["text"])
        out["context"] = [b.quote(b.sentence(n, s), n) for n, s in ind.get("context", [])]
        out["sections"] = list(ind["sections"])
        out["note"] = ind.get("note")
        axes_out[axis - 1]["indicators"].append(out)
        for sid in ind["sections"]:
            section_by_id[sid]["indicator_ids"].append(ind["id"])
    for line_no in guide:
        if line_no not in used_guide:
            b.problems.append(f"Annexe 6 entry at line {line_no} matched by no référentiel indicator")

    reporting = []
    for kind, label, n, start in REPORTING:
        reporting.append({"kind": kind, "label": label, **b.quote(b.sentence(n, start), n)})

    data = {
        "doc_id": DOC_ID,
        "source_sha256": sha256,
        "generated_by": "scripts/build_referentiel.py",
        "annexe6_guide": {"doc_id": DOC_ID, "line_start": GUIDE_SPAN[0], "line_end": GUIDE_SPAN[1]},
        "axes": axes_out,
        "reporting": reporting,
    }
    check_structure(data, b)
    return data, b.problems + [f"review: {r}" for r in review_notes]


GUIDE_WORDING_RE = re.compile(r"\*{1,3}((?:Nombre|Parmi)[^*]+?)\*{1,3}\s*$")
# What each definition paragraph of Annexe 6 tells: first match wins (a paragraph on counting that
# mentions the calendar year is about counting).
DEFINITION_KINDS = [
    ("indicateurs_locaux", re.compile(r"^(?:Des |Dans la construction des |La mise en place d'(?:un |des )?)indicateurs? loca(?:l|ux)|^Pour les plateformes SLIME", re.I)),
    ("decompte", re.compile(r"comptabilis|décompte|estimation|une « famille » sera|ne seront concernées que|mêmes modalités", re.I)),
    ("periode", re.compile(r"période|année civile|remontée de mars|rentrée", re.I)),
    ("perimetre", re.compile(r"concerne|concerné|englobe|définie?s? comme|sont considérés|définition|pris(?:es)? en compte|valorisées|n'ont pas nécessairement|conditions d'accès", re.I)),
]


def parse_guide(b: Builder) -> dict[int, dict]:
    """Annexe 6 entries keyed by the line of their wording: wording, breakdown, definition paragraphs."""
    first, last = GUIDE_SPAN
    entries: dict[int, dict] = {}
    axis = None
    current = None
    for n in range(first, last + 1):
        raw = b.line(n).strip()
        if n in GUIDE_AXIS_LINES:
            axis = GUIDE_AXIS_LINES[n]
        m = GUIDE_WORDING_RE.search(raw) if axis else None
        if m:
            current = {"axis": axis, "wording": b.quote(m.group(1).strip(), n), "definition": []}
            entries[n] = current
            continue
        if current is None or not raw or n in GUIDE_AXIS_LINES:
            continue
        if re.match(r"^-\s", raw) and current["wording"]["text"].endswith(":"):
            continue  # the breakdown of an indicator ("nombre de : - ...") is part of its wording
        m = BULLET_RE.match(raw)
        text = strip_emphasis_ends(m.group(2) if m else raw)
        item = b.quote(text, n)
        previous = current["definition"][-1] if current["definition"] else None
        if m and previous and previous["text"].endswith((":", ";")):
            item["kind"] = previous["kind"]  # a list item says what its introduction says
        else:
            item["kind"] = next((k for k, rx in DEFINITION_KINDS if rx.search(text)), "autre")
        current["definition"].append(item)
    return entries


def check_structure(data: dict, b: Builder) -> None:
    ids = {s["id"] for a in data["axes"] for s in a["sections"]}
    for sid, refs in RELATED.items():
        for rid, _ in refs:
            if sid not in ids or rid not in ids:
                b.problems.append(f"related: unknown section {sid} or {rid}")
    for axis in data["axes"]:
        if not axis["sections"]:
            b.problems.append(f"axis {axis['axis']} has no section")
        if not axis["indicators"]:
            b.problems.append(f"axis {axis['axis']} has no indicator")
        for s in axis["sections"]:
            if not s["action_types"]:
                b.problems.append(f"section {s['id']} has no action type")
            if not (axis["line_start"] <= s["line_start"] <= s["line_end"] <= axis["line_end"]):
                b.problems.append(f"section {s['id']} outside its axis")
            for a in s["action_types"]:
                if not (s["line_start"] <= a["line_start"] <= a["line_end"] <= s["line_end"]):
                    b.problems.append(f"action outside section {s['id']} at {a['line_start']}")


def render(data: dict) -> str:
    header = (
        "# GENERATED by scripts/build_referentiel.py from corpus/instruction-DGCS-2023-168-metropoles.md,\n"
        "# then reviewed; corrections live in the script as explicit overrides. Do not edit by hand.\n"
        "# Every `text` is verbatim from lines line_start..line_end of the corpus file (markdown kept).\n"
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the data file is not up to date")
    parser.add_argument("--review", action="store_true", help="print candidates left out, for the reviewer")
    args = parser.parse_args(argv)
    doc = load_corpus(ROOT / "corpus")[DOC_ID]
    data, problems = build(doc.lines, doc.sha256)
    errors = [p for p in problems if not p.startswith("review: ")]
    if args.review:
        for p in problems:
            print(p)
    if errors:
        for p in errors:
            print("ERROR:", p, file=sys.stderr)
        return 1
    text = render(data)
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is not up to date: run scripts/build_referentiel.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    n_sections = sum(len(a["sections"]) for a in data["axes"])
    n_actions = sum(len(s["action_types"]) for a in data["axes"] for s in a["sections"])
    n_ind = sum(len(a["indicators"]) for a in data["axes"])
    print(f"wrote {OUT.relative_to(ROOT)}: {n_sections} sections, {n_actions} action types, {n_ind} indicators")
    return 0


if __name__ == "__main__":
    sys.exit(main())
