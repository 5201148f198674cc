"""The first stage of an answer: what was asked, made whole and analysed once for every later stage.

`Query` carries the question as asked, the question the answer says it understood (a follow-up completed with the
turn it follows, orders to the system removed), the text matched against the corpus, its e5 vector (computed once,
shared by the retrieval and the learned models) and the learned intent probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .categories import answer_type, collectivite_in, in_corpus_words, is_follow_up, without_orders
from .validation import clean_text

# The intent model's labels, and the category each gives to an answer ("definition" questions are "other").
CATEGORY_OF_INTENT = {"eligibility": "eligibility", "indicator": "indicator", "financial": "financial",
                      "procedure": "procedure", "definition": "other"}


@dataclass
class Turn:
    question: str
    answer: str = ""


@dataclass
class Query:
    text: str  # as asked, cleaned
    asked: str  # what the answer says it understood (a follow-up made whole)
    matched: str  # what is matched against the corpus (spoken idioms put the corpus's way)
    vector: np.ndarray | None = None
    intents: dict[str, float] = field(default_factory=dict)
    verdict_probability: float | None = None  # learned: does the question ask for an eligibility verdict
    follow_up: bool = False
    collectivite: str | None = None  # the collectivity type the question is asked for
    named_collectivite: str | None = None  # the one the question's own words name (a follow-up: not its previous turn)
    # A follow-up's own words, apart from the turn they complete ("Et le montant maximum ?"): their intents.
    own_intents: dict[str, float] = field(default_factory=dict)

    @property
    def intent(self) -> str:
        """The most probable intent other than out_of_scope: an out-of-scope question still pretends to be about
        something, and its category is that."""
        ranked = sorted(((p, i) for i, p in self.intents.items() if i != "out_of_scope"), reverse=True)
        return ranked[0][1] if ranked else "definition"

    @property
    def category(self) -> str:
        return CATEGORY_OF_INTENT.get(self.intent, "other")

    @property
    def out_of_scope(self) -> float:
        return self.intents.get("out_of_scope", 0.0)

    @property
    def answer_type(self) -> str | None:
        return answer_type(self.matched)


def make_query(question: str, history: list[Turn] | None = None) -> Query:
    """The question cleaned, its orders to the system dropped (data, not instructions), a follow-up completed with
    the question it follows."""
    text = clean_text(question)
    resolved = without_orders(text)
    follow_up = bool(history) and is_follow_up(resolved)
    if follow_up:
        resolved = f"{without_orders(history[-1].question)} {resolved}"
    # "Et un département ?" after a métropole's question asks for a département: the collectivity the follow-up
    # names wins over the one of the turn it completes.
    named = collectivite_in(text)
    return Query(text=text, asked=resolved, matched=in_corpus_words(resolved), follow_up=follow_up,
                 collectivite=named or collectivite_in(resolved), named_collectivite=named)
