"""Hybrid retrieval: French BM25 (with acronym expansion) and dense e5 vectors in Chroma, fused by weighted
reciprocal rank fusion. `mode` selects one side alone, for the baselines of the benchmark."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config import MAX_QUESTION_CHARS, Settings
from .errors import IndexUnavailable
from .glossary import expand_query
from .index import LoadedIndex, load_index
from .lexical import BM25, analyse, normalise
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


@dataclass(frozen=True)
class FusionConfig:
    """Tuned on eval/datasets/dev_questions.jsonl with bench/retrieval.py (see README, Retrieval)."""

    rrf_k: int = 10  # small k: agreement near the top of both rankings matters most
    bm25_weight: float = 1.0
    dense_weight: float = 0.7  # e5-small alone is weaker than BM25 on this corpus (dev R@5 0.78 vs 0.87)
    candidates: int = 100  # depth of each ranking before fusion
    expand_dense: bool = False  # acronym expansion helps BM25; e5 already knows common acronyms
    named_doc_boost: float = 1.2  # a question naming a document (Pas-de-Calais, BFC meeting) prefers it
    indicator_guide_boost: float = 1.3  # a question about an indicator prefers the guide of indicators


class Retriever:
    def __init__(self, index: LoadedIndex, config: FusionConfig = FusionConfig()):
        self.index = index
        self.config = config
        self.chunks: list[Chunk] = index.chunks
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        self.bm25: BM25 = index.lexical  # built with the index, memory-mapped: nothing is re-analysed at load

    @classmethod
    def load(cls, settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> "Retriever":
        return cls(load_index(settings or Settings.from_env()), config)

    def lexical_ranking(self, expanded_query: str, n: int) -> list[tuple[int, float]]:
        return self.bm25.top(analyse(expanded_query), n)

    def dense_ranking(self, query_text: str, n: int) -> list[tuple[int, float]]:
        """Cosine similarities of the n nearest passages, best first (ties by passage order). The collection's
        search is exhaustive up to PACTE_EXACT_SEARCH_LIMIT passages (assistant/store.py): exact, so the same
        after every load of the index."""
        vector = self.index.embedder.embed_queries([query_text])[0]
        try:
            result = self.index.collection.query(
                query_embeddings=[vector.tolist()], n_results=min(n, len(self.chunks)), include=["distances"]
            )
            ranking = [
                (self._position[chunk_id], 1.0 - float(distance))
                for chunk_id, distance in zip(result["ids"][0], result["distances"][0])
            ]
        except Exception:  # noqa: BLE001 - a build removed under us, a server gone: the index is unusable
            raise IndexUnavailable(f"La recherche dans la base Chroma a échoué. {RUN_INDEX}") from None
        return sorted(ranking, key=lambda pair: (-pair[1], pair[0]))

    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> list[Hit]:
        query = clean_text(query, limit=MAX_QUERY_CHARS)
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        cfg = self.config
        expanded = expand_query(query, self.index.glossary)
        depth = max(cfg.candidates, k)
        rankings: dict[str, list[tuple[int, float]]] = {}
        if mode in ("hybrid", "bm25"):
            rankings["bm25"] = self.lexical_ranking(expanded, depth)
        if mode in ("hybrid", "dense"):
            rankings["dense"] = self.dense_ranking(expanded if cfg.expand_dense else query, depth)
        if mode != "hybrid":
            ranking = rankings[mode]
            return [
                Hit(self.chunks[i], score, rank, {mode: rank}) for rank, (i, score) in enumerate(ranking[:k], start=1)
            ]
        weights = {"bm25": cfg.bm25_weight, "dense": cfg.dense_weight}
        fused: dict[int, float] = {}
        sources: dict[int, dict] = {}
        for name, ranking in rankings.items():
            for rank, (i, _score) in enumerate(ranking, start=1):
                fused[i] = fused.get(i, 0.0) + weights[name] / (cfg.rrf_k + rank)
                sources.setdefault(i, {})[name] = rank
        preferred = named_document(query)
        about_indicator = "indicateur" in normalise(query)
        for i in fused:
            chunk = self.chunks[i]
            if chunk.doc_id == preferred:
                fused[i] *= cfg.named_doc_boost
            if about_indicator and any("indicateurs nationaux" in normalise(p) for p in chunk.section_path[:2]):
                fused[i] *= cfg.indicator_guide_boost
        order = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        return [Hit(self.chunks[i], fused[i], rank, sources[i]) for rank, i in enumerate(order, start=1)]


def load_retriever(settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> Retriever:
    return Retriever.load(settings, config)


