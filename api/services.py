"""The back-end calls the HTTP API makes, in one small container built once at start-up (once per worker process).

The container loads the corpus and the assistant (hence the index) once; every method is blocking
and is run by the app in a worker thread. Back-end modules are imported lazily so that the rules and
documents endpoints work without an index, and so that `pacte check` users never pay for the embedder.

A rebuild while serving is picked up without a restart: at most every PACTE_RELOAD_INTERVAL seconds a request
checks whether another build became current; if so the new build is loaded in the background while the old one
keeps answering, then swapped in (the old one is closed once the requests still using it are done). A request that
finds its build gone (removed, server failure) loads the current one and is answered from it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from assistant.facade import __version__
from assistant.facade import MAX_UPLOAD_BYTES, Settings
from assistant.facade import IndexUnavailable, InvalidInput, PacteError
from assistant.facade import Document

log = logging.getLogger("pacte.api")

# A citation is shown with some context, but one request never returns a whole 11,000-line file.
MAX_DOCUMENT_SPAN = 500
DEFAULT_DOCUMENT_SPAN = 40

CONTRACT_EXTENSIONS = (".yaml", ".yml", ".json", ".xlsx", ".csv")


# --- HTTP-flavoured user errors (French messages, like every PacteError) ---------------------


class NotFound(PacteError):
    status = 404


class Unauthorized(PacteError):
    status = 401


class PayloadTooLarge(PacteError):
    status = 413


class UnsupportedMediaType(PacteError):
    status = 415


class ServiceUnavailable(PacteError):
    status = 503


class RequestTimeout(PacteError):
    status = 504


def upload_too_large_message() -> str:
    return f"Le contenu envoyé dépasse la taille maximale autorisée ({MAX_UPLOAD_BYTES // (1024 * 1024)} Mo)."


# --- the section around a line, from the project's section tree (assistant.parsing) ------------


class _SectionFinder:
    """The deepest section of the document's parsed tree that contains a line."""

    def __init__(self, doc: Document):
        from assistant.facade import parse_document

        self.root = parse_document(doc)

    def at(self, line: int) -> dict | None:
        found = None
        for section in self.root.walk():
            if section.path and section.line_start <= line <= section.line_end:
                if found is None or section.level > found.level:
                    found = section
        if found is None:
            return None
        return {"title": found.title, "path": list(found.path), "line_start": found.line_start, "line_end": found.line_end}


# --- the container -----------------------------------------------------------------------------


class Services:
    """Everything the endpoints call. Build it once (`Services(settings).start()`), share it."""

    def __init__(self, settings: Settings, concurrency: int | None = None):
        self.settings = settings
        # At most `concurrency` assistant calls at once (default: one per core). The back-end is
        # thread-safe in practice (per-call buffers in the embedder, read-only index; concurrent
        # answers were checked identical to sequential ones), and a second call overlaps the waits
        # of the first (Chroma, OpenMP) - bench/load.py: ~10 req/s with 1, ~17 with 2 on 2 cores.
        # More only queues work in threads. Waiting requests queue here, bounded by the request
        # timeout (app.run): a request that timed out never starts.
        self.call_lock = threading.BoundedSemaphore(max(1, concurrency or os.cpu_count() or 1))
        self._corpus_lock = threading.Lock()
        self._assistant_lock = threading.Lock()
        self._assistant = None
        self._assistant_error: PacteError | None = None
        self._documents: dict[str, Document] | None = None
        self._sections: dict[str, _SectionFinder] = {}
        self.started = False
        self._verifier = None  # what /api/health verified of the index files, kept between calls
        self._store = None
        self._next_check = 0.0
        self._reloading = False
        self.reloads = 0  # builds loaded after start-up

    # start-up ------------------------------------------------------------------------------

    def start(self) -> "Services":
        """Load the corpus and the assistant. Never raises: a missing index leaves the service up
        (rules and documents work) and is reported by /api/health and by a 503 on /api/ask."""
        try:
            self.documents()
        except PacteError as exc:
            log.error("Corpus indisponible : %s", exc.message)
        try:
            self.assistant()
        except PacteError as exc:
            log.warning("Assistant indisponible : %s", exc.message)
        self.started = True
        return self

    def documents(self) -> dict[str, Document]:
        if self._documents is None:
            with self._corpus_lock:
                if self._documents is None:
                    from assistant.facade import load_corpus

                    self._documents = load_corpus(Path(self.settings.corpus_dir))
        return self._documents

    def _section_finder(self, doc: Document) -> _SectionFinder:
        """The document's section tree, parsed the first time one of its lines is asked for."""
        finder = self._sections.get(doc.doc_id)
        if finder is None:
            with self._corpus_lock:
                finder = self._sections.get(doc.doc_id) or _SectionFinder(doc)
                self._sections[doc.doc_id] = finder
        return finder

    def reload(self) -> None:
        """After the corpus changed (POST or DELETE /api/documents): the new corpus and assistant replace the old
        ones only once loaded, so that requests under way finish on the previous ones."""
        from assistant.facade import load_corpus

        docs = load_corpus(Path(self.settings.corpus_dir))
        with self._corpus_lock:
            self._sections = {}  # parsed again on demand (_section_finder), before a reader sees the new documents
            self._documents = docs
        try:
            from assistant.facade import Assistant

            assistant = Assistant.load(self.settings)
        except PacteError as exc:
            with self._assistant_lock:
                self._assistant, self._assistant_error = None, exc
            return
        with self._assistant_lock:
            self._assistant, self._assistant_error = assistant, None

    def assistant(self):
        """The loaded assistant. Retried on demand while it is unavailable, so that building the
        index after start-up (`pacte index`) is enough to bring /api/ask up; replaced in the background
        when another build becomes current."""
        if self._assistant is not None:
            self._watch_builds()
            return self._assistant
        with self._assistant_lock:
            if self._assistant is None:
                self._assistant = self._load_assistant()
        return self._assistant

    def _load_assistant(self):
        try:
            from assistant.facade import Assistant
        except ImportError as exc:
            log.error("assistant.answer introuvable : %s", exc)
            self._assistant_error = ServiceUnavailable(
                "Le module de réponse n'est pas installé sur ce serveur : les questions ne peuvent pas être traitées."
            )
            raise self._assistant_error from None
        try:
            assistant = Assistant.load(self.settings)
        except PacteError as exc:
            self._assistant_error = exc
            raise
        except Exception:  # an unusable index must not take the whole service down
            log.exception("Chargement de l'assistant impossible")
            self._assistant_error = ServiceUnavailable(
                "L'assistant n'a pas pu être chargé (index illisible ?). Relancez « pacte index » ; "
                "le détail est dans le journal du serveur."
            )
            raise self._assistant_error from None
        self._assistant_error = None
        return assistant

    @staticmethod
    def _build_of(assistant) -> str:
        index = getattr(getattr(assistant, "retriever", None), "index", None)
        return getattr(index, "build_id", "") or ""

    def _current_build(self) -> str | None:
        from assistant.facade import Store

        try:
            if self._store is None:
                self._store = Store.open(self.settings)
            return self._store.current_build_id()
        except PacteError:
            return None

    def _watch_builds(self) -> None:
        """At most every reload_interval_s: if another build is current, load it in the background."""
        now = time.monotonic()
        if now < self._next_check or self._reloading:
            return
        self._next_check = now + self.settings.reload_interval_s
        current = self._current_build()
        if current and current != self._build_of(self._assistant):
            self._reloading = True
            threading.Thread(target=self._reload, name="pacte-reload", daemon=True).start()

    def _reload(self) -> None:
        try:
            self._swap(self._load_assistant())
        except PacteError as exc:  # the new build is not usable (yet): keep serving the one we have
            log.warning("Nouvel index non chargé : %s", exc.message)
        finally:
            self._reloading = False

    def _swap(self, new) -> None:
        with self._assistant_lock:
            old, self._assistant = self._assistant, new
        self.reloads += 1
        log.info("Index rechargé : build %s", self._build_of(new))
        if old is not None and old is not new:
            # Requests already running on the old build finish first (they are bounded by the request timeout).
            index = getattr(getattr(old, "retriever", None), "index", None)
            if index is not None and hasattr(index, "close"):
                timer = threading.Timer(2 * self.settings.request_timeout_s + 5, index.close)
                timer.daemon = True
                timer.start()

    def _answer(self, call):
        """`call(assistant)`, answered from the current build if the one in use was removed under us."""
        assistant = self.assistant()
        try:
            return call(assistant)
        except IndexUnavailable:
            current = self._current_build()
            if not current or current == self._build_of(assistant):
                raise
            with self._assistant_lock:
                fresh = self._assistant if self._build_of(self._assistant) == current else None
            if fresh is None:
                fresh = self._load_assistant()
                self._swap(fresh)
            return call(fresh)

    # calls ---------------------------------------------------------------------------------

    def ask(self, question: str, history: list[dict] | None = None) -> dict:
        return self._answer(lambda assistant: assistant.ask(question, history=history or None))

    def eligibility(self, description: str, collectivite: str | None = None) -> dict:
        return self._answer(lambda assistant: assistant.eligibility(description, collectivite=collectivite))

    def check(self, content: bytes, filename: str) -> dict:
        if len(content) > MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(upload_too_large_message())
        suffix = Path(filename).suffix.lower()
        if suffix not in CONTRACT_EXTENSIONS:
            raise UnsupportedMediaType(
                f"Format de fichier non pris en charge : « {Path(filename).name} ». "
                "Formats acceptés : YAML (.yaml, .yml), JSON (.json), Excel (.xlsx) ou CSV (.csv)."
            )
        try:
            from assistant.facade import check_contract, load_contract
        except ImportError as exc:
            log.error("assistant.rules introuvable : %s", exc)
            raise ServiceUnavailable("Le module de contrôle des contrats n'est pas installé sur ce serveur.") from None

        try:
            contract = load_contract(content, filename=filename)
        except InvalidInput as exc:
            raise InvalidInput(f"Contrat invalide : {exc.message}") from None
        report = check_contract(contract)
        # The page shows each rule's French title, each action's title beside its number and the title of
        # the document a rule cites.
        try:
            from assistant.facade import RULES

            titles = {rule_id: rule.title for rule_id, rule in RULES.items()}
        except ImportError:
            titles = {}
        try:
            doc_titles = {doc_id: doc.title for doc_id, doc in self.documents().items()}
        except PacteError:
            doc_titles = {}
        for result in report.get("results", []):
            if result.get("rule") in titles:
                result.setdefault("rule_title", titles[result["rule"]])
            citation = result.get("citation")
            if isinstance(citation, dict) and citation.get("doc_id") in doc_titles:
                citation.setdefault("doc_title", doc_titles[citation["doc_id"]])
        report["contract"] = {
            "nom": contract.collectivite.nom,
            "type": contract.collectivite.type,
            "annee": contract.annee,
            "actions": [{"id": a.id, "axe": a.axe, "intitule": a.intitule} for a in contract.actions],
        }
        return report

    def indicators(self, axe: int | None = None) -> dict:
        """What `pacte indicators --json` prints: {"indicators": [...], "calendar": [...]}."""
        from assistant.facade import indicators

        if hasattr(indicators, "indicators_payload"):
            return dict(indicators.indicators_payload(axe))
        return {"indicators": indicators.list_indicators(axe), "calendar": []}

    def document_lines(self, doc_id: str, start: int | None = None, end: int | None = None) -> dict:
        docs = self.documents()
        doc = docs.get(doc_id)
        if doc is None:
            raise NotFound(f"Document inconnu : « {doc_id} ». Documents du corpus : {', '.join(docs)}.")
        total = len(doc.lines)
        start = 1 if start is None else start
        if start > total:
            raise InvalidInput(f"Le document « {doc_id} » compte {total} lignes : la ligne {start} n'existe pas.")
        end = min(total, start + DEFAULT_DOCUMENT_SPAN - 1) if end is None else end
        if end < start:
            raise InvalidInput(f"La ligne de fin ({end}) précède la ligne de début ({start}).")
        end = min(end, total)
        if end - start + 1 > MAX_DOCUMENT_SPAN:
            raise InvalidInput(f"Au plus {MAX_DOCUMENT_SPAN} lignes peuvent être demandées à la fois.")
        return {
            "doc_id": doc.doc_id,
            "doc_title": doc.title,
            "total_lines": total,
            "start": start,
            "end": end,
            "lines": [{"number": n, "text": doc.lines[n - 1]} for n in range(start, end + 1)],
            "section": self._section_finder(doc).at(start),
        }

    def health(self) -> dict:
        if self._assistant is not None:
            self._watch_builds()
        index: dict[str, Any]
        try:
            from assistant.facade import Verifier, index_status
        except ImportError:
            index = {"ok": False, "message": "Le module d'index n'est pas disponible sur ce serveur."}
        else:
            try:
                self._verifier = self._verifier or Verifier()
                index = dict(index_status(self.settings, self._verifier))
            except PacteError as exc:
                index = {"ok": False, "message": exc.message}
            except Exception:  # health must answer even when the index is broken
                log.exception("index_status a échoué")
                index = {"ok": False, "message": "L'état de l'index n'a pas pu être lu."}
        if self._assistant is None and self._assistant_error is not None:
            index["ok"] = False
            index.setdefault("message", self._assistant_error.message)
        try:
            corpus = {doc_id: doc.sha256 for doc_id, doc in self.documents().items()}
        except PacteError as exc:
            corpus = {}
            index.setdefault("corpus_error", exc.message)
        ready = self._assistant is not None and index.get("ok", True) is not False
        return {
            "status": "ok" if ready else "degraded",
            "version": __version__,
            "index": index,
            "embedder": str(index.get("embedder") or self.settings.embedder),
            "corpus": corpus,
            "assistant_loaded": self._assistant is not None,
            "api_key_required": bool(self.settings.api_key),
            "worker": {"pid": os.getpid(), "build": self._build_of(self._assistant) or None, "reloads": self.reloads},
        }


__all__ = [
    "Services",
    "NotFound",
    "Unauthorized",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "ServiceUnavailable",
    "RequestTimeout",
    "IndexUnavailable",
    "upload_too_large_message",
    "MAX_DOCUMENT_SPAN",
]
