"""Questions people ask of each passage, as extra entry points to it (the doc2query / multi-vector pattern).

Two sources, both data:
- `corpus/questions/<doc_id>.jsonl`: for each passage, 3–6 questions it answers, written for it and tied to its id and
  to the sha256 of its text; a passage whose text changed makes its questions stale, and they are left out;
- the train split's answerable questions (eval/datasets/train/), tied to their gold lines: they also say which
  lines of the passage answer.

A query is matched against the entry points lexically (BM25 over the questions) and densely (e5 cosine); every entry
point found votes for its passage. A question worded the way people ask ("c'est finançable ?", practice vocabulary,
typos) reaches the passage even when the passage's own words differ. `exclude` leaves out the entry points of given
sources: a model is never trained on features that let a training question find itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..lexical import BM25, analyse, fold
from ..schema import Chunk

QUESTIONS_DIR = "questions"  # under the corpus folder


@dataclass(frozen=True)
class EntryPoint:
    text: str
    targets: tuple[int, ...]  # positions of the chunks it leads to
    lines: tuple[tuple[str, int, int], ...]  # the lines that answer it, when known (train questions)
    source: str  # "train:<id>" or "passage:<passage_id>"


@dataclass
class EntryPoints:
    entries: list[EntryPoint]
    vectors: np.ndarray | None = None  # one e5 query vector per entry, L2-normalised
    stale: int = 0  # passage questions left out because their passage changed
    _bm25: BM25 | None = field(default=None, repr=False)

    def __post_init__(self):
        self._bm25 = BM25([analyse(e.text) for e in self.entries])
        self._by_source: dict[str, list[int]] = {}
        for i, e in enumerate(self.entries):
            self._by_source.setdefault(e.source, []).append(i)

    def __len__(self) -> int:
        return len(self.entries)

    def _excluded(self, exclude: frozenset[str]) -> set[int]:
        return {i for s in exclude for i in self._by_source.get(s, ())}

    def lexical(self, tokens: list[str], n: int, exclude: frozenset[str] = frozenset()) -> list[tuple[int, float]]:
        """Entry indices ranked by BM25 (the `exclude`d sources left out)."""
        skip = self._excluded(exclude)
        ranked = self._bm25.top(tokens, n + len(skip))
        return [(i, s) for i, s in ranked if i not in skip][:n]

    def dense(self, vector: np.ndarray, n: int, exclude: frozenset[str] = frozenset()) -> list[tuple[int, float]]:
        """Entry indices ranked by exact cosine similarity (reproducible: no approximate search)."""
        if self.vectors is None or not len(self.entries):
            return []
        sims = self.vectors @ np.asarray(vector, dtype=self.vectors.dtype)
        for i in self._excluded(exclude):
            sims[i] = -1.0
        top = np.argpartition(-sims, min(n, len(sims) - 1))[:n]
        order = sorted(top.tolist(), key=lambda i: (-sims[i], i))
        return [(i, float(sims[i])) for i in order]

    @staticmethod
    def by_chunk(ranked: list[tuple[int, float]], entries: list[EntryPoint]) -> list[tuple[int, float]]:
        """Chunk positions ranked by the score of the best entry point leading to them."""
        best: dict[int, float] = {}
        for index, score in ranked:
            for position in entries[index].targets:
                if score > best.get(position, float("-inf")):
                    best[position] = score
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_passage_questions(corpus_dir: Path, generated: bool = True) -> list[dict]:
    """The passage-question records of corpus/questions/*.jsonl ({passage_id, text_sha256, questions}), then, with
    `generated`, those the LLM wrote for passages without them (assistant.learned.question_generation)."""
    records = []
    folder = Path(corpus_dir) / QUESTIONS_DIR
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            if line.strip():
                item = json.loads(line)
                if isinstance(item, dict):
                    records.append(item)
    if generated:
        from .question_generation import load_generated

        records += load_generated(corpus_dir)
    return records


def build_entry_points(chunks: list[Chunk], passage_questions: list[dict], train_questions: list[dict],
                       doc_lines: dict[str, tuple[str, ...]]) -> EntryPoints:
    position = {c.id: i for i, c in enumerate(chunks)}
    entries: list[EntryPoint] = []
    stale = 0
    for record in passage_questions:
        where = position.get(str(record.get("passage_id")))
        if where is None or text_sha256(chunks[where].text) != record.get("text_sha256"):
            stale += 1
            continue
        for question in record.get("questions") or []:
            if isinstance(question, str) and question.strip():
                entries.append(EntryPoint(question, (where,), (), f"passage:{record['passage_id']}"))
    by_doc: dict[str, list[tuple[int, Chunk]]] = {}
    for i, chunk in enumerate(chunks):
        by_doc.setdefault(chunk.doc_id, []).append((i, chunk))
    for item in train_questions:
        entry = _train_entry(item, by_doc, doc_lines)
        if entry is not None:
            entries.append(entry)
    return EntryPoints(entries, stale=stale)


def _train_entry(item: dict, by_doc, doc_lines) -> EntryPoint | None:
    """A train question as an entry point, when its gold lines still hold its key facts (else the document changed
    under it and it would lead to the wrong text)."""
    question, spans = item.get("question"), item.get("gold_spans") or []
    if item.get("answerable") is False or not isinstance(question, str) or not spans:
        return None
    targets: list[int] = []
    lines: list[tuple[str, int, int]] = []
    text = ""
    for span in spans:
        try:
            doc, start, end = span["doc_id"], int(span["line_start"]), int(span["line_end"])
        except (KeyError, TypeError, ValueError):
            return None
        document_lines = doc_lines.get(doc)
        if not document_lines or end > len(document_lines) or start < 1:
            return None
        text += " ".join(document_lines[max(0, start - 3): end + 2])
        lines.append((doc, start, end))
        for position, chunk in by_doc.get(doc, []):
            if chunk.line_start <= end and start <= chunk.line_end and position not in targets:
                targets.append(position)
    facts = [f for f in item.get("key_facts") or [] if isinstance(f, str)]
    folded = fold(text, spaces=False)
    if not targets or any(fold(f, spaces=False) not in folded for f in facts):
        return None
    return EntryPoint(question, tuple(targets), tuple(lines), f"train:{item.get('id')}")
