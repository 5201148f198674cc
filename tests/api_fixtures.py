"""Fixtures of the HTTP API tests (test_api.py, test_browser.py), imported with `from .api_fixtures import *`.

- `bare_settings`: the real corpus and an empty index folder. Enough for the page, documents, check,
  indicators and every validation error; /api/ask then answers 503.
- `api_services`: one Services container over the session's real index (`built_index`), loaded once and
  shared by every app of the session, so the assistant is never loaded twice.
- `live_server`: a real uvicorn on a free loopback port, in a thread, for the browser tests;
  `bare_live_server` the same without an index (the contract check needs none).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from assistant.config import PROJECT_ROOT, Settings

ARTIFACTS = PROJECT_ROOT / "test-artifacts"

__all__ = [
    "bare_settings",
    "bare_client",
    "bare_live_server",
    "api_services",
    "api_client",
    "live_server",
    "ARTIFACTS",
    "LiveServer",
]


@pytest.fixture(scope="session")
def bare_settings(tmp_path_factory) -> Settings:
    empty = tmp_path_factory.mktemp("no-index")
    return Settings(corpus_dir=PROJECT_ROOT / "corpus", index_dir=empty, cache_dir=empty / "cache")


@pytest.fixture(scope="module")
def bare_client(bare_settings):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(bare_settings)) as client:
        yield client


@pytest.fixture(scope="session")
def api_services(built_index):
    from api.services import Services

    services = Services(built_index).start()
    assert services.health()["assistant_loaded"], services.health()["index"]
    return services


@pytest.fixture(scope="module")
def api_client(built_index, api_services):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(built_index, services=api_services)) as client:
        yield client


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="pacte-live-server", daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(built_index, api_services):
    from api.app import create_app

    with LiveServer(create_app(built_index, services=api_services)) as server:
        yield server


@pytest.fixture(scope="module")
def bare_live_server(bare_settings):
    from api.app import create_app

    with LiveServer(create_app(bare_settings)) as server:
        yield server
