#!/usr/bin/env python3
"""Validate the hand-written dev datasets against the corpus.

Checks eval/datasets/dev_questions.jsonl and eval/datasets/dev_actions.jsonl:
one JSON object per line, required fields and types, unique ids, gold spans
inside the cited file, and every key fact of a question found (normalised) in
the text of its gold spans widened by two lines on each side.

Usage: python scripts/check_datasets.py [--corpus DIR] [--questions FILE] [--actions FILE]
Exit code 0 when everything passes, 1 when a violation is printed.
Standalone on purpose (only PyYAML): the gold data must be checkable without the product.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

CATEGORIES = {"eligibility", "indicator", "financial", "procedure", "other"}
VERDICTS = {"eligible", "eligible_with_conditions", "excluded", "not_in_referential"}
COLLECTIVITES = {"metropole", "departement", None}
# Line spans of the four référentiels and of the financial framework in the instruction
# (docs/TEAM.md); an action's axis must be backed by a span in its annex.
INSTRUCTION_ID = "instruction-2023-168"
AXIS_SPANS = {1: (229, 404), 2: (405, 531), 3: (532, 1032), 4: (1033, 1263)}
ANNEX5 = (1264, 1452)
KEY_FACT_CONTEXT = 2  # lines added on each side of a gold span when looking for key facts
LONG_SPAN = 30  # a gold span longer than this is reported as a warning (tightness)

QUESTION_FIELDS = {
    "id": str,
    "question": str,
    "category": str,
    "doc_id": (str, type(None)),
    "gold_spans": list,
    "key_facts": list,
    "expected_verdict": (str, type(None)),
    "answerable": bool,
}
ACTION_FIELDS = {
    "id": str,
    "description": str,
    "collectivite": (str, type(None)),
    "axis": (int, type(None)),
    "gold_spans": list,
    "verdict": str,
}

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"})
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009]+")


def normalise(text: str) -> str:
    """Case, accents, quotes, markup and spacing folded so that '1 000 €' == '1000€', '70 %' == '70%'."""
    text = re.sub(r"<[^>]+>", "", text)  # <sup>er</sup>, <b>, <i>… markup of the converted files
    text = text.replace("*", "").replace("œ", "oe").replace("Œ", "oe").translate(_QUOTES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _SPACES.sub(" ", text).strip()
    text = re.sub(r"(?<=\d) (?=\d)", "", text)  # thousands separators
    text = re.sub(r"(?<=\d) (?=[%€])", "", text)  # '50 %' -> '50%'
    return text


def load_documents(corpus_dir: Path) -> tuple[dict[str, list[str]], list[str]]:
    """doc_id -> file lines (line N is lines[N-1]), split like assistant.corpus does."""
    warnings: list[str] = []
    manifest = yaml.safe_load((corpus_dir / "manifest.yaml").read_text(encoding="utf-8"))
    documents: dict[str, list[str]] = {}
    for entry in manifest["documents"]:
        raw = (corpus_dir / entry["file"]).read_bytes()
        if hashlib.sha256(raw).hexdigest() != entry.get("sha256"):
            warnings.append(f"{entry['doc_id']}: sha256 differs from the manifest")
        lines = raw.decode("utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        documents[entry["doc_id"]] = lines
    return documents, warnings


def read_jsonl(path: Path, errors: list[str]) -> list[tuple[int, dict]]:
    rows: list[tuple[int, dict]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{number}: not valid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{path.name}:{number}: not a JSON object")
            continue
        rows.append((number, obj))
    return rows


def check_fields(where: str, obj: dict, fields: dict, errors: list[str]) -> bool:
    ok = True
    for name, kind in fields.items():
        if name not in obj:
            errors.append(f"{where}: missing field {name!r}")
            ok = False
        elif not isinstance(obj[name], kind) or (kind is int and isinstance(obj[name], bool)):
            errors.append(f"{where}: field {name!r} has type {type(obj[name]).__name__}")
            ok = False
    extra = set(obj) - set(fields)
    if extra:
        errors.append(f"{where}: unknown field(s) {sorted(extra)}")
    return ok


def check_spans(where: str, spans: list, documents: dict[str, list[str]], errors: list[str],
                warnings: list[str]) -> list[tuple[str, int, int]]:
    valid: list[tuple[str, int, int]] = []
    for span in spans:
        if not isinstance(span, dict) or set(span) != {"doc_id", "line_start", "line_end"}:
            errors.append(f"{where}: span {span!r} must have exactly doc_id, line_start, line_end")
            continue
        doc_id, start, end = span["doc_id"], span["line_start"], span["line_end"]
        if doc_id not in documents:
            errors.append(f"{where}: span doc_id {doc_id!r} is not in the manifest")
            continue
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            errors.append(f"{where}: span lines must be integers ({span!r})")
            continue
        size = len(documents[doc_id])
        if not 1 <= start <= end <= size:
            errors.append(f"{where}: span {doc_id} {start}-{end} outside 1-{size}")
            continue
        if not "".join(documents[doc_id][start - 1:end]).strip():
            errors.append(f"{where}: span {doc_id} {start}-{end} covers only blank lines")
        if end - start + 1 > LONG_SPAN:
            warnings.append(f"{where}: span {doc_id} {start}-{end} is {end - start + 1} lines long")
        valid.append((doc_id, start, end))
    return valid


def span_context(spans: list[tuple[str, int, int]], documents: dict[str, list[str]]) -> list[str]:
    texts = []
    for doc_id, start, end in spans:
        lines = documents[doc_id]
        lo, hi = max(1, start - KEY_FACT_CONTEXT), min(len(lines), end + KEY_FACT_CONTEXT)
        texts.append(normalise(" ".join(lines[lo - 1:hi])))
    return texts


def check_unique_ids(name: str, rows: list[tuple[int, dict]], pattern: str, errors: list[str]) -> None:
    counts = Counter(obj.get("id") for _, obj in rows)
    for ident, count in counts.items():
        if count > 1:
            errors.append(f"{name}: id {ident!r} used {count} times")
    for number, obj in rows:
        if isinstance(obj.get("id"), str) and not re.fullmatch(pattern, obj["id"]):
            errors.append(f"{name}:{number}: id {obj['id']!r} does not match {pattern}")


def check_questions(path: Path, documents, errors, warnings) -> list[dict]:
    rows = read_jsonl(path, errors)
    check_unique_ids(path.name, rows, r"q\d{3,}", errors)
    for number, q in rows:
        where = f"{path.name}:{number} ({q.get('id')})"
        if not check_fields(where, q, QUESTION_FIELDS, errors):
            continue
        if not q["question"].strip():
            errors.append(f"{where}: empty question")
        if q["category"] not in CATEGORIES:
            errors.append(f"{where}: category {q['category']!r} not in {sorted(CATEGORIES)}")
        if q["doc_id"] is not None and q["doc_id"] not in documents:
            errors.append(f"{where}: doc_id {q['doc_id']!r} is not in the manifest")
        if q["expected_verdict"] is not None and q["expected_verdict"] not in VERDICTS:
            errors.append(f"{where}: expected_verdict {q['expected_verdict']!r} not in {sorted(VERDICTS)}")
        if not all(isinstance(f, str) and f.strip() for f in q["key_facts"]):
            errors.append(f"{where}: key_facts must be non-empty strings")
            continue
        spans = check_spans(where, q["gold_spans"], documents, errors, warnings)
        if not q["answerable"]:
            if q["gold_spans"] or q["key_facts"] or q["expected_verdict"] is not None or q["doc_id"] is not None:
                errors.append(f"{where}: unanswerable question must have no spans, key facts, verdict or doc_id")
            continue
        if not q["gold_spans"]:
            errors.append(f"{where}: answerable question without gold span")
        if not 1 <= len(q["key_facts"]) <= 4:
            errors.append(f"{where}: answerable question needs 1-4 key facts, has {len(q['key_facts'])}")
        if (q["category"] == "eligibility") != (q["expected_verdict"] is not None):
            errors.append(f"{where}: expected_verdict is set exactly for eligibility questions")
        if q["doc_id"] is None or q["doc_id"] not in {d for d, _, _ in spans}:
            errors.append(f"{where}: doc_id {q['doc_id']!r} is not the document of any gold span")
        contexts = span_context(spans, documents)
        for fact in q["key_facts"]:
            if not any(normalise(fact) in text for text in contexts):
                errors.append(f"{where}: key fact {fact!r} not found in its gold spans (±{KEY_FACT_CONTEXT} lines)")
    return [q for _, q in rows]


def check_actions(path: Path, documents, errors, warnings) -> list[dict]:
    rows = read_jsonl(path, errors)
    check_unique_ids(path.name, rows, r"a\d{3,}", errors)
    for number, a in rows:
        where = f"{path.name}:{number} ({a.get('id')})"
        if not check_fields(where, a, ACTION_FIELDS, errors):
            continue
        if not a["description"].strip():
            errors.append(f"{where}: empty description")
        if a["collectivite"] not in COLLECTIVITES:
            errors.append(f"{where}: collectivite {a['collectivite']!r} not in metropole|departement|null")
        if a["verdict"] not in VERDICTS:
            errors.append(f"{where}: verdict {a['verdict']!r} not in {sorted(VERDICTS)}")
        if a["axis"] is not None and a["axis"] not in AXIS_SPANS:
            errors.append(f"{where}: axis {a['axis']!r} not in 1-4")
        spans = check_spans(where, a["gold_spans"], documents, errors, warnings)
        if any(doc_id != INSTRUCTION_ID for doc_id, _, _ in spans):
            errors.append(f"{where}: action spans must cite the référentiels of {INSTRUCTION_ID}")
        if a["verdict"] == "not_in_referential":
            if a["gold_spans"] or a["axis"] is not None:
                errors.append(f"{where}: a not_in_referential action has no axis and no span")
            continue
        if not spans:
            errors.append(f"{where}: verdict {a['verdict']} needs at least one gold span")
            continue
        in_annex5 = all(ANNEX5[0] <= s and e <= ANNEX5[1] for _, s, e in spans)
        if a["axis"] is None:
            if not in_annex5:
                errors.append(f"{where}: axis is null but spans are not all in Annexe 5 {ANNEX5}")
        else:
            lo, hi = AXIS_SPANS[a["axis"]]
            if not in_annex5 and not any(lo <= s and e <= hi for _, s, e in spans):
                errors.append(f"{where}: no span inside the référentiel of axis {a['axis']} ({lo}-{hi})")
    return [a for _, a in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval/datasets/dev_questions.jsonl")
    parser.add_argument("--actions", type=Path, default=ROOT / "eval/datasets/dev_actions.jsonl")
    args = parser.parse_args(argv)

    errors: list[str] = []
    documents, warnings = load_documents(args.corpus)
    questions = check_questions(args.questions, documents, errors, warnings)
    actions = check_actions(args.actions, documents, errors, warnings)

    answerable = [q for q in questions if q.get("answerable") is True]
    print(f"questions: {len(questions)} ({len(answerable)} answerable, {len(questions) - len(answerable)} out of scope)")
    print("  by category:", dict(sorted(Counter(q.get("category") for q in questions).items())))
    print("  by document:", dict(sorted(Counter(str(q.get("doc_id")) for q in answerable).items())))
    print("  eligibility verdicts:", dict(sorted(Counter(
        q.get("expected_verdict") for q in questions if q.get("expected_verdict")).items())))
    print(f"actions: {len(actions)}")
    print("  by axis:", dict(sorted(Counter(str(a.get("axis")) for a in actions).items())))
    print("  by verdict:", dict(sorted(Counter(a.get("verdict") for a in actions).items())))
    for warning in warnings:
        print(f"warning: {warning}")
    for error in errors:
        print(f"VIOLATION: {error}")
    print("OK" if not errors else f"{len(errors)} violation(s)")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
