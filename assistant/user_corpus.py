"""Adding and removing the user's documents (`pacte corpus add|remove`, POST/DELETE /api/documents).

A document is converted once (assistant/ingest) and kept in `<corpus>/user/<doc_id>/`: `source.<ext>` (the
original bytes) and `<doc_id>.txt` (the UTF-8 text every citation refers to), listed in the user manifest
(assistant/corpus.py). The shipped documents and their manifest are never written.

Each change is one transaction, under an exclusive lock on the corpus:
1. files of a new document are written under a new folder (nothing refers to them yet);
2. `pending.json` records the user documents as they will be, and the corpus fingerprint the new index will have;
3. the index is rebuilt by `assistant.index.build_index` from a view of that future corpus (a folder of symlinks):
   the embedding cache makes only the new passages embed; the index switch is atomic;
4. the user manifest is rewritten and `pending.json` deleted.
A crash before the index switch leaves the previous corpus and index (the debris is cleaned by the next change);
after it, the new ones (readers roll the pending state forward, see assistant/corpus.py).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Settings
from .corpus import (
    KINDS,
    PENDING,
    USER_DIR,
    USER_MANIFEST,
    canonical_kind,
    document_from_entry,
    load_manifest,
    pending_is_committed,
    shipped_entries,
    user_entries,
    write_atomic,
    write_user_manifest,
)
from .errors import CorpusError, InvalidInput, PacteError

DOC_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,78}[a-z0-9])?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FIELD_CHARS = 300


class DocumentConflict(PacteError):
    """Duplicate content, an identifier already taken, another change under way (409)."""

    status = 409


class UnknownDocument(PacteError):
    status = 404


class ShippedDocument(PacteError):
    status = 403


@dataclass(frozen=True)
class DocumentInfo:
    """What the user says about a document; everything is optional but the file."""

    doc_id: str | None = None
    title: str | None = None
    issuer: str | None = None
    date: str | None = None
    kind: str | None = None
    territory: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class ChangeReport:
    action: str  # "added" | "removed"
    doc_id: str
    entry: dict
    chunks: int  # passages of this document
    embedded: int  # passages embedded by this change (the others came from the cache)
    index_chunks: int  # passages of the whole index afterwards
    seconds: float
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "action": self.action,
            "doc_id": self.doc_id,
            "document": public_entry(self.entry),
            "chunks": self.chunks,
            "embedded": self.embedded,
            "index_chunks": self.index_chunks,
            "seconds": round(self.seconds, 2),
        }


def public_entry(entry: dict, shipped: bool = False, lines: int | None = None) -> dict:
    """A manifest entry as `corpus list --json` and GET /api/documents show it."""
    out = {
        "doc_id": entry["doc_id"],
        "title": entry.get("title", ""),
        "issuer": entry.get("issuer") or "",
        "date": str(entry.get("date") or ""),
        "kind": entry.get("kind") or "other",
        "territory": entry.get("territory") or "",
        "aliases": list(entry.get("aliases") or []),
        "file": entry["file"],
        "sha256": entry["sha256"],
        "shipped": shipped,
    }
    if lines is not None:
        out["lines"] = lines
    if entry.get("source"):
        out["source"] = dict(entry["source"])
    if entry.get("added_at"):
        out["added_at"] = entry["added_at"]
    return out


def list_documents(settings: Settings) -> list[dict]:
    """Every document of the corpus, shipped first, with its line count."""
    shipped = {e["doc_id"] for e in shipped_entries(settings.corpus_dir)}
    out = []
    for entry in load_manifest(settings.corpus_dir):
        doc = document_from_entry(settings.corpus_dir, entry, verify=False)
        out.append(public_entry(entry, shipped=entry["doc_id"] in shipped, lines=len(doc.lines)))
    return out


# --- validation of what the user says -----------------------------------------------------------------------


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "-".join(words)[:60].strip("-")
    return out or "document"


def _field(value: str | None, what: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInput(f"{what} dépasse {MAX_FIELD_CHARS} caractères.")
    return value


def check_info(info: DocumentInfo) -> DocumentInfo:
    """The information checked and cleaned, or InvalidInput naming the field."""
    if info.doc_id is not None and not DOC_ID_RE.match(info.doc_id):
        raise InvalidInput(
            f"Identifiant de document invalide : « {info.doc_id} ». Lettres minuscules sans accent, chiffres, « - », "
            "« _ » ou « . » (80 caractères au plus, ni au début ni à la fin pour la ponctuation)."
        )
    date = _field(info.date, "La date")
    if date:
        try:
            if not DATE_RE.match(date):
                raise ValueError
            dt.date.fromisoformat(date)
        except ValueError:
            raise InvalidInput(f"Date invalide : « {date} ». Format attendu : AAAA-MM-JJ (par exemple 2024-04-15).") from None
    kind = canonical_kind(info.kind or "other")
    if kind not in KINDS:
        raise InvalidInput(f"Type de document inconnu : « {info.kind} ». Types possibles : {', '.join(KINDS)}.")
    aliases = tuple(dict.fromkeys(a for a in (_field(a, "Un alias") for a in info.aliases) if a))
    if any(not re.search(r"\w", a) for a in aliases):
        raise InvalidInput("Un alias doit contenir au moins une lettre ou un chiffre.")
    return DocumentInfo(
        doc_id=info.doc_id,
        title=_field(info.title, "Le titre") or None,
        issuer=_field(info.issuer, "L'émetteur"),
        date=date,
        kind=kind,
        territory=_field(info.territory, "Le territoire"),
        aliases=aliases,
    )


# --- the transaction ------------------------------------------------------------------------------------------


@contextmanager
def corpus_lock(settings: Settings):
    """One change of the corpus at a time (across processes); a second one is refused, not queued."""
    user_dir = Path(settings.corpus_dir) / USER_DIR
    try:
        user_dir.mkdir(parents=True, exist_ok=True)
        handle = open(user_dir / ".lock", "a+")
    except OSError as exc:
        raise CorpusError(f"Le dossier du corpus {user_dir} n'est pas accessible en écriture ({exc.strerror}).") from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DocumentConflict(
                "Un autre ajout ou retrait de document est en cours sur ce corpus : réessayez quand il sera terminé."
            ) from None
        yield user_dir
    finally:
        handle.close()


def _recover(user_dir: Path) -> list[dict]:
    """Under the lock: settle a crashed change (roll it forward if its index became current, else drop it),
    delete the folders no manifest entry uses, and return the user documents."""
    pending_path = user_dir / PENDING
    if pending_path.exists():
        try:
            pending = json.loads(pending_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pending = None
        if pending is not None and pending_is_committed(pending):
            write_user_manifest(user_dir, pending["documents"])
        pending_path.unlink(missing_ok=True)
    documents = user_entries(user_dir.parent)
    used = {Path(e["file"]).parts[1] for e in documents if len(Path(e["file"]).parts) > 2}
    for entry in user_dir.iterdir():
        if entry.name in (USER_MANIFEST, PENDING, ".lock") or entry.name in used:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith("."):
            entry.unlink(missing_ok=True)  # temporary files of an interrupted write
    return documents


def _staged_view(corpus_dir: Path, user_dir: Path, documents: list[dict]) -> Path:
    """A folder that reads as the future corpus: symlinks to the shipped files and to the user folders, and the
    future user manifest. The index is built from it, so that the real corpus changes only at the commit."""
    view = user_dir / f".staging-{os.getpid()}-{time.time_ns()}"
    view.mkdir()
    for item in corpus_dir.iterdir():
        if item.name != USER_DIR:
            os.symlink(item.resolve(), view / item.name)
    (view / USER_DIR).mkdir()
    for entry in documents:
        folder = Path(entry["file"]).parts[1]
        if not (view / USER_DIR / folder).exists():
            os.symlink((user_dir / folder).resolve(), view / USER_DIR / folder)
    write_user_manifest(view / USER_DIR, documents)
    return view


def _fingerprint(corpus_dir: Path, documents: list[dict]) -> dict[str, str]:
    return {e["doc_id"]: e["sha256"] for e in shipped_entries(corpus_dir) + documents}


def _apply(settings: Settings, user_dir: Path, documents: list[dict], progress: bool) -> tuple[object, dict]:
    """Steps 2-4 of the transaction: returns the build report of the index."""
    from .index import build_index

    corpus_dir = Path(settings.corpus_dir)
    pending = {
        "index_dir": str(Path(settings.index_dir).resolve()),
        "corpus": _fingerprint(corpus_dir, documents),
        "documents": documents,
    }
    view = _staged_view(corpus_dir, user_dir, documents)
    timings = {}
    try:
        write_atomic(user_dir / PENDING, json.dumps(pending, ensure_ascii=False, indent=1))
        _fault("after-pending")
        started = time.perf_counter()
        report = build_index(replace(settings, corpus_dir=view), progress=progress)
        timings["index"] = time.perf_counter() - started
        _fault("after-index")
        write_user_manifest(user_dir, documents)
        (user_dir / PENDING).unlink(missing_ok=True)
    except BaseException:
        # Nothing is lost: before the index switch the previous corpus stands, after it the new one does.
        if pending_is_committed(pending):
            write_user_manifest(user_dir, documents)
        (user_dir / PENDING).unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(view, ignore_errors=True)
    return report, timings


def _fault(stage: str):
    """Test hook: PACTE_CORPUS_KILL_AT=<stage> kills the change with SIGKILL there (atomicity tests)."""
    if os.environ.get("PACTE_CORPUS_KILL_AT") == stage:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def add_document(settings: Settings, data: bytes, filename: str, info: DocumentInfo = DocumentInfo(),
                 progress: bool = False) -> ChangeReport:
    """Convert a file, add it to the corpus and re-index (see the module docstring)."""
    from .chunking import chunk_document
    from .ingest import convert
    from .parsing import parse_document

    started = time.perf_counter()
    info = check_info(info)
    converted = convert(data, filename)
    timings = {"conversion": time.perf_counter() - started}
    name = os.path.basename(filename) or "document"
    source_sha = hashlib.sha256(data).hexdigest()
    text_bytes = converted.text.encode("utf-8")
    text_sha = hashlib.sha256(text_bytes).hexdigest()
    doc_id = info.doc_id or slug(os.path.splitext(name)[0])
    if not DOC_ID_RE.match(doc_id):
        doc_id = slug(doc_id)
    title = info.title or converted.title or os.path.splitext(name)[0]
    ext = os.path.splitext(name)[1].lower() or ".bin"
    aliases = list(info.aliases)
    if info.territory and info.territory not in aliases:
        aliases.append(info.territory)  # a question naming the territory is about its documents
    entry = {
        "doc_id": doc_id,
        "title": title,
        "issuer": info.issuer or "",
        "date": info.date or "",
        "kind": info.kind,
        "territory": info.territory or "",
        "aliases": aliases,
        "layout": "generic",
        "file": f"{USER_DIR}/{doc_id}/{doc_id}.txt",
        "sha256": text_sha,
        "source": {
            "file": f"{USER_DIR}/{doc_id}/source{ext}",
            "name": name,
            "format": converted.format,
            "sha256": source_sha,
            "bytes": len(data),
            **({"pages": converted.pages} if converted.pages else {}),
        },
        "added_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    corpus_dir = Path(settings.corpus_dir)
    with corpus_lock(settings) as user_dir:
        documents = _recover(user_dir)
        for other in load_manifest(corpus_dir):
            hashes = {other["sha256"], (other.get("source") or {}).get("sha256")}
            if source_sha in hashes or text_sha in hashes:
                raise DocumentConflict(
                    f"Ce document est déjà dans le corpus : « {other.get('title', other['doc_id'])} » "
                    f"(identifiant « {other['doc_id']} », même empreinte sha256)."
                )
            if other["doc_id"] == doc_id:
                raise DocumentConflict(
                    f"L'identifiant « {doc_id} » est déjà pris par « {other.get('title', doc_id)} ». "
                    "Choisissez-en un autre avec --doc-id (ou le champ « doc_id »)."
                )
        folder = user_dir / doc_id
        folder.mkdir()
        try:
            _write_file(folder / f"source{ext}", data)
            _write_file(folder / f"{doc_id}.txt", text_bytes)
            doc = document_from_entry(corpus_dir, entry)
            chunks = chunk_document(doc, parse_document(doc))
            if not chunks:
                raise InvalidInput(f"Le fichier « {name} » ne contient aucun passage à citer.")
            report, more = _apply(settings, user_dir, documents + [entry], progress)
        except BaseException:
            if not any(e["doc_id"] == doc_id for e in user_entries(corpus_dir)):
                shutil.rmtree(folder, ignore_errors=True)
            raise
    timings.update(more)
    return ChangeReport("added", doc_id, entry, len(chunks), report.embedded, report.chunks,
                        time.perf_counter() - started, timings)


def remove_document(settings: Settings, doc_id: str, progress: bool = False) -> ChangeReport:
    """Remove a user document from the corpus and re-index; the shipped documents cannot be removed."""
    started = time.perf_counter()
    corpus_dir = Path(settings.corpus_dir)
    with corpus_lock(settings) as user_dir:
        documents = _recover(user_dir)
        if any(e["doc_id"] == doc_id for e in shipped_entries(corpus_dir)):
            raise ShippedDocument(
                f"« {doc_id} » est un document livré avec Pacte Assistant : il ne peut pas être retiré du corpus."
            )
        entry = next((e for e in documents if e["doc_id"] == doc_id), None)
        if entry is None:
            known = [e["doc_id"] for e in documents]
            raise UnknownDocument(
                f"Document inconnu : « {doc_id} ». "
                + (f"Documents ajoutés : {', '.join(known)}." if known else "Aucun document n'a été ajouté au corpus.")
            )
        doc = document_from_entry(corpus_dir, entry, verify=False)
        from .chunking import chunk_document
        from .parsing import parse_document

        chunks = len(chunk_document(doc, parse_document(doc)))
        report, timings = _apply(settings, user_dir, [e for e in documents if e["doc_id"] != doc_id], progress)
        shutil.rmtree(user_dir / Path(entry["file"]).parts[1], ignore_errors=True)
    return ChangeReport("removed", doc_id, entry, chunks, report.embedded, report.chunks,
                        time.perf_counter() - started, timings)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
