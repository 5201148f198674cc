"""Scoring `pacte audit` findings against a gold file (eval/datasets/audit/gold.jsonl).

Reads only the public JSON formats (the `pacte audit --json` report and the gold lines); imports
nothing from `assistant`, like eval/scoring.py.

A gold finding is {"kind", "lines": [...], "action"?}; a reported finding matches it when it has the same
kind, the same action (when the gold names one) and cites every gold line of the audited document
(each line inside one of its citations of that document). Each reported finding matches one gold
finding at most.

    precision = matched reported findings / reported findings      (planted documents)
    recall    = matched gold findings / gold findings               (planted documents)
    clean     = findings reported on the documents without any planted error (target: 0)
    corpus    = the same precision and recall on the corpus's own contract ("corpus": true), whose gold
                lists what a careful reader finds in it

    python -m eval.audit_scoring REPORTS_DIR [--gold eval/datasets/audit/gold.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

GOLD = Path(__file__).resolve().parent / "datasets" / "audit" / "gold.jsonl"


@dataclass
class DocumentScore:
    document: str
    clean: bool
    corpus: bool
    reported: int
    gold: int
    matched: int
    false_positives: list[dict] = field(default_factory=list)
    missed: list[dict] = field(default_factory=list)


def load_gold(path: Path = GOLD) -> list[dict]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        for key in ("document", "clean", "findings"):
            if key not in item:
                raise ValueError(f"{path}:{n}: champ « {key} » manquant")
        out.append(item)
    return out


def doc_id_of(document: str) -> str:
    """The doc_id a report gives a document: its corpus id, or its file name."""
    return Path(document).name


def _cites(finding: dict, doc_id: str, line: int) -> bool:
    return any(c.get("doc_id") == doc_id and c["line_start"] <= line <= c["line_end"] for c in finding.get("citations", []))


def matches(finding: dict, gold: dict, doc_id: str) -> bool:
    if finding.get("kind") != gold["kind"]:
        return False
    if gold.get("action") is not None and finding.get("action") != gold["action"]:
        return False
    return all(_cites(finding, doc_id, line) for line in gold["lines"])


def score_document(item: dict, report: dict) -> DocumentScore:
    doc_id = doc_id_of(item["document"])
    reported = list(report.get("findings", []))
    used: set[int] = set()
    missed = []
    for g in item["findings"]:
        hit = next((k for k, f in enumerate(reported) if k not in used and matches(f, g, doc_id)), None)
        if hit is None:
            missed.append(g)
        else:
            used.add(hit)
    fps = [f for k, f in enumerate(reported) if k not in used]
    return DocumentScore(item["document"], bool(item["clean"]), bool(item.get("corpus")), len(reported),
                         len(item["findings"]), len(used), fps, missed)


def _rates(docs: list[DocumentScore]) -> dict:
    reported = sum(d.reported for d in docs)
    golds = sum(d.gold for d in docs)
    matched = sum(d.matched for d in docs)
    precision = matched / reported if reported else (1.0 if not golds else 0.0)
    recall = matched / golds if golds else 1.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "reported": reported,
        "gold": golds,
        "matched": matched,
    }


def score(gold: list[dict], reports: dict[str, dict]) -> dict:
    """reports: document (as in the gold) -> `pacte audit --json` report. A missing report counts as
    no finding reported."""
    docs = [score_document(item, reports.get(item["document"], {"findings": []})) for item in gold]
    planted = [d for d in docs if not d.clean and not d.corpus]
    clean = [d for d in docs if d.clean]
    corpus = [d for d in docs if d.corpus]
    return {
        **_rates(planted),
        "planted_documents": len(planted),
        "clean_documents": len(clean),
        "clean_findings": sum(d.reported for d in clean),
        "corpus": _rates(corpus) if corpus else None,
        "documents": [
            {
                "document": d.document,
                "clean": d.clean,
                "corpus": d.corpus,
                "reported": d.reported,
                "gold": d.gold,
                "matched": d.matched,
                "false_positives": [{"kind": f.get("kind"), "message": f.get("message")} for f in d.false_positives],
                "missed": d.missed,
            }
            for d in docs
        ],
    }


def format_score(result: dict) -> str:
    lines = [
        f"Documents avec erreurs plantées : {result['planted_documents']} ; documents conformes : {result['clean_documents']}",
        f"Précision / precision : {result['precision']:.3f} ({result['matched']}/{result['reported']})",
        f"Rappel / recall       : {result['recall']:.3f} ({result['matched']}/{result['gold']})",
        f"Constats sur les documents conformes / findings on clean documents : {result['clean_findings']}",
    ]
    if result["corpus"]:
        c = result["corpus"]
        lines.append(f"Contrat du corpus : précision {c['precision']:.3f} ({c['matched']}/{c['reported']}), "
                     f"rappel {c['recall']:.3f} ({c['matched']}/{c['gold']})")
    for d in result["documents"]:
        flag = "conforme" if d["clean"] else f"{d['matched']}/{d['gold']} trouvés" + (" (corpus)" if d["corpus"] else "")
        lines.append(f"  {d['document']:<55} {d['reported']:>3} constat(s), {flag}")
        for f in d["false_positives"]:
            lines.append(f"      en trop : {f['kind']} — {f['message']}")
        for g in d["missed"]:
            lines.append(f"      manqué  : {g['kind']} l. {g['lines']} — {g.get('why', '')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Précision et rappel des constats de « pacte audit ».")
    parser.add_argument("reports", type=Path, help="dossier des rapports JSON (un fichier DOCUMENT.json par document)")
    parser.add_argument("--gold", type=Path, default=GOLD)
    args = parser.parse_args(argv)
    gold = load_gold(args.gold)
    reports = {}
    for item in gold:
        path = args.reports / f"{doc_id_of(item['document'])}.json"
        if path.exists():
            reports[item["document"]] = json.loads(path.read_text(encoding="utf-8"))
    print(format_score(score(gold, reports)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
