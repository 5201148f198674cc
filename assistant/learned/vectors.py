"""e5 vectors of short texts (questions, action lines) in the query convention, cached by text hash.

The learned models use the same vectors the dense retrieval computes for a question, so a model and the index never
disagree on what a text means. Training texts are embedded once per machine (the cache, append-only, lives beside
the passage cache in PACTE_CACHE_DIR); at question time the vector is computed once and shared by every stage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..embedding import Embedder, EmbeddingCache


class _AsQueries:
    """Makes EmbeddingCache embed in the query convention (it calls `embed_passages`)."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder
        self.dim = embedder.dim

    def embed_passages(self, texts):
        return self._embedder.embed_queries(texts)


class QueryVectors:
    def __init__(self, embedder: Embedder, cache_dir: Path | None):
        self.embedder = embedder
        self.dim = embedder.dim
        self._cache = EmbeddingCache(cache_dir, embedder.name + ":query") if cache_dir else None

    def __call__(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._cache is None:
            return self.embedder.embed_queries(list(texts))
        return self._cache.embed(_AsQueries(self.embedder), list(texts), batch_size=batch_size)
