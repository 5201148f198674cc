"""The one door into the core for `api/` and `eval/`: ask, eligibility, indicators, check, audit, documents, health.

Everything the service and the evaluation runner use is named here, so the seams between the core and its clients
are listed in one place (tests/test_architecture.py keeps it so). Names load lazily (PEP 562): importing the facade
costs nothing, and a service that only checks contracts never imports Chroma or the embedder.
"""

from __future__ import annotations

from importlib import import_module

from . import __version__  # noqa: F401 - re-exported
from .config import (  # noqa: F401 - light: re-exported eagerly
    MAX_DOCUMENT_BYTES,
    MAX_HISTORY_ANSWER_CHARS,
    MAX_HISTORY_TURNS,
    MAX_QUESTION_CHARS,
    MAX_UPLOAD_BYTES,
    PROJECT_ROOT,
    Settings,
)
from .errors import IndexUnavailable, InvalidInput, PacteError  # noqa: F401

_LAZY = {
    # answers, eligibility, retrieval
    "Assistant": ".answer",
    "load_retriever": ".retrieval",
    "naive_langchain_retriever": ".baselines",
    # indicators
    "indicators": ".indicators",  # the module itself
    # contracts
    "check_contract": ".rules",
    "load_contract": ".rules",
    "RULES": ".rules",
    # audit of a contract document
    "audit": ".audit.report",
    "extract_document": ".audit.extract",
    "read_document": ".audit.source",
    # documents of the corpus
    "Document": ".schema",
    "KINDS": ".corpus",
    "load_corpus": ".corpus",
    "load_manifest": ".corpus",
    "parse_document": ".parsing",
    "ACCEPTED": ".ingest",
    "check_size": ".ingest",
    "DocumentInfo": ".user_corpus",
    "add_document": ".user_corpus",
    "list_documents": ".user_corpus",
    "remove_document": ".user_corpus",
    # health of the index
    "index_status": ".index",
    "Verifier": ".index",
    "Store": ".store",
}

__all__ = ["__version__", "Settings", "PacteError", "InvalidInput", "IndexUnavailable", "PROJECT_ROOT",
           "MAX_QUESTION_CHARS", "MAX_UPLOAD_BYTES", "MAX_DOCUMENT_BYTES", "MAX_HISTORY_TURNS",
           "MAX_HISTORY_ANSWER_CHARS", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = import_module(module, __package__)
    value = loaded if module == f".{name}" else getattr(loaded, name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__():
    return sorted(__all__)
