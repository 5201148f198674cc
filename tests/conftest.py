"""Shared fixtures. The real index is built once per test session, in a temporary folder, with the embedding
cache of the project's index/ (filled by `make test`'s `pacte index`): tests never re-embed the corpus."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.corpus import load_corpus

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _hermetic_environment():
    """The tests set what they need: a PACTE_* variable of the shell running them (a Chroma server URL, an API key,
    another port…) must not change what they test. The embedding cache is kept (where `pacte index` filled it), and
    PACTE_CHROMIUM (the browser to drive). So are the learned models `pacte index` trained (PACTE_MODELS_DIR): every
    index a test builds of the shipped corpus, and every `pacte` it runs, finds them fresh instead of retraining."""
    index_dir = os.environ.get("PACTE_INDEX_DIR", str(PROJECT_ROOT / "index"))
    os.environ["PACTE_CACHE_DIR"] = os.environ.get("PACTE_CACHE_DIR", os.path.join(index_dir, "cache"))
    os.environ["PACTE_MODELS_DIR"] = os.environ.get("PACTE_MODELS_DIR", os.path.join(index_dir, "models"))
    kept = ("PACTE_CACHE_DIR", "PACTE_MODELS_DIR", "PACTE_CHROMIUM")
    for name in [n for n in os.environ if n.startswith("PACTE_") and n not in kept]:
        del os.environ[name]


_hermetic_environment()


@pytest.fixture(scope="session")
def corpus():
    return load_corpus(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Settings:
    """Settings pointing at a real index of the whole corpus, built once for the session."""
    from assistant.index import build_index

    project = Settings.from_env()
    settings = Settings(
        corpus_dir=PROJECT_ROOT / "corpus",
        index_dir=tmp_path_factory.mktemp("index"),
        cache_dir=project.cache_dir,
        # The models `make test`'s `pacte index` trained: same corpus, same training data, so their stamp matches.
        models_dir=project.models_dir,
    )
    build_index(settings, progress=False)
    return settings


@pytest.fixture()
def index_copy(built_index, tmp_path):
    """A private copy of the session index, free to damage."""
    target = tmp_path / "index"
    build = (built_index.index_dir / "current").resolve()
    shutil.copytree(build, target / "builds" / build.name)
    os.symlink(os.path.join("builds", build.name), target / "current")
    return replace(built_index, index_dir=target)


@pytest.fixture(scope="session")
def retriever(built_index):
    from assistant.retrieval import Retriever

    return Retriever.load(built_index)
