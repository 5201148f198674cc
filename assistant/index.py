"""Building and loading the index: Chroma (dense) + chunks + glossary, in index/builds/<id>/, made current by an
atomic symlink swap. A crash or kill mid-build leaves the previous index in use; nothing half-written is ever read.

Layout:
    index/current -> builds/<id>      (symlink, replaced atomically with os.replace)
    index/builds/<id>/manifest.json    written last: a build without it is incomplete
    index/builds/<id>/chunks.jsonl, glossary.json, chroma/
    index/cache/embeddings-*.npz       passage embeddings by text hash, shared across builds
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import __version__
from .config import Settings
from .corpus import corpus_fingerprint, load_corpus, load_manifest
from .embedding import Embedder, EmbeddingCache, chroma_embedding_function, embedder_label, make_embedder
from .errors import CorpusError, IndexUnavailable
from .glossary import GlossaryEntry, extract_glossary
from .schema import Chunk

INDEX_FORMAT = 1
COLLECTION = "pacte_chunks"
RUN_INDEX = "Lancez `pacte index` pour (re)construire l'index."

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@dataclass
class BuildReport:
    status: str  # "built" | "up-to-date"
    path: str
    chunks: int
    embedded: int  # passages actually embedded (not found in the cache)
    seconds: float


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    chunks: list[Chunk]
    glossary: dict[str, GlossaryEntry]
    collection: object  # chromadb Collection
    embedder: Embedder


def chroma_client(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


def _chunk_fingerprint(chunks: list[Chunk], embedder_name: str) -> str:
    digest = hashlib.sha256(f"{INDEX_FORMAT}\0{embedder_name}".encode())
    for c in chunks:
        digest.update(json.dumps(asdict(c), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def _chunk_to_json(chunk: Chunk) -> str:
    data = asdict(chunk)
    data["section_path"] = list(chunk.section_path)
    return json.dumps(data, ensure_ascii=False)


def _chunk_from_json(line: str) -> Chunk:
    data = json.loads(line)
    data["section_path"] = tuple(data["section_path"])
    return Chunk(**data)


def _current_manifest(index_dir: Path) -> dict | None:
    try:
        return json.loads((index_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _fault(stage: str):
    """Test hook: PACTE_BUILD_KILL_AT=<stage> kills the build with SIGKILL at that stage (atomicity tests)."""
    if os.environ.get("PACTE_BUILD_KILL_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def _clean_stale_builds(builds: Path, keep: set[str]):
    if not builds.exists():
        return
    for entry in builds.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)


def build_index(settings: Settings, force: bool = False, progress: bool = True) -> BuildReport:
    from .chunking import chunk_corpus

    started = time.perf_counter()
    documents = load_corpus(settings.corpus_dir)
    chunks = chunk_corpus(documents)
    label = embedder_label(settings.embedder)
    fingerprint = _chunk_fingerprint(chunks, label)
    index_dir = settings.index_dir
    current = _current_manifest(index_dir)
    if not force and current and current.get("fingerprint") == fingerprint and _is_readable(index_dir / "current"):
        return BuildReport("up-to-date", str((index_dir / "current").resolve()), len(chunks), 0, time.perf_counter() - started)

    embedder = make_embedder(settings.embedder)
    cache = EmbeddingCache(settings.cache_dir, embedder.name)
    texts = [c.embed_text() for c in chunks]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="Vectorisation des passages", unit="passage", file=sys.stderr, leave=False)
    try:
        vectors = cache.embed(embedder, texts, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    cache.save()
    _fault("after-embedding")

    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    target = builds / build_id
    target.mkdir()
    client = chroma_client(target / "chroma")
    collection = client.create_collection(
        COLLECTION,
        embedding_function=chroma_embedding_function(embedder),
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedder": embedder.name},
    )
    for start in range(0, len(chunks), 256):
        batch = chunks[start : start + 256]
        collection.add(
            ids=[c.id for c in batch],
            embeddings=[v.tolist() for v in vectors[start : start + 256]],
            documents=[c.text for c in batch],
            metadatas=[
                {
                    "doc_id": c.doc_id,
                    "line_start": c.line_start,
                    "line_end": c.line_end,
                    "section_path": json.dumps(list(c.section_path), ensure_ascii=False),
                    "kind": c.kind,
                    "axis": c.axis or 0,
                }
                for c in batch
            ],
        )
    _fault("after-chroma")
    (target / "chunks.jsonl").write_text("\n".join(_chunk_to_json(c) for c in chunks) + "\n", encoding="utf-8")
    glossary = extract_glossary(documents)
    (target / "glossary.json").write_text(
        json.dumps({k: asdict(v) for k, v in glossary.items()}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    manifest = {
        "format": INDEX_FORMAT,
        "version": __version__,
        "embedder": embedder.name,
        "dim": embedder.dim,
        "corpus": corpus_fingerprint(documents),
        "fingerprint": fingerprint,
        "chunks": len(chunks),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    _write_atomic(target / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    _fault("before-swap")
    link_tmp = index_dir / f".current-{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(Path("builds") / build_id, link_tmp)
    os.replace(link_tmp, index_dir / "current")
    _clean_stale_builds(builds, keep={build_id})
    return BuildReport("built", str(target), len(chunks), cache.computed, time.perf_counter() - started)


def _write_atomic(path: Path, text: str):
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _is_readable(path: Path) -> bool:
    return all((path / name).exists() for name in ("manifest.json", "chunks.jsonl", "glossary.json", "chroma"))


def check_index(settings: Settings) -> dict:
    """The current index's manifest, or IndexUnavailable with a French message saying why it cannot be used."""
    current = settings.index_dir / "current"
    if not current.exists():
        raise IndexUnavailable(f"Aucun index trouvé dans {settings.index_dir}. {RUN_INDEX}")
    manifest = _current_manifest(settings.index_dir)
    if manifest is None or not _is_readable(current):
        raise IndexUnavailable(f"L'index de {settings.index_dir} est incomplet ou corrompu. {RUN_INDEX}")
    if manifest.get("format") != INDEX_FORMAT:
        raise IndexUnavailable(f"L'index a été construit par une version incompatible. {RUN_INDEX}")
    wanted = embedder_label(settings.embedder)
    if manifest.get("embedder") != wanted:
        raise IndexUnavailable(
            f"L'index a été construit avec l'embedder « {manifest.get('embedder')} » mais la configuration "
            f"demande « {wanted} ». {RUN_INDEX}"
        )
    try:
        expected = {d["doc_id"]: d["sha256"] for d in load_manifest(settings.corpus_dir)}
    except CorpusError as exc:
        raise IndexUnavailable(exc.message) from None
    if manifest.get("corpus") != expected:
        raise IndexUnavailable(f"Le corpus a changé depuis la construction de l'index. {RUN_INDEX}")
    return manifest


def load_index(settings: Settings, embedder: Embedder | None = None) -> LoadedIndex:
    manifest = check_index(settings)
    path = (settings.index_dir / "current").resolve()
    try:
        chunks = [_chunk_from_json(line) for line in (path / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
        glossary = {k: GlossaryEntry(**v) for k, v in json.loads((path / "glossary.json").read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, TypeError, KeyError):
        raise IndexUnavailable(f"Les fichiers de l'index sont corrompus ({path}). {RUN_INDEX}") from None
    if len(chunks) != manifest.get("chunks"):
        raise IndexUnavailable(f"L'index est incomplet ({len(chunks)} passages au lieu de {manifest.get('chunks')}). {RUN_INDEX}")
    embedder = embedder or make_embedder(settings.embedder)
    try:
        collection = chroma_client(path / "chroma").get_collection(
            COLLECTION, embedding_function=chroma_embedding_function(embedder)
        )
        count = collection.count()
    except Exception as exc:  # noqa: BLE001 - any Chroma failure here means an unusable index
        raise IndexUnavailable(f"La base Chroma de l'index est illisible ({type(exc).__name__}). {RUN_INDEX}") from None
    if count != len(chunks):
        raise IndexUnavailable(f"La base Chroma ne contient que {count} passages sur {len(chunks)}. {RUN_INDEX}")
    return LoadedIndex(path, manifest, chunks, glossary, collection, embedder)


def index_status(settings: Settings) -> dict:
    """For /api/health and `pacte index --status`: never raises."""
    try:
        manifest = check_index(settings)
        return {"ok": True, "message": "Index disponible.", **manifest}
    except IndexUnavailable as exc:
        return {"ok": False, "message": exc.message, "embedder": embedder_label(settings.embedder)}
