"""Grounded, extractive answers: retrieve, pick the sentences that answer, cite them tightly, or abstain.

Every citation comes from a retrieved hit, and its quote is a verbatim slice of the corpus lines it cites.
An optional LLM (PACTE_LLM_URL) may rephrase from the same passages; its citations are re-validated
(assistant.generation) and the extractive answer stays the fallback.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .categories import ANSWER_TYPES, answer_type, classify, collectivite_in, in_corpus_words, is_follow_up, without_orders
from .config import Settings
from .corpus import load_corpus
from .indicator_answer import IndicatorLookup
from .lexical import analyse, normalise, weighted_overlap
from .retrieval import Retriever
from .schema import Document, Hit
from .sentences import Unit, chunk_containing, display_text, split_units, with_body, with_list
from .validation import clean_text

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
    relative_floor: float = 0.8  # a sentence is quoted if it scores at least this share of the best one
    other_passage_floor: float = 0.9  # the same, for a sentence from another passage than the best one
    rank_decay: float = 0.35  # weight of the hit rank in a sentence's score
    context_chars: int = 450  # a quoted sentence is extended with its neighbours in its paragraph up to this
    answer_type_boost: float = 1.5  # "combien ?" prefers sentences with figures, "quand ?" with dates
    heading_penalty: float = 0.5  # a heading names a subject, it rarely answers
    length_penalty: float = 0.15  # long sentences match more words by chance
    # Abstention: the question must share enough specific vocabulary with the best passages.
    min_coverage: float = 0.34
    # A question asking for a figure needs a sentence with a figure sharing this much of its vocabulary.
    min_figure_coverage: float = 0.28
    # A name of the question is specific when one of its words is this rare (idf; ~3 % of passages or fewer).
    specific_idf: float = 3.5


# Words that ask for a figure without saying what it is about.
_ASKING_FOR_A_FIGURE = frozenset(analyse("combien pourcentage maximum maximal maximale minimum minimal minimale"))
_YEAR = re.compile(r"(?<![\d,.])(?:19|20)\d\d(?![\d,]| ?€| ?%)")

# "X, c'est quoi ?", "que veut dire X ?": answered by the sentence where the corpus defines the acronym.
DEFINITION_QUESTION = re.compile(r"\best quoi\b|veut dire|signifi|\best[- ]ce que\b|definition|que designe|\bkesako\b")


# A question about the contract or credits of a named collectivity: the corpus holds the national instruction and
# the local documents listed with a `territory` in corpus/manifest.yaml, nothing on other collectivities' contracts.
_LOCAL_MATTER = re.compile(r"\bcontrat|\bcredit|\balloue|\brecu\b|\bverse|\benveloppe|\bmontant|\bcomite de pilotage|\bsignataire|\bpacte local")
_COLLECTIVITY = re.compile(
    r"\b(?:[Mm]étropole|[Dd]épartement|[Cc]onseil départemental|[Rr]égion|[Cc]ommunauté urbaine|[Cc]ommunauté d'agglomération)"
    r"(?: européenne)?\s+(?:de la |de l['’]|des |du |de |d['’])?([A-ZÉÈÎ][\w'’-]*(?:[ -](?:de |du |d['’])?[A-ZÉ][\w'’-]*)*)"
    r"|\b(?:la|le|les|l['’])\s*([A-ZÉ][\w'’]*(?:-[\w'’]+)+)"
)


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


@dataclass
class Turn:
    question: str
    answer: str = ""


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

    def __init__(self, retriever: Retriever, documents: dict[str, Document], config: AnswerConfig = AnswerConfig()):
        self.retriever = retriever
        self.documents = documents
        self.config = config
        self._idf = retriever.bm25.idf
        self.indicators = IndicatorLookup(retriever.chunks, retriever.bm25)

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
    def select_units(self, query: str, hits: list[Hit]) -> list[tuple[Unit, float]]:
        cfg = self.config
        weights = self._weights(self.retriever.without_document_name(query))
        wanted = answer_type(query)
        scored: list[tuple[Unit, float]] = []
        for hit in hits[: cfg.candidate_hits]:
            prior = 1.0 / (1.0 + cfg.rank_decay * (hit.rank - 1))
            for unit in split_units(hit.chunk):
                terms = set(analyse(unit.text))
                overlap = weighted_overlap(weights, terms)
                if overlap <= 0:
                    continue
                length_penalty = 1.0 + cfg.length_penalty * math.log1p(max(len(terms) - 12, 0))
                heading_penalty = cfg.heading_penalty if unit.kind == "heading" else 1.0
                type_boost = cfg.answer_type_boost if wanted and ANSWER_TYPES[wanted][1].search(unit.text) else 1.0
                scored.append((unit, prior * heading_penalty * type_boost * overlap / length_penalty))
        if not scored:
            return []
        scored.sort(key=lambda item: -item[1])
        best = scored[0][1]
        chosen: list[tuple[Unit, float]] = []
        for unit, score in scored:
            if score < cfg.relative_floor * best or len(chosen) >= cfg.max_citations:
                break
            # A second passage from another chunk must be nearly as good as the best one.
            if chosen and unit.chunk.id != chosen[0][0].chunk.id and score < cfg.other_passage_floor * best:
                continue
            if any(_overlaps(unit, other) for other, _ in chosen):
                continue
            chosen.append((unit, score))
        chosen = [(with_body(with_list(self._with_neighbours(unit)), cfg.context_chars), score) for unit, score in chosen]
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

    # -- abstention -------------------------------------------------------------------------------------------
    def unknown_names(self, query: str) -> list[str]:
        """Names and acronyms of the question that the corpus never uses, and years it never mentions: the
        question is about something else (another programme, another place, another period)."""
        names = [word for word in question_names(query) if all(t not in self._idf for t in analyse(word))]
        names += [year for year in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", query) if year not in self._idf]
        return names

    def absent_places(self, query: str, units: list[tuple[Unit, float]]) -> list[str]:
        """Proper names of the question (not acronyms, not the document it names) whose rare words the passages
        chosen to answer never mention, in their text or section titles: they answer about another place or body.
        Only rare words count (idf ≥ `specific_idf`): "France Travail" or "Pacte" are everywhere and prove nothing."""
        kept = set(analyse(self.retriever.without_document_name(query)))
        rare = {}
        for word in question_names(query):
            tokens = [t for t in analyse(word) if t in kept and self._idf.get(t, 0.0) >= self.config.specific_idf]
            if tokens and not word.isupper():
                rare[word] = tokens
        if not rare or not units:
            return []
        seen = set()
        for unit, _ in units:
            seen.update(analyse(unit.chunk.text + " " + " ".join(unit.chunk.section_path)))
        return [word for word, tokens in rare.items() if not any(t in seen for t in tokens)]

    def other_collectivity(self, query: str) -> str | None:
        """The collectivity named by a question about a local contract or its credits, when the corpus has no
        document about it."""
        if not _LOCAL_MATTER.search(normalise(query)):
            return None
        known = [normalise(d.territory) for d in self.documents.values() if d.territory]
        for match in _COLLECTIVITY.finditer(query):
            name = match.group(1) or match.group(2)
            folded = normalise(name)
            if not any(folded in k or k in folded for k in known):
                return name
        return None

    def should_abstain(self, query: str, hits: list[Hit]) -> tuple[bool, dict]:
        weights = self._weights(query)
        top_text = "\n".join(h.chunk.embed_text() for h in hits[:3])
        coverage = self.coverage(weights, top_text)
        unknown = self.unknown_names(query)
        elsewhere = self.other_collectivity(query)
        signals = {"coverage": round(coverage, 3), "unknown_names": unknown, "other_collectivity": elsewhere}
        abstain = coverage < self.config.min_coverage or bool(unknown) or bool(elsewhere)
        if not abstain and answer_type(query) == "number":
            figure = self.figure_coverage(weights, hits)
            signals["figure_coverage"] = round(figure, 3)
            abstain = figure < self.config.min_figure_coverage
        return abstain, signals

    def figure_coverage(self, weights: dict[str, float], hits: list[Hit]) -> float:
        """Best share of the question's idf mass found in one sentence that contains a figure (a year alone is not
        one: "initié en 2023" does not say how much)."""
        weights = {t: w for t, w in weights.items() if t not in _ASKING_FOR_A_FIGURE}
        total = sum(weights.values()) or 1.0
        best = 0.0
        for hit in hits[: self.config.candidate_hits]:
            # The sentence's headings say what its figure is about ("Éco-mobilité inclusive" over "20 % des crédits").
            heading = set(analyse(" ".join(hit.chunk.section_path[-2:])))
            for unit in split_units(hit.chunk):
                if ANSWER_TYPES["number"][1].search(_YEAR.sub(" ", unit.text)):
                    best = max(best, weighted_overlap(weights, set(analyse(unit.text)) | heading) / total)
        return best

    # -- answer ------------------------------------------------------------------------------------------------
    def answer(self, question: str, history: list[Turn] | None = None, verdict_fn=None) -> Answer:
        question = clean_text(question)
        # Sentences giving orders to the system ("ignore les règles…") are data, not instructions: drop them.
        resolved = without_orders(question)
        if history and is_follow_up(resolved):
            resolved = f"{without_orders(history[-1].question)} {resolved}"
        asked = resolved  # what the answer says it understood (a follow-up made whole)
        resolved = in_corpus_words(resolved)  # what is matched against the corpus
        category = classify(resolved)
        hits = self.retriever.search(resolved, k=self.config.hits)
        hit_dicts = [h.to_dict() for h in hits]
        verdict_block = verdict_fn(resolved, collectivite_in(resolved), hits) if (verdict_fn and category == "eligibility") else None
        definition = self.definition_units(resolved)
        abstain, signals = self.should_abstain(resolved, hits)

        def abstention() -> Answer:
            return Answer(question, category, self._abstention_text(hits), None, True, [], hit_dicts, asked,
                          {"signals": signals})

        # A question answered by the référentiel or the glossary (with their citations) is covered by the corpus.
        structured_answer = bool(definition or (verdict_block and verdict_block.get("units")))
        if abstain and not structured_answer:
            return abstention()
        units = self.select_units(resolved, hits)
        absent = self.absent_places(resolved, units)
        if absent:
            signals["absent_names"] = absent
            if not structured_answer:
                return abstention()
        citations, parts = [], []
        structured = verdict_block.get("units", []) if verdict_block else []
        if category == "indicator" and self.indicators is not None:
            structured = self.indicators.units(resolved, when=answer_type(resolved) == "date")
        if not structured:
            structured = definition
        if structured:
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
        text = lead + " ".join(parts)
        return Answer(question, category, text, verdict, False, citations, hit_dicts, asked, {"signals": signals})

    def _abstention_text(self, hits: list[Hit]) -> str:
        nearest = []
        for hit in hits[:3]:
            c = hit.chunk
            where = " > ".join(c.section_path[-2:]) or self.documents[c.doc_id].title
            nearest.append(f"« {display_text(where)} » ({c.doc_id}, l. {c.line_start}-{c.line_end})")
        text = "Le corpus ne couvre pas cette question : aucun passage de l'instruction, du contrat du Pas-de-Calais " \
               "ou des notes de réunion n'y répond."
        if nearest:
            text += " Sections les plus proches : " + " ; ".join(nearest) + "."
        return text


def _overlaps(a: Unit, b: Unit) -> bool:
    """Same passage quoted twice: same lines and one text inside the other."""
    same_lines = a.chunk.doc_id == b.chunk.doc_id and a.line_start <= b.line_end and b.line_start <= a.line_end
    return same_lines and (a.text in b.text or b.text in a.text)


def _merge_units(first: list[tuple[Unit, float]], rest: list[tuple[Unit, float]], limit: int):
    merged = list(first)
    for unit, score in rest:
        if len(merged) >= limit:
            break
        if not any(_overlaps(unit, other) for other, _ in merged):
            merged.append((unit, score))
    return merged


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
        self.answerer = Answerer(retriever, documents)
        self._eligibility = None

    @classmethod
    def load(cls, settings: Settings | None = None) -> "Assistant":
        settings = settings or Settings.from_env()
        return cls(Retriever.load(settings), load_corpus(settings.corpus_dir), settings)

    @property
    def eligibility_engine(self):
        if self._eligibility is None:
            from .eligibility import EligibilityEngine

            self._eligibility = EligibilityEngine(self.retriever, self.documents)
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
