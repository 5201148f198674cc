"""The action a question is about: the question without the words that frame it ("Peut-on financer …, c'est
possible ?") and without orders to the system. Shared by the eligibility engine (at assessment) and the training of
the section model (on the same texts), so that what the model learns from is what it is asked.
"""

from __future__ import annotations

import re

from .categories import without_orders
from .lexical import analyse

# Question framing around the action ("Peut-on financer …, c'est possible ?"): removed for ranking and coverage.
_FRAMING = [
    r"\best[- ]ce\s+qu(?:e\b|['’])",
    r"\b(?:une|la|notre|les|des)\s+(?:m[ée]tropoles?|collectivit[ée]s?|d[ée]partements?)\s+(?:qui\s+\S+\s+)?(?:peut|peuvent|pourrait|pourraient)[- ](?:elle|il|ils|elles)\b",
    r"\b(?:le|un)\s+pacte(?:\s+local)?\s+(?:peut|pourrait)[- ]il\b",
    r"\b(?:peut|peuvent|pourrait|pourraient|puis|pouvons|pourrions)[- ](?:on|il|elle|ils|elles|je|nous)\b",
    r"\b(?:on|nous)\s+(?:peut|pourrait|voudrait|veut|souhaite|voudrions|voulons|souhaitons|aimerait|envisage)\b",
    r"\b(?:est|sont)[- ](?:il|elle|ils|elles)\s+(?:possible|possibles)\s+de\b",
    r"\b(?:c['’]est|est[- ]ce|ce serait|serait[- ]ce)\s+(?:possible|finan[çc]able|[ée]ligible|pr[ée]vu|autoris[ée])\b",
    r"\bpossible\s+de\b",
    r"\b[çc]a\s+(?:se\s+finance|rentre|entre|passe)\b",
    r"\b(?:finan[çc]ables?|[ée]ligibles?)\b",
    r"\b(?:en|d['’]|l['’])?(?:[êe]tre|etre)\s+(?:financ|cofinanc|pay|soutenu|retenu|inscrit|contractualis|pris en charge)\w*",
    r"\b(?:avec|par|sur|dans)\s+(?:le|son|leur|notre|un|les|nos|ses)\s+(?:pacte|contrat)s?(?:\s+locaux?|\s+local)?(?:\s+des\s+solidarit[ée]s)?\b",
    r"\b(?:avec|sur|par)\s+(?:les\s+)?cr[ée]dits\s+(?:du|de\s+la|des|de\s+l['’])\s*(?:pacte|contrat|[ée]tat)(?:\s+local)?\b",
    r"\b(?:c['’]est\s+)?(?:pr[ée]vue?s?\s+)?dans\s+(?:le|les)\s+r[ée]f[ée]rentiels?(?:\s+\w+)?\b",
    # how the action would be financed says nothing about its topic ("dont la part de l'État serait couverte par le FSE+")
    r"\b(?:dont|avec|et)\s+la\s+part\s+(?:de\s+l['’]\s*[ée]tat|[ée]tat|de\s+la\s+m[ée]tropole|m[ée]tropole)[^.;]*",
    r"\b(?:co)?financ[ée]e?s?\s+(?:par|sur)\s+(?:le|la|une|un|du|les)\s+(?:subvention\s+du\s+)?(?:FSE\+?|fonds\s+social\s+europ[ée]en)[^.;]*",
]
_FRAMING_RX = [re.compile(p, re.IGNORECASE) for p in _FRAMING]


def action_text(text: str) -> str:
    """The described action without the question around it and without orders to the system."""
    text = without_orders(text)
    stripped = text
    for rx in _FRAMING_RX:
        stripped = rx.sub(" ", stripped)
    stripped = re.sub(r"\s+([,;:?!.])", r"\1", " ".join(stripped.split())).strip(" ,;:?!.")
    return stripped if len(analyse(stripped)) >= 1 else text
