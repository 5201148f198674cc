"""What the corpus offers a question: the evidence the abstention model weighs (assistant.learned.abstention).

None of these decides anything alone. A question naming something the corpus never mentions (another programme,
place or year), asking for a figure no passage gives, or sharing little specific vocabulary with the best passages is
*likely* out of scope; how likely, given everything else, is learned from the train split.
"""

from __future__ import annotations

import math
import re

from .categories import ANSWER_TYPES
from .lexical import analyse, normalise, terms, weighted_overlap
from .retrieval import Ranking, Retriever
from .sentences import split_units

# Words that ask for a figure without saying what it is about.
_ASKING_FOR_A_FIGURE = frozenset(analyse("combien pourcentage maximum maximal maximale minimum minimal minimale"))
_YEAR = re.compile(r"(?<![\d,.])(?:19|20)\d\d(?![\d,]| ?€| ?%)")
# What a local contract says (its credits, its signatories): asked of a collectivity the corpus has no document on,
# the corpus cannot answer it; asked of the rules that apply to every collectivity, it can.
_LOCAL_MATTER = re.compile(r"\bcontrat|\bcredit|\balloue|\brecu\b|\bverse|\benveloppe|\bmontant|\bcomite de pilotage|\bsignataire|\bpacte local")
# A collectivity named in a question: "Métropole de Lyon", "département du Nord", "la Seine-Saint-Denis".
_COLLECTIVITY = re.compile(
    r"\b(?:[Mm]étropole|[Dd]épartement|[Cc]onseil départemental|[Rr]égion|[Cc]ommunauté urbaine|[Cc]ommunauté d'agglomération)"
    r"(?: européenne)?\s+(?:de la |de l['’]|des |du |de |d['’])?([A-ZÉÈÎ][\w'’-]*(?:[ -](?:de |du |d['’])?[A-ZÉ][\w'’-]*)*)"
    r"|\b(?:la|le|les|l['’])\s*([A-ZÉ][\w'’]*(?:-[\w'’]+)+)"
)

NAMES = ["p_out_of_scope", "p_intent_max", "top_score", "second_score", "score_gap", "top_dense", "top_ep_dense",
         "top_ep_lex", "coverage_top3", "coverage_best", "unit_coverage", "asks_figure", "figure_coverage",
         "unknown_names", "unknown_years", "other_collectivity", "other_collectivity_local", "rare_names_absent", "unknown_mass", "query_terms",
         "log_top_bm25"]


def question_names(query: str) -> list[str]:
    """Capitalised words past the start of a sentence, and words shaped like names anywhere (ERASMUS, Erasmus+,
    MaPrimeRénov, Hauts-de-France)."""
    names = []
    for match in re.finditer(r"[\w’'+-]+", query):
        word, before = match.group(0), query[: match.start()].rstrip()
        if not word[:1].isupper() or not analyse(word):
            continue
        at_start = not before or before[-1] in ".?!:;"
        shaped = (word.isupper() and len(word) > 1) or word.endswith("+") or any(c.isupper() for c in word[1:])
        if at_start and not shaped:
            continue
        names.append(word)
    return names


def other_collectivities(query: str, territories: list[str]) -> list[str]:
    """Collectivities the question names that no document of the corpus is about (manifest territories)."""
    known = [normalise(t) for t in territories if t]
    out = []
    for match in _COLLECTIVITY.finditer(query):
        folded = normalise(match.group(1) or match.group(2))
        if not any(folded in k or k in folded for k in known):
            out.append(match.group(1) or match.group(2))
    return out


def evidence(query_text: str, intents: dict[str, float], ranking: Ranking, retriever: Retriever,
             territories: list[str], wanted: str | None, units_of: int = 5) -> list[float]:
    """The evidence row (in NAMES order) for a question and its ranking."""
    idf = retriever.bm25.idf
    weights = retriever.bm25.query_weights(query_text)
    total = sum(weights.values()) or 1.0
    found = ranking.candidates
    chunks = [retriever.chunks[found.positions[n]] for n in ranking.order[:units_of]]
    scores = ranking.scores + [0.0, 0.0]
    top_text = "\n".join(c.embed_text() for c in chunks[:3])
    coverage_top3 = weighted_overlap(weights, terms(top_text)) / total
    coverage_best = max((s.coverage for s in found.signals), default=0.0)
    # Sentences: the best share of the question one sentence holds, and for figure questions one holding a figure.
    topical = {t: w for t, w in without_figure_words(retriever, query_text).items()}
    topical_total = sum(topical.values()) or 1.0
    unit_best = figure_best = 0.0
    figure = ANSWER_TYPES["number"][1]
    for chunk in chunks:
        heading = terms(" ".join(chunk.section_path[-2:]))
        for unit in split_units(chunk):
            unit_terms = terms(unit.text)
            unit_best = max(unit_best, weighted_overlap(weights, unit_terms) / total)
            if figure.search(_YEAR.sub(" ", unit.text)):
                figure_best = max(figure_best, weighted_overlap(topical, unit_terms | heading) / topical_total)
    names = question_names(query_text)
    unknown = [w for w in names if all(t not in idf for t in analyse(w))]
    years = [y for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", query_text) if y not in idf]
    kept = set(analyse(retriever.without_document_name(query_text)))
    seen = set()
    for chunk in chunks[:3]:
        seen.update(terms(chunk.embed_text()))
    absent = [w for w in names if not w.isupper()
              and (tokens := [t for t in analyse(w) if t in kept and idf.get(t, 0.0) >= 3.5])
              and not any(t in seen for t in tokens)]
    unknown_mass = sum(w for t, w in weights.items() if t not in idf) / total
    asks_figure = wanted == "number"
    elsewhere = other_collectivities(query_text, territories)
    return [
        intents.get("out_of_scope", 0.0),
        max((p for i, p in intents.items() if i != "out_of_scope"), default=0.0),
        scores[0], scores[1], scores[0] - scores[1],
        found.tops.get("dense", 0.0), found.tops.get("ep_dense", 0.0), found.tops.get("ep_lex", 0.0),
        coverage_top3, coverage_best, unit_best,
        float(asks_figure), figure_best if asks_figure else 1.0,
        float(len(unknown)), float(len(years)), float(bool(elsewhere)), float(bool(elsewhere) and bool(_LOCAL_MATTER.search(normalise(query_text)))),
        float(len(absent)), unknown_mass, float(len(weights)),
        math.log1p(found.tops.get("bm25", 0.0)),
    ]


def without_figure_words(retriever: Retriever, query_text: str) -> dict[str, float]:
    return {t: w for t, w in retriever.bm25.query_weights(query_text).items() if t not in _ASKING_FOR_A_FIGURE}
