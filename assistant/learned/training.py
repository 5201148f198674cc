"""The train split (eval/datasets/train/*.jsonl): questions and action lines written for training only.

Dev (eval/datasets/dev_*.jsonl) selects models and test (eval/datasets/test/) measures them: neither is read here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import PacteError

INTENTS = ("eligibility", "indicator", "financial", "procedure", "definition", "out_of_scope")
# The dev/test format has a category, not an intent: "other" questions ask what something is or says.
_INTENT_OF_CATEGORY = {"eligibility": "eligibility", "indicator": "indicator", "financial": "financial",
                       "procedure": "procedure", "other": "definition"}


class TrainingDataError(PacteError):
    pass


@dataclass(frozen=True)
class TrainingData:
    questions: list[dict]
    actions: list[dict]
    digest: str  # sha256 of the files, in name order: a model trained on other data is stale

    @classmethod
    def load(cls, train_dir: Path) -> "TrainingData":
        questions, actions = [], []
        digest = hashlib.sha256()
        files = sorted(Path(train_dir).glob("*.jsonl")) if Path(train_dir).is_dir() else []
        for path in files:
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw)
            target = questions if "question" in path.stem else actions if "action" in path.stem else None
            if target is None:
                continue
            for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError:
                    raise TrainingDataError(f"Données d'entraînement illisibles : {path.name}, ligne {number} "
                                            "n'est pas un objet JSON.") from None
                if isinstance(item, dict):
                    target.append(item)
        return cls(questions, actions, digest.hexdigest())


def intent_of(item: dict) -> str | None:
    if item.get("answerable") is False:
        return "out_of_scope"
    intent = item.get("intent")
    if intent in INTENTS:
        return intent
    return _INTENT_OF_CATEGORY.get(item.get("category"))
