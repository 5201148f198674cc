"""Does the question ask for an eligibility verdict? A binary text classifier, apart from the intent model.

"Peut-on cofinancer par le FSE+ un poste existant ?" is a financial question by its words and an eligibility question
by what it wants: a verdict (here: excluded, by the framework's rule). The intent model must pick one intent; this
model answers only "is a verdict wanted", learned from the train questions that carry an expected verdict (and the
train action lines: a pasted action asks whether it can be funded). Its threshold maximises F1 on out-of-fold
predictions of the same split, so neither dev nor test chooses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from .abstention import f1_threshold
from .textclf import TextClassifier

WANTED, NOT_WANTED = "verdict", "answer"


@dataclass
class VerdictQuestion:
    classifier: TextClassifier
    threshold: float = 0.5

    @classmethod
    def fit(cls, texts: list[str], wanted: list[bool], vectors: np.ndarray, asked: list[bool],
            folds: int = 3) -> "VerdictQuestion":
        """`asked`: which texts are questions; the threshold is chosen on them only, because pasted action lines
        (all positives, and easy ones) would push it up for the questions the model decides on."""
        labels = [WANTED if w else NOT_WANTED for w in wanted]
        oof = np.zeros(len(texts))
        for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
            model = TextClassifier(c=8.0).fit([texts[i] for i in train_idx], [labels[i] for i in train_idx],
                                              vectors[train_idx])
            oof[test_idx] = model.proba([texts[i] for i in test_idx], vectors[test_idx])[:, model.labels.index(WANTED)]
        questions = np.asarray(asked, dtype=bool)
        threshold = f1_threshold(oof[questions], np.asarray(wanted, dtype=bool)[questions])
        return cls(TextClassifier(c=8.0).fit(texts, labels, vectors), threshold)

    def probability(self, text: str, vector: np.ndarray | None) -> float:
        return self.classifier.probabilities(text, vector)[WANTED]

    def wanted(self, text: str, vector: np.ndarray | None) -> bool:
        return self.probability(text, vector) >= self.threshold
