"""Question category and follow-up detection, by transparent keyword rules on normalised text."""

from __future__ import annotations

import re

from .lexical import normalise

CATEGORIES = ("eligibility", "indicator", "financial", "procedure", "other")

# Checked in this order; the first family with a match wins.
_PATTERNS = {
    "eligibility": r"eligib|finan[cç]able|peut[- ]on (?:financer|inscrire|contractualiser|faire|mettre|soutenir|proposer|retenir)"
    r"|peut[- ](?:il|elle|ils|elles) (?:etre )?(?:financ|inscri|contractualis|soutenu|retenu|prendre)|possible de (?:financer|contractualiser|inscrire)"
    r"|(?:rentre|entre)[- ]t?[- ]?(?:il|elle)? ?dans (?:le|un|les) (?:referentiel|pacte|contrat)|est[- ]ce (?:que )?.*(?:financ|eligib)"
    r"|(?:est|sont)[- ](?:il|elle|ils|elles)? ?(?:exclu|autorise|admis)|exclu(?:e|es|s)? du|relev\w* du referentiel",
    "indicator": r"indicateur|comptabilis|compte[- ]t[- ]on|qui (?:est|sont) compte|reporting|remonte[er]? |remontee|\bt0\b|cible|trajectoire|renseign",
    "financial": r"cofinanc|co-financ|\bpart (?:de l )?etat|plafond|montant|credit|budget|fongib|\bfse\b|\bfse\+|enveloppe|\d+ ?%|pourcentage"
    r"|\beuros?\b|€|subvention|parite|50 ?/ ?50|plancher|socle minimal|cee\b|taux",
    "procedure": r"calendrier|quand|date|delai|signature|signe|signataire|comite|gouvernance|evaluation|avenant|duree|deliber|rapport|"
    r"mi-parcours|negoci|convention|qui (?:pilote|suit)|comitologie|echeance",
}

_FOLLOW_UP = re.compile(
    r"^(?:et|mais|aussi|pareil|idem|meme chose|dans ce cas|alors|sinon|ou|et si)\b|^(?:pour|en) (?:une?|les?|la|l)\b"
    r"|\b(?:celle-ci|celui-ci|ceux-ci|celles-ci|cela|ca|ce dispositif|cette action|ce cas|la meme|le meme)\b"
)


def classify(question: str) -> str:
    text = normalise(question)
    for category, pattern in _PATTERNS.items():
        if re.search(pattern, text):
            return category
    return "other"


def is_follow_up(question: str) -> bool:
    """A short elliptic question that only makes sense with the previous turn ("et pour une métropole ?")."""
    text = normalise(question).strip(" ?!.")
    return len(text.split()) <= 8 and bool(_FOLLOW_UP.search(text))


def collectivite_in(text: str) -> str | None:
    folded = normalise(text)
    if re.search(r"\bmetropol", folded):
        return "metropole"
    if re.search(r"\bdepartement|conseil departemental|\bcd\d*\b", folded):
        return "departement"
    return None
