"""A local fake OpenAI-compatible server (POST /v1/chat/completions) for the tests of the optional LLM paths:
`llm_url` is its base URL; each reply's content is `REPLY["content"]` (a string, or a callable of the request body),
and `REPLY["last_request"]` the last body received."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI

REPLY = {"content": ""}


def _content(body: dict) -> str:
    content = REPLY["content"]
    return content(body) if callable(content) else content


def _fake_openai() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    def completions(body: dict):
        REPLY["last_request"] = body
        return {
            "id": "fake", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": _content(body)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return app


@pytest.fixture(scope="module")
def llm_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_fake_openai(), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=10)
