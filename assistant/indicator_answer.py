"""Indicator questions answered from the structured référentiel: the national indicator the question is about, its
exact wording and the Annexe 6 paragraphs (what is counted, who, when) that best match the question.

The quotes come from assistant/data/referentiel.yaml, each verbatim in its cited lines; `ask` lists the chunks that
hold them among its hits, so every citation stays within what was retrieved.
"""

from __future__ import annotations

from .categories import ANSWER_TYPES
from .lexical import BM25, analyse, weighted_overlap
from .referentiel import Indicator, Referentiel, load_referentiel
from .sentences import Unit, unit_for_quote


_FRAMING = frozenset(analyse("indicateur indicateurs national nationaux axe"))


class IndicatorLookup:
    def __init__(self, chunks, bm25: BM25, referentiel: Referentiel | None = None, min_share: float = 0.35,
                 body_weight: float = 0.5):
        self.chunks = chunks
        self.body_weight = body_weight  # weight of the words found only in how the indicator is counted
        self.bm25 = bm25  # the corpus index: its idf weighs the question's words
        self.min_share = min_share  # share of the question's idf mass the indicator's texts must contain
        referentiel = referentiel or load_referentiel()
        self.referentiel = referentiel
        self.indicators = [i for i in referentiel.indicators() if i.in_guide]
        self.calendar = list(referentiel.reporting)
        # What the indicator is about (its wordings, the titles of the sections it measures) names it; how it is
        # counted (the Annexe 6 paragraphs) only helps: "compter" or "bénéficiaires" fit every indicator.
        self._topic = [set(analyse(self._topic_text(i, referentiel))) for i in self.indicators]
        self._terms = [set(analyse(" ".join(d.text for d in i.definition))) | t for i, t in zip(self.indicators, self._topic)]

    @staticmethod
    def _topic_text(indicator: Indicator, referentiel: Referentiel) -> str:
        texts = [indicator.text, *(referentiel.section(s).title for s in indicator.section_ids)]
        if indicator.guide_wording:
            texts.append(indicator.guide_wording.text)
        return " ".join(texts)

    def _weights(self, text: str) -> dict[str, float]:
        return self.bm25.query_weights(text)

    def best(self, question: str) -> Indicator | None:
        """The indicator the question is about: the one whose topic it names best (framing words such as
        "indicateur" or "national" left out, since every indicator has them), provided that indicator's texts hold
        `min_share` of the question's words."""
        weights = self._weights(question)
        total = sum(weights.values()) or 1.0
        topical = {t: w for t, w in weights.items() if t not in _FRAMING}
        scored = [
            (weighted_overlap(topical, topic) + self.body_weight * weighted_overlap(topical, terms - topic), i)
            for i, (topic, terms) in enumerate(zip(self._topic, self._terms))
        ]
        score, index = max(scored, default=(0.0, None))
        if index is None or score <= 0:
            return None
        share = weighted_overlap(weights, self._terms[index] | _FRAMING) / total
        return self.indicators[index] if share >= self.min_share else None

    def calendar_units(self, question: str) -> list[tuple[Unit, float]]:
        """The step of the reporting calendar (T0, yearly reporting, mid-term report…) closest to the question."""
        weights = self._weights(question)
        dated = ANSWER_TYPES["date"][1]
        scored = [
            (weighted_overlap(weights, set(analyse(item.text + " " + item.label)))
             * (1.5 if dated.search(item.text) else 1.0), item)
            for item in self.calendar
        ]
        score, item = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        if item is None or score <= 0:
            return []
        return self._quoted([item])

    def units(self, question: str, limit: int = 1, when: bool = False) -> list[tuple[Unit, float]]:
        """The definition paragraphs sharing most vocabulary with the question (the wording when none does);
        with `when`, the matching step of the reporting calendar first."""
        indicator = self.best(question)
        if indicator is None:
            return self.calendar_units(question) if when else []
        weights = self._weights(question)
        wording = indicator.guide_wording or indicator.quote
        ranked = sorted(
            indicator.definition,
            key=lambda d: -weighted_overlap(weights, set(analyse(d.text))),
        )
        return (self.calendar_units(question) if when else []) + self._quoted(ranked[:limit] or [wording])

    def section_units(self, section_id: str, limit: int = 3) -> list[tuple[Unit, float]]:
        """The national indicators of a référentiel section, as worded there (those of its axis when the section
        names none): what "quels indicateurs pour cette action ?" asks of the action's section."""
        try:
            section = self.referentiel.section(section_id)
        except KeyError:
            return []
        indicators = section.indicators or self.referentiel.axis(section.axis).indicators
        return self._quoted([indicator.quote for indicator in indicators[:limit]])

    def _quoted(self, quotes) -> list[tuple[Unit, float]]:
        """The citable units of quoted lines (anything with doc_id, line_start, line_end and text), those found."""
        units = (unit_for_quote(self.chunks, q.doc_id, q.line_start, q.line_end, q.text) for q in quotes)
        return [(unit, 1.0) for unit in units if unit is not None]
