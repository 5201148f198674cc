"""Input checks of `pacte ask`, `pacte search`, `pacte eligibility` and their batch files: each problem named as it is
(an empty question is "vide", a long history turn is a long turn), before anything heavy is loaded."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.config import MAX_QUESTION_CHARS


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


@pytest.fixture()
def on_the_test_index(built_index, monkeypatch):
    monkeypatch.setenv("PACTE_INDEX_DIR", str(built_index.index_dir))
    monkeypatch.setenv("PACTE_CACHE_DIR", str(built_index.cache_dir))
    monkeypatch.delenv("PACTE_CHROMA_URL", raising=False)


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", ""], "Erreur : La question est vide."),
        (["ask", "   "], "Erreur : La question est vide."),
        (["search", ""], "Erreur : La question est vide."),
        (["eligibility", ""], "Erreur : La description de l'action est vide."),
        (["ask"], "Erreur : Donnez une question (entre guillemets) ou --batch FICHIER.jsonl."),
        (["ask", "x" * (MAX_QUESTION_CHARS + 1)], "Erreur : La question est trop longue : 2\u202f001 caractères"),
    ],
)
def test_empty_missing_or_long_questions_are_named(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and err.startswith(message), err


def test_a_question_and_a_batch_file_together_are_refused(capsys, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": 1, "question": "SLIME"}\n', encoding="utf-8")
    code, _, err = run(capsys, "ask", "SLIME", "--batch", str(batch))
    assert code == 2 and "pas les deux" in err


def _history(tmp_path, turns, name="history.json"):
    path = tmp_path / name
    path.write_text(json.dumps(turns, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "turns, words",
    [
        ([{"question": "x" * 2500, "answer": ""}], ("tour 1", "la question de ce tour est trop longue", "2\u202f500")),
        ([{"question": "Et le SLIME ?", "answer": "y" * 20_001}], ("tour 1", "la réponse de ce tour est trop longue")),
        ([{"question": "a"}] * 21, ("21 tours", "20 au plus")),
        ([{"question": 3}], ("tour 1", "deux textes")),
        ({"question": "pas une liste"}, ("liste JSON",)),
    ],
)
def test_history_problems_name_the_turn_not_the_question(capsys, tmp_path, turns, words):
    code, out, err = run(capsys, "ask", "Et pour une métropole ?", "--history", _history(tmp_path, turns))
    assert code == 2 and out == ""
    assert "La question est trop longue" not in err
    for word in words:
        assert word in err, err


def test_a_history_turn_within_limits_is_answered_even_when_question_and_turn_together_exceed_them(
    capsys, tmp_path, on_the_test_index
):
    """The follow-up is searched with the question it follows: two texts of the limit each are fine."""
    turns = [{"question": "Une métropole peut-elle financer un SLIME+ ? " * 44, "answer": ""}]
    assert len(turns[0]["question"]) <= MAX_QUESTION_CHARS
    code, out, err = run(capsys, "ask", "Et pour un département ? " + "x" * 1900, "--history", _history(tmp_path, turns), "--json")
    assert code == 0, err
    assert json.loads(out)["question"].startswith("Et pour un département ?")


def test_a_batch_file_with_a_utf8_byte_order_mark_is_read(capsys, tmp_path, on_the_test_index):
    batch = tmp_path / "q.jsonl"
    lines = [{"id": "a", "question": "Quel est le plafond de la part de l'État pour le SLIME+ ?"}, {"id": "b", "question": "FSL énergie"}]
    batch.write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode("utf-8") + b"\r\n")
    code, out, err = run(capsys, "search", "--batch", str(batch), "--json")
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a", "b"]


def test_batch_history_is_checked_before_any_answer(capsys, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": 1, "question": "SLIME"}\n{"id": 2, "question": "et ensuite ?", "history": [{"question": 5}]}\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "ask", "--batch", str(batch), "--json")
    assert code == 2 and out == "" and "id « 2 »" in err and "tour 1" in err


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p / "absent.jsonl", ("absent.jsonl", "fichier introuvable")),
        (lambda p: p, ("est un dossier, pas un fichier",)),
        (lambda p: (p / "latin1.jsonl").write_bytes('{"id": 1, "question": "\xe9t\xe9"}'.encode("latin-1")) and p / "latin1.jsonl",
         ("n'est pas encodé en UTF-8",)),
    ],
)
def test_unreadable_batch_files_are_french_errors(capsys, tmp_path, make, words):
    code, _, err = run(capsys, "search", "--batch", str(make(tmp_path)), "--json")
    assert code == 2 and err.startswith("Erreur : ")
    for word in words:
        assert word in err, err
