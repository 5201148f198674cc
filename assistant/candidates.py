"""Candidates: the citable units of the best passages of a question, each scored by the learned sentence ranker.

`Ranking` (assistant.retrieval) → `Candidate`s. The same function builds the features at training time (from the
train split) and at answer time, so the model always meets what it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .learned.sentence_ranker import unit_rows
from .retrieval import Ranking, Retriever
from .sentences import Unit, split_units


@dataclass(frozen=True)
class Candidate:
    unit: Unit
    score: float  # P(the unit holds the answer)
    passage_score: float
    passage_rank: int


def entry_scores(ranking: Ranking, retriever: Retriever) -> list[tuple[tuple[str, int, int], str, float]]:
    """The gold lines of the entry points the question matched, with the score of the match."""
    if retriever.entry_points is None:
        return []
    entries = retriever.entry_points.entries
    return [(lines, source, score) for source, found in ranking.candidates.entry_hits.items()
            for index, score in found for lines in entries[index].lines]


def unit_candidates(ranking: Ranking, retriever: Retriever, weights: dict[str, float], wanted: str | None,
                    intents: dict[str, float], passages: int = 5):
    """(units with their passage score, rank, position and count; feature rows) for the best `passages`."""
    units = []
    for rank, (n, score) in enumerate(zip(ranking.order[:passages], ranking.scores), start=1):
        chunk = retriever.chunks[ranking.candidates.positions[n]]
        found = split_units(chunk)
        units += [(u, score, rank, i, len(found)) for i, u in enumerate(found)]
    top = ranking.scores[0] if ranking.scores else 0.0
    rows = unit_rows(units, weights, wanted, top, entry_scores(ranking, retriever), ranking.candidates.tops, intents)
    return units, rows


def candidates(ranking: Ranking, retriever: Retriever, weights: dict[str, float], wanted: str | None,
               intents: dict[str, float], model, passages: int = 5) -> list[Candidate]:
    """The units of the best passages, best first."""
    units, rows = unit_candidates(ranking, retriever, weights, wanted, intents, passages)
    scores = model.scores(rows) if model is not None else [r[3] * r[0] for r in rows]  # share × passage score
    out = [Candidate(u, float(s), p, rank) for (u, p, rank, _i, _n), s in zip(units, scores)]
    return sorted(out, key=lambda c: (-c.score, c.passage_rank, c.unit.line_start))
