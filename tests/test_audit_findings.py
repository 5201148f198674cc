"""`pacte audit`: consistency findings on the test documents of eval/datasets/audit (planted errors and
clean twins) and on the Pas-de-Calais bundle, checked against the gold file.

These tests run without the index (`eligibility=False`): every finding but the référentiel axis is
deterministic, so each document must give exactly its gold findings. The axis check is tested in
test_audit_axes.py; precision and recall with it are measured by bench/audit.py.
"""

from __future__ import annotations

from dataclasses import replace
import pytest

from assistant.audit.consistency import check_consistency, load_tolerances
from assistant.audit.extract import extract
from assistant.audit.report import audit
from eval.audit_scoring import GOLD, doc_id_of, load_gold, score, score_document

DATASET = GOLD.parent
GOLD_ITEMS = load_gold()


def _source(document: str) -> str:
    path = DATASET / document
    return str(path) if path.exists() else document


def _without_axes(item: dict) -> dict:
    return {**item, "findings": [f for f in item["findings"] if f["kind"] != "axis_mismatch"]}


@pytest.fixture(scope="module")
def reports():
    return {item["document"]: audit(_source(item["document"]), eligibility=False).to_dict() for item in GOLD_ITEMS}


@pytest.mark.parametrize("item", GOLD_ITEMS, ids=[i["document"] for i in GOLD_ITEMS])
def test_each_document_gives_exactly_its_gold_findings(item, reports):
    result = score_document(_without_axes(item), reports[item["document"]])
    assert result.missed == [], result.missed
    assert result.false_positives == [], [f["message"] for f in result.false_positives]


def test_clean_documents_have_no_finding_and_planted_ones_all_theirs(reports):
    result = score([_without_axes(i) for i in GOLD_ITEMS], reports)
    assert result["clean_findings"] == 0
    assert (result["precision"], result["recall"]) == (1.0, 1.0)
    assert result["planted_documents"] == 6 and result["clean_documents"] == 6


def test_every_quote_is_verbatim_in_the_lines_it_cites(reports):
    from assistant.audit.source import read_document

    for item in GOLD_ITEMS:
        doc = read_document(_source(item["document"]))
        for finding in reports[item["document"]]["findings"]:
            assert len(finding["citations"]) >= 1
            for c in finding["citations"]:
                assert c["doc_id"] == doc.doc_id
                text = " ".join(doc.span_text(c["line_start"], c["line_end"]).split())
                assert c["quote"] and c["quote"] in text, (item["document"], c)


def test_findings_carry_the_stated_and_computed_figures(reports):
    report = reports["deliberation-haut-verdon-2024.txt"]
    text_vs_table = next(f for f in report["findings"] if f["kind"] == "amount_mismatch" and f["stated"] == 610_000)
    assert text_vs_table["computed"] == 600_000 and text_vs_table["severity"] == "error"
    assert [c["line_start"] for c in text_vs_table["citations"]] == [31, 428]
    percent = next(f for f in report["findings"] if f["kind"] == "percentage_mismatch")
    assert (percent["stated"], percent["computed"]) == (48.0, 50.0)


def test_the_pas_de_calais_findings_a_careful_reader_makes(reports):
    kinds = {(f["kind"], f["action"]) for f in reports["pas-de-calais-contrat-2024"]["findings"]}
    assert ("volets_mismatch", "1.3") in kinds  # 40 000 + 53 500 = 93 500 € against 93 560 €
    assert ("missing_year", "4.2") in kinds  # its budget table stops at 2026
    assert ("title_mismatch", "3.1") in kinds
    assert ("numbering_mismatch", "3.4") in kinds  # titled « Action 2.4 »
    # Every stated total of the bundle (art. 2.2, art. 3, the report, Annexe 3) adds up: none is reported.
    assert not any(f["kind"] in ("total_mismatch", "amount_mismatch") for f in reports["pas-de-calais-contrat-2024"]["findings"])


def test_tolerances_are_data(tmp_path):
    extraction = extract(DATASET / "deliberation-haut-verdon-2024.txt")
    strict = check_consistency(extraction, load_tolerances())
    tolerant = check_consistency(extraction, replace(load_tolerances(), amount_cents=10_000_01))
    # The planted differences are of 5 000 € or 10 000 €, but for action 1.2 (20 000 € of CAF counted as
    # State money): within a tolerance of 10 000,01 €, only that one and the percentage are left.
    assert len(strict) == 8
    assert sorted((f.kind, f.action) for f in tolerant) == [("amount_mismatch", "1.2"), ("percentage_mismatch", None)]


def test_a_stated_percentage_agrees_with_its_rounded_ratio(tmp_path):
    text = (DATASET / "deliberation-haut-verdon-2024-conforme.txt").read_text(encoding="utf-8")
    # 600 000 € of 1 200 000 € is 50 %: « 50,0 % » agrees, « 50,1 % » does not (the stated precision).
    for stated, reported in (("50,0 %", 0), ("50,1 %", 1)):
        path = tmp_path / f"p{reported}.txt"
        path.write_text(text.replace("représente 50 % du coût total", f"représente {stated} du coût total"), encoding="utf-8")
        found = [f for f in check_consistency(extract(path)) if f.kind == "percentage_mismatch"]
        assert len(found) == reported, stated


def test_a_regional_summary_sentence_outside_every_territory_is_not_compared_with_one():
    # « Au total, les crédits de l'État mobilisés dans la région … 1 280 000 € » closes the document, after
    # the last territory's section: it is not the last territory's total.
    report = audit(DATASET / "synthese-regionale-2024-conforme.md", eligibility=False).to_dict()
    assert report["findings"] == []
    assert len(report["contracts"]) == 3
    assert all(r.get("collectivite") for r in report["rules"])


def test_the_report_json_has_the_shape_of_the_issue(reports):
    report = reports["annexe10-metropole-rivemont-2024.xlsx"]
    assert {"doc_id", "rules", "findings"} <= set(report)
    assert report["doc_id"] == doc_id_of("annexe10-metropole-rivemont-2024.xlsx")
    finding = report["findings"][0]
    assert {"kind", "severity", "message", "stated", "computed", "citations"} <= set(finding)
    assert {"doc_id", "line_start", "line_end", "quote"} == set(finding["citations"][0])
    assert report["rules"] and {"rule", "verdict", "message", "citation"} <= set(report["rules"][0])
