"""Learning to rank passages: a gradient-boosted model over the signals every retriever gives.

Each candidate passage of a question is described by what the lexical index, the dense index and the entry points
(questions people ask of passages) say of it — scores, ranks, gaps to the best — plus what the question is (its
intent probabilities, whether it names a document) and what the passage is (document kind, référentiel axis, guide of
indicators, table, length). The model, trained on the train split's gold lines, replaces the hand-weighted fusion
and its boosts: how much a named document or the guide of indicators matters is learned, not tuned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from .training import INTENTS

SOURCES = ("bm25", "dense", "ep_lex", "ep_dense")
DOC_KINDS = ("instruction", "contrat", "notes")


def feature_names() -> list[str]:
    names = []
    for s in SOURCES:
        names += [f"{s}_score", f"{s}_gap", f"{s}_rrank", f"{s}_found"]
    names += ["rrf", "coverage", "path_coverage", "named_doc", "names_a_doc", "log_chars", "is_table", "has_axis",
              "in_guide", "query_terms"]
    names += [f"kind_{k}" for k in DOC_KINDS]
    names += [f"intent_{i}" for i in INTENTS]
    return names


@dataclass
class CandidateSignals:
    """What the retrievers say of one passage for one question (None: not in that ranking's depth)."""

    scores: dict[str, float | None]
    ranks: dict[str, int | None]
    coverage: float
    path_coverage: float


def features(signals: CandidateSignals, tops: dict[str, float], rrf: float, named_doc: int, names_a_doc: int,
             chars: int, is_table: bool, has_axis: bool, in_guide: bool, query_terms: int, doc_kind: str,
             intents: dict[str, float]) -> list[float]:
    row: list[float] = []
    for s in SOURCES:
        score, rank = signals.scores.get(s), signals.ranks.get(s)
        top = tops.get(s)
        if score is None:
            row += [0.0, -1.0 if top is None else (0.0 - top), 0.0, 0.0]
        else:
            gap = score - top if top is not None else 0.0
            if s in ("bm25", "ep_lex") and top:
                gap = score / top - 1.0  # BM25 scores scale with the query: their ratio to the best is comparable
            row += [float(score), float(gap), 1.0 / rank if rank else 0.0, 1.0]
    row += [rrf, signals.coverage, signals.path_coverage, float(named_doc), float(names_a_doc), math.log1p(chars),
            float(is_table), float(has_axis), float(in_guide), float(query_terms)]
    row += [1.0 if doc_kind == k else 0.0 for k in DOC_KINDS]
    row += [float(intents.get(i, 0.0)) for i in INTENTS]
    return row


class PassageRanker:
    """P(passage answers the question) from its features."""

    def __init__(self, model: HistGradientBoostingClassifier | None = None):
        self.model = model

    @classmethod
    def fit(cls, rows: list[list[float]], labels: list[int], groups: list[int] | None = None) -> "PassageRanker":
        model = HistGradientBoostingClassifier(
            max_iter=120, learning_rate=0.12, max_leaf_nodes=15, min_samples_leaf=20, l2_regularization=1.0,
            early_stopping=False, random_state=0,
        )
        model.fit(np.asarray(rows, dtype=np.float64), np.asarray(labels))
        return cls(model)

    def scores(self, rows: list[list[float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.model.predict_proba(np.asarray(rows, dtype=np.float64))[:, 1]
