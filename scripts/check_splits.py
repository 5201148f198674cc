#!/usr/bin/env python3
"""Fail on leaks between the train, dev and test splits of eval/datasets/.

A text of one split (question or action description) that is a duplicate or a near-duplicate of a text of another
split is a leak: a model trained on it, or tuned on it, would be measured on what it has seen. Near-duplicate:
cosine ≥ THRESHOLD between character 3-5-gram TF-IDF vectors of the accent-free, lower-cased texts (catches
reordered words, typos, a changed place name), or one text contained in the other when both are ≥ 40 characters.

Usage: python scripts/check_splits.py [--threshold 0.9] [--datasets DIR]
Exit 0 when no leak, 1 when leaks are printed. Standalone (scikit-learn only): runs without the product.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parent.parent


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def texts_of(path: Path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            item = json.loads(line)
            text = item.get("question") or item.get("description")
            if isinstance(text, str):
                out.append((str(item.get("id")), text))
    return out


def splits(datasets: Path) -> dict[str, list[tuple[str, str, str]]]:
    """split -> [(file, id, text)]"""
    found = {
        "train": sorted((datasets / "train").glob("*.jsonl")),
        "dev": sorted(p for p in datasets.glob("dev_*.jsonl")),
        "test": sorted((datasets / "test").glob("*.jsonl")),
    }
    out = {split: [(p.name, i, t) for p in paths for i, t in texts_of(p)] for split, paths in found.items()}
    # The questions written for each passage (corpus/questions/) are indexed as entry points: training text too.
    out["train"] += [(p.name, f"{r.get('passage_id')}#{n}", q) for p in sorted((ROOT / "corpus" / "questions").glob("*.jsonl"))
                     for r in map(json.loads, filter(str.strip, p.read_text(encoding="utf-8-sig").splitlines()))
                     for n, q in enumerate(r.get("questions") or []) if isinstance(q, str)]
    return out


def leaks(data: dict[str, list[tuple[str, str, str]]], threshold: float) -> list[str]:
    rows = [(split, f, i, t, fold(t)) for split, items in data.items() for f, i, t in items]
    if len(rows) < 2:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform([r[4] for r in rows])
    similarity = (vectors @ vectors.T).tocoo()
    out = []
    for a, b, value in zip(similarity.row, similarity.col, similarity.data):
        if a >= b or rows[a][0] == rows[b][0]:
            continue
        contained = min(len(rows[a][4]), len(rows[b][4])) >= 40 and (rows[a][4] in rows[b][4] or rows[b][4] in rows[a][4])
        if value >= threshold or contained:
            out.append((rows[a], rows[b], value))
    return out


def shown(row) -> str:
    """A test item is named by its id only: nobody reads test items while tuning."""
    where = f"{row[0]}:{row[1]}:{row[2]}"
    return where if row[0] == "test" else f"{where} « {row[3][:80]} »"


def drop_train_items(datasets: Path, ids: set[tuple[str, str]]) -> int:
    """Remove the train items of `ids` ((file, id)) from their files: train may change, dev and test never."""
    dropped = 0
    for path in sorted((datasets / "train").glob("*.jsonl")):
        kept = []
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            if line.strip() and (path.name, str(json.loads(line).get("id"))) in ids:
                dropped += 1
                continue
            kept.append(line)
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    for path in sorted((ROOT / "corpus" / "questions").glob("*.jsonl")):
        records = [json.loads(line) for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
        for record in records:
            questions = record.get("questions") or []
            keep = [q for n, q in enumerate(questions) if (path.name, f"{record.get('passage_id')}#{n}") not in ids]
            dropped += len(questions) - len(keep)
            record["questions"] = keep
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--datasets", type=Path, default=ROOT / "eval" / "datasets")
    parser.add_argument("--drop-train", action="store_true",
                        help="remove every train item (train split, passage questions) of a leak (dev and test are never edited)")
    args = parser.parse_args(argv)
    data = splits(args.datasets)
    print("  ".join(f"{split}: {len(items)}" for split, items in data.items()))
    found = leaks(data, args.threshold)
    for a, b, value in found:
        print(f"LEAK {shown(a)} ~ {shown(b)} (cosinus {value:.2f})")
    print(f"{len(found)} leak(s) between splits")
    if args.drop_train and found:
        ids = {(row[1], row[2]) for pair in found for row in pair[:2] if row[0] == "train"}
        print(f"{drop_train_items(args.datasets, ids)} train item(s) removed")
        found = [pair for pair in found if "train" not in (pair[0][0], pair[1][0])]
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
