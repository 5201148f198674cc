"""Loading the corpus: the manifest and the documents it lists, checked against their sha256.

Two manifests make the corpus, in this order:

- `<corpus>/manifest.yaml`: the documents shipped with Pacte Assistant, never modified by the program;
- `<corpus>/user/manifest.yaml`: the documents a user added (`pacte corpus add`, assistant/user_corpus.py), each
  in `<corpus>/user/<doc_id>/`: the original file and the UTF-8 text converted from it, which the entry's `file`
  and `sha256` name and every citation refers to.

Adding or removing a document writes `<corpus>/user/pending.json` (the user documents as they will be, the index
folder, and the corpus fingerprint the new index will record) before rebuilding the index. The index's atomic
switch is the commit point: once the current index records that fingerprint, the pending state *is* the corpus
(whoever reads it first writes it to the user manifest); until then the user manifest is. A crash at any point
leaves one consistent pair of corpus and index.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import yaml

from .errors import CorpusError
from .schema import Document

USER_DIR = "user"
USER_MANIFEST = "manifest.yaml"
PENDING = "pending.json"

# Kinds of documents. The shipped contract says "contrat" (its layout depends on it): both spellings are one kind.
KINDS = ("instruction", "contract", "notes", "faq", "other")
_KIND_SYNONYMS = {"contrat": "contract", "autre": "other"}


def canonical_kind(kind: str) -> str:
    kind = (kind or "").strip().lower()
    return _KIND_SYNONYMS.get(kind, kind)


def _read_yaml_documents(path: Path, required: bool) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise CorpusError(f"Manifeste du corpus introuvable : {path}") from None
        return []
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CorpusError(f"Manifeste du corpus illisible ({path}) : {exc}") from None
    docs = (data or {}).get("documents") if isinstance(data, dict) or data is None else None
    if docs is None and not required:
        return []
    if not isinstance(docs, list) or (required and not docs) or not all(isinstance(d, dict) for d in docs):
        raise CorpusError(f"Le manifeste {path} ne liste aucun document.")
    return docs


def shipped_entries(corpus_dir: Path) -> list[dict]:
    return _read_yaml_documents(Path(corpus_dir) / "manifest.yaml", required=True)


def _pending(user_dir: Path) -> dict | None:
    try:
        data = json.loads((user_dir / PENDING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("documents"), list) and isinstance(data.get("corpus"), dict)
    return data if ok else None


def pending_is_committed(pending: dict) -> bool:
    """Has the index the pending state was built for become current (the commit point)?"""
    try:
        manifest = json.loads((Path(pending["index_dir"]) / "current" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return manifest.get("corpus") == pending["corpus"]


def write_user_manifest(user_dir: Path, documents: list[dict]) -> None:
    header = (
        "# Documents added with `pacte corpus add` (written by the program: use `pacte corpus add/remove`).\n"
        "# `file` is the UTF-8 text every citation refers to; `source` the original file it was converted from.\n"
    )
    text = header + yaml.safe_dump({"documents": documents}, allow_unicode=True, sort_keys=False, width=120)
    write_atomic(user_dir / USER_MANIFEST, text)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600: the manifest is as readable as the corpus files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def user_entries(corpus_dir: Path) -> list[dict]:
    """The user documents of the corpus, with a committed pending state rolled forward."""
    user_dir = Path(corpus_dir) / USER_DIR
    pending = _pending(user_dir)
    if pending is not None and pending_is_committed(pending):
        try:
            write_user_manifest(user_dir, pending["documents"])
            (user_dir / PENDING).unlink(missing_ok=True)
        except OSError:
            pass  # a read-only corpus: the next writer records it
        return pending["documents"]
    return _read_yaml_documents(user_dir / USER_MANIFEST, required=False)


def load_manifest(corpus_dir: Path) -> list[dict]:
    """Every manifest entry: the shipped documents, then the user's."""
    entries = shipped_entries(corpus_dir) + user_entries(corpus_dir)
    seen = set()
    for entry in entries:
        if not isinstance(entry.get("doc_id"), str) or not entry.get("file") or not entry.get("sha256"):
            raise CorpusError(f"Entrée de manifeste incomplète (doc_id, file, sha256) dans {corpus_dir} : {entry!r}")
        if entry["doc_id"] in seen:
            raise CorpusError(f"Le document « {entry['doc_id']} » figure deux fois dans les manifestes de {corpus_dir}.")
        seen.add(entry["doc_id"])
    return entries


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def document_from_entry(corpus_dir: Path, entry: dict, verify: bool = True) -> Document:
    path = Path(corpus_dir) / entry["file"]
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CorpusError(f"Document du corpus introuvable : {path}") from None
    if verify and hashlib.sha256(raw).hexdigest() != entry["sha256"]:
        raise CorpusError(
            f"Le document {entry['doc_id']} ({path.name}) ne correspond pas à l'empreinte sha256 du manifeste."
        )
    # splitlines() on '\n' only: line numbers must match `sed -n` / editors on these files.
    lines = raw.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return Document(
        doc_id=entry["doc_id"],
        title=entry["title"],
        issuer=entry.get("issuer") or "",
        date=str(entry.get("date") or ""),
        kind=entry.get("kind") or "other",
        file=entry["file"],
        sha256=entry["sha256"],
        path=path,
        lines=tuple(lines),
        territory=entry.get("territory") or "",
        aliases=tuple(entry.get("aliases") or ()),
        addressed_to=tuple(entry.get("addressed_to") or ()),
        layout=entry.get("layout") or "",
    )


def load_corpus(corpus_dir: Path, verify: bool = True) -> dict[str, Document]:
    """All documents of the manifests, keyed by doc_id, in manifest order (shipped first)."""
    return {entry["doc_id"]: document_from_entry(corpus_dir, entry, verify) for entry in load_manifest(corpus_dir)}


def corpus_fingerprint(documents: dict[str, Document]) -> dict[str, str]:
    return {doc_id: doc.sha256 for doc_id, doc in documents.items()}
