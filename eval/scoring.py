"""The scorer: gold dataset + a system's outputs + the corpus files -> per-item scores and a summary.

It only reads public formats (eval/schemas.py) and the corpus files listed in corpus/manifest.yaml,
never the index, so any assistant that writes the documented JSONL can be scored.

A gold item with no output record is scored as a miss (0 where a value is defined, "did not
abstain", "no verdict"); an output whose id is not in the gold set is listed in `unknown_ids` and
otherwise ignored.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

import os

import yaml
from .errors import InvalidInput

from . import metrics as m
from .schemas import (
    RULE_VERDICTS,
    VERDICTS,
    AnswerRecord,
    ContractCase,
    EligibilityRecord,
    GoldAction,
    GoldQuestion,
    RuleResultsRecord,
)

SUMMARY_FORMAT = "pacte-eval-summary/1"
N_BOOTSTRAP = 1000
SEED = 0
GOLD_EXCERPT_CHARS = 700


@dataclass(frozen=True)
class MetricDef:
    name: str
    fr: str
    en: str
    definition: str  # French: shown in the report, read by users
    per_item: bool = True  # compared question by question in `pacte eval compare`
    higher_is_better: bool = True
    latency: bool = False  # a percentile of latency_ms, not a ratio


def _latency_defs() -> list[MetricDef]:
    return [
        MetricDef("latency_p50_ms", "Latence p50 (ms)", "latency p50 (ms)",
                  "Médiane des latency_ms fournies (interpolation linéaire).",
                  per_item=False, higher_is_better=False, latency=True),
        MetricDef("latency_p95_ms", "Latence p95 (ms)", "latency p95 (ms)",
                  "95e centile des latency_ms fournies (interpolation linéaire).",
                  per_item=False, higher_is_better=False, latency=True),
    ]


COVERAGE = MetricDef(
    "coverage", "Réponses fournies", "answered",
    "Part des éléments du jeu de référence pour lesquels le fichier contient une réponse (id présent, sans "
    "champ « error »).",
)
QUOTE_FIDELITY = MetricDef(
    "quote_fidelity", "Citations verbatim", "quote fidelity",
    "Part des citations (toutes questions confondues) dont la citation, espaces fusionnées, est une sous-chaîne "
    "non vide du texte des lignes citées du fichier du corpus, espaces fusionnées. Document inconnu ou lignes "
    "hors du fichier : non verbatim.",
)

QUESTION_METRICS: list[MetricDef] = [
    COVERAGE,
    MetricDef("recall@1", "Rappel@1", "Recall@1",
              "Part des passages de référence recouverts (même document, au moins une ligne commune) par le 1er "
              "résultat de recherche ; moyenne sur les questions répondables ayant des passages de référence."),
    MetricDef("recall@5", "Rappel@5", "Recall@5", "Idem avec les 5 premiers résultats."),
    MetricDef("recall@10", "Rappel@10", "Recall@10", "Idem avec les 10 premiers résultats."),
    MetricDef("mrr", "MRR@10", "MRR@10",
              "Moyenne de 1/rang du premier résultat pertinent parmi les 10 premiers (0 si aucun)."),
    MetricDef("citation_precision", "Précision des citations (lignes)", "citation span precision",
              "Pour chaque citation : lignes non vides citées qui sont dans un passage de référence / lignes non "
              "vides citées ; moyenne par réponse, puis moyenne sur les questions répondables ayant au moins une "
              "citation."),
    MetricDef("citation_accuracy", "Citations correctes", "citations correct",
              "Part des citations d'une réponse qui recouvrent un passage de référence ; moyenne sur les questions "
              "répondables ayant au moins une citation."),
    MetricDef("citation_recall", "Rappel des citations (lignes)", "citation span recall",
              "Lignes non vides des passages de référence couvertes par au moins une citation / lignes non vides "
              "des passages de référence ; moyenne sur les questions répondables (0 sans réponse ou sans "
              "citation)."),
    QUOTE_FIDELITY,
    MetricDef("key_fact_recall", "Faits clés retrouvés", "key-fact recall",
              "Part des faits clés trouvés dans le texte de la réponse après normalisation (casse, accents, espaces "
              "insécables, apostrophes, « 1 000 € » = « 1000 euros », « 70 % » = « 70 pour cent ») ; moyenne sur "
              "les questions qui ont des faits clés."),
    MetricDef("abstention_precision", "Abstention : précision", "abstention precision",
              "VP / (VP + FP), le positif étant « doit s'abstenir » (answerable = false) ; non défini si le "
              "système ne s'abstient jamais.", per_item=False),
    MetricDef("abstention_recall", "Abstention : rappel", "abstention recall",
              "VP / (VP + FN) ; une réponse manquante compte comme une non-abstention.", per_item=False),
    MetricDef("abstention_f1", "Abstention : F1", "abstention F1", "2·VP / (2·VP + FP + FN).", per_item=False),
    MetricDef("abstention_accuracy", "Abstention correcte", "abstention accuracy",
              "Part des questions où le système s'abstient si et seulement s'il le doit (une réponse manquante est "
              "fausse)."),
    MetricDef("verdict_accuracy", "Verdicts exacts", "verdict accuracy",
              "Part des questions ayant un verdict attendu dont le verdict est exactement celui attendu (une "
              "réponse manquante ou sans verdict est fausse)."),
    *_latency_defs(),
]

ACTION_METRICS: list[MetricDef] = [
    COVERAGE,
    MetricDef("verdict_accuracy", "Verdicts d'éligibilité exacts", "eligibility verdict accuracy",
              "Part des actions ayant un verdict attendu dont le verdict est exactement celui attendu."),
    MetricDef("axis_accuracy", "Axe exact", "axis accuracy",
              "Part des actions ayant un axe attendu dont la première section renvoyée porte cet axe."),
    MetricDef("section_recall@1", "Sections : rappel@1", "section recall@1",
              "Part des passages de référence de l'action recouverts par la première section renvoyée."),
    MetricDef("section_recall@3", "Sections : rappel@3", "section recall@3",
              "Part des passages de référence de l'action recouverts par l'une des 3 premières sections."),
    QUOTE_FIDELITY,
    *_latency_defs(),
]

CONTRACT_METRICS: list[MetricDef] = [
    COVERAGE,
    MetricDef("rule_verdict_accuracy", "Verdicts des règles exacts", "rule-verdict accuracy",
              "Sur les couples (règle, action) attendus non « ok » ou produits en violation/avertissement, part dont "
              "le verdict est identique (absent = ok ; une « info » non attendue n'est pas une erreur ; plusieurs "
              "verdicts d'une règle pour une action : le plus grave)."),
    MetricDef("contract_exact_match", "Contrats entièrement justes", "contracts exactly right",
              "Part des contrats dont tous les verdicts non « ok » sont exactement ceux attendus."),
    *_latency_defs(),
]

METRICS_BY_KIND = {
    "dev_questions": QUESTION_METRICS,
    "dev_actions": ACTION_METRICS,
    "contract_cases": CONTRACT_METRICS,
}

GROUP_LABELS = {
    "eligibility": "éligibilité",
    "indicator": "indicateurs",
    "financial": "financement",
    "procedure": "procédure",
    "other": "autre",
}


@dataclass
class ItemScore:
    id: str
    group: str
    present: bool
    parts: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (numerator, denominator)
    latency_ms: float | None = None
    detail: dict = field(default_factory=dict)

    def value(self, name: str) -> float | None:
        num, den = self.parts.get(name, (0.0, 0.0))
        return m.ratio(num, den)

    def to_dict(self, defs: list[MetricDef]) -> dict:
        values = {d.name: self.value(d.name) for d in defs if d.per_item and not d.latency}
        return {
            "id": self.id,
            "group": self.group,
            "present": self.present,
            "latency_ms": self.latency_ms,
            "values": values,
            "parts": {k: list(v) for k, v in self.parts.items()},
            "detail": self.detail,
        }


def _mean_part(value: float | None) -> tuple[float, float]:
    """A macro-averaged item contributes (value, 1), or nothing when the value is undefined."""
    return (0.0, 0.0) if value is None else (float(value), 1.0)


# --- corpus access ------------------------------------------------------------------------------


class CorpusText:
    """The corpus files, read through corpus/manifest.yaml (never through the index)."""

    def __init__(self, lines_by_doc: dict[str, tuple[str, ...]]):
        self.lines = lines_by_doc

    @classmethod
    def load(cls, corpus_dir: Path) -> "CorpusText":
        """The lines of every document of `corpus_dir/manifest.yaml`, read here (the scorer shares no code with the
        system it scores): split on "\n" only, as citations count them."""
        corpus_dir = Path(corpus_dir)
        try:
            manifest = yaml.safe_load((corpus_dir / "manifest.yaml").read_text(encoding="utf-8"))
            entries = manifest["documents"] if isinstance(manifest, dict) else manifest
            lines_by_doc = {}
            for entry in entries:
                text = (corpus_dir / entry["file"]).read_text(encoding="utf-8")
                lines = text.split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                lines_by_doc[entry["doc_id"]] = lines
        except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise InvalidInput(f"Corpus illisible dans {corpus_dir} : {exc}") from None
        return cls(lines_by_doc)

    def span_text(self, doc_id: str, start: int, end: int) -> str | None:
        """Text of lines start..end, or None when the document or the lines do not exist."""
        lines = self.lines.get(doc_id)
        if lines is None or start < 1 or end < start or end > len(lines):
            return None
        return "\n".join(lines[start - 1 : end])

    def counts(self, doc_id: str, line: int) -> bool:
        """Blank lines carry no content: they are not counted in line precision and recall.
        Lines of an unknown document all count (they can never be inside a gold span)."""
        lines = self.lines.get(doc_id)
        if lines is None:
            return True
        return 1 <= line <= len(lines) and bool(lines[line - 1].strip())

    def excerpt(self, doc_id: str, start: int, end: int, limit: int = GOLD_EXCERPT_CHARS) -> str:
        text = self.span_text(doc_id, start, min(end, start + 40)) or ""
        return text if len(text) <= limit else text[:limit].rstrip() + " …"

    def check_spans(self, spans, where: str) -> None:
        for i, s in enumerate(spans):
            lines = self.lines.get(s.doc_id)
            if lines is None:
                raise InvalidInput(f"{where}, gold_spans[{i}] : document « {s.doc_id} » absent du corpus.")
            if s.line_end > len(lines):
                raise InvalidInput(
                    f"{where}, gold_spans[{i}] : ligne {s.line_end} au-delà de la fin de {s.doc_id} ({len(lines)} lignes)."
                )


def _spans(objs) -> list[m.SpanT]:
    return [(o.doc_id, o.line_start, o.line_end) for o in objs]


# --- per-item scoring ---------------------------------------------------------------------------


def _citations_detail(citations, gold: list[m.SpanT], corpus: CorpusText) -> tuple[list[dict], int]:
    out, faithful = [], 0
    for c in citations:
        ok = m.quote_is_verbatim(c.quote, corpus.span_text(c.doc_id, c.line_start, c.line_end))
        faithful += ok
        out.append({
            "doc_id": c.doc_id,
            "line_start": c.line_start,
            "line_end": c.line_end,
            "quote": c.quote,
            "verbatim": ok,
            "relevant": m.is_relevant((c.doc_id, c.line_start, c.line_end), gold),
        })
    return out, faithful


def _gold_detail(spans, corpus: CorpusText) -> list[dict]:
    return [
        {"doc_id": s.doc_id, "line_start": s.line_start, "line_end": s.line_end,
         "text": corpus.excerpt(s.doc_id, s.line_start, s.line_end)}
        for s in spans
    ]


def score_question(q: GoldQuestion, a: AnswerRecord | None, corpus: CorpusText, file_has_hits: bool) -> ItemScore:
    gold = _spans(q.gold_spans)
    item = ItemScore(id=q.id, group=q.category, present=a is not None)
    item.latency_ms = a.latency_ms if a is not None else None
    p = item.parts
    p["coverage"] = (float(a is not None and a.error is None), 1.0)

    hits = _spans(a.hits or []) if a is not None else []
    cited = _spans(a.citations) if a is not None else []
    scored_spans = q.answerable and bool(gold)

    # Retrieval: only for answerable questions with gold spans, and only if the system exposes hits.
    if scored_spans and file_has_hits:
        for k in (1, 5, 10):
            p[f"recall@{k}"] = _mean_part(m.recall_at_k(hits, gold, k))
        p["mrr"] = _mean_part(m.reciprocal_rank(hits, gold, 10))

    if scored_spans:
        p["citation_precision"] = _mean_part(m.citation_precision(cited, gold, corpus.counts))
        p["citation_accuracy"] = _mean_part(m.citation_accuracy(cited, gold))
        p["citation_recall"] = _mean_part(m.citation_recall(cited, gold, corpus.counts))

    citations, faithful = _citations_detail(a.citations if a is not None else [], gold, corpus)
    p["quote_fidelity"] = (float(faithful), float(len(citations)))

    answer = a.answer if a is not None else ""
    found = m.key_facts_found(answer, q.key_facts)
    if q.key_facts:
        p["key_fact_recall"] = (sum(found) / len(found), 1.0)

    abstained = bool(a is not None and a.abstained)
    tp, fp, fn, _tn = m.abstention_counts(not q.answerable, abstained)
    p["abstention_precision"] = (tp, tp + fp)
    p["abstention_recall"] = (tp, tp + fn)
    p["abstention_f1"] = (2 * tp, 2 * tp + fp + fn)
    # A missing answer counts as "did not abstain" in P/R/F1 but is never a correct decision.
    p["abstention_accuracy"] = (float(a is not None and abstained == (not q.answerable)), 1.0)

    predicted_verdict = a.verdict if a is not None else None
    if q.expected_verdict is not None:
        p["verdict_accuracy"] = (float(predicted_verdict == q.expected_verdict), 1.0)

    first_rank = None
    for rank, h in enumerate(hits, start=1):
        if m.is_relevant(h, gold):
            first_rank = rank
            break
    item.detail = {
        "question": q.question,
        "answer": answer,
        "answerable": q.answerable,
        "abstained": abstained,
        "expected_verdict": q.expected_verdict,
        "verdict": predicted_verdict,
        "citations": citations,
        "gold_spans": _gold_detail(q.gold_spans, corpus),
        "key_facts": [{"fact": f, "found": ok} for f, ok in zip(q.key_facts, found)],
        "first_relevant_rank": first_rank,
        "n_hits": len(hits),
        "error": a.error if a is not None else None,
    }
    return item


def _axis_group(axis: int | None) -> str:
    return f"axe {axis}" if axis else "hors axe"


def score_action(g: GoldAction, a: EligibilityRecord | None, corpus: CorpusText) -> ItemScore:
    gold = _spans(g.gold_spans)
    item = ItemScore(id=g.id, group=_axis_group(g.axis), present=a is not None)
    item.latency_ms = a.latency_ms if a is not None else None
    p = item.parts
    p["coverage"] = (float(a is not None and a.error is None), 1.0)
    sections = list(a.sections) if a is not None else []
    predicted_verdict = a.verdict if a is not None else None
    if a is not None and "axis" in a.model_fields_set:
        predicted_axis = a.axis
    else:
        predicted_axis = sections[0].axis if sections else None
    if g.verdict is not None:
        p["verdict_accuracy"] = (float(predicted_verdict == g.verdict), 1.0)
    if g.axis is not None:
        p["axis_accuracy"] = (float(predicted_axis == g.axis), 1.0)
    if gold:
        ranked = _spans(sections)
        p["section_recall@1"] = _mean_part(m.recall_at_k(ranked, gold, 1))
        p["section_recall@3"] = _mean_part(m.recall_at_k(ranked, gold, 3))
    citations, faithful = _citations_detail(a.citations if a is not None else [], gold, corpus)
    p["quote_fidelity"] = (float(faithful), float(len(citations)))
    item.detail = {
        "question": g.description,
        "collectivite": g.collectivite,
        "expected_axis": g.axis,
        "axis": predicted_axis,
        "expected_verdict": g.verdict,
        "verdict": predicted_verdict,
        "sections": [
            {"axis": s.axis, "doc_id": s.doc_id, "line_start": s.line_start, "line_end": s.line_end,
             "relevant": m.is_relevant((s.doc_id, s.line_start, s.line_end), gold),
             "section_path": s.section_path if isinstance(s.section_path, str) else " > ".join(s.section_path or [])}
            for s in sections[:5]
        ],
        "conditions": [c.get("text", "") for c in (a.conditions if a is not None else []) if isinstance(c, dict)][:10],
        "citations": citations,
        "gold_spans": _gold_detail(g.gold_spans, corpus),
        "error": a.error if a is not None else None,
    }
    return item


def score_contract(c: ContractCase, r: RuleResultsRecord | None) -> ItemScore:
    item = ItemScore(id=c.id, group="contrat", present=r is not None)
    item.latency_ms = r.latency_ms if r is not None else None
    p = item.parts
    p["coverage"] = (float(r is not None and r.error is None), 1.0)
    expected = [(e.rule, e.action, e.verdict) for e in c.expected]
    predicted = [(x.rule, x.action, x.verdict) for x in r.results] if r is not None else []
    pairs = m.rule_verdict_pairs(expected, predicted)
    correct = sum(1 for _k, g, pr in pairs if g == pr)
    p["rule_verdict_accuracy"] = (float(correct), float(len(pairs)))
    # A missing or failed output is never "exactly right", even for a contract expected to be clean.
    p["contract_exact_match"] = (float(r is not None and r.error is None and correct == len(pairs)), 1.0)
    item.detail = {
        "question": c.file,
        "pairs": [{"rule": k[0], "action": k[1], "expected": g, "verdict": pr} for k, g, pr in pairs],
        "error": r.error if r is not None else None,
    }
    return item


# --- the whole dataset --------------------------------------------------------------------------


@dataclass
class ScoreResult:
    kind: str
    system: str | None
    defs: list[MetricDef]
    items: list[ItemScore]
    unknown_ids: list[str]
    confusion: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def missing_ids(self) -> list[str]:
        return [it.id for it in self.items if not it.present]

    def aggregate(self, items: list[ItemScore] | None = None) -> dict[str, float | None]:
        items = self.items if items is None else items
        out: dict[str, float | None] = {}
        latencies = [it.latency_ms for it in items if it.latency_ms is not None]
        for d in self.defs:
            if d.latency:
                out[d.name] = m.percentile(latencies, 50 if d.name == "latency_p50_ms" else 95)
            else:
                num = sum(it.parts.get(d.name, (0, 0))[0] for it in items)
                den = sum(it.parts.get(d.name, (0, 0))[1] for it in items)
                out[d.name] = m.ratio(num, den)
        return out

    def counts(self, items: list[ItemScore] | None = None) -> dict[str, int]:
        """How many items each metric is computed on (for latency: how many latencies)."""
        items = self.items if items is None else items
        out = {}
        for d in self.defs:
            if d.latency:
                out[d.name] = sum(1 for it in items if it.latency_ms is not None)
            else:
                out[d.name] = sum(1 for it in items if it.parts.get(d.name, (0, 0))[1] > 0)
        return out

    def summary(self, n_boot: int = N_BOOTSTRAP, seed: int = SEED) -> dict:
        values, counts = self.aggregate(), self.counts()
        latencies = [it.latency_ms for it in self.items if it.latency_ms is not None]
        metrics = {}
        for d in self.defs:
            if d.latency:
                ci = m.bootstrap_percentile_ci(latencies, 50 if d.name == "latency_p50_ms" else 95, n_boot, seed)
            else:
                parts = [it.parts.get(d.name, (0.0, 0.0)) for it in self.items]
                ci = m.bootstrap_ratio_ci([x[0] for x in parts], [x[1] for x in parts], n_boot, seed)
            metrics[d.name] = {
                "value": values[d.name], "ci95": list(ci), "n": counts[d.name],
                "label_fr": d.fr, "label_en": d.en, "higher_is_better": d.higher_is_better,
            }
        groups = sorted({it.group for it in self.items}, key=_group_order)
        by_group = {}
        for g in groups:
            sub = [it for it in self.items if it.group == g]
            by_group[g] = {"n": len(sub), "label": GROUP_LABELS.get(g, g), "metrics": self.aggregate(sub),
                           "counts": self.counts(sub)}
        return {
            "format": SUMMARY_FORMAT,
            "dataset": self.kind,
            "system": self.system,
            "n_items": len(self.items),
            "n_answered": sum(1 for it in self.items if it.present),
            "missing_ids": self.missing_ids,
            "unknown_ids": self.unknown_ids,
            "metrics": metrics,
            "by_category": by_group,
            "confusion": self.confusion,
            "latencies_ms": latencies,
            "definitions": {d.name: d.definition for d in self.defs},
            "bootstrap": {"resamples": n_boot, "seed": seed, "level": 0.95},
            **self.extra,
        }


def _group_order(g: str):
    order = list(GROUP_LABELS) + [f"axe {i}" for i in range(1, 5)] + ["hors axe", "contrat"]
    return (order.index(g) if g in order else len(order), g)


def score_records(
    kind: str, gold: list[BaseModel], outputs: list[BaseModel], corpus: CorpusText, system: str | None = None
) -> ScoreResult:
    """Score validated outputs against validated gold records of one dataset kind."""
    by_id = {o.id: o for o in outputs}
    gold_ids = {g.id for g in gold}
    unknown = [o.id for o in outputs if o.id not in gold_ids]
    defs = METRICS_BY_KIND[kind]
    items: list[ItemScore] = []
    confusion = None
    extra: dict = {}
    if kind == "dev_questions":
        for g in gold:
            corpus.check_spans(g.gold_spans, f"Jeu de données, question « {g.id} »")
        file_has_hits = any(o.hits is not None for o in outputs)
        items = [score_question(g, by_id.get(g.id), corpus, file_has_hits) for g in gold]
        confusion = m.confusion_matrix(
            ((g.expected_verdict, by_id[g.id].verdict if g.id in by_id else None) for g in gold if g.expected_verdict),
            VERDICTS,
        )
        extra["has_hits"] = file_has_hits
    elif kind == "dev_actions":
        for g in gold:
            corpus.check_spans(g.gold_spans, f"Jeu de données, action « {g.id} »")
        items = [score_action(g, by_id.get(g.id), corpus) for g in gold]
        confusion = m.confusion_matrix(
            ((g.verdict, by_id[g.id].verdict if g.id in by_id else None) for g in gold if g.verdict), VERDICTS
        )
    elif kind == "contract_cases":
        items = [score_contract(g, by_id.get(g.id)) for g in gold]
        pairs = [(p["expected"], p["verdict"]) for it in items for p in it.detail["pairs"]]
        confusion = m.confusion_matrix(pairs, RULE_VERDICTS)
        per_rule: dict[str, Counter] = defaultdict(Counter)
        for it in items:
            for p in it.detail["pairs"]:
                per_rule[p["rule"]]["n"] += 1
                per_rule[p["rule"]]["correct"] += p["expected"] == p["verdict"]
        extra["by_rule"] = {r: {"n": c["n"], "accuracy": c["correct"] / c["n"]} for r, c in sorted(per_rule.items())}
    else:  # pragma: no cover - kinds come from schemas.DATASETS
        raise InvalidInput(f"Jeu de données inconnu : {kind}")
    return ScoreResult(kind, system, defs, items, unknown, confusion, extra)


# --- files --------------------------------------------------------------------------------------


def write_scores(result: ScoreResult, out_dir: Path, n_boot: int = N_BOOTSTRAP, seed: int = SEED) -> dict:
    """Write summary.json and per_question.jsonl into out_dir; return the summary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = result.summary(n_boot, seed)
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with (out_dir / "per_question.jsonl").open("w", encoding="utf-8") as fh:
        for it in result.items:
            fh.write(json.dumps(it.to_dict(result.defs), ensure_ascii=False) + "\n")
    return summary


def read_per_question(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "per_question.jsonl"
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        raise InvalidInput(f"Pas de scores dans {run_dir} (per_question.jsonl manquant) : lancez `pacte eval score`.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} illisible : {exc.msg}, ligne {exc.lineno}.") from None


def read_summary(run_dir: Path) -> dict:
    path = Path(run_dir) / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"Pas de résumé dans {run_dir} (summary.json manquant) : lancez `pacte eval score`.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} illisible : {exc.msg}, ligne {exc.lineno}.") from None
    if not isinstance(data, dict) or data.get("format") != SUMMARY_FORMAT:
        raise InvalidInput(f"{path} n'est pas un résumé d'évaluation ({SUMMARY_FORMAT}).")
    return data


def default_corpus_dir() -> Path:
    """PACTE_CORPUS_DIR, else the project's corpus/ (beside eval/)."""
    return Path(os.environ.get("PACTE_CORPUS_DIR") or Path(__file__).resolve().parent.parent / "corpus")


def score_file(answers: Path, dataset: str, corpus_dir: Path | None = None, system: str | None = None) -> ScoreResult:
    """Load and validate a gold dataset (name or path) and an outputs file, then score them."""
    from .schemas import load_gold, load_outputs

    kind, gold = load_gold(dataset)
    outputs = load_outputs(Path(answers), kind)
    corpus = CorpusText.load(Path(corpus_dir) if corpus_dir else default_corpus_dir())
    return score_records(kind, gold, outputs, corpus, system)
