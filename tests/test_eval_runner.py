"""Running a system over a dataset writes the documented answers format; baselines are turned into
that format; the gate compares scores with thresholds. No index here: systems are stand-ins."""

import json

import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.errors import IndexUnavailable, InvalidInput
from eval.runner import RetrievalBaseline, load_thresholds, run_system
from eval.schemas import AnswerRecord, EligibilityRecord, GoldAction, load_gold, load_outputs
from eval.scoring import score_file

I = "instruction-2023-168"
LINE_263 = ("*Ce volet n'inclut pas les actions de la protection maternelle et infantile (PMI) dans le cadre des "
            "entretiens prénataux ou bilans de santé en école maternelle, qui relèvent de la contractualisation "
            "départementale en prévention et protection de l'enfance.*")
GOLD = [
    {"id": "q1", "question": "PMI et métropole ?", "category": "eligibility", "doc_id": I,
     "gold_spans": [{"doc_id": I, "line_start": 263, "line_end": 263}], "key_facts": ["entretiens prénataux"],
     "expected_verdict": "excluded", "answerable": True},
    {"id": "q2", "question": "Montant du RSA ?", "category": "other", "doc_id": None, "gold_spans": [],
     "key_facts": [], "expected_verdict": None, "answerable": False},
]


@pytest.fixture
def gold_file(tmp_path):
    path = tmp_path / "datasets" / "dev_questions.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in GOLD), encoding="utf-8")
    return path


class StandIn:
    """Answers like `Assistant.ask` would, and fails on the RSA question."""

    name = "ours"

    def question(self, q):
        if "RSA" in q.question:
            raise InvalidInput("question hors sujet")
        return {"question": q.question, "category": "eligibility",
                "answer": "Non : les entretiens prénataux de PMI relèvent du département [1].",
                "verdict": "excluded", "abstained": False,
                "citations": [{"id": "1", "doc_id": I, "doc_title": "Instruction", "section_path": ["Annexe 1"],
                               "line_start": 263, "line_end": 263, "quote": "entretiens prénataux", "score": 1.0}],
                "hits": [{"doc_id": I, "section_path": [], "line_start": 263, "line_end": 263, "text": LINE_263,
                          "score": 1.0}]}


def test_run_writes_answers_timings_and_meta_then_scores(tmp_path, gold_file):
    kind, gold = load_gold(str(gold_file))
    run = run_system(kind, gold, StandIn(), tmp_path / "run", gold_file)
    records = load_outputs(run.dir / "answers.jsonl", kind)  # the documented format, validated
    assert [r.id for r in records] == ["q1", "q2"]
    assert all(r.latency_ms is not None and r.latency_ms >= 0 for r in records)
    assert records[1].error == "question hors sujet" and records[1].abstained is False
    timings = json.loads((run.dir / "timings.json").read_text())
    assert timings["n"] == 2 and timings["errors"] == 1 and timings["latency_ms"]["p95"] is not None
    assert json.loads((run.dir / "meta.json").read_text())["system"] == "ours"
    v = score_file(run.dir / "answers.jsonl", str(gold_file)).aggregate()
    assert v["recall@1"] == 1.0 and v["verdict_accuracy"] == 1.0 and v["quote_fidelity"] == 1.0
    assert v["abstention_recall"] == 0.0  # the failed question did not abstain


def test_a_system_that_cannot_run_stops_the_run(tmp_path, gold_file):
    class NoIndex:
        name = "ours"

        def question(self, q):
            raise IndexUnavailable("Aucun index trouvé.")

    kind, gold = load_gold(str(gold_file))
    with pytest.raises(IndexUnavailable):
        run_system(kind, gold, NoIndex(), tmp_path / "run", gold_file)


class FakeRetriever:
    def __init__(self, hits):
        self.hits = hits
        self.calls = []

    def search(self, query, k=10, mode="hybrid"):
        self.calls.append((query, k, mode))
        return self.hits


class FakeDocument:  # what a LangChain retriever returns
    def __init__(self, text, metadata):
        self.page_content = text
        self.metadata = metadata


def test_retrieval_baselines_answer_with_their_top_hit(gold_file):
    hits = [{"doc_id": I, "section_path": ["Annexe 1"], "line_start": 263, "line_end": 263, "text": LINE_263,
             "score": 2.0},
            {"doc_id": I, "section_path": ["Annexe 5"], "line_start": 1315, "line_end": 1315, "text": "…", "score": 1}]
    baseline = RetrievalBaseline("bm25", Settings())
    baseline._retriever = FakeRetriever(hits)
    _kind, gold = load_gold(str(gold_file))
    record = AnswerRecord.model_validate({"id": "q1", **baseline.question(gold[0])})
    assert baseline._retriever.calls == [("PMI et métropole ?", 10, "bm25")]
    assert record.answer == LINE_263 and not record.abstained and record.verdict is None
    assert [(c.line_start, c.quote) for c in record.citations] == [(263, LINE_263)]
    assert [h.line_start for h in record.hits] == [263, 1315]
    desc = GoldAction(id="a1", description="Entretiens prénataux par la PMI", axis=1, verdict="excluded")
    action = EligibilityRecord.model_validate({"id": "a1", **baseline.action(desc)})
    assert [s.axis for s in action.sections] == [1, None]  # line 263 is in the axis-1 référentiel


def test_naive_baseline_hits_without_line_numbers_are_located_in_the_corpus():
    baseline = RetrievalBaseline("naive", Settings())
    baseline._retriever = type("R", (), {"invoke": lambda self, q: [
        FakeDocument("entretiens prénataux ou bilans de santé en école maternelle", {"doc_id": I}),
        FakeDocument("texte absent du corpus", {"doc_id": I}),
    ]})()
    hits = baseline.search("PMI")
    assert [(h["line_start"], h["line_end"]) for h in hits] == [(263, 263)]


def test_baselines_do_not_check_contracts():
    with pytest.raises(InvalidInput, match="ne vérifie pas de contrats"):
        RetrievalBaseline("dense", Settings()).contract(None)


# --- the gate -----------------------------------------------------------------------------------


def write_run(tmp_path, rows):
    answers = tmp_path / "run" / "dev_questions" / "answers.jsonl"
    answers.parent.mkdir(parents=True)
    answers.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return tmp_path / "run"


def gate(capsys, tmp_path, gold_file, run, thresholds):
    path = tmp_path / "thresholds.yaml"
    path.write_text(thresholds, encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["eval", "gate", "--thresholds", str(path), "--from-run", str(run),
              "--datasets-dir", str(gold_file.parent)])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


GOOD = [{"id": "q1", **StandIn().question(type("Q", (), {"question": "PMI"})())},
        {"id": "q2", "answer": "Le corpus ne dit rien du RSA.", "abstained": True, "hits": []}]
THRESHOLDS = """
dev_questions:
  recall@5: {min: 0.9}
  verdict_accuracy: {min: 0.85}
  abstention_f1: {min: 0.85}
dev_actions:
  axis_accuracy: {min: 0.9}
"""


def test_gate_passes_when_every_metric_reaches_its_threshold(tmp_path, capsys, gold_file):
    code, out, err = gate(capsys, tmp_path, gold_file, write_run(tmp_path, GOOD), THRESHOLDS)
    assert code == 0, out + err
    assert "Rappel@5 / Recall@5" in out and "OK" in out
    assert "ignoré / skipped (jeu absent (dev_actions.jsonl))" in out  # the actions set does not exist here
    assert (tmp_path / "run" / "dev_questions" / "report.html").exists()


def test_gate_fails_with_exit_1_when_a_metric_drops(tmp_path, capsys, gold_file):
    worse = [{**GOOD[0], "verdict": "eligible"}, GOOD[1]]
    code, out, _ = gate(capsys, tmp_path, gold_file, write_run(tmp_path, worse), THRESHOLDS)
    assert code == 1
    line = next(x for x in out.splitlines() if "verdict accuracy" in x)
    assert "0.000" in line and "≥ 0.850" in line and "ÉCHEC / FAIL" in line


def test_gate_fails_when_nothing_was_checked(tmp_path, capsys, gold_file):
    code, out, _ = gate(capsys, tmp_path, gold_file, tmp_path, "dev_actions:\n  axis_accuracy: {min: 0.9}\n")
    assert code == 1 and "aucune métrique vérifiée" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("dev_questions:\n  recall@7: {min: 0.9}\n", "métrique inconnue « recall@7 »"),
        ("questions:\n  recall@5: {min: 0.9}\n", "jeu inconnu « questions »"),
        ("dev_questions:\n  recall@5: {au_moins: 0.9}\n", "{min: nombre} ou {max: nombre}"),
        ("dev_questions: [\n", "illisible"),
    ],
)
def test_bad_thresholds_file_is_invalid_input(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_thresholds(path)


def test_shipped_thresholds_name_known_metrics():
    rules = load_thresholds()
    assert rules["dev_questions"]["quote_fidelity"] == ("min", 1.0)
    assert rules["dev_actions"]["axis_accuracy"] == ("min", 0.95)
    assert rules["test_questions"]["quote_fidelity"] == ("min", 1.0)
