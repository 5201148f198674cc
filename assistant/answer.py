"""Grounded, extractive answers: retrieve, pick the sentences that answer, cite them tightly, or abstain.

Every citation comes from a retrieved hit, and its quote is a verbatim slice of the corpus lines it cites.
An optional LLM (PACTE_LLM_URL) may rephrase from the same passages; its citations are re-validated
(assistant.generation) and the extractive answer stays the fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .categories import answer_type, without_orders
from .config import Settings
from .corpus import load_corpus
from .indicator_answer import IndicatorLookup
from .learned.models import Models
from .candidates import candidates
from .evidence import NAMES, evidence, other_collectivities
from .query import Query, Turn, make_query
from .lexical import analyse, normalise, weighted_overlap
from .retrieval import Retriever
from .schema import Document, Hit
from .sentences import Unit, chunk_containing, split_units, with_antecedent, with_body, with_list

# The collectivity types of the manifest's `addressed_to`, as the answer names them (plural, with article).
COLLECTIVITE_LABELS = {"metropole": ("métropoles", "une métropole"), "departement": ("départements", "un département")}

VERDICT_LABELS = {
    "eligible": "Éligible",
    "eligible_with_conditions": "Éligible sous conditions",
    "excluded": "Exclu",
    "not_in_referential": "Hors référentiel",
}


@dataclass(frozen=True)
class AnswerConfig:
    """Tuned on the dev questions (eval/datasets/dev_questions.jsonl) with `pacte eval`."""

    hits: int = 10  # ranked hits returned with the answer
    candidate_hits: int = 5  # hits whose sentences may be quoted
    max_citations: int = 2
    # A further sentence (the best one always is) is quoted if its probability of answering is at least this share of
    # the best one's and at least `absolute_floor`; from another passage than the best one's, at least `other_passage_floor` of it.
    relative_floor: float = 0.8
    absolute_floor: float = 0.2
    other_passage_floor: float = 0.9
    context_chars: int = 450  # a quoted sentence is extended with its neighbours in its paragraph up to this
    # Below this probability that the corpus answers (assistant.learned.abstention), the answer is an abstention.
    # None: the model's own threshold, chosen on the train split.
    answerable_threshold: float | None = None
    # An abstention suggests at most `max_suggestions` sections: first hits whose cosine similarity to the question
    # (e5) reaches this floor. Measured on dev (bench/suggestions.py): questions about something else entirely stay
    # under 0.83; at 0.86, 46 % of the hits kept hold gold lines and half the near-miss questions get a suggestion.
    suggestion_floor: float = 0.86
    # A sentence's probability is weighted by its passage's score relative to the best passage's, to this power
    # (dev, pacte eval run --dataset dev_questions: citation precision 0.790 at 0, 0.796 at 0.5, 0.794 at 1).
    passage_weight: float = 1.0
    # An added document (no hypothetical questions) answers when its best passage holds this share of the
    # question's idf-weighted words (see `answerable`).
    added_min_coverage: float = 0.5
    max_suggestions: int = 3


# One sentence: the sections it may relate to are given apart, as `suggestions`.
ABSTENTION = "Le corpus ne le précise pas : aucun passage des documents indexés ne répond à cette question."

# "X, c'est quoi ?", "que veut dire X ?": answered by the sentence where the corpus defines the acronym.
DEFINITION_QUESTION = re.compile(r"\best quoi\b|veut dire|signifi|\best[- ]ce que\b|definition|que designe|\bkesako\b")



@dataclass
class Answer:
    question: str
    category: str
    answer: str
    verdict: str | None
    abstained: bool
    citations: list[dict]
    hits: list[dict]
    resolved_question: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = {
            "question": self.question,
            "category": self.category,
            "answer": self.answer,
            "verdict": self.verdict,
            "abstained": self.abstained,
            "citations": self.citations,
            "hits": self.hits,
        }
        if self.resolved_question and self.resolved_question != self.question:
            data["resolved_question"] = self.resolved_question
        data.update(self.extra)
        return data


def make_citation(number: int, unit: Unit, document: Document, score: float) -> dict:
    return {
        "id": number,
        "doc_id": unit.chunk.doc_id,
        "doc_title": document.title,
        "section_path": list(unit.chunk.section_path),
        "line_start": unit.line_start,
        "line_end": unit.line_end,
        "quote": " ".join(unit.text.split()),
        "score": round(float(score), 4),
    }


class Answerer:
    """Retrieval + sentence selection + abstention. Pure given a loaded Retriever."""

    def __init__(self, retriever: Retriever, documents: dict[str, Document], config: AnswerConfig = AnswerConfig(),
                 models: Models | None = None):
        self.retriever = retriever
        self.documents = documents
        self.config = config
        self.models = models
        self._idf = retriever.bm25.idf
        self.indicators = IndicatorLookup(retriever.chunks, retriever.bm25)

    # -- query ----------------------------------------------------------------------------------------------------
    def analyse(self, question: str, history: list[Turn] | None = None) -> Query:
        query = make_query(question, history)
        query.vector = self.retriever.query_vector(query.matched)
        if self.models is not None:
            query.intents = self.models.intent.probabilities(query.matched, query.vector)
            query.verdict_probability = self.models.verdict.probability(query.matched, query.vector)
            if query.follow_up:
                query.own_intents = self.models.intent.probabilities(query.text, self.retriever.query_vector(query.text))
        return query

    def own_intent(self, query: Query) -> str | None:
        """What a follow-up's own words ask for (None for a question that stands alone)."""
        return max(query.own_intents, key=query.own_intents.get) if query.own_intents else None

    def wants_verdict(self, query: Query) -> bool:
        """Whether the question asks for an eligibility verdict: the learned verdict model when trained (a financial
        question can ask one: "peut-on cofinancer un poste existant ?"), else the eligibility intent. A follow-up
        asking for a figure or a step about the previous action ("Et le montant maximum ?") does not ask for its
        verdict again, unless it names the collectivity it asks for ("Et pour un département ?"). One asking for its
        indicators keeps it: the section they come from, or why there are none."""
        if self.own_intent(query) in ("financial", "procedure") and not query.named_collectivite:
            return False
        if self.models is not None and query.verdict_probability is not None:
            return query.verdict_probability >= self.models.verdict.threshold
        return query.category == "eligibility"

    # -- query terms ---------------------------------------------------------------------------------------
    def _weights(self, text: str) -> dict[str, float]:
        return self.retriever.bm25.query_weights(text)

    def coverage(self, weights: dict[str, float], text: str) -> float:
        """Share of the query's idf mass found in `text`."""
        total = sum(weights.values())
        if not total:
            return 0.0
        return weighted_overlap(weights, set(analyse(text))) / total

    # -- sentence selection -----------------------------------------------------------------------------------
    def select_units(self, query: Query, ranking) -> list[tuple[Unit, float]]:
        """The units that answer, by the learned sentence ranker: the best one, and the next ones that score nearly
        as well (from another passage, nearly as well as the best)."""
        cfg = self.config
        model = self.models.sentences if self.models is not None else None
        found = candidates(ranking, self.retriever, self._weights(query.matched), query.answer_type, query.intents,
                           model, cfg.candidate_hits)
        if not found:
            return []
        if cfg.passage_weight:
            # The sentence model sees one sentence at a time: a sentence of a passage the ranker put far below the
            # best one needs to be that much more convincing.
            top = max(c.passage_score for c in found) or 1.0
            found = sorted((replace(c, score=c.score * (max(c.passage_score, 0.0) / top) ** cfg.passage_weight)
                            for c in found), key=lambda c: (-c.score, c.passage_rank, c.unit.line_start))
        best = found[0].score
        chosen: list[tuple[Unit, float]] = []
        for c in found:
            # The best unit is always quoted: whether the corpus answers at all is the abstention model's decision.
            if chosen and (len(chosen) >= cfg.max_citations or c.score < max(cfg.relative_floor * best, cfg.absolute_floor)):
                break
            if chosen and c.unit.chunk.id != chosen[0][0].chunk.id and c.score < cfg.other_passage_floor * best:
                continue
            if any(_overlaps(c.unit, other) for other, _ in chosen):
                continue
            chosen.append((c.unit, c.score))
        # Two sentences of one paragraph each grow into the paragraph with their neighbours: quote it once.
        expanded: list[tuple[Unit, float]] = []
        for unit, score in chosen:
            _add(expanded, with_body(with_list(with_antecedent(self._with_neighbours(unit))), cfg.context_chars), score)
        chosen = expanded
        # Reading order within the answer: by document position, so the quoted text flows.
        return sorted(chosen, key=lambda item: (item[0].chunk.doc_id != chosen[0][0].chunk.doc_id, item[0].line_start))

    def _with_neighbours(self, unit: Unit) -> Unit:
        """The sentence with the sentences next to it in its paragraph, up to `context_chars`: the answer gains the
        context a reader needs (often where the figure or the condition is), the citation the lines they add."""
        limit = self.config.context_chars
        if limit <= len(unit.text):
            return unit
        siblings = [u for u in split_units(unit.chunk) if u.block == unit.block and u.kind == unit.kind]
        text = unit.chunk.text
        spans = [(text.find(u.text), u) for u in siblings]
        spans = sorted(((start, u) for start, u in spans if start >= 0), key=lambda item: item[0])  # repeated sentences tie
        centre = next((i for i, (_, u) in enumerate(spans) if u.text == unit.text), None)
        if centre is None:
            return unit
        first = last = centre
        while True:
            grown = False
            for candidate in (last + 1, first - 1):
                if 0 <= candidate < len(spans):
                    lo, hi = min(first, candidate), max(last, candidate)
                    length = spans[hi][0] + len(spans[hi][1].text) - spans[lo][0]
                    if length <= limit:
                        first, last, grown = lo, hi, True
            if not grown:
                break
        start = spans[first][0]
        end = spans[last][0] + len(spans[last][1].text)
        return Unit(unit.chunk, spans[first][1].line_start, spans[last][1].line_end, text[start:end], unit.kind,
                    block=unit.block)

    def definition_units(self, question: str) -> list[tuple[Unit, float]]:
        """For "what is X?" questions, the sentence where the corpus defines the acronym X (glossary)."""
        if not DEFINITION_QUESTION.search(normalise(question)):
            return []
        for acronym, entry in self.retriever.index.glossary.items():
            bare = acronym.rstrip("+")
            if entry.doc_id is None or not re.search(r"(?<!\w)" + re.escape(bare) + r"(?!\w)", question, re.IGNORECASE):
                continue
            chunk = chunk_containing(self.retriever.chunks, entry.doc_id, entry.line)
            if chunk is None:
                continue
            candidates = [u for u in split_units(chunk) if u.line_start <= entry.line <= u.line_end and acronym in u.text]
            # The sentence that spells it out: "long form (ACRO)" or "ACRO (long form)".
            defining = [u for u in candidates if f"({acronym})" in u.text or f"{acronym} (" in u.text]
            if defining or candidates:
                return [((defining or candidates)[0], 1.0)]
        return []

    # -- abstention -------------------------------------------------------------------------------------------------
    def answerable(self, query: Query, ranking) -> tuple[float, bool]:
        """P(the corpus answers the question), from the evidence of its ranking (assistant.evidence), and whether an
        added document answers it on its own evidence (then the model's threshold does not apply)."""
        if self.models is None:
            return 1.0, False
        row = evidence(query.matched, query.intents, ranking, self.retriever, self.retriever.territories, query.answer_type)
        probability = self.models.abstention.probability(row)
        top = ranking.candidates.positions[ranking.order[0]] if ranking.order else None
        if top is not None and self.retriever.chunks[top].doc_id in self.retriever.added:
            # The model learned from the shipped documents, whose passages all have hypothetical questions (entry
            # points); a document a user added has none, so the entry-point evidence is missing, not negative:
            # there, the share of the question's (idf-weighted) words its best passage holds stands in for it.
            coverage = row[NAMES.index("coverage_best")]
            if coverage >= self.config.added_min_coverage and not row[NAMES.index("other_collectivity")]:
                return max(probability, coverage), True
        return probability, False

    # -- answer ------------------------------------------------------------------------------------------------
    def answer(self, question: str, history: list[Turn] | None = None, verdict_fn=None) -> Answer:
        query = self.analyse(question, history)
        question, asked, resolved, category, intents = query.text, query.asked, query.matched, query.category, query.intents
        ranking = self.retriever.rank(resolved, query.vector, intents)
        hits = self.retriever.hits(ranking, self.config.hits)
        hit_dicts = [h.to_dict() for h in hits]
        answerable, added_answers = self.answerable(query, ranking)
        elsewhere = other_collectivities(query.matched, self.retriever.territories)
        signals = {"answerable_probability": round(answerable, 3), "other_collectivity": elsewhere[0] if elsewhere else None,
                   "intents": {str(i): round(p, 3) for i, p in sorted(intents.items(), key=lambda x: -x[1])}}
        if query.verdict_probability is not None:
            signals["verdict_probability"] = round(query.verdict_probability, 3)
        # A follow-up naming a collectivity ("Et pour un département ?") asks about the previous turn's action for
        # it: that action is assessed, not the two turns' words. Any other follow-up adds to the action ("Et si elle
        # existe déjà ?", "Et les maraudes ?"): the completed question is.
        again = query.follow_up and query.named_collectivite
        action = without_orders(history[-1].question) if again else resolved
        verdict_block = verdict_fn(action, query.collectivite, hits) if (verdict_fn and self.wants_verdict(query)) else None
        definition = self.definition_units(resolved)

        def abstention() -> Answer:
            extra = {"signals": signals, "confidence": round(1.0 - answerable, 3),
                     "suggestions": self.suggestions(ranking, hits)}
            return Answer(question, category, ABSTENTION, None, True, [], hit_dicts, asked, extra)

        threshold = self.config.answerable_threshold
        if threshold is None:
            threshold = self.models.abstention.threshold if self.models is not None else 0.0
        if answerable < threshold and not added_answers:
            return abstention()
        units = self.select_units(query, ranking)
        citations, parts = [], []
        structured = verdict_block.get("units", []) if verdict_block else []
        followed = self.previous_action_indicators(query, history, verdict_fn, hits)
        if followed:
            structured = followed
        elif category == "indicator" and self.indicators is not None:
            structured = self.indicators.units(resolved, when=answer_type(resolved) == "date")
        if not structured:
            structured = definition
        if structured:
            # A quoted sentence announcing a list is quoted with its items, wherever it comes from.
            structured = [(with_body(with_list(with_antecedent(unit)), self.config.context_chars), score)
                          for unit, score in structured]
            units = _merge_units(structured, units, self.config.max_citations + (1 if verdict_block else 0))
            # Référentiel passages found by the structured lookup are retrieved hits too: list them.
            listed = {h.chunk.id for h in hits}
            for unit, _ in units:
                if unit.chunk.id not in listed:
                    listed.add(unit.chunk.id)
                    hit_dicts.append(Hit(unit.chunk, 0.0, len(hit_dicts) + 1, {"referentiel": 1}).to_dict())
        for number, (unit, score) in enumerate(units, start=1):
            citations.append(make_citation(number, unit, self.documents[unit.chunk.doc_id], score))
            parts.append(f"{_sentence(unit.display)} [{number}]")
        if not citations:
            return abstention()
        verdict = verdict_block["verdict"] if verdict_block else None
        lead = ""
        if verdict:
            lead = verdict_block.get("summary") or f"{VERDICT_LABELS[verdict]}."
            lead += "\n\n"
        extra = {"signals": signals, "confidence": round(answerable, 3)}
        coverage = self.coverage_note(query.collectivite, citations)
        if coverage:
            extra["coverage"] = coverage
            lead += coverage["note"] + "\n\n"
        text = lead + " ".join(parts)
        return Answer(question, category, text, verdict, False, citations, hit_dicts, asked, extra)

    def previous_action_indicators(self, query: Query, history, verdict_fn, hits) -> list[tuple[Unit, float]]:
        """"Quels indicateurs pour cette action ?": the national indicators of the référentiel section the previous
        turn's action falls in (assessed again from that turn: the history carries questions, not our state)."""
        if not (query.follow_up and history and verdict_fn and self.models is not None and self.indicators is not None):
            return []
        # The follow-up's own words say it asks for indicators (the completed question is the previous action's).
        if self.own_intent(query) != "indicator":
            return []
        previous = verdict_fn(history[-1].question, query.collectivite, hits)["assessment"]
        if previous.get("axis") is None or not previous.get("sections"):
            return []
        return self.indicators.section_units(previous["sections"][0]["section_id"])

    def coverage_note(self, collectivite: str | None, citations: list[dict]) -> dict | None:
        """When the answer rests on a text addressed to other collectivities than the one asked about (the corpus
        holds the métropoles' instruction, not the départements'), a note saying so."""
        if collectivite not in COLLECTIVITE_LABELS:
            return None
        for doc_id in dict.fromkeys(c["doc_id"] for c in citations):
            addressed = self.documents[doc_id].addressed_to
            if addressed and collectivite not in addressed:
                to = ", ".join(COLLECTIVITE_LABELS[a][0] for a in addressed if a in COLLECTIVITE_LABELS)
                note = (f"Attention : le corpus contient l'instruction adressée aux {to}, pas celle adressée aux "
                        f"{COLLECTIVITE_LABELS[collectivite][0]} ; ce qui suit vaut pour les {to} et reste à "
                        f"confirmer pour {COLLECTIVITE_LABELS[collectivite][1]}.")
                return {"collectivite": collectivite, "doc_id": doc_id, "addressed_to": list(addressed), "note": note}
        return None

    def suggestions(self, ranking, hits: list[Hit]) -> list[dict]:
        """The sections an abstention points to: first hits close enough to the question (`suggestion_floor`), one per
        section, best first."""
        out, seen = [], set()
        for hit, n in zip(hits, ranking.order):
            c = hit.chunk
            key = (c.doc_id, tuple(c.section_path))
            cosine = ranking.candidates.signals[n].scores["dense"]
            if cosine is None or cosine < self.config.suggestion_floor or key in seen:
                continue
            seen.add(key)
            out.append({"doc_id": c.doc_id, "doc_title": self.documents[c.doc_id].title,
                        "section_path": list(c.section_path), "line_start": c.line_start, "line_end": c.line_end,
                        "score": round(float(cosine), 4)})
            if len(out) >= self.config.max_suggestions:
                break
        return out


def _overlaps(a: Unit, b: Unit) -> bool:
    """Same passage quoted twice: same lines and one text inside the other. A list item, a table row or a heading is
    a whole line: inside the lines of a quote that holds its list, it is already quoted."""
    if a.chunk.doc_id != b.chunk.doc_id or a.line_start > b.line_end or b.line_start > a.line_end:
        return False
    if a.text in b.text or b.text in a.text or a.display in b.display or b.display in a.display:
        return True

    def whole_line_within(x: Unit, y: Unit) -> bool:
        return x.kind in ("item", "row", "heading") and y.line_start <= x.line_start and x.line_end <= y.line_end

    return whole_line_within(a, b) or whole_line_within(b, a)


def _merge_units(first: list[tuple[Unit, float]], rest: list[tuple[Unit, float]], limit: int):
    """Every unit of `first`, then those of `rest` up to `limit`; none that is already quoted."""
    merged: list[tuple[Unit, float]] = []
    for n, (unit, score) in enumerate(first + rest):
        if n >= len(first) and len(merged) >= limit:
            break
        _add(merged, unit, score)
    return merged


def _chars(unit: Unit) -> tuple[int, int] | None:
    start = unit.chunk.text.find(unit.text)
    return (start, start + len(unit.text)) if start >= 0 else None


def _add(units: list[tuple[Unit, float]], unit: Unit, score: float) -> None:
    """Append the unit, unless it is already quoted. Two quotes of one passage that share text (a sentence grown with
    the one before it, and that one) become one quote of their union: no sentence twice, none lost."""
    mine = _chars(unit)
    for i, (other, other_score) in enumerate(units):
        theirs = _chars(other) if other.chunk.id == unit.chunk.id else None
        shared = mine is not None and theirs is not None and mine[0] < theirs[1] and theirs[0] < mine[1]
        if not (shared or _overlaps(unit, other)):
            continue
        if shared and mine[0] <= theirs[0] and theirs[1] <= mine[1]:
            units[i] = (unit, max(score, other_score))  # the new quote holds the old one
        elif shared and not (theirs[0] <= mine[0] and mine[1] <= theirs[1]) and unit.shown is None and other.shown is None:
            start, end = min(mine[0], theirs[0]), max(mine[1], theirs[1])
            first = unit if mine[0] < theirs[0] else other
            units[i] = (Unit(unit.chunk, min(unit.line_start, other.line_start), max(unit.line_end, other.line_end),
                             unit.chunk.text[start:end], first.kind, block=first.block), max(score, other_score))
        return
    units.append((unit, score))


def _sentence(text: str) -> str:
    """A quoted passage as a sentence of the answer: capital first letter, final punctuation."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if re.search(r"[.!?…:;»)]$", text) else text + "."


class Assistant:
    """The facade used by the CLI, the HTTP API and the evaluation runner."""

    def __init__(self, retriever: Retriever, documents: dict[str, Document], settings: Settings):
        self.settings = settings
        self.retriever = retriever
        self.documents = documents
        self.models = getattr(retriever, "models", None)
        self.answerer = Answerer(retriever, documents, models=self.models)
        self._eligibility = None

    @classmethod
    def load(cls, settings: Settings | None = None) -> "Assistant":
        settings = settings or Settings.from_env()
        return cls(Retriever.load(settings), load_corpus(settings.corpus_dir), settings)

    @property
    def eligibility_engine(self):
        if self._eligibility is None:
            from .eligibility import EligibilityEngine

            self._eligibility = EligibilityEngine(self.retriever, self.documents, models=self.models)
        return self._eligibility

    def ask(self, question: str, history: list[dict] | None = None) -> dict:
        turns = [Turn(str(h.get("question", "")), str(h.get("answer", ""))) for h in (history or []) if h.get("question")]
        answer = self.answerer.answer(question, turns, verdict_fn=self.eligibility_engine.verdict_for_question)
        if self.settings.llm_url and not answer.abstained:
            from .generation import rephrase

            answer = rephrase(answer, self.settings, self.retriever, self.documents)
        return answer.to_dict()

    def eligibility(self, description: str, collectivite: str | None = None) -> dict:
        return self.eligibility_engine.assess(description, collectivite)
