"""Loading the corpus: the manifest and the documents it lists, checked against their sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from .errors import CorpusError
from .schema import Document


def load_manifest(corpus_dir: Path) -> list[dict]:
    manifest = corpus_dir / "manifest.yaml"
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"Manifeste du corpus introuvable : {manifest}") from None
    except yaml.YAMLError as exc:
        raise CorpusError(f"Manifeste du corpus illisible ({manifest}) : {exc}") from None
    docs = (data or {}).get("documents")
    if not isinstance(docs, list) or not docs:
        raise CorpusError(f"Le manifeste {manifest} ne liste aucun document.")
    return docs


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_corpus(corpus_dir: Path, verify: bool = True) -> dict[str, Document]:
    """All documents of the manifest, keyed by doc_id, in manifest order."""
    documents: dict[str, Document] = {}
    for entry in load_manifest(corpus_dir):
        path = corpus_dir / entry["file"]
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
        documents[entry["doc_id"]] = Document(
            doc_id=entry["doc_id"],
            title=entry["title"],
            issuer=entry["issuer"],
            date=str(entry["date"]),
            kind=entry["kind"],
            file=entry["file"],
            sha256=entry["sha256"],
            path=path,
            lines=tuple(lines),
            territory=entry.get("territory", ""),
        )
    return documents


def corpus_fingerprint(documents: dict[str, Document]) -> dict[str, str]:
    return {doc_id: doc.sha256 for doc_id, doc in documents.items()}
