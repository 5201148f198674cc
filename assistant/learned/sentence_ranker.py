"""Learning which sentence answers: a gradient-boosted model over the citable units of the best passages.

A unit (sentence, list item, table row, heading) of one of the best passages is described by how much of the
question it holds, how good its passage is (the passage ranker's probability and rank), what kind of unit it is, where
it sits, whether it has the kind of content the question asks for (a figure, a date, a role) and whether questions
people ask of these very lines (the train split's entry points, tied to their gold lines) match the question. The
model, trained on the train split's gold lines, replaces the hand-weighted sentence score.
"""

from __future__ import annotations

import math
import re

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from ..categories import ANSWER_TYPES
from ..lexical import analyse, terms, weighted_overlap
from ..sentences import Unit, is_title
from .training import INTENTS

KINDS = ("sentence", "item", "row", "heading")
WANTED = ("number", "who", "date")
# Blanks of a template to fill in ("[indiquer …]", "……", "XXX"): never what answers.
_PLACEHOLDER = re.compile(r"\[[^\]]{0,60}\]|…{2,}|\.{4,}|_{4,}|\bX{3,}\b")


def feature_names() -> list[str]:
    return (["passage_score", "passage_rrank", "passage_rel", "share", "share_rel", "log_chars", "log_terms"]
            + [f"kind_{k}" for k in KINDS]
            + ["is_title", "announces_list", "position", "is_first", "placeholder"]
            + [f"wants_{w}" for w in WANTED] + ["has_wanted", "ep_lex", "ep_lex_rel", "ep_dense", "ep_dense_rel",
                                                  "path_share"]
            + [f"intent_{i}" for i in INTENTS])


def unit_rows(units: list[tuple[Unit, float, int, int, int]], weights: dict[str, float], wanted: str | None,
              top_passage: float, entry_scores: list[tuple[tuple[str, int, int], str, float]],
              tops: dict[str, float], intents: dict[str, float]) -> list[list[float]]:
    """Feature rows for `units`: (unit, passage score, passage rank, index in its passage, units in its passage).
    `entry_scores`: ((doc, start, end) gold lines of an entry point, "ep_lex" | "ep_dense", score)."""
    total = sum(weights.values()) or 1.0
    shares = [weighted_overlap(weights, terms(u.text)) / total for u, *_ in units]
    best_share = max(shares, default=0.0) or 1.0
    wanted_rx = ANSWER_TYPES[wanted][1] if wanted in ANSWER_TYPES else None
    rows = []
    for (unit, score, rank, index, count), share in zip(units, shares):
        path = terms(" ".join(unit.chunk.section_path))
        best = {"ep_lex": 0.0, "ep_dense": 0.0}
        for (doc, start, end), source, value in entry_scores:
            if doc == unit.chunk.doc_id and start <= unit.line_end and unit.line_start <= end:
                best[source] = max(best[source], value)
        text = unit.text
        row = [score, 1.0 / rank, score / top_passage if top_passage else 0.0, share, share / best_share,
               math.log1p(len(text)), math.log1p(len(analyse(text)))]
        row += [1.0 if unit.kind == k else 0.0 for k in KINDS]
        row += [float(is_title(unit)), float(text.rstrip(" *").endswith(":")), index / max(count, 1), float(index == 0),
                float(bool(_PLACEHOLDER.search(text)))]
        row += [1.0 if wanted == w else 0.0 for w in WANTED]
        row += [float(bool(wanted_rx and wanted_rx.search(text)))]
        row += [best["ep_lex"], best["ep_lex"] / tops["ep_lex"] if tops.get("ep_lex") else 0.0,
                best["ep_dense"], best["ep_dense"] - tops.get("ep_dense", 0.0) if best["ep_dense"] else -1.0,
                weighted_overlap(weights, path) / total]
        row += [float(intents.get(i, 0.0)) for i in INTENTS]
        rows.append(row)
    return rows


class SentenceRanker:
    """P(unit holds the answer's lines)."""

    def __init__(self, model: HistGradientBoostingClassifier | None = None):
        self.model = model

    @classmethod
    def fit(cls, rows: list[list[float]], labels: list[int]) -> "SentenceRanker":
        model = HistGradientBoostingClassifier(max_iter=120, learning_rate=0.12, max_leaf_nodes=15, min_samples_leaf=20,
                                               l2_regularization=1.0, early_stopping=False, random_state=0)
        model.fit(np.asarray(rows, dtype=np.float64), np.asarray(labels))
        return cls(model)

    def scores(self, rows: list[list[float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return self.model.predict_proba(np.asarray(rows, dtype=np.float64))[:, 1]
