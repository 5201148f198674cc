"""`pacte search` from the command line: text, JSON, batch, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.config import PROJECT_ROOT


@pytest.fixture(scope="module")
def pacte(built_index):
    env = {**os.environ, "PACTE_INDEX_DIR": str(built_index.index_dir), "PACTE_CACHE_DIR": str(built_index.cache_dir)}

    def run(*args, input_text=None):
        return subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=300, input=input_text)

    return run


def test_search_json(pacte):
    proc = pacte("search", "la cantine à 1 €", "-k", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["hits"]) == 4
    assert set(data["hits"][0]) == {"doc_id", "section_path", "line_start", "line_end", "text", "score"}


def test_search_text_output_names_lines(pacte):
    proc = pacte("search", "le SLIME", "-k", "2")
    assert proc.returncode == 0 and " l." in proc.stdout


def test_search_batch(pacte, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "le SLIME"}\n{"id": 7, "question": "indicateur CCAPEX"}\n', encoding="utf-8")
    proc = pacte("search", "--batch", str(batch), "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(l) for l in proc.stdout.splitlines()]
    assert [l["id"] for l in lines] == ["a", "7"]
    assert all(len(l["hits"]) >= 10 for l in lines)


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": "a", "question": ""}\n', "vide"),
        ('{"question": "x"}\n', "id"),
        ("pas du json\n", "JSON"),
        ('{"id": "a", "question": "ok"}\n{"id": "a", "question": "ok"}\n', "double"),
        ("", "aucune ligne"),
    ],
)
def test_bad_batch_files_exit_2_and_write_nothing(pacte, tmp_path, content, message):
    batch = tmp_path / "q.jsonl"
    batch.write_text(content, encoding="utf-8")
    proc = pacte("search", "--batch", str(batch), "--json")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("question, message", [("   ", "vide"), ("x" * 2001, "trop longue")])
def test_bad_questions_exit_2(pacte, question, message):
    proc = pacte("search", question)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_one_megabyte_question_is_refused(pacte, tmp_path):
    # A 1 MB argument exceeds the OS limit for one argument: pass it through a batch file.
    batch = tmp_path / "big.jsonl"
    batch.write_text(json.dumps({"id": "big", "question": "é" * 1_000_000}) + "\n", encoding="utf-8")
    proc = pacte("ask", "--batch", str(batch), "--json")
    assert proc.returncode == 2 and "trop longue" in proc.stderr and proc.stdout == ""


def test_ask_json_from_the_cli(pacte):
    proc = pacte("ask", "Quand le rapport d'exécution à mi-parcours doit-il être remis ?", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["citations"] and data["abstained"] is False


def test_eligibility_batch_from_the_cli(pacte, tmp_path):
    batch = tmp_path / "a.jsonl"
    batch.write_text(
        '{"id": "x", "description": "Aide à l\'achat de véhicules propres en ZFE", "collectivite": "metropole"}\n',
        encoding="utf-8",
    )
    proc = pacte("eligibility", "--batch", str(batch), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "excluded"


@pytest.mark.parametrize(
    "args, message",
    [
        (["frobnicate"], "Commande inconnue"),
        (["ask", "--nope"], "Option inconnue"),
        (["search", "-k", "0", "x"], "Valeur invalide pour -k"),
    ],
)
def test_usage_errors_are_in_french(pacte, args, message):
    proc = pacte(*args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
