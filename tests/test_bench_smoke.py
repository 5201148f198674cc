"""bench/scale.py at a tiny size (the corpus x2, embedded Chroma, 5 queries): the script runs end to end and reports
every measure. The real benchmark (x10, x100, server mode) is run by hand: see README, bench/RESULTS-issue12.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from assistant.config import PROJECT_ROOT, Settings
from assistant.embedding import EmbeddingCache


def test_embedding_cache_add_stores_given_vectors(tmp_path):
    cache = EmbeddingCache(tmp_path, "synthetic")
    vectors = np.eye(3, dtype=np.float32)
    cache.add(["a", "b", "c"], vectors)
    reopened = EmbeddingCache(tmp_path, "synthetic")
    assert len(reopened) == 3 and reopened.dim == 3
    assert np.array_equal(reopened._vectors[EmbeddingCache.key("b")], vectors[1])


def test_scale_benchmark_smoke():
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "PACTE_CACHE_DIR": str(Settings.from_env().cache_dir)}
    proc = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "scale.py"), "--factors", "2", "--modes", "embedded",
         "--queries", "5", "--json"],
        capture_output=True, text=True, timeout=300, env=env, cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (result,) = json.loads(proc.stdout)["results"]
    assert result["factor"] == 2 and result["mode"] == "embedded"
    assert result["passages"] > 1000 and result["build_s"] > 0 and result["disk_mb"] > 0
    for key in ("search_p50_ms", "search_p95_ms", "search_embed_p95_ms", "search_vector_p95_ms", "search_bm25_p95_ms"):
        assert result[key] >= 0
    assert result["search_rss_mb"] > 0
