"""Server mode (PACTE_CHROMA_URL) against a real Chroma server (`pacte chroma serve`, i.e. `chroma run`) that the
tests start on a free loopback port and stop: index, search, ask, a builder killed with -9, a lost local copy, an
unreachable server, and builds of several collections switched as one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from assistant.config import PROJECT_ROOT
from assistant.errors import IndexUnavailable
from assistant.index import build_index, check_index, load_index
from assistant.retrieval import Retriever
from assistant.store import LOCK, BuildInProgress, Store

try:  # tests/ as a package or as a plain folder on sys.path
    from .chroma_fixtures import ChromaServer, free_port
except ImportError:
    from chroma_fixtures import ChromaServer, free_port

QUESTIONS = [
    "Une métropole peut-elle financer l'aide à l'achat d'un véhicule propre en ZFE avec le pacte ?",
    "Quel est le plafond de la part de l'État pour le SLIME+ ?",
    "Quels sont les indicateurs nationaux de l'axe 2 ?",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    chroma = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data")
    yield chroma
    chroma.stop()


@pytest.fixture()
def server_settings(built_index, server, tmp_path):
    """Settings using the server, with a local folder of their own (the server's pointer is shared: each test
    starts from whatever the previous one left current, as a real deployment would)."""
    return replace(built_index, chroma_url=server.url, index_dir=tmp_path / "index")


def pacte(settings, *args, extra_env=None, timeout=300):
    env = {
        **os.environ,
        "PACTE_INDEX_DIR": str(settings.index_dir),
        "PACTE_CACHE_DIR": str(settings.cache_dir),
        "PACTE_CHROMA_URL": settings.chroma_url or "",
        **(extra_env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=timeout,
    )


def test_index_search_and_ask_against_the_server_match_the_embedded_index(server_settings, server, retriever):
    report = build_index(server_settings, progress=False)
    assert report.status in {"built", "up-to-date"} and report.embedded == 0
    manifest = check_index(server_settings)
    assert manifest["collections"]["chunks"]["name"] in server.collections()
    remote = Retriever.load(server_settings)  # the same learned models on both sides
    for question in QUESTIONS:  # exact search on both sides: the same hits with the same scores
        ours = [(h.chunk.id, round(h.score, 9)) for h in remote.search(question, k=10)]
        assert ours == [(h.chunk.id, round(h.score, 9)) for h in retriever.search(question, k=10)]
    status = pacte(server_settings, "index", "--status")
    assert status.returncode == 0 and json.loads(status.stdout)["store"] == "serveur"
    asked = pacte(server_settings, "ask", QUESTIONS[0], "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"] and not answer["abstained"]
    hit_ids = {(h["doc_id"], h["line_start"]) for h in answer["hits"]}
    assert hit_ids  # citations come from the hits, which came from the server's collection
    searched = pacte(server_settings, "search", QUESTIONS[1], "--json")
    assert searched.returncode == 0 and json.loads(searched.stdout)["hits"]


def test_rebuilds_switch_the_server_pointer_and_drop_superseded_collections(server_settings, server, monkeypatch):
    import assistant.index

    def chunk_collections():
        return {n for n in server.collections() if n.startswith("pacte-2")}

    build_index(server_settings, progress=False)
    first = check_index(server_settings)["build"]
    assert build_index(server_settings, progress=False).status == "up-to-date"
    build_index(server_settings, force=True, progress=False)
    second = check_index(server_settings)["build"]
    assert second != first
    # Within the grace period, the build before the current one is still kept: a serving worker may not have
    # switched yet.
    monkeypatch.setattr(assistant.index, "SUPERSEDED_GRACE_S", 3600.0)
    build_index(server_settings, force=True, progress=False)
    assert any(first in n for n in chunk_collections())
    monkeypatch.setattr(assistant.index, "SUPERSEDED_GRACE_S", 0.0)
    build_index(server_settings, force=True, progress=False)
    fourth = check_index(server_settings)
    # At rest: the current build and the one it replaced, nothing older.
    names = chunk_collections()
    assert len(names) == 2 and fourth["collections"]["chunks"]["name"] in names
    assert not any(first in n or second in n for n in names), names


@pytest.mark.parametrize("stage", ["after-chroma", "before-swap"])
def test_a_builder_killed_against_the_server_leaves_the_current_build_and_the_next_one_cleans(server_settings, server, stage):
    build_index(server_settings, progress=False)
    before = check_index(server_settings)
    killed = pacte(server_settings, "index", "--force", "--quiet", extra_env={"PACTE_BUILD_KILL_AT": stage})
    assert killed.returncode == -9
    assert LOCK in server.collections()  # left by the dead builder
    leftovers = {n for n in server.collections() if n.startswith("pacte-2")} - {before["collections"]["chunks"]["name"]}
    assert any(n.endswith("-chunks") for n in leftovers)
    assert check_index(server_settings) == before  # the pointer did not move
    searched = pacte(server_settings, "search", QUESTIONS[1], "--json")
    assert searched.returncode == 0 and json.loads(searched.stdout)["hits"]
    # The next build takes over the dead builder's lock, removes its collections and succeeds.
    report = build_index(server_settings, force=True, progress=False)
    assert report.status == "built" and report.removed
    remaining = server.collections()
    assert LOCK not in remaining
    assert not [n for n in remaining if any(b in n for b in report.removed)]


def test_a_host_without_the_local_files_restores_them_from_the_server(server_settings, tmp_path):
    build_index(server_settings, progress=False)
    manifest = check_index(server_settings)
    elsewhere = replace(server_settings, index_dir=tmp_path / "other-host")  # no local copy at all
    index = load_index(elsewhere)
    assert index.build_id == manifest["build"] and len(index.chunks) == manifest["chunks"]
    assert Retriever(index).search(QUESTIONS[0], k=3)
    # Damaged later, the copy is restored again (its checksums are in the manifest held by the server).
    (index.path / "chunks.jsonl").write_text("{}\n", encoding="utf-8")
    assert check_index(elsewhere)["build"] == manifest["build"]


def test_an_unreachable_server_is_a_french_error(built_index, tmp_path):
    settings = replace(built_index, chroma_url=f"http://127.0.0.1:{free_port()}", index_dir=tmp_path / "index")
    with pytest.raises(IndexUnavailable, match="ne répond pas"):
        load_index(settings)
    for args in (("search", "SLIME"), ("index", "--quiet")):
        proc = pacte(settings, *args)
        assert proc.returncode == 2 and proc.stderr.startswith("Erreur : Le serveur Chroma"), proc.stderr
        assert "Traceback" not in proc.stderr
    bad = pacte(replace(settings, chroma_url="ftp://nulle-part"), "search", "SLIME")
    assert bad.returncode == 2 and "PACTE_CHROMA_URL invalide" in bad.stderr


def test_a_builder_on_another_host_holds_the_server_lock_until_it_goes_silent(server_settings, server):
    build_index(server_settings, progress=False)
    client = server.client()
    client.create_collection(LOCK, embedding_function=None, metadata={
        "owner": "autre-hote:4242", "host": "autre-hote", "pid": 4242, "since": time.time(), "heartbeat": time.time(),
    })
    try:
        with pytest.raises(BuildInProgress, match="autre-hote"):
            build_index(server_settings, force=True, progress=False)
        lock = client.get_collection(LOCK, embedding_function=None)
        lock.modify(metadata={**lock.metadata, "heartbeat": time.time() - 3600})  # silent for an hour: stale
        assert build_index(server_settings, force=True, progress=False).status == "built"
    finally:
        try:
            client.delete_collection(LOCK)
        except Exception:  # noqa: BLE001 - already released by the build
            pass


def _with_entry_points(monkeypatch):
    """A build of two collections: the chunks and a few 'entry point' texts resolving to a passage id."""
    from assistant import index as index_module

    original = index_module.build_collections

    def two_collections(documents, chunks):
        plans = original(documents, chunks)
        picked = chunks[:5]
        plans.append(index_module.CollectionPlan(
            "entries",
            ids=[f"entry-{c.id}" for c in picked],
            texts=[c.embed_text() for c in picked],  # already in the embedding cache: nothing is embedded
            documents=[c.text[:80] for c in picked],
            metadatas=[{"passage": c.id} for c in picked],
        ))
        return plans

    monkeypatch.setattr(index_module, "build_collections", two_collections)


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_one_pointer_switch_covers_every_collection_of_a_build(built_index, server, tmp_path, monkeypatch, mode):
    settings = replace(built_index, index_dir=tmp_path / "index", chroma_url=server.url if mode == "server" else None)
    build_index(settings, progress=False)
    single = check_index(settings)
    _with_entry_points(monkeypatch)
    report = build_index(settings, progress=False)  # the fingerprint covers the collections: a new build
    assert report.status == "built" and report.embedded == 0
    both = check_index(settings)
    assert set(both["collections"]) == {"chunks", "entries"} and both["collections"]["entries"]["count"] == 5
    index = load_index(settings)
    assert set(index.collections) == {"chunks", "entries"} and index.collections["entries"].count() == 5
    assert index.collections["entries"].get(ids=["entry-" + index.chunks[0].id])["metadatas"][0]["passage"] == index.chunks[0].id
    # Both collections of the build belong to it: names carry the build id, and the previous build kept its own.
    assert all(both["build"] in entry["name"] for entry in both["collections"].values())
    assert single["build"] in single["collections"]["chunks"]["name"]
    monkeypatch.undo()
    store = Store.open(settings)
    assert store.current_build_id() == both["build"]
