"""`pacte serve --workers N`: worker processes sharing the read-only index, a rebuild while serving picked up by
every worker without a restart and without a failed request, and a request whose build vanished answered from the
current one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace

import httpx
import pytest

from assistant.config import PROJECT_ROOT
from assistant.index import build_index, check_index

try:  # tests/ as a package or as a plain folder on sys.path
    from .chroma_fixtures import ChromaServer, free_port
except ImportError:
    from chroma_fixtures import ChromaServer, free_port

DEV = PROJECT_ROOT / "eval" / "datasets" / "dev_questions.jsonl"


def dev_questions(n: int = 20) -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows][:n]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-serve") / "data")
    yield server
    server.stop()


def env_for(settings, **extra) -> dict:
    env = {
        **os.environ,
        "PACTE_INDEX_DIR": str(settings.index_dir),
        "PACTE_CACHE_DIR": str(settings.cache_dir),
        "PACTE_CHROMA_URL": settings.chroma_url or "",
        **extra,
    }
    env.pop("PACTE_API_KEY", None)
    return env


class Serving:
    """`pacte serve --workers 2` on a free port, as `make serve` starts it."""

    def __init__(self, settings, tmp_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp_path / "serve.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--workers", "2", "--port", str(self.port),
             "--log-level", "warning"],
            env=env_for(settings, PACTE_RELOAD_INTERVAL="0.5"), cwd=PROJECT_ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def workers(self, until, timeout=180) -> dict[int, dict]:
        """pid -> health of each worker seen, polling (new connections spread over the workers) until `until`."""
        seen: dict[int, dict] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, open(self.log.name).read()
            try:
                health = httpx.get(self.url + "/api/health", timeout=10).json()
                seen[health["worker"]["pid"]] = health
                if until(seen):
                    return seen
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"workers never reached the expected state: {seen}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_two_workers_pick_up_a_rebuild_without_a_failed_request(built_index, chroma, tmp_path, mode):
    settings = replace(built_index, index_dir=tmp_path / "index", chroma_url=chroma.url if mode == "server" else None)
    build_index(settings, progress=False)
    first = check_index(settings)["build"]
    serving = Serving(settings, tmp_path)
    try:
        both_loaded = serving.workers(lambda seen: len(seen) == 2 and all(h["worker"]["build"] == first for h in seen.values()))
        assert all(h["status"] == "ok" for h in both_loaded.values())

        answers, failures, stop = [], [], threading.Event()

        def client():
            questions = dev_questions()
            with httpx.Client(base_url=serving.url, timeout=60) as http:
                i = 0
                while not stop.is_set():
                    try:
                        r = http.post("/api/ask", json={"question": questions[i % len(questions)]})
                        (answers if r.status_code == 200 else failures).append(r.status_code)
                    except httpx.HTTPError as exc:
                        failures.append(type(exc).__name__)
                    i += 1

        clients = [threading.Thread(target=client) for _ in range(3)]
        for t in clients:
            t.start()
        try:
            rebuilt = subprocess.run(
                [sys.executable, "-m", "assistant.cli", "index", "--force", "--quiet"],
                env=env_for(settings), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
            )
            assert rebuilt.returncode == 0, rebuilt.stderr
            second = check_index(settings)["build"]
            assert second != first
            switched = serving.workers(
                lambda seen: len(seen) == 2 and all(h["worker"]["build"] == second for h in seen.values())
            )
            time.sleep(1.0)  # requests keep flowing after the switch
        finally:
            stop.set()
            for t in clients:
                t.join(timeout=120)
        assert not failures, failures
        assert len(answers) > 10
        assert all(h["worker"]["reloads"] >= 1 for h in switched.values())
    finally:
        serving.stop()


def test_a_request_whose_build_was_removed_is_answered_from_the_current_one(built_index, chroma, tmp_path):
    """Server mode: another builder dropped the collections this worker had loaded before it noticed the switch."""
    from api.services import Services

    settings = replace(built_index, index_dir=tmp_path / "index", chroma_url=chroma.url, reload_interval_s=3600)
    build_index(settings, progress=False)
    services = Services(settings).start()
    old = services.health()["worker"]["build"]
    assert old == check_index(settings)["build"]
    question = dev_questions(1)[0]
    before = services.ask(question)
    build_index(settings, force=True, progress=False)
    new = check_index(settings)["build"]
    for name in chroma.collections():
        if old in name:
            chroma.client().delete_collection(name)
    # The retriever holds its build's passage vectors in memory: the old build answers as before, unharmed...
    after = services.ask(question)
    assert after["answer"] == before["answer"] and after["citations"] == before["citations"]
    services._reload()  # ... until the next check of the build pointer loads the current one
    assert services.health()["worker"]["build"] == new
    assert services.ask(question)["citations"] == before["citations"]


def test_serve_help_names_the_workers_option():
    from click.testing import CliRunner

    from api.cli import serve_cmd

    out = CliRunner().invoke(serve_cmd, ["--help"]).output
    assert "--workers" in out and "PACTE_WORKERS" in out and "nombre de cœurs" in out
