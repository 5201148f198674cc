"""Hybrid retrieval: French BM25 (with acronym expansion) and dense e5 vectors in Chroma, fused by weighted
reciprocal rank fusion. `mode` selects one side alone, for the baselines of the benchmark."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from .config import Settings
from .corpus import canonical_kind, load_manifest
from .errors import InvalidInput
from .glossary import expand_query
from .index import LoadedIndex, load_index
from .lexical import BM25, analyse, normalise
from .schema import Chunk, Hit
from .validation import clean_text

MODES = ("hybrid", "bm25", "dense")


def alias_pattern(alias: str) -> str:
    """A name as a regex over normalised text: whole words, spaces or hyphens between them
    ("Franche-Comté" -> r"\bfranche[-\s]+comte\b"; "Val d'Arlan" normalises to "val  arlan")."""
    words = [w for w in re.split(r"[\s-]+", normalise(alias)) if w]
    return r"\b" + r"[-\s]+".join(re.escape(w) for w in words) + r"\b" if words else ""


@dataclass(frozen=True)
class DocumentNames:
    """Which document a question names, from the `aliases` of the manifest entries (first match in manifest
    order). Without a name, the reference text is the corpus's first instruction."""

    patterns: tuple[tuple[str, re.Pattern], ...] = ()
    default: str | None = None

    @classmethod
    def from_entries(cls, entries: list[dict]) -> "DocumentNames":
        patterns = []
        for entry in entries:
            alternatives = [p for p in (alias_pattern(a) for a in entry.get("aliases") or ()) if p]
            if alternatives:
                patterns.append((entry["doc_id"], re.compile("|".join(alternatives))))
        default = next((e["doc_id"] for e in entries if canonical_kind(e.get("kind", "")) == "instruction"), None)
        return cls(tuple(patterns), default)

    def named(self, query: str) -> str | None:
        text = normalise(query)
        for doc_id, pattern in self.patterns:
            if pattern.search(text):
                return doc_id
        return self.default

    def without_name(self, query: str) -> str:
        """The question (normalised) without the words naming a document: inside that document, every passage is
        about it, so these words do not tell which sentence answers."""
        text = normalise(query)
        named = self.named(query)
        pattern = next((p for doc_id, p in self.patterns if doc_id == named), None)
        return pattern.sub(" ", text) if pattern else text


def document_scope(entries: list[dict], doc_ids=(), kinds=(), territories=()) -> frozenset[str] | None:
    """The documents a search is restricted to (None: all), from `--doc`, `--kind` and `--territory` filters:
    a document is kept when it passes every kind of filter given (any of its values)."""
    doc_ids, kinds, territories = list(doc_ids or ()), list(kinds or ()), list(territories or ())
    if not (doc_ids or kinds or territories):
        return None
    known = [e["doc_id"] for e in entries]
    unknown = [d for d in doc_ids if d not in known]
    if unknown:
        raise InvalidInput(f"Document inconnu : « {unknown[0]} ». Documents du corpus : {', '.join(known)}.")
    wanted_kinds = {canonical_kind(k) for k in kinds}
    wanted_places = {normalise(t).strip() for t in territories}
    kept = frozenset(
        e["doc_id"]
        for e in entries
        if (not doc_ids or e["doc_id"] in doc_ids)
        and (not kinds or canonical_kind(e.get("kind", "")) in wanted_kinds)
        and (not territories or normalise(e.get("territory") or "").strip() in wanted_places)
    )
    if not kept:
        raise InvalidInput("Aucun document du corpus ne correspond à ces filtres (--doc, --kind, --territory).")
    return kept


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
    def __init__(self, index: LoadedIndex, config: FusionConfig = FusionConfig(), names: DocumentNames | None = None):
        self.index = index
        self.config = config
        self.names = names or DocumentNames()
        self.chunks: list[Chunk] = index.chunks
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        self.bm25 = BM25([analyse(c.embed_text()) for c in self.chunks])
        self.scope: frozenset[str] | None = None  # documents every search is restricted to (None: all)

    @classmethod
    def load(cls, settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> "Retriever":
        settings = settings or Settings.from_env()
        index = load_index(settings)
        return cls(index, config, DocumentNames.from_entries(load_manifest(settings.corpus_dir)))

    def scoped(self, doc_ids: frozenset[str] | None) -> "Retriever":
        """The same retriever (same index, same lexical statistics) searching only these documents."""
        view = copy.copy(self)
        view.scope = frozenset(doc_ids) if doc_ids is not None else None
        return view

    def named_document(self, query: str) -> str | None:
        return self.names.named(query)

    def without_document_name(self, query: str) -> str:
        return self.names.without_name(query)

    def lexical_ranking(self, expanded_query: str, n: int, scope: frozenset[str] | None = None) -> list[tuple[int, float]]:
        if scope is None:
            return self.bm25.top(analyse(expanded_query), n)
        scores = self.bm25.scores(analyse(expanded_query))
        kept = [(i, s) for i, s in scores.items() if self.chunks[i].doc_id in scope]
        return sorted(kept, key=lambda item: (-item[1], item[0]))[:n]

    def dense_ranking(self, query_text: str, n: int, scope: frozenset[str] | None = None) -> list[tuple[int, float]]:
        vector = self.index.embedder.embed_queries([query_text])[0]
        where = None
        size = len(self.chunks)
        if scope is not None:
            where = {"doc_id": {"$in": sorted(scope)}}
            size = sum(1 for c in self.chunks if c.doc_id in scope)
            if not size:
                return []
        result = self.index.collection.query(
            query_embeddings=[vector.tolist()], n_results=min(n, size), include=["distances"], where=where
        )
        return [
            (self._position[chunk_id], 1.0 - float(distance))
            for chunk_id, distance in zip(result["ids"][0], result["distances"][0])
        ]

    def search(self, query: str, k: int = 10, mode: str = "hybrid", doc_ids: frozenset[str] | None = None) -> list[Hit]:
        """The k best passages; `doc_ids` (or the retriever's scope) restricts them to these documents."""
        query = clean_text(query)
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        scope = frozenset(doc_ids) if doc_ids is not None else self.scope
        cfg = self.config
        expanded = expand_query(query, self.index.glossary)
        depth = max(cfg.candidates, k)
        rankings: dict[str, list[tuple[int, float]]] = {}
        if mode in ("hybrid", "bm25"):
            rankings["bm25"] = self.lexical_ranking(expanded, depth, scope)
        if mode in ("hybrid", "dense"):
            rankings["dense"] = self.dense_ranking(expanded if cfg.expand_dense else query, depth, scope)
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
        preferred = self.named_document(query)
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


