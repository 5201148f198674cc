"""Hybrid retrieval: French BM25 (with acronym expansion) and dense e5 vectors in Chroma, fused by weighted
reciprocal rank fusion. `mode` selects one side alone, for the baselines of the benchmark."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass

import numpy as np

from .config import Settings
from .corpus import canonical_kind, load_manifest, shipped_entries
from .errors import InvalidInput
from .glossary import expand_query
from .index import LoadedIndex, load_index
from .lexical import BM25, analyse, normalise, weighted_overlap
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
    added_coverage_margin: float = 0.1  # added documents join an unnamed question's hits when they cover it better
    unnamed_added_weight: float = 0.8  # … and then count for this share of their fused score
    indicator_guide_boost: float = 1.3  # a question about an indicator prefers the guide of indicators


class Retriever:
    """Hybrid search over the index. The shipped documents and the documents a user added (`pacte corpus add`) are
    ranked in two pools, each with its own lexical statistics: adding a document leaves the ranking of the shipped
    passages — hence the answers on the shipped corpus — as it was. Passages of added documents join the hits when
    the question names one of them (its aliases, its territory), when a filter selects them, or when their best
    passages cover the question's words better than the shipped corpus does (`_admits_added`)."""

    def __init__(self, index: LoadedIndex, config: FusionConfig = FusionConfig(), names: DocumentNames | None = None,
                 shipped: frozenset[str] | None = None):
        self.index = index
        self.config = config
        self.names = names or DocumentNames()
        self.chunks: list[Chunk] = index.chunks
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        self.added: frozenset[str] = frozenset(
            c.doc_id for c in self.chunks if shipped is not None and c.doc_id not in shipped
        )
        self._pools = [_Pool.of(self.chunks, lambda c: c.doc_id not in self.added)]
        if self.added:
            self._pools.append(_Pool.of(self.chunks, lambda c: c.doc_id in self.added))
        # The question's word weights (answers, abstention): the shipped statistics, and the added documents' own
        # words known too, weighted as rare as they are there.
        self.bm25 = self._pools[0].bm25
        if self.added:
            self.bm25 = copy.copy(self.bm25)
            self.bm25.idf = {**self._pools[1].bm25_idf_for(self.bm25.n), **self.bm25.idf}
        self.scope: frozenset[str] | None = None  # documents every search is restricted to (None: all)
        self._vectors = _passage_vectors(index, self.chunks)

    @classmethod
    def load(cls, settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> "Retriever":
        settings = settings or Settings.from_env()
        index = load_index(settings)
        entries = load_manifest(settings.corpus_dir)
        shipped = frozenset(e["doc_id"] for e in shipped_entries(settings.corpus_dir))
        return cls(index, config, DocumentNames.from_entries(entries), shipped)

    def scoped(self, doc_ids: frozenset[str] | None) -> "Retriever":
        """The same retriever (same index, same lexical statistics) searching only these documents."""
        view = copy.copy(self)
        view.scope = frozenset(doc_ids) if doc_ids is not None else None
        return view

    def named_document(self, query: str) -> str | None:
        return self.names.named(query)

    def without_document_name(self, query: str) -> str:
        return self.names.without_name(query)

    def lexical_ranking(self, expanded_query: str, n: int, scope: frozenset[str] | None = None,
                        pool: "_Pool | None" = None) -> list[tuple[int, float]]:
        pool = pool or self._pools[0]
        if scope is None:
            return [(pool.positions[i], s) for i, s in pool.bm25.top(analyse(expanded_query), n)]
        scores = pool.bm25.scores(analyse(expanded_query))
        kept = [(pool.positions[i], s) for i, s in scores.items() if self.chunks[pool.positions[i]].doc_id in scope]
        return sorted(kept, key=lambda item: (-item[1], item[0]))[:n]

    def dense_ranking(self, query_text: str, n: int, scope: frozenset[str] | None = None,
                      pool: "_Pool | None" = None) -> list[tuple[int, float]]:
        """Cosine similarity to every passage vector of the pool, exactly: the index's approximate nearest-neighbour
        search misses close passages (on the dev questions, 153 of 179 top-100 lists differed from the exact
        ones), and its graph changes when passages are added — the shipped passages' ranking would move with it."""
        vector = self.index.embedder.embed_queries([query_text])[0]
        positions = (pool or self._pools[0]).positions
        candidates = np.asarray([i for i in positions if scope is None or self.chunks[i].doc_id in scope], dtype=int)
        if not len(candidates):
            return []
        scores = self._vectors[candidates] @ vector
        top = np.lexsort((candidates, -scores))[:n]  # best first, ties by position
        return [(int(candidates[j]), float(scores[j])) for j in top]

    def search(self, query: str, k: int = 10, mode: str = "hybrid", doc_ids: frozenset[str] | None = None) -> list[Hit]:
        """The k best passages; `doc_ids` (or the retriever's scope) restricts them to these documents."""
        query = clean_text(query)
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        scope = frozenset(doc_ids) if doc_ids is not None else self.scope
        pools = [p for p in self._pools if scope is None or p.doc_ids & scope]
        if len(pools) == 1:
            return self._search_pool(query, k, mode, scope, pools[0])
        shipped, added = (self._search_pool(query, k, mode, scope, p) for p in pools)
        if scope is None:
            if not self._admits_added(query, shipped, added):
                return shipped
            if self.named_document(query) not in self.added:
                # Unnamed, an added document ranks below the shipped ones at equal evidence: its pool-relative ranks
                # flatter its passages (the best of a small pool is first however weakly it matches).
                added = [Hit(h.chunk, h.score * self.config.unnamed_added_weight, h.rank, h.sources) for h in added]
        # Fused scores are rank-based in both pools, hence comparable; a single mode's raw scores are not: by rank.
        key = (lambda h: (-h.score, h.rank)) if mode == "hybrid" else (lambda h: (h.rank, -h.score))
        merged = sorted(shipped + added, key=key)[:k]
        return [Hit(h.chunk, h.score, rank, h.sources) for rank, h in enumerate(merged, start=1)]

    def _admits_added(self, query: str, shipped: list[Hit], added: list[Hit]) -> bool:
        """Do the added documents' passages belong with the hits of an unfiltered question?"""
        if self.named_document(query) in self.added:
            return True
        weights = self.bm25.query_weights(query)
        total = sum(weights.values()) or 1.0

        def coverage(hits: list[Hit]) -> float:
            terms = set(analyse("\n".join(h.chunk.embed_text() for h in hits[:3])))
            return weighted_overlap(weights, terms) / total

        return coverage(added) > coverage(shipped) + self.config.added_coverage_margin

    def _search_pool(self, query: str, k: int, mode: str, scope: frozenset[str] | None, pool: "_Pool") -> list[Hit]:
        cfg = self.config
        expanded = expand_query(query, self.index.glossary)
        depth = max(cfg.candidates, k)
        rankings: dict[str, list[tuple[int, float]]] = {}
        if mode in ("hybrid", "bm25"):
            rankings["bm25"] = self.lexical_ranking(expanded, depth, scope, pool)
        if mode in ("hybrid", "dense"):
            rankings["dense"] = self.dense_ranking(expanded if cfg.expand_dense else query, depth, scope, pool)
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


def _passage_vectors(index: LoadedIndex, chunks: list[Chunk]) -> np.ndarray:
    """The passages' vectors from the index, in chunk order (float32, L2-normalised)."""
    stored = index.collection.get(include=["embeddings"])
    by_id = dict(zip(stored["ids"], stored["embeddings"]))
    return np.asarray([by_id[c.id] for c in chunks], dtype=np.float32).reshape(len(chunks), -1)


@dataclass
class _Pool:
    """Passages ranked together: BM25 over them alone, and their positions in the index's chunk list."""

    positions: list[int]
    doc_ids: frozenset[str]
    bm25: BM25

    @classmethod
    def of(cls, chunks: list[Chunk], keep) -> "_Pool":
        positions = [i for i, c in enumerate(chunks) if keep(c)]
        return cls(positions, frozenset(chunks[i].doc_id for i in positions),
                   BM25([analyse(chunks[i].embed_text()) for i in positions]))

    def bm25_idf_for(self, n: int) -> dict[str, float]:
        """This pool's words weighted as the BM25 idf of a corpus of n passages where they are as frequent."""
        return {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.bm25.postings.items()}


def load_retriever(settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> Retriever:
    return Retriever.load(settings, config)


