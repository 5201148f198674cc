"""Building, verifying and loading the index: Chroma collections (dense) + chunks + glossary + lexical index.

A build is written beside the current one and made current by one atomic pointer switch (assistant/store.py: a
symlink for the embedded Chroma, a catalogue entry of the Chroma server): a crash, a kill -9 or a full disk
mid-build leaves the previous index in use, and nothing half-written is ever read.

Build files (in the build's folder; in server mode a local copy, the server holding the vectors and the pointer):
    manifest.json   written last; lists the build's collections and the sha256 of every file
    chunks.jsonl, glossary.json, lexical/*.npy (the BM25 arrays, memory-mapped by every serving worker)
    chroma/         embedded mode: the build's collections
Embeddings are cached by text hash in PACTE_CACHE_DIR (assistant/embedding.py), appended as they are computed.

A build may hold several collections, each listed in the manifest with its name and size; the pointer switch covers
all of them. `build_collections` says which collections a build has (today: the chunks).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import __version__
from .config import Settings
from .corpus import corpus_fingerprint, load_corpus, load_manifest
from .embedding import Embedder, EmbeddingCache, embedder_label, make_embedder
from .errors import CorpusError, IndexUnavailable, PacteError
from .glossary import GlossaryEntry, extract_glossary
from .lexical import BM25, analyse
from .schema import Chunk
from .store import RUN_INDEX, BuildFailed, DiskFull, Store, collection_name, hnsw_configuration, is_disk_full, mount_point, new_build_id

INDEX_FORMAT = 3
CHUNKS = "chunks"
FILES = ("chunks.jsonl", "glossary.json", "vectors.npy", *(f"lexical/{name}" for name in BM25.FILES))
# Superseded builds are kept this long after the switch, for serving workers still reading them (they move to the
# new build within PACTE_RELOAD_INTERVAL); the next build removes them afterwards.
SUPERSEDED_GRACE_S = 120.0
VERIFY_TTL_S = 30.0  # how long a verification of the collections is trusted (files: until they change)
ADD_BATCH = 1000

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


# --- the manifest (pydantic at the edge: it is a file anyone can damage) -----------------------------------------


class CollectionEntry(BaseModel):
    name: str = Field(min_length=3, max_length=512)
    count: int = Field(ge=0)


class BuildManifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    format: int
    version: str
    build: str
    embedder: str
    dim: int = Field(gt=0)
    corpus: dict[str, str]
    fingerprint: str
    chunks: int = Field(ge=0)
    built_at: str
    built_at_epoch: float = 0.0
    collections: dict[str, CollectionEntry]
    files: dict[str, str]
    search: dict[str, int | bool] = {}


@dataclass
class BuildReport:
    status: str  # "built" | "up-to-date"
    path: str
    chunks: int
    embedded: int  # passages actually embedded (not found in the cache)
    seconds: float
    repaired: str | None = None  # why the index in place could not be trusted, when that caused the build
    removed: list[str] = field(default_factory=list)  # leftover builds removed at the start


@dataclass
class CollectionPlan:
    """One collection of a build: the texts embedded, and what Chroma stores beside each vector."""

    name: str
    ids: list[str]
    texts: list[str]
    documents: list[str]
    metadatas: list[dict]


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    chunks: list[Chunk]
    glossary: dict[str, GlossaryEntry]
    collections: dict[str, object]  # name -> chromadb Collection
    embedder: Embedder
    lexical: BM25
    build_id: str = ""
    store: Store | None = None
    client: object = None
    vectors: np.ndarray | None = None  # the passages' vectors in chunk order (vectors.npy, memory-mapped)

    @property
    def collection(self):
        """The chunks' collection (the dense side of retrieval)."""
        return self.collections[CHUNKS]

    def close(self) -> None:
        """Release the Chroma client (embedded: its files). The index must not be searched afterwards."""
        if self.store is not None and self.client is not None:
            self.store.release(self.client)
            self.client = None


# --- chunks and collections ----------------------------------------------------------------------------------


def _chunk_to_json(chunk: Chunk) -> str:
    data = asdict(chunk)
    data["section_path"] = list(chunk.section_path)
    return json.dumps(data, ensure_ascii=False)


def _chunk_from_json(line: str) -> Chunk:
    data = json.loads(line)
    if not isinstance(data, dict):
        raise TypeError("a chunk is a JSON object")
    data["section_path"] = tuple(data["section_path"])
    return Chunk(**data)


def _chunk_metadata(chunk: Chunk, order: int) -> dict:
    """Everything of a chunk but its text (the collection's document), so a server alone can restore the chunks."""
    return {
        "doc_id": chunk.doc_id,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "section_path": json.dumps(list(chunk.section_path), ensure_ascii=False),
        "kind": chunk.kind,
        "axis": chunk.axis or 0,
        "context": chunk.context,
        "order": order,
    }


def _chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    return Chunk(
        id=chunk_id,
        doc_id=meta["doc_id"],
        section_path=tuple(json.loads(meta["section_path"])),
        line_start=int(meta["line_start"]),
        line_end=int(meta["line_end"]),
        text=text,
        kind=meta["kind"],
        axis=int(meta["axis"]) or None,
        context=meta.get("context") or "",
    )


def chunk_collection(chunks: list[Chunk]) -> CollectionPlan:
    return CollectionPlan(
        CHUNKS,
        ids=[c.id for c in chunks],
        texts=[c.embed_text() for c in chunks],
        documents=[c.text for c in chunks],
        metadatas=[_chunk_metadata(c, i) for i, c in enumerate(chunks)],
    )


def build_collections(documents: dict, chunks: list[Chunk]) -> list[CollectionPlan]:
    """The collections of a build. Add a collection here (e.g. texts that resolve to a passage id): it is embedded
    through the same cache, listed in the manifest, verified, loaded into LoadedIndex.collections, and switched
    with the rest of the build."""
    return [chunk_collection(chunks)]


def _fingerprint(plans: list[CollectionPlan], chunks: list[Chunk], embedder_name: str) -> str:
    digest = hashlib.sha256(f"{INDEX_FORMAT}\0{embedder_name}".encode())
    for c in chunks:
        digest.update(json.dumps(asdict(c), ensure_ascii=False, sort_keys=True).encode())
    for plan in plans:
        digest.update(f"\0{plan.name}\0".encode())
        for item in zip(plan.ids, plan.texts, plan.documents, plan.metadatas):
            digest.update(json.dumps(item, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


# --- writing files (the OS-write seam of a build) --------------------------------------------------------------


def _fault(stage: str):
    """Test hooks (tests/test_index_faults.py), at the stages after-embedding, mid-embedding (after the first batch
    embedded), after-chroma, before-swap:
    PACTE_BUILD_KILL_AT=<stage> kills the build with SIGKILL there; PACTE_BUILD_WAIT_AT=<stage> with
    PACTE_BUILD_WAIT_FILE=<path> creates <path>.waiting and waits (at most 5 minutes) until <path> exists.
    PACTE_BUILD_ENOSPC_AT=<file> (see _write_file) makes that build file's write fail as on a full disk."""
    if os.environ.get("PACTE_BUILD_KILL_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("PACTE_BUILD_WAIT_AT") == stage and os.environ.get("PACTE_BUILD_WAIT_FILE"):
        release = Path(os.environ["PACTE_BUILD_WAIT_FILE"])
        Path(f"{release}.waiting").touch()
        deadline = time.monotonic() + 300
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_file(path: Path, data: bytes, stage: str = "") -> None:
    """Write a build file durably (a full disk raises OSError ENOSPC here, as write(2) does)."""
    if stage and os.environ.get("PACTE_BUILD_ENOSPC_AT") == stage:
        import errno

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    _write_file(tmp, data)
    os.replace(tmp, path)


def _glossary_text(glossary: dict[str, GlossaryEntry]) -> str:
    return json.dumps({k: asdict(v) for k, v in glossary.items()}, ensure_ascii=False, indent=1)


def _write_build_files(target: Path, chunks: list[Chunk], glossary_text: str, lexical: BM25,
                       collection) -> dict[str, str]:
    """chunks.jsonl, glossary.json, lexical/ and vectors.npy (the passages' vectors in chunk order, as the written
    collection holds them: a host restoring the files from a Chroma server gets the same bytes); returns
    {relative path: sha256}."""
    _write_file(target / "chunks.jsonl", ("\n".join(_chunk_to_json(c) for c in chunks) + "\n").encode(), "chunks")
    _write_file(target / "glossary.json", glossary_text.encode(), "glossary")
    lexical.save(target / "lexical")
    buffer = io.BytesIO()
    np.save(buffer, _stored_vectors(collection, [c.id for c in chunks]), allow_pickle=False)
    _write_file(target / "vectors.npy", buffer.getvalue(), "vectors")
    return {name: _sha256(target / name) for name in FILES}


def _stored_vectors(collection, ids: list[str]) -> np.ndarray:
    """The collection's vectors in `ids` order, read by pages (one read of every vector peaks at ten times their
    size in the client)."""
    rows: dict[str, object] = {}
    for start in range(0, len(ids), ADD_BATCH):
        got = collection.get(ids=ids[start : start + ADD_BATCH], include=["embeddings"])
        rows.update(zip(got["ids"], got["embeddings"]))
    if len(rows) != len(ids):
        raise BuildFailed("La base Chroma ne rend pas tous les vecteurs écrits : relancez `pacte index`.")
    return np.asarray([rows[i] for i in ids], dtype=np.float32).reshape(len(ids), -1)


def _lexical_index(chunks: list[Chunk]) -> BM25:
    return BM25([analyse(c.embed_text()) for c in chunks])


# --- building ---------------------------------------------------------------------------------------------------


def build_index(
    settings: Settings,
    force: bool = False,
    progress: bool = True,
    embedder: Embedder | None = None,
    documents: dict | None = None,
    chunks: list[Chunk] | None = None,
) -> BuildReport:
    """Build the index if the corpus, the embedder or the index's own health call for it (see module docstring).

    For benchmarks (bench/scale.py): `embedder` replaces the configured one (its `name` goes in the manifest),
    `documents` and `chunks` the corpus read from settings.corpus_dir and its chunking.
    """
    from .chunking import chunk_corpus

    started = time.perf_counter()
    documents = load_corpus(settings.corpus_dir) if documents is None else documents
    chunks = chunk_corpus(documents) if chunks is None else chunks
    plans = build_collections(documents, chunks)
    label = embedder.name if embedder is not None else embedder_label(settings.embedder)
    fingerprint = _fingerprint(plans, chunks, label)
    store = Store.open(settings)
    with store.build_lock():
        current = _safe_current(store)
        keep = {current.build_id} if current else set()
        previous_ok = None
        repaired = None
        if current:
            try:
                previous_ok = verify_index(settings, store=store)
            except IndexUnavailable as exc:
                repaired = exc.message.replace(RUN_INDEX, "").strip()
            if previous_ok is not None and time.time() - previous_ok.get("built_at_epoch", 0) < SUPERSEDED_GRACE_S:
                keep.add(previous_ok.get("previous") or "")
        removed = store.clean_debris(keep)
        if not force and previous_ok is not None and previous_ok.get("fingerprint") == fingerprint:
            return BuildReport(
                "up-to-date", str(store.build_dir(current.build_id)), len(chunks), 0, time.perf_counter() - started,
                removed=removed,
            )
        report = _build(settings, store, documents, chunks, plans, fingerprint, embedder, progress, current)
        report.seconds = time.perf_counter() - started
        report.repaired, report.removed = repaired, removed
        return report


def _safe_current(store: Store):
    try:
        return store.current()
    except IndexUnavailable:
        raise
    except Exception:  # noqa: BLE001 - an unreadable pointer is a missing index to rebuild
        return None


def _build(settings, store, documents, chunks, plans, fingerprint, embedder, progress, current) -> BuildReport:
    embedder = embedder or make_embedder(settings.embedder)
    cache = EmbeddingCache(settings.cache_dir, embedder.name)
    build_id = new_build_id()
    target = store.build_dir(build_id)
    client = None
    try:
        vectors = _embed(cache, embedder, plans, progress, store)
        _fault("after-embedding")
        target.mkdir(parents=True)
        glossary = extract_glossary(documents)
        glossary_text = _glossary_text(glossary)
        client = store.client(build_id, create=True)
        entries, written = {}, {}
        for plan in plans:
            name = collection_name(build_id, plan.name)
            written[plan.name] = _add_collection(store, client, name, plan, vectors[plan.name], embedder, settings,
                                                 progress)
            entries[plan.name] = {"name": name, "count": len(plan.ids)}
        files = _write_build_files(target, chunks, glossary_text, _lexical_index(chunks), written[CHUNKS])
        _fault("after-chroma")
        now = time.time()
        manifest = {
            "format": INDEX_FORMAT,
            "version": __version__,
            "build": build_id,
            "previous": current.build_id if current else "",
            "embedder": embedder.name,
            "dim": embedder.dim,
            "corpus": corpus_fingerprint(documents),
            "fingerprint": fingerprint,
            "chunks": len(chunks),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)),
            "built_at_epoch": now,
            "collections": entries,
            "files": files,
            "search": {"exact": len(chunks) <= settings.exact_search_limit},
        }
        _write_atomic(target / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        _fault("before-swap")
        store.publish(build_id, manifest, glossary_text)
    except BaseException as exc:
        full = isinstance(exc, Exception) and _disk_is_full(exc, target)
        if client is not None:
            store.release(client)
            client = None
        _discard(store, build_id)
        if isinstance(exc, PacteError) or not isinstance(exc, Exception):
            raise
        if full:
            raise _disk_full(settings, store, target, exc) from None
        if type(exc).__module__.startswith("chromadb"):
            raise _chroma_refused(store, exc) from None
        raise
    finally:
        if client is not None:
            store.release(client)
    return BuildReport("built", str(target), len(chunks), cache.computed, 0.0)


def _embed(cache, embedder, plans, progress, store) -> dict:
    texts = [t for plan in plans for t in plan.texts]
    bar = None
    if progress and cache.missing(texts):
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="Vectorisation des passages", unit="passage", file=sys.stderr, leave=False)

    def advance(n):
        store.heartbeat()
        if bar:
            bar.update(n)
        if cache.computed:
            _fault("mid-embedding")

    try:
        matrix = cache.embed(embedder, texts, progress=advance)
    finally:
        if bar:
            bar.close()
    vectors, start = {}, 0
    for plan in plans:
        vectors[plan.name] = matrix[start : start + len(plan.texts)]
        start += len(plan.texts)
    return vectors


def _add_collection(store, client, name, plan, vectors, embedder, settings, progress):
    """The collection, written by batches; returned (the build reads its vectors back from it)."""
    collection = store.collection(
        client, name, embedder, create=hnsw_configuration(len(plan.ids), settings.exact_search_limit)
    )
    bar = None
    if progress and len(plan.ids) > 5 * ADD_BATCH:
        from tqdm import tqdm

        bar = tqdm(total=len(plan.ids), desc="Écriture dans Chroma", unit="passage", file=sys.stderr, leave=False)
    try:
        for start in range(0, len(plan.ids), ADD_BATCH):
            end = start + ADD_BATCH
            collection.add(
                ids=plan.ids[start:end],
                embeddings=vectors[start:end],
                documents=plan.documents[start:end],
                metadatas=plan.metadatas[start:end],
            )
            store.heartbeat()
            if bar:
                bar.update(len(plan.ids[start:end]))
    finally:
        if bar:
            bar.close()
    return collection


def _discard(store: Store, build_id: str) -> None:
    try:
        store.drop(build_id)
    except Exception:  # noqa: BLE001 - the next build's cleaning removes what is left
        pass


# Chroma reports a full disk as a generic error ("Error in compaction: Failed to apply logs…"): a failure while the
# build's disk has less than this left (1 % of a small disk) is taken for what it is.
LOW_DISK_BYTES = 16 * 1024 * 1024


def _disk_is_full(exc: BaseException, target: Path) -> bool:
    if is_disk_full(exc):
        return True
    try:
        usage = shutil.disk_usage(mount_point(target))
    except OSError:
        return False
    return usage.free < min(LOW_DISK_BYTES, usage.total // 100)


def _disk_full(settings: Settings, store: Store, target: Path, exc: BaseException) -> DiskFull:
    if settings.chroma_url and not isinstance(exc, OSError):
        where = f"le disque du {store.label}"
    else:
        path = Path(getattr(exc, "filename", None) or target) if isinstance(exc, OSError) else target
        disk = mount_point(path)
        try:
            where = f"le disque monté sur {disk} ({_size(shutil.disk_usage(disk).total)} au total)"
        except OSError:
            where = f"le disque monté sur {disk}"
        where += f", en écrivant dans {path}"
    return DiskFull(
        f"Disque plein : plus de place sur {where}, pendant la construction de l'index. La construction "
        "partielle a été supprimée et l'index précédent reste utilisé. Libérez de la place, puis relancez "
        "`pacte index`."
    )


def _chroma_refused(store: Store, exc: BaseException) -> PacteError:
    """Chroma failed to write the build (a full disk on a server looks like this too: it gives no reason)."""
    reason = (str(exc).strip().splitlines() or [""])[0][:200]
    hint = " ; son disque est peut-être plein" if store.settings.chroma_url else ""
    return BuildFailed(
        f"La base Chroma ({store.label}) a refusé l'écriture de l'index ({type(exc).__name__} : {reason}){hint}. "
        "La construction partielle a été supprimée et l'index précédent reste utilisé."
    )


def _size(n: int) -> str:
    for unit in ("octets", "Ko", "Mo", "Go"):
        if n < 1024 or unit == "Go":
            return f"{n:.0f} {unit}" if unit == "octets" else f"{n:.1f} {unit}".replace(".", ",")
        n /= 1024
    return str(n)


# --- verifying --------------------------------------------------------------------------------------------------


class Verifier:
    """Remembers what was verified: a file until its size or mtime changes, a collection for VERIFY_TTL_S."""

    def __init__(self):
        self._files: dict[tuple, str] = {}
        self._collections: dict[tuple, float] = {}

    def file_sha(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
        if key not in self._files:
            self._files[key] = _sha256(path)
        return self._files[key]

    def collections_recent(self, key: tuple) -> bool:
        return time.monotonic() - self._collections.get(key, -1e9) < VERIFY_TTL_S

    def collections_ok(self, key: tuple) -> None:
        self._collections[key] = time.monotonic()


def _manifest(store: Store, settings: Settings):
    """(Current, manifest dict) of the current build, or IndexUnavailable saying why it cannot be used."""
    current = _safe_current(store)
    if current is None:
        where = store.label if settings.chroma_url else str(settings.index_dir)
        raise IndexUnavailable(f"Aucun index trouvé ({where}). {RUN_INDEX}")
    corrupted = IndexUnavailable(f"Le manifeste de l'index est incomplet ou corrompu ({store.label}). {RUN_INDEX}")
    try:
        raw = json.loads(current.manifest)
    except ValueError:
        raise corrupted from None
    if isinstance(raw, dict) and isinstance(raw.get("format"), int) and raw["format"] != INDEX_FORMAT:
        raise IndexUnavailable(f"L'index a été construit par une version incompatible. {RUN_INDEX}")
    try:
        manifest = BuildManifest.model_validate(raw).model_dump()
    except ValidationError:
        raise corrupted from None
    if manifest["build"] != current.build_id or CHUNKS not in manifest["collections"]:
        raise IndexUnavailable(f"Le manifeste de l'index est incomplet ou corrompu ({store.label}). {RUN_INDEX}")
    wanted = embedder_label(settings.embedder)
    if manifest["embedder"] != wanted:
        raise IndexUnavailable(
            f"L'index a été construit avec l'embedder « {manifest['embedder']} » mais la configuration "
            f"demande « {wanted} ». {RUN_INDEX}"
        )
    try:
        expected = {d["doc_id"]: d["sha256"] for d in load_manifest(settings.corpus_dir)}
    except CorpusError as exc:
        raise IndexUnavailable(exc.message) from None
    if manifest["corpus"] != expected:
        raise IndexUnavailable(f"Le corpus a changé depuis la construction de l'index. {RUN_INDEX}")
    return current, manifest


def _check_files(store: Store, current, manifest: dict, verifier: Verifier, repair: bool) -> Path:
    """The build's folder with every file matching its sha256; in server mode a missing or damaged local copy is
    re-created from the server (`repair`), in embedded mode it is a corrupted index."""
    path = store.build_dir(current.build_id)
    if set(manifest["files"]) != set(FILES):
        raise IndexUnavailable(f"Le manifeste de l'index est incomplet ou corrompu ({store.label}). {RUN_INDEX}")
    def damaged():
        return [name for name in FILES if not _file_matches(path / name, manifest["files"][name], verifier)]

    bad = damaged()
    if bad and repair and store.settings.chroma_url:
        with store.reading():
            if damaged():  # another worker may have restored them meanwhile
                _restore_local_copy(store, current, manifest)
        bad = damaged()
    if bad:
        raise IndexUnavailable(
            f"Les fichiers de l'index sont corrompus ou manquants ({', '.join(bad)} dans {path}). {RUN_INDEX}"
        )
    return path


def _file_matches(path: Path, sha: str, verifier: Verifier) -> bool:
    try:
        return verifier.file_sha(path) == sha
    except OSError:
        return False


def _restore_local_copy(store: Store, current, manifest: dict) -> None:
    """Server mode on a host without this build's files: chunks from the server's collection, glossary from the
    pointer, lexical index recomputed; written aside, then moved in place."""
    try:
        client = store.client(current.build_id)
        dummy = _DummyEmbedder(manifest["embedder"], manifest["dim"])
        collection = store.collection(client, manifest["collections"][CHUNKS]["name"], dummy)
        records = []
        for offset in range(0, manifest["collections"][CHUNKS]["count"], 5000):
            got = collection.get(include=["documents", "metadatas"], limit=5000, offset=offset)
            records.extend(zip(got["ids"], got["documents"], got["metadatas"]))
        records.sort(key=lambda r: int(r[2]["order"]))
        chunks = [_chunk_from_record(*r) for r in records]
        tmp = store.builds / f".restore-{current.build_id}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        _write_build_files(tmp, chunks, current.glossary or "", _lexical_index(chunks), collection)
        _write_atomic(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        target = store.build_dir(current.build_id)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except PacteError:
        raise
    except Exception:  # noqa: BLE001 - the server's copy is unreadable
        raise IndexUnavailable(
            f"Les fichiers de l'index n'ont pas pu être restaurés depuis le {store.label}. {RUN_INDEX}"
        ) from None


def _open_collections(store: Store, client, manifest: dict, embedder) -> dict:
    collections = {}
    for name, entry in manifest["collections"].items():
        try:
            collection = store.collection(client, entry["name"], embedder)
            count = collection.count()
        except PacteError:
            raise
        except Exception as exc:  # noqa: BLE001 - any Chroma failure here means an unusable index
            raise IndexUnavailable(
                f"La base Chroma de l'index est illisible ({store.label}, collection « {name} » : "
                f"{type(exc).__name__}). {RUN_INDEX}"
            ) from None
        if count != entry["count"]:
            raise IndexUnavailable(
                f"La base Chroma ne contient que {count} éléments sur {entry['count']} (collection « {name} », "
                f"{store.label}). {RUN_INDEX}"
            )
        collections[name] = collection
    return collections


def _probe(store: Store, collections: dict) -> None:
    """Each collection finds its own first vector at distance 0: its vectors and graph are readable."""
    for name, collection in collections.items():
        try:
            first = collection.peek(1)
            if not len(first["ids"]):
                continue
            found = collection.query(query_embeddings=[first["embeddings"][0]], n_results=1, include=["distances"])
            ok = found["distances"][0] and abs(found["distances"][0][0]) < 1e-3
        except Exception:  # noqa: BLE001
            ok = False
        if not ok:
            raise IndexUnavailable(
                f"La base Chroma de l'index ne répond pas correctement (collection « {name} », {store.label}). {RUN_INDEX}"
            )


class _DummyEmbedder:
    """What opening a collection needs to verify it: never embeds anything (vectors are given)."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def embed_queries(self, texts):
        raise RuntimeError("verification never embeds")

    embed_passages = embed_queries


def verify_index(settings: Settings, verifier: Verifier | None = None, store: Store | None = None) -> dict:
    """The current build's manifest after checking everything it is made of (manifest, corpus, files' sha256,
    collections' sizes and a probe query), or IndexUnavailable with a French message saying why it cannot be used."""
    verifier = verifier or Verifier()
    store = store or Store.open(settings)
    current, manifest = _manifest(store, settings)
    _check_files(store, current, manifest, verifier, repair=True)
    key = (store.label, current.build_id)
    if not verifier.collections_recent(key):
        with store.reading():
            client = store.client(current.build_id)
            try:
                collections = _open_collections(store, client, manifest, _DummyEmbedder(manifest["embedder"], manifest["dim"]))
                _probe(store, collections)
            finally:
                store.release(client)
        verifier.collections_ok(key)
    return manifest


def check_index(settings: Settings) -> dict:
    """The current index's manifest, verified; IndexUnavailable with a French message saying why it cannot be used."""
    return verify_index(settings)


def index_status(settings: Settings, verifier: Verifier | None = None) -> dict:
    """For /api/health and `pacte index --status`: never raises."""
    try:
        manifest = verify_index(settings, verifier)
        where = {"store": "serveur", "chroma_url": settings.chroma_url} if settings.chroma_url else {"store": "embarqué"}
        return {"ok": True, "message": "Index disponible.", **where, **manifest}
    except PacteError as exc:
        return {"ok": False, "message": exc.message, "embedder": embedder_label(settings.embedder)}


def current_build_id(settings: Settings) -> str | None:
    """The id of the current build (cheap), or None when there is none or it cannot be read."""
    try:
        return Store.open(settings).current_build_id()
    except PacteError:
        return None


# --- loading ----------------------------------------------------------------------------------------------------


def load_index(settings: Settings, embedder: Embedder | None = None, verifier: Verifier | None = None) -> LoadedIndex:
    verifier = verifier or Verifier()
    store = Store.open(settings)
    current, manifest = _manifest(store, settings)
    path = _check_files(store, current, manifest, verifier, repair=True)
    try:
        chunks = [_chunk_from_json(line) for line in (path / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
        raw_glossary = json.loads((path / "glossary.json").read_text(encoding="utf-8"))
        if not isinstance(raw_glossary, dict):
            raise TypeError("the glossary is a JSON object")
        glossary = {k: GlossaryEntry(**v) for k, v in raw_glossary.items()}
        lexical = BM25.load(path / "lexical")
        # Memory-mapped: workers share the pages, and nothing is copied through Chroma's client at load.
        vectors = np.load(path / "vectors.npy", mmap_mode="r", allow_pickle=False)
        if vectors.shape != (len(chunks), int(manifest["dim"])) or vectors.dtype != np.float32:
            raise ValueError("vectors of another shape")
    except (OSError, ValueError, TypeError, KeyError):
        raise IndexUnavailable(f"Les fichiers de l'index sont corrompus ({path}). {RUN_INDEX}") from None
    if len(chunks) != manifest["chunks"] or lexical.n != len(chunks):
        raise IndexUnavailable(f"L'index est incomplet ({len(chunks)} passages au lieu de {manifest['chunks']}). {RUN_INDEX}")
    embedder = embedder or make_embedder(settings.embedder)
    with store.reading():
        client = store.client(current.build_id)
        try:
            collections = _open_collections(store, client, manifest, embedder)
            _probe(store, collections)
        except BaseException:
            store.release(client)
            raise
    verifier.collections_ok((store.label, current.build_id))
    return LoadedIndex(path, manifest, chunks, glossary, collections, embedder, lexical, current.build_id, store, client,
                       vectors)
