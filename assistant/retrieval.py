"""Hybrid retrieval: candidates from French BM25 (with acronym expansion), dense e5 vectors in Chroma and the entry
points (questions people ask of each passage), ranked by the learned passage ranker (assistant.learned.ranker).

`mode` selects one side alone, for the baselines of the benchmark. Without a trained ranker (while the models are
being trained), candidates are ordered by reciprocal rank fusion, which is also one of the ranker's features.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .config import MAX_QUESTION_CHARS, Settings
from .corpus import canonical_kind, load_corpus, load_manifest, shipped_entries
from .errors import InvalidInput
from .glossary import expand_query
from .index import LoadedIndex, load_index
from .learned.entry_points import EntryPoints
from .learned.ranker import SOURCES, CandidateSignals, PassageRanker, features
from .lexical import BM25, analyse, normalise, weighted_overlap
from .schema import Chunk, Hit
from .validation import clean_text

MODES = ("hybrid", "bm25", "dense")
# A follow-up is searched together with the question it follows (each within MAX_QUESTION_CHARS).
MAX_QUERY_CHARS = 2 * MAX_QUESTION_CHARS + 1

def alias_pattern(alias: str) -> str:
    """A name as a regex over normalised text: whole words, spaces or hyphens between them
    ("Franche-Comté" -> r"\bfranche[-\s]+comte\b"; "Val d'Arlan" normalises to "val  arlan")."""
    words = [w for w in re.split(r"[\s-]+", normalise(alias)) if w]
    return r"\b" + r"[-\s]+".join(re.escape(w) for w in words) + r"\b" if words else ""


@dataclass(frozen=True)
class DocumentNames:
    """Which document a question names, from the `aliases` and `territory` of the manifest entries (first match in
    manifest order). Without a name, the reference text is the corpus's first instruction."""

    patterns: tuple[tuple[str, re.Pattern], ...] = ()
    default: str | None = None

    @classmethod
    def from_entries(cls, entries: list[dict]) -> "DocumentNames":
        patterns = []
        for entry in entries:
            names = [*(entry.get("aliases") or ()), *([entry["territory"]] if entry.get("territory") else [])]
            alternatives = [p for p in (alias_pattern(a) for a in names) if p]
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


@dataclass
class Pool:
    """Passages ranked together, with their own lexical statistics: the shipped documents, and the documents a user
    added (`pacte corpus add`). Adding a document leaves the shipped passages' features, hence their ranking and the
    answers on the shipped corpus, as they were."""

    positions: np.ndarray  # positions in the index's chunk list
    bm25: BM25
    members: frozenset[int] = field(init=False)  # the same positions, for membership tests

    def __post_init__(self):
        self.members = frozenset(self.positions.tolist())

    def lexical(self, tokens: list[str], n: int) -> list[tuple[int, float]]:
        return [(int(self.positions[i]), s) for i, s in self.bm25.top(tokens, n)]


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
    added_coverage_margin: float = 0.1  # added documents join an unnamed question's hits when they cover it better
    unnamed_added_weight: float = 0.8  # rank-matched score share of the pool not preferred (see rank, _merge)


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
                 guide_span: tuple[str, int, int] | None = None, names: DocumentNames | None = None,
                 shipped: frozenset[str] | None = None):
        self.index = index
        self.config = config
        self.chunks: list[Chunk] = index.chunks
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        self.names = names or DocumentNames()
        # Documents a user added (not in the shipped manifest): ranked in their own pool (see Pool).
        self.added: frozenset[str] = frozenset(
            c.doc_id for c in self.chunks if shipped is not None and c.doc_id not in shipped)
        tokens = [analyse(c.embed_text()) for c in self.chunks]  # once: the pools' BM25 and the coverage terms
        if not self.added:
            # The index's lexical index, memory-mapped.
            self.pools = {"shipped": Pool(np.arange(len(self.chunks)), index.lexical)}
        else:
            self.pools = {name: Pool(positions, BM25([tokens[i] for i in positions]))
                          for name, positions in (
                              ("shipped", np.asarray([i for i, c in enumerate(self.chunks) if c.doc_id not in self.added])),
                              ("added", np.asarray([i for i, c in enumerate(self.chunks) if c.doc_id in self.added])))}
        self.bm25: BM25 = self.pools["shipped"].bm25
        if self.added:
            # The question's word weights (answers, abstention): the shipped statistics, and the added documents'
            # own words known too, as rare as they are there.
            added = self.pools["added"].bm25
            n = self.bm25.n
            df = np.diff(added.offsets).astype(np.float64)
            extra = dict(zip(added.terms, np.log(1 + (n - df + 0.5) / (df + 0.5)).tolist()))
            self.bm25 = copy.copy(self.bm25)
            self.bm25.idf = {**extra, **self.bm25.idf}
            self.bm25._max_idf = None
        self.scope: frozenset[str] | None = None  # documents every search is restricted to (None: all)
        self.entry_points = entry_points
        self.ranker = ranker
        self.doc_kinds = doc_kinds or {}
        self._terms = [set(t) for t in tokens]
        self._path_terms = [set(analyse(" ".join(c.section_path))) for c in self.chunks]
        self._in_guide = [bool(guide_span) and c.doc_id == guide_span[0] and guide_span[1] <= c.line_start <= guide_span[2]
                          for c in self.chunks]
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
        names = DocumentNames.from_entries(load_manifest(settings.corpus_dir))
        shipped = frozenset(e["doc_id"] for e in shipped_entries(settings.corpus_dir))
        retriever = cls(index, config, entry_points, None, {d: doc.kind for d, doc in documents.items()}, guide,
                        names, shipped)
        retriever.territories = [d.territory for d in documents.values() if d.territory]
        return retriever

    def use(self, models) -> None:
        """Attach the trained models: the ranker orders candidates, the entry points get their vectors."""
        self.models = models
        self.ranker = models.ranker
        if self.entry_points is not None:
            self.entry_points.vectors = models.entry_vectors(self.entry_points)

    def scoped(self, doc_ids: frozenset[str] | None) -> "Retriever":
        """The same retriever (same index, same models) searching only these documents."""
        view = copy.copy(self)
        view.scope = frozenset(doc_ids) if doc_ids is not None else None
        return view

    def named_document(self, query: str) -> str | None:
        return self.names.named(query)

    def without_document_name(self, query: str) -> str:
        return self.names.without_name(query)

    # -- raw rankings ---------------------------------------------------------------------------------------------
    def _kept(self, scope: frozenset[str] | None, pool: Pool | None):
        """Which positions a ranking may return: the pool's, in the scope."""
        if scope is None and (pool is None or len(self.pools) == 1):
            return None
        allowed = pool.members if pool is not None else range(len(self.chunks))
        if scope is not None:
            return {i for i in allowed if self.chunks[i].doc_id in scope}
        return allowed

    def lexical_ranking(self, expanded_query: str, n: int, scope: frozenset[str] | None = None,
                        pool: Pool | None = None) -> list[tuple[int, float]]:
        """BM25 ranking within a pool (or both pools, interleaved by rank: their scores are not comparable)."""
        tokens = analyse(expanded_query)
        rankings = []
        for p in ([pool] if pool is not None else list(self.pools.values())):
            if scope is None:
                rankings.append(p.lexical(tokens, n))
            else:
                kept = self._kept(scope, p)
                rankings.append([(i, score) for i, score in p.lexical(tokens, len(p.positions)) if i in kept][:n])
        if len(rankings) == 1:
            return rankings[0]
        merged = [(rank, -score, i) for ranking in rankings for rank, (i, score) in enumerate(ranking)]
        return [(i, -negative) for _, negative, i in sorted(merged)][:n]

    def dense_ranking(self, query_text: str, n: int, vector: np.ndarray | None = None,
                      scope: frozenset[str] | None = None, pool: Pool | None = None) -> list[tuple[int, float]]:
        """Passages by cosine similarity, best first (ties by passage order), computed exactly over the passage
        vectors the ranker needs anyway: the same after every load of the index, whatever Chroma's HNSW graph."""
        if vector is None:
            vector = self.index.embedder.embed_queries([query_text])[0]
        sims = self.chunk_vectors() @ np.asarray(vector, dtype=np.float32)  # float32 both: no upcast copy
        kept = self._kept(scope, pool)
        available = len(sims)
        if kept is not None:  # passages outside the pool or the scope never rank
            allowed = np.asarray(sorted(kept), dtype=np.int64)
            masked = np.full(len(sims), -np.inf, dtype=sims.dtype)
            masked[allowed] = sims[allowed]
            sims, available = masked, len(allowed)
        n = min(n, available)
        if n <= 0:
            return []
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        return [(int(i), float(sims[i])) for i in sorted(top.tolist(), key=lambda i: (-sims[i], i))]

    def chunk_vectors(self) -> np.ndarray:
        """Every passage's vector, in chunk order: the build's vectors.npy, memory-mapped (workers share its pages;
        nothing is copied through Chroma's client, whose full read peaked at ten times the vectors' size)."""
        return self.index.vectors

    def query_vector(self, text: str) -> np.ndarray:
        return self.index.embedder.embed_queries([text])[0]

    # -- candidates -----------------------------------------------------------------------------------------------
    def candidates(self, query: str, vector: np.ndarray | None = None, exclude: frozenset[str] = frozenset(),
                   pool: Pool | None = None, scope: frozenset[str] | None = None) -> Candidates:
        """The candidate passages of one pool (default: every passage) within the scope, with their signals."""
        cfg = self.config
        kept = self._kept(scope, pool)
        expanded = expand_query(query, self.index.glossary)
        vector = np.asarray(self.query_vector(query) if vector is None else vector, dtype=np.float32)
        rankings = {
            "bm25": self.lexical_ranking(expanded, cfg.candidates, scope, pool),
            "dense": self.dense_ranking(query, cfg.candidates, vector, scope, pool),
        }
        entry_hits: dict[str, list[tuple[int, float]]] = {}
        if self.entry_points is not None and len(self.entry_points):
            entries = self.entry_points.entries
            entry_hits["ep_lex"] = self.entry_points.lexical(analyse(query), cfg.entry_depth, exclude)
            if self.entry_points.vectors is not None:
                entry_hits["ep_dense"] = self.entry_points.dense(vector, cfg.entry_depth, exclude)
            for name, found_entries in entry_hits.items():
                ranked = EntryPoints.by_chunk(found_entries, entries)
                rankings[name] = ranked if kept is None else [(i, score) for i, score in ranked if i in kept]
        rrf: dict[int, float] = {}
        for ranking in rankings.values():
            for rank, (i, _score) in enumerate(ranking, start=1):
                rrf[i] = rrf.get(i, 0.0) + 1.0 / (cfg.rrf_k + rank)
        positions = sorted(rrf, key=lambda i: (-rrf[i], i))[: cfg.ranked]
        by_source = {name: {i: (rank, score) for rank, (i, score) in enumerate(r, start=1)} for name, r in rankings.items()}
        cosines = self.chunk_vectors()[positions] @ vector if positions else np.zeros(0)
        weights = (pool or self.pools["shipped"]).bm25.query_weights(query)
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
        named = self.named_document(query)
        return Candidates(positions, signals, [rrf[i] for i in positions], tops, named, named != self.names.default,
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
             exclude: frozenset[str] = frozenset(), scope: frozenset[str] | None = None) -> "Ranking":
        """Every candidate passage, scored by the learned ranker (or by fusion while it is trained). With added
        documents, each pool is ranked alone; the added one joins when the question names one of its documents,
        when the scope selects it, or when its best passages cover the question better (`_admits_added`)."""
        vector = self.query_vector(query) if vector is None else vector
        scope = scope if scope is not None else self.scope
        if intents is None and getattr(self, "models", None) is not None:
            intents = self.models.intent.probabilities(query, vector)
        if len(self.pools) == 1:
            return self._ranked(self.candidates(query, vector, exclude, None, scope), intents)
        rankings = {name: self._ranked(self.candidates(query, vector, exclude, pool, scope), intents)
                    for name, pool in self.pools.items()
                    if scope is None or self._kept(scope, pool)}
        if len(rankings) == 1:
            return next(iter(rankings.values()))
        shipped, added = rankings["shipped"], rankings["added"]
        named_added = self.named_document(query) in self.added
        covers_better = self._admits_added(query, shipped, added)
        if scope is None and not named_added and not covers_better:
            return shipped
        # Named, or covering the question better, an added document ranks above the shipped ones at equal rank;
        # otherwise (both pools in a filter's scope) below.
        preferred = named_added or covers_better
        weight = 1.0 / self.config.unnamed_added_weight if preferred else self.config.unnamed_added_weight
        return _merge(shipped, added, weight)

    def _ranked(self, found: Candidates, intents: dict[str, float] | None) -> "Ranking":
        if self.ranker is not None:
            scores = self.ranker.scores(self.feature_rows(found, intents or {}))
        else:
            scores = np.asarray(found.rrf)
        order = sorted(range(len(found.positions)), key=lambda n: (-scores[n], found.positions[n]))
        return Ranking(found, [float(scores[n]) for n in order], order)

    def _admits_added(self, query: str, shipped: "Ranking", added: "Ranking") -> bool:
        """Do the added documents' passages belong with the hits of an unfiltered question? When their best
        passages cover the question's words better than the shipped corpus's best do."""
        weights = self.bm25.query_weights(query)
        total = sum(weights.values()) or 1.0

        def coverage(ranking: "Ranking") -> float:
            terms = set().union(*(self._terms[ranking.candidates.positions[n]] for n in ranking.order[:3]))
            return weighted_overlap(weights, terms) / total

        return coverage(added) > coverage(shipped) + self.config.added_coverage_margin

    def hits(self, ranking: "Ranking", k: int) -> list[Hit]:
        out = []
        for rank, (n, score) in enumerate(zip(ranking.order[:k], ranking.scores), start=1):
            sources = {name: r for name, r in ranking.candidates.signals[n].ranks.items() if r}
            out.append(Hit(self.chunks[ranking.candidates.positions[n]], score, rank, sources))
        return out

    def search(self, query: str, k: int = 10, mode: str = "hybrid", vector: np.ndarray | None = None,
               intents: dict[str, float] | None = None, doc_ids: frozenset[str] | None = None) -> list[Hit]:
        """The k best passages; `doc_ids` (or the retriever's scope) restricts them to these documents."""
        query = clean_text(query, limit=MAX_QUERY_CHARS)
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        scope = frozenset(doc_ids) if doc_ids is not None else self.scope
        if mode == "bm25":
            ranking = self.lexical_ranking(expand_query(query, self.index.glossary), max(self.config.candidates, k), scope)
        elif mode == "dense":
            ranking = self.dense_ranking(query, max(self.config.candidates, k), vector, scope)
        if mode != "hybrid":
            return [Hit(self.chunks[i], score, rank, {mode: rank}) for rank, (i, score) in enumerate(ranking[:k], start=1)]
        return self.hits(self.rank(query, vector, intents, scope=scope), k)


@dataclass
class Ranking:
    """The candidates of a question and their order: `order[j]` is the candidate ranked j+1, `scores[j]` its score."""

    candidates: Candidates
    scores: list[float]
    order: list[int]


def _merge(first: Ranking, second: Ranking, weight: float) -> Ranking:
    """Two pools' rankings as one, interleaved by rank: the second pool's j-th passage gets the first pool's j-th
    score times `weight`. Their own scores are not comparable: the ranker's entry-point features (hypothetical
    questions) exist for the shipped passages only. The first pool's question-level signals are kept."""
    a, b = first.candidates, second.candidates
    found = Candidates(a.positions + b.positions, a.signals + b.signals, a.rrf + b.rrf, a.tops, a.named,
                       a.names_a_doc, a.query_terms, a.rankings, a.entry_hits)
    offset = len(a.positions)
    floor = first.scores[-1] if first.scores else 0.0
    scale = [first.scores[j] if j < len(first.scores) else floor for j in range(len(second.order))]
    pairs = list(zip(first.order, first.scores)) + [(n + offset, s * weight) for n, s in zip(second.order, scale)]
    pairs.sort(key=lambda pair: (-pair[1], found.positions[pair[0]]))
    return Ranking(found, [score for _, score in pairs], [n for n, _ in pairs])


def load_retriever(settings: Settings | None = None, config: FusionConfig = FusionConfig()) -> Retriever:
    return Retriever.load(settings, config)
