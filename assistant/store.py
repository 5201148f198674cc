"""Where the builds of the index live, which one is current, and who may build: embedded Chroma or a Chroma server.

A build is a manifest, a few files (chunks, glossary, lexical index) and one or more Chroma collections ("chunks",
and any other collection the build declares). One pointer designates the current build, and switching it switches
all of a build's collections and files at once:

- embedded (default): `index/current -> builds/<id>`, a symlink replaced atomically; a build's collections live in
  `builds/<id>/chroma`, a PersistentClient of its own.
- server (`PACTE_CHROMA_URL`): a build's collections are `pacte-<id>-<name>` in the server, and the pointer is the
  metadata of the collection `pacte-current` (replaced in one update), which carries the build's manifest and
  glossary too, so that any host reaching the server can serve it. The files under
  `index/servers/<host>-<port>/builds/<id>` are a local copy, re-created from the server when missing or damaged.

Builds are serialised by a lock: an exclusive `flock` on `<root>/.build.lock` (released by the kernel when a
builder dies, even by kill -9), plus, in server mode, the collection `pacte-build-lock` (a builder on another host;
taken over when its owner is dead or silent for LOCK_TTL_S seconds).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .config import Settings
from .errors import IndexUnavailable, InvalidInput, PacteError

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

POINTER = "pacte-current"
LOCK = "pacte-build-lock"
LOCK_TTL_S = 300.0  # a server-side lock whose owner (on another host) has not refreshed it for this long is stale
_BUILD_NAME = re.compile(r"^pacte-(\d{8}T\d{6}-\d+-[0-9a-f]{4})-([a-z0-9_]+)$")
BUILD_ID = re.compile(r"^\d{8}T\d{6}-\d+-[0-9a-f]{4}$")
RUN_INDEX = "Lancez `pacte index` pour (re)construire l'index."


class BuildInProgress(PacteError):
    status = 409


class DiskFull(PacteError):
    status = 507


class BuildFailed(PacteError):
    status = 500


def new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{os.urandom(2).hex()}"


def collection_name(build_id: str, name: str) -> str:
    return f"pacte-{build_id}-{name}"


def chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def hnsw_configuration(count: int, exact_limit: int) -> dict:
    """HNSW parameters of a collection of `count` vectors.

    Up to `exact_limit` vectors, ef_search is the collection size: the search then visits every vector and returns
    the exact nearest neighbours, whatever the graph (which Chroma may rebuild differently at each load), so the
    same question gets the same hits and scores after every load. The graph is persisted once, when the last vector
    is added (sync_threshold = count), so that readers load it instead of rebuilding and rewriting it.
    """
    sync = max(count, 2)
    return {
        "space": "cosine",
        "ef_search": max(count, 100) if count <= exact_limit else 400,
        "sync_threshold": sync,
        "batch_size": min(100, sync),
    }


@dataclass
class Current:
    """What the pointer designates: a build id and its manifest (raw JSON text: validated by the index module)."""

    build_id: str
    manifest: str
    glossary: str | None = None  # server mode: the glossary travels with the pointer


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("no space left", "disk is full", "database or disk is full", "os error 28", "quota exceeded")
    )


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding `path` (the disk a French message names)."""
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    device = path.stat().st_dev
    while path != path.parent and path.parent.stat().st_dev == device:
        path = path.parent
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not reaped yet still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


class Store:
    """The builds of one index: their local folders, their collections and the pointer to the current one."""

    root: Path
    label: str  # French, names where the index lives (for messages)

    @staticmethod
    def open(settings: Settings) -> "Store":
        return ServerStore(settings) if settings.chroma_url else EmbeddedStore(settings)

    def __init__(self, settings: Settings, root: Path):
        self.settings = settings
        self.root = root

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    def build_dir(self, build_id: str) -> Path:
        return self.builds / build_id

    # -- to implement ------------------------------------------------------------------------------------------
    def current(self) -> Current | None:
        raise NotImplementedError

    def current_build_id(self) -> str | None:
        """Cheap: for serving workers checking whether a new build became current."""
        raise NotImplementedError

    def client(self, build_id: str, create: bool = False):
        """A Chroma client holding the build's collections (`create`: for the builder of a new build)."""
        raise NotImplementedError

    def publish(self, build_id: str, manifest: dict, glossary_text: str) -> None:
        raise NotImplementedError

    def remote_build_ids(self) -> set[str]:
        return set()

    def drop_remote(self, build_id: str) -> None:
        pass

    def release(self, client) -> None:
        """Close a client obtained from `client()` (embedded: frees its files; server: nothing to do)."""

    # -- shared ------------------------------------------------------------------------------------------------
    def collection(self, client, name: str, embedder, create: dict | None = None):
        from .embedding import chroma_embedding_function

        function = chroma_embedding_function(embedder)
        if create is not None:
            return client.create_collection(
                name, embedding_function=function, configuration={"hnsw": create}, metadata={"embedder": embedder.name}
            )
        return client.get_collection(name, embedding_function=function)

    def drop(self, build_id: str) -> None:
        """Remove everything of a build: its collections and its local folder."""
        self.drop_remote(build_id)
        shutil.rmtree(self.build_dir(build_id), ignore_errors=True)

    def clean_debris(self, keep: set[str]) -> list[str]:
        """Remove every build but `keep` (leftovers of killed or failed builds, superseded ones). Returns their ids.
        Only called with the build lock held: no other builder can be writing one of them."""
        removed = []
        local = {p.name for p in self.builds.iterdir()} if self.builds.is_dir() else set()
        for build_id in sorted((local | self.remote_build_ids()) - keep):
            self.drop(build_id)
            removed.append(build_id)
        for stray in self.root.glob(".current-*"):  # a symlink a killed build had not moved into place
            stray.unlink(missing_ok=True)
        return removed

    @contextlib.contextmanager
    def build_lock(self):
        """Held for a whole build; BuildInProgress (French, names the holder) when another builder has it."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / ".build.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "un autre processus"
                raise BuildInProgress(
                    f"Une construction de l'index est déjà en cours ({self.label}, {holder}). Attendez qu'elle se "
                    "termine : l'index actuel reste utilisable pendant ce temps."
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"processus {os.getpid()} sur {socket.gethostname()}".encode(), 0)
            with self._remote_lock():
                yield
        finally:
            os.close(fd)  # releases the flock

    @contextlib.contextmanager
    def _remote_lock(self):
        yield

    def heartbeat(self) -> None:
        """Called between batches of a long build: keeps a server-side lock fresh."""

    @contextlib.contextmanager
    def reading(self):
        """Held while opening a build for reading or restoring its local files. Opening a PersistentClient writes
        to its SQLite file (and, for a graph it has to rebuild, to the HNSW files), and workers restoring one
        build's files must not do it twice at once: serving processes take turns."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".open.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


class EmbeddedStore(Store):
    def __init__(self, settings: Settings):
        super().__init__(settings, Path(settings.index_dir))
        self.label = f"{self.root} (Chroma embarqué)"

    def current(self) -> Current | None:
        link = self.root / "current"
        try:
            target = os.readlink(link)
        except OSError:
            return None
        build_id = Path(target).name
        try:
            manifest = (self.build_dir(build_id) / "manifest.json").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            manifest = ""
        return Current(build_id, manifest)

    def current_build_id(self) -> str | None:
        try:
            return Path(os.readlink(self.root / "current")).name
        except OSError:
            return None

    def client(self, build_id: str, create: bool = False):
        import chromadb

        if create:
            (self.build_dir(build_id) / "chroma").mkdir(parents=True, exist_ok=True)
        elif not (self.build_dir(build_id) / "chroma").is_dir():  # never let Chroma create an empty one in its place
            raise IndexUnavailable(f"La base Chroma de l'index est manquante ({self.build_dir(build_id)}). {RUN_INDEX}")
        try:
            return chromadb.PersistentClient(path=str(self.build_dir(build_id) / "chroma"), settings=chroma_settings())
        except Exception as exc:  # noqa: BLE001 - a damaged SQLite file, unreadable folder…
            if create:
                raise
            raise IndexUnavailable(
                f"La base Chroma de l'index est illisible ({self.build_dir(build_id) / 'chroma'} : "
                f"{type(exc).__name__}). {RUN_INDEX}"
            ) from None

    def release(self, client) -> None:
        with contextlib.suppress(Exception):
            client.close()

    def publish(self, build_id: str, manifest: dict, glossary_text: str) -> None:
        # The manifest file is already in the build folder (written last, before this switch).
        link_tmp = self.root / f".current-{os.getpid()}"
        if link_tmp.is_symlink() or link_tmp.exists():
            link_tmp.unlink()
        os.symlink(Path("builds") / build_id, link_tmp)
        os.replace(link_tmp, self.root / "current")
        _fsync_dir(self.root)


class ServerStore(Store):
    def __init__(self, settings: Settings):
        self.url = settings.chroma_url
        parsed = urlparse(self.url if "://" in self.url else f"http://{self.url}")
        try:
            port = parsed.port
        except ValueError:
            port = -1
        if parsed.scheme not in ("http", "https") or not parsed.hostname or port == -1 or parsed.path not in ("", "/"):
            raise InvalidInput(f"PACTE_CHROMA_URL invalide : « {self.url} » (attendu : http://hôte:port).")
        self.host, self.port, self.ssl = parsed.hostname, port or (443 if parsed.scheme == "https" else 8000), parsed.scheme == "https"
        slug = re.sub(r"[^A-Za-z0-9.]+", "-", f"{self.host}-{self.port}")
        super().__init__(settings, Path(settings.index_dir) / "servers" / slug)
        self.label = f"serveur Chroma {self.url}"
        self._client = None
        self._lock_owner = f"{socket.gethostname()}:{os.getpid()}"
        self._last_beat = 0.0

    def _connect(self):
        if self._client is None:
            import chromadb

            try:
                self._client = chromadb.HttpClient(host=self.host, port=self.port, ssl=self.ssl, settings=chroma_settings())
            except Exception:  # noqa: BLE001 - whatever the cause, the server cannot be used
                raise IndexUnavailable(
                    f"Le serveur Chroma {self.url} ne répond pas. Lancez-le (`pacte chroma serve`) ou corrigez "
                    "PACTE_CHROMA_URL."
                ) from None
        return self._client

    def unreachable(self) -> IndexUnavailable:
        return IndexUnavailable(f"Le serveur Chroma {self.url} ne répond pas ou a renvoyé une erreur. {RUN_INDEX}")

    def _pointer_metadata(self) -> dict | None:
        from chromadb.errors import NotFoundError

        client = self._connect()
        try:
            return dict(client.get_collection(POINTER, embedding_function=None).metadata or {})
        except NotFoundError:
            return None
        except Exception:  # noqa: BLE001 - network or server failure
            raise self.unreachable() from None

    def current(self) -> Current | None:
        meta = self._pointer_metadata()
        if meta is None:
            return None
        return Current(str(meta.get("build", "")), str(meta.get("manifest", "")), str(meta.get("glossary", "")))

    def current_build_id(self) -> str | None:
        meta = self._pointer_metadata()
        return None if meta is None else str(meta.get("build", ""))

    def client(self, build_id: str, create: bool = False):
        return self._connect()

    def publish(self, build_id: str, manifest: dict, glossary_text: str) -> None:
        client = self._connect()
        previous = self.current_build_id()
        metadata = {
            "build": build_id,
            "previous": previous or "",
            "manifest": json.dumps(manifest, ensure_ascii=False),
            "glossary": glossary_text,
        }
        pointer = client.get_or_create_collection(POINTER, embedding_function=None, metadata={"build": ""})
        pointer.modify(metadata=metadata)  # one update of the server's catalogue: the switch is atomic

    def remote_build_ids(self) -> set[str]:
        try:
            names = [c.name for c in self._connect().list_collections()]
        except PacteError:
            raise
        except Exception:  # noqa: BLE001
            raise self.unreachable() from None
        return {m.group(1) for m in map(_BUILD_NAME.match, names) if m}

    def drop_remote(self, build_id: str) -> None:
        client = self._connect()
        for collection in client.list_collections():
            match = _BUILD_NAME.match(collection.name)
            if match and match.group(1) == build_id:
                with contextlib.suppress(Exception):
                    client.delete_collection(collection.name)

    # -- the server-side lock ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _remote_lock(self):
        client = self._connect()
        for attempt in range(2):
            try:
                client.create_collection(LOCK, embedding_function=None, metadata=self._lock_metadata())
                break
            except Exception:  # noqa: BLE001 - it exists (or the server failed: checked below)
                holder = self._lock_holder(client)  # None: there was a stale lock, now removed
                if holder is not None or attempt:
                    raise BuildInProgress(
                        f"Une construction de l'index est déjà en cours ({self.label}, "
                        f"{holder or 'verrou ' + LOCK}). Attendez qu'elle se termine : l'index actuel reste "
                        "utilisable pendant ce temps."
                    ) from None
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                meta = client.get_collection(LOCK, embedding_function=None).metadata or {}
                if meta.get("owner") == self._lock_owner:
                    client.delete_collection(LOCK)

    def _lock_metadata(self) -> dict:
        now = time.time()
        return {"owner": self._lock_owner, "host": socket.gethostname(), "pid": os.getpid(), "since": now, "heartbeat": now}

    def _lock_holder(self, client) -> str | None:
        """Who holds the lock, or None after removing a stale one (dead owner on this host, or silent too long)."""
        from chromadb.errors import NotFoundError

        try:
            meta = client.get_collection(LOCK, embedding_function=None).metadata or {}
        except NotFoundError:
            return None
        except Exception:  # noqa: BLE001
            raise self.unreachable() from None
        host, pid = meta.get("host"), meta.get("pid")
        dead = host == socket.gethostname() and isinstance(pid, int) and not _pid_alive(pid)
        silent = time.time() - float(meta.get("heartbeat") or 0) > LOCK_TTL_S
        if dead or silent:
            with contextlib.suppress(Exception):
                client.delete_collection(LOCK)
            return None
        return f"processus {pid} sur {host}"

    def heartbeat(self) -> None:
        now = time.monotonic()
        if now - self._last_beat < 30:
            return
        self._last_beat = now
        with contextlib.suppress(Exception):
            lock = self._connect().get_collection(LOCK, embedding_function=None)
            meta = dict(lock.metadata or {})
            if meta.get("owner") == self._lock_owner:
                lock.modify(metadata={**meta, "heartbeat": time.time()})


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
