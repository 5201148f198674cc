"""`pacte eval compare RUN_A RUN_B`: what improved and what regressed, metric by metric and item by item.

A run is a directory scored by `pacte eval score` or `pacte eval run` (summary.json and
per_question.jsonl). An item is "improved" when at least one of its per-item values went up and none
went down, "regressed" in the opposite case, "mixed" when both happened. Latency is compared in
aggregate only: per-item timings are too noisy to call a question better or worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidInput

from .scoring import read_per_question, read_summary

EPS = 1e-9


@dataclass
class ItemChange:
    id: str
    status: str  # improved | regressed | mixed | unchanged | only_a | only_b
    changes: list[tuple[str, float | None, float | None]] = field(default_factory=list)  # (metric, a, b)


@dataclass
class Comparison:
    dataset: str
    system_a: str | None
    system_b: str | None
    metrics: list[tuple[str, str, str, float | None, float | None, bool]]  # name, fr, en, a, b, higher_is_better
    items: list[ItemChange]

    def by_status(self, status: str) -> list[ItemChange]:
        return [c for c in self.items if c.status == status]

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "system_a": self.system_a,
            "system_b": self.system_b,
            "metrics": [
                {"name": n, "label_fr": fr, "label_en": en, "a": a, "b": b,
                 "delta": (b - a) if a is not None and b is not None else None}
                for n, fr, en, a, b, _h in self.metrics
            ],
            "items": [
                {"id": c.id, "status": c.status,
                 "changes": [{"metric": n, "a": a, "b": b} for n, a, b in c.changes]}
                for c in self.items
            ],
            "counts": {s: len(self.by_status(s)) for s in ("improved", "regressed", "mixed", "unchanged", "only_a", "only_b")},
        }


def _changed(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > EPS


def compare_items(items_a: list[dict], items_b: list[dict]) -> list[ItemChange]:
    """Per-item comparison of two lists of per_question.jsonl records."""
    by_b = {it["id"]: it for it in items_b}
    ids_a = {it["id"] for it in items_a}
    out: list[ItemChange] = []
    for ia in items_a:
        ib = by_b.get(ia["id"])
        if ib is None:
            out.append(ItemChange(ia["id"], "only_a"))
            continue
        changes, up, down = [], False, False
        for name in sorted(set(ia["values"]) | set(ib["values"])):
            a, b = ia["values"].get(name), ib["values"].get(name)
            if not _changed(a, b):
                continue
            changes.append((name, a, b))
            # A value that appears (None -> x) or disappears is reported but does not decide the status.
            if a is not None and b is not None:
                up, down = up or b > a, down or b < a
        status = "mixed" if up and down else "improved" if up else "regressed" if down else "unchanged"
        out.append(ItemChange(ia["id"], status, changes))
    out.extend(ItemChange(ib["id"], "only_b") for ib in items_b if ib["id"] not in ids_a)
    return out


def compare_runs(run_a: Path, run_b: Path) -> Comparison:
    sa, sb = read_summary(run_a), read_summary(run_b)
    if sa["dataset"] != sb["dataset"]:
        raise InvalidInput(
            f"Les deux évaluations portent sur des jeux différents ({sa['dataset']} et {sb['dataset']}) : "
            "comparaison impossible."
        )
    metrics = []
    for name, mv in sa["metrics"].items():
        b = sb["metrics"].get(name, {}).get("value")
        metrics.append((name, mv["label_fr"], mv["label_en"], mv["value"], b, mv.get("higher_is_better", True)))
    items = compare_items(read_per_question(run_a), read_per_question(run_b))
    return Comparison(sa["dataset"], sa.get("system"), sb.get("system"), metrics, items)


def _num(v: float | None, latency: bool) -> str:
    if v is None:
        return "—"
    return f"{v:.0f} ms" if latency else f"{v:.3f}"


def format_comparison(c: Comparison, label_a: str, label_b: str) -> str:
    """A plain-text French/English report of a comparison."""
    lines = [f"Comparaison / comparison ({c.dataset}) : A = {label_a} ({c.system_a or '?'}), B = {label_b} ({c.system_b or '?'})", ""]
    width = max(len(f"{fr} / {en}") for _n, fr, en, *_ in c.metrics) + 2
    lines.append(f"{'Métrique / metric':<{width}}{'A':>10}{'B':>10}{'Δ':>10}")
    for name, fr, en, a, b, higher in c.metrics:
        lat = name.startswith("latency")
        delta = "—"
        mark = ""
        if a is not None and b is not None:
            d = b - a
            delta = f"{d:+.0f}" if lat else f"{d:+.3f}"
            # Sub-millisecond latency changes are noise, not an improvement.
            if abs(d) > (0.5 if lat else EPS):
                mark = "  mieux / better" if (d > 0) == higher else "  moins bien / worse"
        lines.append(f"{fr + ' / ' + en:<{width}}{_num(a, lat):>10}{_num(b, lat):>10}{delta:>10}{mark}")
    counts = c.to_dict()["counts"]
    lines += ["", (f"Par élément / per item : {counts['improved']} améliorés / improved, {counts['regressed']} dégradés / "
                   f"regressed, {counts['mixed']} mixtes / mixed, {counts['unchanged']} inchangés / unchanged")]
    if counts["only_a"] or counts["only_b"]:
        lines.append(f"Seulement dans A / only in A : {counts['only_a']} ; seulement dans B / only in B : {counts['only_b']}")
    for status, title in (("regressed", "Dégradés / regressed"), ("improved", "Améliorés / improved"), ("mixed", "Mixtes / mixed")):
        group = c.by_status(status)
        if not group:
            continue
        lines += ["", f"{title} :"]
        for ch in group:
            desc = " ; ".join(f"{n} {_num(a, False)} → {_num(b, False)}" for n, a, b in ch.changes)
            lines.append(f"  {ch.id} : {desc}")
    return "\n".join(lines)
