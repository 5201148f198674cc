"""The HTML report is one self-contained file; `pacte eval compare` tells what improved and what
regressed, question by question."""

import json
import re

import pytest

from assistant.cli import main
from eval.compare import compare_runs
from eval.report import write_report
from eval.scoring import score_file, write_scores

I = "instruction-2023-168"
QUOTE_263 = "entretiens prénataux ou bilans de santé"

GOLD = [
    {"id": "q1", "question": "PMI et métropole ?", "category": "eligibility", "doc_id": I,
     "gold_spans": [{"doc_id": I, "line_start": 263, "line_end": 263}], "key_facts": ["entretiens prénataux"],
     "expected_verdict": "excluded", "answerable": True},
    {"id": "q2", "question": "Socle minimal par axe ?", "category": "financial", "doc_id": I,
     "gold_spans": [{"doc_id": I, "line_start": 1315, "line_end": 1315}], "key_facts": ["20 %"],
     "expected_verdict": None, "answerable": True},
    {"id": "q3", "question": "Montant du RSA ?", "category": "other", "doc_id": None, "gold_spans": [],
     "key_facts": [], "expected_verdict": None, "answerable": False},
]


def answer(qid, text, *, cite=None, hits=(), verdict=None, abstained=False, latency=80.0):
    citations = [{"id": "1", "doc_id": I, "doc_title": "Instruction", "section_path": ["Annexe 1"],
                  "line_start": cite[0], "line_end": cite[0], "quote": cite[1], "score": 1.0}] if cite else []
    return {"id": qid, "question": "…", "category": "other", "answer": text, "verdict": verdict,
            "abstained": abstained, "citations": citations,
            "hits": [{"doc_id": I, "section_path": [], "line_start": h, "line_end": h, "text": "…", "score": 1.0}
                     for h in hits], "latency_ms": latency}


RUN_A = [
    answer("q1", "Oui, c'est possible.", hits=[1315, 263], verdict="eligible", latency=40),
    answer("q2", "Le socle est de 20 % par axe.", cite=(1315, "socle minimal de contractualisation de 20 %"),
           hits=[1315], latency=60),
    answer("q3", "Le corpus ne le dit pas.", abstained=True, latency=90),
]
RUN_B = [
    # q1 better everywhere
    answer("q1", "Non : les entretiens prénataux relèvent du département.", cite=(263, QUOTE_263), hits=[263],
           verdict="excluded", latency=45),
    # q2 worse: lost its fact, its citation and its hit
    answer("q2", "Il n'y a pas de socle.", hits=[1], latency=70),
    answer("q3", "Le corpus ne le dit pas.", abstained=True, latency=95),
]


def scored_run(tmp_path, name, rows, system):
    gold = tmp_path / "dev_questions.jsonl"
    gold.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in GOLD), encoding="utf-8")
    run = tmp_path / name
    run.mkdir()
    answers = run / "answers.jsonl"
    answers.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    write_scores(score_file(answers, str(gold), system=system), run, n_boot=100)
    return run


def test_report_is_a_single_self_contained_html_file(tmp_path):
    run_b = scored_run(tmp_path, "b", RUN_B, "ours")
    run_a = scored_run(tmp_path, "a", RUN_A, "bm25")
    html = write_report(run_b, [run_a]).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    # nothing fetched from elsewhere: no src/href attribute, no stylesheet link, no CSS url()
    assert not re.search(r"\b(src|href)\s*=", html, re.I)
    assert "<link" not in html and "url(" not in html and "@import" not in html
    # charts are inline SVG: category bars, systems bars, confusion matrix, latency histogram
    assert html.count("<svg") == 4
    assert "Matrice de confusion" in html and "Histogramme des latences" in html
    assert "BM25 seul" in html and "Pacte Assistant" in html
    # per-question table: answer, its citation (quote, verbatim), the gold lines side by side
    assert "Non : les entretiens prénataux relèvent du département." in html
    assert QUOTE_263 in html and "verbatim" in html
    assert "*Ce volet n&#x27;inclut pas les actions de la protection maternelle" in html  # gold line 263
    assert "instruction-2023-168 l.263–263" in html


def test_report_escapes_what_systems_write(tmp_path):
    rows = [answer("q1", "<script>alert(1)</script>", cite=(263, "<img src=x onerror=alert(1)>"))]
    html = write_report(scored_run(tmp_path, "x", rows, "x")).read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_compare_lists_improved_and_regressed_questions(tmp_path):
    comparison = compare_runs(scored_run(tmp_path, "a", RUN_A, "bm25"), scored_run(tmp_path, "b", RUN_B, "ours"))
    status = {c.id: c.status for c in comparison.items}
    assert status == {"q1": "improved", "q2": "regressed", "q3": "unchanged"}
    q2 = next(c for c in comparison.items if c.id == "q2")
    assert ("key_fact_recall", 1.0, 0.0) in q2.changes and ("recall@1", 1.0, 0.0) in q2.changes
    metrics = {name: (a, b) for name, _fr, _en, a, b, _h in comparison.metrics}
    assert metrics["verdict_accuracy"] == (0.0, 1.0)
    assert metrics["recall@1"] == (0.5, 0.5)


def test_compare_command_on_two_runs(tmp_path, capsys):
    run_a, run_b = scored_run(tmp_path, "a", RUN_A, "bm25"), scored_run(tmp_path, "b", RUN_B, "ours")
    with pytest.raises(SystemExit) as exc:
        main(["eval", "compare", str(run_a), str(run_b)])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert "1 améliorés / improved, 1 dégradés / regressed" in out
    assert re.search(r"Dégradés / regressed :\n  q2 : ", out)
    with pytest.raises(SystemExit):
        main(["eval", "compare", str(run_a), str(run_b), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["improved"] == 1 and data["counts"]["regressed"] == 1


def test_compare_refuses_runs_of_different_datasets(tmp_path, capsys):
    run_a = scored_run(tmp_path, "a", RUN_A, "bm25")
    other = tmp_path / "other"
    other.mkdir()
    summary = json.loads((run_a / "summary.json").read_text(encoding="utf-8"))
    (other / "summary.json").write_text(json.dumps({**summary, "dataset": "dev_actions"}), encoding="utf-8")
    (other / "per_question.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["eval", "compare", str(run_a), str(other)])
    assert exc.value.code == 2 and "jeux différents" in capsys.readouterr().err
