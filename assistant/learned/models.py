"""The learned models, their training from the train split, and their on-disk store.

- `intent`: question → eligibility / indicator / financial / procedure / definition / out_of_scope;
- `ranker`: P(passage answers the question) over the retrievers' signals (assistant.learned.ranker);
- `sections`: action description → référentiel section id, or `hors_referentiel`;
- `verdict`: does the question ask for an eligibility verdict (assistant.learned.verdict_question);
- `abstention` and `sentences`: whether the corpus answers, and which sentences do (stacked on the ranker).

Trained by `pacte train` (and by `pacte index` or at load when missing or stale) from eval/datasets/train/ only —
dev selects models, test measures them, neither is read here. Stored in INDEX_DIR/models/ with a stamp (model
version, scikit-learn version, hashes of the training data, passage questions, passages and référentiel): a change
of any makes the store stale and it is retrained.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import sklearn
import yaml
from sklearn.model_selection import StratifiedKFold

from ..config import Settings
from ..framing import action_text
from ..referentiel import Referentiel, load_referentiel
from .abstention import AbstentionModel
from .entry_points import EntryPoints, load_passage_questions
from .question_generation import load_generated
from .ranker import PassageRanker
from .sentence_ranker import SentenceRanker
from .textclf import TextClassifier
from .training import TrainingData, intent_of
from .verdict_question import VerdictQuestion
from .vectors import QueryVectors

# Bumped when features or training change: stored models of another version are retrained.
MODEL_VERSION = "9"
OUTSIDE = "hors_referentiel"


@dataclass
class Models:
    intent: TextClassifier
    sections: TextClassifier
    ranker: PassageRanker
    abstention: AbstentionModel
    sentences: SentenceRanker
    verdict: VerdictQuestion
    stamp: str
    report: dict = field(default_factory=dict)  # what training saw and how long it took
    vectors: QueryVectors | None = field(default=None, repr=False)  # set at load, never stored

    def entry_vectors(self, entry_points: EntryPoints) -> np.ndarray:
        return self.vectors([e.text for e in entry_points.entries])

    def __getstate__(self):
        state = dict(self.__dict__)
        state["vectors"] = None
        return state


# -- training examples ---------------------------------------------------------------------------------------------
def section_at(referentiel: Referentiel, doc_id: str, line_start: int, line_end: int) -> str | None:
    """The most specific référentiel section overlapping the lines."""
    best, best_size = None, None
    for s in referentiel.sections():
        if s.doc_id == doc_id and s.line_start <= line_end and line_start <= s.line_end:
            size = s.line_end - s.line_start
            if best_size is None or size < best_size:
                best, best_size = s.id, size
    return best


def _section_label(item: dict, text, referentiel: Referentiel, known: set[str]) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    verdict = item.get("verdict") or item.get("expected_verdict")
    if verdict == "not_in_referential":
        return OUTSIDE
    if item.get("section") in known:
        return item["section"]
    for span in item.get("gold_spans") or []:
        try:
            found = section_at(referentiel, span["doc_id"], int(span["line_start"]), int(span["line_end"]))
        except (KeyError, TypeError, ValueError):
            continue
        if found:
            return found
    return None


def section_examples(data: TrainingData, referentiel: Referentiel) -> tuple[list[str], list[str]]:
    """(texts, labels) for the section model: the référentiel's own action types, the train action lines and the
    train eligibility questions, each labelled with its section or `hors_referentiel`."""
    known = {s.id for s in referentiel.sections()}
    texts, labels = [], []
    for s in referentiel.sections():
        for a in s.action_types:
            texts.append(a.text)
            labels.append(s.id)
    # Texts as the eligibility engine assesses them (assistant.framing.action_text).
    for item, text in action_lines(data):
        label = _section_label(item, text, referentiel, known)
        if label:
            texts.append(action_text(text))
            labels.append(label)
    for item in data.questions:
        if intent_of(item) == "eligibility":
            label = _section_label(item, item.get("question"), referentiel, known)
            if label:
                texts.append(action_text(item["question"]))
                labels.append(label)
    return texts, labels


FRAMINGS_FILE = Path(__file__).resolve().parent.parent / "data" / "question_framings.yaml"


@lru_cache(maxsize=1)
def _framings() -> tuple[str, ...]:
    return tuple(yaml.safe_load(FRAMINGS_FILE.read_text(encoding="utf-8"))["framings"])


def action_lines(data: TrainingData):
    """(item, text) for each train action line: as pasted, and once inside a question (data/question_framings.yaml)."""
    for item in data.actions:
        description = item.get("description")
        if isinstance(description, str):
            yield item, description
            yield item, framed(description)


def framed(action: str) -> str:
    """The action line inside one of the ways people ask about funding it, the same one on every run (a hash of
    the line chooses it)."""
    framings = _framings()
    choice = framings[int(hashlib.sha256(action.encode()).hexdigest(), 16) % len(framings)]
    action = " ".join(action.split()).rstrip(" .;:")
    # "Atelier …" inside a sentence is "atelier …"; an acronym ("SIAO …") keeps its capitals.
    if len(action) > 1 and action[0].isupper() and not action[1].isupper():
        action = action[0].lower() + action[1:]
    return choice.replace("{action}", action)


def intent_examples(data: TrainingData) -> tuple[list[str], list[str]]:
    """Train questions with their intent, and train action lines as eligibility questions: a pasted fiche line is
    asked as "can this be funded?"."""
    texts, labels = [], []
    for item in data.questions:
        intent = intent_of(item)
        if intent and isinstance(item.get("question"), str):
            texts.append(item["question"])
            labels.append(intent)
    for _, text in action_lines(data):
        texts.append(text)
        labels.append("eligibility")
    return texts, labels


def verdict_examples(data: TrainingData) -> tuple[list[str], list[bool], list[bool]]:
    """Train questions, each with whether it expects a verdict, and train action lines (a pasted action asks whether
    it can be funded); the third list says which texts are questions."""
    texts, wanted, asked = [], [], []
    for item in data.questions:
        if isinstance(item.get("question"), str) and item["question"].strip():
            texts.append(item["question"])
            wanted.append(item.get("expected_verdict") is not None)
            asked.append(True)
    for _, text in action_lines(data):
        texts.append(text)
        wanted.append(True)
        asked.append(False)
    return texts, wanted, asked


def out_of_fold(classifier: TextClassifier, texts: list[str], labels: list[str], vectors: np.ndarray,
                folds: int = 5) -> np.ndarray:
    """Each text's probabilities from a model that did not see it: what a later stage trained on these
    probabilities will meet on new questions."""
    out = np.zeros((len(texts), len(set(labels))))
    order = sorted(set(labels))
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        model = TextClassifier(c=classifier.c, dense_weight=classifier.dense_weight).fit(
            [texts[i] for i in train_idx], [labels[i] for i in train_idx], vectors[train_idx])
        probs = model.proba([texts[i] for i in test_idx], vectors[test_idx])
        for column, label in enumerate(model.labels):
            out[test_idx, order.index(label)] = probs[:, column]
    return out


def _questions(data: TrainingData) -> list[dict]:
    return [q for q in data.questions if isinstance(q.get("question"), str) and q["question"].strip()]


def _gold(item: dict) -> list[tuple[str, int, int]]:
    return [(s["doc_id"], int(s["line_start"]), int(s["line_end"])) for s in item.get("gold_spans") or []]


def _answerable(item: dict) -> bool:
    return item.get("answerable") is not False and bool(item.get("gold_spans"))


@dataclass
class Seen:
    """One train question as the retrievers see it: its candidates and their feature rows (computed once for the
    ranker and the abstention model)."""

    item: dict
    vector: np.ndarray
    intents: dict[str, float]
    candidates: object
    rows: list[list[float]]


def look(retriever, items: list[dict], matrix: np.ndarray, intents: dict[str, dict[str, float]]) -> list[Seen]:
    """Candidates of every train question, without its own entry point. (Leaving out its siblings too, the train
    questions answered by the same lines, was tried: dev citation precision fell from 0.80 to 0.43.)"""
    seen = []
    for item, vector in zip(items, matrix):
        probs = intents.get(item["question"], {})
        found = retriever.candidates(item["question"], vector, exclude=frozenset({f"train:{item.get('id')}"}))
        seen.append(Seen(item, vector, probs, found, retriever.feature_rows(found, probs)))
    return seen


def ranker_examples(retriever, seen: list[Seen]):
    """(rows, labels, groups) for the passage ranker: every candidate of every answerable train question, labelled
    by whether it holds gold lines (groups: the question's number)."""
    rows, labels, groups = [], [], []
    for number, s in enumerate(seen):
        if not _answerable(s.item):
            continue
        gold = _gold(s.item)
        for position, row in zip(s.candidates.positions, s.rows):
            chunk = retriever.chunks[position]
            rows.append(row)
            labels.append(int(any(d == chunk.doc_id and a <= chunk.line_end and chunk.line_start <= b for d, a, b in gold)))
            groups.append(number)
    return rows, labels, groups


FOLDS = 3


def fold_rankers(rows, labels, groups) -> list[PassageRanker]:
    """Rankers each trained without one third of the questions: the abstention model learns from ranker scores as
    they are on questions the ranker never saw."""
    groups = np.asarray(groups)
    out = []
    for fold in range(FOLDS):
        keep = (groups % FOLDS) != fold
        out.append(PassageRanker.fit([r for r, k in zip(rows, keep) if k], [y for y, k in zip(labels, keep) if k]))
    return out


def stacked_examples(retriever, seen: list[Seen], rankers: list[PassageRanker]):
    """Rows for the models that read the passage ranking: (abstention rows, labels) — every train question,
    answerable or not — and (sentence rows, labels) — the units of the best passages of the answerable ones, labelled
    by whether they hold gold lines. Each question's candidates are scored by a ranker that did not see it."""
    from ..candidates import unit_candidates
    from ..categories import answer_type
    from ..evidence import evidence
    from ..retrieval import Ranking

    # Each fold's questions scored in one batch (a boosted model's per-call cost is per tree, not per row).
    fold_scores: dict[int, np.ndarray] = {}
    for fold in range(FOLDS):
        numbers = [n for n in range(len(seen)) if n % FOLDS == fold]
        flat = rankers[fold].scores([row for n in numbers for row in seen[n].rows])
        start = 0
        for n in numbers:
            fold_scores[n] = flat[start: start + len(seen[n].rows)]
            start += len(seen[n].rows)
    a_rows, a_labels, s_rows, s_labels = [], [], [], []
    for number, s in enumerate(seen):
        scores = fold_scores[number]
        order = sorted(range(len(scores)), key=lambda n: (-scores[n], s.candidates.positions[n]))
        ranking = Ranking(s.candidates, [float(scores[n]) for n in order], order)
        question = s.item["question"]
        wanted = answer_type(question)
        a_rows.append(evidence(question, s.intents, ranking, retriever, retriever.territories, wanted))
        a_labels.append(int(_answerable(s.item)))
        if not _answerable(s.item):
            continue
        gold = _gold(s.item)
        units, rows = unit_candidates(ranking, retriever, retriever.bm25.query_weights(question), wanted, s.intents)
        s_rows += rows
        s_labels += [int(any(d == u.chunk.doc_id and a <= u.line_end and u.line_start <= b for d, a, b in gold))
                     for u, *_ in units]
    return a_rows, a_labels, s_rows, s_labels


def train(settings: Settings, retriever, log=None) -> Models:
    """Train every model from the train split. `retriever` is a bare one (assistant.retrieval.Retriever.bare)."""
    say = log or (lambda message: None)
    started = time.perf_counter()
    data = TrainingData.load(settings.train_dir)
    referentiel = load_referentiel()
    vectors = QueryVectors(retriever.index.embedder, settings.cache_dir)

    texts, labels = intent_examples(data)
    say(f"Intentions : {len(texts)} exemples")
    text_vectors = vectors(texts)
    intent = TextClassifier(c=8.0).fit(texts, labels, text_vectors)
    oof = out_of_fold(TextClassifier(c=8.0), texts, labels, text_vectors, folds=3)
    order = sorted(set(labels))
    intents = {t: dict(zip(order, map(float, p))) for t, p in zip(texts, oof)}

    say(f"Points d'entrée : {len(retriever.entry_points)} questions")
    retriever.entry_points.vectors = vectors([e.text for e in retriever.entry_points.entries])
    items = _questions(data)
    matrix = vectors([q["question"] for q in items])
    seen = look(retriever, items, matrix, intents)
    rows, row_labels, groups = ranker_examples(retriever, seen)
    say(f"Classement des passages : {len(rows)} candidats")
    ranker = PassageRanker.fit(rows, row_labels)
    a_rows, a_labels, u_rows, u_labels = stacked_examples(retriever, seen, fold_rankers(rows, row_labels, groups))
    say(f"Abstention : {len(a_rows)} questions ({a_labels.count(0)} hors corpus)")
    abstention = AbstentionModel.fit(a_rows, a_labels)
    say(f"Choix des phrases : {len(u_rows)} unités")
    sentences = SentenceRanker.fit(u_rows, u_labels)

    s_texts, s_labels = section_examples(data, referentiel)
    sections = TextClassifier(c=8.0).fit(s_texts, s_labels, vectors(s_texts))
    v_texts, v_wanted, v_asked = verdict_examples(data)
    verdict = VerdictQuestion.fit(v_texts, v_wanted, vectors(v_texts), v_asked)
    report = {"intent_examples": len(texts), "section_examples": len(s_texts), "ranker_rows": len(rows),
              "abstention_examples": len(a_rows), "entry_points": len(retriever.entry_points),
              "stale_passage_questions": retriever.entry_points.stale,
              "seconds": round(time.perf_counter() - started, 1)}
    report["sentence_rows"] = len(u_rows)
    report["verdict_threshold"] = verdict.threshold
    models = Models(intent, sections, ranker, abstention, sentences, verdict, stamp(settings, retriever, data, referentiel), report)
    models.vectors = vectors
    return models


def stamp(settings: Settings, retriever, data: TrainingData, referentiel: Referentiel) -> str:
    digest = hashlib.sha256()
    digest.update(data.digest.encode())
    digest.update(FRAMINGS_FILE.read_bytes())  # training data too
    # The shipped passages only: documents a user adds are ranked by the same models (their features are general),
    # so adding one (and the questions generated for it) never costs a retraining.
    added = getattr(retriever, "added", frozenset())
    shipped = [c.id for c in retriever.chunks if c.doc_id not in added]
    shipped_ids = set(shipped)
    generated = [r for r in load_generated(settings.corpus_dir) if r["passage_id"] in shipped_ids]
    digest.update(json.dumps(load_passage_questions(settings.corpus_dir, generated=False), sort_keys=True).encode())
    if generated:
        digest.update(json.dumps(generated, sort_keys=True).encode())
    digest.update(json.dumps([(s.id, s.line_start, s.line_end) for s in referentiel.sections()]).encode())
    digest.update(json.dumps(shipped).encode())
    digest.update(retriever.index.embedder.name.encode())
    return f"v{MODEL_VERSION}-sklearn{sklearn.__version__}-{digest.hexdigest()[:24]}"


def models_path(settings: Settings) -> Path:
    return Path(settings.models_dir) / "models.joblib"


def stored_models(path: Path, embedder, cache_dir: Path) -> Models | None:
    """The models stored at `path`, their query vectors cached in `cache_dir` (None when unreadable)."""
    try:
        stored = joblib.load(path)
    except Exception:  # noqa: BLE001 - an unreadable store is only a retraining
        return None
    if not isinstance(stored, Models):
        return None
    stored.vectors = QueryVectors(embedder, cache_dir)
    return stored


def load_models(settings: Settings, retriever, retrain: bool = False, log=None) -> Models:
    """The stored models when fresh, else trained now and stored (atomically: a crash leaves no half file)."""
    wanted = stamp(settings, retriever, TrainingData.load(settings.train_dir), load_referentiel())
    path = models_path(settings)
    if not retrain and path.exists():
        stored = stored_models(path, retriever.index.embedder, settings.cache_dir)
        if stored is not None and stored.stamp == wanted:
            return stored
    models = train(settings, retriever, log)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        joblib.dump(models, tmp, compress=3)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only index folder: the models live in memory for this process
    return models
