"""How related are the sections an abstention suggests? Measures the suggestion floor (AnswerConfig.suggestion_floor).

For each candidate floor, on the dev questions:
- precision: of the passages at or above the floor among the first hits of answerable questions, the share that
  overlaps a gold span (a suggestion should be a passage that does answer, or is next to one);
- shown: the share of out-of-scope questions that would get at least one suggestion (those should be few).

    .venv/bin/python bench/suggestions.py [--dataset eval/datasets/dev_questions.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.answer import Assistant
from assistant.config import Settings

FLOORS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def overlaps(hit, spans) -> bool:
    return any(hit.chunk.doc_id == s["doc_id"] and hit.chunk.line_start <= s["line_end"]
               and s["line_start"] <= hit.chunk.line_end for s in spans)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="eval/datasets/dev_questions.jsonl")
    args = parser.parse_args()
    assistant = Assistant.load(Settings.from_env())
    answerer = assistant.answerer
    items = [json.loads(line) for line in Path(args.dataset).read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = []  # (score, relevant) for the first 3 hits of answerable questions
    outside = []  # best hit score of each out-of-scope question
    for item in items:
        query = answerer.analyse(item["question"])
        ranking = answerer.retriever.rank(query.matched, query.vector, query.intents)
        hits = answerer.retriever.hits(ranking, 3)
        if item.get("answerable", True):
            scored += [(h.score, overlaps(h, item.get("gold_spans") or [])) for h in hits]
        else:
            outside.append(max((h.score for h in hits), default=0.0))
    print(f"{len(scored)} hits of answerable questions, {len(outside)} out-of-scope questions")
    print("floor  precision  kept_hits  out_of_scope_shown")
    for floor in FLOORS:
        kept = [relevant for score, relevant in scored if score >= floor]
        precision = sum(kept) / len(kept) if kept else float("nan")
        shown = sum(s >= floor for s in outside) / len(outside) if outside else float("nan")
        print(f"{floor:5.2f}  {precision:9.3f}  {len(kept):9d}  {shown:18.3f}")


if __name__ == "__main__":
    main()
