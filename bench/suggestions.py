"""How related are the sections an abstention suggests? Measures the suggestion floor (AnswerConfig.suggestion_floor).

A suggestion is a first hit whose cosine similarity to the question (e5 vectors) reaches the floor. For each
candidate floor, on the dev questions:
- precision: of the first 3 hits of answerable questions at or above the floor, the share that overlaps a gold span
  (a suggestion should be a passage that answers, or is next to one);
- shown: the share of out-of-scope questions that would get at least one suggestion (near misses are related to the
  corpus by design, so some should; questions about something else entirely should not).

    .venv/bin/python bench/suggestions.py [--dataset eval/datasets/dev_questions.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.answer import Assistant
from assistant.config import Settings

FLOORS = (0.78, 0.80, 0.82, 0.84, 0.85, 0.86, 0.87, 0.88, 0.90)


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
        cosines = [ranking.candidates.signals[n].scores["dense"] for n in ranking.order[:3]]
        if item.get("answerable", True):
            scored += [(c, overlaps(h, item.get("gold_spans") or [])) for h, c in zip(hits, cosines)]
        else:
            outside.append(max(cosines, default=0.0))
    print(f"{len(scored)} hits of answerable questions, {len(outside)} out-of-scope questions")
    print("floor  precision  kept_hits  out_of_scope_shown")
    for floor in FLOORS:
        kept = [relevant for score, relevant in scored if score >= floor]
        precision = sum(kept) / len(kept) if kept else float("nan")
        shown = sum(s >= floor for s in outside) / len(outside) if outside else float("nan")
        print(f"{floor:5.2f}  {precision:9.3f}  {len(kept):9d}  {shown:18.3f}")


if __name__ == "__main__":
    main()
