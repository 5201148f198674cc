"""Abstention: P(the corpus answers the question), from the evidence of assistant.evidence.

A logistic regression over standardised evidence, trained on the train split's answerable and out-of-scope
questions. Its threshold is the one that maximises the F1 of abstaining on out-of-fold predictions of the same
split, so neither dev nor test chooses it; the probability itself is the answer's confidence.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def _pipeline():
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def f1_threshold(scores: np.ndarray, positive: np.ndarray, below: bool = False) -> float:
    """The score threshold whose decision (positive when the score is at least it, or under it with `below`) gives the
    best F1 on `positive` (ties: the middle of the plateau)."""
    best, chosen = -1.0, []
    for t in np.arange(0.05, 0.96, 0.01):
        predicted = scores < t if below else scores >= t
        tp = np.sum(predicted & positive)
        fp = np.sum(predicted & ~positive)
        fn = np.sum(~predicted & positive)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best + 1e-9:
            best, chosen = f1, [t]
        elif abs(f1 - best) <= 1e-9:
            chosen.append(t)
    return float(round(np.median(chosen), 2)) if chosen else 0.5


def best_threshold(p_answerable: np.ndarray, answerable: np.ndarray) -> float:
    """The probability under which abstaining gives the best F1 on abstentions."""
    return f1_threshold(p_answerable, answerable == 0, below=True)


class AbstentionModel:
    def __init__(self, pipeline=None, threshold: float = 0.5):
        self.pipeline = pipeline
        self.threshold = threshold

    @classmethod
    def fit(cls, rows: list[list[float]], answerable: list[int]) -> "AbstentionModel":
        x, y = np.asarray(rows, dtype=np.float64), np.asarray(answerable)
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        oof = cross_val_predict(_pipeline(), x, y, cv=folds, method="predict_proba")[:, 1]
        pipeline = _pipeline().fit(x, y)
        return cls(pipeline, best_threshold(oof, y))

    def probability(self, row: list[float]) -> float:
        """P(answerable)."""
        return float(self.pipeline.predict_proba(np.asarray([row], dtype=np.float64))[0, 1])
