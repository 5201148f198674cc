"""Hybrid retrieval: candidates from French BM25 (with acronym expansion), dense e5 vectors in Chroma and the entry
points (questions people ask of each passage), ranked by the learned passage ranker (assistant.learned.ranker).

`mode` selects one side alone, for the baselines of the benchmark. Without a trained ranker (while the models are
being trained), candidates are ordered by reciprocal rank fusion, which is also one of the ranker's features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .config import MAX_QUESTION_CHARS, Settings
from .corpus import load_corpus
from .errors import IndexUnavailable
from .glossary import expand_query
from .index import LoadedIndex, load_index
from .learned.entry_points import EntryPoints
from .learned.ranker import SOURCES, CandidateSignals, PassageRanker, features
from .lexical import BM25, analyse, normalise, weighted_overlap
from .store import RUN_INDEX
from .schema import Chunk, Hit
from .validation import clean_text

MODES = ("hybrid", "bm25", "dense")
# A follow-up is searched together with the question it follows (each within MAX_QUESTION_CHARS).
MAX_QUERY_CHARS = 2 * MAX_QUESTION_CHARS + 1

# Which document a question names. Without a name, the instruction is the reference text.
DOCUMENT_NAMES = {
    "pas-de-calais-contrat-2024": r"pas[- ]de[- ]calais|\bpdc\b|\bdepartement\b",
    "bfc-visio-2024-04-11": r"\bbfc\b|bourgogne|franche[- ]comte|\bvisio\b|\bross\b",
}
DEFAULT_DOCUMENT = "instruction-2023-168"


def without_document_name(query: str) -> str:
    """The question (normalised) without the words naming a document: inside that document, every passage is
    about it, so these words do not tell which sentence answers."""
    text = normalise(query)
    pattern = DOCUMENT_NAMES.get(named_document(query))
    return re.sub(pattern, " ", text) if pattern else text


def named_document(query: str) -> str:
    text = normalise(query)
    for doc_id, pattern in DOCUMENT_NAMES.items():
        if re.search(pattern, text):
            return doc_id
    return DEFAULT_DOCUMENT


class PassageRetriever(Protocol):
    """What the answer stages need of a retriever: fake it in tests to run them without Chroma."""

    chunks: list[Chunk]
    bm25: BM25

    def search(self, query: str, k: int = 10, mode: str = "hybrid", **context) -> list[Hit]: ...


@dataclass(frozen=True)
class FusionConfig:
    rrf_k: int = 10  # reciprocal rank fusion (a feature of the ranker, and the order while it is trained)
    candidates: int = 100  # depth of the BM25 and dense rankings
    entry_depth: int = 40  # entry points read per query, lexically and densely
    ranked: int = 60  # candidates scored by the ranker: the union of each ranking's best, up to this many


@dataclass
class Candidates:
    """Every candidate passage of a question with its signals, before ranking."""

    positions: list[int]
    signals: list[CandidateSignals]
    rrf: list[float]
    tops: dict[str, float]
    named: str
    names_a_doc: bool
    query_terms: int
    rankings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    entry_hits: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # entry point index, score


class Retriever:
    def __init__(self, index: LoadedIndex, config: FusionConfig = FusionConfig(), entry_points: EntryPoints | None = None,
                 ranker: PassageRanker | None = None, doc_kinds: dict[str, str] | None = None,
                 guide_span: tuple[str, int, int] | None = None):
        self.index = index
        self.config = config
        self.chunks: list[Chunk] = index.chunks
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        self.bm25: BM25 = index.lexical  # built with the index, memory-mapped: nothing is re-analysed at load
        self.entry_points = entry_points
        self.ranker = ranker
        self.doc_kinds = doc_kinds or {}
        self._terms = [set(analyse(c.embed_text())) for c in self.chunks]
        self._path_terms = [set(analyse(" ".join(c.section_path))) for c in self.chunks]
        self._in_guide = [bool(guide_span) and c.doc_id == guide_span[0] and guide_span[1] <= c.line_start <= guide_span[2]
                          for c in self.chunks]
        self._vectors: np.ndarray | None = None
        self.territories: list[str] = []  # what the local documents are about (corpus/manifest.yaml)
        self.models = None

    @classmethod
    def load(cls, settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> "Retriever":
        """The index with its entry points and the trained ranker (trained now if missing or stale)."""
        from .learned.models import load_models

        settings = settings or Settings.from_env()
        retriever = cls.bare(settings, config)
        models = load_models(settings, retriever)
        retriever.use(models)
        return retriever

    @classmethod
    def bare(cls, settings: Settings, config: FusionConfig = FusionConfig()) -> "Retriever":
        """The index and its entry points, without learned models (what the models are trained on)."""
        from .learned.entry_points import build_entry_points, load_passage_questions
        from .learned.training import TrainingData
        from .referentiel import load_referentiel

        index = load_index(settings)
        documents = load_corpus(settings.corpus_dir, verify=False)
        referentiel = load_referentiel()
        guide = (referentiel.doc_id, *referentiel.guide_span)
        entry_points = build_entry_points(
            index.chunks, load_passage_questions(settings.corpus_dir), TrainingData.load(settings.train_dir).questions,
            {doc_id: d.lines for doc_id, d in documents.items()},
        )
        retriever = cls(index, config, entry_points, None, {d: doc.kind for d, doc in documents.items()}, guide)
        retriever.territories = [d.territory for d in documents.values() if d.territory]
        return retriever

    def use(self, models) -> None:
        """Attach the trained models: the ranker orders candidates, the entry points get their vectors."""
        self.models = models
        self.ranker = models.ranker
        if self.entry_points is not None:
            self.entry_points.vectors = models.entry_vectors(self.entry_points)

    # -- raw rankings ---------------------------------------------------------------------------------------------
    def lexical_ranking(self, expanded_query: str, n: int) -> list[tuple[int, float]]:
        return self.bm25.top(analyse(expanded_query), n)

    def dense_ranking(self, query_text: str, n: int, vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Passages by cosine similarity, best first (ties by passage order), computed exactly over the passage
        vectors the ranker needs anyway: the same after every load of the index, whatever Chroma's HNSW graph."""
        if vector is None:
            vector = self.index.embedder.embed_queries([query_text])[0]
        sims = self.chunk_vectors() @ np.asarray(vector, dtype=np.float32)  # float32 both: no upcast copy
        n = min(n, len(sims))
        if n <= 0:
            return []
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        return [(int(i), float(sims[i])) for i in sorted(top.tolist(), key=lambda i: (-sims[i], i))]

    def chunk_vectors(self) -> np.ndarray:
        """Every passage's vector, in chunk order, read once from Chroma (embedded or server)."""
        if self._vectors is None:
            try:
                got = self.index.collection.get(include=["embeddings"])
                by_id = dict(zip(got["ids"], got["embeddings"]))
                self._vectors = np.asarray([by_id[c.id] for c in self.chunks], dtype=np.float32)
            except Exception:  # noqa: BLE001 - a build removed under us, a server gone, a passage missing
                raise IndexUnavailable(f"La lecture des vecteurs dans la base Chroma a échoué. {RUN_INDEX}") from None
        return self._vectors

    def query_vector(self, text: str) -> np.ndarray:
        return self.index.embedder.embed_queries([text])[0]

    # -- candidates -----------------------------------------------------------------------------------------------
    def candidates(self, query: str, vector: np.ndarray | None = None,
                   exclude: frozenset[str] = frozenset()) -> Candidates:
        cfg = self.config
        expanded = expand_query(query, self.index.glossary)
        vector = np.asarray(self.query_vector(query) if vector is None else vector, dtype=np.float32)
        rankings = {
            "bm25": self.lexical_ranking(expanded, cfg.candidates),
            "dense": self.dense_ranking(query, cfg.candidates, vector),
        }
        entry_hits: dict[str, list[tuple[int, float]]] = {}
        if self.entry_points is not None and len(self.entry_points):
            entries = self.entry_points.entries
            entry_hits["ep_lex"] = self.entry_points.lexical(analyse(query), cfg.entry_depth, exclude)
            if self.entry_points.vectors is not None:
                entry_hits["ep_dense"] = self.entry_points.dense(vector, cfg.entry_depth, exclude)
            for name, found_entries in entry_hits.items():
                rankings[name] = EntryPoints.by_chunk(found_entries, entries)
        rrf: dict[int, float] = {}
        for ranking in rankings.values():
            for rank, (i, _score) in enumerate(ranking, start=1):
                rrf[i] = rrf.get(i, 0.0) + 1.0 / (cfg.rrf_k + rank)
        positions = sorted(rrf, key=lambda i: (-rrf[i], i))[: cfg.ranked]
        by_source = {name: {i: (rank, score) for rank, (i, score) in enumerate(r, start=1)} for name, r in rankings.items()}
        cosines = self.chunk_vectors()[positions] @ vector if positions else np.zeros(0)
        weights = self.bm25.query_weights(query)
        total = sum(weights.values()) or 1.0
        signals = []
        for n, i in enumerate(positions):
            scores, ranks = {}, {}
            for name in SOURCES:
                found = by_source.get(name, {}).get(i)
                ranks[name] = found[0] if found else None
                scores[name] = found[1] if found else None
            scores["dense"] = float(cosines[n])  # exact, even beyond the dense ranking's depth
            signals.append(CandidateSignals(scores, ranks, weighted_overlap(weights, self._terms[i]) / total,
                                            weighted_overlap(weights, self._path_terms[i]) / total))
        tops = {name: r[0][1] for name, r in rankings.items() if r}
        named = named_document(query)
        return Candidates(positions, signals, [rrf[i] for i in positions], tops, named, named != DEFAULT_DOCUMENT,
                          len(weights), rankings, entry_hits)

    def feature_rows(self, found: Candidates, intents: dict[str, float]) -> list[list[float]]:
        rows = []
        for i, signals, rrf in zip(found.positions, found.signals, found.rrf):
            chunk = self.chunks[i]
            rows.append(features(
                signals, found.tops, rrf, named_doc=int(chunk.doc_id == found.named), names_a_doc=int(found.names_a_doc),
                chars=len(chunk.text), is_table=chunk.kind == "table", has_axis=chunk.axis is not None,
                in_guide=self._in_guide[i], query_terms=found.query_terms, doc_kind=self.doc_kinds.get(chunk.doc_id, ""),
                intents=intents,
            ))
        return rows

    # -- search ---------------------------------------------------------------------------------------------------
    def rank(self, query: str, vector: np.ndarray | None = None, intents: dict[str, float] | None = None,
             exclude: frozenset[str] = frozenset()) -> "Ranking":
        """Every candidate passage, scored by the learned ranker (or by fusion while it is trained)."""
        vector = self.query_vector(query) if vector is None else vector
        found = self.candidates(query, vector, exclude)
        if intents is None and getattr(self, "models", None) is not None:
            intents = self.models.intent.probabilities(query, vector)
        if self.ranker is not None:
            scores = self.ranker.scores(self.feature_rows(found, intents or {}))
        else:
            scores = np.asarray(found.rrf)
        order = sorted(range(len(found.positions)), key=lambda n: (-scores[n], found.positions[n]))
        return Ranking(found, [float(scores[n]) for n in order], order)

    def hits(self, ranking: "Ranking", k: int) -> list[Hit]:
        out = []
        for rank, (n, score) in enumerate(zip(ranking.order[:k], ranking.scores), start=1):
            sources = {name: r for name, r in ranking.candidates.signals[n].ranks.items() if r}
            out.append(Hit(self.chunks[ranking.candidates.positions[n]], score, rank, sources))
        return out

    def search(self, query: str, k: int = 10, mode: str = "hybrid", vector: np.ndarray | None = None,
               intents: dict[str, float] | None = None) -> list[Hit]:
        query = clean_text(query, limit=MAX_QUERY_CHARS)
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        if mode == "bm25":
            ranking = self.lexical_ranking(expand_query(query, self.index.glossary), max(self.config.candidates, k))
        elif mode == "dense":
            ranking = self.dense_ranking(query, max(self.config.candidates, k), vector)
        if mode != "hybrid":
            return [Hit(self.chunks[i], score, rank, {mode: rank}) for rank, (i, score) in enumerate(ranking[:k], start=1)]
        return self.hits(self.rank(query, vector, intents), k)


@dataclass
class Ranking:
    """The candidates of a question and their order: `order[j]` is the candidate ranked j+1, `scores[j]` its score."""

    candidates: Candidates
    scores: list[float]
    order: list[int]


def load_retriever(settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> Retriever:
    return Retriever.load(settings, config)
