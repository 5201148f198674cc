"""The scorer on tiny hand-made gold sets and answers files over the real corpus, with values
computed by hand; malformed files are refused with a French message and exit 2.

Lines used (instruction-2023-168): 263 (PMI prenatal interviews excluded for métropoles), 1315
(20 % floor per axis), 1319 (heading « b. Cofinancement des actions »), 1321, 1323, 1325 (the 50/50
cofinancing paragraphs); the even lines between them are blank.
"""

import json

import pytest

from assistant.cli import main
from assistant.config import PROJECT_ROOT
from eval.scoring import CorpusText, score_file

I = "instruction-2023-168"


def span(a, b, doc=I):
    return {"doc_id": doc, "line_start": a, "line_end": b}


def cite(a, b, quote, doc=I):
    return {"id": "1", "doc_id": doc, "doc_title": "Instruction", "section_path": ["Annexe 5"], **span(a, b, doc),
            "quote": quote, "score": 0.9}


def hit(a, b, doc=I):
    return {"doc_id": doc, "section_path": [], **span(a, b, doc), "text": "…", "score": 0.5}


GOLD_QUESTIONS = [
    {"id": "qa", "question": "Comment se répartit le cofinancement ?", "category": "financial", "doc_id": I,
     "gold_spans": [span(1321, 1325)], "key_facts": ["50 %", "chaque action", "40 000 €"],
     "expected_verdict": None, "answerable": True},
    {"id": "qb", "question": "Les entretiens prénataux de PMI pour une métropole ?", "category": "eligibility",
     "doc_id": I, "gold_spans": [span(263, 263)], "key_facts": ["entretiens prénataux", "départementale"],
     "expected_verdict": "excluded", "answerable": True},
    {"id": "qc", "question": "Quel est le montant du RSA ?", "category": "other", "doc_id": None,
     "gold_spans": [], "key_facts": [], "expected_verdict": None, "answerable": False},
    {"id": "qd", "question": "Quel socle minimal par axe ?", "category": "procedure", "doc_id": I,
     "gold_spans": [span(1315, 1315)], "key_facts": ["20 %"], "expected_verdict": None, "answerable": True},
    {"id": "qe", "question": "Le montant de la prime d'activité ?", "category": "other", "doc_id": None,
     "gold_spans": [], "key_facts": [], "expected_verdict": None, "answerable": False},
]

ANSWERS = [
    {"id": "qa", "question": "…", "category": "financial",
     "answer": "L'État et la métropole financent chacun 50\u00a0% de chaque action [1].",
     "verdict": None, "abstained": False,
     "citations": [
         cite(1321, 1321, "fixé à 50 % part État et 50 % part métropole"),  # inside gold: precision 1
         cite(1319, 1321, "Ce cofinancement est fixé à 50 % part État"),  # heading 1319 + 1321: precision 1/2
         cite(1315, 1315, "socle minimal de 20 %"),  # outside gold, and not verbatim
     ],
     "hits": [hit(1315, 1315), hit(1323, 1323), hit(1, 5)], "latency_ms": 100},
    {"id": "qb", "question": "…", "category": "eligibility",
     "answer": "Non : les entretiens prénataux de la PMI relèvent de la contractualisation départementale [1].",
     "verdict": "eligible", "abstained": False,
     "citations": [cite(263, 263, "entretiens prénataux ou bilans de santé")],
     "hits": [hit(263, 263)], "latency_ms": 300},
    {"id": "qc", "question": "…", "category": "other", "answer": "Le corpus ne donne pas le montant du RSA.",
     "verdict": None, "abstained": True, "citations": [], "hits": [], "latency_ms": 200},
    # qd: no answer at all
    {"id": "qe", "question": "…", "category": "other", "answer": "La prime d'activité est de 50 %.",
     "verdict": None, "abstained": False, "citations": [], "hits": [hit(1, 2)], "latency_ms": 50},
    {"id": "zz", "question": "not in the gold set", "answer": "…", "abstained": False},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def question_files(tmp_path):
    gold = write_jsonl(tmp_path / "dev_questions.jsonl", GOLD_QUESTIONS)
    answers = write_jsonl(tmp_path / "answers.jsonl", ANSWERS)
    return gold, answers


def test_question_metrics_have_the_values_computed_by_hand(question_files):
    gold, answers = question_files
    result = score_file(answers, str(gold))
    v = result.aggregate()
    assert v["coverage"] == pytest.approx(4 / 5)
    # retrieval on qa (gold found at rank 2), qb (rank 1), qd (missing: 0)
    assert v["recall@1"] == pytest.approx(1 / 3)
    assert v["recall@5"] == pytest.approx(2 / 3)
    assert v["mrr"] == pytest.approx((0.5 + 1 + 0) / 3)
    # qa: (1 + 1/2 + 0) / 3 = 0.5 ; qb: 1 ; qd has no citation: left out
    assert v["citation_precision"] == pytest.approx(0.75)
    assert v["citation_accuracy"] == pytest.approx((2 / 3 + 1) / 2)
    # qa covers 1321 of the content lines 1321, 1323, 1325 ; qb covers 263 ; qd covers nothing
    assert v["citation_recall"] == pytest.approx((1 / 3 + 1 + 0) / 3)
    # 3 verbatim quotes out of 4
    assert v["quote_fidelity"] == pytest.approx(3 / 4)
    # qa: "50 %" and "chaque action" found, "40 000 €" not ; qb: both ; qd: missing
    assert v["key_fact_recall"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    # should abstain: qc (abstained: TP), qe (answered: FN)
    assert v["abstention_precision"] == 1.0
    assert v["abstention_recall"] == 0.5
    assert v["abstention_f1"] == pytest.approx(2 / 3)
    assert v["abstention_accuracy"] == pytest.approx(3 / 5)  # the missing answer qd is never right
    assert v["verdict_accuracy"] == 0.0  # qb: eligible instead of excluded
    # latencies 50, 100, 200, 300
    assert v["latency_p50_ms"] == 150
    assert v["latency_p95_ms"] == pytest.approx(285)


def test_missing_answers_are_misses_and_unknown_ids_are_listed(question_files):
    gold, answers = question_files
    result = score_file(answers, str(gold))
    summary = result.summary(n_boot=200)
    assert summary["missing_ids"] == ["qd"]
    assert summary["unknown_ids"] == ["zz"]
    qd = next(it for it in result.items if it.id == "qd")
    assert qd.value("recall@5") == 0 and qd.value("citation_recall") == 0 and qd.value("key_fact_recall") == 0
    assert qd.value("citation_precision") is None  # no citation: nothing to be precise about


def test_summary_has_categories_intervals_and_confusion(question_files):
    gold, answers = question_files
    summary = score_file(answers, str(gold)).summary(n_boot=200)
    assert list(summary["by_category"]) == ["eligibility", "financial", "procedure", "other"]
    assert summary["by_category"]["other"]["n"] == 2
    assert summary["by_category"]["eligibility"]["metrics"]["recall@1"] == 1.0
    lo, hi = summary["metrics"]["recall@5"]["ci95"]
    assert 0 <= lo <= summary["metrics"]["recall@5"]["value"] <= hi <= 1
    assert summary == score_file(answers, str(gold)).summary(n_boot=200)  # deterministic
    assert summary["confusion"]["matrix"]["excluded"]["eligible"] == 1


def test_a_system_without_hits_gets_no_retrieval_scores(tmp_path, question_files):
    gold, _ = question_files
    answers = write_jsonl(tmp_path / "nohits.jsonl", [{k: v for k, v in a.items() if k != "hits"} for a in ANSWERS])
    v = score_file(answers, str(gold)).aggregate()
    assert v["recall@5"] is None and v["mrr"] is None
    assert v["citation_precision"] == pytest.approx(0.75)


def test_blank_lines_of_the_corpus_do_not_count():
    corpus = CorpusText.load(PROJECT_ROOT / "corpus")
    assert corpus.counts(I, 1321) and not corpus.counts(I, 1322)
    assert corpus.span_text(I, 263, 263).startswith("*Ce volet n'inclut pas")
    assert corpus.span_text(I, 10**6, 10**6) is None and corpus.span_text("nope", 1, 1) is None


def test_eligibility_answers(tmp_path):
    gold = write_jsonl(tmp_path / "dev_actions.jsonl", [
        {"id": "a1", "description": "Programme SLIME+ financé avec des CEE", "collectivite": "metropole", "axis": 4,
         "gold_spans": [span(1088, 1088)], "verdict": "eligible_with_conditions"},
        {"id": "a2", "description": "Construction d'un stade", "collectivite": None, "axis": None,
         "gold_spans": [], "verdict": "not_in_referential"},
    ])
    answers = write_jsonl(tmp_path / "elig.jsonl", [
        {"id": "a1", "verdict": "eligible_with_conditions",
         "sections": [{"axis": 4, "section_path": ["Annexe 4"], "doc_id": I, "line_start": 1100, "line_end": 1102,
                       "score": 0.9},
                      {"axis": 4, "section_path": ["Annexe 4"], "doc_id": I, "line_start": 1080, "line_end": 1090,
                       "score": 0.8}],
         "conditions": [{"text": "70 %", "doc_id": I, "line_start": 1088, "line_end": 1088}], "citations": []},
    ])
    v = score_file(answers, str(gold)).aggregate()
    assert v["verdict_accuracy"] == 0.5  # a2 missing
    # the axis of the first section, unless the answer states its own "axis"
    assert v["axis_accuracy"] == 1.0  # only a1 has an axis
    assert v["section_recall@1"] == 0.0 and v["section_recall@3"] == 1.0
    assert v["quote_fidelity"] is None  # no citation at all
    stated = json.loads(answers.read_text(encoding="utf-8"))
    write_jsonl(answers, [{**stated, "axis": 3}])
    assert score_file(answers, str(gold)).aggregate()["axis_accuracy"] == 0.0


def test_rule_verdicts_on_contract_cases(tmp_path):
    gold = write_jsonl(tmp_path / "contract_cases.jsonl", [
        {"id": "c1", "file": "examples/c1.yaml", "expected": [{"rule": "parity", "action": "A1", "verdict": "violation"}]},
        {"id": "c2", "file": "examples/c2.yaml", "expected": []},
        {"id": "c3", "file": "examples/c3.yaml", "expected": [{"rule": "axis_floor", "action": None, "verdict": "violation"}]},
        {"id": "c4", "file": "examples/c4.yaml", "expected": []},
    ])
    results = write_jsonl(tmp_path / "rules.jsonl", [
        {"id": "c1", "ok": False, "results": [
            {"rule": "parity", "action": "A1", "verdict": "violation", "message": "…", "citation": span(1321, 1321), "values": {}},
            {"rule": "renewal_limited", "action": "A2", "verdict": "warning", "message": "…"},
            {"rule": "cee_cap", "action": "A1", "verdict": "ok", "message": "…"}]},
        {"id": "c2", "ok": True, "results": [{"rule": "parity", "action": "A1", "verdict": "ok"}]},
        {"id": "c4", "ok": False, "results": [], "error": "fichier introuvable"},  # the check failed
    ])
    result = score_file(results, str(gold))
    v = result.aggregate()
    # pairs: c1 parity ✓, c1 renewal_limited ✗ (spurious warning), c3 axis_floor ✗ (no output)
    assert v["rule_verdict_accuracy"] == pytest.approx(1 / 3)
    assert v["contract_exact_match"] == pytest.approx(1 / 4)  # only the clean c2: a failed check is never right
    assert v["coverage"] == pytest.approx(2 / 4)  # c3 missing, c4 failed
    assert result.extra["by_rule"]["parity"] == {"n": 1, "accuracy": 1.0}
    assert result.confusion["matrix"]["ok"]["warning"] == 1


# --- malformed input: French message naming the line and the field, exit 2 ---------------------


def pacte(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


GOOD = json.dumps({"id": "qa", "answer": "…", "abstained": False})


@pytest.mark.parametrize(
    "lines, expected",
    [
        ([GOOD, "{pas du json"], ["ligne 2", "JSON"]),
        ([GOOD, json.dumps({"answer": "…", "abstained": False})], ["ligne 2", "« id » manquant"]),
        ([json.dumps({"id": "qa", "answer": "…", "abstained": "oui"})], ["ligne 1", "« abstained »", "booléen"]),
        ([json.dumps({"id": 3, "answer": "…", "abstained": False})], ["ligne 1", "« id »", "chaîne"]),
        ([json.dumps({"id": "qa", "answer": "…", "abstained": False,
                      "citations": [{"doc_id": I, "line_start": "12", "line_end": 12, "quote": "x"}]})],
         ["ligne 1", "« citations[0].line_start »", "entier"]),
        ([json.dumps({"id": "qa", "answer": "…", "abstained": False, "hits": "beaucoup"})], ["« hits »", "liste"]),
        ([json.dumps({"id": "qa", "answer": "…", "abstained": False, "verdict": "oui"})], ["« verdict »", "non autorisée"]),
        ([GOOD, "", GOOD], ["ligne 3", "« qa » en double", "ligne 1"]),
        (["[1, 2]"], ["ligne 1", "objet JSON"]),
    ],
)
def test_malformed_answers_file_exits_2_with_a_french_message(tmp_path, capsys, question_files, lines, expected):
    gold, _ = question_files
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = pacte(capsys, "eval", "score", str(bad), "--dataset", str(gold))
    assert code == 2
    assert err.startswith("Erreur : Fichier de réponses bad.jsonl")
    for text in expected:
        assert text in err
    assert "Traceback" not in err
    assert not (tmp_path / "summary.json").exists()


def test_missing_file_unknown_dataset_and_bad_gold_exit_2(tmp_path, capsys, question_files):
    gold, answers = question_files
    code, _, err = pacte(capsys, "eval", "score", str(tmp_path / "absent.jsonl"), "--dataset", str(gold))
    assert code == 2 and "introuvable" in err
    code, _, err = pacte(capsys, "eval", "score", str(answers), "--dataset", "inconnu")
    assert code == 2 and "Jeu de données inconnu" in err
    bad_gold = write_jsonl(tmp_path / "dev_questions_bad.jsonl", [{**GOLD_QUESTIONS[0], "category": "finance"}])
    code, _, err = pacte(capsys, "eval", "score", str(answers), "--dataset", str(bad_gold))
    assert code == 2 and "ligne 1" in err and "« category »" in err
    past_end = write_jsonl(tmp_path / "dev_questions_end.jsonl", [{**GOLD_QUESTIONS[0], "gold_spans": [span(1, 99999)]}])
    code, _, err = pacte(capsys, "eval", "score", str(answers), "--dataset", str(past_end))
    assert code == 2 and "au-delà de la fin" in err


def test_score_command_writes_summary_scores_and_report(tmp_path, capsys, question_files):
    gold, answers = question_files
    code, out, err = pacte(capsys, "eval", "score", str(answers), "--dataset", str(gold), "--out", str(tmp_path / "run"),
                           "--system", "autre-equipe")
    assert code == 0, err
    assert "Rappel@5 / Recall@5" in out and "0.667" in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["system"] == "autre-equipe" and summary["dataset"] == "dev_questions"
    lines = (tmp_path / "run" / "per_question.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["qa", "qb", "qc", "qd", "qe"]
    assert (tmp_path / "run" / "report.html").exists()
