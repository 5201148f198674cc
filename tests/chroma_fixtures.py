"""A real Chroma server for the tests: `pacte chroma serve` (the official `chroma run`) on a free loopback port,
started and stopped by the test that needs it (CI starts with no background process)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import chromadb
import httpx

from assistant.config import PROJECT_ROOT
from assistant.store import chroma_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`pacte chroma serve --path DIR --port N` as a child process of the test session."""

    def __init__(self, path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(path.parent / f"chroma-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "chroma", "serve", "--path", str(path), "--port", str(self.port)],
            cwd=PROJECT_ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, "chroma server did not start"
            time.sleep(0.1)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def client(self):
        return chromadb.HttpClient(host="127.0.0.1", port=self.port, settings=chroma_settings())

    def collections(self) -> set[str]:
        return {c.name for c in self.client().list_collections()}
