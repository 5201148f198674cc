"""Retrieval benchmark: one table, one run, for BM25 alone, dense alone, hybrid and the naive LangChain recipe.

    .venv/bin/python bench/retrieval.py [--dataset eval/datasets/dev_questions.jsonl] [--json]

Metrics are eval.metrics' (the same as `pacte eval`): Recall@k = share of a question's gold spans overlapped by
one of the top k hits, averaged over answerable questions; MRR = mean 1/rank of the first relevant hit (0 past 10). Latency: warm, per query, this process.
Also prints the retrieval process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.baselines import naive_langchain_retriever  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.retrieval import Retriever  # noqa: E402
from eval.metrics import recall_at_k, reciprocal_rank  # noqa: E402


def load_questions(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("answerable", True) and r.get("gold_spans")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def evaluate(search, questions: list[dict], warmup: int = 3) -> dict:
    for q in questions[:warmup]:
        search(q["question"])
    rows, latencies = [], []
    for q in questions:
        started = time.perf_counter()
        hits = search(q["question"])
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = [(h.chunk.doc_id, h.chunk.line_start, h.chunk.line_end) for h in hits]
        gold = [(g["doc_id"], g["line_start"], g["line_end"]) for g in q["gold_spans"]]
        rows.append({k: recall_at_k(ranked, gold, k) for k in (1, 5, 10)} | {"rr": reciprocal_rank(ranked, gold, 10)})
    n = len(questions)
    return {
        "recall@1": sum(r[1] for r in rows) / n,
        "recall@5": sum(r[5] for r in rows) / n,
        "recall@10": sum(r[10] for r in rows) / n,
        "mrr": sum(r["rr"] for r in rows) / n,
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95),
        "per_question": {q["id"]: r for q, r in zip(questions, rows)},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(ROOT / "eval/datasets/dev_questions.jsonl"))
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive LangChain recipe")
    args = parser.parse_args(argv)
    questions = load_questions(Path(args.dataset))
    settings = Settings.from_env()
    retriever = Retriever.load(settings)
    systems = {
        "bm25": lambda q: retriever.search(q, k=10, mode="bm25"),
        "dense": lambda q: retriever.search(q, k=10, mode="dense"),
        "hybrid": lambda q: retriever.search(q, k=10, mode="hybrid"),
    }
    results = {name: evaluate(fn, questions) for name, fn in systems.items()}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not args.no_naive:
        naive = naive_langchain_retriever(settings)
        results["naive-langchain"] = evaluate(lambda q: naive.search(q, k=10), questions)
    if args.json:
        print(json.dumps({"questions": len(questions), "rss_mb": rss_mb, "results": results}, indent=1))
        return
    print(f"{len(questions)} answerable dev questions · embedder {retriever.index.manifest['embedder']} · "
          f"{len(retriever.chunks)} chunks · peak RSS (retriever) {rss_mb:.0f} MB")
    print(f"{'system':<16}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR':>7}{'p50 ms':>9}{'p95 ms':>9}")
    for name, r in results.items():
        print(f"{name:<16}{r['recall@1']:>7.3f}{r['recall@5']:>7.3f}{r['recall@10']:>7.3f}{r['mrr']:>7.3f}"
              f"{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}")


if __name__ == "__main__":
    main()
