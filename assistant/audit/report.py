"""`pacte audit`: extract, check the rules of `pacte check`, report the consistency findings.

    from assistant.audit.report import audit
    report = audit("pas-de-calais-contrat-2024")       # doc id, path, or (bytes, filename)
    report.to_dict()   # {"doc_id", "rules": [...], "findings": [...], "contracts": [...], "notes": [...]}

`rules` are the results of `pacte check` on each extracted contract (same objects as its JSON);
`findings` are the consistency findings (assistant/audit/consistency.py, axes.py), each citing the
document's lines with verbatim quotes.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field

from ..config import Settings
from ..errors import InvalidInput
from ..rules.contract import validate_contract
from ..rules.engine import report as rules_report
from ..rules.engine import run_rules
from .axes import AxisChecker
from .consistency import Finding, Tolerances, check_consistency, load_tolerances
from .extract import Extraction, extract

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_LABELS = {"error": "ERREUR", "warning": "à vérifier", "info": "information"}


@dataclass
class ContractAudit:
    collectivite: str | None
    annee: int | None
    mapping: dict
    sources: dict
    notes: list[str]
    rules: list[dict] | None  # None: the extracted contract is incomplete, the rules could not run
    rules_ok: bool | None
    invalid: str | None = None


@dataclass
class AuditReport:
    doc_id: str
    title: str
    in_corpus: bool
    contracts: list[ContractAudit]
    findings: list[Finding]
    notes: list[str]
    timings: dict = field(default_factory=dict)
    eligibility: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        several = len(self.contracts) > 1
        rules = []
        for c in self.contracts:
            for r in c.rules or []:
                rules.append({**r, "collectivite": c.collectivite} if several else r)
        counts = Counter(f.severity for f in self.findings)
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "in_corpus": self.in_corpus,
            "rules": rules,
            "findings": [f.to_dict() for f in self.findings],
            "summary": {
                "actions": sum(len(c.mapping.get("actions", [])) for c in self.contracts),
                "findings": {s: counts.get(s, 0) for s in SEVERITY_ORDER},
                "violations": sum(1 for r in rules if r.get("verdict") == "violation"),
            },
            "contracts": [
                {
                    "collectivite": c.collectivite,
                    "annee": c.annee,
                    "contract": c.mapping,
                    "sources": c.sources,
                    "notes": c.notes,
                    "rules_ok": c.rules_ok,
                    "invalid": c.invalid,
                }
                for c in self.contracts
            ],
            "notes": self.notes,
        }


def audit(source, settings: Settings | None = None, *, eligibility: bool = True, assistant=None,
          tolerances: Tolerances | None = None, axis_checker: AxisChecker | None = None) -> AuditReport:
    """Audit a document. `eligibility=False` skips the axis check (no index needed); `assistant` or
    `axis_checker` reuse an already loaded eligibility engine (the HTTP API)."""
    settings = settings or Settings.from_env()
    tolerances = tolerances or load_tolerances()
    t0 = time.perf_counter()
    extraction = source if isinstance(source, Extraction) else extract(source, settings)
    t1 = time.perf_counter()
    contracts = [_rules(c) for c in extraction.contracts]
    t2 = time.perf_counter()
    findings = check_consistency(extraction, tolerances)
    t3 = time.perf_counter()
    notes = list(extraction.notes)
    stats = {}
    if eligibility and extraction.contracts:
        checker = axis_checker or AxisChecker(settings, assistant=assistant, tolerances=tolerances)
        findings += checker.findings(extraction)
        notes += checker.notes
        stats = {"lookups": checker.lookups, "cached": checker.cached}
    elif extraction.contracts:
        notes.append("axes non vérifiés par le référentiel (vérification désactivée)")
    t4 = time.perf_counter()
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.citations[0].line_start if f.citations else 0))
    if not extraction.contracts:
        raise InvalidInput(
            f"{extraction.doc.doc_id} : aucun contrat lisible (ni tableau financier par action, ni fiche action "
            "numérotée « Action 1.1 » avec un budget) — est-ce bien un contrat local des solidarités ?"
        )
    return AuditReport(
        doc_id=extraction.doc.doc_id,
        title=extraction.doc.title,
        in_corpus=extraction.doc.in_corpus,
        contracts=contracts,
        findings=findings,
        notes=notes,
        timings={"extract_ms": round((t1 - t0) * 1000), "rules_ms": round((t2 - t1) * 1000),
                 "consistency_ms": round((t3 - t2) * 1000), "axes_ms": round((t4 - t3) * 1000)},
        eligibility=stats,
    )


def _rules(contract) -> ContractAudit:
    mapping = contract.mapping()
    notes = list(contract.notes)
    for a in contract.actions:
        notes += [f"action {a.id} : {n}" for n in a.notes]
    try:
        facts = validate_contract(mapping).facts()
    except InvalidInput as exc:
        return ContractAudit(contract.nom.value, contract.annee.value, mapping, contract.sources(), notes, None, None,
                             invalid=f"contrat extrait incomplet, règles non vérifiées : {exc.message}")
    result = rules_report(run_rules(facts))
    return ContractAudit(contract.nom.value, contract.annee.value, mapping, contract.sources(), notes,
                         result["results"], result["ok"])


# ---------------------------------------------------------------------------------------------
# Text rendering


_DIGIT_GROUP = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")


def render(report: AuditReport, width: int = 100) -> str:
    from ..rules.cli import VERDICT_LABELS
    from ..rules.explain import wrap_fr as _wrap

    def wrap_fr(text: str, width: int) -> list[str]:
        # « 1 236 000 € » is never cut between its digit groups.
        return _wrap(_DIGIT_GROUP.sub("\u00a0", text), width=width)

    data = report.to_dict()
    lines = [f"Audit de {report.doc_id} — {report.title}"]
    for c in report.contracts:
        n = len(c.mapping.get("actions", []))
        lines.append(f"Contrat : {c.collectivite or '(collectivité non lue)'}, année {c.annee or '?'}, "
                     f"{n} action{'s' if n > 1 else ''}")
    s = data["summary"]["findings"]
    lines.append(f"Constats : {s['error']} erreur(s), {s['warning']} à vérifier, {s['info']} information(s) ; "
                 f"règles : {data['summary']['violations']} violation(s).")
    if report.findings:
        lines.append("")
        lines.append("Constats de cohérence")
        for f in report.findings:
            head = f"[{SEVERITY_LABELS[f.severity]}] {f.kind}" + (f" — action {f.action}" if f.action else "")
            lines.append(head)
            lines.extend("    " + part for part in wrap_fr(f.message, width=width - 4))
            for c in f.citations:
                where = f"l. {c.line_start}" + (f"-{c.line_end}" if c.line_end != c.line_start else "")
                quote = c.quote if len(c.quote) <= 160 else c.quote[:157].rsplit(" ", 1)[0] + " …"
                lines.extend("      " + part for part in wrap_fr(f"→ {c.doc_id}, {where} : « {quote} »", width=width - 6))
    several = len(report.contracts) > 1
    for c in report.contracts:
        shown = [r for r in (c.rules or []) if r["verdict"] != "ok"]
        if not shown:
            continue
        lines.append("")
        lines.append("Règles du cadre financier (pacte check)" + (f" — {c.collectivite}" if several else ""))
        for r in shown:
            cite = r["citation"]
            lines.append(f"[{VERDICT_LABELS[r['verdict']]}] {r['rule']}" + (f" — action {r['action']}" if r["action"] else ""))
            lines.extend("    " + part for part in wrap_fr(r["message"], width=width - 4))
            lines.append(f"      → {cite['doc_id']}, l. {cite['line_start']}-{cite['line_end']}")
    for c in report.contracts:
        if c.invalid:
            lines.append("")
            lines.append(f"Attention : {c.invalid}")
    notes = report.notes + [n for c in report.contracts for n in c.notes]
    if notes:
        lines.append("")
        lines.append("Notes")
        for n in notes:
            lines.extend("  - " + part if i == 0 else "    " + part for i, part in enumerate(wrap_fr(n, width=width - 4)))
    return "\n".join(lines)
